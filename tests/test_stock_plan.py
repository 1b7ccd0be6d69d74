"""Tests of tools.stock_plan: the purchases, receipts and stock behind a sales history.

Most cases use one product selling 2 units every day, a vendor delay of 3 days and day 0 a Monday,
with the lead-time spread set to 0 so that every order arrives exactly 3 days later. By hand:

* first four weeks: mean d = 2, variance 0; review cycle R = rint(21 / sqrt(2)) = rint(14.85) = 15;
  opening stock = ceil(d × (L + R) + z × sqrt(L × 0)) = ceil(2 × 18) = 36;
* reorder point s = d × L + z × sqrt(L × 0 + (d × L × 0)²) = 6, order up to S = s + d × R = 36;
* the stock at the end of day t is 36 − 2 (t + 1): it reaches 6 at the end of day 14 (a Monday),
  when 36 − 6 = 30 is ordered (rounded to 5 above 20: 30); it arrives on day 17 (Thursday);
* from 30 at the end of day 17 it is 6 again at the end of day 29 (Tuesday): 30 more, arriving on
  day 32 (Friday); at the end of day 39 the stock is 30 − 2 × 7 = 16.
"""

import numpy as np
import pandas as pd
import pytest
from tools import (
    customer_count,
    deliver_on_time_around_stockouts,
    delivery_matrix,
    generate_demand,
    layout_orders,
    plan_replenishment,
    plan_sales_history,
    stock_plan,
)

DAYS = 40


@pytest.fixture
def exact_lead_times(monkeypatch):
    monkeypatch.setattr(stock_plan, "LEAD_TIME_SPREAD", 0.0)


def steady(days=DAYS, **overrides):
    """One product, 2 units a day from day 0, vendor delay 3, ending with ``on_hand_end``."""
    deliveries = np.full((1, days), 2.0)
    for day, qty in overrides.pop("demand", {}).items():
        deliveries[0, day] = qty
    arguments = {
        "first_day": [0],
        "lead_time_days": [3],
        "vendor_index": [0],
        "on_hand_end": [16],
    }
    arguments.update(overrides)
    return deliveries, arguments


def rebuilt_stock(plan, deliveries):
    """End-of-day stock from the plan's opening stock and done receipts minus the deliveries."""
    n_products, n_days = deliveries.shape
    inflow = np.zeros((n_products, n_days + 1))
    np.add.at(inflow, (plan.opening["product"], plan.opening["day"]), plan.opening["qty"])
    done = plan.receipts[plan.receipts["done"]]
    np.add.at(inflow, (done["product"], done["day"]), done["qty"])
    return np.cumsum(inflow[:, :n_days] - deliveries, axis=1)


def test_steady_demand_orders_by_hand(exact_lead_times):
    deliveries, arguments = steady()
    plan = plan_replenishment(deliveries, **arguments)
    assert plan.opening.to_dict("records") == [{"product": 0, "day": 0, "qty": 36.0}]
    assert plan.orders.to_dict("records") == [
        {"order": 0, "vendor": 0, "day": 14},
        {"order": 1, "vendor": 0, "day": 29},
    ]
    assert plan.lines[["order", "day", "planned_day", "qty"]].to_dict("records") == [
        {"order": 0, "day": 14, "planned_day": 17, "qty": 30.0},
        {"order": 1, "day": 29, "planned_day": 32, "qty": 30.0},
    ]
    assert plan.receipts[["line", "day", "qty", "done"]].to_dict("records") == [
        {"line": 0, "day": 17, "qty": 30.0, "done": True},
        {"line": 1, "day": 32, "qty": 30.0, "done": True},
    ]
    expected = [36 - 2 * (t + 1) for t in range(17)]  # 34 .. 2
    expected += [30 - 2 * k for k in range(15)]  # days 17 .. 31: 30 .. 2
    expected += [30 - 2 * k for k in range(8)]  # days 32 .. 39: 30 .. 16
    assert plan.stock[0].tolist() == expected
    np.testing.assert_array_equal(rebuilt_stock(plan, deliveries), plan.stock)


def test_orders_are_placed_on_working_days(exact_lead_times):
    # Day 0 a Sunday: day 14 (stock 6) is a Sunday too. The order waits for Monday, day 15, when
    # the stock is 4: 36 − 4 = 32, rounded to 35.
    assert pd.Timestamp("2026-03-01").day_of_week == 6
    deliveries, arguments = steady()
    plan = plan_replenishment(deliveries, start=pd.Timestamp("2026-03-01"), **arguments)
    assert plan.orders["day"].iloc[0] == 15
    assert plan.lines["qty"].iloc[0] == 35.0
    weekdays = (plan.orders["day"] + 6) % 7
    assert (weekdays < 5).all()


def test_final_stock_is_reached_from_the_last_receipts(exact_lead_times):
    deliveries, arguments = steady(on_hand_end=[20])
    plan = plan_replenishment(deliveries, **arguments)
    # 4 more on the last receipt (day 32): 34 ordered, and 4 more from day 32 on.
    assert plan.lines["qty"].tolist() == [30.0, 34.0]
    assert plan.stock[0, 31] == 2 and plan.stock[0, 32] == 34 and plan.stock[0, -1] == 20

    deliveries, arguments = steady(on_hand_end=[10])
    plan = plan_replenishment(deliveries, **arguments)
    # 6 less: the last receipt is 24; its stock from day 32 (30 .. 16) is 24 .. 10, never below 1.
    assert plan.lines["qty"].tolist() == [30.0, 24.0]
    assert plan.stock[0, -1] == 10 and plan.stock.min() == 2

    deliveries, arguments = steady(on_hand_end=[0])
    plan = plan_replenishment(deliveries, **arguments)
    # 16 less: 14 received on day 32, and the shelf is empty tonight.
    assert plan.lines["qty"].tolist() == [30.0, 14.0]
    assert plan.stock[0, -1] == 0 and plan.stock.min() == 0


def test_a_stockout_empties_the_shelf_with_a_short_receipt(exact_lead_times):
    # 42 days; no sale on days 36-40 (after the first four weeks: the same orders as above until
    # then). Tonight (day 35) the stock would be 30 − 2 × 3 = 24: the receipt of day 32 is short
    # by 24 (6 received), the 24 come as a backorder on day 41 (22 left that night, the last).
    deliveries, arguments = steady(
        days=42, demand=dict.fromkeys(range(36, 41), 0), on_hand_end=[22]
    )
    plan = plan_replenishment(deliveries, stockout_start=[36], stockout_end=[40], **arguments)
    second = plan.receipts[plan.receipts["line"] == 1]
    assert second[["day", "qty"]].to_dict("records") == [
        {"day": 32, "qty": 6.0},
        {"day": 41, "qty": 24.0},
    ]
    assert plan.lines["qty"].iloc[1] == 30.0  # ordered whole, received in two parts
    assert plan.stock[0, 31:42].tolist() == [2, 6, 4, 2, 0, 0, 0, 0, 0, 0, 22]
    arrivals = plan.receipts["day"]
    assert not ((arrivals >= 36) & (arrivals <= 40)).any()
    np.testing.assert_array_equal(rebuilt_stock(plan, deliveries), plan.stock)


def test_an_order_due_during_a_stockout_is_late(exact_lead_times):
    # 35 days; no sale on days 31-33. The order of day 29 (due day 32) arrives on day 34. Tonight
    # (day 30) the stock would be 4: the receipt of day 17 was short by 4 (26 received, from 26 at
    # the end of day 17 down to 0 tonight), the 4 come with the late order: 30 + 4 − 2 = 32 left.
    deliveries, arguments = steady(
        days=35, demand=dict.fromkeys(range(31, 34), 0), on_hand_end=[32]
    )
    plan = plan_replenishment(deliveries, stockout_start=[31], stockout_end=[33], **arguments)
    late = plan.lines.iloc[1]
    assert (late["day"], late["planned_day"]) == (29, 32)
    assert plan.receipts[plan.receipts["line"] == 1]["day"].tolist()[0] == 34
    first = plan.receipts[plan.receipts["line"] == 0]
    assert first[["day", "qty"]].to_dict("records") == [
        {"day": 17, "qty": 26.0},
        {"day": 34, "qty": 4.0},
    ]
    assert plan.stock[0, 17] == 26
    assert plan.stock[0, 29:35].tolist() == [2, 0, 0, 0, 0, 30 + 4 - 2]


def test_a_stockout_before_any_receipt_shortens_the_opening_stock(exact_lead_times):
    # No sale on days 8-9: the first four weeks average 52 / 28 = 1.857 a day (variance
    # 104 / 28 − 1.857² = 0.265), R = rint(21 / 1.363) = 15, opening ceil(1.857 × 18 + 2.05 ×
    # sqrt(3 × 0.265)) = ceil(35.26) = 36. Tonight (day 7) 36 − 16 = 20 are left: the opening
    # count was 16, and an order placed tonight (too late: due day 10) brings those 20 plus a
    # review cycle of demand, ceil(1.919 × 15) = 29 (the mean has moved towards 2: 2 − 0.143 ×
    # (1 − 2/29)^8). 20 days: 49 − 2 = 47 on day 10, 29 on day 19.
    deliveries, arguments = steady(days=20, demand={8: 0, 9: 0}, on_hand_end=[29])
    plan = plan_replenishment(deliveries, stockout_start=[8], stockout_end=[9], **arguments)
    assert plan.opening["qty"].tolist() == [16.0]
    first = plan.lines.iloc[0]
    assert (first["day"], first["qty"]) == (7, 49.0)
    assert plan.receipts[plan.receipts["line"] == 0]["day"].tolist() == [10]
    assert plan.stock[0, 7:11].tolist() == [0, 0, 0, 47]


def test_a_stockout_until_today_leaves_the_orders_to_receive(exact_lead_times):
    deliveries, arguments = steady(demand=dict.fromkeys(range(35, DAYS), 0))
    plan = plan_replenishment(
        deliveries, stockout_start=[35], stockout_end=[39], **dict(arguments, on_hand_end=[0])
    )
    assert plan.stock[0, 34:].tolist() == [0] * 6
    waiting = plan.receipts[~plan.receipts["done"]]
    assert len(waiting) and (waiting["day"] == DAYS).all()
    np.testing.assert_array_equal(rebuilt_stock(plan, deliveries), plan.stock)


def test_a_spike_the_stock_does_not_cover_was_bought(exact_lead_times):
    # 30 days; day 28 sells 40: tonight the stock would be 30 − 2 × 10 − 40 = −30. The buyer had
    # bought 30 more plus a day of demand (2) on the last receipt (day 17), 2 are left tonight.
    # The mean jumps to d = 2 + 2/29 × 38 = 4.621 and the variance to 27/29 × 2/29 × 38² = 92.73:
    # s = 3d + 2.05 × sqrt(3 × 92.73) = 48.05, an order of ceil(48.05 + 15d − 2) = 116 → 120,
    # due day 31, after the last day. Day 29 empties the shelf (2 − 2): ceil(d) = 5 more had
    # been bought too, 5 left tonight. The receipt of day 17 was 30 + 32 + 5 = 67.
    deliveries, arguments = steady(days=30, demand={28: 40.0}, on_hand_end=[5])
    plan = plan_replenishment(deliveries, **arguments)
    assert plan.lines[["day", "qty"]].to_dict("records") == [
        {"day": 14, "qty": 67.0},
        {"day": 28, "qty": 120.0},
    ]
    assert plan.receipts[["day", "done"]].to_dict("records") == [
        {"day": 17, "done": True},
        {"day": 31, "done": False},
    ]
    assert plan.stock[0, 17] == 67 and plan.stock[0, 27:].tolist() == [47, 7, 5]
    np.testing.assert_array_equal(rebuilt_stock(plan, deliveries), plan.stock)


def test_a_buffer_and_where_extra_stock_comes_from(exact_lead_times):
    # 5 days of buffer: opening ceil(2 × (3 + 15 + 5)) = 46, s = 2 × (3 + 5) = 16, S = 46. The
    # stock is 16 at the end of day 14: 30 ordered, due day 17 (12 the night before, 40 then);
    # 16 again on day 29: 30 more, due day 32; 40 − 2 × 7 = 26 at the end of day 39.
    deliveries, arguments = steady(on_hand_end=[26])
    plan = plan_replenishment(deliveries, buffer_days=[5], **arguments)
    assert plan.opening["qty"].tolist() == [46.0]
    assert plan.lines[["day", "qty"]].to_dict("records") == [
        {"day": 14, "qty": 30.0},
        {"day": 29, "qty": 30.0},
    ]
    assert plan.stock[0, [16, 17, 31, 32, 39]].tolist() == [12, 40, 12, 40, 26]
    # Ending with 30 instead of 16 (no buffer): the 14 more come with the first receipt from day
    # 15 (day 17) and stay: 44 received on day 17, 30 left on day 39.
    deliveries, arguments = steady(on_hand_end=[30])
    plan = plan_replenishment(deliveries, excess_from_day=[15], **arguments)
    assert plan.lines["qty"].tolist() == [44.0, 30.0]
    assert plan.stock[0, 16] == 2 and plan.stock[0, 17] == 44 and plan.stock[0, -1] == 30


def test_bad_arguments_are_refused():
    deliveries, arguments = steady()
    with pytest.raises(ValueError, match="non-negative"):
        plan_replenishment(-deliveries, **arguments)
    with pytest.raises(ValueError, match="one value per product"):
        plan_replenishment(deliveries, **dict(arguments, vendor_index=[0, 1]))
    with pytest.raises(ValueError, match="before its first_day"):
        plan_replenishment(deliveries, **dict(arguments, first_day=[3]))
    with pytest.raises(ValueError, match="during its stock-out"):
        plan_replenishment(deliveries, stockout_start=[5], stockout_end=[8], **arguments)
    quiet, arguments = steady(demand=dict.fromkeys(range(35, DAYS), 0))
    with pytest.raises(ValueError, match="end with no stock"):
        plan_replenishment(quiet, stockout_start=[35], stockout_end=[39], **arguments)
    with pytest.raises(ValueError, match="start <= end"):
        plan_replenishment(quiet, stockout_start=[36], stockout_end=[35], **arguments)
    with pytest.raises(ValueError, match="buffer_days"):
        plan_replenishment(deliveries, buffer_days=[-1], **arguments)


def test_delivery_matrix_and_on_time_deliveries_around_stockouts():
    orders = pd.DataFrame(
        {
            "order_index": [0, 1, 2],
            "date_order": pd.to_datetime(
                ["2026-01-01 09:00", "2026-01-02 09:00", "2026-01-02 10:00"]
            ),
            "date_done": pd.to_datetime(
                ["2026-01-01 11:00", "2026-01-04 11:00", "2026-01-05 12:00"]
            ),
            "late_days": [0, 2, 3],
        }
    )
    lines = pd.DataFrame(
        {"order_index": [0, 1, 1, 2], "product_id": [1, 1, 2, 2], "qty": [1.0, 2.0, 3.0, 4.0]}
    )
    matrix = delivery_matrix(orders, lines, "2026-01-01", 5, 2)
    assert matrix.tolist() == [[1, 0, 0, 2, 0], [0, 0, 0, 3, 4]]
    # Product 1 is out of stock on 01-04 and 01-05: order 1 (late into it) is delivered on its
    # order day instead (2 days earlier, 01-02 11:00); order 2 (product 2 only) stays late.
    fixed = deliver_on_time_around_stockouts(
        orders,
        lines,
        pd.to_datetime(["2026-01-04", None]),
        pd.to_datetime(["2026-01-05", None]),
    )
    assert (
        fixed["date_done"].tolist()
        == pd.to_datetime(["2026-01-01 11:00", "2026-01-02 11:00", "2026-01-05 12:00"]).tolist()
    )
    assert fixed["late_days"].tolist() == [0, 0, 3]


@pytest.fixture(scope="module")
def sample_plan():
    """The demo's 150 products, orders and deliveries, and their plan."""
    end = pd.Timestamp("2026-03-31")
    dates = pd.date_range(end=end, periods=730, freq="D")
    products, history = generate_demand(150, seed=2024, end_date=end)
    orders, lines = layout_orders(history, customer_count(150), seed=2024, now=end)
    orders, plan = plan_sales_history(products, orders, lines, dates[0], 730, seed=2024)
    deliveries = delivery_matrix(orders, lines, dates[0], 730, 150)
    return products, deliveries, plan, dates


def test_sample_stock_never_negative_and_ends_at_todays(sample_plan):
    products, deliveries, plan, _dates = sample_plan
    assert plan.stock.min() >= 0
    np.testing.assert_array_equal(rebuilt_stock(plan, deliveries), plan.stock)
    np.testing.assert_array_equal(plan.stock[:, -1], products["on_hand"].to_numpy())
    # A line is the sum of its receipts; every receipt arrives after its order.
    by_line = plan.receipts.groupby("line")["qty"].sum()
    np.testing.assert_array_equal(by_line.to_numpy(), plan.lines["qty"].to_numpy())
    order_day = plan.lines["day"].to_numpy()[plan.receipts["line"]]
    assert (plan.receipts["day"].to_numpy() > order_day).all()
    assert plan.orders["day"].is_monotonic_increasing


def test_sample_stock_value_is_steady_and_overstock_is_old(sample_plan):
    products, _deliveries, plan, _dates = sample_plan
    value = (plan.stock * products["standard_price"].to_numpy()[:, None]).sum(axis=0)
    # The policy holds about today's cover all along: no jump at the end.
    assert 0.8 <= value[-1] / value[-365:].mean() <= 1.2
    assert 0.7 <= value[-31] / value[-1] <= 1.3
    # The overstock was bought six months to a year ago and has stayed since.
    over = (products["stock_status"] == "overstock").to_numpy()
    assert over.any()
    assert (plan.stock[over, -180] >= 0.5 * plan.stock[over, -1]).all()


def test_sample_stockouts_have_no_stock(sample_plan):
    products, deliveries, plan, dates = sample_plan
    start = (products["stockout_start"] - dates[0]).dt.days
    end = (products["stockout_end"] - dates[0]).dt.days
    windows = products.index[start.notna()]
    assert len(windows) >= 10
    empty = np.zeros(plan.stock.shape, dtype=bool)
    for row in windows:
        first, last = int(start[row]), int(end[row])
        assert (plan.stock[row, first : last + 1] == 0).all()
        # Emptied by the last sale before the window: no sale between it and the window.
        sold = np.flatnonzero(deliveries[row, :first] > 0)
        empty[row, sold[-1] : last + 1] = True
    listed = (
        np.arange(730)[None, :]
        >= (products["first_sale_date"] - dates[0]).dt.days.to_numpy()[:, None]
    )
    # Outside the stock-outs (and the quiet days just before them) the shelf is never empty.
    assert not ((plan.stock == 0) & listed & ~empty).any()


def test_sample_lead_times_vary_around_the_vendor_delay(sample_plan):
    products, _deliveries, plan, _dates = sample_plan
    first = plan.receipts.drop_duplicates("line")
    first = first[first["done"]]
    lead = first["day"].to_numpy() - plan.lines["day"].to_numpy()[first["line"]]
    delay = products["lead_time_days"].to_numpy()[first["product"]]
    ratio = lead / delay
    assert 0.9 <= np.median(ratio) <= 1.15
    assert (ratio < 0.9).mean() > 0.1 and (ratio > 1.2).mean() > 0.1
    assert (lead >= 1).all()


def test_sample_plan_is_deterministic(sample_plan):
    products, _deliveries, plan, dates = sample_plan
    _products, history = generate_demand(150, seed=2024, end_date=dates[-1])
    orders, lines = layout_orders(history, customer_count(150), seed=2024, now=dates[-1])
    _orders, again = plan_sales_history(products, orders, lines, dates[0], 730, seed=2024)
    pd.testing.assert_frame_equal(again.receipts, plan.receipts)
    pd.testing.assert_frame_equal(again.lines, plan.lines)
    np.testing.assert_array_equal(again.stock, plan.stock)
