"""engine.replenishment: reorder point, safety stock, order-up-to, urgency (issue 3, item 3)."""

import math

import numpy as np
import pandas as pd
import pytest
from engine.history import daily_matrix
from engine.replenishment import (
    REPLENISHMENT_COLUMNS,
    demand_quantile,
    demand_statistics,
    order_quantity,
    replenishment,
    urgencies,
    z_value,
)


def items(*rows, **columns):
    """Items from (product_id, avg_daily_demand, stock, lead_time_days) tuples + extra columns."""
    frame = pd.DataFrame(
        rows, columns=["product_id", "avg_daily_demand", "stock", "lead_time_days"]
    )
    for name, values in columns.items():
        frame[name] = values
    return frame


def one(frame, **kwargs):
    result = replenishment(frame, **kwargs)
    assert list(result.columns) == REPLENISHMENT_COLUMNS
    return result.iloc[0]


# Days mode, d = 2/day, L = 7, safety 3 days: SS = 2·3 = 6, ROP = 2·7 + 6 = 20.
@pytest.mark.parametrize(
    ("stock", "suggested", "coverage", "urgency"),
    [
        (0.0, 20.0, 0.0, "ORDER_NOW"),  # 20 - 0
        (19.0, 1.0, 9.5, "ORDER_NOW"),  # just below ROP: 20 - 19 = 1
        (20.0, 0.0, 10.0, "WATCH"),  # stock = ROP is not below it; covers 20/2 = 10 days
        (28.0, 0.0, 14.0, "WATCH"),  # covers exactly 14 days: still WATCH (≤ 14)
        (29.0, 0.0, 14.5, "OK"),  # covers 14.5 days
        (-6.0, 26.0, 0.0, "ORDER_NOW"),  # backorder of 6: 20 - (-6) = 26, coverage floored at 0
    ],
)
def test_days_mode_rop_suggestion_and_urgency(stock, suggested, coverage, urgency):
    row = one(items((1, 2.0, stock, 7.0)))
    assert row.safety_stock == 6.0
    assert row.reorder_point == 20.0
    assert row.order_up_to == 20.0
    assert row.suggested_qty == suggested
    assert row.days_of_coverage == coverage
    assert row.urgency == urgency
    assert row.policy == "days"
    assert math.isnan(row.service_level)
    assert row.warning == ""


def test_days_mode_with_other_settings():
    # d = 1.5, L = 10, safety 5 days: SS = 7.5, ROP = 15 + 7.5 = 22.5;
    # review 4 days: order-up-to = 22.5 + 1.5·4 = 28.5; stock 10 + incoming 2 = position 12
    # → suggested = 28.5 - 12 = 16.5; coverage 12 / 1.5 = 8 days
    row = one(items((1, 1.5, 10.0, 10.0), incoming=[2.0]), safety_days=5, review_days=4)
    assert (row.safety_stock, row.reorder_point, row.order_up_to) == (7.5, 22.5, 28.5)
    assert row.suggested_qty == 16.5
    assert row.days_of_coverage == 8.0
    assert row.urgency == "ORDER_NOW"


def test_short_lead_time_low_cover_is_watch_not_ok():
    # d = 1, L = 1, safety 1: ROP = 2; stock 5 covers 5 days (< 7) but is above ROP → WATCH
    row = one(items((1, 1.0, 5.0, 1.0)), safety_days=1)
    assert row.reorder_point == 2.0
    assert row.urgency == "WATCH"


def test_no_demand_is_ok_with_infinite_coverage():
    row = one(items((1, 0.0, 0.0, 7.0)))
    assert (row.reorder_point, row.suggested_qty) == (0.0, 0.0)
    assert row.days_of_coverage == math.inf
    assert row.urgency == "OK"


def test_missing_values_fall_back_and_are_flagged():
    frame = items(
        (1, 2.0, np.nan, 7.0),  # no stock → 0
        (2, 2.0, 5.0, np.nan),  # no lead time → default 7
        (3, np.nan, 5.0, 7.0),  # no demand → 0
        (4, -1.0, 5.0, -2.0),  # negative demand → 0, negative lead time → default
    )
    result = replenishment(frame, default_lead_time=5)
    assert list(result.warning) == [
        "no stock figure: 0 used",
        "no lead time: default 5 days used",
        "no demand figure: 0 used",
        "negative demand: 0 used; no lead time: default 5 days used",
    ]
    # product 1: ROP = 2·7 + 2·3 = 20, stock 0 → 20; product 2: L = 5 → ROP = 10 + 6 = 16
    assert list(result.reorder_point) == [20.0, 16.0, 0.0, 0.0]
    assert list(result.lead_time_days) == [7.0, 5.0, 7.0, 5.0]
    assert list(result.suggested_qty) == [20.0, 11.0, 0.0, 0.0]


def test_missing_stock_and_lead_time_columns():
    frame = pd.DataFrame({"product_id": [1], "avg_daily_demand": [1.0]})
    row = one(frame)
    # L default 7 → ROP = 7 + 3 = 10, stock 0 → order 10
    assert (row.reorder_point, row.suggested_qty, row.urgency) == (10.0, 10.0, "ORDER_NOW")
    assert row.warning == "no lead time: default 7 days used; no stock figure: 0 used"


@pytest.mark.parametrize(
    ("level", "z"),
    [(0.90, 1.2816), (0.95, 1.6449), (0.98, 2.0537), (0.99, 2.3263)],
)
def test_z_values(level, z):
    assert z_value(level) == pytest.approx(z, abs=1e-4)


@pytest.mark.parametrize("level", [0.0, 1.0, 1.5, -0.1])
def test_bad_service_levels(level):
    with pytest.raises(ValueError):
        z_value(level)
    with pytest.raises(ValueError):
        replenishment(items((1, 1.0, 0.0, 7.0)), mode="service", service_levels={"A": level})


# Service mode, d = 2, L = 7, σ_D = 1: SS = z·sqrt(7·1²) = z·2.6458
@pytest.mark.parametrize(
    ("abc", "service", "z"),
    [
        ("A", 0.98, 2.053749),
        ("B", 0.95, 1.644854),
        ("C", 0.90, 1.281552),
        (None, 0.95, 1.644854),  # no class: 95 %
        ("b", 0.95, 1.644854),  # lower case accepted
    ],
)
def test_service_mode_safety_stock_per_abc_class(abc, service, z):
    row = one(items((1, 2.0, 0.0, 7.0), demand_std=[1.0], abc=[abc]), mode="service")
    assert row.service_level == service
    assert row.safety_stock == pytest.approx(z * math.sqrt(7))
    assert row.reorder_point == pytest.approx(14 + z * math.sqrt(7))
    assert row.policy == "service"


def test_service_mode_with_lead_time_variability_and_review():
    # d = 2, L = 4, σ_D = 1.5, σ_L = 1, class B (z 1.644854):
    # SS = 1.644854·sqrt(4·2.25 + 4·1) = 1.644854·sqrt(13) = 5.930622; ROP = 8 + 5.930622
    # review 3 days: S = 2·7 + 1.644854·sqrt(7·2.25 + 4·1) = 14 + 1.644854·sqrt(19.75)
    frame = items((1, 2.0, 10.0, 4.0), demand_std=[1.5], lead_time_std=[1.0], abc=["B"])
    row = one(frame, mode="service", review_days=3)
    assert row.safety_stock == pytest.approx(1.644854 * math.sqrt(13), abs=1e-5)
    assert row.reorder_point == pytest.approx(8 + 1.644854 * math.sqrt(13), abs=1e-5)
    assert row.order_up_to == pytest.approx(14 + 1.644854 * math.sqrt(19.75), abs=1e-5)
    # position 10 < ROP 13.93 → order S - 10
    assert row.suggested_qty == pytest.approx(4 + 1.644854 * math.sqrt(19.75), abs=1e-5)


def test_service_mode_without_demand_std_uses_days_policy():
    row = one(items((1, 2.0, 0.0, 7.0), abc=["A"]), mode="service")
    assert row.reorder_point == 20.0  # 2·7 + 2·3
    assert row.policy == "days"
    assert row.warning == "no demand_std: days-of-cover safety stock used"


def test_intermittent_items_use_an_integer_quantile():
    frame = items(
        # ADI 2 > 1.32. d = 0.5, L = 4 → mean 2; variance 4·0.5 = 2 = mean → Poisson(2).
        # CDF: 0.1353, 0.4060, 0.6767, 0.8571, 0.9473, 0.9834 → 95 % quantile = 5
        (1, 0.5, 0.0, 4.0),
        # CV² 0.6 > 0.49. d = 0.25, L = 4 → mean 1, variance 4·0.5 = 2 → negative binomial
        # p = 1/2, r = 1 (geometric): CDF(k) = 1 - 0.5^(k+1) = 0.5, 0.75, 0.875, 0.9375 → 90 %: 3
        (2, 0.25, 1.0, 4.0),
        # the same as product 1 but regular (ADI 1, CV² 0.1): normal formula
        (3, 0.5, 0.0, 4.0),
        demand_std=[math.sqrt(0.5)] * 3,
        abc=["B", "C", "B"],
        adi=[2.0, 1.0, 1.0],
        cv2=[0.1, 0.6, 0.1],
    )
    result = replenishment(frame, mode="service")
    assert list(result.policy) == ["intermittent", "intermittent", "service"]
    assert list(result.reorder_point[:2]) == [5.0, 3.0]
    assert list(result.safety_stock[:2]) == [3.0, 2.0]  # ROP - mean lead-time demand
    assert list(result.suggested_qty[:2]) == [5.0, 2.0]  # 5 - 0; 3 - 1
    # product 3: 2 + 1.644854·sqrt(4·0.5) = 2 + 2.326174 (the normal quantile sits lower)
    assert result.reorder_point[2] == pytest.approx(2 + 1.644854 * math.sqrt(2), abs=1e-5)


def test_demand_quantile():
    # Poisson(3): CDF 0.0498, 0.1991, 0.4232, 0.6472, 0.8153, 0.9161, 0.9665 → 95 %: 6
    assert list(demand_quantile([3.0, 0.0], [3.0, 0.0], 0.95)) == [6.0, 0.0]
    # large mean: normal approximation ceil(5000 + 1.644854·sqrt(10000)) = ceil(5164.49) = 5165
    assert list(demand_quantile([5000.0], [10000.0], 0.95)) == [5165.0]


def test_demand_statistics_from_history():
    history = pd.DataFrame(
        {
            "product_id": [1] * 6 + [2],
            "date": [*pd.date_range("2024-01-01", periods=6), pd.Timestamp("2024-01-01")],
            "qty": [0.0, 0.0, 2.0, 0.0, 4.0, 0.0, 0.0],
        }
    )
    stats = demand_statistics(daily_matrix(history)).set_index("product_id")
    row = stats.loc[1]
    # from the first sale (day 3): 2, 0, 4, 0 → mean 1.5;
    # σ² = (0.25 + 2.25 + 6.25 + 2.25) / 4 = 2.75; ADI = 4 days / 2 demand days = 2;
    # sizes 2 and 4: mean 3, variance 1 → CV² = 1/9
    assert row.avg_daily_demand == 1.5
    assert row.demand_std == pytest.approx(math.sqrt(2.75))
    assert row.adi == 2.0
    assert row.cv2 == pytest.approx(1 / 9)
    assert row.demand_days == 2
    never = stats.loc[2]
    assert (never.avg_daily_demand, never.demand_std, never.demand_days) == (0, 0, 0)
    assert math.isnan(never.adi) and math.isnan(never.cv2)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mode": "magic"}, "mode"),
        ({"safety_days": -1}, "safety_days"),
        ({"default_lead_time": -3}, "default_lead_time"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        replenishment(items((1, 1.0, 0.0, 7.0)), **kwargs)


def test_missing_required_columns():
    with pytest.raises(ValueError, match="avg_daily_demand"):
        replenishment(pd.DataFrame({"product_id": [1]}))


def test_empty_items():
    result = replenishment(items(), mode="service")
    assert result.empty
    assert list(result.columns) == REPLENISHMENT_COLUMNS


@pytest.mark.parametrize(
    ("need", "lots", "qty"),
    [
        (41.0, (50.0, 12.0, 0.0), 60.0),  # minimum 50, then the multiple of 12 above it
        (41.0, (0.0, 12.0, 0.0), 48.0),  # 4 packs of 12
        (41.0, (50.0, 0.0, 0.0), 50.0),
        (41.3, (0.0, 0.0, 1.0), 42.0),  # whole units
        (41.3, (0.0, 0.0, 0.01), 41.3),  # already on the rounding (no float noise step up)
        (36.0000000001, (0.0, 12.0, 0.0), 36.0),  # float noise is not a 4th pack
        (0.0, (50.0, 12.0, 1.0), 0.0),  # nothing needed, nothing ordered
        (-5.0, (50.0, 12.0, 1.0), 0.0),
        (41.0, (0.0, 0.0, 0.0), 41.0),
    ],
)
def test_order_quantity(need, lots, qty):
    assert order_quantity(np.array([need]), *lots)[0] == pytest.approx(qty)


def test_classic_policy_rounds_to_the_lot_sizes():
    # Days mode, d = 2, L = 7, 3 safety days: ROP = S = 20; stock 0 → 20, minimum 24, packs
    # of 5 → 25; stock 19 → 1, minimum 24 → 24 → 25; a negative minimum is ignored → 20
    frame = items(
        (1, 2.0, 0.0, 7.0),
        (2, 2.0, 19.0, 7.0),
        (3, 2.0, 0.0, 7.0),
        min_qty=[24.0, 24.0, -1.0],
        multiple=[5.0, 5.0, np.nan],
    )
    result = replenishment(frame)
    assert list(result.suggested_qty) == [25.0, 25.0, 20.0]
    assert list(result.warning) == ["", "", "negative min_qty ignored"]


def test_urgencies():
    below = np.array([True, True, False, False, False, False])
    suggested = np.array([5.0, 0.0, 0.0, 0.0, 0.0, 0.0])
    coverage = np.array([1.0, 3.0, 14.0, 14.5, 40.0, np.inf])
    excess = np.array([0.0, 0.0, 0.0, 0.0, 3.0, 2.0])
    assert list(urgencies(below, suggested, coverage, 14)) == [
        "ORDER_NOW",
        "WATCH",  # below the reorder point but nothing to order: coverage decides
        "WATCH",
        "OK",
        "OK",
        "OK",
    ]
    assert list(urgencies(below, suggested, coverage, 14, excess))[4:] == ["EXCESS", "EXCESS"]
