from datetime import timedelta

import pandas as pd
import pytz

from odoo import api, fields, models
from odoo.tools import SQL

from .analysis_input import PRODUCT_COLUMNS, AnalysisInput, empty_frame


class ErpconnectDataSource(models.AbstractModel):
    """Bulk extraction of a company's demand, stock, vendor, price and calendar data.

    Demand comes from the daily demand ledger (``erpconnect.demand.daily``) only; every other
    reader runs one query (or one ORM batch) for all products of the company, never one per
    product, and returns plain DataFrames for the engine.
    """

    _name = "erpconnect.data.source"
    _description = "ERPConnect AI data extraction"

    @api.model
    def _build_inputs(self, company, settings, as_of, warehouse=None):
        """The :class:`AnalysisInput` of ``company`` for the days up to ``as_of`` (included).

        :param company: ``res.company`` record
        :param dict settings: typed settings (``res.company._erpconnect_settings()``)
        :param date as_of: last day of the look-back window (a local day of the company)
        :param warehouse: optional ``stock.warehouse`` restricting demand and stock to it
        """
        ledger = self.env["erpconnect.demand.daily"]
        date_from = as_of - timedelta(days=settings["lookback_days"] - 1)
        history = ledger._history(
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
            unavailable=ledger._unavailable(company, date_from, as_of, warehouse=warehouse),
            holidays=self._get_holidays(
                company, date_from, as_of + timedelta(days=settings["horizon_days"])
            ),
        )

    @api.model
    def _get_latest_sale_date(self, company):
        """Local date of the company's latest confirmed sale (from the ledger), or None."""
        self.env["erpconnect.demand.daily"]._flush_pending()
        return self.env.execute_query(
            SQL(
                """SELECT MAX(date) FROM erpconnect_demand_daily
                    WHERE company_id = %s AND order_line_count > 0""",
                company.id,
            )
        )[0][0]

    @api.model
    def _get_holidays(self, company, date_from, date_to):
        """Public holidays of ``company`` from ``date_from`` to ``date_to`` (local days): the
        global leaves (no resource) of its working schedule, or of every schedule of the company.

        :return: sorted list of ``datetime.date``
        """
        ledger = self.env["erpconnect.demand.daily"]
        start, end = ledger._utc_bounds(company, date_from, date_to)
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search_fetch(
                [
                    ("resource_id", "=", False),
                    ("company_id", "in", [company.id, False]),
                    ("calendar_id", "in", [company.resource_calendar_id.id, False]),
                    ("date_from", "<", end),
                    ("date_to", ">=", start),
                ],
                ["date_from", "date_to"],
            )
        )
        tz = pytz.timezone(ledger._company_tz(company))
        days = set()
        for leave in leaves:
            first = pytz.utc.localize(leave.date_from).astimezone(tz).date()
            last = pytz.utc.localize(leave.date_to).astimezone(tz).date()
            days.update(first + timedelta(days=offset) for offset in range((last - first).days + 1))
        return sorted(day for day in days if date_from <= day <= date_to)

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
