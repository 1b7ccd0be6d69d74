"""engine.demand_calendar and the forecast's stock-outs, holidays and weekly closing days."""

import numpy as np
import pandas as pd
import pytest
from engine import backtest, demand_calendar, forecast_products
from engine.demand_calendar import weekday_level

END = "2024-06-30"  # a Sunday


def daily(values, product_id=1, end=END):
    dates = pd.date_range(end=end, periods=len(values), freq="D")
    return pd.DataFrame({"product_id": product_id, "date": dates, "qty": values})


def days_before(end, offsets):
    """Dates ``end - offset`` days (offset 0 = end)."""
    return [pd.Timestamp(end) - pd.Timedelta(days=int(k)) for k in offsets]


def lines_of(result, product_id=1):
    return result.lines[result.lines["product_id"] == product_id].reset_index(drop=True)


def row_of(result, product_id=1):
    return result.summary.set_index("product_id").loc[product_id]


# --- expected demand of a normal day --------------------------------------------------------------


def test_weekday_level_is_the_weighted_mean_of_earlier_same_weekdays():
    qty = np.array([[4.0, 1.0, 2.0, 3.0, 0.0, 0.0, 0.0, 8.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 6.0]])
    usable = np.ones(qty.shape, dtype=bool)
    usable[0, 8] = False  # day 8 (a stock-out) is not used
    level = weekday_level(qty, usable)[0]
    # Day 0: nothing before it: 0. Day 3: no earlier same weekday: mean of days 0..2 = 7 / 3.
    assert level[0] == 0.0
    assert level[3] == pytest.approx(7 / 3)
    # Day 7: the same weekday as day 0 only: 4. Day 14: days 0 and 7, weights 0.75 and 1
    # (alpha 0.25, bias-corrected): (0.75 * 4 + 8) / 1.75.
    assert level[7] == pytest.approx(4.0)
    assert level[14] == pytest.approx((0.75 * 4 + 8) / 1.75)
    # Day 8 (not usable) is skipped: day 15 would see day 1 only; the level of day 8 is day 1's.
    assert level[8] == pytest.approx(1.0)


def test_centered_level_uses_the_weeks_around_but_not_after_the_next_origin():
    qty = np.arange(30.0)[None, :]  # demand = day index: a trend a trailing level lags
    usable = np.ones(qty.shape, dtype=bool)
    usable[0, 14] = False
    trailing = np.full(qty.shape, -1.0)
    limit = demand_calendar._next_origin(30, [22])
    level = demand_calendar.centered_level(qty, usable, trailing, limit)[0]
    # Day 14 (not usable itself): days 0, 7 and 21 (28 is after the next origin, 22): 28 / 3.
    # Day 10: days 3 and 17 (-4 before the matrix, 24 after the origin): 10.
    assert level[14] == pytest.approx(28 / 3)
    assert level[10] == pytest.approx(10.0)
    # Day 25 (after the origin 22, before the end 30): 11, 18 (and 32, 39 outside) -> 14.5.
    assert level[25] == pytest.approx(14.5)


# --- stock-outs -----------------------------------------------------------------------------------


def test_stock_out_days_are_imputed_not_learnt_as_zero_demand():
    values = np.r_[np.full(100, 10.0), np.zeros(10)]  # out of stock for the last 10 days
    history = daily(values)
    unavailable = pd.DataFrame({"product_id": 1, "date": days_before(END, range(10))})
    censored = forecast_products(history, horizon_days=7, method="ses", unavailable=unavailable)
    # Imputed with the level of the same weekday (10): SES forecasts 10.
    np.testing.assert_allclose(lines_of(censored)["qty"], 10.0)
    assert row_of(censored)["censored_days"] == 10
    as_zero = forecast_products(history, horizon_days=7, method="ses")
    assert lines_of(as_zero)["qty"].max() < 10.0
    assert row_of(as_zero)["censored_days"] == 0


def test_a_day_that_sold_is_never_censored():
    history = daily(np.full(60, 4.0))
    unavailable = pd.DataFrame({"product_id": [1, 2], "date": days_before(END, [0, 0])})
    result = forecast_products(history, horizon_days=3, method="ses", unavailable=unavailable)
    assert row_of(result)["censored_days"] == 0


def test_backtest_does_not_score_stock_out_days():
    # 60 days of 10, then 7 days out of stock. Origins 53 and 60 (horizon 7, 2 folds).
    values = np.r_[np.full(60, 10.0), np.zeros(7)]
    history = daily(values)
    unavailable = pd.DataFrame({"product_id": 1, "date": days_before(END, range(7))})
    scored = backtest(history, 7, folds=2, methods=["moving_average"], unavailable=unavailable)
    # Fold 1 (days 53..59): forecast 10, actual 10: MAE 0. Fold 2 (days 60..66): all
    # censored, not scored. Mean 0.
    assert scored.iloc[0]["mae"] == 0.0
    as_zero = backtest(history, 7, folds=2, methods=["moving_average"])
    # Censored as zero demand: fold 2 errs by 10 every day: mean (0 + 10) / 2.
    assert as_zero.iloc[0]["mae"] == pytest.approx(5.0)


# --- holidays -------------------------------------------------------------------------------------


def test_holiday_factor_is_learnt_per_product_and_shrunk_to_the_pool():
    # Product 1 sells 10 a day and 5 on the 4 past holidays; product 2 sells 30 and 30.
    # 100 days; holidays 20, 40, 60 and 80 days before the end, and one 2 days after it.
    past = [20, 40, 60, 80]
    one = np.full(100, 10.0)
    two = np.full(100, 30.0)
    for k in past:
        one[-1 - k] = 5.0
    history = pd.concat([daily(one, 1), daily(two, 2)])
    holidays = [*days_before(END, past), pd.Timestamp(END) + pd.Timedelta(days=2)]
    result = forecast_products(history, horizon_days=5, method="ses", holidays=holidays)
    # Pool (both products, one demand class of 2 products < 20 holidays: all products):
    # (4 x 5 + 4 x 30) / (4 x 10 + 4 x 30) = 140 / 160. Each product: (4 r + 2 pool) / 6.
    # (Normal-day demand of a past holiday: the same weekday 1 and 2 weeks around it: 10, 30.)
    pool = 140 / 160
    factor_one = (4 * 0.5 + 2 * pool) / 6
    assert row_of(result, 1)["holiday_factor"] == pytest.approx(factor_one)
    assert row_of(result, 1)["holiday_effect"] == "reduced"
    assert row_of(result, 1)["holiday_days"] == 1
    # Product 2 over its whole history: (4 x 1 + 2 x 140 / 160) / 6 = 0.958, "normal": no
    # holiday effect, its holidays are left as they are (factor 1).
    assert row_of(result, 2)["holiday_factor"] == 1.0
    assert row_of(result, 2)["holiday_effect"] == "normal"
    # The past holidays are imputed (10 a day): SES forecasts 10, times the factor on the
    # holiday (the 2nd forecast day).
    np.testing.assert_allclose(
        lines_of(result, 1)["qty"], [10.0, 10.0 * factor_one, 10.0, 10.0, 10.0]
    )
    np.testing.assert_allclose(lines_of(result, 2)["qty"], 30.0)


def test_a_closed_holiday_forecasts_zero_with_a_zero_interval():
    rng = np.random.default_rng(1)
    values = rng.poisson(20.0, 200).astype(float)
    past = [10, 50, 90, 130, 170]
    for k in past:
        values[-1 - k] = 0.0
    holidays = [*days_before(END, past), pd.Timestamp(END) + pd.Timedelta(days=3)]
    result = forecast_products(daily(values), horizon_days=7, holidays=holidays)
    line = lines_of(result).iloc[2]
    # Closed on every past holiday: factor (5 x 0 + 2 x 0) / 7 = 0.
    assert row_of(result)["holiday_effect"] == "closed"
    assert line["qty"] == 0.0 and line["lower"] == 0.0 and line["upper"] == 0.0
    assert lines_of(result)["qty"].drop(index=2).min() > 10
    without = forecast_products(daily(values), horizon_days=7)
    assert lines_of(without)["qty"][2] > 10
    assert np.isnan(row_of(without)["holiday_factor"]) and row_of(without)["holiday_effect"] == ""


def test_holidays_must_be_dates():
    with pytest.raises(ValueError, match="holidays must be an iterable of dates"):
        forecast_products(daily(np.ones(30)), holidays="2024-07-01")
    with pytest.raises(ValueError, match="holidays must be an iterable of dates"):
        forecast_products(daily(np.ones(30)), holidays=["not a date"])


def test_holiday_effect_labels():
    labels = demand_calendar.holiday_effect([0.0, 0.09, 0.1, 0.79, 0.8, 1.24, 1.25, np.nan])
    assert list(labels) == [
        "closed",
        "closed",
        "reduced",
        "reduced",
        "normal",
        "normal",
        "boosted",
        "",
    ]


# --- weekly closing days --------------------------------------------------------------------------


def test_a_weekday_without_sales_for_months_is_closed():
    # 6 a day Monday to Saturday, nothing on Sundays, 10 weeks ending on Sunday END.
    values = np.tile([6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 0.0], 10)
    result = forecast_products(daily(values), horizon_days=7, method="moving_average")
    # The 7-day mean 36 / 7 moves to the six open days: 6 each, Sunday 0 with a [0, 0] range.
    lines = lines_of(result)
    np.testing.assert_allclose(lines["qty"], [6.0] * 6 + [0.0])
    assert lines["upper"].iloc[6] == 0.0
    row = row_of(result)
    assert row["closed_weekdays"] == "sun"
    assert row["weekday_sun"] == 0.0
    assert row["weekday_mon"] == pytest.approx(6.0 / (36 / 7))  # level: mean of the 7 days


def test_a_weekday_closed_for_one_product_only_keeps_an_upper_bound():
    # Product 1 sells 6 a day Monday to Saturday, never on Sunday; product 2 sells 6 every day,
    # so the shop is open on Sundays. Product 1's Sunday: point 0, lower 0, and the upper
    # distance of its open days (a rare Sunday sale still falls inside); a shop closed on
    # Sundays gets [0, 0] (test above).
    values = np.tile([6.0, 6.0, 6.0, 6.0, 6.0, 6.0, 0.0], 10)
    history = pd.concat([daily(values, product_id=1), daily(np.full(70, 6.0), product_id=2)])
    result = forecast_products(history, horizon_days=7, method="moving_average")
    assert row_of(result)["closed_weekdays"] == "sun"
    lines = lines_of(result)
    assert lines["qty"].iloc[6] == 0.0 and lines["lower"].iloc[6] == 0.0
    open_distance = lines["upper"].iloc[0] - lines["qty"].iloc[0]
    assert open_distance > 0
    assert lines["upper"].iloc[6] == pytest.approx(open_distance)


def test_a_slow_product_missing_a_weekday_by_chance_is_not_closed():
    # Sells on 1 day in 10: 8 Sundays without a sale are likely by chance (0.9 ** 8 = 0.43).
    values = np.zeros(70)
    values[::10] = 3.0
    values[-1] = 0.0
    result = forecast_products(daily(values), horizon_days=7, method="moving_average")
    assert row_of(result)["closed_weekdays"] == ""
