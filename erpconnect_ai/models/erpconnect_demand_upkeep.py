"""Upkeep of the daily demand ledger (``erpconnect.demand.daily``): the SQL that defines a day's
demand, deliveries and stock, and the three ways it is written.

- ``_refresh_keys(keys)``: recompute some (company, warehouse, product, day) keys, once per
  transaction before it commits (``_defer``): the incremental facet, in
  ``erpconnect_demand_upkeep_refresh.py``.
- ``_reconcile(company)``: rebuild the last ``RECONCILE_DAYS`` days, before each analysis run:
  the idle stock-out rows of the days that passed, anything missed.
- ``_rebuild(company, date_from=None)``: rebuild everything (the action "Rebuild", installation,
  upgrade, the sample history loader).

Bulk SQL only: one statement per step for all keys, never a query per line or product. The day
rule is the ledger's (``erpconnect.demand.daily._company_tz``). The rebuild and the reconcile
rebuild the daily deliveries (``erpconnect.delivery.daily``) of the same days too; ``_defer``
registers their changes as well.
"""

import contextlib
import logging
from datetime import timedelta

from odoo import api, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: ``cr.precommit.data`` key of the ids and keys waiting for their refresh (``_defer``).
PENDING_KEY = "erpconnect_demand_pending"
#: Memory of the sorts and aggregations of a full rebuild (``SET LOCAL``: its transaction only).
BULK_WORK_MEM = "256MB"
#: Days (today included) the nightly analysis rebuilds before reading the ledger.
RECONCILE_DAYS = 7
#: Columns of the ledger table written by the upkeep, in the order of its INSERTs.
MEASURES = (
    "qty_ordered",
    "revenue",
    "order_line_count",
    "order_count",
    "customer_count",
    "qty_ordered_delivered",
    "qty_delivered",
    "delivered_revenue",
    "stock_change",
)
#: Product lines of an order: no section, note or down payment (alias ``l``).
PRODUCT_LINES = SQL(
    "l.product_id IS NOT NULL AND l.display_type IS NULL AND l.is_downpayment IS NOT TRUE"
)
#: Quantity of a line ``l`` in its unit ``lu`` → in its product's unit ``pu``.
LINE_TO_PRODUCT_UNIT = SQL("COALESCE(pu.factor::float8 / NULLIF(lu.factor, 0)::float8, 1.0)")
#: Amount of an order ``so`` → company currency.
ORDER_TO_COMPANY_CURRENCY = SQL(
    "(CASE COALESCE(so.currency_rate, 0) WHEN 0 THEN 1.0 ELSE so.currency_rate::float8 END)"
)


class ErpconnectDemandUpkeep(models.AbstractModel):
    """Writes the demand ledger (see the module docstring); reads nothing for users."""

    _name = "erpconnect.demand.upkeep"
    _description = "ERPConnect AI demand ledger upkeep"

    def _ledger(self):
        """The ledger model, owner of the day rule."""
        return self.env["erpconnect.demand.daily"]

    # ------------------------------------------------------------------------------------------
    # The definitions: sales, moves, stock per key
    # ------------------------------------------------------------------------------------------
    def _tz_sql(self, companies):
        """``tz(company_id, name)``: the time zone of each of ``companies``."""
        return SQL(
            "(VALUES %s) AS tz(company_id, name)",
            SQL(", ").join(
                SQL("(%s::int, %s::text)", company.id, self._ledger()._company_tz(company))
                for company in companies
            ),
        )

    @staticmethod
    def _local_day_sql(column):
        """SQL of the local day of the UTC timestamp ``column`` (``tz.name`` in scope)."""
        return SQL("(%s AT TIME ZONE 'UTC' AT TIME ZONE tz.name)::date", column)

    def _sales_sql(self, condition):
        """Confirmed product lines summed per ``company_id, wkey`` (warehouse id, 0 for none),
        ``product_id, day``, for the orders ``so`` satisfying ``condition``: ``qty_ordered,
        revenue, order_line_count, order_count, customer_count, qty_ordered_delivered``."""
        return SQL(
            """
            SELECT so.company_id, COALESCE(so.warehouse_id, 0) AS wkey, l.product_id,
                   %(day)s AS day,
                   SUM(l.product_uom_qty::float8 * %(ratio)s) AS qty_ordered,
                   SUM(l.price_subtotal::float8 / %(rate)s) AS revenue,
                   COUNT(*) AS order_line_count,
                   COUNT(DISTINCT so.id) AS order_count,
                   COUNT(DISTINCT rp.commercial_partner_id) AS customer_count,
                   COALESCE(SUM(l.qty_delivered::float8 * %(ratio)s)
                            FILTER (WHERE l.qty_delivered_method = 'stock_move'), 0)
                       AS qty_ordered_delivered
              FROM sale_order so
              JOIN tz ON tz.company_id = so.company_id
              JOIN sale_order_line l ON l.order_id = so.id
              JOIN product_product pp ON pp.id = l.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
              JOIN res_partner rp ON rp.id = so.partner_id
             WHERE so.state = 'sale' AND %(product_lines)s AND %(condition)s
             GROUP BY 1, 2, 3, 4
            """,
            day=self._local_day_sql(SQL("so.date_order")),
            ratio=LINE_TO_PRODUCT_UNIT,
            rate=ORDER_TO_COMPANY_CURRENCY,
            product_lines=PRODUCT_LINES,
            condition=condition,
        )

    def _move_sides_sql(self, condition):
        """One row per internal side of each done move ``m`` satisfying ``condition``:
        ``company_id, wkey, product_id, moved_at, day, qty_delivered, delivered_revenue,
        stock_change, stock_in``. A move out of an internal location lowers its warehouse's
        stock (and is a delivery when it goes to a customer); a move into one raises it (a
        customer return is a negative delivery)."""
        done = SQL(
            """
            SELECT m.company_id, m.product_id, m.product_qty::float8 AS qty, m.date,
                   src.usage AS src_usage, src.warehouse_id AS src_warehouse,
                   dest.usage AS dest_usage, dest.warehouse_id AS dest_warehouse,
                   COALESCE(l.price_subtotal::float8 / %(rate)s
                            / NULLIF(l.product_uom_qty::float8 * %(ratio)s, 0),
                            pt.list_price::float8, 0) AS unit_revenue
              FROM stock_move m
              JOIN stock_location src ON src.id = m.location_id
              JOIN stock_location dest ON dest.id = m.location_dest_id
              JOIN product_product pp ON pp.id = m.product_id
              JOIN product_template pt ON pt.id = pp.product_tmpl_id
              LEFT JOIN sale_order_line l ON l.id = m.sale_line_id
              LEFT JOIN sale_order so ON so.id = l.order_id
              LEFT JOIN uom_uom lu ON lu.id = l.product_uom
              LEFT JOIN uom_uom pu ON pu.id = pt.uom_id
             WHERE m.state = 'done' AND (src.usage = 'internal' OR dest.usage = 'internal')
               AND %(condition)s
            """,
            rate=ORDER_TO_COMPANY_CURRENCY,
            ratio=LINE_TO_PRODUCT_UNIT,
            condition=condition,
        )
        return SQL(
            """
            WITH done AS MATERIALIZED (%(done)s)
            SELECT d.company_id, COALESCE(d.src_warehouse, 0) AS wkey, d.product_id,
                   d.date AS moved_at, %(day)s AS day,
                   CASE WHEN d.dest_usage = 'customer' THEN d.qty ELSE 0 END AS qty_delivered,
                   CASE WHEN d.dest_usage = 'customer' THEN d.qty * d.unit_revenue ELSE 0 END
                       AS delivered_revenue,
                   -d.qty AS stock_change, 0.0 AS stock_in
              FROM done d JOIN tz ON tz.company_id = d.company_id
             WHERE d.src_usage = 'internal'
            UNION ALL
            SELECT d.company_id, COALESCE(d.dest_warehouse, 0), d.product_id, d.date, %(day)s,
                   CASE WHEN d.src_usage = 'customer' THEN -d.qty ELSE 0 END,
                   CASE WHEN d.src_usage = 'customer' THEN -d.qty * d.unit_revenue ELSE 0 END,
                   d.qty, d.qty
              FROM done d JOIN tz ON tz.company_id = d.company_id
             WHERE d.dest_usage = 'internal'
            """,
            done=done,
            day=self._local_day_sql(SQL("d.date")),
        )

    def _moves_sql(self, condition):
        """``_move_sides_sql`` summed per ``company_id, wkey, product_id, day``."""
        return SQL(
            """
            SELECT company_id, wkey, product_id, day,
                   SUM(qty_delivered) AS qty_delivered,
                   SUM(delivered_revenue) AS delivered_revenue,
                   SUM(stock_change) AS stock_change,
                   SUM(stock_in) AS stock_in
              FROM (%s) sides
             GROUP BY 1, 2, 3, 4
            """,
            self._move_sides_sql(condition),
        )

    @staticmethod
    def _quants_sql(condition):
        """Today's stock per ``company_id, wkey, product_id`` in internal locations, for the
        quants ``q`` satisfying ``condition``: ``qty``."""
        return SQL(
            """
            SELECT q.company_id, COALESCE(sl.warehouse_id, 0) AS wkey, q.product_id,
                   SUM(q.quantity::float8) AS qty
              FROM stock_quant q
              JOIN stock_location sl ON sl.id = q.location_id
             WHERE sl.usage = 'internal' AND %s
             GROUP BY 1, 2, 3
            """,
            condition,
        )

    @staticmethod
    def _activity_sql(sales, moves):
        """Full join of ``sales`` and ``moves`` (per key) with every measure, 0 where missing."""
        return SQL(
            """
            SELECT COALESCE(s.company_id, mv.company_id) AS company_id,
                   COALESCE(s.wkey, mv.wkey) AS wkey,
                   COALESCE(s.product_id, mv.product_id) AS product_id,
                   COALESCE(s.day, mv.day) AS day,
                   COALESCE(s.qty_ordered, 0) AS qty_ordered,
                   COALESCE(s.revenue, 0) AS revenue,
                   COALESCE(s.order_line_count, 0) AS order_line_count,
                   COALESCE(s.order_count, 0) AS order_count,
                   COALESCE(s.customer_count, 0) AS customer_count,
                   COALESCE(s.qty_ordered_delivered, 0) AS qty_ordered_delivered,
                   COALESCE(mv.qty_delivered, 0) AS qty_delivered,
                   COALESCE(mv.delivered_revenue, 0) AS delivered_revenue,
                   COALESCE(mv.stock_change, 0) AS stock_change,
                   COALESCE(mv.stock_in, 0) AS stock_in
              FROM (%s) s
              FULL JOIN (%s) mv
                ON mv.company_id = s.company_id AND mv.wkey = s.wkey
               AND mv.product_id = s.product_id AND mv.day = s.day
            """,
            sales,
            moves,
        )

    #: Products whose stock-out days are recorded: active storable goods (alias ``pr``).
    TRACKED_SQL = SQL(
        """
        SELECT pp.id, pt.categ_id,
               (pp.active AND pt.active AND pt.type = 'consu' AND pt.is_storable IS TRUE)
                   AS tracked
          FROM product_product pp JOIN product_template pt ON pt.id = pp.product_tmpl_id
        """
    )

    @staticmethod
    def _available_sql(row):
        """SQL of ``available`` for the ``row`` (``order_line_count, stock_in, stock_change,
        on_hand``) of a product ``pr``."""
        return SQL(
            """NOT (pr.tracked AND %(row)s.order_line_count = 0 AND %(row)s.stock_in <= 0
                    AND %(row)s.on_hand <= 0 AND %(row)s.on_hand - %(row)s.stock_change <= 0)""",
            row=SQL.identifier(row),
        )

    # ------------------------------------------------------------------------------------------
    # Rebuild
    # ------------------------------------------------------------------------------------------
    @api.model
    def _rebuild(self, company, date_from=None):
        """Rewrite ``company``'s rows from its orders, moves and quants: all of them (the action
        Rebuild, installation, upgrade), or from the local day ``date_from`` on. Returns the
        number of rows written.

        The stock at the end of each day is today's stock minus the moves after it; idle
        stock-out rows are written up to yesterday. From ``date_from`` on, the keys that had a row
        the day before continue: their stock is carried into the window.
        """
        self.env.flush_all()
        # The keys waiting for the commit first (``_defer``): refreshed after the rows written
        # here, their stock shifts would count twice (and drop the idle stock-out rows).
        self.sudo()._refresh_pending()
        self._no_jit()
        delete = SQL("DELETE FROM erpconnect_demand_daily WHERE company_id = %s", company.id)
        if date_from is not None:
            delete = SQL("%s AND date >= %s", delete, date_from)
        self.env.cr.execute(delete)
        with self._bulk_load() if date_from is None else contextlib.nullcontext():
            self.env.cr.execute(
                SQL(
                    "INSERT INTO erpconnect_demand_daily (%s) %s",
                    self._columns_sql(),
                    self._rows_sql(company, date_from),
                )
            )
            rows = self.env.cr.rowcount
        self._ledger().invalidate_model()
        self.env["erpconnect.delivery.daily"]._rebuild(company, date_from)
        _logger.info(
            "ERPConnect AI: demand ledger of %s rebuilt from %s: %s rows",
            company.name,
            date_from or "the beginning",
            rows,
        )
        return rows

    @api.model
    def _reconcile(self, company):
        """Bring ``company``'s last ``RECONCILE_DAYS`` days (today included) in line with its
        orders, moves and quants, before each analysis: the idle stock-out rows of the days that
        passed, anything the upkeep missed (quants changed without a move, a done move edited
        line by line). The rows are computed as ``_rebuild`` does, compared with the stored ones,
        and only those that differ are replaced: a night usually writes a few hundred rows.

        :return: the number of rows written
        """
        self.env.flush_all()
        # The keys waiting for the commit first (``_defer``): refreshed after the rows written
        # here, their stock shifts would count twice (and drop the idle stock-out rows).
        self.sudo()._refresh_pending()
        self._no_jit()
        date_from = self._ledger()._local_today(company) - timedelta(days=RECONCILE_DAYS - 1)
        cr = self.env.cr
        cr.execute(
            SQL(
                "CREATE TEMP TABLE erpconnect_demand_reconcile ON COMMIT DROP AS %s",
                self._rows_sql(company, date_from),
            )
        )
        cr.execute(SQL("ANALYZE erpconnect_demand_reconcile"))  # its size for the planner
        same = SQL(" AND ").join(
            [
                SQL("x.company_id = d.company_id AND x.product_id = d.product_id"),
                SQL("x.date = d.date AND x.warehouse_id IS NOT DISTINCT FROM d.warehouse_id"),
                SQL("x.categ_id IS NOT DISTINCT FROM d.categ_id AND x.available = d.available"),
                *(
                    SQL("x.%s = d.%s", SQL.identifier(name), SQL.identifier(name))
                    for name in ("order_line_count", "order_count", "customer_count")
                ),
                *(
                    SQL(
                        "abs(x.%(name)s - d.%(name)s) <= 1e-9 * (1 + abs(d.%(name)s))",
                        name=SQL.identifier(name),
                    )
                    for name in (*MEASURES[5:], *MEASURES[:2], "on_hand")
                ),
            ]
        )
        cr.execute(
            SQL(
                """
                DELETE FROM erpconnect_demand_daily d
                 WHERE d.company_id = %s AND d.date >= %s
                   AND NOT EXISTS (SELECT 1 FROM erpconnect_demand_reconcile x WHERE %s)
                """,
                company.id,
                date_from,
                same,
            )
        )
        cr.execute(
            SQL(
                """
                INSERT INTO erpconnect_demand_daily (%(columns)s)
                SELECT %(columns)s FROM erpconnect_demand_reconcile x
                 WHERE NOT EXISTS (
                       SELECT 1 FROM erpconnect_demand_daily d
                        WHERE d.company_id = %(company)s AND d.date >= %(date_from)s AND %(same)s)
                """,
                columns=self._columns_sql(),
                company=company.id,
                date_from=date_from,
                same=same,
            )
        )
        rows = cr.rowcount
        cr.execute(SQL("DROP TABLE erpconnect_demand_reconcile"))
        self._ledger().invalidate_model()
        self.env["erpconnect.delivery.daily"]._reconcile(company, RECONCILE_DAYS)
        return rows

    def _no_jit(self):
        """No JIT compilation for the rest of this transaction (``SET LOCAL``): the planner
        over-estimates the idle stock-out rows (``generate_series``) and compiled a 7-day
        reconcile for 2 of its 3 seconds."""
        self.env.cr.execute(SQL("SET LOCAL jit = off"))

    @staticmethod
    def _columns_sql():
        """The columns the upkeep writes, in the order of ``_rows_sql``."""
        return SQL(", ").join(
            SQL.identifier(name)
            for name in (
                "company_id",
                "warehouse_id",
                "product_id",
                "categ_id",
                "date",
                *MEASURES,
                "on_hand",
                "available",
            )
        )

    def _rows_sql(self, company, date_from=None):
        """``SELECT`` of ``company``'s rows from its orders, moves and quants (``_columns_sql``):
        all of them, or from the local day ``date_from`` on (see ``_rebuild``)."""
        today = self._ledger()._local_today(company)
        condition_orders = SQL("so.company_id = %s", company.id)
        condition_moves = SQL("m.company_id = %s", company.id)
        anchors = SQL("SELECT NULL::int, 0, NULL::int, NULL::date WHERE FALSE")
        if date_from is not None:
            start, _end = self._ledger()._utc_bounds(company, date_from, date_from)
            condition_orders = SQL("%s AND so.date_order >= %s", condition_orders, start)
            condition_moves = SQL("%s AND m.date >= %s", condition_moves, start)
            anchors = SQL(
                """SELECT company_id, COALESCE(warehouse_id, 0), product_id, date
                     FROM erpconnect_demand_daily WHERE company_id = %s AND date = %s""",
                company.id,
                date_from - timedelta(days=1),
            )
        return SQL(
            """
                WITH tz AS (SELECT * FROM %(tz)s),
                pr AS MATERIALIZED (%(tracked)s),
                activity AS MATERIALIZED (%(activity)s),
                rows AS (
                    SELECT a.*, FALSE AS anchor FROM activity a
                    UNION ALL
                    SELECT k.company_id, k.wkey, k.product_id, k.day,
                           0, 0, 0, 0, 0, 0, 0, 0, 0, 0, TRUE
                      FROM (%(anchors)s) AS k(company_id, wkey, product_id, day)
                ),
                positioned AS (
                    SELECT r.*,
                           COALESCE(q.qty, 0) - COALESCE(SUM(r.stock_change) OVER (
                               PARTITION BY r.company_id, r.wkey, r.product_id ORDER BY r.day DESC
                               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS on_hand,
                           LEAD(r.day) OVER (PARTITION BY r.company_id, r.wkey, r.product_id
                                             ORDER BY r.day) AS next_day
                      FROM rows r
                      LEFT JOIN (%(quants)s) q
                        ON q.company_id = r.company_id AND q.wkey = r.wkey
                       AND q.product_id = r.product_id
                )
                SELECT p.company_id, NULLIF(p.wkey, 0) AS warehouse_id, p.product_id,
                       pr.categ_id, p.day AS date,
                       %(values)s, p.on_hand, %(available)s AS available
                  FROM positioned p JOIN pr ON pr.id = p.product_id
                 WHERE NOT p.anchor
                UNION ALL
                SELECT p.company_id, NULLIF(p.wkey, 0), p.product_id, pr.categ_id, p.day + g.n,
                       %(zeros)s, p.on_hand, FALSE
                  FROM positioned p
                  JOIN pr ON pr.id = p.product_id AND pr.tracked
                 CROSS JOIN LATERAL generate_series(
                       1, LEAST(COALESCE(p.next_day, %(last)s + 1), %(last)s + 1) - p.day - 1
                 ) AS g(n)
                 WHERE p.on_hand <= 0 AND p.day < %(last)s
                """,
            tz=self._tz_sql(company),
            tracked=self.TRACKED_SQL,
            activity=self._activity_sql(
                self._sales_sql(condition_orders), self._moves_sql(condition_moves)
            ),
            anchors=anchors,
            quants=self._quants_sql(SQL("q.company_id = %s", company.id)),
            values=SQL(", ").join(SQL("p.%s", SQL.identifier(name)) for name in MEASURES),
            zeros=SQL(", ").join(SQL("0") for _name in MEASURES),
            available=self._available_sql("p"),
            last=today - timedelta(days=1),
        )

    @contextlib.contextmanager
    def _bulk_load(self):
        """Write many rows of the ledger at once: without its foreign keys and secondary
        indexes, re-created afterwards (each validated or built in one pass over the table),
        with the memory to sort and aggregate a company's whole history (this transaction).

        Checking four foreign keys and maintaining three indexes row by row made a 2-million-row
        rebuild 30 times slower (144 s against 5 s for the INSERT alone). The table is locked
        meanwhile, and re-adding a foreign key briefly blocks writes to the table it references
        (products, warehouses, categories, companies): a rebuild is an installation, upgrade or
        administrator's action.
        """
        cr = self.env.cr
        cr.execute(SQL("SET LOCAL work_mem = %s", BULK_WORK_MEM))
        table = SQL.identifier("erpconnect_demand_daily")
        foreign_keys = self.env.execute_query(
            SQL(
                """SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
                    WHERE conrelid = %s::regclass AND contype = 'f'""",
                "erpconnect_demand_daily",
            )
        )
        indexes = self.env.execute_query(
            SQL(
                """SELECT indexname, indexdef FROM pg_indexes
                    WHERE tablename = %s AND indexname <> %s""",
                "erpconnect_demand_daily",
                "erpconnect_demand_daily_pkey",
            )
        )
        for name, _definition in foreign_keys:
            cr.execute(SQL("ALTER TABLE %s DROP CONSTRAINT %s", table, SQL.identifier(name)))
        for name, _definition in indexes:
            cr.execute(SQL("DROP INDEX %s", SQL.identifier(name)))
        yield
        for _name, definition in indexes:
            cr.execute(SQL(definition))  # from the catalog, as it was
        for name, definition in foreign_keys:
            cr.execute(
                SQL(
                    "ALTER TABLE %s ADD CONSTRAINT %s " + definition,  # from the catalog
                    table,
                    SQL.identifier(name),
                )
            )
