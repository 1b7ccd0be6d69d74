"""The daily delivery summary: what the delivery KPIs need, per company and day.

One row per company and local day (the demand ledger's day rule,
``erpconnect.demand.daily._company_tz``) with the customer deliveries done that day: the
outgoing pickings of confirmed sale orders (``sale_order.state = 'sale'``; pickings not
cancelled, of operation types with code ``outgoing``), the late ones among them, and the orders
whose first or, once complete, last delivery was done that day with their lead times. The
delivery KPIs (``erpconnect.kpi.data._load_deliveries``) sum a few hundred of these rows instead
of joining a year of pickings with their orders.

**Definitions** (those the delivery KPIs always had):

- a picking is late when ``date_done::date > due::date`` (UTC dates), ``due`` being
  ``COALESCE(order.commitment_date, picking.date_deadline, picking.scheduled_date)``; it counts
  on the day of its ``date_done`` for its own company;
- an order's first delivery is its first done picking: ``first_delivery_days`` sums the days
  from ``date_order`` to it, on its day, for the order's company;
- an order is complete when none of its pickings is still to do; its last delivery is then its
  last done picking: ``last_delivery_days`` sums the days from the order's ``create_date`` to it.

**Upkeep**: when outgoing pickings of sale orders are created, done or cancelled, or their
``date_done``, deadlines or order change (``stock.picking``), and when an order's state,
commitment date, order date or company change (``sale.order``), the orders are registered with
the demand ledger's ``_defer`` and, once before the commit, every day on which they have a done
delivery is recomputed in bulk SQL (``_refresh_orders``); the KPI cache is dropped. The nightly
analysis recomputes the last days (``_reconcile``), installation, upgrade and the ledger's
action "Rebuild" everything (``_rebuild``), both with the demand ledger's.
"""

import logging
from datetime import timedelta

import pytz

from odoo import api, fields, models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

#: Columns of a row besides its key, in the order of ``_rows_sql``.
MEASURES = (
    "pickings_done",
    "pickings_late",
    "first_delivery_orders",
    "first_delivery_days",
    "last_delivery_orders",
    "last_delivery_days",
)


class ErpconnectDeliveryDaily(models.Model):
    """Customer deliveries done per company and day (see the module docstring).

    Written in bulk SQL by the upkeep only; read in SQL by the delivery KPIs."""

    _name = "erpconnect.delivery.daily"
    _description = "ERPConnect AI daily deliveries"
    _order = "date desc"
    _rec_name = "date"
    _log_access = False

    company_id = fields.Many2one("res.company", required=True, readonly=True, ondelete="cascade")
    date = fields.Date(
        required=True, readonly=True, help="Day of the deliveries, in the company's time zone."
    )
    pickings_done = fields.Integer(
        "Deliveries", readonly=True, help="Outgoing pickings of confirmed orders done that day."
    )
    pickings_late = fields.Integer(
        "Deliveries late",
        readonly=True,
        help="Of those, the ones done after the day they were due (commitment date, else the "
        "deadline, else the scheduled date).",
    )
    first_delivery_orders = fields.Integer(
        "Orders first delivered", readonly=True, help="Orders whose first delivery was that day."
    )
    first_delivery_days = fields.Float(
        "Days to first delivery",
        readonly=True,
        help="Sum over those orders of the days from the order date to the first delivery.",
    )
    last_delivery_orders = fields.Integer(
        "Orders completed",
        readonly=True,
        help="Complete orders (nothing left to deliver) whose last delivery was that day.",
    )
    last_delivery_days = fields.Float(
        "Days to last delivery",
        readonly=True,
        help="Sum over those orders of the days from the order's creation to the last delivery.",
    )

    _sql_constraints = [
        ("company_date_unique", "UNIQUE(company_id, date)", "One row per company and day."),
    ]

    # ------------------------------------------------------------------------------------------
    # The definition
    # ------------------------------------------------------------------------------------------
    def _outgoing_types(self):
        """Ids of the operation types with code ``outgoing`` (archived ones included)."""
        return (
            self.env["stock.picking.type"]
            .sudo()
            .with_context(active_test=False)
            .search([("code", "=", "outgoing")])
            .ids
        )

    def _rows_sql(self, companies, orders, keep):
        """``SELECT company_id, date, <MEASURES>`` of the rows of ``companies`` computed from the
        orders whose outgoing pickings ``p`` satisfy ``orders``, those satisfying ``keep`` (SQL
        of the ``company_id`` and ``day`` of the row). A row is exact when ``orders`` holds every
        order with a done delivery on its day."""
        upkeep = self.env["erpconnect.demand.upkeep"]
        local_day = upkeep._local_day_sql
        return SQL(
            """
            WITH tz AS (SELECT * FROM %(tz)s),
            pickings AS MATERIALIZED (
                SELECT p.sale_id, p.company_id, p.state, p.date_done,
                       COALESCE(so.commitment_date, p.date_deadline, p.scheduled_date) AS due,
                       so.company_id AS order_company_id, so.date_order, so.create_date
                  FROM stock_picking p
                  JOIN sale_order so ON so.id = p.sale_id
                 WHERE p.picking_type_id = ANY(%(outgoing)s::int[])
                   AND p.state != 'cancel'
                   AND so.state = 'sale'
                   AND %(orders)s
            ), orders AS (
                SELECT order_company_id AS company_id,
                       MIN(date_done) FILTER (WHERE state = 'done') AS first_done,
                       MAX(date_done) FILTER (WHERE state = 'done') AS last_done,
                       BOOL_OR(state != 'done') AS pending,
                       MIN(date_order) AS date_order, MIN(create_date) AS create_date
                  FROM pickings
                 GROUP BY sale_id, order_company_id
            ), per_day AS (
                SELECT p.company_id, %(done_day)s AS day, COUNT(*) AS pickings_done,
                       COUNT(*) FILTER (WHERE p.date_done::date > p.due::date) AS pickings_late,
                       0 AS first_delivery_orders, 0 AS first_delivery_days,
                       0 AS last_delivery_orders, 0 AS last_delivery_days
                  FROM pickings p JOIN tz ON tz.company_id = p.company_id
                 WHERE p.state = 'done'
                 GROUP BY 1, 2
                 UNION ALL
                SELECT o.company_id, %(first_day)s, 0, 0, COUNT(*),
                       SUM(EXTRACT(EPOCH FROM o.first_done - o.date_order) / 86400.0), 0, 0
                  FROM orders o JOIN tz ON tz.company_id = o.company_id
                 WHERE o.first_done IS NOT NULL
                 GROUP BY 1, 2
                 UNION ALL
                SELECT o.company_id, %(last_day)s, 0, 0, 0, 0, COUNT(*),
                       SUM(EXTRACT(EPOCH FROM o.last_done - o.create_date) / 86400.0)
                  FROM orders o JOIN tz ON tz.company_id = o.company_id
                 WHERE NOT o.pending
                 GROUP BY 1, 2
            )
            SELECT company_id, day, SUM(pickings_done), SUM(pickings_late),
                   SUM(first_delivery_orders), SUM(first_delivery_days)::float8,
                   SUM(last_delivery_orders), SUM(last_delivery_days)::float8
              FROM per_day
             WHERE %(keep)s
             GROUP BY 1, 2
            """,
            tz=upkeep._tz_sql(companies),
            outgoing=self._outgoing_types(),
            orders=orders,
            done_day=local_day(SQL("p.date_done")),
            first_day=local_day(SQL("o.first_done")),
            last_day=local_day(SQL("o.last_done")),
            keep=keep,
        )

    def _write_rows(self, companies, delete, orders, keep):
        """Delete the rows ``delete`` (SQL condition on ``d``) and insert those of
        ``_rows_sql(companies, orders, keep)``; drop the cached KPIs of the companies
        concerned. Returns the number of rows inserted."""
        cr = self.env.cr
        cr.execute(
            SQL("DELETE FROM erpconnect_delivery_daily d WHERE %s RETURNING d.company_id", delete)
        )
        company_ids = {company_id for (company_id,) in cr.fetchall()}
        cr.execute(
            SQL(
                """INSERT INTO erpconnect_delivery_daily (company_id, date, %s) %s
                   RETURNING company_id""",
                SQL(", ").join(SQL.identifier(name) for name in MEASURES),
                self._rows_sql(companies, orders, keep),
            )
        )
        inserted = cr.fetchall()
        company_ids.update(company_id for (company_id,) in inserted)
        self.invalidate_model()
        if company_ids:
            self.env["erpconnect.kpi.cache"]._invalidate(sorted(company_ids))
        return len(inserted)

    # ------------------------------------------------------------------------------------------
    # Rebuild, reconcile, refresh
    # ------------------------------------------------------------------------------------------
    @api.model
    def _rebuild(self, company, date_from=None):
        """Rewrite ``company``'s rows: all of them (installation, upgrade, the ledger's action
        Rebuild), or from the local day ``date_from`` on (the nightly ``_reconcile``). Returns
        the number of rows written."""
        self.env.flush_all()
        orders = SQL("(so.company_id = %(c)s OR p.company_id = %(c)s)", c=company.id)
        delete = SQL("d.company_id = %s", company.id)
        keep = SQL("company_id = %s", company.id)
        if date_from is not None:
            start, _end = self.env["erpconnect.demand.daily"]._utc_bounds(
                company, date_from, date_from
            )
            # the orders with a delivery done since then: their earlier pickings count too
            orders = SQL(
                """p.sale_id = ANY(ARRAY(SELECT sale_id FROM stock_picking
                                          WHERE state = 'done' AND date_done >= %s
                                            AND sale_id IS NOT NULL))""",
                start,
            )
            delete = SQL("%s AND d.date >= %s", delete, date_from)
            keep = SQL("%s AND day >= %s", keep, date_from)
        rows = self._write_rows(company, delete, orders, keep)
        if date_from is None:
            _logger.info(
                "ERPConnect AI: daily deliveries of %s rebuilt: %s rows", company.name, rows
            )
        return rows

    @api.model
    def _reconcile(self, company, days):
        """Recompute ``company``'s last ``days`` days (today included): anything the upkeep
        missed (an operation type's code changed, a picking moved to another order...)."""
        today = self.env["erpconnect.demand.daily"]._local_today(company)
        return self._rebuild(company, today - timedelta(days=days - 1))

    @api.model
    def _refresh_orders(self, order_ids=(), picking_ids=(), moments=()):
        """Recompute the rows of every day on which the orders ``order_ids``, the orders of the
        pickings ``picking_ids`` (as they are now) have a done delivery, and of the days of
        ``moments`` (``(company_id, UTC datetime)``: the days some pickings had before a
        change). A few bulk statements, whatever the number of orders."""
        self.env.flush_all()
        keys = self._days_of_orders(order_ids, picking_ids)
        if moments:
            keys |= self._localize(moments)
        if not keys:
            return 0
        companies = self.env["res.company"].browse(sorted({company_id for company_id, _d in keys}))
        bounds = [
            self.env["erpconnect.demand.daily"]._utc_bounds(companies.browse(company_id), day, day)
            for company_id, day in keys
        ]
        key_days = SQL(
            "unnest(%s::int[], %s::date[]) AS k(company_id, day)",
            [company_id for company_id, _day in keys],
            [day for _company_id, day in keys],
        )
        # every order with a picking done in one of the days' UTC windows (of any company: an
        # order's first delivery counts for the order's company)
        orders = SQL(
            """p.sale_id = ANY(ARRAY(
                   SELECT sale_id FROM stock_picking
                    WHERE state = 'done' AND sale_id IS NOT NULL
                      AND date_done >= %s AND date_done < %s
                      AND EXISTS (SELECT 1 FROM unnest(%s::timestamp[], %s::timestamp[])
                                      AS w(start_at, end_at)
                                   WHERE date_done >= w.start_at AND date_done < w.end_at)))""",
            min(start for start, _end in bounds),
            max(end for _start, end in bounds),
            [start for start, _end in bounds],
            [end for _start, end in bounds],
        )
        return self._write_rows(
            companies,
            SQL(
                "d.company_id = ANY(%s) AND EXISTS (SELECT 1 FROM %s WHERE "
                "k.company_id = d.company_id AND k.day = d.date)",
                companies.ids,
                key_days,
            ),
            orders,
            SQL(
                "EXISTS (SELECT 1 FROM %s WHERE k.company_id = per_day.company_id "
                "AND k.day = per_day.day)",
                key_days,
            ),
        )

    def _days_of_orders(self, order_ids, picking_ids):
        """``{(company_id, local day)}`` of the done outgoing pickings of the orders
        ``order_ids`` and of the orders of ``picking_ids``, whatever the orders' state: for the
        picking's company and for its order's."""
        if not order_ids and not picking_ids:
            return set()
        rows = self.env.execute_query(
            SQL(
                """
                SELECT p.company_id, so.company_id, p.date_done
                  FROM stock_picking p
                  JOIN sale_order so ON so.id = p.sale_id
                  JOIN stock_picking_type t ON t.id = p.picking_type_id AND t.code = 'outgoing'
                 WHERE p.sale_id IN (
                           SELECT unnest(%(orders)s::int[])
                            UNION
                           SELECT sale_id FROM stock_picking WHERE id = ANY(%(pickings)s::int[]))
                   AND p.state = 'done' AND p.date_done IS NOT NULL
                """,
                orders=sorted(order_ids),
                pickings=sorted(picking_ids),
            )
        )
        return self._localize(
            {(company_id, moment) for *companies, moment in rows for company_id in companies}
        )

    def _localize(self, moments):
        """``{(company_id, local day)}`` of ``(company_id, UTC datetime)`` pairs."""
        ledger = self.env["erpconnect.demand.daily"]
        companies = self.env["res.company"].browse({company_id for company_id, _m in moments})
        zones = {company.id: pytz.timezone(ledger._company_tz(company)) for company in companies}
        return {
            (company_id, pytz.utc.localize(moment).astimezone(zones[company_id]).date())
            for company_id, moment in moments
        }
