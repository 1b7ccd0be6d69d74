"""Data loaders of the KPI service: the company's aggregates per time bucket and product.

``erpconnect.kpi`` (the API) asks for the values of some KPIs over some buckets; this model reads
what they need with a few aggregate queries (each data group of the catalogue once: products,
stock, rules, sales, orders, deliveries, analysis results), hands arrays to
``engine/kpi_formulas.py`` and returns the values. Reads only: no record is written.

Sales and stock movements come from the daily demand ledger (``erpconnect.demand.daily``), with
its day rule: buckets are days of the company's time zone, and "today" is the company's. Order
counts and customers come from the confirmed orders, bucketed by the same local days.

About 600 lines: the orchestration and one loader per data group of the catalogue (sales,
products sold, trailing sales, orders, deliveries, analysis results); the products and stock
loaders, the product comparison and the stock-outs and forecast scores loaders are in
``erpconnect_kpi_data_products.py``.
"""

import datetime
import itertools

import numpy as np
import pytz

from odoo import api, models
from odoo.tools import SQL

from ..engine import kpi_catalog as catalog
from ..engine import kpi_formulas as formulas
from .erpconnect_anomaly import SCAN_DAYS as ANOMALY_SCAN_DAYS

#: Segments up to which per-product queries sum their rows per product and segment in SQL; with
#: more (daily histories) nearly every row is its own group, and summing them with numpy instead
#: is several times faster.
GROUPED_SEGMENTS_MAX = 16
#: Buckets up to which the sales and the products sold are read from one pass summing the
#: ledger per bucket and product (``get_metrics``: base, previous and current periods, ~30,000
#: groups); histories sum the ledger by day instead.
FEW_BUCKETS_MAX = 4
#: Order in which the data groups of the catalogue (``KpiDefinition.sources``) are loaded:
#: products first, the per-product groups need its index.
SOURCE_LOADERS = (
    ("products", "_load_products"),
    ("stock", "_load_stock"),
    ("rules", "_load_rules"),
    ("rop", "_load_reorder_points"),
    ("sales", "_load_sales"),
    ("sold_products", "_sold_products"),
    ("sales_daily", "_load_trailing_sales"),
    ("orders", "_load_orders"),
    ("deliveries", "_load_deliveries"),
    ("suggestions", "_load_suggestions"),
    ("anomalies", "_load_anomalies"),
    ("runs", "_load_runs"),
    ("stockouts", "_load_stockouts"),
    ("forecast_scores", "_load_forecast_scores"),
)


class _Scope:
    """What one computation is about: company, bucket bounds, data groups, products."""

    def __init__(self, company, bounds, tz, codes=()):
        self.company = company
        self.bounds = bounds
        self.codes = frozenset(codes)  # KPIs asked for
        self.tz = pytz.timezone(tz)
        # UTC starts of the bounds' local days, for the timestamps of orders and pickings
        self.starts = [
            self.tz.localize(datetime.datetime.combine(day, datetime.time.min))
            .astimezone(pytz.utc)
            .replace(tzinfo=None)
            for day in bounds
        ]
        self.bucket_days = np.array(
            [(b - a).days for a, b in itertools.pairwise(bounds)], dtype=float
        )
        self.sources = set()  # data groups to load (catalogue sources)
        self.product_ids = np.zeros(0, dtype=np.int64)  # sorted, set by _load_products
        self.catalog = np.zeros(0, dtype=bool)  # active and sellable, per product
        self.scan_ends = None  # last days of the analysis runs' scans, read by _scanned
        self.sales_per_product = None  # read by _sales_per_product (several-day buckets)

    @property
    def few_buckets(self):
        """Whether the sales are read per bucket and product (``_sales_per_product``): a few
        buckets of several days (``get_metrics``' periods), not a history."""
        return self.bucket_count <= FEW_BUCKETS_MAX and not (self.bucket_days == 1).all()

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


class ErpconnectKpiData(models.AbstractModel):
    """Aggregates of one company read for the KPI formulas (SQL, without the caller's record
    rules: ``erpconnect.kpi`` checks the caller's group and passes the current company only)."""

    _name = "erpconnect.kpi.data"
    _description = "ERPConnect AI KPI data"

    @api.model
    def _kpi_today(self, company):
        """Last day of the periods: today in the company's time zone (the ledger's day rule),
        the same for every user whatever their own time zone."""
        return self.env["erpconnect.demand.daily"]._local_today(company)

    @api.model
    def _scope(self, company, bounds, codes=()):
        """The :class:`_Scope` of ``company`` over ``bounds`` (local days)."""
        return _Scope(
            company, bounds, self.env["erpconnect.demand.daily"]._company_tz(company), codes
        )

    @api.model
    def _comparison_figures(self, company, bounds, product_ids):
        """Product metrics (``PRODUCT_METRICS``) of ``product_ids`` (sorted) per bucket of
        ``bounds``: ``{code: array (P × B)}``."""
        scope = self._scope(company, bounds)
        scope.product_ids = np.array(product_ids, dtype=np.int64)
        self.env["erpconnect.demand.daily"]._flush_pending()
        return self._product_figures(scope)

    @api.model
    def _compute_values(self, company, bounds, codes=None):
        """Values of the KPIs ``codes`` (default: all) per bucket of ``bounds``: the per-product
        stock KPIs from the recorded days where they can, the rest live.

        :returns: ``{code: [float or nan per bucket]}``
        """
        codes = list(catalog.KPI_BY_CODE) if codes is None else list(codes)
        values = {}
        stock_product_codes = [code for code in codes if code in catalog.STOCK_PRODUCT_CODES]
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
        sources = {source for code in codes for source in catalog.KPI_BY_CODE[code].sources}
        if "sales_daily" in sources:
            sources.add("products")
        scope = self._scope(company, bounds, codes)
        scope.sources = sources
        data = formulas.KpiData(
            scope.bucket_days, bucket_end=[bound.toordinal() for bound in bounds[1:]]
        )
        self.env["erpconnect.demand.daily"]._flush_pending()
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

    def _unit_cost_sql(self, scope):
        """SQL of the product's cost (``pp.standard_price``) in the company."""
        return (
            self.env["product.product"]
            .with_company(scope.company)
            ._field_to_sql("pp", "standard_price")
        )

    def _bucket_sql(self, scope, column):
        """0-based bucket of the UTC timestamp ``column`` in ``scope.starts``: −1 before, ``B``
        after the end."""
        return SQL("(width_bucket(%s, %s::timestamp[]) - 1)", column, scope.starts)

    @staticmethod
    def _day_bucket_sql(scope):
        """0-based bucket of the ledger's local day ``d.date`` in ``scope.bounds``."""
        return SQL("(width_bucket(d.date, %s::date[]) - 1)", scope.bounds)

    def _ledger_products_sql(self, scope):
        """``p(id, cost, goods, catalog)`` of every product: current cost in the company,
        delivered by stock moves (goods), active and sellable. ``OFFSET 0`` keeps it a subquery
        computed once (10,000 costs read from their JSON), not for each ledger row joined."""
        return SQL(
            """
            (SELECT pp.id, COALESCE(%s, 0)::float8 AS cost, pt.type = 'consu' AS goods,
                    COALESCE(pp.active AND pt.sale_ok, FALSE) AS catalog
               FROM product_product pp JOIN product_template pt ON pt.id = pp.product_tmpl_id
             OFFSET 0) AS p
            """,
            self._unit_cost_sql(scope),
        )

    def _by_bucket(self, scope, rows, names):
        """Rows ``(bucket, value...)`` as ``{name: array (B,)}``, zero where a bucket has no row."""
        arrays = {name: np.zeros(scope.bucket_count) for name in names}
        for bucket, *values in rows:
            if 0 <= bucket < scope.bucket_count:
                for name, value in zip(names, values):
                    arrays[name][bucket] = value or 0.0
        return arrays

    def _ledger_daily(self, scope, sums, names, joins=None, condition=None, start=None):
        """``sums`` (SQL aggregates over the ledger rows ``d``) per day from ``start`` (default
        the first bound) to the last bound, summed into the buckets of ``scope``: ``{name:
        array (B + 1,)}``, the last cell after the last bound. Grouped by day, the rows come in
        the order of the index ``(company_id, date)`` (covering): no sort, no hashing."""
        start = scope.bounds[0] if start is None else start
        joins, condition = joins or SQL(), condition or SQL()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT d.date, %(sums)s
                  FROM erpconnect_demand_daily d %(joins)s
                 WHERE d.company_id = %(company)s AND d.date >= %(start)s %(condition)s
                 GROUP BY d.date
                """,
                sums=sums,
                joins=joins,
                company=scope.company.id,
                start=start,
                condition=condition,
            )
        )
        return self._sum_days(scope, rows, names)

    @staticmethod
    def _sum_days(scope, rows, names):
        """Rows ``(day, value...)`` (local days) summed into the buckets of ``scope``: ``{name:
        array (B + 1,)}``, the last cell after the last bound (days before the first bound go
        to the first bucket: callers read from the first bound on)."""
        arrays = {name: np.zeros(scope.bucket_count + 1) for name in names}
        if rows:
            days = np.array([row[0].toordinal() for row in rows], dtype=np.int64)
            ends = np.array([bound.toordinal() for bound in scope.bounds[1:]], dtype=np.int64)
            buckets = np.searchsorted(ends, days, "right")
            values = np.array([row[1:] for row in rows], dtype=np.float64)
            for column, name in enumerate(names):
                np.add.at(arrays[name], buckets, np.nan_to_num(values[:, column]))
        return arrays

    def _ledger_per_product(self, scope, segment, values, condition, start, grouped):
        """Rows ``(product_id, segment, value...)`` of the ledger rows ``d`` of ``scope``'s
        company from the day ``start`` on that satisfy ``condition``: ``values`` summed per
        product and ``segment`` (SQL of ``d``) when ``grouped`` (few segments), else one row per
        ledger row (daily histories: nearly every row is its own group, and the caller sums them
        with numpy several times faster)."""
        if grouped:
            values = [SQL("SUM(%s)", value) for value in values]
        return self.env.execute_query(
            SQL(
                """
                SELECT d.product_id, %(segment)s, %(values)s
                  FROM erpconnect_demand_daily d
                 WHERE d.company_id = %(company)s AND d.date >= %(start)s %(condition)s
                 %(group_by)s
                """,
                segment=segment,
                values=SQL(", ").join(values),
                company=scope.company.id,
                start=start,
                condition=condition,
                group_by=SQL("GROUP BY 1, 2") if grouped else SQL(),
            )
        )

    # -- loaders: each returns {KpiData field: array} ------------------------------------------
    def _load_data_start(self, scope):
        """Day ordinals (the company's days) of its first confirmed order and first done stock
        move, for the sources of ``scope`` that begin with them (``nan`` when there is none): a
        bucket ending before is no data, not 0 (``formulas.no_data_buckets``)."""
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
            starts[name] = (
                pytz.utc.localize(first).astimezone(scope.tz).date().toordinal()
                if first
                else np.nan
            )
        return starts

    def _load_sales(self, scope):
        """The ledger's sales per bucket: revenue and quantity of the units ordered and, when
        the KPIs need them (source ``sales_costs``), their cost and the ordered and delivered
        quantities of the goods (the fulfilment rate). Revenue and units alone are summed from
        the ledger's covering index without joining the products. Over buckets of several
        days, from the sums per bucket and product that the products sold read too
        (:meth:`_sales_per_product`)."""
        if scope.few_buckets:
            return self._sales_from_products(scope)
        if "sales_costs" not in scope.sources:
            names = ("revenue", "units")
            sums, joins = SQL("SUM(d.revenue), SUM(d.qty_ordered)"), None
        else:
            names = formulas.SALES_FIELDS[:5]
            sums = SQL(
                """SUM(d.revenue), SUM(d.qty_ordered * p.cost), SUM(d.qty_ordered),
                   SUM(d.qty_ordered) FILTER (WHERE p.goods),
                   SUM(d.qty_ordered_delivered) FILTER (WHERE p.goods)"""
            )
            joins = SQL("JOIN %s ON p.id = d.product_id", self._ledger_products_sql(scope))
        daily = self._ledger_daily(
            scope, sums, names, joins=joins, condition=SQL("AND d.order_line_count > 0")
        )
        return {name: values[:-1] for name, values in daily.items()}

    def _sold_products(self, scope):
        """The revenue, the distinct products sold per bucket and of those the active and
        sellable ones (one pass: the KPIs per product sold need nothing else). Day
        buckets are the ledger's days, grouped in the order of its covering index (no sort of
        the year's rows); the products outside the catalogue are a hashed list, not a join,
        which would lose that order."""
        off_catalog = [
            product_id
            for (product_id,) in self.env.execute_query(
                SQL(
                    """SELECT pp.id FROM product_product pp
                         JOIN product_template pt ON pt.id = pp.product_tmpl_id
                        WHERE NOT COALESCE(pp.active AND pt.sale_ok, FALSE)"""
                )
            )
        ]
        if scope.few_buckets:
            return self._sold_products_by_bucket(scope, off_catalog)
        daily = all(bucket_days == 1 for bucket_days in scope.bucket_days)
        rows = self.env.execute_query(
            SQL(
                """
                SELECT %(group)s, SUM(d.revenue), COUNT(DISTINCT d.product_id),
                       COUNT(DISTINCT d.product_id)
                           FILTER (WHERE NOT d.product_id = ANY(%(off_catalog)s::int[]))
                  FROM erpconnect_demand_daily d
                 WHERE d.company_id = %(company)s AND d.date >= %(start)s AND d.date < %(end)s
                   AND d.order_line_count > 0
                 GROUP BY 1
                """,
                group=SQL("d.date") if daily else self._day_bucket_sql(scope),
                off_catalog=off_catalog,
                company=scope.company.id,
                start=scope.bounds[0],
                end=scope.bounds[-1],
            )
        )
        if daily:
            first = scope.bounds[0].toordinal()
            rows = [(day.toordinal() - first, *counts) for day, *counts in rows]
        return self._by_bucket(scope, rows, ("revenue", *formulas.SALES_FIELDS[5:]))

    def _sales_per_product(self, scope):
        """The ledger's sales over buckets of several days per bucket and product: array (N ×
        5) of ``bucket, product_id, revenue, qty_ordered, qty_ordered_delivered`` (a hash of
        ~10,000 groups a bucket from the covering index; read once per scope, for the sales
        and the products sold)."""
        if scope.sales_per_product is None:
            rows = self.env.execute_query(
                SQL(
                    """
                    SELECT %(bucket)s, d.product_id, SUM(d.revenue), SUM(d.qty_ordered),
                           SUM(d.qty_ordered_delivered)
                      FROM erpconnect_demand_daily d
                     WHERE d.company_id = %(company)s AND d.date >= %(start)s
                       AND d.date < %(end)s AND d.order_line_count > 0
                     GROUP BY 1, 2
                    """,
                    bucket=self._day_bucket_sql(scope),
                    company=scope.company.id,
                    start=scope.bounds[0],
                    end=scope.bounds[-1],
                )
            )
            table = np.nan_to_num(np.array(rows, dtype=np.float64).reshape(len(rows), 5))
            scope.sales_per_product = table
        return scope.sales_per_product

    def _sales_from_products(self, scope):
        """:meth:`_load_sales` over buckets of several days, from :meth:`_sales_per_product`
        and, for ``sales_costs``, each product's current cost and goods flag."""
        table = self._sales_per_product(scope)
        buckets, size = table[:, 0].astype(np.int64), scope.bucket_count
        arrays = {
            "revenue": np.bincount(buckets, table[:, 2], size),
            "units": np.bincount(buckets, table[:, 3], size),
        }
        if "sales_costs" in scope.sources:
            products = self.env.execute_query(
                SQL("SELECT p.id, p.cost, p.goods FROM %s", self._ledger_products_sql(scope))
            )
            products = np.array(products, dtype=np.float64).reshape(len(products), 3)
            products = products[np.argsort(products[:, 0])]
            rows = np.searchsorted(products[:, 0], table[:, 1]).clip(0, len(products) - 1)
            known = products[rows, 0] == table[:, 1]
            goods = known & (products[rows, 2] > 0)
            arrays["cost"] = np.bincount(
                buckets[known], table[known, 3] * products[rows[known], 1], size
            )
            arrays["units"] = np.bincount(buckets[known], table[known, 3], size)
            arrays["revenue"] = np.bincount(buckets[known], table[known, 2], size)
            arrays["goods_ordered"] = np.bincount(buckets[goods], table[goods, 3], size)
            arrays["goods_delivered"] = np.bincount(buckets[goods], table[goods, 4], size)
        return arrays

    def _sold_products_by_bucket(self, scope, off_catalog):
        """:meth:`_sold_products` over buckets of several days: the products with sales per
        bucket (:meth:`_sales_per_product`), counted with numpy; twice as fast as
        ``COUNT(DISTINCT)``, which sorts the buckets' ledger rows."""
        table = self._sales_per_product(scope)
        buckets = table[:, 0].astype(np.int64)
        in_catalog = ~np.isin(table[:, 1].astype(np.int64), off_catalog)
        size = scope.bucket_count
        return {
            "revenue": np.bincount(buckets, table[:, 2], size),
            formulas.SALES_FIELDS[5]: np.bincount(buckets, minlength=size).astype(np.float64),
            formulas.SALES_FIELDS[6]: np.bincount(buckets[in_catalog], minlength=size).astype(
                np.float64
            ),
        }

    def _load_trailing_sales(self, scope):
        """Each product's quantity sold (in its unit) and order lines in the
        ``DEAD_STOCK_DAYS`` before each bucket end (P × B), from the ledger.

        The ledger's days are cut at every bucket end and ``DEAD_STOCK_DAYS`` before it, so that
        every trailing window is a union of segments; a few segments are summed in SQL, many
        (daily histories) in numpy.
        """
        window = formulas.DEAD_STOCK_DAYS
        ends = scope.bounds[1:]
        cuts = sorted(set(ends) | {end - datetime.timedelta(days=window) for end in ends})
        rows = self._ledger_per_product(
            scope,
            SQL("width_bucket(d.date, %s::date[]) - 1", cuts),
            (SQL("d.qty_ordered"), SQL("d.order_line_count")),
            SQL("AND d.date < %s AND d.order_line_count > 0", scope.bounds[-1]),
            cuts[0],
            grouped=len(cuts) <= GROUPED_SEGMENTS_MAX,
        )
        table = np.array(rows, dtype=np.float64).reshape(len(rows), 4)
        rows_index, known = scope.positions(table[:, 0])
        table, rows_index = table[known], rows_index[known]
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
                ("trailing_qty", np.nan_to_num(table[:, 2])),
                ("trailing_lines", table[:, 3]),
            )
        }

    def _load_orders(self, scope):
        """Per bucket: the confirmed orders dated in it (local days), their customers
        (commercial entities) and, when "repeat" is needed, the customers with two orders up to
        the bucket's end (in it, or one before)."""
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
                           COUNT(*) AS order_count
                      FROM (%(orders)s) so
                      JOIN res_partner rp ON rp.id = so.partner_id
                     GROUP BY 1, 2
                ) %(firsts)s
                SELECT b.bucket - 1, SUM(b.order_count), COUNT(*), %(repeat)s
                  FROM per_bucket b %(join_firsts)s
                 GROUP BY b.bucket
                """,
                bucket=self._bucket_sql(scope, SQL("so.date_order")),
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
        ones, and per order the days to its first and, when complete, its last delivery: the
        rows of the daily deliveries (``erpconnect.delivery.daily``) in the buckets, summed."""
        self.env["erpconnect.demand.daily"]._flush_pending()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT date, pickings_done, pickings_late, first_delivery_days,
                       first_delivery_orders, last_delivery_days, last_delivery_orders
                  FROM erpconnect_delivery_daily
                 WHERE company_id = %s AND date >= %s AND date < %s
                 ORDER BY date
                """,
                scope.company.id,
                scope.bounds[0],
                scope.bounds[-1],
            )
        )
        arrays = self._sum_days(scope, rows, formulas.DELIVERY_FIELDS)
        return {name: values[:-1] for name, values in arrays.items()}

    def _load_suggestions(self, scope):
        """Current replenishment suggestions by day created, and the applied ones."""
        groups = (
            self.env["erpconnect.replenishment"]
            .sudo()
            .with_context(tz=scope.tz.zone)
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
        ends = [bound.toordinal() for bound in scope.bounds[1:]]
        first = scope.bounds[1] - datetime.timedelta(days=30)
        groups = (
            self.env["erpconnect.anomaly"]
            .sudo()
            ._read_group(
                [
                    ("company_id", "=", scope.company.id),
                    ("kind", "!=", "STOCKOUT"),  # abnormal sales days, not availability
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
        arrays = {}
        for name, window in (("anomalies_7d", 7), ("anomalies_30d", 30)):
            found = formulas.trailing_window_sums(index, days, counts, ends, window, 1)[0]
            arrays[name] = np.where(self._scanned(scope, ends, window), found, np.nan)
        return arrays

    def _scanned(self, scope, ends, windows):
        """Whether the days ``[end − window, end)`` before each of ``ends`` (ordinals) were all
        scanned by the company's successful analysis runs (each scans the ``SCAN_DAYS`` days up
        to its "data up to" day, ``formulas.scan_covered``); ``windows`` is one length or one per
        end. Anomaly figures compare only windows scanned the same way: a window no successful
        run scanned (before the first run, a gap between runs) has no data, not 0 anomalies.
        The runs are read once per scope."""
        if scope.scan_ends is None:
            scans = (
                self.env["erpconnect.run"]
                .sudo()
                ._read_group(
                    [("company_id", "=", scope.company.id), ("status", "=", "done")],
                    ["as_of:day"],
                )
            )
            scope.scan_ends = [as_of.toordinal() for (as_of,) in scans if as_of]
        return formulas.scan_covered(scope.scan_ends, ANOMALY_SCAN_DAYS, ends, windows)

    def _load_runs(self, scope):
        """Per bucket end: the last successful analysis run finished before it (its day and
        products forecast)."""
        arrays = {}
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
        latest = formulas.latest_before(finished, [start.timestamp() for start in scope.starts[1:]])
        days = [
            pytz.utc.localize(run["finished_at"]).astimezone(scope.tz).date().toordinal()
            for run in runs
        ]
        arrays["last_training"] = formulas.pick(days, latest)
        arrays["trained_models"] = formulas.pick(
            [run["products_processed"] for run in runs], latest
        )
        return arrays

    def _forecast_30d(self, scope):
        """Current 30-day forecast per product of ``scope`` (``nan`` without one)."""
        (forecast_30d,) = self._sum_per_product(
            scope, "erpconnect.forecast", ("qty_30d",), scope.product_ids.tolist()
        )
        return forecast_30d
