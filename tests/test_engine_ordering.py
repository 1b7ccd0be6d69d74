"""engine.plan_orders: orders from the forecast of the protection period (issue 12)."""

import math

import numpy as np
import pandas as pd
import pytest
from engine import plan_orders
from engine.forecasting import forecast_products
from engine.ordering import (
    NO_HISTORY_WARNING,
    PLAN_COLUMNS,
    expected_shortage,
    fill_rate_level,
    forecast_options,
    gamma_shape,
)
from engine.replenishment import replenishment

Z_95 = 1.644854


def constant_history(product_ids=(1,), qty=2.0, days=200, end="2025-06-30"):
    """``qty`` units every day for ``days`` days: every forecast method gives exactly ``qty`` a
    day with zero backtest errors, so the protection demand is qty x days and its quantile too."""
    dates = pd.date_range(end=end, periods=days, freq="D")
    return pd.DataFrame(
        {
            "product_id": np.repeat(list(product_ids), days),
            "date": np.tile(dates, len(product_ids)),
            "qty": qty,
        }
    )


def alternating_history(days=60, end="2025-06-30"):
    """1, 3, 1, 3, ... units a day, ending with 3 (``days`` even)."""
    dates = pd.date_range(end=end, periods=days, freq="D")
    return pd.DataFrame({"product_id": 1, "date": dates, "qty": np.tile([1.0, 3.0], days // 2)})


def items(**columns):
    frame = pd.DataFrame({"product_id": [1], "stock": [0.0], "lead_time_days": [7.0]})
    for name, value in columns.items():
        frame[name] = value if isinstance(value, list) else [value]
    return frame


def one(history, frame, **kwargs):
    result = plan_orders(history, frame, **kwargs)
    assert list(result.columns) == PLAN_COLUMNS
    return result.iloc[0]


def test_protection_period_is_lead_time_plus_review_period():
    # 2 a day, L = 5, R = 3: P = 8 days, μ_P = 16, its quantile 16 (no error): SS = 0,
    # ROP = S = 16; position 10 → order 16 - 10 = 6; coverage 10 / 2 = 5 days
    row = one(constant_history(), items(lead_time_days=5.0, stock=10.0), review_days=3)
    assert row.protection_days == 8.0
    assert row.avg_daily_demand == pytest.approx(2.0)
    assert row.protection_demand == pytest.approx(16.0)
    assert row.protection_upper == pytest.approx(16.0)
    assert row.safety_stock == pytest.approx(0.0, abs=1e-9)
    assert row.reorder_point == pytest.approx(16.0)
    assert row.order_up_to == pytest.approx(16.0)
    assert row.suggested_qty == pytest.approx(6.0)
    assert row.days_of_coverage == pytest.approx(5.0)
    assert (row.urgency, row.policy, row.warning) == ("ORDER_NOW", "forecast", "")


def test_review_period_per_item_and_fractional_protection():
    frame = pd.DataFrame(
        {
            "product_id": [1, 2, 3],
            "stock": [0.0, 0.0, 0.0],
            "lead_time_days": [5.0, 5.0, 2.5],
            "review_days": [np.nan, 7.0, 0.0],
        }
    )
    result = plan_orders(constant_history((1, 2, 3)), frame, review_days=1)
    # P = 5 + 1 (the argument), 5 + 7 (the item's), 2.5 + 0 (between 2 and 3 days: 4 + 0.5·2)
    assert list(result.protection_days) == [6.0, 12.0, 2.5]
    assert list(result.reorder_point) == pytest.approx([12.0, 24.0, 5.0])


def test_quantile_of_the_protection_demand_is_the_forecasts_calibrated_quantile():
    # moving_average asked by name keeps its classic interval: point = the last 7-day mean
    # (3+1+3+1+3+1+3)/7 = 15/7, σ² = mean of the last 28 squared deviations
    # = (14·(1 - 15/7)² + 14·(3 - 15/7)²)/28 = (64/49 + 36/49)/2 = 100/98.
    # P = 8 days, class B: q = 8·15/7 + 1.644854·1.010153·sqrt(8) = 17.142857 + 4.699583
    row = one(
        alternating_history(),
        items(lead_time_days=8.0, abc="B"),
        method="moving_average",
    )
    assert row.method == "moving_average"
    assert row.protection_demand == pytest.approx(8 * 15 / 7)
    assert row.protection_upper == pytest.approx(17.142857 + 4.699583, abs=1e-5)
    assert row.safety_stock == pytest.approx(4.699583, abs=1e-5)
    # class A (98 %): 17.142857 + 2.053749·1.010153·2.828427 = 17.142857 + 5.867854
    row = one(alternating_history(), items(lead_time_days=8.0, abc="A"), method="moving_average")
    assert row.service_level == 0.98
    assert row.reorder_point == pytest.approx(17.142857 + 5.867854, abs=1e-5)


def test_lead_time_variability_raises_the_safety_stock():
    # Constant 2 a day, L = 4, σ_L = 2 days, class B: no demand error, so
    # SS = sqrt(0² + 1.644854²·2²·2²) = 1.644854·4 = 6.579416; ROP = 8 + 6.579416
    row = one(constant_history(), items(lead_time_days=4.0, lead_time_std=2.0, abc="B"))
    assert row.safety_stock == pytest.approx(Z_95 * 4, abs=1e-5)
    assert row.reorder_point == pytest.approx(8 + Z_95 * 4, abs=1e-5)
    # With a demand error too (moving average of 1, 3, ...: μ_D = 15/7, σ_D² = 100/98), L = 4,
    # σ_L = 1: SS_D = 1.644854·1.010153·2 = 3.323107, lead part 1.644854·15/7·1 = 3.524687
    # SS = sqrt(3.323107² + 3.524687²) = sqrt(11.043040 + 12.423419) = 4.844219 > SS_D
    row = one(
        alternating_history(),
        items(lead_time_days=4.0, lead_time_std=1.0, abc="B"),
        method="moving_average",
    )
    assert row.safety_stock == pytest.approx(4.844219, abs=1e-5)
    assert row.reorder_point == pytest.approx(4 * 15 / 7 + 4.844219, abs=1e-5)


@pytest.mark.parametrize(
    ("lots", "suggested"),
    [
        ({}, 41.0),  # need 41: S = 3·15 = 45, position 4
        ({"min_qty": 50.0}, 50.0),  # raised to the minimum
        ({"min_qty": 50.0, "multiple": 12.0}, 60.0),  # the multiple at or above the minimum
        ({"multiple": 12.0}, 48.0),  # 41 → 4 packs of 12
        ({"rounding": 12.0}, 48.0),  # purchase unit of dozens rounded to whole dozens
        ({"rounding": 0.5}, 41.0),  # already a multiple of the rounding
        ({"min_qty": 50.0, "multiple": 12.0, "rounding": 5.0}, 60.0),  # 60 is a multiple of 5
        ({"min_qty": np.nan, "multiple": 0.0}, 41.0),  # no lot sizes
    ],
)
def test_quantities_respect_minimum_multiple_and_rounding(lots, suggested):
    row = one(constant_history(qty=3.0), items(lead_time_days=15.0, stock=4.0, **lots))
    assert row.reorder_point == pytest.approx(45.0)
    assert row.suggested_qty == pytest.approx(suggested)


def test_lumpy_product_with_an_empty_last_week_keeps_a_positive_reorder_point():
    # Sells on about one day in four (ADI ≈ 4 > 1.32), 1-12 units, nothing in the last 7 days.
    rng = np.random.default_rng(7)
    days = 300
    qty = np.where(rng.random(days) < 0.25, rng.integers(1, 13, days), 0).astype(float)
    qty[-7:] = 0.0
    history = pd.DataFrame(
        {"product_id": 1, "date": pd.date_range(end="2025-06-30", periods=days), "qty": qty}
    )
    row = one(history, items(lead_time_days=7.0, abc="C"), review_days=7)
    assert row.policy == "intermittent"
    assert row.reorder_point >= 1.0
    assert row.reorder_point == math.floor(row.reorder_point)  # an integer quantile
    assert row.suggested_qty == row.reorder_point  # stock 0
    # The classic policy fed with the 7-day moving average (0 after an empty week) orders nothing.
    classic = replenishment(
        pd.DataFrame(
            {"product_id": [1], "avg_daily_demand": [0.0], "stock": [0.0], "lead_time_days": [7]}
        )
    ).iloc[0]
    assert classic.reorder_point == 0.0


def test_excess_watch_and_ok():
    frame = pd.DataFrame(
        {
            "product_id": [1, 2, 3, 4, 5],
            "stock": [100.0, 70.0, 100.0, 20.0, 5.0],
            "lead_time_days": [5.0] * 5,
            "multiple": [0.0, 0.0, 12.0, 0.0, 0.0],
        }
    )
    result = plan_orders(constant_history((1, 2, 3, 4)), frame).set_index("product_id")
    # S = 2·5 = 10; margin = 2·30 days + max(min, multiple)
    # 1: 100 - 10 - 60 = 30 → EXCESS; 2: 70 - 10 - 60 = 0 → not excess, covers 35 days → OK
    # 3: margin 60 + 12: 100 - 10 - 72 = 18 → EXCESS; 4: covers 20/2 = 10 days ≤ 14 → WATCH
    # 5: never sold: S = 0, margin 0 → its 5 units are excess (dead stock)
    assert list(result.excess_qty) == pytest.approx([30.0, 0.0, 18.0, 0.0, 5.0])
    assert list(result.urgency) == ["EXCESS", "OK", "EXCESS", "WATCH", "EXCESS"]
    assert result.loc[5, "warning"] == NO_HISTORY_WARNING
    assert result.loc[5, "days_of_coverage"] == math.inf
    assert (result.loc[5, "reorder_point"], result.loc[5, "method"]) == (0.0, "")


def test_bad_values_fall_back_with_a_warning():
    frame = pd.DataFrame(
        {
            "product_id": [1, 2, 3, 4],
            "stock": [0.0, -5.0, np.nan, 0.0],
            "lead_time_days": [np.nan, 5.0, 5.0, -1.0],
            "lead_time_std": [0.0, np.nan, -1.0, 0.0],
            "min_qty": [0.0, 0.0, -3.0, 0.0],
        }
    )
    result = plan_orders(constant_history((1, 2, 3, 4)), frame, default_lead_time=4)
    assert list(result.warning) == [
        "no lead time: default 4 days used",
        "negative stock counted as a backorder",
        "no stock figure: 0 used; negative lead_time_std ignored; negative min_qty ignored",
        "no lead time: default 4 days used",
    ]
    assert list(result.lead_time_days) == [4.0, 5.0, 5.0, 4.0]
    # S = 2·L: 8, 10, 10, 8; the backorder of 5 raises the order to 10 + 5
    assert list(result.suggested_qty) == pytest.approx([8.0, 15.0, 10.0, 8.0])
    assert result.days_of_coverage[1] == 0.0


def test_input_order_and_empty_items():
    frame = pd.DataFrame({"product_id": [3, 1], "stock": [0.0, 0.0], "lead_time_days": [1.0, 2.0]})
    result = plan_orders(constant_history((1, 3)), frame)
    assert list(result.product_id) == [3, 1]
    assert list(result.reorder_point) == pytest.approx([2.0, 4.0])
    empty = plan_orders(constant_history(), frame.iloc[:0])
    assert empty.empty and list(empty.columns) == PLAN_COLUMNS


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"items": [1, 2]}, "DataFrame"),
        ({"items": pd.DataFrame({"product_id": [1], "stock": [0.0]})}, "lead_time_days"),
        (
            {"items": pd.DataFrame({"product_id": [1, 1], "stock": 0.0, "lead_time_days": 7.0})},
            "more than once",
        ),
        ({"review_days": -1}, "review_days"),
        ({"excess_days": "30"}, "excess_days"),
        ({"service_levels": {"A": 1.5}}, "service level"),
        ({"service_levels": [0.9]}, "service_levels"),
        ({"method": "magic"}, "unknown forecast method"),
    ],
)
def test_wrong_arguments_raise_value_error(arguments, message):
    call = {"items": items(), **arguments}
    with pytest.raises(ValueError, match=message):
        plan_orders(constant_history(), **call)


def test_stock_out_days_are_not_demand():
    # 2 a day, but nothing sold in the last 10 days because the shelf was empty: with those days
    # given as unavailable the forecast leaves them out, P = 5 + 3 → 2·8 = 16
    history = constant_history()
    history.loc[history.index[-10:], "qty"] = 0.0
    unavailable = pd.DataFrame({"product_id": 1, "date": history.date.iloc[-10:]})
    frame = items(lead_time_days=5.0)
    censored = one(history, frame, review_days=3, unavailable=unavailable, holidays=[])
    assert censored.protection_demand == pytest.approx(16.0)
    assert censored.reorder_point == pytest.approx(16.0)
    assert one(history, frame, review_days=3).protection_demand < 16.0
    assert forecast_options() == {}
    assert forecast_options(unavailable=unavailable) == {"unavailable": unavailable}


def test_a_forecast_made_before_is_reused_in_batches():
    history = pd.concat([constant_history((1,)), constant_history((2,), qty=3.0)])
    batches = [
        forecast_products(history[history.product_id == pid], horizon_days=30) for pid in (1, 2)
    ]
    frame = pd.DataFrame({"product_id": [2, 1, 3], "stock": 0.0, "lead_time_days": [5.0, 5.0, 5.0]})
    result = plan_orders(history, frame, review_days=2, forecast=batches)
    # P = 7 days: 3·7 = 21 and 2·7 = 14; product 3 is in no batch
    assert list(result.reorder_point) == pytest.approx([21.0, 14.0, 0.0])
    assert result.warning[2] == NO_HISTORY_WARNING
    with pytest.raises(ValueError, match="horizon"):
        plan_orders(history, frame, review_days=40, forecast=batches)


def test_expected_shortage_of_a_gamma_variable():
    # Gamma(1, θ = 2) is the exponential of mean 2: E[(X − S)⁺] = 2 e^{−S/2}
    #   S = 0 → 2; S = 1 → 2 e^{−0.5} = 1.213061; S = 4 → 2 e^{−2} = 0.270671
    # Gamma(2, 1): E[(X − S)⁺] = e^{−S} (2 + S) (see the next test) → S = 1: 3 e^{−1} = 1.103638
    # shape 0 (X = 0): 0
    levels = np.array([0.0, 1.0, 4.0, 1.0, 3.0])
    shortage = expected_shortage(
        levels, np.array([1.0, 1.0, 1.0, 2.0, 0.0]), np.array([2.0, 2.0, 2.0, 1.0, 1.0])
    )
    assert shortage == pytest.approx([2.0, 1.213061, 0.270671, 1.103638, 0.0], abs=1e-6)


def test_gamma_shape_matches_the_calibrated_quantile():
    # Exponential θ = 2 (k = 1): 90 % quantile 2 ln 10 = 4.605170
    # Gamma(2, 1): P(X ≤ 3) = 1 − e^{−3} (1 + 3) = 1 − 4 × 0.049787 = 0.800852
    shape = gamma_shape(np.array([4.605170, 3.0]), np.array([0.9, 0.800852]), np.array([2.0, 1.0]))
    assert shape == pytest.approx([1.0, 2.0], rel=1e-4)


def test_fill_rate_level_is_the_smallest_level_short_of_one_minus_fill_per_cycle():
    # Item 1: 90 % quantile 4.605170, θ = 2 → exponential of mean 2 (k = 1); P = R = 7: a cycle
    # is the whole period (nothing short before it): ESC(S) = 2 e^{−S/2} ≤ (1 − 0.95) × 2
    #   → e^{−S/2} = 0.05 → S = 2 ln 20 = 5.991465 (above the 90 % quantile: fill 95 %)
    # Item 2: 80.0852 % quantile 3, θ = 1 → Gamma(2, 1) over P = 14 days, R = 7: the first 7 days
    # are Gamma(1, 1). With Q(n, x) = e^{−x} Σ_{j<n} x^j / j!:
    #   E[(D_P − S)⁺] = 2 Q(3, S) − S Q(2, S) = e^{−S} (2 + 2S + S² − S − S²) = e^{−S} (2 + S)
    #   E[(D_7 − S)⁺] = e^{−S};  ESC(S) = e^{−S} (1 + S) ≤ (1 − 0.9) × 2 × 7 / 14 = 0.1
    #   Newton on f(S) = e^{−S} (1 + S) − 0.1, f' = −S e^{−S}, from 4: f(4) = −0.008422,
    #   f'(4) = −4 e^{−4} = −0.073263 → S₁ = 4 − 0.114955 = 3.885045;
    #   e^{−S₁} = 0.0183156 × e^{0.114955} = 0.0205469, f(S₁) = 0.0205469 × 4.885045 − 0.1
    #   = 0.000373, f'(S₁) = −3.885045 × 0.0205469 = −0.079826 → S₂ = 3.885045 + 0.004673
    #   = 3.889718 (f(S₂) ≈ 0 to 1e-6)
    # Item 3: no scale (regular demand) → the quantile itself.
    level = fill_rate_level(
        np.array([4.605170, 3.0, 5.0]),
        np.array([0.9, 0.800852, 0.9]),
        np.array([2.0, 1.0, 0.0]),
        np.array([7.0, 14.0, 14.0]),
        np.array([7.0, 7.0, 7.0]),
        np.array([0.95, 0.9, 0.9]),
    )
    assert level == pytest.approx([5.991465, 3.889718, 5.0], abs=1e-4)


def test_intermittent_order_up_to_targets_a_fill_rate():
    # 10 units every 5th day for 300 days (ADI 5 > 1.32): daily mean 2, variance
    # 0.2 × 10² − 2² = 16 → dispersion θ = 16 / 2 = 8 units. S is the fill-rate level of the
    # calibrated quantile at that scale, rounded up to a whole unit.
    qty = np.where(np.arange(300) % 5 == 4, 10.0, 0.0)
    history = pd.DataFrame(
        {"product_id": 1, "date": pd.date_range(end="2025-06-30", periods=300), "qty": qty}
    )
    row = one(history, items(lead_time_days=7.0, abc="C"), review_days=7)
    assert row.policy == "intermittent"
    expected = fill_rate_level(
        np.array([row.protection_upper]),
        np.array([0.9]),
        np.array([8.0]),
        np.array([14.0]),
        np.array([7.0]),
        np.array([0.9]),
    )
    assert row.order_up_to == math.ceil(expected[0] - 1e-9)
