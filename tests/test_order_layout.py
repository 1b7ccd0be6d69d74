"""Tests of tools.order_layout: history rows grouped into customer orders and deliveries."""

import pandas as pd
import pytest
from tools import customer_count, customer_names, generate_demand, layout_orders

END = pd.Timestamp("2026-03-31")
NOW = pd.Timestamp("2026-03-31 12:00:00")


@pytest.fixture(scope="module")
def layout():
    _products, history = generate_demand(60, seed=4, end_date=END)
    orders, lines = layout_orders(history, 12, seed=4, now=NOW)
    return history, orders, lines


def test_every_history_row_is_one_order_line(layout):
    history, _orders, lines = layout
    assert len(lines) == len(history)
    merged = lines.groupby(["product_id", "date"])["qty"].sum()
    expected = history.groupby(["product_id", "date"])["qty"].sum()
    pd.testing.assert_series_equal(merged.sort_index(), expected.sort_index())


def test_one_order_per_customer_and_day(layout):
    _history, orders, lines = layout
    assert not orders.duplicated(["customer_index", "date"]).any()
    per_order = lines.groupby("order_index")[["customer_index", "date"]].nunique()
    assert (per_order == 1).all().all()
    assert set(lines["order_index"]) == set(orders["order_index"])
    # Lines of an order are numbered 10, 11, ... and a product appears once per order.
    first = lines.groupby("order_index")["sequence"].min()
    assert (first == 10).all()
    assert not lines.duplicated(["order_index", "product_id"]).any()


def test_orders_are_chronological_and_never_in_the_future(layout):
    _history, orders, _lines = layout
    assert orders["order_index"].tolist() == list(range(len(orders)))
    assert orders["date_order"].is_monotonic_increasing
    assert (orders["date_order"] <= NOW).all()
    assert (orders["date_done"] <= NOW).all()
    assert (orders["date_done"] >= orders["date_order"]).all()
    # Orders are placed on their day between 08:00 and 17:00 (or at NOW for today's).
    same_day = orders["date_order"].dt.normalize() == orders["date"]
    assert same_day.all()
    past = orders["date"] < END
    hours = orders.loc[past, "date_order"].dt.hour
    assert hours.between(8, 16).all()


def test_some_deliveries_are_late(layout):
    _history, orders, _lines = layout
    late = orders["late_days"] > 0
    # About 5 % of the orders are delivered 1-3 days late.
    assert 0.01 < late.mean() < 0.1
    assert orders.loc[late, "late_days"].between(1, 3).all()


def test_key_accounts_buy_more_than_small_customers(layout):
    _history, _orders, lines = layout
    share = lines["customer_index"].value_counts(normalize=True)
    assert len(share) == 12
    # Weights 1/rank^0.8: the top customer has ~16 % of the lines, the smallest ~2.3 %.
    assert share.max() > 3 * share.min()


def test_same_seed_same_layout():
    _products, history = generate_demand(20, seed=1, end_date=END)
    first = layout_orders(history, 5, seed=3, now=NOW)
    second = layout_orders(history, 5, seed=3, now=NOW)
    pd.testing.assert_frame_equal(first[0], second[0])
    pd.testing.assert_frame_equal(first[1], second[1])


def test_customer_names_and_counts():
    names = customer_names(250)
    assert len(set(names)) == 250
    assert customer_count(150) == 12 and customer_count(10000) == 200


def test_code_prefix_keeps_catalogues_apart():
    plain, _ = generate_demand(10, seed=0, end_date=END)
    prefixed, _ = generate_demand(10, seed=0, end_date=END, code_prefix="BENCH-")
    assert (("BENCH-" + plain["default_code"]) == prefixed["default_code"]).all()


@pytest.mark.parametrize(
    ("history", "customers", "message"),
    [
        (pd.DataFrame({"product_id": [1], "date": [END], "qty": [1.0]}), 0, "n_customers"),
        (pd.DataFrame({"product_id": [1], "qty": [1.0]}), 3, "date"),
    ],
)
def test_bad_arguments_raise_value_error(history, customers, message):
    with pytest.raises(ValueError, match=message):
        layout_orders(history, customers)
