"""Hand-computed tests of tools.purchase_budget (RFQs within a budget)."""

import math

import pandas as pd
import pytest
from tools.purchase_budget import (
    budget_priority,
    expected_shortage,
    protection_sigma,
    select_within_budget,
)


def candidates():
    # id, urgency, order value, expected lost sales value -> priority = lost / value
    return pd.DataFrame(
        [
            (1, "ORDER_NOW", 100.0, 300.0),  # 3
            (2, "ORDER_NOW", 400.0, 800.0),  # 2
            (3, "WATCH", 50.0, 500.0),  # 10, but WATCH comes after every ORDER_NOW
            (4, "ORDER_NOW", 250.0, 1000.0),  # 4
            (5, "OK", 10.0, 0.0),  # 0, last
        ],
        columns=["id", "urgency", "order_value", "lost_sales_value"],
    )


def test_most_urgent_then_most_lost_sales_per_money_within_the_budget():
    result = select_within_budget(candidates(), 500.0)
    # Order: ORDER_NOW by priority 4 (4.0), 1 (3.0), 2 (2.0); WATCH 3; OK 5.
    assert result["id"].tolist() == [4, 1, 2, 3, 5]
    assert result["priority"].tolist() == [4.0, 3.0, 2.0, 10.0, 0.0]
    # 4: 250 (250 spent); 1: +100 = 350; 2: 400 > 150 left -> left out; 3: +50 = 400;
    # 5: +10 = 410.
    assert result["selected"].tolist() == [True, True, False, True, True]
    assert result["spent"].tolist() == [250.0, 350.0, 350.0, 400.0, 410.0]
    assert result["rank"].tolist() == [1, 2, 3, 4, 5]


def test_a_line_that_costs_exactly_what_is_left_fits():
    result = select_within_budget(candidates(), 750.0)
    # 250 + 100 + 400 = 750 exactly: 4, 1, 2 fit; 3 (50) and 5 (10) no longer do.
    assert result.loc[result["selected"], "id"].tolist() == [4, 1, 2]


def test_budget_smaller_than_every_line_orders_nothing_and_a_free_line_comes_first():
    frame = candidates()
    frame.loc[len(frame)] = (6, "ORDER_NOW", 0.0, 5.0)  # free: priority inf
    result = select_within_budget(frame, 5.0)
    assert result["id"].tolist()[0] == 6
    assert result.loc[result["selected"], "id"].tolist() == [6]


@pytest.mark.parametrize("budget", [0, -10.0, math.nan, math.inf, "100", None, True])
def test_bad_budget(budget):
    with pytest.raises(ValueError, match="budget"):
        select_within_budget(candidates(), budget)


def test_bad_candidates():
    with pytest.raises(ValueError, match="columns"):
        select_within_budget(candidates().drop(columns="urgency"), 100.0)
    frame = candidates()
    frame.loc[0, "order_value"] = -1.0
    with pytest.raises(ValueError, match="≥ 0"):
        select_within_budget(frame, 100.0)
    with pytest.raises(ValueError, match="more than once"):
        select_within_budget(pd.concat([candidates(), candidates()]), 100.0)


def test_no_candidate():
    result = select_within_budget(candidates().iloc[0:0], 100.0)
    assert result.empty


def test_expected_shortage():
    result = expected_shortage(
        [10.0, 10.0, 10.0, 10.0, 5.0], [0.0, 2.0, 2.0, math.nan, 0.0], [4.0, 10.0, 12.0, 4.0, 8.0]
    )
    # σ 0: max(10 - 4, 0) = 6; σ 2 at the mean: 2 φ(0) = 2 / sqrt(2 π) = 0.797885;
    # σ 2, position 12: k = 1, φ(1) = 0.2419707, 1 - Φ(1) = 0.1586553, L = 0.0833154,
    # × 2 = 0.1666308;
    # σ NaN = 0: 6; position above the mean without spread: 0.
    assert result == pytest.approx([6.0, 0.797885, 0.166631, 6.0, 0.0], abs=1e-6)


def test_budget_priority():
    assert budget_priority([100.0, 0.0], [300.0, 5.0]).tolist() == [3.0, math.inf]


def test_protection_sigma():
    # z(0.95) = 1.644854: (116.44854 - 100) / 1.644854 = 10; level 0.5 or upper ≤ mean: 0.
    result = protection_sigma([100.0, 100.0, 100.0], [116.44854, 120.0, 90.0], [0.95, 0.5, 0.9])
    assert result == pytest.approx([10.0, 0.0, 0.0], abs=1e-5)
