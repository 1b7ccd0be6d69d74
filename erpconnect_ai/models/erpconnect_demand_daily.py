"""The daily demand ledger: the one definition of demand every reader uses.

One row per company, warehouse, product and day: what was ordered that day (confirmed sale order
lines), what was delivered to customers (done stock moves), the stock at the end of the day and
whether the product was available. The analysis pipeline, the sales KPIs and the dashboard read
this table only; nothing else aggregates order lines into demand.

**The day rule** (one for every reader): a day is a calendar day in the company's time zone (the
time zone of the company's partner; UTC when it has none or an unknown one). An order line
belongs to the local day of its order's ``date_order``, a stock move to the local day of its
``date``. "Today" and "yesterday" are the company's too (``_local_today``).

**Measures.** Both demand sources live in the same row: ``qty_ordered`` / ``revenue`` (confirmed
orders, the default ``demand_source = sale``) and ``qty_delivered`` / ``delivered_revenue``
(deliveries to customers net of customer returns, ``demand_source = stock_move``). Quantities are
in the product's unit, amounts untaxed in the company currency.

**Availability.** ``available`` is False on a stock-out day: a storable product (active, goods)
with nothing on hand in the warehouse's internal locations at the start and at the end of the
day, nothing received into them during the day, and no confirmed order line. Such a day gets a
row even when nothing happened (an "idle" stock-out row), from the product's first row in the
warehouse on; a day with stock and no activity has no row.

**Upkeep** (``erpconnect.demand.upkeep``, ``erpconnect_demand_upkeep.py``): the rows are written
in bulk SQL when orders are confirmed, cancelled or edited and when stock moves are done, rebuilt
for the last days by the nightly analysis and fully by ``action_rebuild`` and on installation or
upgrade. This file holds the table, the day rule and the readers.
"""

from datetime import datetime, time, timedelta

import pandas as pd
import pytz

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL


class ErpconnectDemandDaily(models.Model):
    """Daily demand, deliveries and stock of a product in a warehouse (see the module docstring).

    Written in bulk SQL by the upkeep only (no user creates or edits a row); read by everyone
    through the views "Demand history" and by the readers below.
    """

    _name = "erpconnect.demand.daily"
    _description = "ERPConnect AI daily demand"
    _order = "date desc, product_id, warehouse_id"
    _rec_name = "product_id"
    _log_access = False
    _check_company_auto = True

    # Indexes, made in init(): the key (company, product, date, warehouse), (company, date)
    # covering the columns the KPIs sum (index-only scans, rows in day order: a year of daily
    # sums needs no sort), and (company, date) of the stock-out rows only. float8 columns (no
    # ``digits``): sums of floats, not numerics.
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    warehouse_id = fields.Many2one(
        "stock.warehouse",
        readonly=True,
        help="Warehouse of the orders (their shipping warehouse) and of the stock locations; "
        "empty for orders and locations outside any warehouse.",
    )
    product_id = fields.Many2one(
        "product.product", required=True, readonly=True, ondelete="cascade"
    )
    categ_id = fields.Many2one(
        "product.category", "Product Category", readonly=True, help="When the row was written."
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    currency_id = fields.Many2one(related="company_id.currency_id")
    date = fields.Date(required=True, readonly=True, help="Day in the company's time zone.")
    qty_ordered = fields.Float(
        "Ordered",
        readonly=True,
        help="Quantity of the confirmed order lines dated that day, in the product's unit.",
    )
    revenue = fields.Float(
        readonly=True,
        help="Untaxed amount of those lines in the company currency (at the order's rate).",
    )
    order_line_count = fields.Integer("Order lines", readonly=True)
    order_count = fields.Integer("Orders", readonly=True)
    customer_count = fields.Integer(
        "Customers", readonly=True, help="Distinct customers (commercial entities) that day."
    )
    qty_ordered_delivered = fields.Float(
        "Delivered of ordered",
        readonly=True,
        help="Of the quantity ordered that day on lines delivered by stock moves, the quantity "
        "delivered so far.",
    )
    qty_delivered = fields.Float(
        "Delivered",
        readonly=True,
        help="Quantity delivered to customers that day (done moves), net of customer returns.",
    )
    delivered_revenue = fields.Float(
        "Delivered revenue",
        readonly=True,
        help="Value of the delivered quantity at its order line's price (else the sales price).",
    )
    stock_change = fields.Float(
        "Stock change",
        readonly=True,
        help="Net quantity moved into the warehouse's internal locations that day.",
    )
    on_hand = fields.Float(
        "On hand",
        readonly=True,
        help="Quantity in the warehouse's internal locations at the end of the day.",
    )
    available = fields.Boolean(
        readonly=True,
        help="Unset on a stock-out day: nothing on hand during the day and no sale.",
    )

    def init(self):
        self.env.cr.execute(
            SQL(
                """
                CREATE UNIQUE INDEX IF NOT EXISTS erpconnect_demand_daily_key
                    ON erpconnect_demand_daily
                       (company_id, product_id, date, COALESCE(warehouse_id, 0));
                DROP INDEX IF EXISTS erpconnect_demand_daily_company_date;
                CREATE INDEX IF NOT EXISTS erpconnect_demand_daily_company_day
                    ON erpconnect_demand_daily (company_id, date)
                       INCLUDE (product_id, order_line_count, qty_ordered, revenue,
                                qty_ordered_delivered, qty_delivered, stock_change);
                CREATE INDEX IF NOT EXISTS erpconnect_demand_daily_stock_out
                    ON erpconnect_demand_daily (company_id, date) WHERE NOT available;
                """
            )
        )

    # ------------------------------------------------------------------------------------------
    # Actions
    # ------------------------------------------------------------------------------------------
    def action_rebuild(self):
        """Rebuild the ledger of the companies of the user's context from the orders and moves.

        Button "Rebuild" of Demand history (ERPConnect AI administrators).

        :return: a notification action with the number of rows written
        :raise AccessError: the user is not an ERPConnect AI administrator
        """
        if not self.env.user.has_group("erpconnect_ai.group_erpconnect_admin"):
            raise AccessError(
                self.env._("Only ERPConnect AI administrators can rebuild the demand history.")
            )
        upkeep = self.env["erpconnect.demand.upkeep"].sudo()
        rows = sum(upkeep._rebuild(company) for company in self.env.companies)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success",
                "title": self.env._("Demand history rebuilt"),
                "message": self.env._("%(rows)s daily rows written.", rows=rows),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------------------------------------
    # The day rule
    # ------------------------------------------------------------------------------------------
    @api.model
    def _company_tz(self, company):
        """Time zone in which ``company``'s datetimes become days: its partner's, else UTC."""
        tz = company.partner_id.tz
        return tz if tz in pytz.all_timezones_set else "UTC"

    @api.model
    def _local_today(self, company):
        """Today in ``company``'s time zone."""
        tz = pytz.timezone(self._company_tz(company))
        return pytz.utc.localize(fields.Datetime.now()).astimezone(tz).date()

    @api.model
    def _utc_bounds(self, company, date_from, date_to):
        """Naive UTC datetimes ``[start, end)`` covering ``company``'s local days
        ``date_from..date_to``."""
        tz = pytz.timezone(self._company_tz(company))
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            end.astimezone(pytz.utc).replace(tzinfo=None),
        )

    # ------------------------------------------------------------------------------------------
    # Readers
    # ------------------------------------------------------------------------------------------
    @api.model
    def _flush_pending(self):
        """Write what this transaction changed before reading: the ORM's pending writes and the
        ledger keys waiting for the commit (``erpconnect.demand.upkeep._defer``). Nothing to do
        in a read-only request."""
        self.env.cr.flush()

    @api.model
    def _history(
        self, company, date_from, date_to, source="sale", warehouse=None, product_ids=None
    ):
        """Daily demand of ``company``'s active goods from ``date_from`` to ``date_to`` (local
        days, included), summed over its warehouses or of ``warehouse`` only.

        ``source`` ``"sale"``: confirmed order lines (``qty_ordered``, ``revenue``), the days with
        a line; ``"stock_move"``: deliveries net of returns (``qty_delivered``,
        ``delivered_revenue``), the days with a delivery or a return. ``product_ids`` restricts
        it to these products.

        :return: DataFrame ``product_id, date, qty, amount`` sorted by product and date
        """
        self._flush_pending()
        if source == "stock_move":
            qty, amount = SQL("d.qty_delivered"), SQL("d.delivered_revenue")
            present = SQL("d.qty_delivered <> 0 OR d.delivered_revenue <> 0")
        else:
            qty, amount, present = (
                SQL("d.qty_ordered"),
                SQL("d.revenue"),
                SQL("d.order_line_count > 0"),
            )
        rows = self.env.execute_query(
            SQL(
                """
                SELECT d.product_id, d.date, SUM(%(qty)s), SUM(%(amount)s)
                  FROM erpconnect_demand_daily d
                  JOIN product_product pp ON pp.id = d.product_id
                  JOIN product_template pt ON pt.id = pp.product_tmpl_id
                 WHERE d.company_id = %(company)s AND d.date BETWEEN %(date_from)s AND %(date_to)s
                   AND (%(present)s) %(warehouse)s %(products)s
                   AND pt.type = 'consu' AND pp.active AND pt.active
                 GROUP BY 1, 2
                 ORDER BY 1, 2
                """,
                qty=qty,
                amount=amount,
                present=present,
                company=company.id,
                date_from=date_from,
                date_to=date_to,
                warehouse=self._warehouse_filter(warehouse),
                products=(
                    SQL("AND d.product_id = ANY(%s)", list(product_ids)) if product_ids else SQL()
                ),
            )
        )
        columns = ["product_id", "date", "qty", "amount"]
        if not rows:
            return pd.DataFrame(
                {
                    "product_id": pd.Series(dtype="int64"),
                    "date": pd.Series(dtype="datetime64[ns]"),
                    "qty": pd.Series(dtype="float64"),
                    "amount": pd.Series(dtype="float64"),
                }
            )
        history = pd.DataFrame(rows, columns=columns)
        history["product_id"] = history["product_id"].astype("int64")
        history["date"] = pd.to_datetime(history["date"])
        # Unit conversions divide by UoM factors: drop the float noise (12.000000000004).
        history["qty"] = history["qty"].astype("float64").round(6)
        history["amount"] = history["amount"].astype("float64").fillna(0.0).round(2)
        return history

    @api.model
    def _unavailable(self, company, date_from, date_to, warehouse=None):
        """Stock-out days of ``company``'s products from ``date_from`` to ``date_to``: in
        ``warehouse``, else the days no warehouse where the product ever had a row had it.

        :return: DataFrame ``product_id, date`` sorted by product and date
        """
        self._flush_pending()
        if warehouse:
            query = SQL(
                """
                SELECT product_id, date FROM erpconnect_demand_daily
                 WHERE company_id = %s AND warehouse_id = %s AND date BETWEEN %s AND %s
                   AND NOT available
                 ORDER BY 1, 2
                """,
                company.id,
                warehouse.id,
                date_from,
                date_to,
            )
        else:
            query = SQL(
                """
                WITH stock_out AS (
                    SELECT d.product_id, d.date, COUNT(*) AS warehouses
                      FROM erpconnect_demand_daily d
                     WHERE d.company_id = %(company)s AND NOT d.available
                       AND d.date BETWEEN %(date_from)s AND %(date_to)s
                       AND NOT EXISTS (
                           SELECT 1 FROM erpconnect_demand_daily a
                            WHERE a.company_id = d.company_id AND a.product_id = d.product_id
                              AND a.date = d.date AND a.available)
                     GROUP BY 1, 2
                ), firsts AS (
                    SELECT product_id, COALESCE(warehouse_id, 0), MIN(date) AS first_day
                      FROM erpconnect_demand_daily
                     WHERE company_id = %(company)s AND date <= %(date_to)s
                       AND product_id IN (SELECT product_id FROM stock_out)
                     GROUP BY 1, 2
                )
                SELECT o.product_id, o.date
                  FROM stock_out o
                  JOIN firsts f ON f.product_id = o.product_id AND f.first_day <= o.date
                 GROUP BY o.product_id, o.date, o.warehouses
                HAVING COUNT(*) = o.warehouses
                 ORDER BY 1, 2
                """,
                company=company.id,
                date_from=date_from,
                date_to=date_to,
            )
        frame = pd.DataFrame(self.env.execute_query(query), columns=["product_id", "date"])
        return frame.astype({"product_id": "int64", "date": "datetime64[ns]"})

    @api.model
    def _daily_sales(self, company, date_from, date_to, product_ids=None, by_day=True):
        """Confirmed sales of ``company`` (every product, goods and services) from ``date_from``
        to ``date_to`` (local days, included) per day and product: ``[{"date", "product_id",
        "qty", "revenue", "lines"}]``; per product only (``date`` None) without ``by_day``."""
        self._flush_pending()
        product_filter = SQL()
        if product_ids:
            product_filter = SQL("AND product_id = ANY(%s)", list(product_ids))
        rows = self.env.execute_query(
            SQL(
                """
                SELECT %s, product_id, SUM(qty_ordered), SUM(revenue), SUM(order_line_count)
                  FROM erpconnect_demand_daily
                 WHERE company_id = %s AND date BETWEEN %s AND %s AND order_line_count > 0 %s
                 GROUP BY 1, 2
                """,
                SQL("date") if by_day else SQL("NULL::date"),
                company.id,
                date_from,
                date_to,
                product_filter,
            )
        )
        return [
            {"date": day, "product_id": product_id, "qty": qty, "revenue": revenue, "lines": lines}
            for day, product_id, qty, revenue, lines in rows
        ]

    @staticmethod
    def _warehouse_filter(warehouse, alias="d"):
        """``AND <alias>.warehouse_id = <warehouse>`` when a warehouse is given."""
        if not warehouse:
            return SQL()
        return SQL("AND %s.warehouse_id = %s", SQL.identifier(alias), warehouse.id)
