"""engine.simulate_policy: replay of a stock policy on a past window (issue 12)."""

import numpy as np
import pandas as pd
import pytest
from engine import plan_orders, simulate_policy
from engine.policy_replay import (
    CLASS_COLUMNS,
    DECISION_COLUMNS,
    PRODUCT_COLUMNS,
    _refit_reviews,
    launch_ends,
)
from tools import generate_demand

END = pd.Timestamp("2025-06-30")
WINDOW_START = END - pd.Timedelta(days=27)  # a 28-day window: reviews on days 0, 7, 14, 21


def constant_history(product_ids=(1,), qty=2.0, days=228):
    """``qty`` a day: 200 days before the window and its 28 days."""
    dates = pd.date_range(end=END, periods=days, freq="D")
    return pd.DataFrame(
        {
            "product_id": np.repeat(list(product_ids), days),
            "date": np.tile(dates, len(product_ids)),
            "qty": qty,
        }
    )


def items(**columns):
    frame = pd.DataFrame({"product_id": [1], "lead_time_days": [2.0]})
    for name, value in columns.items():
        frame[name] = value if isinstance(value, list) else [value]
    return frame


def replay(history, frame, **kwargs):
    result = simulate_policy(history, frame, start=WINDOW_START, **kwargs)
    assert list(result.products.columns) == PRODUCT_COLUMNS
    assert list(result.classes.columns) == CLASS_COLUMNS
    assert list(result.decisions.columns) == DECISION_COLUMNS
    return result


def test_plan_with_constant_demand_by_hand():
    # 2 a day, lead time 2, weekly reviews: protection 2 + 7 = 9 days, S = 18 (no error).
    # Day 0: stock starts at S = 18, no order. End of days 0-6: 16 14 12 10 8 6 4.
    # Day 7: position 4 → order 14, arrives day 9; end of days 7-13: 2 0 12 10 8 6 4.
    # Days 14 and 21 repeat day 7 (orders arrive on days 16 and 23).
    # Nothing lost: fill rate 1; receipts on days 9, 16, 23 → 4 cycles, none short;
    # average on hand (70 + 3·42) / 28 = 7.0 units = 3.5 days of the 2 a day; 3 orders of 14.
    result = replay(constant_history(), items(unit_cost=10.0, abc="B"))
    product = result.products.iloc[0]
    assert product.demand == 56.0
    assert product.sold == pytest.approx(56.0)
    assert product.fill_rate == pytest.approx(1.0)
    assert product.lost_units == pytest.approx(0.0, abs=1e-6)
    assert product.stockout_days == 0
    assert (product.cycles, product.cycle_service_level) == (4, 1.0)
    assert product.avg_on_hand == pytest.approx(7.0)
    assert product.avg_on_hand_value == pytest.approx(70.0)
    assert product.days_of_demand == pytest.approx(3.5)
    assert (product.orders, product.ordered_units) == (3, pytest.approx(42.0))
    decisions = result.decisions
    assert list(decisions.date) == list(pd.date_range(WINDOW_START, periods=4, freq="7D"))
    assert list(decisions.order_up_to) == pytest.approx([18.0] * 4)
    assert list(decisions.position) == pytest.approx([18.0, 4.0, 4.0, 4.0])
    assert list(decisions.qty) == pytest.approx([0.0, 14.0, 14.0, 14.0])
    arrivals = [WINDOW_START + pd.Timedelta(days=day) for day in (9, 16, 23)]
    assert decisions.arrival.isna().tolist() == [True, False, False, False]
    assert list(decisions.arrival[1:]) == arrivals
    assert result.info["reviews"] == 4 and result.info["days"] == 28


def test_classic_reorder_point_covering_the_lead_time_only_by_hand():
    # Days of cover, no safety days, review period not passed: ROP = S = 2·2 = 4.
    # Day 0: stock 4, no order; days 0-1 sold 4, days 2-6 lost 10.
    # Day 7: order 4, arrives day 9: days 7-8 lost 4, days 9-10 sold 4, days 11-13 lost 6.
    # Each week sells 4 of 14: fill rate 16 / 56 = 2/7; 5 stock-out days a week → 20;
    # every one of the 4 cycles (receipts on days 9, 16, 23) is short → cycle service level 0;
    # end-of-day stock: 2 on days 0, 9, 16, 23 → average 8 / 28.
    result = replay(
        constant_history(),
        items(),
        policy="classic",
        classic={"mode": "days", "safety_days": 0},
    )
    product = result.products.iloc[0]
    assert product.fill_rate == pytest.approx(2 / 7)
    assert product.lost_units == pytest.approx(40.0)
    assert product.stockout_days == 20
    assert (product.cycles, product.cycle_service_level) == (4, 0.0)
    assert product.avg_on_hand == pytest.approx(8 / 28)
    assert product.orders == 3
    assert list(result.decisions.reorder_point) == pytest.approx([4.0] * 4)


def test_lot_sizes_in_the_replay():
    # As the first test with packs of 10: day 7 needs 14 → 20 (arrives day 9, end of day 13: 10);
    # day 14: position 10 needs 8 → 10 (end of day 20: 6); day 21: position 6 needs 12 → 20.
    result = replay(constant_history(), items(multiple=10.0))
    assert list(result.decisions.qty) == pytest.approx([0.0, 20.0, 10.0, 20.0])
    assert list(result.decisions.position) == pytest.approx([18.0, 4.0, 10.0, 6.0])
    assert result.products.fill_rate[0] == pytest.approx(1.0)


def test_lead_time_draws_are_seeded_and_without_spread_change_nothing():
    history = constant_history()
    fixed = replay(history, items())
    drawn = replay(history, items(lead_time_std=0.0), random_lead_times=True, seed=3)
    pd.testing.assert_frame_equal(fixed.decisions, drawn.decisions)
    spread = items(lead_time_std=1.5)
    first = replay(history, spread, random_lead_times=True, seed=3)
    again = replay(history, spread, random_lead_times=True, seed=3)
    pd.testing.assert_frame_equal(first.decisions, again.decisions)
    delays = (first.decisions.arrival - first.decisions.date).dropna().dt.days
    assert (delays >= 0).all()


def test_classes_add_up_the_products():
    # Product 1 (A) as in the first test, product 2 (B) sells 4 a day: S = 36, 3 orders of 28,
    # average on hand 14 (twice product 1's), nothing lost.
    history = pd.concat([constant_history((1,)), constant_history((2,), qty=4.0)])
    frame = pd.DataFrame({"product_id": [1, 2], "lead_time_days": [2.0, 2.0], "abc": ["a", "B"]})
    result = replay(history, frame, service_levels={"A": 0.99, "B": 0.9})
    classes = result.classes.set_index("abc")
    assert list(classes.index) == ["A", "B", "ALL"]
    assert list(classes.products) == [1, 1, 2]
    assert list(classes.target[:2]) == [0.99, 0.9]
    assert list(classes.demand) == [56.0, 112.0, 168.0]
    assert list(classes.avg_on_hand) == pytest.approx([7.0, 14.0, 21.0])
    assert list(classes.orders) == [3, 3, 6]
    # 21 units on hand for 168 / 28 = 6 a day: 3.5 days
    assert classes.loc["ALL", "days_of_demand"] == pytest.approx(3.5)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"policy": "magic"}, "policy"),
        ({"review_days": 0}, "review_days"),
        ({"review_days": 1.5}, "review_days"),
        ({"refit_days": -1}, "refit_days"),
        ({"classic": "days"}, "classic"),
        ({"start": "2020-01-01"}, "start"),
        ({"items": pd.DataFrame({"product_id": [1]})}, "lead_time_days"),
        ({"service_levels": {"B": 0}}, "service level"),
    ],
)
def test_wrong_arguments_raise_value_error(arguments, message):
    call = {"items": items(), **arguments}
    with pytest.raises(ValueError, match=message):
        simulate_policy(constant_history(), **call)


def test_a_refit_review_decides_as_plan_orders_on_the_history_known_that_day():
    products, history = generate_demand(12, n_days=300, seed=5, end_date=END)
    frame = pd.DataFrame(
        {
            "product_id": products.product_id,
            "lead_time_days": products.lead_time_days.astype(float),
            "abc": ["A", "B", "C"] * 4,
            "multiple": [1.0, 6.0] * 6,
        }
    )
    start = END - pd.Timedelta(days=20)  # reviews on 3 days, each a refit
    result = simulate_policy(history, frame, start=start, refit_days=7, method="ets")
    assert result.info["refits"] == 3
    review = result.decisions[result.decisions.date == start + pd.Timedelta(days=14)]
    plan = plan_orders(
        history,
        frame.assign(stock=review.position.to_numpy()),
        as_of=start + pd.Timedelta(days=13),
        review_days=7,
        method="ets",
    )
    assert list(review.order_up_to) == pytest.approx(list(plan.order_up_to))
    assert list(review.qty) == pytest.approx(list(plan.suggested_qty))


@pytest.mark.parametrize(
    ("review_days", "refit_days", "expected"),
    [
        # weekly reviews of a 365-day window (days 0..364): refits on days 0, 126, 252; day 364
        # is due for the 91-day schedule but in the last 45.5 days
        (7, 120, [0, 126, 252]),
        (7, 91, [0, 91, 182, 273]),
        (7, 7, list(range(0, 365, 7))),  # every review: the exact replay
        (1, 400, [0]),
    ],
)
def test_refit_schedule(review_days, refit_days, expected):
    origins = list(range(0, 365, review_days))
    refits = _refit_reviews(origins, review_days, refit_days, 364)
    assert [origin for origin, refit in zip(origins, refits) if refit] == expected


def test_launch_ends_by_hand():
    # Reviews on days 5, 12, 19 (weekly). A review on day o decides on the days before o.
    # f = 0: sold before the first review → measured from the first review, day 5;
    # f = 5: a sale on the first review's day is known from the review of day 12 → 12 + 2 = 14;
    # f = 10: first review after it 12, lead 2 → 14;  f = 12 → 19 + 2 = 21;
    # f = 13, lead 3.5 (rounded up to 4 days, as the replay delivers) → 19 + 4 = 23;
    # f = 40 (never sold, D = 40): no review knows it → after the last review (19 + 7) + 1 = 27.
    first_sales = np.array([0, 5, 10, 12, 13, 40])
    lead = np.array([2.0, 2.0, 2.0, 2.0, 3.5, 1.0])
    assert list(launch_ends(first_sales, [5, 12, 19], lead)) == [5, 14, 14, 21, 23, 27]


def test_a_launch_inside_the_window_is_reported_apart():
    # Product 1 sells 2 a day since long before the window (as in the first test); product 2 is
    # launched on day 3 of the 28-day window, 2 a day, lead time 2, weekly reviews (days 0, 7,
    # 14, 21). The first review knowing its first sale is day 7; its order arrives on day 9.
    # Days 3-8 (6 days x 2 = 12 units) are its launch period: nothing on hand, all 12 lost,
    # reported as launch_demand = launch_lost = 12 and not in its outcome: demand counted
    # 25 x 2 - 12 = 38 (days 9-27), and no stock-out day before day 9.
    launched = constant_history((2,), days=25)
    history = pd.concat([constant_history((1,)), launched])
    frame = pd.DataFrame({"product_id": [1, 2], "lead_time_days": [2.0, 2.0], "abc": ["B", "B"]})
    result = replay(history, frame)
    products = result.products.set_index("product_id")
    assert products.loc[1, "launch_demand"] == 0.0 and products.loc[1, "demand"] == 56.0
    assert products.loc[1, "fill_rate"] == pytest.approx(1.0)
    assert products.loc[2, "launch_demand"] == 12.0
    assert products.loc[2, "launch_lost"] == pytest.approx(12.0)
    assert products.loc[2, "demand"] == 38.0
    assert products.loc[2, "sold"] + products.loc[2, "lost_units"] == pytest.approx(38.0)
    assert products.loc[2, "stockout_days"] <= 28 - 9
    decisions = result.decisions[result.decisions.product_id == 2]
    assert list(decisions.qty[:1]) == [0.0]  # day 0: nothing known, nothing ordered
    # the first order is the one of day 7, arriving on day 9
    first_order = decisions[decisions.qty > 0].iloc[0]
    assert first_order.date == WINDOW_START + pd.Timedelta(days=7)
    assert first_order.arrival == WINDOW_START + pd.Timedelta(days=9)
    # the class adds the launch columns up: 0 + 12 units of launch demand, all lost
    classes = result.classes.set_index("abc")
    assert classes.loc["B", "launch_demand"] == 12.0
    assert classes.loc["B", "launch_lost"] == pytest.approx(12.0)
    assert classes.loc["B", "demand"] == 56.0 + 38.0
    # days of demand count the launch demand too: (56 + 50) / 28 units a day
    assert classes.loc["B", "days_of_demand"] == pytest.approx(
        classes.loc["B", "avg_on_hand"] / ((56.0 + 50.0) / 28)
    )
