"""Stock-out days (``unavailable``): lost sales, STOCKOUT anomalies, statistics, segments."""

import numpy as np
import pandas as pd
import pytest
from engine import (
    daily_matrix,
    demand_statistics,
    detect_anomalies,
    forecast_products,
    lost_sales,
    segment_abc_xyz,
)
from engine.stockouts import stockout_runs

END = "2024-06-30"


def daily(values, product_id=1, end=END, price=None):
    dates = pd.date_range(end=end, periods=len(values), freq="D")
    frame = pd.DataFrame({"product_id": product_id, "date": dates, "qty": values})
    if price is not None:
        frame["amount"] = frame["qty"] * price
    return frame


def out_of_stock(product_id, offsets, end=END):
    """``unavailable`` rows of the days ``end - offset``."""
    dates = [pd.Timestamp(end) - pd.Timedelta(days=int(k)) for k in offsets]
    return pd.DataFrame({"product_id": product_id, "date": dates})


def test_censored_mask_only_on_days_without_a_sale():
    history = daily([3.0, 0.0, 2.0, 0.0])
    unavailable = out_of_stock(1, [0, 1, 2]).iloc[::-1]  # days 3, 2, 1 (day 1 sold 2)
    unavailable = pd.concat([unavailable, out_of_stock(9, [0])])  # unknown product: ignored
    matrix = daily_matrix(history, unavailable=unavailable)
    np.testing.assert_array_equal(matrix.censored, [[False, True, False, True]])


def test_unavailable_must_have_product_and_date():
    with pytest.raises(ValueError, match="unavailable must be a DataFrame"):
        daily_matrix(daily([1.0]), unavailable=pd.DataFrame({"date": [END]}))


def test_demand_statistics_leave_stock_out_days_out():
    # Day 0 before the first sale; days 1..5 = 4, 0 (stock-out), 4, 0, 4.
    history = daily([0.0, 4.0, 0.0, 4.0, 0.0, 4.0])
    matrix = daily_matrix(history, unavailable=out_of_stock(1, [3]))
    row = demand_statistics(matrix).iloc[0]
    # 4 days in stock since the first sale: 4, 4, 0, 4.
    assert row["avg_daily_demand"] == pytest.approx(3.0)  # 12 / 4
    assert row["demand_std"] == pytest.approx(np.sqrt(3.0))  # (1 + 1 + 9 + 1) / 4
    assert row["adi"] == pytest.approx(4 / 3)
    assert row["cv2"] == 0.0
    assert row["demand_days"] == 3


def test_weekly_variability_scales_weeks_to_their_days_in_stock():
    # Two weeks of 7 a day; the second one out of stock on 5 days (2 days sold 7).
    values = [7.0] * 7 + [7.0, 7.0, 0, 0, 0, 0, 0]
    history = daily(values)
    segments, _matrix = segment_abc_xyz(history)
    assert segments.iloc[0]["cv"] == pytest.approx(np.std([49.0, 14.0]) / np.mean([49.0, 14.0]))
    unavailable = out_of_stock(1, range(5))
    segments, _matrix = segment_abc_xyz(history, unavailable=unavailable)
    # Week 2: 14 units on 2 days in stock -> 14 x 7 / 2 = 49: constant weeks, cv 0 (X).
    assert segments.iloc[0]["cv"] == pytest.approx(0.0)
    assert segments.iloc[0]["xyz"] == "X"
    daily_segments, _matrix = segment_abc_xyz(history, xyz_period="D", unavailable=unavailable)
    assert daily_segments.iloc[0]["cv"] == pytest.approx(0.0)  # the 9 days in stock sold 7


def test_lost_sales_value_each_stock_out_day_at_the_same_weekday_level():
    # 5 weeks of 10 a day at 2.5 each, then 3 days out of stock.
    values = np.r_[np.full(35, 10.0), np.zeros(3)]
    history = daily(values, price=2.5)
    lost = lost_sales(history, out_of_stock(1, [0, 1, 2]))
    assert list(lost.columns) == ["product_id", "date", "expected_qty", "price", "lost_amount"]
    assert len(lost) == 3
    np.testing.assert_allclose(lost["expected_qty"], 10.0)
    np.testing.assert_allclose(lost["price"], 2.5)  # revenue / quantity sold
    np.testing.assert_allclose(lost["lost_amount"], 25.0)
    priced = lost_sales(history, out_of_stock(1, [0]), prices=pd.Series({1: 4.0}))
    assert priced.iloc[0]["lost_amount"] == pytest.approx(40.0)


def test_stockout_runs_group_consecutive_days():
    values = np.r_[np.full(28, 6.0), [0.0, 0.0, 6.0, 0.0]]
    matrix = daily_matrix(daily(values), unavailable=out_of_stock(1, [0, 2, 3]))
    runs = stockout_runs(matrix)
    assert list(runs["days"]) == [2, 1]
    np.testing.assert_allclose(runs["lost_units"], [12.0, 6.0])
    assert list(runs["ongoing"]) == [False, True]
    assert list(runs["date"]) == [pd.Timestamp("2024-06-27"), pd.Timestamp("2024-06-30")]


def test_the_summary_baseline_reads_stock_out_days_as_a_normal_day():
    # 6 a day for 83 days, then 7 days out of stock (no sale). Read as zeros, the last 7-day mean
    # is 0 and the trend DOWN; censored, those days are imputed with a normal day (6): daily
    # demand 6, trend STABLE (first and last smoothed weeks both 6).
    values = np.r_[np.full(83, 6.0), np.zeros(7)]
    as_zero = forecast_products(daily(values), horizon_days=7, method="moving_average")
    assert as_zero.summary.iloc[0]["daily_demand"] == 0.0
    assert as_zero.summary.iloc[0]["trend"] == "DOWN"
    result = forecast_products(
        daily(values),
        horizon_days=7,
        method="moving_average",
        unavailable=out_of_stock(1, range(7)),
    )
    row = result.summary.iloc[0]
    assert row["daily_demand"] == pytest.approx(6.0)
    assert row["trend"] == "STABLE"


def test_a_running_stock_out_is_an_alert_once_it_lost_a_unit():
    # Product 1 sells 6 a day, product 2 sells 1 every 10th day (0.1 a day on average): both
    # out of stock for the last 3 days. Product 1 lost 3 x 6 = 18 units: MEDIUM. Product 2
    # lost about 3 x 0.1 = 0.3 of a unit, less than STOCKOUT_ALERT_UNITS (1): LOW.
    slow = np.zeros(90)
    slow[::10] = 1.0
    slow[-3:] = 0.0
    fast = np.r_[np.full(87, 6.0), np.zeros(3)]
    history = pd.concat([daily(fast, product_id=1), daily(slow, product_id=2)])
    unavailable = pd.concat([out_of_stock(1, range(3)), out_of_stock(2, range(3))])
    found = detect_anomalies(history, unavailable=unavailable)
    stockouts = found[found["kind"] == "STOCKOUT"].set_index("product_id")
    assert stockouts.loc[1, "lost_units"] == pytest.approx(18.0)
    assert stockouts.loc[1, "severity"] == "MEDIUM"
    assert 0 < stockouts.loc[2, "lost_units"] < 1.0
    assert stockouts.loc[2, "severity"] == "LOW"


def test_a_stock_out_that_lost_nothing_is_not_reported():
    # Product 1 sells 14 every Monday and nothing on the other days; it is out of stock on the
    # last 3 days, 2024-06-28 to 06-30 (Friday to Sunday), days it never sells on: the same
    # weekday's recent level is 0, so the stock-out lost 0 units and is no anomaly at all.
    # Product 2 (6 a day) out of stock on the same days lost 3 x 6 = 18 units: reported.
    dates = pd.date_range(end=END, periods=90, freq="D")
    assert dates[-1].weekday() == 6  # END is a Sunday
    mondays = np.where(dates.day_of_week == 0, 14.0, 0.0)
    steady = np.r_[np.full(87, 6.0), np.zeros(3)]
    history = pd.concat([daily(mondays, product_id=1), daily(steady, product_id=2)])
    unavailable = pd.concat([out_of_stock(1, range(3)), out_of_stock(2, range(3))])
    found = detect_anomalies(history, unavailable=unavailable)
    stockouts = found[found["kind"] == "STOCKOUT"]
    assert list(stockouts["product_id"]) == [2]
    assert stockouts.iloc[0]["lost_units"] == pytest.approx(18.0)


def test_a_stock_out_is_never_a_drop_and_is_reported_with_its_lost_units():
    rng = np.random.default_rng(0)
    values = rng.poisson(20.0, 90).astype(float)
    values[-4:] = 0.0  # out of stock for the last 4 days
    history = daily(values)
    as_zero = detect_anomalies(history)
    drops = as_zero.loc[as_zero["kind"] == "DROP", "date"]
    # What the shelf did, read as demand: every stock-out day is a DROP.
    assert list(drops) == list(pd.date_range("2024-06-27", periods=4))
    found = detect_anomalies(history, unavailable=out_of_stock(1, range(4)))
    assert "DROP" not in set(found["kind"])
    stockout = found[found["kind"] == "STOCKOUT"].iloc[0]
    assert stockout["date"] == pd.Timestamp("2024-06-27")
    assert stockout["end_date"] == pd.Timestamp("2024-06-30")
    assert stockout["severity"] == "MEDIUM"  # still out of stock on as_of
    matrix = daily_matrix(history, unavailable=out_of_stock(1, range(4)))
    expected = stockout_runs(matrix).iloc[0]["lost_units"]
    assert stockout["lost_units"] == pytest.approx(expected)
    assert 60 < stockout["lost_units"] < 100  # about 4 days of 20
