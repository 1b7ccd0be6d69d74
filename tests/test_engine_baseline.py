"""engine.baseline: 7-day moving average demand, trend, confidence (issue 3, item 1)."""

import numpy as np
import pandas as pd
import pytest
from engine.baseline import (
    BASELINE_COLUMNS,
    demand_baseline,
    moving_average_forecast,
    trend_labels,
)


def daily(values, product_id=1, start="2024-01-01"):
    """One row per day for one product."""
    dates = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({"product_id": product_id, "date": dates, "qty": values})


def one(history, **kwargs):
    result = demand_baseline(history, **kwargs)
    assert list(result.columns) == BASELINE_COLUMNS
    assert len(result) == 1
    return result.iloc[0]


# 20 days: days 1-10 sell 10, days 11-20 sell `level`. Smoothed s_t = mean(days t-6..t),
# t = 7..20 (14 values). first = mean(s_7..s_13), last = mean(s_14..s_20).
@pytest.mark.parametrize(
    ("level", "change", "trend"),
    [
        # 13: s_7..s_10 = 10, s_11..s_13 = 73/7, 76/7, 79/7 → first = (40 + 228/7)/7 = 508/49
        #     s_14..s_16 = 82/7, 85/7, 88/7, s_17..s_20 = 13 → last = (255/7 + 52)/7 = 619/49
        #     change = (619 - 508) / 508 = 0.2185 → UP
        (13.0, 111 / 508, "UP"),
        # 12: first = (40 + 222/7)/7 = 502/49, last = (240/7 + 48)/7 = 576/49 → 74/502 = 0.147
        (12.0, 74 / 502, "STABLE"),
        # 8: first = (40 + 198/7)/7 = 478/49, last = (180/7 + 32)/7 = 404/49 → -74/478 = -0.155
        (8.0, -74 / 478, "STABLE"),
        # 7: first = (40 + 192/7)/7 = 472/49, last = (165/7 + 28)/7 = 361/49 → -111/472 = -0.235
        (7.0, -111 / 472, "DOWN"),
    ],
)
def test_trend_hand_computed(level, change, trend):
    row = one(daily([10.0] * 10 + [level] * 10), lookback_days=20)
    assert row.trend_change == pytest.approx(change)
    assert row.trend == trend
    assert row.daily_demand == pytest.approx(level)  # last smoothed value = mean of 7 × level
    assert row.forecast_30d == pytest.approx(30 * level)


@pytest.mark.parametrize(
    ("change", "label"),
    [
        (0.2, "STABLE"),  # boundaries are not included: > 0.2 is UP
        (0.2000001, "UP"),
        (-0.2, "STABLE"),
        (-0.2000001, "DOWN"),
        (0.0, "STABLE"),
        (1e9, "UP"),
    ],
)
def test_trend_thresholds(change, label):
    assert list(trend_labels([change])) == [label]


def test_confidence_hand_computed():
    # 20 days, 10 x 10 then 10 x 13, one row per day → 20 order lines
    row = one(daily([10.0] * 10 + [13.0] * 10), lookback_days=20)
    # coverage = 20 / 20 = 1
    assert row.coverage == 1.0
    # mean 11.5, population σ 1.5 (every day is 1.5 from the mean) → CV = 1.5/11.5
    assert row.variability == pytest.approx(1.5 / 11.5)
    # sample_boost = min(1, 20 / 30)
    assert row.sample_boost == pytest.approx(20 / 30)
    # 0.4·1 + 0.3·(1 - 0.130435) + 0.3·0.666667 = 0.4 + 0.260870 + 0.2 = 0.860870
    assert row.confidence == pytest.approx(0.4 + 0.3 * (1 - 1.5 / 11.5) + 0.3 * 20 / 30)
    assert row.order_lines == 20


def test_first_week_without_sales_uses_epsilon():
    # 14 days: 13 without sale, 7 sold on the last one.
    # first = mean(s_7..s_13) = 0, last = mean(s_8..s_14) = (1/7)·(7/7) = 1/7
    # change = (1/7 - 0) / max(0, 1e-9) = 1.43e8 → UP
    row = one(daily([0.0] * 13 + [7.0]), lookback_days=14)
    assert row.trend_change == pytest.approx((1 / 7) / 1e-9)
    assert row.trend == "UP"
    assert row.daily_demand == pytest.approx(1.0)  # s_14 = 7 / 7


def test_no_sales():
    history = pd.concat([daily([0.0] * 30, product_id=1), daily([5.0] * 30, product_id=2)])
    result = demand_baseline(history, lookback_days=30).set_index("product_id")
    row = result.loc[1]
    assert row.daily_demand == 0.0
    assert row.forecast_30d == 0.0
    assert row.trend == "STABLE"  # (0 - 0) / ε = 0
    # coverage 0, variability 1 (no mean), boost 0 → 0
    assert (row.coverage, row.variability, row.sample_boost, row.confidence) == (0, 1, 0, 0)
    assert row.warning == "no sales in the last 30 day(s)"
    assert result.loc[2].warning == ""


def test_one_sale():
    # one sale of 10 on the last of 10 days
    row = one(daily([0.0] * 9 + [10.0]), lookback_days=10)
    assert row.daily_demand == pytest.approx(10 / 7)  # s_10 = 10 / 7
    assert row.coverage == pytest.approx(0.1)  # 1 / 10
    # mean 1, σ = sqrt(mean(x²) - 1) = sqrt(10 - 1) = 3 → CV 3 → variability min(1, 3) = 1
    assert row.variability == 1.0
    # 0.4·0.1 + 0.3·0 + 0.3·(1/30) = 0.04 + 0.01 = 0.05
    assert row.confidence == pytest.approx(0.05)


def test_returns_and_nan_rows():
    history = daily([4.0] * 14)
    extra = pd.DataFrame(
        {
            "product_id": [1, 1, 1],
            "date": pd.to_datetime(["2024-01-14", "2024-01-13", "2024-01-12"]),
            "qty": [-4.0, np.nan, -10.0],  # return cancels day 14; NaN dropped; day 12 → 0
        }
    )
    row = one(pd.concat([history, extra]), lookback_days=14)
    # days 8..14 = 4, 4, 4, 4, 0 (12: 4 - 10 floored), 4, 0 (14: 4 - 4) → sum 20 → 20/7
    assert row.daily_demand == pytest.approx(20 / 7)
    assert row.coverage == pytest.approx(12 / 14)
    assert row.order_lines == 14  # returns are not order lines


def test_one_huge_spike():
    # 60 days of 10, the last one 1000
    row = one(daily([10.0] * 59 + [1000.0]))
    assert row.daily_demand == pytest.approx((6 * 10 + 1000) / 7)
    # first 7 smoothed values = 10; last 7: s_54..s_59 = 10 and s_60 = (6·10 + 1000)/7 = 151.43
    # → last = (60 + 151.43) / 7 = 30.20 → change (30.20 - 10) / 10 = 2.02 → UP
    assert row.trend_change == pytest.approx(((60 + 1060 / 7) / 7 - 10) / 10)
    assert row.trend == "UP"
    # mean = (59·10 + 1000)/60 = 26.5, σ ≫ mean → variability 1
    assert row.variability == 1.0


def test_one_day_of_history_in_default_window():
    # a 1-day window: plain mean of that day
    row = one(daily([5.0]), lookback_days=1)
    assert row.daily_demand == 5.0
    assert row.warning == "window of 1 day(s), shorter than 7: plain mean used"
    # default 60-day window ending on that day: 59 zeros + 5 → s_60 = 5/7
    row = one(daily([5.0]))
    assert row.daily_demand == pytest.approx(5 / 7)
    assert row.coverage == pytest.approx(1 / 60)


def test_ten_years_of_steady_history():
    history = daily([2.0] * 3652, start="2014-01-01")
    row = one(history, lookback_days=None)
    assert row.daily_demand == 2.0
    assert row.trend == "STABLE"
    # coverage 1, variability 0, boost 1 → 1.0
    assert row.confidence == pytest.approx(1.0)
    row = one(history)  # default look-back 60 days
    assert row.order_lines == 60


def test_empty_history():
    result = demand_baseline(pd.DataFrame(columns=["product_id", "date", "qty"]))
    assert result.empty
    assert list(result.columns) == BASELINE_COLUMNS


def test_moving_average_forecast_hand_computed():
    qty = np.array([[1.0, 2, 3, 4, 5, 6, 7, 8], [0.0] * 8])
    point, lower, upper = moving_average_forecast(qty, horizon_days=3)
    # level = mean(2..8) = 5; σ = sqrt(mean((x - 5)²)) = sqrt((16+9+4+1+0+1+4+9)/8) = sqrt(5.5)
    sigma = np.sqrt(5.5)
    np.testing.assert_allclose(point[0], [5.0] * 3)
    np.testing.assert_allclose(lower[0], [5 - 1.96 * sigma] * 3)
    np.testing.assert_allclose(upper[0], [5 + 1.96 * sigma] * 3)
    np.testing.assert_array_equal(point[1], [0.0] * 3)
    np.testing.assert_array_equal(upper[1], [0.0] * 3)
    with pytest.raises(ValueError):
        moving_average_forecast(qty, horizon_days=0)
