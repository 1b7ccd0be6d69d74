from collections import defaultdict
from datetime import timedelta

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from ..engine import kpi_formulas
from .arguments import (
    MAX_CHART_HISTORY_DAYS,
    MAX_DASHBOARD_DAYS,
    cached_periods_only,
    check_days,
    check_record_id,
    check_viewer,
)
from .erpconnect_replenishment import URGENCY_RANK

PERIODS = (7, 30, 90)
TOP_PRODUCTS = 10
REPLENISHMENT_ROWS = 10
ANOMALY_ROWS = 10
ANOMALY_DAYS = 30
PICKER_PRODUCTS = 30
FORECAST_HORIZON_DAYS = 90
ABC = ("A", "B", "C")
XYZ = ("X", "Y", "Z")


def _link(res_model, domain, name, views=("list", "form"), context=None):
    """What the web client needs to open the records behind a number (an act_window)."""
    return {
        "res_model": res_model,
        "domain": domain,
        "name": name,
        "views": list(views),
        "context": context or {},
    }


class ErpconnectDashboard(models.AbstractModel):
    """Data of the OWL dashboard (client action ``erpconnect_ai.dashboard``).

    Every figure comes with a ``link`` (model + domain) that opens the records behind it. A
    section without data yet is returned empty with a ``message`` that says why, never an error.
    Every public method first checks that the caller is an ERPConnect AI user (Viewer and
    above: AccessError otherwise) and bounds its arguments (``models/arguments.py``).
    Sales figures come from the daily demand ledger (``erpconnect.demand.daily``), days are the
    company's (the ledger's day rule), as for the KPI cards, so that they add up to them.

    The file is the data of one screen, one method per panel (sales trend, top products, stock
    status, forecast chart and picker, replenishment, segment matrix, anomalies, KPI cards and
    their links): about 780 lines, each panel a few dozen.
    """

    _name = "erpconnect.dashboard"
    _description = "ERPConnect AI dashboard data"

    # ------------------------------------------------------------------ public API

    @api.model
    @api.readonly
    def get_dashboard_data(self, days=30):
        """Everything the dashboard shows, for the current company and the last ``days`` days.

        :param int days: length of the period, 1 to 90 (the dashboard offers 7, 30 and 90;
            the figures of other periods are not cached).
        :returns: dict with keys ``days``, ``period`` (``date_from``, ``date_to``),
            ``currency_id``, ``is_manager``, ``layout`` (see ``erpconnect.dashboard.layout``),
            ``kpi_catalog``, ``panel_catalog``, ``analysis`` (last run, health), ``kpis`` (cards of
            the layout), ``sales_trend``, ``top_products``, ``stock_status``, ``forecast``
            (product picker), ``replenishment``, ``segment_matrix``, ``anomalies``. Each section
            is a dict with ``available`` (bool) and ``message`` (why it is empty, or "").
        """
        check_viewer(self.env)
        days = check_days(self.env, days, maximum=MAX_DASHBOARD_DAYS)
        return cached_periods_only(self, days)._dashboard_data(days)

    @api.model
    def _dashboard_data(self, days):
        """``get_dashboard_data(days)`` once the caller and ``days`` are checked."""
        company = self.env.company
        period = self._period(days)
        layout_model = self.env["erpconnect.dashboard.layout"]
        layout = layout_model.get_layout()
        kpi_catalog = layout_model._kpi_catalog()
        period_sales = self._sales_rows(company, period["date_from"], period["date_to"])
        top_products = self._top_products(period_sales, company, period)
        sales_trend = self._sales_trend(period_sales, company, period)
        stock_status = self._stock_status(company)
        analysis = self._analysis_state(company)
        stock_links = {row["key"]: row["link"] for row in stock_status["rows"]}
        kpi_links = dict(
            self._kpi_links(company, period, sales_trend["link"]),
            out_of_stock_count=stock_links.get("out"),
            low_stock_count=stock_links.get("low"),
            overstock_count=stock_links.get("overstock"),
        )
        return {
            "days": days,
            "period": {
                "date_from": fields.Date.to_string(period["date_from"]),
                "date_to": fields.Date.to_string(period["date_to"]),
            },
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "is_manager": self.env.user.has_group("erpconnect_ai.group_erpconnect_manager"),
            "layout": layout,
            "kpi_catalog": kpi_catalog,
            "panel_catalog": layout_model._panel_catalog(),
            "analysis": analysis,
            "kpis": self._kpi_cards(layout["kpis"], days, kpi_links),
            "sales_trend": sales_trend,
            "top_products": top_products,
            "stock_status": stock_status,
            **self._result_panels(company, period, top_products, analysis["has_results"]),
        }

    def _result_panels(self, company, period, top_products, has_results):
        """The panels of the analysis' results: ``forecast`` (product picker), ``replenishment``,
        ``segment_matrix`` and ``anomalies``. Company-level (every ERPConnect AI user of the
        company reads these records alike), cached with the KPIs per language and day: a run
        that ends and a user who changes a suggestion or an anomaly drop them
        (``erpconnect.kpi.cache._invalidate``)."""
        anomalies_since = fields.Date.context_today(self) - timedelta(days=ANOMALY_DAYS - 1)
        return self._cached_figures(
            company,
            (
                "dashboard_results",
                self.env.lang,
                period["date_from"],
                period["date_to"],
                anomalies_since,
                has_results,
            ),
            lambda: {
                "forecast": self._forecast_picker(company, top_products),
                "replenishment": self._replenishment(company),
                "segment_matrix": self._segment_matrix(company),
                "anomalies": self._anomalies(company, anomalies_since, has_results),
            },
        )

    @api.model
    @api.readonly
    def get_kpi_overview(self, days=30):
        """The whole KPI catalogue with values, for the KPIs screen.

        :param int days: length of the period, 1 to 365 (the screen offers 7, 30 and 90).
        :returns: ``{"days", "currency_id", "available", "message", "kpis": [catalogue entry
            merged with its metric (value, previous, change)]}``.
        """
        check_viewer(self.env)
        days = self._check_days(days)
        catalog = self.env["erpconnect.dashboard.layout"]._kpi_catalog()
        company = self.env.company
        period = self._period(days)
        links = self._kpi_links(company, period, self._sales_link(company, period, ""))
        kpis = self._kpi_cards([entry["code"] for entry in catalog], days, links)
        return {
            "days": days,
            "currency_id": self.env.company.currency_id.id,
            "available": bool(kpis),
            "message": "",
            "kpis": kpis,
        }

    @api.model
    @api.readonly
    def get_product_forecast_chart(self, product_id, history_days=90):
        """Sales history and forecast of one product, for the dashboard's forecast chart.

        The history is the series the current forecast was computed from: the demand ledger's
        daily quantities (the analysis' demand source and warehouse) of the ``history_days`` days
        up to the forecast's last day of data (``as_of``; yesterday without a forecast). The
        forecast starts the next day. Today's sales so far, a partial day, are apart
        (``today``), never one of the history points: no date appears twice.

        :param int product_id: a ``product.product`` id.
        :param int history_days: days of history up to the analysis day (1 to 366).
        :returns: ``{"product": {"id", "name"}, "available", "message", "method", "as_of",
            "history": [{"date", "qty"}], "forecast": [{"date", "qty", "lower", "upper",
            "adjusted", "is_adjusted"}], "adjusted_days", "explanation": [str], "today":
            {"date", "qty"}, "links": {"history", "forecast"}}``; ``lower``/``upper`` bound the
            95 % interval, ``adjusted`` is the planners' adjusted forecast (``qty`` where not
            adjusted), ``explanation`` says why (``erpconnect.forecast.get_forecast``).
        """
        check_viewer(self.env)
        check_record_id(self.env, product_id, "product_id")
        history_days = check_days(
            self.env, history_days, "history_days", maximum=MAX_CHART_HISTORY_DAYS
        )
        # search, not browse: the record rules apply (another company's product is not found).
        product = self.env["product.product"].search([("id", "=", product_id)])
        if not product:
            raise UserError(
                self.env._("Product %(id)s does not exist or you cannot read it.", id=product_id)
            )
        company = self.env.company
        Forecast = self.env["erpconnect.forecast"]
        record = Forecast.search(
            [("product_id", "=", product_id), ("company_id", "=", company.id)], limit=1
        )
        ledger = self.env["erpconnect.demand.daily"].sudo()
        today = ledger._local_today(company)
        as_of = record.as_of or today - timedelta(days=1)
        date_from = as_of - timedelta(days=history_days - 1)
        by_day = self._demand_by_day(company, product, date_from, today)
        result = {
            "product": {"id": product.id, "name": product.display_name},
            "as_of": fields.Date.to_string(as_of),
            "history": [
                {"date": fields.Date.to_string(day), "qty": by_day.get(day, 0.0)}
                for day in self._days(date_from, as_of)
            ],
            "today": {"date": fields.Date.to_string(today), "qty": by_day.get(today, 0.0)},
            "forecast": [],
            "adjusted_days": 0,
            "explanation": [],
            "method": "",
            "available": False,
            "message": "",
            "links": {
                "history": self._sales_link(
                    company,
                    self._period_between(company, date_from, as_of),
                    self.env._("Sales of %(product)s", product=product.display_name),
                    product_ids=[product_id],
                ),
            },
        }
        horizon = min(FORECAST_HORIZON_DAYS, company._erpconnect_settings()["horizon_days"])
        try:
            forecast = Forecast.get_forecast(product_id, horizon_days=horizon)
        except ValidationError as error:
            # The stored forecast is shorter than the horizon now configured.
            result["message"] = str(error)
            return result
        lines = forecast.get("daily") or []
        result.update(
            method=forecast.get("method") or "",
            forecast=lines,
            adjusted_days=forecast.get("adjusted_days") or 0,
            explanation=forecast.get("explanation") or [],
            available=bool(lines),
            message=forecast.get("message") or "",
        )
        if forecast.get("available"):
            result["links"]["forecast"] = _link(
                "erpconnect.forecast",
                [("id", "=", record.id)],
                self.env._("Forecast"),
                views=("form",),
            )
        return result

    # ------------------------------------------------------------------ helpers: arguments

    @api.model
    def _check_days(self, days, name="days"):
        return check_days(self.env, days, name)

    @api.model
    def _period(self, days):
        """The last ``days`` days up to today (the company's days, as the KPI service counts
        them), with their UTC datetime bounds ``[datetime_from, datetime_to)``."""
        company = self.env.company
        date_to = self.env["erpconnect.demand.daily"]._local_today(company)
        return self._period_between(company, date_to - timedelta(days=days - 1), date_to)

    def _period_between(self, company, date_from, date_to):
        """``{date_from, date_to, datetime_from, datetime_to}`` of ``company``'s local days
        ``date_from..date_to``."""
        start, end = self.env["erpconnect.demand.daily"]._utc_bounds(company, date_from, date_to)
        return {
            "date_from": date_from,
            "date_to": date_to,
            "datetime_from": start,
            "datetime_to": end,
        }

    @staticmethod
    def _days(date_from, date_to):
        return [date_from + timedelta(days=i) for i in range((date_to - date_from).days + 1)]

    def _no_analysis_message(self):
        return self.env._(
            "No analysis yet: a manager runs the first one with Run analysis (it also runs "
            "every night)."
        )

    def _selection_labels(self, model, field_name):
        """``{value: label}`` of a selection field, in the user's language."""
        field = self.env[model]._fields[field_name]
        return dict(field._description_selection(self.env))

    def _can_read(self, model):
        return self.env[model].has_access("read")

    # ------------------------------------------------------------------ sales (the ledger)

    def _sales_rows(self, company, date_from, date_to, by_day=True):
        """Confirmed sales of ``company`` from ``date_from`` to ``date_to`` (local days,
        inclusive) per day and product, from the demand ledger: ``[{"date", "product_id",
        "qty", "revenue", "lines"}]`` (per product only, ``date`` None, when ``by_day`` is
        false). Company-level totals a Viewer may see (the links behind them open the orders
        only for users who may read them); cached with the KPIs (a 10,000-product company reads
        a month of rows per dashboard call)."""
        return self._cached_figures(
            company,
            ("dashboard_sales", date_from, date_to, by_day),
            lambda: (
                self.env["erpconnect.demand.daily"]
                .sudo()
                ._daily_sales(company, date_from, date_to, by_day=by_day)
            ),
        )

    def _demand_by_day(self, company, product, date_from, date_to):
        """``{day: qty}`` of ``product`` from the ledger, with the analysis' demand source and
        warehouse: the series its forecast reads."""
        settings = company._erpconnect_settings()
        history = (
            self.env["erpconnect.demand.daily"]
            .sudo()
            ._history(
                company,
                date_from,
                date_to,
                source=settings["demand_source"],
                warehouse=company.erpconnect_warehouse_id or None,
                product_ids=[product.id],
            )
        )
        return {row.date.date(): row.qty for row in history.itertuples(index=False)}

    def _cached_figures(self, company, key, compute):
        """``compute()`` cached with the KPIs (``erpconnect.kpi.cache._cached``: 120 s, dropped
        when sales are confirmed or an analysis ends). For company-level figures only, the same
        for every user (links and messages that depend on the user are added after); 100
        concurrent dashboard calls on 2 workers need it (bench/rpc_load.py)."""
        return self.env["erpconnect.kpi.cache"]._cached(company, key, compute)

    def _sales_link(self, company, period, name, product_ids=None):
        """Order lines behind a sales figure, or None when the user may not read them."""
        if not self._can_read("sale.order.line"):
            return None
        domain = [
            ("company_id", "=", company.id),
            ("state", "=", "sale"),
            ("display_type", "=", False),
            ("is_downpayment", "=", False),
            ("order_id.date_order", ">=", fields.Datetime.to_string(period["datetime_from"])),
            ("order_id.date_order", "<", fields.Datetime.to_string(period["datetime_to"])),
        ]
        if product_ids:
            domain.append(("product_id", "in", product_ids))
        return _link("sale.order.line", domain, name)

    def _sales_trend(self, sales, company, period):
        """Quantity and revenue per day, ISO week and month of the period (the first week and
        month start with the period)."""
        figures = self._cached_figures(
            company,
            ("dashboard_trend", period["date_from"], period["date_to"]),
            lambda: self._compute_sales_trend(sales, period),
        )
        return {
            "available": bool(sales),
            "message": "" if sales else self.env._("No confirmed sales in this period."),
            **figures,
            "link": self._sales_link(company, period, self.env._("Sales of the period")),
        }

    def _compute_sales_trend(self, sales, period):
        """The figures of ``_sales_trend``: ``series``, ``total_qty``, ``total_revenue``."""
        by_day = defaultdict(lambda: [0.0, 0.0])
        for row in sales:
            by_day[row["date"]][0] += row["qty"]
            by_day[row["date"]][1] += row["revenue"]
        series = {"day": {}, "week": {}, "month": {}}
        for day in self._days(period["date_from"], period["date_to"]):
            qty, revenue = by_day.get(day, (0.0, 0.0))
            year, week, _weekday = day.isocalendar()
            labels = {
                "day": fields.Date.to_string(day),
                "week": "%d-W%02d" % (year, week),
                "month": day.strftime("%Y-%m"),
            }
            for interval, label in labels.items():
                bucket = series[interval].setdefault(
                    label,
                    {"label": label, "date_from": labels["day"], "qty": 0.0, "revenue": 0.0},
                )
                bucket["date_to"] = labels["day"]
                bucket["qty"] += qty
                bucket["revenue"] += revenue
        return {
            "series": {interval: list(buckets.values()) for interval, buckets in series.items()},
            "total_qty": sum(row["qty"] for row in sales),
            "total_revenue": sum(row["revenue"] for row in sales),
        }

    def _top_products(self, sales, company, period):
        """Best sellers of ``sales`` (rows of the period) by quantity and by revenue (top
        ``TOP_PRODUCTS`` each)."""
        by_qty, by_revenue, totals, names = self._cached_figures(
            company,
            ("dashboard_top", period["date_from"], period["date_to"], self.env.lang),
            lambda: self._compute_top_products(sales),
        )

        def rows(product_ids):
            return [
                {
                    "product_id": pid,
                    "name": names.get(pid, ""),
                    "qty": totals[pid][0],
                    "revenue": totals[pid][1],
                    "link": self._sales_link(
                        company,
                        period,
                        self.env._("Sales of %(product)s", product=names.get(pid, "")),
                        product_ids=[pid],
                    ),
                }
                for pid in product_ids
            ]

        return {
            "available": bool(totals),
            "message": "" if totals else self.env._("No confirmed sales in this period."),
            "by_qty": rows(by_qty),
            "by_revenue": rows(by_revenue),
        }

    def _compute_top_products(self, sales):
        """The figures of ``_top_products``: ``(ids by quantity, ids by revenue, {id: [qty,
        revenue]} of those, {id: name})``."""
        totals = defaultdict(lambda: [0.0, 0.0])
        for row in sales:
            totals[row["product_id"]][0] += row["qty"]
            totals[row["product_id"]][1] += row["revenue"]
        by_qty = sorted(totals, key=lambda pid: (-totals[pid][0], pid))[:TOP_PRODUCTS]
        by_revenue = sorted(totals, key=lambda pid: (-totals[pid][1], pid))[:TOP_PRODUCTS]
        top = set(by_qty) | set(by_revenue)
        return (
            by_qty,
            by_revenue,
            {pid: totals[pid] for pid in top},
            self._product_names(top),
        )

    def _product_names(self, product_ids):
        products = self.env["product.product"].sudo().browse(sorted(product_ids))
        return {product.id: product.display_name for product in products}

    # ------------------------------------------------------------------ stock status

    def _stock_status(self, company):
        """Active storable products of the company (or shared) counted as out of stock, low,
        adequate or overstock, by the definitions of the KPI service's stock KPIs so that the
        counts match its cards:

        - out of stock: on hand (internal quants of the company) at or below zero;
        - low: on hand below the reorder rules' minimum or the analysis' reorder point;
        - overstock: on hand above the reorder rules' maximum, or, without a maximum, above
          ``OVERSTOCK_COVER_DAYS`` days of the average daily sales of the last
          ``DEAD_STOCK_DAYS`` days;
        - adequate: the others. A product both low and overstock (possible through the two
          sources) is counted low.

        Each count links to its products. Company-level, the same for every user: cached with
        the KPIs.
        """
        return self._cached_figures(
            company,
            ("dashboard_stock", fields.Date.today(), self.env.lang),
            lambda: self._compute_stock_status(company),
        )

    def _compute_stock_status(self, company):
        """The figures of ``_stock_status``."""
        products = (
            self.env["product.product"]
            .sudo()
            .search_fetch(
                [
                    ("is_storable", "=", True),
                    ("company_id", "in", (False, company.id)),
                    # As the KPI service: a product created after today does not exist yet.
                    ("create_date", "<", self._period(1)["datetime_to"]),
                ],
                ["id"],
            )
        )
        quants = (
            self.env["stock.quant"]
            .sudo()
            ._read_group(
                [("company_id", "=", company.id), ("location_id.usage", "=", "internal")],
                groupby=["product_id"],
                aggregates=["quantity:sum"],
            )
        )
        on_hand = dict.fromkeys(sorted(products.ids), 0.0)
        on_hand.update((product.id, qty) for product, qty in quants if product.id in on_hand)
        ids = list(on_hand)
        levels = self._stock_levels(company, ids)
        trailing = self._period(kpi_formulas.DEAD_STOCK_DAYS)
        sold = self._sales_rows(company, trailing["date_from"], trailing["date_to"], by_day=False)
        sold_qty = {row["product_id"]: row["qty"] for row in sold}

        def column(values, default):
            return np.array([values.get(pid, default) for pid in ids], dtype=np.float64)

        out, low, over = kpi_formulas.stock_states(
            column(on_hand, 0.0),
            levels["rule_min"],
            levels["rule_max"],
            levels["reorder_point"],
            column(sold_qty, 0.0) / kpi_formulas.DEAD_STOCK_DAYS,
        )
        # One group per product: a product both low and overstock is counted low.
        low &= ~out
        over &= ~(out | low)
        adequate = ~(out | low | over)
        groups = {
            key: [pid for pid, member in zip(ids, mask) if member]
            for key, mask in (
                ("out", out),
                ("low", low),
                ("adequate", adequate),
                ("overstock", over),
            )
        }
        labels = {
            "out": self.env._("Out of stock"),
            "low": self.env._("Low stock"),
            "adequate": self.env._("Adequate"),
            "overstock": self.env._("Overstock"),
        }
        return {
            "available": bool(on_hand),
            "message": "" if on_hand else self.env._("No storable products in this company."),
            "total": len(on_hand),
            "rows": [
                {
                    "key": key,
                    "label": labels[key],
                    "count": len(ids),
                    "link": _link("product.product", [("id", "in", sorted(ids))], labels[key]),
                }
                for key, ids in groups.items()
            ],
        }

    def _stock_levels(self, company, product_ids):
        """Per product of ``product_ids`` (sorted), summed over the company's warehouses: the
        reorder rules' ``rule_min`` and ``rule_max`` and the current analysis' ``reorder_point``
        (arrays, ``nan`` without any), read by the stock KPIs' own loaders."""
        data = self.env["erpconnect.kpi.data"]
        today = self._period(1)["date_to"]
        scope = data._scope(company, [today, today + timedelta(days=1)])
        scope.product_ids = np.array(product_ids, dtype=np.int64)
        return {**data._load_rules(scope), **data._load_reorder_points(scope)}

    # ------------------------------------------------------------------ analysis results

    def _analysis_state(self, company):
        """Last analysis run (date, status, message) and the health data of ``erpconnect.run``;
        ``has_results`` is false until an analysis of the company has succeeded."""
        health = self.env["erpconnect.run"].get_health()
        run = health.get("last_run")
        has_results = bool(health.get("last_successful_run"))
        return {
            "available": True,
            "has_results": has_results,
            "message": "" if has_results else self._no_analysis_message(),
            "last_run": run
            and {
                "id": run["id"],
                "date": run["finished_at"] or run["started_at"],
                "status": run["status"],
                "message": run["message"],
                "duration": run["duration_seconds"],
            },
            "health": {"status": health["status"], "problems": health["problems"]},
        }

    def _replenishment(self, company):
        """The most urgent open suggestions of the current results, ORDER_NOW first."""
        empty = {"available": False, "rows": [], "total": 0, "counts": [], "link": None}
        Replenishment = self.env["erpconnect.replenishment"]
        domain = [("company_id", "=", company.id), ("state", "=", "new")]
        counts = dict(Replenishment._read_group(domain, ["urgency"], ["__count"]))
        total = sum(counts.values())
        if not total:
            return dict(empty, message=self._no_analysis_message())
        rows = Replenishment.with_context(allowed_company_ids=[company.id]).get_suggestions(
            limit=REPLENISHMENT_ROWS
        )
        urgency_labels = self._selection_labels("erpconnect.replenishment", "urgency")
        for row in rows:
            row["urgency_label"] = urgency_labels.get(row["urgency"], row["urgency"])
            row["link"] = _link(
                "erpconnect.replenishment",
                [("id", "=", row["id"])],
                self.env._("Suggestion"),
                views=("form",),
            )
        return {
            "available": True,
            "message": "",
            "rows": rows,
            "total": total,
            "counts": [
                {"urgency": urgency, "label": urgency_labels[urgency], "count": counts[urgency]}
                for urgency in URGENCY_RANK
                if counts.get(urgency) and urgency != "OK"
            ],
            "link": _link(
                "erpconnect.replenishment", domain, self.env._("Replenishment suggestions")
            ),
        }

    def _segment_matrix(self, company):
        """The 3×3 ABC/XYZ cells of the current results; each opens the products of its cell."""
        empty = {"available": False, "cells": []}
        # Not the cells' per-product figures (JSON of every product: 0.15 s to decode for
        # 10,000 products on each dashboard call).
        records = self.env["erpconnect.segment.matrix"].search_fetch(
            [("company_id", "=", company.id)],
            [
                "abc",
                "xyz",
                "segment",
                "product_count",
                "revenue",
                "revenue_share",
                "recommendation",
            ],
        )
        by_cell = {(rec.abc, rec.xyz): rec for rec in records}
        if not by_cell:
            return dict(empty, message=self._no_analysis_message())
        cells = []
        for abc in ABC:
            for xyz in XYZ:
                rec = by_cell.get((abc, xyz))
                cells.append(
                    {
                        "id": rec.id if rec else False,
                        "abc": abc,
                        "xyz": xyz,
                        "segment": abc + xyz,
                        "product_count": rec.product_count if rec else 0,
                        "revenue": rec.revenue if rec else 0.0,
                        "revenue_share": rec.revenue_share if rec else 0.0,
                        "recommendation": (rec.recommendation or "") if rec else "",
                        "link": rec.action_open_products() if rec else None,
                    }
                )
        return {"available": True, "message": "", "cells": cells}

    def _anomalies(self, company, since, has_results=True):
        """The latest abnormal sales days of the current results from ``since`` (the last
        ``ANOMALY_DAYS`` days), newest first; ``has_results`` tells an empty list after an
        analysis from no analysis at all."""
        Anomaly = self.env["erpconnect.anomaly"]
        domain = [("company_id", "=", company.id), ("date", ">=", since)]
        records = Anomaly.search(domain, order="date desc, id desc", limit=ANOMALY_ROWS)
        total = Anomaly.search_count(domain) if len(records) == ANOMALY_ROWS else len(records)
        kinds = self._selection_labels("erpconnect.anomaly", "kind")
        severities = self._selection_labels("erpconnect.anomaly", "severity")
        rows = [
            {
                "id": rec.id,
                "product_id": rec.product_id.id,
                "product_name": rec.product_id.display_name,
                "date": fields.Date.to_string(rec.date),
                "qty": rec.qty,
                "expected": rec.expected,
                "z": rec.z,
                "kind": rec.kind,
                "kind_label": kinds.get(rec.kind, rec.kind),
                "severity": rec.severity,
                "severity_label": severities.get(rec.severity, rec.severity),
                "state": rec.state,
                "link": _link(
                    "erpconnect.anomaly",
                    [("id", "=", rec.id)],
                    rec.display_name,
                    views=("form",),
                ),
            }
            for rec in records
        ]
        return {
            "available": bool(rows),
            "message": ""
            if rows
            else self.env._("No abnormal sales day in the last 30 days.")
            if has_results
            else self._no_analysis_message(),
            "rows": rows,
            "total": total,
            "link": _link("erpconnect.anomaly", domain, self.env._("Anomalies")),
        }

    def _forecast_picker(self, company, top_products):
        """Products offered in the forecast chart's picker: best sellers of the period first,
        then the products with the largest forecast."""
        product_ids = [row["product_id"] for row in top_products["by_revenue"]]
        forecasts = self.env["erpconnect.forecast"].search_read(
            [("company_id", "=", company.id)],
            ["product_id"],
            order="qty_30d desc",
            limit=PICKER_PRODUCTS,
        )
        for rec in forecasts:
            if rec["product_id"] and rec["product_id"][0] not in product_ids:
                product_ids.append(rec["product_id"][0])
        names = self._product_names(product_ids)
        return {
            "available": bool(forecasts),
            "message": "" if forecasts else self._no_analysis_message(),
            "products": [{"id": pid, "name": names[pid]} for pid in product_ids],
        }

    # ------------------------------------------------------------------ KPI cards

    def _kpi_cards(self, codes, days, links):
        """Value, previous value and change (``change_pct``, in %) of the KPIs ``codes``, in that
        order, as ``erpconnect.kpi.get_metrics`` gives them, with the ``link`` to their records
        from ``links`` (``{code: link}``; None for a KPI without records behind it)."""
        if not codes:
            return []
        by_code = {
            metric["code"]: metric for metric in self.env["erpconnect.kpi"].get_metrics(days)
        }
        return [dict(by_code[code], link=links.get(code)) for code in codes if code in by_code]

    def _kpi_links(self, company, period, sales_link):
        """Records behind the KPIs that count records: the period's order lines (revenue, units,
        products sold), its confirmed orders, and the anomalies of the last 7 and 30 days."""
        links = {}
        if sales_link:
            lines = dict(sales_link, name=self.env._("Sales of the period"))
            links.update(revenue_total=lines, units_sold=lines, gross_profit=lines)
        if self._can_read("sale.order"):
            links["order_count"] = _link(
                "sale.order",
                [
                    ("company_id", "=", company.id),
                    ("state", "=", "sale"),
                    ("date_order", ">=", fields.Datetime.to_string(period["datetime_from"])),
                    ("date_order", "<", fields.Datetime.to_string(period["datetime_to"])),
                ],
                self.env._("Confirmed orders of the period"),
            )
        if self._can_read("erpconnect.anomaly"):
            for code, window in (("anomalies_7d", 7), ("anomalies_30d", 30)):
                since = period["date_to"] - timedelta(days=window - 1)
                links[code] = _link(
                    "erpconnect.anomaly",
                    [
                        ("company_id", "=", company.id),
                        ("kind", "!=", "STOCKOUT"),
                        ("date", ">=", since),
                    ],
                    self.env._("Anomalies of the last %(days)s days", days=window),
                )
            links["lost_sales"] = _link(
                "erpconnect.anomaly",
                [
                    ("company_id", "=", company.id),
                    ("kind", "=", "STOCKOUT"),
                    ("date", "<", fields.Date.to_string(period["date_to"] + timedelta(days=1))),
                    ("end_date", ">=", fields.Date.to_string(period["date_from"])),
                ],
                self.env._("Stock-outs of the period"),
            )
        return links
