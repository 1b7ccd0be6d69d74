"""Group a daily sales history into customer orders and deliveries (pure, deterministic).

:func:`layout_orders` turns the rows of :func:`~.demand_generator.generate_demand`'s history
(one row per product and day with a sale) into the documents a company would have: each row goes
to one customer, chosen with a skewed (Zipf-like) preference so a few key accounts buy most;
one customer's rows of one day form one order (one order per customer per day, several lines).
Orders are numbered in chronological order, get a time of day between 08:00 and 17:00 and a
delivery: the same day two hours later, or 1-3 days late for about 5 % of the orders. No time is
after ``now``, so today's orders are never in the future.
"""

import datetime

import numpy as np
import pandas as pd

CUSTOMER_FIRST_WORDS = (
    "Brightline",
    "Northgate",
    "Cedar",
    "Harbour",
    "Summit",
    "Riverside",
    "Ironwood",
    "Westfield",
    "Bluestone",
    "Greenacre",
    "Kingsbridge",
    "Lakeview",
    "Redhill",
    "Silverbirch",
    "Oakmont",
    "Highmoor",
)
CUSTOMER_SECOND_WORDS = (
    "Builders",
    "Renovations",
    "Facility Services",
    "Hardware",
    "Maintenance",
    "Landscaping",
    "Electrics",
    "Plumbing & Heating",
    "Construction",
    "Property Care",
    "Joinery",
    "Workshop",
    "Contractors",
)


def customer_names(n_customers):
    """``n_customers`` distinct customer company names."""
    names = []
    firsts, seconds = len(CUSTOMER_FIRST_WORDS), len(CUSTOMER_SECOND_WORDS)
    for index in range(n_customers):
        first = CUSTOMER_FIRST_WORDS[index % firsts]
        second = CUSTOMER_SECOND_WORDS[(index // firsts + index) % seconds]
        series = index // (firsts * seconds)
        names.append(f"{first} {second}" + (f" {series + 1}" if series else ""))
    return names


def customer_count(n_products):
    """Number of customers for a catalogue of ``n_products`` (12 to 200)."""
    return int(min(200, max(12, n_products // 50)))


def layout_orders(history, n_customers, seed=0, now=None):
    """Assign history rows to customer orders and deliveries.

    :param history: DataFrame with at least ``product_id``, ``date``, ``qty`` (one row per product
        and day, as :func:`generate_demand` returns).
    :param int n_customers: number of customers (>= 1).
    :param int seed: random seed (customer choice, times of day, late deliveries).
    :param now: latest allowed timestamp (default: the current time); naive, same clock as dates.
    :return: ``(orders, lines)``. ``orders``: one row per order, ``order_index`` 0..n-1 in
        chronological order, ``customer_index``, ``date`` (day), ``date_order`` and ``date_done``
        (timestamps, ``date_done >= date_order``), ``late_days``. ``lines``: the history rows
        sorted by order then product, plus ``order_index``, ``customer_index`` and ``sequence``
        (10, 11, ... within each order).
    :raises ValueError: when ``n_customers`` < 1 or a column is missing.
    """
    if int(n_customers) < 1:
        raise ValueError("n_customers must be at least 1")
    missing = {"product_id", "date", "qty"} - set(history.columns)
    if missing:
        raise ValueError(f"history lacks the columns: {', '.join(sorted(missing))}")
    now = pd.Timestamp(now if now is not None else datetime.datetime.now())
    rng = np.random.default_rng([seed, 1])
    weights = 1 / np.arange(1, n_customers + 1) ** 0.8
    weights = weights[rng.permutation(n_customers)]  # key accounts are not customer 0, 1, 2...
    lines = history.copy()
    lines["date"] = pd.to_datetime(lines["date"]).dt.normalize()
    lines["customer_index"] = rng.choice(n_customers, size=len(lines), p=weights / weights.sum())
    lines = lines.sort_values(["date", "customer_index", "product_id"], kind="stable")
    lines = lines.reset_index(drop=True)
    key = lines[["date", "customer_index"]]
    starts = key.ne(key.shift()).any(axis=1).to_numpy()
    lines["order_index"] = np.cumsum(starts) - 1
    lines["sequence"] = lines.groupby("order_index").cumcount() + 10

    orders = lines.loc[starts, ["order_index", "customer_index", "date"]].reset_index(drop=True)
    n_orders = len(orders)
    minutes = rng.integers(8 * 60, 17 * 60, n_orders)
    date_order = orders["date"] + pd.to_timedelta(minutes, unit="min")
    late_days = np.where(rng.random(n_orders) < 0.05, rng.integers(1, 4, n_orders), 0)
    date_done = date_order + pd.to_timedelta(late_days, unit="D") + pd.Timedelta(hours=2)
    orders["date_order"] = date_order.where(date_order <= now, now)
    orders["date_done"] = date_done.where(date_done <= now, now)
    orders["late_days"] = late_days
    # Minutes sort orders within a day; keep order_index chronological.
    orders = orders.sort_values(["date_order", "order_index"], kind="stable").reset_index(drop=True)
    renumber = np.empty(n_orders, dtype=int)
    renumber[orders["order_index"].to_numpy()] = np.arange(n_orders)
    orders["order_index"] = np.arange(n_orders)
    lines["order_index"] = renumber[lines["order_index"].to_numpy()]
    lines = lines.sort_values(["order_index", "sequence"], kind="stable").reset_index(drop=True)
    return orders, lines
