"""Data loaders of the KPI service: the company's aggregates per time bucket and product.

``erpconnect.kpi`` (the API) asks for the values of some KPIs over some buckets; this model reads
what they need with a few aggregate queries (each data group of the catalogue once: products,
stock, rules, sales, orders, deliveries, analysis results), hands arrays to
``engine/kpi_formulas.py`` and returns the values. Reads only: no record is written.
"""

import datetime
import itertools

import numpy as np

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import kpi_catalog as catalog
from ..engine import kpi_formulas as formulas

#: Sums ``_sales_sums_sql`` reads from the order lines, in its order (``KpiData`` names).
SALES_SUMS = formulas.SALES_FIELDS[:4]
#: Condition on ``l`` of the order lines the KPIs count: product lines, no sections, notes or
#: down payments.
PRODUCT_LINES = SQL(
    "l.product_id IS NOT NULL AND l.display_type IS NULL AND l.is_downpayment IS NOT TRUE"
)
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


class ErpconnectKpiData(models.AbstractModel):
    """Aggregates of one company read for the KPI formulas (SQL, without the caller's record
    rules: ``erpconnect.kpi`` checks the caller's group and passes the current company only)."""

    _name = "erpconnect.kpi.data"
    _description = "ERPConnect AI KPI data"

    @api.model
    def _kpi_today(self, company):
        """Last day of the periods (UTC), the same for every user whatever their time zone."""
        return fields.Date.today()

    @api.model
    def _comparison_figures(self, company, bounds, product_ids):
        """Product metrics (``PRODUCT_METRICS``) of ``product_ids`` (sorted) per bucket of
        ``bounds``: ``{code: array (P × B)}``."""
        scope = _Scope(company, bounds)
        scope.product_ids = np.array(product_ids, dtype=np.int64)
        self.env.flush_all()
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
        scope = _Scope(company, bounds, codes)
        scope.sources = sources
        data = formulas.KpiData(scope.bucket_days)
        self.env.flush_all()
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
        if catalog.STOCK_PRODUCT_CODES & scope.codes:
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
        return {
            "anomalies_7d": formulas.trailing_window_sums(index, days, counts, ends, 7, 1)[0],
            "anomalies_30d": formulas.trailing_window_sums(index, days, counts, ends, 30, 1)[0],
        }

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
