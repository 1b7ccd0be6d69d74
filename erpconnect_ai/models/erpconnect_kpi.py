"""KPI service: the figures managers look at first, the same whoever asks.

The formulas and the catalogue live in the pure module ``engine/kpi_formulas.py``; this model reads
the company's data with a few aggregate queries (sale order lines grouped once, stock moves once,
quants once, deliveries once), hands arrays to it and caches the result for ``CACHE_TTL`` seconds.
"""

import datetime
import itertools
import logging
import threading
import time

import numpy as np
import psycopg2

from odoo import api, fields, models, sql_db
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL

from ..engine import kpi_formulas as formulas
from .erpconnect_anomaly import SCAN_DAYS as ANOMALY_SCAN_DAYS

_logger = logging.getLogger(__name__)

#: Seconds a computed result stays in the cache (per database, company, period and KPI).
CACHE_TTL = 120.0
#: Cached results kept at most per process; the oldest go first.
CACHE_MAX_ENTRIES = 256
#: PostgreSQL sequence whose value is part of every cache key: ``_invalidate_kpi_cache`` advances
#: it once the transaction is committed, so every worker process drops its entries at once. It is
#: advanced with ``setval`` (under a lock, in order), which WAL-logs the exact value: ``nextval``
#: alone logs 32 values ahead, and a streaming replica serving the read-only calls
#: (``db_replica_host``) would see the generation move only once every 32 advances.
GENERATION_SEQUENCE = "erpconnect_kpi_cache_generation"
#: Sums ``_sales_sums_sql`` reads from the order lines, in its order (``KpiData`` names).
SALES_SUMS = formulas.SALES_FIELDS[:4]
#: Condition on ``l`` of the order lines the KPIs count: product lines, no sections, notes or
#: down payments.
PRODUCT_LINES = SQL(
    "l.product_id IS NOT NULL AND l.display_type IS NULL AND l.is_downpayment IS NOT TRUE"
)
#: Products ``get_comparison`` accepts at once.
MAX_COMPARED_PRODUCTS = 20
#: Segments up to which per-product queries sum their rows per product and segment in SQL; with
#: more (daily histories) nearly every row is its own group, and summing them with numpy instead
#: is several times faster.
GROUPED_SEGMENTS_MAX = 16
#: Order in which the data groups of the catalogue (``KpiDefinition.sources``) are loaded:
#: products first, the per-product groups need its index. "sold_products" (distinct products
#: sold) is read by ``_load_sales`` in the same pass over the order lines.
SOURCE_LOADERS = (
    ("products", "_load_products"),
    ("stock", "_load_stock"),
    ("rules", "_load_rules"),
    ("rop", "_load_reorder_points"),
    ("sales", "_load_sales"),
    ("sales_daily", "_load_trailing_sales"),
    ("orders", "_load_orders"),
    ("deliveries", "_load_deliveries"),
    ("suggestions", "_load_suggestions"),
    ("anomalies", "_load_anomalies"),
    ("runs", "_load_runs"),
)

# In-process cache: {(dbname, company_id, generation, key...): (monotonic time, values)}. Each
# worker has its own; `_invalidate_kpi_cache` empties the one of the process that confirmed a sale
# or finished an analysis, and advances the generation that the other processes read.
_cache = {}
_cache_lock = threading.Lock()


def _clear_cache(dbname, company_ids=None):
    """Forget the cached KPIs of database ``dbname`` (of the companies ``company_ids``)."""
    with _cache_lock:
        for key in list(_cache):
            if key[0] == dbname and (company_ids is None or key[1] in company_ids):
                del _cache[key]


def _pending_companies(pending):
    """``(company_ids,)`` to clear at the end of a transaction: all when one call said all."""
    if None in pending:
        return (None,)
    return (frozenset().union(*pending),)


class _Scope:
    """What one computation is about: company, bucket bounds, data groups, products."""

    def __init__(self, company, bounds, codes=()):
        self.company = company
        self.bounds = bounds
        self.codes = frozenset(codes)  # KPIs asked for
        self.starts = [datetime.datetime.combine(day, datetime.time.min) for day in bounds]
        self.bucket_days = np.array(
            [(b - a).days for a, b in itertools.pairwise(bounds)], dtype=float
        )
        self.sources = set()  # data groups to load (catalogue sources)
        self.product_ids = np.zeros(0, dtype=np.int64)  # sorted, set by _load_products
        self.catalog = np.zeros(0, dtype=bool)  # active and sellable, per product
        self.unit_factor = np.zeros(0)  # factor of each product's unit of measure

    @property
    def bucket_count(self):
        return len(self.bounds) - 1

    def positions(self, product_ids):
        """Rows of ``product_ids`` in the product arrays, and which of them are known products."""
        product_ids = np.asarray(product_ids, dtype=np.int64)
        if not self.product_ids.size:
            return np.zeros(product_ids.shape, dtype=np.int64), np.zeros(product_ids.shape, bool)
        rows = np.clip(np.searchsorted(self.product_ids, product_ids), 0, self.product_ids.size - 1)
        return rows, self.product_ids[rows] == product_ids


class ErpconnectKpi(models.AbstractModel):
    """Business KPIs of the current company over a period, its history and product comparison.

    Security: the KPIs are company-level aggregates (sums, counts, means), never records. They are
    read with SQL, i.e. without the caller's sale/stock access rights, so that a Viewer (group
    ``erpconnect_ai.group_erpconnect_viewer``, without Sales or Inventory rights) sees them; in
    exchange every public method first checks explicitly that the caller is in that group, and only
    the current company (``self.env.company``, one of the caller's allowed companies) is read.
    """

    _name = "erpconnect.kpi"
    _description = "ERPConnect AI KPIs"

    # ------------------------------------------------------------------------------------------
    # Public API (JSON-RPC)
    # ------------------------------------------------------------------------------------------
    @api.model
    @api.readonly
    def get_catalog(self):
        """The KPI catalogue.

        :returns: list of ``{"code", "name", "category", "category_name", "unit", "direction",
            "kind", "description"}``; ``unit`` in currency/percent/count/days/ratio/date,
            ``direction`` "higher" or "lower" (which is better), ``kind`` flow/growth/snapshot/
            window (see ``engine/kpi_formulas.py``), ``description`` the formula.
        """
        self._check_kpi_access()
        return [self._catalog_entry(kpi) for kpi in formulas.KPI_CATALOG]

    @api.model
    @api.readonly
    def get_metrics(self, days=30):
        """Every KPI of the current company over the last ``days`` days (today included) and the
        previous period of the same length.

        :param int days: period length, 1 to 3660 (7, 30, 90 on the dashboard)
        :returns: list, in catalogue order, of the catalogue entry plus ``"value"``,
            ``"previous"``, ``"change"`` (value − previous; days between for dates),
            ``"change_pct"`` (% of the previous value), ``"no_data"`` (true when ``value`` is
            None), ``"date_from"``, ``"date_to"``, ``"previous_date_from"``,
            ``"previous_date_to"`` (ISO dates, inclusive). Values are numbers, counts ints, dates
            ISO strings, None when there is no data (a ratio over nothing, no analysis yet).
        :raises UserError: ``days`` is not an integer in range
        :raises AccessError: the user is not an ERPConnect AI user
        """
        days = self._check_days(days)
        company = self._kpi_company()
        bounds = formulas.period_bounds(self._kpi_today(), days)
        values = self._cached_values(company, ("metrics", days), bounds, None)
        period = self._period_dates(bounds)
        result = []
        for kpi in formulas.KPI_CATALOG:
            entry = self._catalog_entry(kpi)
            entry.update(formulas.summarize(kpi.unit, values[kpi.code]))
            entry.update(period)
            result.append(entry)
        return result

    @api.model
    @api.readonly
    def get_metric(self, code, days=90, interval="day"):
        """History of one KPI over the last ``days`` days, one point per day, week or month.

        Weeks (Monday to Sunday) and months are calendar ones: the first point is the one holding
        the first day of the period, the last one stops today. A flow KPI's point is its value
        over the point's dates, a snapshot's its value at the end of them.

        :param str code: a catalogue code (``get_catalog()``)
        :param int days: 1 to 3660
        :param str interval: "day", "week" or "month"
        :returns: the catalogue entry plus ``"days"``, ``"interval"``, ``"date_from"``,
            ``"date_to"`` and ``"points"``: list of ``{"label", "date", "date_from", "date_to",
            "value"}`` (``date`` = ``date_from``; ``label`` "2025-04-30", "2025-W14" or
            "2025-04"), oldest first.
        :raises UserError: unknown code, bad ``days`` or ``interval``
        """
        kpi = self._check_code(code)
        days = self._check_days(days)
        interval = self._check_interval(interval)
        company = self._kpi_company()
        bounds = formulas.interval_bounds(self._kpi_today(), days, interval)
        values = self._cached_values(company, ("metric", code, days, interval), bounds, [code])
        points = [
            {
                "label": self._point_label(bounds[i], interval),
                "date": bounds[i].isoformat(),
                "date_from": bounds[i].isoformat(),
                "date_to": self._last_day(bounds[i + 1]),
                "value": formulas.format_value(kpi.unit, values[code][i]),
            }
            for i in range(1, len(bounds) - 1)
        ]
        return dict(
            self._catalog_entry(kpi),
            days=days,
            interval=interval,
            date_from=points[0]["date_from"],
            date_to=points[-1]["date_to"],
            points=points,
        )

    @api.model
    @api.readonly
    def get_comparison(self, product_ids, days=30):
        """Product-level KPIs of a few products side by side, this period vs the previous one.

        :param list product_ids: 1 to 20 ids of products of the current company (or shared)
        :param int days: 1 to 3660
        :returns: ``{"days", "date_from", "date_to", "previous_date_from", "previous_date_to",
            "currency_id", "metrics": [{"code", "name", "unit", "direction"}], "products":
            [{"id", "name", "default_code", "values": {code: {"value", "previous", "change",
            "change_pct", "no_data"}}}]}``, products in the order given. ``on_hand`` and
            ``stock_value`` are at the end of each period, ``forecast_30d`` the current forecast.
        :raises UserError: ids not a non-empty list of integers, too many, unknown or of another
            company
        """
        days = self._check_days(days)
        company = self._kpi_company()
        products = self._check_products(product_ids, company)
        bounds = formulas.period_bounds(self._kpi_today(), days)
        scope = _Scope(company, bounds)
        scope.product_ids = np.array(sorted(products.ids), dtype=np.int64)
        self.env.flush_all()
        figures = self._product_figures(scope)
        rows = {product_id: row for row, product_id in enumerate(scope.product_ids.tolist())}
        units = {code: unit for code, _name, unit, _direction in formulas.PRODUCT_METRICS}
        return {
            "days": days,
            **self._period_dates(bounds),
            "currency_id": company.currency_id.id,
            "metrics": [
                {"code": code, "name": self.env._(name), "unit": unit, "direction": direction}
                for code, name, unit, direction in formulas.PRODUCT_METRICS
            ],
            "products": [
                {
                    "id": product.id,
                    "name": product.display_name,
                    "default_code": product.default_code or "",
                    "values": {
                        code: formulas.summarize(units[code], figures[code][rows[product.id]])
                        for code in units
                    },
                }
                for product in products
            ],
        }

    # ------------------------------------------------------------------------------------------
    # Cache
    # ------------------------------------------------------------------------------------------
    def init(self):
        self.env.cr.execute(
            SQL("CREATE SEQUENCE IF NOT EXISTS %s", SQL.identifier(GENERATION_SEQUENCE))
        )

    @api.model
    def _invalidate_kpi_cache(self, company_ids=None):
        """Drop the cached KPIs of this database (of ``company_ids`` only, when given), now and
        again when the transaction ends; once it is committed, the other worker processes drop
        theirs too (all companies: the cache generation advances).

        Called when sales are confirmed or cancelled (``sale.order``) and when an analysis run
        finishes (``erpconnect.run``).
        """
        cr = self.env.cr
        companies = frozenset(company_ids) if company_ids is not None else None
        _clear_cache(cr.dbname, companies)
        pending = cr.postcommit.data.setdefault("erpconnect_kpi_invalidate", set())
        if not pending:
            dbname = cr.dbname

            def clear():
                _clear_cache(dbname, *_pending_companies(pending))

            def advance_generation():
                clear()
                # after the commit, on a connection of its own (the request's may be closing);
                # the commit is done: a failure here must not fail the request
                try:
                    with sql_db.db_connect(dbname).cursor() as generation_cr:
                        generation_cr.execute(
                            SQL(
                                "SELECT pg_advisory_xact_lock(%s::regclass::oid::bigint)",
                                GENERATION_SEQUENCE,
                            )
                        )
                        generation_cr.execute(
                            SQL(
                                "SELECT setval(%s, nextval(%s))",
                                GENERATION_SEQUENCE,
                                GENERATION_SEQUENCE,
                            )
                        )
                except psycopg2.Error:
                    _logger.warning(
                        "KPI cache generation not advanced: other workers keep their cached "
                        "KPIs for up to %s s",
                        CACHE_TTL,
                        exc_info=True,
                    )

            cr.postcommit.add(advance_generation)
            cr.postrollback.add(clear)
        pending.add(companies)

    @api.model
    def _cache_generation(self):
        """Current value of the cache generation (advanced by ``_invalidate_kpi_cache``)."""
        # last_value stays at the start value until the first nextval() sets is_called
        return self.env.execute_query(
            SQL(
                "SELECT last_value + is_called::int FROM %s",
                SQL.identifier(GENERATION_SEQUENCE),
            )
        )[0][0]

    @api.model
    def _cached_values(self, company, key, bounds, codes):
        """``_compute_values`` served from the cache while younger than ``CACHE_TTL`` seconds.

        The key is (database, company, last day, ``key``): the figures are company-level, the
        same for every user allowed to read them, so users of one company share entries.
        """
        return self._cached(
            company, (bounds[-1], *key), lambda: self._compute_values(company, bounds, codes)
        )

    @api.model
    def _cached(self, company, key, compute):
        """``compute()`` served from the cache while younger than ``CACHE_TTL`` seconds, under
        (database, company, ``key``); dropped with the company's KPIs (``_invalidate_kpi_cache``).

        For company-level data only (the same for every user allowed to read it); callers must
        not modify what it returns.
        """
        cache_key = (self.env.cr.dbname, company.id, self._cache_generation(), *key)
        now = time.monotonic()
        with _cache_lock:
            hit = _cache.get(cache_key)
        if hit and 0 <= now - hit[0] < CACHE_TTL:
            return hit[1]
        values = compute()
        with _cache_lock:
            _cache[cache_key] = (now, values)
            if len(_cache) > CACHE_MAX_ENTRIES:
                for old in sorted(_cache, key=lambda k: _cache[k][0])[: len(_cache) // 4]:
                    del _cache[old]
        return values

    # ------------------------------------------------------------------------------------------
    # Computation
    # ------------------------------------------------------------------------------------------
    @api.model
    def _compute_values(self, company, bounds, codes=None):
        """Values of the KPIs ``codes`` (default: all) per bucket of ``bounds``: the per-product
        stock KPIs from the recorded days where they can, the rest live.

        :returns: ``{code: [float or nan per bucket]}``
        """
        codes = list(formulas.KPI_BY_CODE) if codes is None else list(codes)
        values = {}
        stock_product_codes = [code for code in codes if code in formulas.STOCK_PRODUCT_CODES]
        if stock_product_codes:
            values.update(self._stock_product_values(company, bounds, stock_product_codes))
        others = [code for code in codes if code not in values]
        if others:
            values.update(self._live_values(company, bounds, others))
        return {code: values[code] for code in codes}

    @api.model
    def _stock_product_values(self, company, bounds, codes):
        """Per-product stock KPIs (``STOCK_PRODUCT_CODES``) at each bucket end: the value
        recorded for the day that ends there (``erpconnect.kpi.snapshot``) when there is one,
        computed live at the other ends only (their value depends on the end alone)."""
        ends = bounds[1:]
        days = [end - datetime.timedelta(days=1) for end in ends]
        recorded = self.env["erpconnect.kpi.snapshot"]._recorded_values(company, days, codes)
        values = {code: [recorded.get((day, code)) for day in days] for code in codes}
        missing = [
            i for i, day in enumerate(days) if any((day, code) not in recorded for code in codes)
        ]
        if missing:
            live = self._live_values(
                company, [bounds[missing[0]], *(ends[i] for i in missing)], codes
            )
            for position, i in enumerate(missing):
                for code in codes:
                    values[code][i] = live[code][position]
        return values

    @api.model
    def _live_values(self, company, bounds, codes):
        """Values of the KPIs ``codes`` per bucket of ``bounds``, computed from the company's
        data: ``{code: [float or nan per bucket]}``."""
        sources = {source for code in codes for source in formulas.KPI_BY_CODE[code].sources}
        if "sales_daily" in sources:
            sources.add("products")
        scope = _Scope(company, bounds, codes)
        scope.sources = sources
        data = formulas.KpiData(
            scope.bucket_days, bucket_end=[bound.toordinal() for bound in bounds[1:]]
        )
        self.env.flush_all()
        data.update(**self._load_data_start(scope))
        for source, loader in SOURCE_LOADERS:
            if source in sources:
                data.update(**getattr(self, loader)(scope))
        values = formulas.compute_kpis(data, codes)
        return {code: values[code].tolist() for code in codes}

    def _confirmed_orders_sql(self, scope, start, end):
        """``SELECT`` of the company's confirmed orders dated in ``[start, end)``: ``id,
        date_order, currency_rate, partner_id, amount_untaxed``."""
        return SQL(
            """
            SELECT id, date_order, currency_rate, partner_id, amount_untaxed
              FROM sale_order
             WHERE company_id = %s AND state = 'sale' AND date_order >= %s AND date_order < %s
            """,
            scope.company.id,
            start,
            end,
        )

    def _confirmed_lines_sql(self, scope, start, end, product_ids=None):
        """``FROM ... WHERE ...`` of the product lines of the company's confirmed orders dated in
        ``[start, end)``; aliases ``l`` (line), ``so`` (``_confirmed_orders_sql``), ``pp``,
        ``pt``, ``lu`` (line unit), ``pu`` (product unit)."""
        product_filter = (
            SQL("AND l.product_id = ANY(%s)", list(product_ids)) if product_ids else SQL()
        )
        return SQL(
            """
              FROM sale_order_line l
              JOIN (%(orders)s) so ON so.id = l.order_id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE %(product_lines)s %(product_filter)s
            """,
            orders=self._confirmed_orders_sql(scope, start, end),
            product_lines=PRODUCT_LINES,
            product_filter=product_filter,
        )

    def _line_groups_sql(self, scope, segments, product_ids=None):
        """``FROM ...`` of the company's confirmed product lines dated in ``[segments[0],
        segments[-1])`` summed per product, line unit and segment of ``segments`` (datetimes):
        alias ``g`` (``product_id, segment`` 0-based, ``revenue`` in the company currency, ``qty,
        goods_ordered, goods_delivered`` in the line's unit, ``lines``), joined to ``pp``,
        ``pt``, ``lu`` (line unit) and ``pu`` (product unit).

        The window's orders are read first (date index) and their lines through the order index,
        so that a few weeks do not scan the lines of the whole history; the sums per product and
        unit keep the joins small.
        """
        product_filter = (
            SQL("AND l.product_id = ANY(%s)", list(product_ids)) if product_ids else SQL()
        )
        return SQL(
            """
              FROM (
                WITH so AS MATERIALIZED (%(orders)s)
                SELECT l.product_id, l.product_uom,
                       width_bucket(so.date_order, %(segments)s::timestamp[]) - 1 AS segment,
                       SUM(%(revenue)s) AS revenue,
                       SUM(l.product_uom_qty::float8) AS qty,
                       SUM(l.product_uom_qty::float8) FILTER (%(goods)s) AS goods_ordered,
                       SUM(l.qty_delivered::float8) FILTER (%(goods)s) AS goods_delivered,
                       COUNT(*) AS lines
                  FROM sale_order_line l
                  JOIN so ON so.id = l.order_id
                 WHERE l.order_id = ANY(ARRAY(SELECT id FROM so))
                   AND %(product_lines)s %(product_filter)s
                 GROUP BY 1, 2, 3
              ) g
              JOIN product_product pp ON pp.id = g.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = g.product_uom
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
            """,
            orders=self._confirmed_orders_sql(scope, segments[0], segments[-1]),
            segments=segments,
            revenue=self._line_revenue_sql(),
            goods=SQL("WHERE l.qty_delivered_method = 'stock_move'"),
            product_lines=PRODUCT_LINES,
            product_filter=product_filter,
        )

    @staticmethod
    def _company_currency_sql(amount):
        """SQL of ``amount`` of the order ``so`` in the company currency."""
        return SQL(
            "%s::float8 / CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0"
            " ELSE so.currency_rate::float8 END",
            amount,
        )

    @classmethod
    def _line_revenue_sql(cls):
        """SQL of a line's untaxed revenue in the company currency (``l`` line, ``so`` order)."""
        return cls._company_currency_sql(SQL("l.price_subtotal"))

    @staticmethod
    def _in_product_unit(quantity):
        """SQL of a line's ``quantity`` (in the line's unit) converted to the product's unit."""
        return SQL(
            "(%s::float8 * COALESCE(pu.factor::float8 / NULLIF(lu.factor, 0)::float8, 1.0))",
            quantity,
        )

    def _unit_cost_sql(self, scope):
        """SQL of the product's cost (``pp.standard_price``) in the company."""
        return (
            self.env["product.product"]
            .with_company(scope.company)
            ._field_to_sql("pp", "standard_price")
        )

    def _bucket_sql(self, scope, column):
        """0-based bucket of ``column`` in ``scope.starts``: −1 before, ``B`` after the end."""
        return SQL("(width_bucket(%s, %s::timestamp[]) - 1)", column, scope.starts)

    def _by_bucket(self, scope, rows, names):
        """Rows ``(bucket, value...)`` as ``{name: array (B,)}``, zero where a bucket has no row."""
        arrays = {name: np.zeros(scope.bucket_count) for name in names}
        for bucket, *values in rows:
            if 0 <= bucket < scope.bucket_count:
                for name, value in zip(names, values):
                    arrays[name][bucket] = value or 0.0
        return arrays

    # -- loaders: each returns {KpiData field: array} ------------------------------------------
    def _load_data_start(self, scope):
        """Day ordinals of the company's first confirmed order and first done stock move, for
        the sources of ``scope`` that begin with them (``nan`` when there is none): a bucket
        ending before is no data, not 0 (``formulas.no_data_buckets``)."""
        firsts = {}
        if formulas.ORDER_SOURCES & scope.sources:
            firsts["orders_since"] = SQL(
                "SELECT MIN(date_order) FROM sale_order WHERE company_id = %s AND state = 'sale'",
                scope.company.id,
            )
        if "stock" in scope.sources:
            firsts["stock_since"] = SQL(
                "SELECT MIN(date) FROM stock_move WHERE company_id = %s AND state = 'done'",
                scope.company.id,
            )
        starts = {}
        for name, query in firsts.items():
            [(first,)] = self.env.execute_query(query)
            starts[name] = first.date().toordinal() if first else np.nan
        return starts

    def _load_products(self, scope):
        """Every product of the company (or shared), archived included, by id."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT pp.id, COALESCE(pp.active, FALSE), COALESCE(pt.sale_ok, FALSE),
                       COALESCE(pt.is_storable, FALSE), COALESCE(pt.list_price, 0)::float8,
                       %(cost)s::float8,
                       COALESCE(%(created)s, -1),
                       pu.factor::float8
                  FROM product_product pp
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                  LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
                 WHERE pt.company_id IS NULL OR pt.company_id = %(company)s
                 ORDER BY pp.id
                """,
                cost=self._unit_cost_sql(scope),
                created=self._bucket_sql(scope, SQL("pp.create_date")),
                company=scope.company.id,
            )
        )
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 8)
        scope.product_ids = table[:, 0].astype(np.int64)
        scope.catalog = (table[:, 1] * table[:, 2]).astype(bool)
        scope.unit_factor = table[:, 7]
        no_figure = np.full(len(rows), np.nan)
        return {
            "product_active": table[:, 1],
            "product_storable": table[:, 3],
            "product_catalog": scope.catalog,
            "list_price": table[:, 4],
            "unit_cost": np.nan_to_num(table[:, 5]),
            "product_created_bucket": table[:, 6],
            "on_hand": np.zeros(len(rows)),
            "net_moves": np.zeros((len(rows), scope.bucket_count + 1)),
            "customer_moves": np.zeros((len(rows), scope.bucket_count)),
            "rule_min": no_figure,
            "rule_max": no_figure,
            "reorder_point": no_figure,
        }

    def _load_stock(self, scope):
        """Today's on-hand stock in internal locations (quants), and the done stock moves in and
        out of them since the end of the first bucket, by product and bucket.

        When no per-product stock KPI is asked (``STOCK_PRODUCT_CODES``), the stock is summed at
        cost in SQL and handed to the formulas as a single product whose unit is one currency
        unit.
        """
        if formulas.STOCK_PRODUCT_CODES & scope.codes:
            on_hand, net_moves, customer_moves = self._stock_figures(scope)
            return {"on_hand": on_hand, "net_moves": net_moves, "customer_moves": customer_moves}
        on_hand, net_moves, customer_moves = self._stock_figures(scope, valued=True)
        return {
            "on_hand": on_hand,
            "net_moves": net_moves,
            "customer_moves": customer_moves,
            "unit_cost": np.ones(1),
        }

    def _stock_figures(self, scope, product_ids=None, valued=False):
        """Today's stock (P,), net moves into stock (P × (B + 1)) and to customers (P × B) of the
        products of ``scope`` (restricted to ``product_ids`` when given), or with ``valued`` the
        same summed at cost over all products (1,), (1 × (B + 1)), (1 × B)."""
        size = 1 if valued else scope.product_ids.size
        quant_filter, move_filter = SQL(), SQL()
        if product_ids:
            quant_filter = SQL("AND q.product_id = ANY(%s)", list(product_ids))
            move_filter = SQL("AND m.product_id = ANY(%s)", list(product_ids))
        cost = SQL("COALESCE(%s, 0)::float8", self._unit_cost_sql(scope)) if valued else SQL("1.0")
        key = SQL("0") if valued else SQL("pp.id")
        quants = self.env.execute_query(
            SQL(
                """
                SELECT %(key)s, SUM(q.quantity::float8 * %(cost)s)
                  FROM stock_quant q
                  JOIN stock_location sl ON sl.id = q.location_id
                  JOIN product_product pp ON pp.id = q.product_id
                 WHERE q.company_id = %(company)s AND sl.usage = 'internal' %(product_filter)s
                 GROUP BY 1
                """,
                key=key,
                cost=cost,
                company=scope.company.id,
                product_filter=quant_filter,
            )
        )
        # product_qty: the quantity of a done move in the product's unit. The locations'
        # usages are read first: the moves need no join then.
        internal, customer = [], []
        for location_id, usage in self.env.execute_query(
            SQL("SELECT id, usage FROM stock_location WHERE usage IN ('internal', 'customer')")
        ):
            (internal if usage == "internal" else customer).append(location_id)
        qty = SQL("m.product_qty::float8 * %s", cost)
        net = SQL(
            "CASE WHEN m.location_dest_id = ANY(%(internal)s) THEN %(qty)s ELSE -%(qty)s END",
            internal=internal,
            qty=qty,
        )
        to_customers = SQL(
            """CASE WHEN m.location_dest_id = ANY(%(customer)s) THEN %(qty)s
                    WHEN m.location_id = ANY(%(customer)s) THEN -%(qty)s ELSE 0 END""",
            customer=customer,
            qty=qty,
        )
        grouped = valued or scope.bucket_count < GROUPED_SEGMENTS_MAX
        if grouped:
            net, to_customers = SQL("SUM(%s)", net), SQL("SUM(%s)", to_customers)
        joins = SQL("JOIN product_product pp ON pp.id = m.product_id") if valued else SQL()
        moves = self.env.execute_query(
            SQL(
                """
                SELECT %(key)s, %(bucket)s, %(net)s, %(to_customers)s
                  FROM stock_move m %(joins)s
                 WHERE m.company_id = %(company)s
                   AND m.state = 'done'
                   AND m.date >= %(start)s
                   AND (m.location_id = ANY(%(internal)s))
                       <> (m.location_dest_id = ANY(%(internal)s))
                   %(product_filter)s
                 %(group_by)s
                """,
                key=key if valued else SQL("m.product_id"),
                bucket=self._bucket_sql(scope, SQL("m.date")),
                net=net,
                to_customers=to_customers,
                joins=joins,
                company=scope.company.id,
                start=scope.starts[1],
                internal=internal,
                product_filter=move_filter,
                group_by=SQL("GROUP BY 1, 2") if grouped else SQL(),
            )
        )

        def locate(ids):
            if valued:
                return np.zeros(len(ids), np.int64), np.ones(len(ids), bool)
            return scope.positions(ids)

        on_hand = np.zeros(size)
        net_moves = np.zeros((size, scope.bucket_count + 1))
        customer_moves = np.zeros((size, scope.bucket_count + 1))
        if quants:
            ids, quantities = np.array(quants, dtype=np.float64).T
            rows, known = locate(ids)
            np.add.at(on_hand, rows[known], quantities[known])
        if moves:
            ids, buckets, net, to_customers = np.array(moves, dtype=np.float64).T
            rows, known = locate(ids)
            buckets = buckets.astype(np.int64)
            np.add.at(net_moves, (rows[known], buckets[known]), net[known])
            np.add.at(customer_moves, (rows[known], buckets[known]), to_customers[known])
        return on_hand, net_moves, customer_moves[:, :-1]

    def _load_rules(self, scope):
        """Sum of the min and max quantities of the company's active reorder rules, per product."""
        groups = (
            self.env["stock.warehouse.orderpoint"]
            .sudo()
            ._read_group(
                [("company_id", "=", scope.company.id)],
                ["product_id"],
                ["product_min_qty:sum", "product_max_qty:sum"],
            )
        )
        rule_min = np.full(scope.product_ids.size, np.nan)
        rule_max = np.full(scope.product_ids.size, np.nan)
        if groups:
            rows, known = scope.positions([product.id for product, _min, _max in groups])
            rule_min[rows[known]] = np.array([group[1] for group in groups])[known]
            rule_max[rows[known]] = np.array([group[2] for group in groups])[known]
        return {"rule_min": rule_min, "rule_max": rule_max}

    def _load_reorder_points(self, scope):
        """Reorder point of the current replenishment suggestions (all warehouses), per product."""
        reorder_point = np.full(scope.product_ids.size, np.nan)
        if "erpconnect.replenishment" in self.env:
            groups = (
                self.env["erpconnect.replenishment"]
                .sudo()
                ._read_group(
                    [("company_id", "=", scope.company.id)], ["product_id"], ["reorder_point:sum"]
                )
            )
            if groups:
                rows, known = scope.positions([product.id for product, _rop in groups])
                reorder_point[rows[known]] = np.array([rop for _product, rop in groups])[known]
        return {"reorder_point": reorder_point}

    def _load_sales(self, scope):
        """Order lines of the company's confirmed orders per bucket of order date (with the
        number of distinct products sold when "sold_products" is needed)."""
        names, distinct = SALES_SUMS, SQL()
        if "sold_products" in scope.sources:
            names = formulas.SALES_FIELDS
            distinct = SQL(
                """,
                COUNT(DISTINCT g.product_id),
                COUNT(DISTINCT g.product_id) FILTER (WHERE pp.active AND pt.sale_ok)
                """
            )
        rows = self.env.execute_query(
            SQL(
                "SELECT g.segment, %s %s %s GROUP BY 1",
                self._sales_sums_sql(scope),
                distinct,
                self._line_groups_sql(scope, scope.starts),
            )
        )
        return self._by_bucket(scope, rows, names)

    def _load_trailing_sales(self, scope):
        """Each product's quantity sold (in its unit) and order lines in the
        ``DEAD_STOCK_DAYS`` before each bucket end (P × B).

        The order lines are cut at every bucket end and ``DEAD_STOCK_DAYS`` before it, so that
        every trailing window is a union of segments; a few segments are summed in SQL, many
        (daily histories) in numpy.
        """
        window = formulas.DEAD_STOCK_DAYS
        ends = scope.bounds[1:]
        cuts = sorted(set(ends) | {end - datetime.timedelta(days=window) for end in ends})
        grouped = len(cuts) <= GROUPED_SEGMENTS_MAX
        qty, lines = SQL("l.product_uom_qty::float8"), SQL("1")
        if grouped:
            qty, lines = SQL("SUM(%s)", qty), SQL("COUNT(*)")
        rows = self.env.execute_query(
            SQL(
                """
                WITH so AS MATERIALIZED (%(orders)s)
                SELECT l.product_id, width_bucket(so.date_order, %(cuts)s::timestamp[]) - 1,
                       l.product_uom, %(qty)s, %(lines)s
                  FROM sale_order_line l
                  JOIN so ON so.id = l.order_id
                 WHERE l.order_id = ANY(ARRAY(SELECT id FROM so)) AND %(product_lines)s
                 %(group_by)s
                """,
                orders=self._confirmed_orders_sql(
                    scope, datetime.datetime.combine(cuts[0], datetime.time.min), scope.starts[-1]
                ),
                cuts=[datetime.datetime.combine(day, datetime.time.min) for day in cuts],
                qty=qty,
                lines=lines,
                product_lines=PRODUCT_LINES,
                group_by=SQL("GROUP BY 1, 2, 3") if grouped else SQL(),
            )
        )
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 5)
        rows_index, known = scope.positions(table[:, 0])
        table, rows_index = table[known], rows_index[known]
        # quantities from the line's unit to the product's (as _in_product_unit)
        line_factor = self._unit_factors(table[:, 2])
        product_factor = scope.unit_factor[rows_index]
        ratio = np.ones(len(table))
        convertible = (line_factor != 0) & np.isfinite(line_factor) & np.isfinite(product_factor)
        ratio[convertible] = product_factor[convertible] / line_factor[convertible]
        # a segment lies wholly inside or outside each window: its first day stands for it
        cut_days = np.array([(day - cuts[0]).days for day in cuts], dtype=np.int64)
        segment_days = cut_days[table[:, 1].astype(np.int64)]
        end_days = [(end - cuts[0]).days for end in ends]
        size = scope.product_ids.size
        return {
            name: formulas.trailing_window_sums(
                rows_index, segment_days, values, end_days, window, size
            )
            for name, values in (
                ("trailing_qty", np.nan_to_num(table[:, 3]) * ratio),
                ("trailing_lines", table[:, 4]),
            )
        }

    def _unit_factors(self, uom_ids):
        """Factor of each unit of measure of ``uom_ids`` (``nan`` for none or unknown)."""
        rows = self.env.execute_query(SQL("SELECT id, factor::float8 FROM uom_uom ORDER BY id"))
        ids = np.array([uom_id for uom_id, _factor in rows], dtype=np.int64)
        factors = np.array([factor for _uom_id, factor in rows], dtype=np.float64)
        wanted = np.nan_to_num(np.asarray(uom_ids, dtype=np.float64), nan=-1).astype(np.int64)
        if not ids.size:
            return np.full(wanted.shape, np.nan)
        found = np.clip(np.searchsorted(ids, wanted), 0, ids.size - 1)
        return np.where(ids[found] == wanted, factors[found], np.nan)

    def _sales_sums_sql(self, scope):
        """Sums over the rows ``g`` of ``_line_groups_sql``, in the order of ``SALES_SUMS``
        (quantities in the product's unit)."""
        return SQL(
            """
            SUM(%(qty)s * COALESCE(%(cost)s, 0)::float8),
            SUM(%(qty)s),
            SUM(%(ordered)s),
            SUM(%(delivered)s)
            """,
            qty=self._in_product_unit(SQL("g.qty")),
            cost=self._unit_cost_sql(scope),
            ordered=self._in_product_unit(SQL("g.goods_ordered")),
            delivered=self._in_product_unit(SQL("g.goods_delivered")),
        )

    def _load_orders(self, scope):
        """Confirmed orders per bucket of order date: their untaxed amount in the company
        currency, their number, their customers (commercial entities) and, when "repeat" is
        needed, the customers with two orders up to the bucket's end (in it, or one before)."""
        firsts, join_firsts, repeat_count = SQL(), SQL(), SQL("NULL")
        if "repeat" in scope.sources:
            firsts = SQL(
                """
                , firsts AS (
                    SELECT rp.commercial_partner_id AS customer, MIN(so.date_order) AS first_order
                      FROM sale_order so
                      JOIN res_partner rp ON rp.id = so.partner_id
                     WHERE so.company_id = %s
                       AND so.state = 'sale'
                       AND so.date_order < %s
                       AND rp.commercial_partner_id IN (SELECT customer FROM per_bucket)
                     GROUP BY 1
                )
                """,
                scope.company.id,
                scope.starts[-1],
            )
            join_firsts = SQL("LEFT JOIN firsts f ON f.customer = b.customer")
            repeat_count = SQL(
                "COUNT(*) FILTER (WHERE b.order_count >= 2"
                " OR f.first_order < (%s::timestamp[])[b.bucket])",
                scope.starts,
            )
        rows = self.env.execute_query(
            SQL(
                """
                WITH per_bucket AS (
                    SELECT %(bucket)s + 1 AS bucket, rp.commercial_partner_id AS customer,
                           COUNT(*) AS order_count, SUM(%(revenue)s) AS revenue
                      FROM (%(orders)s) so
                      JOIN res_partner rp ON rp.id = so.partner_id
                     GROUP BY 1, 2
                ) %(firsts)s
                SELECT b.bucket - 1, SUM(b.revenue), SUM(b.order_count), COUNT(*), %(repeat)s
                  FROM per_bucket b %(join_firsts)s
                 GROUP BY b.bucket
                """,
                bucket=self._bucket_sql(scope, SQL("so.date_order")),
                revenue=self._company_currency_sql(SQL("so.amount_untaxed")),
                orders=self._confirmed_orders_sql(scope, scope.starts[0], scope.starts[-1]),
                firsts=firsts,
                join_firsts=join_firsts,
                repeat=repeat_count,
            )
        )
        arrays = self._by_bucket(scope, rows, formulas.ORDER_FIELDS)
        if "repeat" not in scope.sources:
            del arrays["repeat_customers"]
        return arrays

    def _load_deliveries(self, scope):
        """Customer deliveries (outgoing pickings of confirmed orders) by day done: count, late
        ones, and per order the days to its first and, when complete, its last delivery. Only
        the orders with a delivery done in the buckets are read."""
        rows = self.env.execute_query(
            SQL(
                """
                WITH recent AS (
                    SELECT DISTINCT sale_id
                      FROM stock_picking
                     WHERE company_id = %(company)s
                       AND state = 'done'
                       AND sale_id IS NOT NULL
                       AND date_done >= %(start)s
                       AND date_done < %(end)s
                ), deliveries AS (
                    SELECT p.sale_id, p.state, p.date_done, so.date_order, so.create_date,
                           COALESCE(so.commitment_date, p.date_deadline, p.scheduled_date) AS due
                      FROM recent r
                      JOIN stock_picking p ON p.sale_id = r.sale_id
                      JOIN stock_picking_type t ON t.id = p.picking_type_id
                      JOIN sale_order so ON so.id = p.sale_id
                     WHERE t.code = 'outgoing'
                       AND p.state != 'cancel'
                       AND so.state = 'sale'
                ), orders AS (
                    SELECT sale_id, MIN(date_done) AS first_done, MAX(date_done) AS last_done,
                           BOOL_OR(state != 'done') AS pending, MIN(date_order) AS confirmed,
                           MIN(create_date) AS quoted
                      FROM deliveries
                     GROUP BY sale_id
                )
                SELECT bucket, SUM(done), SUM(late), SUM(processing_days)::float8,
                       SUM(processing_orders), SUM(cycle_days)::float8, SUM(cycle_orders)
                  FROM (
                    SELECT %(bucket_done)s AS bucket, 1 AS done,
                           CASE WHEN date_done::date > due::date THEN 1 ELSE 0 END AS late,
                           0.0 AS processing_days, 0 AS processing_orders,
                           0.0 AS cycle_days, 0 AS cycle_orders
                      FROM deliveries
                     WHERE state = 'done' AND date_done >= %(start)s AND date_done < %(end)s
                    UNION ALL
                    SELECT %(bucket_first)s, 0, 0,
                           EXTRACT(EPOCH FROM first_done - confirmed) / 86400.0, 1, 0.0, 0
                      FROM orders
                     WHERE first_done >= %(start)s AND first_done < %(end)s
                    UNION ALL
                    SELECT %(bucket_last)s, 0, 0, 0.0, 0,
                           EXTRACT(EPOCH FROM last_done - quoted) / 86400.0, 1
                      FROM orders
                     WHERE NOT pending AND last_done >= %(start)s AND last_done < %(end)s
                  ) figures
                 GROUP BY bucket
                """,
                company=scope.company.id,
                start=scope.starts[0],
                end=scope.starts[-1],
                bucket_done=self._bucket_sql(scope, SQL("date_done")),
                bucket_first=self._bucket_sql(scope, SQL("first_done")),
                bucket_last=self._bucket_sql(scope, SQL("last_done")),
            )
        )
        return self._by_bucket(scope, rows, formulas.DELIVERY_FIELDS)

    def _load_suggestions(self, scope):
        """Current replenishment suggestions by day created, and the applied ones."""
        if "erpconnect.replenishment" not in self.env:
            return {}
        groups = (
            self.env["erpconnect.replenishment"]
            .sudo()
            .with_context(tz="UTC")
            ._read_group(
                [
                    ("company_id", "=", scope.company.id),
                    ("create_date", ">=", scope.starts[0]),
                    ("create_date", "<", scope.starts[-1]),
                ],
                ["create_date:day", "state"],
                ["__count"],
            )
        )
        starts = np.array([bound.toordinal() for bound in scope.bounds])
        arrays = {
            name: np.zeros(scope.bucket_count) for name in ("suggestions", "suggestions_applied")
        }
        for day, state, count in groups:
            bucket = int(np.searchsorted(starts, day.toordinal(), "right")) - 1
            arrays["suggestions"][bucket] += count
            if state == "applied":
                arrays["suggestions_applied"][bucket] += count
        return arrays

    def _load_anomalies(self, scope):
        """Current anomalies dated in the 7 and 30 days before each bucket end."""
        if "erpconnect.anomaly" not in self.env:
            return {}
        ends = [bound.toordinal() for bound in scope.bounds[1:]]
        first = scope.bounds[1] - datetime.timedelta(days=30)
        groups = (
            self.env["erpconnect.anomaly"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", scope.company.id),
                    ("date", ">=", first),
                    ("date", "<", scope.bounds[-1]),
                ],
                ["date:day"],
                ["__count"],
            )
        )
        index = np.zeros(len(groups), dtype=np.int64)
        days = [day.toordinal() for day, _count in groups]
        counts = [count for _day, count in groups]
        # Compare only windows scanned the same way: a window some successful run did not scan
        # (before the first run, a gap between runs) has no data, not 0 anomalies.
        scans = (
            self.env["erpconnect.run"]
            .sudo()
            ._read_group(
                [("company_id", "=", scope.company.id), ("status", "=", "done")],
                ["as_of:day"],
            )
        )
        scan_ends = [as_of.toordinal() for (as_of,) in scans if as_of]
        arrays = {}
        for name, window in (("anomalies_7d", 7), ("anomalies_30d", 30)):
            found = formulas.trailing_window_sums(index, days, counts, ends, window, 1)[0]
            covered = formulas.scan_covered(scan_ends, ANOMALY_SCAN_DAYS, ends, window)
            arrays[name] = np.where(covered, found, np.nan)
        return arrays

    def _load_runs(self, scope):
        """Per bucket end: the last successful analysis run finished before it (its day and
        products forecast), and the backtest errors of the current forecasts (last end only)."""
        arrays = {}
        if "erpconnect.run" in self.env:
            runs = (
                self.env["erpconnect.run"]
                .sudo()
                .search_read(
                    [
                        ("company_id", "=", scope.company.id),
                        ("status", "=", "done"),
                        ("finished_at", "!=", False),
                        ("finished_at", "<", scope.starts[-1]),
                    ],
                    ["finished_at", "products_processed"],
                    order="finished_at",
                )
            )
            finished = [run["finished_at"].timestamp() for run in runs]
            latest = formulas.latest_before(
                finished, [start.timestamp() for start in scope.starts[1:]]
            )
            days = [run["finished_at"].date().toordinal() for run in runs]
            arrays["last_training"] = formulas.pick(days, latest)
            arrays["trained_models"] = formulas.pick(
                [run["products_processed"] for run in runs], latest
            )
        arrays.update(self._forecast_errors(scope))
        return arrays

    def _forecast_errors(self, scope):
        """Mean backtest sMAPE and MASE of the current forecasts that have a backtest; they are
        known for today only (``nan`` at the earlier bucket ends)."""
        smape = np.full(scope.bucket_count, np.nan)
        mase = np.full(scope.bucket_count, np.nan)
        if "erpconnect.forecast" in self.env:
            [(count, smape_mean, mase_mean)] = (
                self.env["erpconnect.forecast"]
                .sudo()
                ._read_group(
                    [("company_id", "=", scope.company.id), ("has_accuracy", "=", True)],
                    [],
                    ["__count", "smape:avg", "mase:avg"],
                )
            )
            if count:
                smape[-1], mase[-1] = smape_mean, mase_mean
        return {"forecast_accuracy_smape": smape, "forecast_accuracy_mase": mase}

    # -- product comparison --------------------------------------------------------------------
    def _product_figures(self, scope):
        """Product metrics (``PRODUCT_METRICS``) per product of ``scope`` and bucket."""
        product_ids = scope.product_ids.tolist()
        sums = self.env.execute_query(
            SQL(
                "SELECT g.product_id, g.segment, SUM(g.revenue), %s %s GROUP BY 1, 2",
                self._sales_sums_sql(scope),
                self._line_groups_sql(scope, scope.starts, product_ids),
            )
        )
        counts = self.env.execute_query(
            SQL(
                """
                SELECT l.product_id, %s, COUNT(DISTINCT l.order_id),
                       COUNT(DISTINCT (SELECT rp.commercial_partner_id FROM res_partner rp
                                        WHERE rp.id = so.partner_id))
                %s
                 GROUP BY 1, 2
                """,
                self._bucket_sql(scope, SQL("so.date_order")),
                self._confirmed_lines_sql(scope, scope.starts[0], scope.starts[-1], product_ids),
            )
        )
        sales = {}
        for names, rows in ((("revenue", *SALES_SUMS), sums), (("orders", "customers"), counts)):
            for name in names:
                sales[name] = np.zeros((len(product_ids), scope.bucket_count))
            for product_id, bucket, *values in rows:
                for name, value in zip(names, values):
                    sales[name][product_ids.index(product_id), bucket] = value or 0.0
        on_hand, net_moves, _customer_moves = self._stock_figures(scope, product_ids)
        products = self.env["product.product"].with_company(scope.company).browse(product_ids)
        unit_cost = products.mapped("standard_price")
        return formulas.compute_product_metrics(
            scope.bucket_days, sales, on_hand, net_moves, unit_cost, self._forecast_30d(scope)
        )

    def _forecast_30d(self, scope):
        """Current 30-day forecast per product of ``scope`` (``nan`` without one)."""
        forecast_30d = np.full(scope.product_ids.size, np.nan)
        if (
            "erpconnect.forecast" in self.env
            and "qty_30d" in self.env["erpconnect.forecast"]._fields
        ):
            groups = (
                self.env["erpconnect.forecast"]
                .sudo()
                ._read_group(
                    [
                        ("company_id", "=", scope.company.id),
                        ("product_id", "in", scope.product_ids.tolist()),
                    ],
                    ["product_id"],
                    ["qty_30d:sum"],
                )
            )
            if groups:
                rows, known = scope.positions([product.id for product, _qty in groups])
                forecast_30d[rows[known]] = np.array([qty for _product, qty in groups])[known]
        return forecast_30d

    # ------------------------------------------------------------------------------------------
    # Checks and helpers
    # ------------------------------------------------------------------------------------------
    @api.model
    def _check_kpi_access(self):
        """Raise AccessError unless the user is an ERPConnect AI user (Viewer or above)."""
        if not self.env.su and not self.env.user.has_group("erpconnect_ai.group_erpconnect_viewer"):
            raise AccessError(
                self.env._("Only ERPConnect AI users (Viewer and above) can read the KPIs.")
            )

    @api.model
    def _kpi_company(self):
        """The company the KPIs are about: the user's current one, after the access check."""
        self._check_kpi_access()
        return self.env.company

    @api.model
    def _kpi_today(self):
        """Last day of the periods (UTC), the same for every user whatever their time zone."""
        return fields.Date.today()

    @api.model
    def _check_days(self, days):
        if (
            isinstance(days, bool)
            or not isinstance(days, int)
            or not 1 <= days <= formulas.MAX_DAYS
        ):
            raise UserError(
                self.env._(
                    "The period must be a whole number of days from 1 to %(max)s, not %(days)r.",
                    max=formulas.MAX_DAYS,
                    days=days,
                )
            )
        return days

    @api.model
    def _check_interval(self, interval):
        if interval not in formulas.INTERVALS:
            raise UserError(
                self.env._(
                    "The interval must be one of %(intervals)s, not %(interval)r.",
                    intervals=", ".join(formulas.INTERVALS),
                    interval=interval,
                )
            )
        return interval

    @api.model
    def _check_code(self, code):
        kpi = formulas.KPI_BY_CODE.get(code) if isinstance(code, str) else None
        if kpi is None:
            raise UserError(
                self.env._("Unknown KPI %(code)r: see get_catalog() for the codes.", code=code)
            )
        return kpi

    @api.model
    def _check_products(self, product_ids, company):
        """The products of ``product_ids`` in that order, readable by the user and of ``company``
        (or shared), or a UserError."""
        valid = (
            isinstance(product_ids, (list, tuple))
            and product_ids
            and all(isinstance(pid, int) and not isinstance(pid, bool) for pid in product_ids)
        )
        if not valid:
            raise UserError(
                self.env._("Products must be given as a non-empty list of product ids.")
            )
        ids = list(dict.fromkeys(product_ids))
        if len(ids) > MAX_COMPARED_PRODUCTS:
            raise UserError(
                self.env._(
                    "Compare at most %(max)s products at once, not %(count)s.",
                    max=MAX_COMPARED_PRODUCTS,
                    count=len(ids),
                )
            )
        found = (
            self.env["product.product"]
            .with_context(active_test=False)
            .search([("id", "in", ids), ("company_id", "in", [False, company.id])])
        )
        missing = [pid for pid in ids if pid not in found.ids]
        if missing:
            raise UserError(
                self.env._(
                    "Unknown products or products of another company: %(ids)s.",
                    ids=", ".join(map(str, missing)),
                )
            )
        return self.env["product.product"].browse(ids)

    def _catalog_entry(self, kpi):
        return {
            "code": kpi.code,
            "name": self.env._(kpi.name),
            "category": kpi.category,
            "category_name": self.env._(formulas.CATEGORIES[kpi.category]),
            "unit": kpi.unit,
            "direction": kpi.direction,
            "kind": kpi.kind,
            "description": self.env._(kpi.description),
        }

    @classmethod
    def _period_dates(cls, bounds):
        """First and last days of the last two buckets of ``bounds`` (the period, the previous)."""
        return {
            "date_from": bounds[-2].isoformat(),
            "date_to": cls._last_day(bounds[-1]),
            "previous_date_from": bounds[-3].isoformat(),
            "previous_date_to": cls._last_day(bounds[-2]),
        }

    @staticmethod
    def _last_day(exclusive_end):
        return (exclusive_end - datetime.timedelta(days=1)).isoformat()

    @staticmethod
    def _point_label(start, interval):
        if interval == "week":
            year, week, _weekday = start.isocalendar()
            return "%d-W%02d" % (year, week)
        if interval == "month":
            return start.strftime("%Y-%m")
        return start.isoformat()
