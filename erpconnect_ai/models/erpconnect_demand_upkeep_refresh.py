"""Upkeep of the daily demand ledger, incremental facet (``erpconnect.demand.upkeep``, see
``erpconnect_demand_upkeep.py`` for the definitions and the rebuilds).

``sale.order``, ``sale.order.line`` and ``stock.move`` register the confirmed orders, their lines
and the done moves that change (``_defer``); once per transaction, before it commits, their keys
(company, warehouse, product, day) are found (``_keys_of_orders``, ``_keys_of_lines``,
``_keys_of_moves``) and recomputed in a few bulk statements (``_refresh_keys``), with the SQL
definitions of the rebuild. The stock at the end of a day is today's stock (quants) minus the
done moves after the day; a move dated in the past shifts the stock of the later rows of its
product.
"""

import contextlib

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .erpconnect_demand_upkeep import MEASURES, PENDING_KEY, PRODUCT_LINES


class ErpconnectDemandUpkeepRefresh(models.AbstractModel):
    _inherit = "erpconnect.demand.upkeep"

    @api.model
    def _defer(
        self, orders=(), lines=(), moves=(), keys=(), pickings=(), delivery_orders=(), moments=()
    ):
        """Refresh the keys of ``orders``, ``lines`` and ``moves`` (ids, read as they are at the
        end of the transaction) and the ``keys`` given (the keys some records had before a
        change) once, before the transaction commits (``cr.precommit``): the writes of one
        confirmation or one delivery cost one refresh. Readers of the ledger run it first
        (``erpconnect.demand.daily._flush_pending``).

        Likewise the daily deliveries (``erpconnect.delivery.daily._refresh_orders``) of the
        orders ``delivery_orders``, of the orders of the pickings ``pickings`` and of the days of
        ``moments`` (``(company_id, UTC datetime)``: the days pickings had before a change)."""
        pending = self.env.cr.precommit.data.setdefault(
            PENDING_KEY,
            {
                name: set()
                for name in (
                    "orders",
                    "lines",
                    "moves",
                    "keys",
                    "pickings",
                    "delivery_orders",
                    "moments",
                )
            },
        )
        if not any(pending.values()):
            self.env.cr.precommit.add(self.sudo()._refresh_pending)
        pending["orders"].update(orders)
        pending["lines"].update(lines)
        pending["moves"].update(moves)
        pending["keys"].update(keys)
        pending["pickings"].update(pickings)
        pending["delivery_orders"].update(delivery_orders)
        pending["moments"].update(moments)

    def _refresh_pending(self):
        """The precommit hook of ``_defer``: one refresh of every pending key, then of the
        pending daily deliveries."""
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
        if pending["delivery_orders"] or pending["pickings"] or pending["moments"]:
            self.env["erpconnect.delivery.daily"]._refresh_orders(
                pending["delivery_orders"], pending["pickings"], pending["moments"]
            )

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
        with self._written_join_order():
            rows = self.env.execute_query(
                SQL(
                    """
                    WITH tz AS (SELECT * FROM %(tz)s),
                    pr AS (%(tracked)s WHERE pp.id = ANY(%(products)s)),
                    k AS (
                        SELECT * FROM unnest(%(company)s::int[], %(wkey)s::int[],
                                             %(product)s::int[], %(day)s::date[],
                                             %(day_end)s::timestamp[])
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

    @contextlib.contextmanager
    def _written_join_order(self):
        """Plan the statements of the block with their joins in the written order (keys first,
        then the day's orders and moves by their date indexes): the refresh of 20 keys planned
        its 15 joins for 20-30 ms and ran in 10; in that order it plans in 5 (``set_config``
        local to the transaction, put back after the block)."""
        cr = self.env.cr
        cr.execute(
            SQL(
                """SELECT current_setting('join_collapse_limit'),
                          current_setting('from_collapse_limit'),
                          set_config('join_collapse_limit', '1', true),
                          set_config('from_collapse_limit', '1', true)"""
            )
        )
        join_limit, from_limit, _join, _from = cr.fetchone()
        try:
            yield
        finally:
            cr.execute(
                SQL(
                    """SELECT set_config('join_collapse_limit', %s, true),
                              set_config('from_collapse_limit', %s, true)""",
                    join_limit,
                    from_limit,
                )
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
