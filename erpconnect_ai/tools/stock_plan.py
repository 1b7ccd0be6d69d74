"""Purchases, receipts and stock behind a sales history: a day-by-day replenishment simulation.

A real company's stock comes in through purchase orders and goes out through deliveries.
:func:`plan_replenishment` takes the deliveries of a sales history (products × days) and simulates
how a buyer following a simple policy bought what was delivered, one day at a time for all
products at once (numpy). Pure and seeded: the same arguments always give the same plan.

* **Listing.** A product exists from its first sale day (``first_day``), when its opening stock
  is counted in: its lead time, one review cycle and its buffer of the demand of its first four
  weeks, plus a safety stock.
* **Policy.** On working days (Monday to Friday) every product whose inventory position (on hand
  plus ordered, not received) is at or below its reorder point ``s = d·(L + B) + z·σ`` is ordered
  up to ``S = s + d·R``. ``d`` is an exponentially weighted mean of the daily deliveries (span
  :data:`FORECAST_SPAN_DAYS`), ``σ`` the spread of the lead-time demand (demand variance and
  lead-time spread), ``L`` the product's vendor delay, ``R`` a review cycle of 7 to 90 days (the
  slower the product, the longer), ``B`` days of demand the company keeps on top (``buffer_days``,
  default 0). The lines one vendor gets on one day form one purchase order.
* **Lead times** vary around the vendor's delay: a purchase order arrives ``round(delay × e^ε)``
  days after it was placed (``ε ~ N(0, LEAD_TIME_SPREAD²)``, at least one day; ``delay`` the mean
  delay of the vendor's products), on the Monday after when that falls on a weekend.
* **Stock-outs** (``stockout_start`` to ``stockout_end``: days without deliveries of the product,
  its sales lost) really have no stock. The last receipts before the window are short — what is
  missing comes as a backorder the day after the window — and the orders due during the window
  arrive late, the day after it. When nothing would arrive that day, an order placed one lead time
  before it (a deliberately skipped order, placed too late) does. A window reaching the last day
  stays open: its backorders and late orders are still to receive.
* **Never below zero.** A delivery the stock would not cover (a spike, a launch stronger than
  expected) means the buyer had bought more: the shortfall, plus a day of demand, is added to the
  product's last receipt (or opening stock).
* **Today's stock** is made ``on_hand_end``: the last receipt grows (or the first one from
  ``excess_from_day``: an overstock bought long ago), or the latest receipts shrink (a line left
  with nothing was never ordered) without the stock going below zero or reaching zero where it did
  not.

Days are indexes ``0 .. n_days - 1``; a receipt day ``>= n_days`` is not received yet.
"""

import dataclasses

import numpy as np
import pandas as pd

FORECAST_SPAN_DAYS = 28
#: z of a 98 % cycle service level.
SERVICE_FACTOR = 2.05
#: Standard deviation of the log of (actual lead time / vendor delay).
LEAD_TIME_SPREAD = 0.25
REVIEW_DAYS_MIN = 7
REVIEW_DAYS_MAX = 90
#: Review cycle ``R = REVIEW_SCALE / sqrt(daily demand)`` days, clipped to 7..90: a product
#: selling 9 a day is reordered weekly, one selling 1 a day every three weeks.
REVIEW_SCALE = 21.0
#: Orders are placed on Monday..Friday (weekday < 5, Monday being 0).
WORKING_DAYS = 5


@dataclasses.dataclass
class ReplenishmentPlan:
    """What :func:`plan_replenishment` returns. Products are rows ``0 .. P - 1`` of the inputs.

    ``opening``: ``product, day, qty`` (stock counted in on the listing day, products with some).
    ``orders``: ``order, vendor, day`` (purchase orders in chronological order, ``order`` 0..n-1).
    ``lines``: ``line, order, product, vendor, day, planned_day, qty`` (``planned_day`` = order day
    + the product's vendor delay; ``qty`` ordered = the sum of its receipts).
    ``receipts``: ``line, order, product, day, qty, done`` (one per line and arrival day: a line
    received in two parts has a backorder; ``done`` when ``day < n_days``).
    ``stock``: P × D array, the stock at the end of each day (0 before the listing day).
    """

    opening: pd.DataFrame
    orders: pd.DataFrame
    lines: pd.DataFrame
    receipts: pd.DataFrame
    stock: np.ndarray


class _Records:
    """Columns of numpy arrays that grow by doubling: the lines and receipts of the simulation."""

    def __init__(self, **dtypes):
        self.size = 0
        self.columns = {name: np.zeros(1024, dtype=dtype) for name, dtype in dtypes.items()}

    def __getitem__(self, name):
        return self.columns[name][: self.size]

    def append(self, **values):
        """Append rows (equal-length arrays or scalars per column); returns their indexes."""
        count = max(np.size(value) for value in values.values())
        while self.size + count > len(next(iter(self.columns.values()))):
            for name, column in self.columns.items():
                self.columns[name] = np.concatenate([column, np.zeros_like(column)])
        for name, value in values.items():
            self.columns[name][self.size : self.size + count] = value
        self.size += count
        return np.arange(self.size - count, self.size)


def delivery_matrix(orders, lines, start, n_days, n_products):
    """Quantities delivered per product and day, from :func:`~.order_layout.layout_orders` frames.

    :param orders: ``order_index, date_done``; :param lines: ``order_index, product_id`` (1-based),
        ``qty``.
    :param start: the date of day 0.
    :return: ``n_products`` × ``n_days`` float array (a delivery after the last day is left out).
    """
    done_day = (
        pd.to_datetime(orders.set_index("order_index")["date_done"]).dt.normalize()
        - pd.Timestamp(start).normalize()
    ).dt.days
    day = done_day.reindex(lines["order_index"]).to_numpy()
    product = lines["product_id"].to_numpy() - 1
    inside = (day >= 0) & (day < n_days)
    matrix = np.zeros((n_products, n_days))
    np.add.at(matrix, (product[inside], day[inside]), lines["qty"].to_numpy(dtype=float)[inside])
    return matrix


def deliver_on_time_around_stockouts(orders, lines, stockout_start, stockout_end):
    """Orders whose late delivery would fall in a stock-out of one of their products.

    The sales history has no sale of a product during its stock-out, but an order placed before it
    may be delivered a few days late (see ``layout_orders``): such an order is delivered on its
    order day instead (its lateness removed), so that nothing leaves the empty shelf.

    :param orders: ``order_index, date_order, date_done, late_days``.
    :param lines: ``order_index, product_id`` (1-based).
    :param stockout_start, stockout_end: per product (row ``product_id - 1``), dates or NaT.
    :return: a copy of ``orders`` with ``date_done`` and ``late_days`` corrected.
    """
    start = pd.to_datetime(pd.Series(stockout_start)).to_numpy()
    end = pd.to_datetime(pd.Series(stockout_end)).to_numpy()
    by_index = orders.set_index("order_index")
    done_day = pd.to_datetime(by_index["date_done"]).dt.normalize()
    line_done = done_day.reindex(lines["order_index"]).to_numpy()
    product = lines["product_id"].to_numpy() - 1
    # NaT compares False: products without a stock-out never conflict.
    conflict = (line_done >= start[product]) & (line_done <= end[product])
    late = set(lines["order_index"].to_numpy()[conflict].tolist())
    fixed = orders.copy()
    rows = fixed["order_index"].isin(late) & (fixed["late_days"] > 0)
    on_time = fixed.loc[rows, "date_done"] - pd.to_timedelta(fixed.loc[rows, "late_days"], "D")
    fixed.loc[rows, "date_done"] = np.maximum(on_time, fixed.loc[rows, "date_order"])
    fixed.loc[rows, "late_days"] = 0
    return fixed


def plan_sales_history(products, orders, lines, start, n_days, seed=0):
    """The purchases behind a generated sales history (what the sample loader writes).

    The stock each product ends with is the generator's ``on_hand``, and the policy holds about as
    much all along: a product with ``c`` days of cover today (``on_hand`` / mean deliveries of
    the last four weeks) keeps a buffer of ``c − R/2`` days of demand less its safety stock, so
    that its stock swings around ``c`` days of demand. An ``overstock`` item's excess was bought
    six months to a year ago and has stayed since.

    :param products: :func:`~.demand_generator.generate_demand`'s catalogue (``first_sale_date``,
        ``lead_time_days``, ``vendor_index``, ``on_hand``, ``stock_status``, ``stockout_start``,
        ``stockout_end``).
    :param orders, lines: :func:`~.order_layout.layout_orders`' frames for its history.
    :param start: the date of day 0 of the history; :param int n_days: its length.
    :param int seed: random seed of the lead times and of the overstock purchases.
    :return: ``(orders, plan)``: the orders with the late deliveries that would fall in a
        stock-out delivered on time (:func:`deliver_on_time_around_stockouts`), and the
        :class:`ReplenishmentPlan` of their deliveries.
    """
    orders = deliver_on_time_around_stockouts(
        orders, lines, products["stockout_start"], products["stockout_end"]
    )
    deliveries = delivery_matrix(orders, lines, start, n_days, len(products))
    on_hand = products["on_hand"].to_numpy(dtype=float)
    lead = products["lead_time_days"].to_numpy(dtype=float)
    recent = deliveries[:, -FORECAST_SPAN_DAYS:]
    mean, spread = recent.mean(axis=1), recent.std(axis=1)
    cover = np.divide(on_hand, mean, out=np.zeros(len(products)), where=mean > 0)
    review = _review_days(mean)
    safety_days = np.divide(
        SERVICE_FACTOR * spread * np.sqrt(lead), mean, out=np.zeros(len(products)), where=mean > 0
    )
    normal = (products["stock_status"] == "normal").to_numpy()
    buffer = np.where(normal, np.maximum(cover - review / 2 - safety_days, 0.0), 0.0)
    rng = np.random.default_rng([seed, 4])
    overstock = (products["stock_status"] == "overstock").to_numpy()
    excess_from = np.where(
        overstock, rng.integers(max(n_days - 365, 0), max(n_days - 180, 1), len(products)), -1
    )
    plan = plan_replenishment(
        deliveries,
        products["first_sale_date"].fillna(pd.Timestamp(start)),
        lead,
        products["vendor_index"],
        on_hand,
        products["stockout_start"],
        products["stockout_end"],
        start=start,
        seed=seed,
        buffer_days=buffer,
        excess_from_day=excess_from,
    )
    return orders, plan


def _review_days(daily_demand):
    """Review cycle ``R`` of products selling ``daily_demand`` a day (see ``REVIEW_SCALE``)."""
    return np.clip(
        np.rint(REVIEW_SCALE / np.sqrt(np.maximum(daily_demand, 0.05))),
        REVIEW_DAYS_MIN,
        REVIEW_DAYS_MAX,
    )


def _day_indexes(values, start, n_products, name):
    """Per-product day indexes (``-1`` for none) from dates or integers."""
    if values is None:
        return np.full(n_products, -1)
    series = pd.Series(values)
    if len(series) != n_products:
        raise ValueError(f"{name} must have one value per product")
    if pd.api.types.is_datetime64_any_dtype(series):
        if start is None:
            raise ValueError(f"{name} holds dates: give the date of day 0 (start)")
        days = (series.dt.normalize() - pd.Timestamp(start).normalize()).dt.days
        return days.fillna(-1).astype(int).to_numpy()
    return series.fillna(-1).astype(int).to_numpy()


class _Simulation:
    """State of :func:`plan_replenishment` (one instance per call)."""

    def __init__(self, deliveries, first_day, lead, vendor, stockout, start_weekday, seed, buffer):
        self.deliveries = deliveries
        self.n_products, self.n_days = deliveries.shape
        self.first_day = first_day
        self.lead = lead
        self.vendor = vendor
        self.window_start, self.window_end = stockout
        self.start_weekday = start_weekday
        rng = np.random.default_rng([seed, 2])
        n_vendors = int(vendor.max()) + 1 if vendor.size else 0
        counts = np.bincount(vendor, minlength=n_vendors)
        vendor_delay = np.bincount(vendor, weights=lead, minlength=n_vendors) / np.maximum(
            counts, 1
        )
        spread = np.exp(rng.normal(0.0, LEAD_TIME_SPREAD, (n_vendors, self.n_days)))
        self.vendor_lead = np.maximum(1, np.rint(vendor_delay[:, None] * spread)).astype(int)

        self.level, self.variance = self.first_weeks(deliveries, first_day)
        self.review = _review_days(self.level)
        self.buffer = buffer
        self.opening = np.maximum(
            1.0,
            np.ceil(
                self.level * (lead + self.review + buffer)
                + SERVICE_FACTOR * np.sqrt(lead * self.variance)
            ),
        )

        self.on_hand = np.zeros(self.n_products)
        self.on_order = np.zeros(self.n_products)
        self.stock = np.zeros((self.n_products, self.n_days))
        self.last_receipt = np.full(self.n_products, -1)  # -1: the opening stock
        self.receipts_of = [[] for _ in range(self.n_products)]
        self.arrivals = {}  # day -> [receipt indexes]
        self.orders = _Records(vendor=np.int64, day=np.int64)
        self.lines = _Records(
            order=np.int64, product=np.int64, vendor=np.int64, day=np.int64, planned=np.int64
        )
        self.receipts = _Records(line=np.int64, product=np.int64, day=np.int64, qty=np.float64)

    @staticmethod
    def first_weeks(deliveries, first_day):
        """Mean and variance of each product's deliveries over its first four weeks: the buyer's
        estimate when the product is listed."""
        n_products, n_days = deliveries.shape
        padded = np.concatenate([np.zeros((n_products, 1)), deliveries], axis=1)
        totals, squares = np.cumsum(padded, axis=1), np.cumsum(padded**2, axis=1)
        rows = np.arange(n_products)
        stop = np.minimum(first_day + FORECAST_SPAN_DAYS, n_days)
        span = np.maximum(stop - first_day, 1)
        mean = (totals[rows, stop] - totals[rows, first_day]) / span
        variance = np.maximum((squares[rows, stop] - squares[rows, first_day]) / span - mean**2, 0)
        return mean, variance

    # -- bookkeeping ---------------------------------------------------------------------------
    def _is_working_day(self, day):
        return (self.start_weekday + np.asarray(day)) % 7 < WORKING_DAYS

    def _add_receipts(self, line, product, day, qty):
        """Schedule receipts (arrays) of ``line`` for ``product`` on ``day``."""
        indexes = self.receipts.append(line=line, product=product, day=day, qty=qty)
        for index, item, arrival in zip(indexes.tolist(), np.ravel(product), np.ravel(day)):
            self.receipts_of[int(item)].append(index)
            self.arrivals.setdefault(int(arrival), []).append(index)
        np.add.at(self.on_order, product, qty)

    def _order(self, day, products, quantities, arrival):
        """Purchase orders placed on ``day`` (one per vendor), their lines and receipts."""
        vendors = self.vendor[products]
        order_vendors, order_of = np.unique(vendors, return_inverse=True)
        order_ids = self.orders.append(vendor=order_vendors, day=day)
        lines = self.lines.append(
            order=order_ids[order_of],
            product=products,
            vendor=vendors,
            day=day,
            planned=day + self.lead[products],
        )
        self._add_receipts(lines, products, arrival, quantities)

    def _raise_stock(self, product, extra, day, receipt=None):
        """Add ``extra`` to a receipt of ``product`` (default its last one; -1 its opening stock)
        and to its stock from that receipt up to ``day``."""
        if receipt is None:
            receipt = self.last_receipt[product]
        if receipt >= 0:
            self.receipts.columns["qty"][receipt] += extra
            since = self.receipts["day"][receipt]
        else:
            self.opening[product] += extra
            since = self.first_day[product]
        self.stock[product, since:day] += extra
        self.on_hand[product] += extra

    def _lower_stock(self, product, amount, day, floor=0.0):
        """Take up to ``amount`` off the latest receipts (then the opening stock) received by
        ``day``, keeping the stock from each of them to ``day`` at ``floor`` or above.

        :return: ``(taken, [(receipt, qty taken)])``, opening-stock share as receipt ``-1``.
        """
        taken, parts = 0.0, []
        received = [r for r in self.receipts_of[product] if self.receipts["day"][r] <= day]
        received.sort(key=lambda r: (self.receipts["day"][r], r), reverse=True)
        sources = [(r, self.receipts["day"][r]) for r in received]
        sources.append((-1, self.first_day[product]))
        for receipt, since in sources:
            if taken >= amount:
                break
            available = self.opening[product] if receipt < 0 else self.receipts["qty"][receipt]
            room = self.stock[product, since : day + 1].min() - floor
            part = min(amount - taken, available, room)
            if part <= 0:
                if room <= 0:
                    break  # the stock touches the floor after this point: nothing earlier helps
                continue
            if receipt < 0:
                self.opening[product] -= part
            else:
                self.receipts.columns["qty"][receipt] -= part
            self.stock[product, since : day + 1] -= part
            taken += part
            parts.append((receipt, part))
        self.on_hand[product] = self.stock[product, day] if day < self.n_days else 0.0
        return taken, parts

    # -- the day loop ---------------------------------------------------------------------------
    def run(self):
        alpha = 2.0 / (FORECAST_SPAN_DAYS + 1)
        starting = {}
        for product in np.flatnonzero(self.window_start >= 1):
            starting.setdefault(int(self.window_start[product]) - 1, []).append(int(product))
        for day in range(self.n_days):
            listed = self.first_day <= day
            new = self.first_day == day
            self.on_hand[new] += self.opening[new]
            due = np.array(self.arrivals.pop(day, []), dtype=np.int64)
            if due.size:
                products = self.receipts["product"][due]
                np.add.at(self.on_hand, products, self.receipts["qty"][due])
                np.add.at(self.on_order, products, -self.receipts["qty"][due])
                self.last_receipt[products] = due
            demand = self.deliveries[:, day]
            self.on_hand -= demand
            # Emptied by a delivery (or below): the buyer had bought more.
            for product in np.flatnonzero(
                (self.on_hand < 0) | ((self.on_hand == 0) & (demand > 0))
            ):
                extra = -self.on_hand[product] + max(1.0, np.ceil(self.level[product]))
                self._raise_stock(product, extra, day)
            error = demand - self.level
            self.level = np.where(listed, self.level + alpha * error, self.level)
            self.variance = np.where(
                listed, (1 - alpha) * (self.variance + alpha * error**2), self.variance
            )
            self.stock[:, day] = self.on_hand
            for product in starting.get(day, ()):
                self._empty_before_stockout(product, day)
            if self._is_working_day(day):
                self._review(day, listed)
        self.on_order = None  # meaningless once the final stock is adjusted

    def _review(self, day, listed):
        """Order up to ``S`` every product at or below its reorder point."""
        position = self.on_hand + self.on_order
        sigma = np.sqrt(
            self.lead * self.variance + (self.level * self.lead * LEAD_TIME_SPREAD) ** 2
        )
        reorder_point = self.level * (self.lead + self.buffer) + SERVICE_FACTOR * sigma
        quantity = np.ceil(reorder_point + self.level * self.review - position)
        wanted = listed & (position <= reorder_point) & (quantity >= 1)
        if not wanted.any():
            return
        products = np.flatnonzero(wanted)
        quantity = quantity[products]
        # Round like a buyer: to 5 above 20 units, to 10 above 100.
        quantity = np.where(quantity > 100, np.ceil(quantity / 10) * 10, quantity)
        quantity = np.where(
            (quantity > 20) & (quantity <= 100), np.ceil(quantity / 5) * 5, quantity
        )
        arrival = day + self.vendor_lead[self.vendor[products], day]
        weekday = (self.start_weekday + arrival) % 7
        arrival = np.where(weekday >= WORKING_DAYS, arrival + 7 - weekday, arrival)
        start, end = self.window_start[products], self.window_end[products]
        late = (start >= 0) & (arrival >= start) & (arrival <= end)
        arrival = np.where(late, end + 1, arrival)
        self._order(day, products, quantity, arrival)

    def _empty_before_stockout(self, product, day):
        """The stock-out of ``product`` starts tomorrow: its shelf is empty tonight."""
        if self.first_day[product] > day:
            return
        end = int(self.window_end[product])
        _taken, parts = self._lower_stock(product, self.on_hand[product], day)
        backorders = [(receipt, qty) for receipt, qty in parts if receipt >= 0]
        for receipt, qty in backorders:
            line = self.receipts["line"][receipt]
            self._add_receipts(np.array([line]), np.array([product]), np.array([end + 1]), qty)
        emergency = sum(qty for receipt, qty in parts if receipt < 0)
        arriving = any(self.receipts["day"][r] == end + 1 for r in self.receipts_of[product])
        if not arriving:
            emergency += max(1.0, np.ceil(self.level[product] * self.review[product]))
        if emergency > 0:
            placed = int(np.clip(end + 1 - self.lead[product], self.first_day[product], day))
            self._order(placed, np.array([product]), np.array([emergency]), np.array([end + 1]))

    def reach(self, target, excess_from):
        """Make the stock at the end of the last day ``target`` (see the module docstring): more
        stock comes with the product's first receipt from day ``excess_from`` (after its
        stock-out), or its last one."""
        last = self.n_days - 1
        for product in np.flatnonzero(self.on_hand != target):
            missing = target[product] - self.on_hand[product]
            if missing > 0:
                since = max(excess_from[product], self.window_end[product] + 1)
                received = [
                    r for r in self.receipts_of[product] if since <= self.receipts["day"][r] <= last
                ]
                receipt = min(received, key=lambda r: (self.receipts["day"][r], r), default=None)
                self._raise_stock(product, missing, last + 1, receipt)
                continue
            amount = -missing
            floor = 1.0 if target[product] >= 1 else 0.0
            taken, _parts = self._lower_stock(product, amount, last, floor=floor)
            if taken < amount:
                taken += self._lower_stock(product, amount - taken, last)[0]
            if taken < amount - 1e-9:  # pragma: no cover - the stock path always allows it
                raise RuntimeError(f"cannot bring product row {product} down to {target[product]}")

    def plan(self):
        receipts = pd.DataFrame({name: self.receipts[name] for name in self.receipts.columns})
        receipts = receipts[receipts["qty"] > 0]
        lines = pd.DataFrame({name: self.lines[name] for name in self.lines.columns})
        lines["qty"] = np.bincount(receipts["line"], weights=receipts["qty"], minlength=len(lines))
        lines = lines[lines["qty"] > 0]
        orders = pd.DataFrame({name: self.orders[name] for name in self.orders.columns})
        orders["order"] = np.arange(len(orders))
        orders = orders[orders["order"].isin(lines["order"])]
        # Chronological numbering (orders placed retroactively for a stock-out come in order).
        orders = orders.sort_values(["day", "vendor", "order"], kind="stable")
        renumber_orders = np.full(self.orders.size, -1)
        renumber_orders[orders["order"].to_numpy()] = np.arange(len(orders))
        orders["order"] = np.arange(len(orders))
        lines["order"] = renumber_orders[lines["order"].to_numpy()]
        lines = lines.rename_axis("old").reset_index()
        lines = lines.sort_values(["order", "product"], kind="stable").reset_index(drop=True)
        renumber_lines = np.full(self.lines.size, -1)
        renumber_lines[lines["old"].to_numpy()] = np.arange(len(lines))
        lines.insert(0, "line", np.arange(len(lines)))
        lines = lines.drop(columns="old").rename(columns={"planned": "planned_day"})
        receipts["line"] = renumber_lines[receipts["line"].to_numpy()]
        receipts["order"] = lines["order"].to_numpy()[receipts["line"].to_numpy()]
        receipts["done"] = receipts["day"] < self.n_days
        receipts = receipts.sort_values(["day", "order", "line"], kind="stable")
        receipts = receipts[["line", "order", "product", "day", "qty", "done"]]
        opening = pd.DataFrame(
            {"product": np.arange(self.n_products), "day": self.first_day, "qty": self.opening}
        )
        return ReplenishmentPlan(
            opening=opening[opening["qty"] > 0].reset_index(drop=True),
            orders=orders[["order", "vendor", "day"]].reset_index(drop=True),
            lines=lines[["line", "order", "product", "vendor", "day", "planned_day", "qty"]],
            receipts=receipts.reset_index(drop=True),
            stock=self.stock,
        )


def plan_replenishment(
    deliveries,
    first_day,
    lead_time_days,
    vendor_index,
    on_hand_end,
    stockout_start=None,
    stockout_end=None,
    start=None,
    seed=0,
    buffer_days=None,
    excess_from_day=None,
):
    """Simulate the purchases and receipts behind ``deliveries`` (see the module docstring).

    :param deliveries: P × D array of the quantities delivered per product and day (>= 0).
    :param first_day: per product, the day it is listed (its first sale), a date or a day index.
    :param lead_time_days: per product, its vendor's delay in days (>= 0).
    :param vendor_index: per product, its vendor (0 .. V - 1).
    :param on_hand_end: per product, the stock wanted at the end of the last day (>= 0; 0 for a
        product whose stock-out reaches the last day).
    :param stockout_start, stockout_end: per product, its stock-out window (dates or day
        indexes, NaT/-1 for none), with no delivery in it.
    :param start: the date of day 0 (needed for dates; gives the weekdays, default a Monday).
    :param int seed: random seed of the lead times.
    :param buffer_days: per product, days of demand held on top of the reorder point and the
        opening stock (``s = d·(L + buffer) + z·σ``; default 0): a company that keeps more stock.
    :param excess_from_day: per product, a day (index) from which the stock above what the policy
        holds may have been bought: when the last day's stock must grow, the first receipt from
        that day on brings it, and the stock stays higher since (an overstock bought long ago).
        Default (or -1): the last receipt.
    :return: a :class:`ReplenishmentPlan`.
    :raises ValueError: on inconsistent shapes, negative quantities, windows out of range or
        with deliveries, or a stock wanted at the end of an open stock-out.
    """
    deliveries = np.asarray(deliveries, dtype=np.float64)
    if deliveries.ndim != 2:
        raise ValueError("deliveries must be a products × days array")
    n_products, n_days = deliveries.shape
    if (deliveries < 0).any() or not np.isfinite(deliveries).all():
        raise ValueError("deliveries must be finite and non-negative")
    first = _day_indexes(first_day, start, n_products, "first_day")
    lead = np.asarray(lead_time_days, dtype=np.float64)
    vendor = np.asarray(vendor_index, dtype=np.int64)
    target = np.asarray(on_hand_end, dtype=np.float64)
    if not lead.shape == vendor.shape == target.shape == (n_products,):
        raise ValueError("lead_time_days, vendor_index and on_hand_end need one value per product")
    if (lead < 0).any() or (vendor < 0).any() or (target < 0).any():
        raise ValueError("lead times, vendor indexes and stocks cannot be negative")
    if ((first < 0) | (first >= n_days)).any():
        raise ValueError("first_day must fall within the days of deliveries")
    before = np.arange(n_days)[np.newaxis, :] < first[:, np.newaxis]
    if (deliveries[before] > 0).any():
        raise ValueError("a product is delivered before its first_day")
    window_start = _day_indexes(stockout_start, start, n_products, "stockout_start")
    window_end = _day_indexes(stockout_end, start, n_products, "stockout_end")
    has_window = window_start >= 0
    if (
        (has_window != (window_end >= 0)) | (window_end < window_start) | (window_end >= n_days)
    ).any():
        raise ValueError("stock-out windows must be start <= end within the days")
    days = np.arange(n_days)[np.newaxis, :]
    inside = (days >= window_start[:, None]) & (days <= window_end[:, None]) & has_window[:, None]
    if (deliveries[inside] > 0).any():
        raise ValueError("a product is delivered during its stock-out")
    if (target[has_window & (window_end == n_days - 1)] > 0).any():
        raise ValueError("a product out of stock until the last day must end with no stock")
    buffer = np.zeros(n_products)
    if buffer_days is not None:
        buffer = np.asarray(buffer_days, dtype=np.float64)
        if buffer.shape != (n_products,) or not (buffer >= 0).all():
            raise ValueError("buffer_days needs one value of at least 0 days per product")
    excess_from = np.full(n_products, n_days)
    if excess_from_day is not None:
        excess_from = np.asarray(excess_from_day, dtype=np.int64)
        if excess_from.shape != (n_products,):
            raise ValueError("excess_from_day needs one value per product")
        excess_from = np.where(excess_from < 0, n_days, excess_from)
    start_weekday = pd.Timestamp(start).day_of_week if start is not None else 0
    simulation = _Simulation(
        deliveries,
        first,
        lead,
        vendor,
        (window_start, window_end),
        start_weekday,
        seed,
        buffer,
    )
    simulation.run()
    simulation.reach(target, excess_from)
    return simulation.plan()
