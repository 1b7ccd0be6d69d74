from datetime import datetime, time, timedelta

import pandas as pd
import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .analysis_input import HISTORY_COLUMNS, PRODUCT_COLUMNS, AnalysisInput, empty_frame


class ErpconnectDataSource(models.AbstractModel):
    """Bulk extraction of a company's demand, stock, vendor and price data.

    Every reader runs one query (or one ORM batch) for all products of the company, never one
    per product, and returns plain DataFrames for the engine.
    """

    _name = "erpconnect.data.source"
    _description = "ERPConnect AI data extraction"

    @api.model
    def _build_inputs(self, company, settings, as_of, warehouse=None):
        """The :class:`AnalysisInput` of ``company`` for the days up to ``as_of`` (included).

        :param company: ``res.company`` record
        :param dict settings: typed settings (``erpconnect.run._get_settings()``)
        :param date as_of: last day of the look-back window
        :param warehouse: optional ``stock.warehouse`` restricting demand and stock to it
        """
        date_from = as_of - timedelta(days=settings["lookback_days"] - 1)
        history = self._get_demand_history(
            company, date_from, as_of, source=settings["demand_source"], warehouse=warehouse
        )
        main_warehouse = warehouse or self.env["stock.warehouse"].search(
            [("company_id", "=", company.id)], limit=1
        )
        products = self._get_product_data(
            company,
            sorted(int(pid) for pid in history["product_id"].unique()),
            warehouse=warehouse,
            warehouse_id=main_warehouse.id or 0,
            default_lead_time=settings["default_lead_time"],
        )
        return AnalysisInput(
            company_id=company.id,
            as_of=as_of,
            settings=dict(settings),
            history=history,
            products=products,
            warehouse_id=main_warehouse.id or 0,
        )

    # ------------------------------------------------------------------------------------------
    # Demand history
    # ------------------------------------------------------------------------------------------
    @api.model
    def _get_company_tz(self, company):
        """Time zone in which order datetimes become days: the company's, else UTC."""
        tz = company.partner_id.tz
        return tz if tz in pytz.all_timezones_set else "UTC"

    @api.model
    def _utc_bounds(self, company, date_from, date_to):
        """Naive UTC datetimes ``[start, end)`` covering local days ``date_from..date_to``."""
        tz = pytz.timezone(self._get_company_tz(company))
        start = tz.localize(datetime.combine(date_from, time.min))
        end = tz.localize(datetime.combine(date_to + timedelta(days=1), time.min))
        return (
            start.astimezone(pytz.utc).replace(tzinfo=None),
            end.astimezone(pytz.utc).replace(tzinfo=None),
        )

    @api.model
    def _get_demand_history(self, company, date_from, date_to, source="sale", warehouse=None):
        """Daily demand per product, from ``date_from`` to ``date_to`` (local days, included).

        ``source`` ``"sale"``: confirmed sale order lines by order date; ``"stock_move"``: done
        moves from internal locations to customers, minus customer returns, by move date.
        Quantities are in the product's UoM, amounts untaxed in the company currency.
        Returns a DataFrame ``product_id, date, qty, amount`` sorted by product and date.
        """
        if source == "stock_move":
            query = self._stock_move_history_query(company, date_from, date_to, warehouse)
        else:
            query = self._sale_history_query(company, date_from, date_to, warehouse)
        self.env.cr.execute(query)
        rows = self.env.cr.fetchall()
        if not rows:
            return empty_frame(HISTORY_COLUMNS).astype({"product_id": "int64"})
        history = pd.DataFrame(rows, columns=list(HISTORY_COLUMNS))
        history["product_id"] = history["product_id"].astype("int64")
        history["date"] = pd.to_datetime(history["date"])
        # Unit conversions divide by UoM factors: drop the float noise (12.000000000004).
        history["qty"] = history["qty"].astype("float64").round(6)
        history["amount"] = history["amount"].astype("float64").fillna(0.0).round(2)
        return history.reset_index(drop=True)

    def _history_query_params(self, company, date_from, date_to):
        """Parameters both history queries share: time zone, company, UTC bounds, goods."""
        start, end = self._utc_bounds(company, date_from, date_to)
        return {
            "tz": self._get_company_tz(company),
            "company_id": company.id,
            "start": start,
            "end": end,
            # Active goods only: services and combos have no demand to forecast.
            "goods": SQL("AND tmpl.type = 'consu' AND product.active AND tmpl.active"),
        }

    def _sale_history_query(self, company, date_from, date_to, warehouse):
        self.env["sale.order.line"].flush_model(
            ["order_id", "product_id", "product_uom", "product_uom_qty", "price_subtotal"]
        )
        self.env["sale.order"].flush_model(["state", "company_id", "date_order", "currency_rate"])
        self.env["product.product"].flush_model(["active", "product_tmpl_id"])
        self.env["product.template"].flush_model(["active", "type", "uom_id"])
        warehouse_filter = SQL()
        if warehouse:  # sale_stock stores the order's warehouse
            self.env["sale.order"].flush_model(["warehouse_id"])
            warehouse_filter = SQL("AND so.warehouse_id = %s", warehouse.id)
        return SQL(
            """
            SELECT line.product_id,
                   (so.date_order AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
                   SUM(line.product_uom_qty / line_uom.factor * product_uom.factor) AS qty,
                   SUM(line.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1.0)) AS amount
              FROM sale_order_line line
              JOIN sale_order so ON so.id = line.order_id
              JOIN product_product product ON product.id = line.product_id
              JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
              JOIN uom_uom line_uom ON line_uom.id = line.product_uom
              JOIN uom_uom product_uom ON product_uom.id = tmpl.uom_id
             WHERE so.state = 'sale'
               AND so.company_id = %(company_id)s
               AND so.date_order >= %(start)s
               AND so.date_order < %(end)s
               AND line.display_type IS NULL
               %(goods)s
               %(warehouse_filter)s
             GROUP BY line.product_id, day
             ORDER BY line.product_id, day
            """,
            **self._history_query_params(company, date_from, date_to),
            warehouse_filter=warehouse_filter,
        )

    def _stock_move_history_query(self, company, date_from, date_to, warehouse):
        Move = self.env["stock.move"]
        Move.flush_model(
            [
                "state",
                "company_id",
                "date",
                "product_id",
                "product_qty",
                "location_id",
                "location_dest_id",
            ]
        )
        self.env["stock.location"].flush_model(["usage", "warehouse_id"])
        self.env["product.product"].flush_model(["active", "product_tmpl_id"])
        self.env["product.template"].flush_model(["active", "type", "list_price"])
        # Revenue of a move: its share of the sale line when sale_stock links them, else the
        # product's sale price.
        if "sale_line_id" in Move._fields:
            self.env["sale.order.line"].flush_model(["price_subtotal", "product_uom_qty"])
            self.env["sale.order"].flush_model(["currency_rate"])
            unit_revenue = SQL(
                """COALESCE(
                    line.price_subtotal / COALESCE(NULLIF(so.currency_rate, 0), 1.0)
                    / NULLIF(line.product_uom_qty / line_uom.factor * product_uom.factor, 0),
                    tmpl.list_price)"""
            )
            sale_join = SQL(
                """LEFT JOIN sale_order_line line ON line.id = move.sale_line_id
                   LEFT JOIN sale_order so ON so.id = line.order_id
                   LEFT JOIN uom_uom line_uom ON line_uom.id = line.product_uom
                   LEFT JOIN uom_uom product_uom ON product_uom.id = tmpl.uom_id"""
            )
        else:
            unit_revenue = SQL("tmpl.list_price")
            sale_join = SQL()
        warehouse_filter = (
            SQL(
                "AND COALESCE(src.warehouse_id, dest.warehouse_id) = %s",
                warehouse.id,
            )
            if warehouse
            else SQL()
        )
        return SQL(
            """
            SELECT move.product_id,
                   (move.date AT TIME ZONE 'UTC' AT TIME ZONE %(tz)s)::date AS day,
                   SUM(CASE WHEN dest.usage = 'customer' THEN move.product_qty
                            ELSE -move.product_qty END) AS qty,
                   SUM(CASE WHEN dest.usage = 'customer' THEN 1 ELSE -1 END
                       * move.product_qty * %(unit_revenue)s) AS amount
              FROM stock_move move
              JOIN stock_location src ON src.id = move.location_id
              JOIN stock_location dest ON dest.id = move.location_dest_id
              JOIN product_product product ON product.id = move.product_id
              JOIN product_template tmpl ON tmpl.id = product.product_tmpl_id
              %(sale_join)s
             WHERE move.state = 'done'
               AND move.company_id = %(company_id)s
               AND move.date >= %(start)s
               AND move.date < %(end)s
               AND ((src.usage = 'internal' AND dest.usage = 'customer')
                    OR (src.usage = 'customer' AND dest.usage = 'internal'))
               %(goods)s
               %(warehouse_filter)s
             GROUP BY move.product_id, day
             ORDER BY move.product_id, day
            """,
            **self._history_query_params(company, date_from, date_to),
            unit_revenue=unit_revenue,
            sale_join=sale_join,
            warehouse_filter=warehouse_filter,
        )

    @api.model
    def _get_latest_sale_date(self, company):
        """Local date of the company's latest confirmed sale order, or None."""
        self.env["sale.order"].flush_model(["state", "company_id", "date_order"])
        self.env.cr.execute(
            SQL(
                """SELECT (MAX(date_order) AT TIME ZONE 'UTC' AT TIME ZONE %s)::date
                     FROM sale_order WHERE state = 'sale' AND company_id = %s""",
                self._get_company_tz(company),
                company.id,
            )
        )
        return self.env.cr.fetchone()[0]

    # ------------------------------------------------------------------------------------------
    # Stock, vendors, prices
    # ------------------------------------------------------------------------------------------
    @api.model
    def _get_product_data(
        self, company, product_ids, warehouse=None, warehouse_id=0, default_lead_time=7
    ):
        """One row per product: stock, first vendor and lead time, prices (``PRODUCT_COLUMNS``).

        Stock is read for all the company's warehouses, or for ``warehouse`` when given.
        ``lead_time_days`` is the first valid vendor's delay, else ``default_lead_time``.
        """
        if not product_ids:
            return empty_frame(PRODUCT_COLUMNS)
        products = (
            self.env["product.product"]
            .with_company(company)
            .with_context(allowed_company_ids=[company.id], active_test=False)
            .browse(product_ids)
        )
        if warehouse:
            products = products.with_context(warehouse_id=warehouse.id)
        quantities = products._compute_quantities_dict(None, None, None)
        vendors = self._get_first_vendors(company, products)
        products.fetch(["lst_price", "standard_price", "is_storable"])
        rows = []
        for product in products:
            qty = quantities[product.id]
            vendor_id, delay = vendors.get(product.id, (0, default_lead_time))
            rows.append(
                {
                    "product_id": product.id,
                    "warehouse_id": warehouse_id,
                    "on_hand": qty["qty_available"],
                    "incoming": qty["incoming_qty"],
                    "forecasted": qty["virtual_available"],
                    "lead_time_days": delay,
                    "vendor_id": vendor_id,
                    "list_price": product.lst_price,
                    "standard_price": product.standard_price,
                    "is_storable": product.is_storable,
                }
            )
        frame = pd.DataFrame(rows, columns=list(PRODUCT_COLUMNS))
        return frame.astype(
            {
                "product_id": "int64",
                "warehouse_id": "int64",
                "vendor_id": "int64",
                "lead_time_days": "float64",
                "on_hand": "float64",
                "incoming": "float64",
                "forecasted": "float64",
                "list_price": "float64",
                "standard_price": "float64",
                "is_storable": "bool",
            }
        )

    @api.model
    def _get_first_vendors(self, company, products):
        """``{product_id: (vendor_id, delay)}`` of each product's first valid vendor.

        "First" follows the vendor list order (``product.supplierinfo._order``); a line for a
        variant applies to it only, an expired or other company's line is skipped.
        """
        today = fields.Date.context_today(self)
        sellers = (
            self.env["product.supplierinfo"]
            .sudo()
            .search(
                [
                    ("product_tmpl_id", "in", products.product_tmpl_id.ids),
                    ("company_id", "in", [False, company.id]),
                    ("partner_id.active", "=", True),
                    "|",
                    ("date_end", "=", False),
                    ("date_end", ">=", today),
                ]
            )
        )
        by_template = {}
        for seller in sellers:
            by_template.setdefault(seller.product_tmpl_id.id, []).append(seller)
        result = {}
        for product in products:
            for seller in by_template.get(product.product_tmpl_id.id, ()):
                if not seller.product_id or seller.product_id.id == product.id:
                    result[product.id] = (seller.partner_id.id, float(seller.delay))
                    break
        return result
