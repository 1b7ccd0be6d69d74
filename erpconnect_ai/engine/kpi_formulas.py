"""KPI arithmetic, pure Python + numpy (no Odoo); the catalogue is ``kpi_catalog.py``.

The ORM layer (``erpconnect.kpi``) reads aggregated figures per time bucket and per product with a
few SQL queries, fills a :class:`KpiData` and calls :func:`compute_kpis`. Everything here works on
arrays of buckets so that the same formulas give a period and its previous period (``get_metrics``)
and a whole history (``get_metric``).

Buckets: ``bounds`` are ``B + 1`` increasing dates; bucket ``i`` (0-based) is
``[bounds[i], bounds[i + 1])``. Bucket 0 is only the base of growth KPIs and of the inventory
turnover's average stock; the buckets reported are ``1 .. B - 1``.

A value is ``nan`` when there is no data (a ratio over zero, no stock rule, no analysis run);
:func:`format_value` turns it into ``None``. A bucket that ends before the data a KPI reads
begins has no data either, rather than a 0 (:func:`no_data_buckets`): before the company's
first confirmed order for the sales KPIs, before its first done stock move for the stock KPIs,
before its first product was created for the product counts (a company without any has plain
zeros). The anomaly counts have no data for a window the analysis did not scan in full
(:func:`scan_covered`).

Changes (:func:`summarize`): ``change`` is value − previous, in percentage points for the KPIs
that are percentages (``unit`` "percent"), whose relative change (``change_pct``) means nothing
and is ``None``.
"""

import datetime
import math

import numpy as np

from .kpi_catalog import KPI_BY_CODE, STOCK_PRODUCT_CODES

INTERVALS = ("day", "week", "month")

#: Days without a sale after which stock is dead.
DEAD_STOCK_DAYS = 90
#: Without a reorder rule, stock above this many days of average sales is overstock.
OVERSTOCK_COVER_DAYS = 180
#: Catalogue sources read from the confirmed orders and their lines: no data before the
#: company's first confirmed order (``KpiData.orders_since``).
ORDER_SOURCES = frozenset({"orders", "sales", "sold_products", "sales_daily"})


# ------------------------------------------------------------------------------------------------
# Arithmetic
# ------------------------------------------------------------------------------------------------
def safe_div(numerator, denominator):
    """``numerator / denominator`` element-wise, ``nan`` where the denominator is 0 or ``nan``."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        result = numerator / denominator
    return np.where((denominator == 0) | np.isnan(denominator), np.nan, result)


def percent(numerator, denominator):
    """``numerator / denominator × 100``, ``nan`` where the denominator is 0."""
    return safe_div(numerator, denominator) * 100.0


def growth_pct(current, previous):
    """Growth in % of ``current`` over ``previous``: ``(current − previous) / |previous| × 100``.

    ``nan`` when ``previous`` is 0 or either is ``nan`` (growth from nothing is undefined).
    """
    current = np.asarray(current, dtype=np.float64)
    previous = np.asarray(previous, dtype=np.float64)
    return safe_div(current - previous, np.abs(previous)) * 100.0


def series_growth(values):
    """Growth of each bucket over the bucket before; the first bucket has none (``nan``)."""
    values = np.asarray(values, dtype=np.float64)
    result = np.full(values.shape, np.nan)
    if values.size > 1:
        result[1:] = growth_pct(values[1:], values[:-1])
    return result


def change(value, previous):
    """``(change, change_pct)`` of a value against the previous one; ``None`` parts when unknown."""
    if value is None or previous is None:
        return None, None
    if isinstance(value, str) or isinstance(previous, str):  # dates: days between them
        delta = (datetime.date.fromisoformat(value) - datetime.date.fromisoformat(previous)).days
        return delta, None
    delta = value - previous
    if isinstance(delta, float):
        delta = round(delta, 4)
    pct = float(growth_pct(value, previous))
    return delta, (None if math.isnan(pct) else round(pct, 4))


def format_value(unit, value):
    """JSON value of a KPI: ``None`` for ``nan``, an ISO date for ``date``, an int for counts."""
    if value is None:
        return None
    value = float(value)
    if math.isnan(value) or math.isinf(value):
        return None
    if unit == "date":
        return datetime.date.fromordinal(int(value)).isoformat()
    if unit == "count" and value == int(value):
        return int(value)
    return round(value, 4)


def summarize(unit, values, index=-1):
    """``{value, previous, change, change_pct, no_data}`` of bucket ``index`` vs the one before.

    ``previous`` is ``None`` when the bucket before has no data (then no change either). For a
    percentage (``unit`` "percent") ``change`` is in percentage points and ``change_pct`` is
    ``None``: a margin going from 40 % to 44 % changed by 4 points, not by 10 %.
    """
    value = format_value(unit, values[index])
    previous = format_value(unit, values[index - 1]) if len(values) > 1 else None
    delta, delta_pct = change(value, previous)
    if unit == "percent":
        delta_pct = None
    return {
        "value": value,
        "previous": previous,
        "change": delta,
        "change_pct": delta_pct,
        "no_data": value is None,
    }


# ------------------------------------------------------------------------------------------------
# Periods
# ------------------------------------------------------------------------------------------------
def period_bounds(today, days, periods=3):
    """``periods`` consecutive periods of ``days`` days, the last one ending with ``today``.

    Returns ``periods + 1`` dates; the last bound is the day after ``today`` (exclusive end).
    """
    if days < 1:
        raise ValueError("days must be at least 1, got %s" % days)
    end = today + datetime.timedelta(days=1)
    return [end - datetime.timedelta(days=days * k) for k in range(periods, -1, -1)]


def _month_start(day, months_back=0):
    month_index = day.year * 12 + day.month - 1 - months_back
    return datetime.date(month_index // 12, month_index % 12 + 1, 1)


def interval_bounds(today, days, interval):
    """Bounds of the history of the last ``days`` days by ``interval`` (day, week or month).

    Weeks (Monday to Sunday) and months are calendar ones: the first bucket reported is the one
    holding the first day of the period, the last one is cut at ``today``. One more bucket is put
    in front as the base of the growth KPIs.
    """
    if days < 1:
        raise ValueError("days must be at least 1, got %s" % days)
    if interval not in INTERVALS:
        raise ValueError("interval must be one of %s, got %r" % (", ".join(INTERVALS), interval))
    first_day = today - datetime.timedelta(days=days - 1)
    end = today + datetime.timedelta(days=1)
    if interval == "day":
        return [first_day + datetime.timedelta(days=k) for k in range(-1, days + 1)]
    if interval == "week":
        start = first_day - datetime.timedelta(days=first_day.weekday() + 7)
        bounds = [
            start + datetime.timedelta(days=7 * k) for k in range((end - start).days // 7 + 1)
        ]
    else:
        start = _month_start(first_day, 1)
        bounds, months = [], 0
        while (bound := _month_start(start, -months)) < end:
            bounds.append(bound)
            months += 1
    if bounds[-1] != end:
        bounds.append(end)
    return bounds


def scan_covered(scan_ends, scan_days, end_days, window):
    """Whether the window ``[end − window, end)`` of each end was scanned in full (``window``:
    one length, or one per end).

    ``scan_ends`` are the last days of the scans (the analysis runs' "data up to" day), each
    scan covering its ``scan_days`` days up to and including that day; all days are ordinals.
    Days after the last scan are not scanned yet: a window is judged up to that day (today's
    window is complete once yesterday was scanned). A window wholly after the last scan, or
    without any scan, is not covered. Returns a bool array like ``end_days``.
    """
    ends = np.asarray(end_days, dtype=np.int64)
    covered = np.zeros(ends.shape, dtype=bool)
    scans = sorted({int(day) for day in scan_ends})
    if not scans:
        return covered
    # merge the scanned ranges [last − scan_days + 1, last] into disjoint runs of days
    starts, stops = [], []
    for last in scans:
        first = last - int(scan_days) + 1
        if stops and first <= stops[-1] + 1:
            stops[-1] = max(stops[-1], last)
        else:
            starts.append(first)
            stops.append(last)
    starts, stops = np.array(starts), np.array(stops)
    window_first = ends - np.asarray(window, dtype=np.int64)
    window_last = np.minimum(ends - 1, scans[-1])
    run = np.searchsorted(starts, window_first, "right") - 1
    inside = run >= 0
    covered[inside] = stops[run[inside]] >= window_last[inside]
    return covered & (window_last >= window_first)


def window_counts(event_days, end_days, window):
    """Number of events dated in ``[end − window, end)`` for each end (all as day ordinals)."""
    events = np.sort(np.asarray(event_days, dtype=np.int64))
    ends = np.asarray(end_days, dtype=np.int64)
    return (
        np.searchsorted(events, ends, "left") - np.searchsorted(events, ends - window, "left")
    ).astype(np.float64)


def latest_before(times, ends):
    """Index in ``times`` (sorted ascending) of the last one before each end, −1 if none."""
    return (
        np.searchsorted(
            np.asarray(times, dtype=np.float64), np.asarray(ends, dtype=np.float64), "left"
        )
        - 1
    )


def pick(values, index):
    """``values[index]`` element-wise, ``nan`` where ``index`` is −1."""
    values = np.asarray(values, dtype=np.float64)
    index = np.asarray(index)
    if not values.size:
        return np.full(index.shape, np.nan)
    return np.where(index >= 0, values[np.clip(index, 0, None)], np.nan)


def trailing_window_sums(row_index, row_day, row_value, end_days, window, size):
    """Per item, the sum of its rows dated in ``[end − window, end)``, for each end.

    Rows are ``(item index in 0..size − 1, day, value)``; days and ``end_days`` (ascending) are
    day numbers on one scale. Returns ``size × len(end_days)``; O(rows + size × ends), no day axis.
    """
    ends = np.asarray(end_days, dtype=np.int64)
    result = np.zeros((size, len(ends) + 1))
    row_index = np.asarray(row_index, dtype=np.int64)
    if row_index.size:
        days = np.asarray(row_day, dtype=np.int64)
        values = np.asarray(row_value, dtype=np.float64)
        # a row counts for the ends e with day < e <= day + window
        np.add.at(result, (row_index, np.searchsorted(ends, days, "right")), values)
        np.add.at(result, (row_index, np.searchsorted(ends, days + window, "right")), -values)
    return np.cumsum(result, axis=1)[:, :-1]


def stock_at_ends(on_hand, net_moves):
    """Stock of each product at the end of each bucket, rebuilt from today's stock.

    ``on_hand`` (P,) is today's stock; ``net_moves`` (P × (B + 1)) the net quantity moved into
    stock during each bucket, its last column after the last bound. The stock at the end of bucket
    ``i`` is today's stock minus everything that moved in after it.
    """
    on_hand = np.asarray(on_hand, dtype=np.float64)
    net_moves = np.asarray(net_moves, dtype=np.float64)
    moved_after = np.cumsum(net_moves[:, ::-1], axis=1)[:, ::-1]
    return on_hand[:, np.newaxis] - moved_after[:, 1:]


# ------------------------------------------------------------------------------------------------
# Company KPIs
# ------------------------------------------------------------------------------------------------
#: ``KpiData`` inputs read from the demand ledger (confirmed order lines), per bucket.
SALES_FIELDS = (
    "revenue",
    "cost",
    "units",
    "goods_ordered",
    "goods_delivered",
    "sold_products",
    "sold_catalog_products",
)
#: ``KpiData`` inputs read from the confirmed orders, per bucket.
ORDER_FIELDS = ("orders", "customers", "repeat_customers")
#: ``KpiData`` inputs read from the customer deliveries, per bucket.
DELIVERY_FIELDS = (
    "deliveries_done",
    "deliveries_late",
    "processing_days",
    "processing_orders",
    "cycle_days",
    "cycle_orders",
)


class KpiData:
    """Aggregated inputs of the KPIs of one company over ``B`` buckets (``P`` products).

    Arrays by group (the ORM layer loads only the groups the KPIs asked for need; per-bucket
    arrays not loaded stay ``nan``, per-product ones empty, and their KPIs answer ``nan``):

    - per bucket (B,), the demand ledger (lines of confirmed orders by order day): ``revenue,
      cost, units, goods_ordered, goods_delivered, sold_products, sold_catalog_products``; the
      confirmed orders themselves: ``orders, customers, repeat_customers``;
    - per bucket (B,), customer deliveries by day done: ``deliveries_done, deliveries_late,
      processing_days, processing_orders, cycle_days, cycle_orders``;
    - per product (P,): ``product_active, product_storable, product_catalog (active and
      sellable), product_created_bucket, list_price, unit_cost, on_hand (today), rule_min,
      rule_max, reorder_point``; ``product_created_bucket`` is the bucket a product was created
      in, −1 before the first bound and ``B`` after the last one; rules and reorder points hold
      ``nan`` where a product has none;
    - per product and bucket: ``net_moves`` (P × (B + 1), net quantity moved into stock, the last
      column after the last bound), ``customer_moves`` (P × B, quantity delivered to customers
      net of returns), ``trailing_qty`` and ``trailing_lines`` (P × B, quantity and lines sold in
      the ``DEAD_STOCK_DAYS`` before each bucket end);
    - per bucket end (B,): ``anomalies_7d, anomalies_30d`` (``nan`` where the window was not
      scanned in full, :func:`scan_covered`), ``trained_models, last_training`` (a day
      ordinal);
    - per bucket (B,), replenishment suggestions by creation: ``suggestions,
      suggestions_applied``;
    - per bucket (B,), the forecasts' value: ``lost_sales`` (estimated value the stock-out days
      of the bucket lost), ``adjusted_days`` (adjusted product-days of the forecast weeks scored
      after the fact that end in the bucket) and ``adjusted_gain`` (their sum of statistical −
      adjusted daily absolute errors); ``forecast_accuracy_smape`` (sMAPE of the weeks scored
      after the fact that end in the bucket, weighted by their days, a fraction 0–2 as stored;
      the KPI is in %) and ``forecast_accuracy_mase``;
    - where the data begins (:func:`no_data_buckets`): ``bucket_end`` (B,), the day ordinal of
      each bucket's exclusive end; ``orders_since`` and ``stock_since``, the day ordinals of the
      company's first confirmed order and first done stock move (``nan``, the default, when
      there is none or it is not loaded: no bucket is cut).
    """

    #: Per bucket or bucket end (B,); ``nan`` until loaded.
    BUCKET_FIELDS = (
        *SALES_FIELDS,
        *ORDER_FIELDS,
        *DELIVERY_FIELDS,
        "anomalies_7d",
        "anomalies_30d",
        "forecast_accuracy_smape",
        "forecast_accuracy_mase",
        "trained_models",
        "last_training",
        "suggestions",
        "suggestions_applied",
        "lost_sales",
        "adjusted_days",
        "adjusted_gain",
        "bucket_end",
    )
    #: Day ordinals where data begins (scalars); ``nan`` until loaded.
    SINCE_FIELDS = ("orders_since", "stock_since")
    #: Per product (P,) or product and bucket; empty until loaded.
    PRODUCT_FIELDS = (
        "product_active",
        "product_storable",
        "product_catalog",
        "product_created_bucket",
        "list_price",
        "unit_cost",
        "on_hand",
        "rule_min",
        "rule_max",
        "reorder_point",
        "net_moves",
        "customer_moves",
        "trailing_qty",
        "trailing_lines",
    )
    FIELDS = BUCKET_FIELDS + SINCE_FIELDS + PRODUCT_FIELDS

    def __init__(self, bucket_days, **arrays):
        self.bucket_days = np.asarray(bucket_days, dtype=np.float64)
        for name in self.BUCKET_FIELDS:
            setattr(self, name, np.full(self.bucket_days.shape, np.nan))
        for name in self.SINCE_FIELDS:
            setattr(self, name, np.float64(np.nan))
        for name in self.PRODUCT_FIELDS:
            setattr(self, name, np.zeros(0))
        self.update(**arrays)

    def update(self, **arrays):
        """Set some of the arrays (float64); unknown names raise ``ValueError``."""
        unknown = sorted(set(arrays) - set(self.FIELDS))
        if unknown:
            raise ValueError("unknown KPI inputs: %s" % ", ".join(unknown))
        for name, values in arrays.items():
            setattr(self, name, np.asarray(values, dtype=np.float64))


class _Stock:
    """Stock figures at each bucket end, computed once for all stock KPIs."""

    def __init__(self, data):
        self.level = stock_at_ends(data.on_hand, data.net_moves)
        self.cost = np.asarray(data.unit_cost, dtype=np.float64)[:, np.newaxis]
        self.value = (self.level * self.cost).sum(axis=0)
        self.cogs = (np.asarray(data.customer_moves, dtype=np.float64) * self.cost).sum(axis=0)


def _stock_value_kpis(data, stock):
    days = np.asarray(data.bucket_days, dtype=np.float64)
    opening = np.concatenate([[np.nan], stock.value[:-1]])
    average_value = (opening + stock.value) / 2.0
    daily_cogs = safe_div(stock.cogs, days)
    return {
        "stock_value": stock.value,
        "inventory_turnover": safe_div(daily_cogs * 365.0, average_value),
        "days_of_cover": safe_div(stock.value, daily_cogs),
    }


def _stock_product_kpis(data, stock):
    """Counts of active storable products (existing at the bucket end) by stock state."""
    level = stock.level
    created = np.asarray(data.product_created_bucket)[:, np.newaxis]
    exists = created <= np.arange(len(data.bucket_days))[np.newaxis, :]
    active = np.asarray(data.product_active, dtype=bool) & np.asarray(
        data.product_storable, dtype=bool
    )
    counted = exists & active[:, np.newaxis]

    def count(mask):
        return (mask & counted).sum(axis=0).astype(np.float64)

    rule_min = np.asarray(data.rule_min, dtype=np.float64)[:, np.newaxis]
    rule_max = np.asarray(data.rule_max, dtype=np.float64)[:, np.newaxis]
    reorder_point = np.asarray(data.reorder_point, dtype=np.float64)[:, np.newaxis]
    trailing_known = np.shape(data.trailing_qty) == level.shape
    daily_sales = (
        np.asarray(data.trailing_qty, dtype=np.float64) / DEAD_STOCK_DAYS
        if trailing_known
        else np.zeros(level.shape)
    )
    out, low, over = stock_states(level, rule_min, rule_max, reorder_point, daily_sales)
    kpis = {
        "out_of_stock_count": count(out),
        "low_stock_count": count(low),
        "below_rop_count": count(level < reorder_point),
    }
    if not np.isfinite(data.reorder_point).any():
        kpis["below_rop_count"][:] = np.nan
    if trailing_known:
        kpis["overstock_count"] = count(over)
        dead = ~out & (np.asarray(data.trailing_lines) == 0)
        kpis["dead_stock_value"] = np.where(dead, level * stock.cost, 0.0).sum(axis=0)
    return kpis


def stock_states(level, rule_min, rule_max, reorder_point, daily_sales):
    """The stock status rule, shared by the stock KPIs and the dashboard's stock panel.

    Element-wise on arrays of one shape (``nan`` where a product has no rule or reorder point):
    returns ``(out, low, over)`` boolean arrays. Out of stock: ``level`` ≤ 0. Low: in stock and
    below the rule minimum or the reorder point. Over: in stock and above the rule maximum, or,
    without a positive maximum, above ``OVERSTOCK_COVER_DAYS`` days of ``daily_sales`` (any
    stock when it did not sell). A product may be both low and over (two sources).
    """
    level = np.asarray(level, dtype=np.float64)
    rule_min = np.asarray(rule_min, dtype=np.float64)
    rule_max = np.asarray(rule_max, dtype=np.float64)
    reorder_point = np.asarray(reorder_point, dtype=np.float64)
    positive = level > 0
    low = positive & ((level < rule_min) | (level < reorder_point))
    has_max = np.isfinite(rule_max) & (rule_max > 0)
    cover = OVERSTOCK_COVER_DAYS * np.maximum(np.asarray(daily_sales, dtype=np.float64), 0)
    over = positive & np.where(has_max, level > rule_max, level > cover)
    return ~positive, low, over


def _product_kpis(data):
    bucket_count = len(data.bucket_days)
    created = np.asarray(data.product_created_bucket)[:, np.newaxis]
    catalog = np.asarray(data.product_catalog, dtype=bool)[:, np.newaxis]
    exists = catalog & (created <= np.arange(bucket_count)[np.newaxis, :])
    count = exists.sum(axis=0).astype(np.float64)
    price_sum = (
        np.where(exists, np.asarray(data.list_price, dtype=np.float64)[:, np.newaxis], 0.0)
    ).sum(axis=0)
    new = (
        (catalog & (created == np.arange(bucket_count)[np.newaxis, :]))
        .sum(axis=0)
        .astype(np.float64)
    )
    kpis = {
        "product_count": count,
        "new_product_count": new,
        "average_list_price": safe_div(price_sum, count),
    }
    if np.shape(data.sold_catalog_products) == (bucket_count,):
        # never below 0, even when a product sold before its recorded creation (imported data)
        kpis["unsold_product_count"] = np.maximum(count - data.sold_catalog_products, 0.0)
    return kpis


def _sales_kpis(data):
    revenue = np.asarray(data.revenue, dtype=np.float64)
    return {
        "revenue_total": revenue,
        "revenue_growth": series_growth(revenue),
        "gross_profit": revenue - data.cost,
        "gross_margin": percent(revenue - data.cost, revenue),
        "units_sold": np.asarray(data.units, dtype=np.float64),
        "fulfilment_rate": percent(data.goods_delivered, data.goods_ordered),
    }


def _sold_product_kpis(data):
    return {
        "revenue_per_active_product": safe_div(data.revenue, data.sold_products),
        "active_product_count": np.asarray(data.sold_products, dtype=np.float64),
    }


def _order_kpis(data):
    return {
        "average_order_value": safe_div(data.revenue, data.orders),
        "order_count": np.asarray(data.orders, dtype=np.float64),
        "order_growth": series_growth(data.orders),
        "active_customers": np.asarray(data.customers, dtype=np.float64),
        "repeat_customer_rate": percent(data.repeat_customers, data.customers),
    }


def _delivery_kpis(data):
    done = np.asarray(data.deliveries_done, dtype=np.float64)
    return {
        "late_delivery_rate": percent(data.deliveries_late, done),
        "on_time_delivery_rate": percent(done - data.deliveries_late, done),
        "order_processing_time": safe_div(data.processing_days, data.processing_orders),
        "order_cycle_time": safe_div(data.cycle_days, data.cycle_orders),
    }


def _ai_kpis(data):
    return {
        "trained_model_count": np.asarray(data.trained_models, dtype=np.float64),
        "last_training_date": np.asarray(data.last_training, dtype=np.float64),
        "anomalies_7d": np.asarray(data.anomalies_7d, dtype=np.float64),
        "anomalies_30d": np.asarray(data.anomalies_30d, dtype=np.float64),
        "suggestions_applied_rate": percent(data.suggestions_applied, data.suggestions),
    }


def _forecast_value_kpis(data):
    return {
        "lost_sales": np.asarray(data.lost_sales, dtype=np.float64),
        "forecast_value_added": safe_div(data.adjusted_gain, data.adjusted_days),
        # stored as a fraction (0–2), shown in % like the catalogue says
        "forecast_accuracy_smape": np.asarray(data.forecast_accuracy_smape, dtype=np.float64)
        * 100.0,
        "forecast_accuracy_mase": np.asarray(data.forecast_accuracy_mase, dtype=np.float64),
    }


def compute_kpis(data, codes=None):
    """Values of the KPIs ``codes`` (default: all) for every bucket: ``{code: array (B,)}``.

    Only the groups of formulas the codes need are evaluated; their inputs must be loaded.
    """
    codes = list(KPI_BY_CODE) if codes is None else list(codes)
    sources = {source for code in codes for source in KPI_BY_CODE[code].sources}
    bucket_count = len(data.bucket_days)
    results = {}
    if "sales" in sources:
        results.update(_sales_kpis(data))
    if "sold_products" in sources:
        results.update(_sold_product_kpis(data))
    if "orders" in sources:
        results.update(_order_kpis(data))
    if "deliveries" in sources:
        results.update(_delivery_kpis(data))
    if "products" in sources:
        results.update(_product_kpis(data))
    if "stock" in sources:
        stock = _Stock(data)
        results.update(_stock_value_kpis(data, stock))
        if STOCK_PRODUCT_CODES.intersection(codes):
            results.update(_stock_product_kpis(data, stock))
    if sources & {"runs", "anomalies", "suggestions"}:
        results.update(_ai_kpis(data))
    if sources & {"stockouts", "forecast_scores"}:
        results.update(_forecast_value_kpis(data))
    missing = np.full(bucket_count, np.nan)
    values = {}
    for code in codes:
        value = _fit(results.get(code, missing), bucket_count)
        values[code] = np.where(no_data_buckets(data, KPI_BY_CODE[code].sources), np.nan, value)
    return values


def no_data_buckets(data, sources):
    """Buckets (bool array of B) that end before the data of one of ``sources`` begins.

    Sales sources (:data:`ORDER_SOURCES`) begin with the company's first confirmed order
    (``data.orders_since``), ``stock`` with its first done stock move (``data.stock_since``),
    ``products`` with the creation of its first product (``product_created_bucket``). A company
    without any such record has nothing to begin with: its figures are plain zeros (an empty
    company shows 0 revenue, 0 products), and so are those of a bucket whose end is unknown
    (``bucket_end`` or the first day not loaded).
    """
    bucket_count = len(data.bucket_days)
    ends = np.asarray(data.bucket_end, dtype=np.float64)
    cut = np.zeros(bucket_count, dtype=bool)
    firsts = []
    if ORDER_SOURCES.intersection(sources):
        firsts.append(data.orders_since)
    if "stock" in sources:
        firsts.append(data.stock_since)
    for first in firsts:
        if np.isfinite(first):
            cut |= ends <= first  # nan ends compare False
    if "products" in sources:
        created = np.asarray(data.product_created_bucket, dtype=np.float64)
        if created.size:
            cut |= np.arange(bucket_count) < created.min()
    return cut


def _fit(values, bucket_count):
    """The values as a float array of ``bucket_count`` (``nan`` when a group was not loaded)."""
    values = np.asarray(values, dtype=np.float64)
    if values.shape != (bucket_count,):
        return np.full(bucket_count, np.nan)
    return values


# ------------------------------------------------------------------------------------------------
# Product comparison
# ------------------------------------------------------------------------------------------------
def compute_product_metrics(bucket_days, sales, on_hand, net_moves, unit_cost, forecast_30d):
    """Product-level figures per bucket for a few products: ``{code: array (P × B)}``.

    ``sales`` maps ``revenue, cost, units, orders, customers, goods_ordered, goods_delivered`` to
    P × B arrays; ``on_hand`` (P,), ``net_moves`` (P × (B + 1)) and ``unit_cost`` (P,) as in
    :func:`stock_at_ends`; ``forecast_30d`` (P,) the current forecast (``nan`` when none).
    """
    days = np.asarray(bucket_days, dtype=np.float64)[np.newaxis, :]
    revenue = np.asarray(sales["revenue"], dtype=np.float64)
    units = np.asarray(sales["units"], dtype=np.float64)
    level = stock_at_ends(on_hand, net_moves)
    growth = np.full(revenue.shape, np.nan)
    if revenue.shape[1] > 1:
        growth[:, 1:] = growth_pct(revenue[:, 1:], revenue[:, :-1])
    forecast = np.full(revenue.shape, np.nan)
    forecast[:, -1:] = np.asarray(forecast_30d, dtype=np.float64)[:, np.newaxis]
    return {
        "revenue_total": revenue,
        "revenue_growth": growth,
        "units_sold": units,
        "order_count": np.asarray(sales["orders"], dtype=np.float64),
        "active_customers": np.asarray(sales["customers"], dtype=np.float64),
        "average_price": safe_div(revenue, units),
        "gross_margin": percent(revenue - sales["cost"], revenue),
        "fulfilment_rate": percent(sales["goods_delivered"], sales["goods_ordered"]),
        "on_hand": level,
        "stock_value": level * np.asarray(unit_cost, dtype=np.float64)[:, np.newaxis],
        "days_of_cover": safe_div(level, units / days),
        "forecast_30d": forecast,
    }
