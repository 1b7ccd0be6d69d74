"""Upkeep of the daily demand ledger (``erpconnect.demand.daily``): the SQL that defines a day's
demand, deliveries and stock, and the three ways it is written.

- ``_refresh_keys(keys)``: recompute some (company, warehouse, product, day) keys, once per
  transaction before it commits (``_defer``, a ``cr.precommit`` hook): ``sale.order``,
  ``sale.order.line`` and ``stock.move`` register the confirmed orders, their lines and the done
  moves that change (``_keys_of_orders``, ``_keys_of_lines``, ``_keys_of_moves`` find the keys).
  The stock at the end of a day is today's stock (quants) minus the done moves after the day; a
  move dated in the past shifts the stock of the later rows of its product.
- ``_reconcile(company)``: rebuild the last ``RECONCILE_DAYS`` days, before each analysis run:
  the idle stock-out rows of the days that passed, anything missed.
- ``_rebuild(company, date_from=None)``: rebuild everything (the action "Rebuild", installation,
  upgrade, the sample history loader).

Bulk SQL only: one statement per step for all keys, never a query per line or product. The day
rule is the ledger's (``erpconnect.demand.daily._company_tz``).
"""

import contextlib
import logging
from datetime import timedelta

import pytz

from odoo import api, fields, models
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
                 WHERE NOT EXISTS (SELECT 1 FROM erpconnect_demand_daily d WHERE %(same)s)
                """,
                columns=self._columns_sql(),
                same=same,
            )
        )
        rows = cr.rowcount
        cr.execute(SQL("DROP TABLE erpconnect_demand_reconcile"))
        self._ledger().invalidate_model()
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

    # ------------------------------------------------------------------------------------------
    # Incremental upkeep
    # ------------------------------------------------------------------------------------------
    @api.model
    def _defer(self, orders=(), lines=(), moves=(), keys=()):
        """Refresh the keys of ``orders``, ``lines`` and ``moves`` (ids, read as they are at the
        end of the transaction) and the ``keys`` given (the keys some records had before a
        change) once, before the transaction commits (``cr.precommit``): the writes of one
        confirmation or one delivery cost one refresh. Readers of the ledger run it first
        (``erpconnect.demand.daily._flush_pending``)."""
        pending = self.env.cr.precommit.data.setdefault(
            PENDING_KEY, {"orders": set(), "lines": set(), "moves": set(), "keys": set()}
        )
        if not any(pending.values()):
            self.env.cr.precommit.add(self.sudo()._refresh_pending)
        pending["orders"].update(orders)
        pending["lines"].update(lines)
        pending["moves"].update(moves)
        pending["keys"].update(keys)

    def _refresh_pending(self):
        """The precommit hook of ``_defer``: one refresh of every pending key."""
        pending = self.env.cr.precommit.data.pop(PENDING_KEY, None)
        if not pending:
            return
        keys = set(pending["keys"])
        if pending["orders"]:
            keys |= self._keys_of_orders(pending["orders"])
        if pending["lines"]:
            keys |= self._keys_of_lines(pending["lines"])
        if pending["moves"]:
            keys |= self._keys_of_moves(pending["moves"])
        self._refresh_keys(keys)

    @api.model
    def _keys_of_orders(self, order_ids):
        """Keys ``(company_id, wkey, product_id, day)`` of the product lines of the confirmed
        orders ``order_ids`` (as they are now in the database, after a flush)."""
        return self._keys_of(SQL("so.id = ANY(%s) AND so.state = 'sale'", list(order_ids)))

    @api.model
    def _keys_of_lines(self, line_ids):
        """Keys of the order lines ``line_ids`` whose order is confirmed."""
        return self._keys_of(SQL("l.id = ANY(%s) AND so.state = 'sale'", list(line_ids)))

    def _keys_of(self, condition):
        if not condition:
            return set()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT DISTINCT so.company_id, COALESCE(so.warehouse_id, 0), l.product_id,
                       so.date_order
                  FROM sale_order_line l JOIN sale_order so ON so.id = l.order_id
                 WHERE %s AND %s
                """,
                PRODUCT_LINES,
                condition,
            )
        )
        return self._localize_keys(rows)

    @api.model
    def _keys_of_moves(self, move_ids):
        """Keys of the done moves ``move_ids``: each internal side (its warehouse, the move's
        day), and the day of the order line it delivers (its delivered quantity changed)."""
        if not move_ids:
            return set()
        self.env.flush_all()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT m.company_id, COALESCE(sl.warehouse_id, 0), m.product_id, m.date
                  FROM stock_move m
                  JOIN stock_location sl ON sl.id IN (m.location_id, m.location_dest_id)
                 WHERE m.id = ANY(%(ids)s) AND m.state = 'done' AND sl.usage = 'internal'
                UNION
                SELECT so.company_id, COALESCE(so.warehouse_id, 0), l.product_id, so.date_order
                  FROM stock_move m
                  JOIN sale_order_line l ON l.id = m.sale_line_id
                  JOIN sale_order so ON so.id = l.order_id
                 WHERE m.id = ANY(%(ids)s) AND so.state = 'sale'
                """,
                ids=list(move_ids),
            )
        )
        return self._localize_keys(rows)

    def _localize_keys(self, rows):
        """Keys ``(company_id, wkey, product_id, local day)`` of rows ``(company_id, wkey,
        product_id, UTC datetime)``."""
        companies = self.env["res.company"].browse({row[0] for row in rows})
        zones = {
            company.id: pytz.timezone(self._ledger()._company_tz(company)) for company in companies
        }
        return {
            (
                company_id,
                wkey,
                product_id,
                pytz.utc.localize(moment).astimezone(zones[company_id]).date(),
            )
            for company_id, wkey, product_id, moment in rows
        }

    @api.model
    def _refresh_keys(self, keys):
        """Recompute the rows of ``keys`` ``(company_id, wkey, product_id, day)`` from the orders,
        moves and quants, in a few bulk statements; shift the stock of the later rows of a key
        whose stock change changed (a move dated in the past)."""
        keys = sorted(keys)
        if not keys:
            return
        self.env.flush_all()
        companies = self.env["res.company"].browse(sorted({key[0] for key in keys}))
        bounds = {}
        for company_id, _wkey, _product, day in keys:
            if (company_id, day) not in bounds:
                bounds[company_id, day] = self._ledger()._utc_bounds(
                    companies.browse(company_id), day, day
                )
        start = min(start for start, _end in bounds.values())
        end = max(end for _start, end in bounds.values())
        windows = SQL(
            "(VALUES %s) AS w(company_id, start_at, end_at)",
            SQL(", ").join(
                SQL("(%s::int, %s::timestamp, %s::timestamp)", company_id, *bounds[company_id, day])
                for company_id, day in bounds
            ),
        )
        products = sorted({key[2] for key in keys})
        orders = SQL(
            "%s AND l.product_id = ANY(%s)",
            self._in_windows(SQL("so.date_order"), SQL("so.company_id"), windows, start, end),
            products,
        )
        moves = SQL(
            "%s AND m.product_id = ANY(%s)",
            self._in_windows(SQL("m.date"), SQL("m.company_id"), windows, start, end),
            products,
        )
        rows = self.env.execute_query(
            SQL(
                """
                WITH tz AS (SELECT * FROM %(tz)s),
                pr AS (%(tracked)s WHERE pp.id = ANY(%(products)s)),
                k AS (
                    SELECT * FROM unnest(%(company)s::int[], %(wkey)s::int[], %(product)s::int[],
                                         %(day)s::date[], %(day_end)s::timestamp[])
                        AS k(company_id, wkey, product_id, day, day_end)
                ),
                activity AS (%(activity)s),
                later AS (%(later)s),
                computed AS (
                    SELECT k.company_id, k.wkey, k.product_id, k.day,
                           %(measures)s,
                           COALESCE(a.stock_in, 0) AS stock_in,
                           COALESCE(q.qty, 0) - COALESCE(later.stock_change, 0) AS on_hand,
                           a.product_id IS NOT NULL AS active_day
                      FROM k
                      LEFT JOIN activity a
                        ON a.company_id = k.company_id AND a.wkey = k.wkey
                       AND a.product_id = k.product_id AND a.day = k.day
                      LEFT JOIN (%(quants)s) q
                        ON q.company_id = k.company_id AND q.wkey = k.wkey
                       AND q.product_id = k.product_id
                      LEFT JOIN later
                        ON later.company_id = k.company_id AND later.wkey = k.wkey
                       AND later.product_id = k.product_id AND later.day = k.day
                )
                SELECT c.company_id, c.wkey, c.product_id, c.day, pr.categ_id,
                       %(values)s, c.on_hand, %(available)s, c.active_day, pr.tracked,
                       old.stock_change
                  FROM computed c
                  JOIN pr ON pr.id = c.product_id
                  LEFT JOIN erpconnect_demand_daily old
                    ON old.company_id = c.company_id AND COALESCE(old.warehouse_id, 0) = c.wkey
                   AND old.product_id = c.product_id AND old.date = c.day
                """,
                tz=self._tz_sql(companies),
                tracked=self.TRACKED_SQL,
                products=products,
                company=[key[0] for key in keys],
                wkey=[key[1] for key in keys],
                product=[key[2] for key in keys],
                day=[key[3] for key in keys],
                day_end=[bounds[key[0], key[3]][1] for key in keys],
                activity=self._activity_sql(self._sales_sql(orders), self._moves_sql(moves)),
                later=self._later_stock_change_sql(keys, bounds, products),
                quants=self._quants_sql(SQL("q.product_id = ANY(%s)", products)),
                measures=SQL(", ").join(
                    SQL("COALESCE(a.%s, 0) AS %s", SQL.identifier(name), SQL.identifier(name))
                    for name in MEASURES
                ),
                values=SQL(", ").join(SQL("c.%s", SQL.identifier(name)) for name in MEASURES),
                available=self._available_sql("c"),
            )
        )
        self._write_keys(keys, rows, companies)

    def _later_stock_change_sql(self, keys, bounds, products):
        """``later(company_id, wkey, product_id, day, stock_change)``: per key ``k``, the done
        moves after its day (the stock at the end of a day is today's minus them). Keys of today
        have none: the statement then needs no moves at all (most refreshes)."""
        first_end = min(bounds[key[0], key[3]][1] for key in keys)
        if first_end > fields.Datetime.now():
            return SQL(
                "SELECT NULL::int AS company_id, NULL::int AS wkey, NULL::int AS product_id,"
                " NULL::date AS day, NULL::float8 AS stock_change WHERE FALSE"
            )
        return SQL(
            """
            SELECT k.company_id, k.wkey, k.product_id, k.day,
                   SUM(side.stock_change) AS stock_change
              FROM k JOIN (%s) side
                ON side.company_id = k.company_id AND side.wkey = k.wkey
               AND side.product_id = k.product_id AND side.moved_at >= k.day_end
             GROUP BY 1, 2, 3, 4
            """,
            self._move_sides_sql(
                SQL("m.date >= %s AND m.product_id = ANY(%s)", first_end, products)
            ),
        )

    @staticmethod
    def _in_windows(column, company, windows, start, end):
        """SQL: the timestamp ``column`` of a record of ``company`` lies in one of the
        ``windows`` (``w(company_id, start_at, end_at)``), all within ``[start, end)``."""
        return SQL(
            """%(column)s >= %(start)s AND %(column)s < %(end)s AND EXISTS (
                   SELECT 1 FROM %(windows)s WHERE w.company_id = %(company)s
                      AND %(column)s >= w.start_at AND %(column)s < w.end_at)""",
            column=column,
            company=company,
            windows=windows,
            start=start,
            end=end,
        )

    def _write_keys(self, keys, rows, companies):
        """Replace the rows of ``keys`` by the computed ``rows`` of ``_refresh_keys`` and shift
        the stock of the later rows where a key's stock change changed."""
        today = {company.id: self._ledger()._local_today(company) for company in companies}
        values = {name: [] for name in ("company", "wkey", "product", "categ", "day", *MEASURES)}
        values.update(on_hand=[], available=[])
        shifts = []
        for company_id, wkey, product_id, day, categ_id, *rest in rows:
            measures = rest[: len(MEASURES)]
            on_hand, available, active_day, tracked, old_change = rest[len(MEASURES) :]
            change = measures[MEASURES.index("stock_change")]
            if abs(change - (old_change or 0.0)) > 1e-9:
                shifts.append((company_id, wkey, product_id, day, change - (old_change or 0.0)))
            idle_stock_out = tracked and on_hand <= 0 and day < today[company_id]
            if not (active_day or idle_stock_out):
                continue
            for name, value in zip(
                ("company", "wkey", "product", "categ", "day"),
                (company_id, wkey, product_id, categ_id, day),
            ):
                values[name].append(value)
            for name, value in zip(MEASURES, measures):
                values[name].append(value)
            values["on_hand"].append(on_hand)
            values["available"].append(available if active_day else False)
        key_arrays = SQL(
            "unnest(%s::int[], %s::int[], %s::int[], %s::date[]) AS k(company_id, wkey, "
            "product_id, day)",
            *([key[index] for key in keys] for index in range(4)),
        )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM erpconnect_demand_daily d USING %s
                 WHERE d.company_id = k.company_id AND COALESCE(d.warehouse_id, 0) = k.wkey
                   AND d.product_id = k.product_id AND d.date = k.day
                """,
                key_arrays,
            )
        )
        if values["day"]:
            self.env.cr.execute(
                SQL(
                    """
                    INSERT INTO erpconnect_demand_daily
                           (company_id, warehouse_id, product_id, categ_id, date, %(measures)s,
                            on_hand, available)
                    SELECT company_id, NULLIF(wkey, 0), product_id, categ_id, day,
                           %(measures)s, on_hand, available
                      FROM unnest(%(company)s::int[], %(wkey)s::int[], %(product)s::int[],
                                  %(categ)s::int[], %(day)s::date[], %(arrays)s,
                                  %(on_hand)s::float8[], %(available)s::bool[])
                           AS v(company_id, wkey, product_id, categ_id, day, %(measures)s,
                                on_hand, available)
                    """,
                    measures=SQL(", ").join(SQL.identifier(name) for name in MEASURES),
                    arrays=SQL(", ").join(SQL("%s::float8[]", values[name]) for name in MEASURES),
                    company=values["company"],
                    wkey=values["wkey"],
                    product=values["product"],
                    categ=values["categ"],
                    day=values["day"],
                    on_hand=values["on_hand"],
                    available=values["available"],
                )
            )
        if shifts:
            self._shift_later_stock(shifts, key_arrays)
        self.env["erpconnect.demand.daily"].invalidate_model()

    def _shift_later_stock(self, shifts, key_arrays):
        """Add each ``(company_id, wkey, product_id, day, delta)`` of ``shifts`` to the stock of
        the rows of its key after ``day`` (except the refreshed ``key_arrays``); drop the idle
        stock-out rows that have stock then."""
        shift_arrays = SQL(
            "unnest(%s::int[], %s::int[], %s::int[], %s::date[], %s::float8[]) AS s(company_id, "
            "wkey, product_id, day, delta)",
            *([shift[index] for shift in shifts] for index in range(5)),
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE erpconnect_demand_daily d
                   SET on_hand = d.on_hand + moved.delta
                  FROM (
                    SELECT d2.id, SUM(s.delta) AS delta
                      FROM erpconnect_demand_daily d2 JOIN %(shifts)s
                        ON d2.company_id = s.company_id AND COALESCE(d2.warehouse_id, 0) = s.wkey
                       AND d2.product_id = s.product_id AND d2.date > s.day
                     WHERE NOT EXISTS (
                           SELECT 1 FROM %(keys)s
                            WHERE k.company_id = d2.company_id
                              AND k.wkey = COALESCE(d2.warehouse_id, 0)
                              AND k.product_id = d2.product_id AND k.day = d2.date)
                     GROUP BY d2.id
                  ) moved
                 WHERE d.id = moved.id
                """,
                shifts=shift_arrays,
                keys=key_arrays,
            )
        )
        self.env.cr.execute(
            SQL(
                """
                DELETE FROM erpconnect_demand_daily
                 WHERE company_id = ANY(%s) AND product_id = ANY(%s) AND date > %s
                   AND NOT available AND order_line_count = 0 AND stock_change = 0
                   AND on_hand > 0
                """,
                sorted({shift[0] for shift in shifts}),
                sorted({shift[2] for shift in shifts}),
                min(shift[3] for shift in shifts),
            )
        )
