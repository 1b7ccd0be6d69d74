from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import TransactionCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.erpconnect_ai.models.erpconnect_dashboard_layout import (
    MANAGER_DEFAULT,
    VIEWER_DEFAULT,
)

TODAY = "2026-03-15 12:00:00"


@tagged("post_install", "-at_install")
@freeze_time(TODAY)
class TestErpconnectDashboard(TransactionCase):
    """get_dashboard_data on a small hand-built company (users in UTC, today 2026-03-15).

    Confirmed sales:  2026-03-13  P1 3 × 10 = 30
                      2026-03-14  P2 2 × 50 = 100, P1 1 × 10 = 10
                      2026-01-20  P1 5 × 10 = 50, P4 4 × 5 = 20   (inside 90 days, not 30)
    A draft order of P3 (2026-03-14) never counts.
    Stock: P1 0, P2 5 with rule min 10 / max 20, P3 50 with rule min 5 / max 20, P4 6 without
    rule, P5 0.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Dashboard Test Co"})
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        common = {"company_id": cls.company.id, "company_ids": [cls.company.id], "tz": "UTC"}
        cls.manager = new_test_user(
            cls.env,
            "dash_manager",
            groups="base.group_user,erpconnect_ai.group_erpconnect_manager,"
            "sales_team.group_sale_salesman_all_leads,stock.group_stock_user",
            **common,
        )
        cls.viewer = new_test_user(
            cls.env, "dash_viewer", groups="erpconnect_ai.group_erpconnect_viewer", **common
        )
        Product = cls.env["product.product"]
        cls.products = Product.create(
            [
                {
                    "name": f"Dashboard P{i}",
                    "is_storable": True,
                    "company_id": cls.company.id,
                    "list_price": 1.0,
                    "taxes_id": [],
                }
                for i in range(1, 6)
            ]
        )
        cls.p1, cls.p2, cls.p3, cls.p4, cls.p5 = cls.products
        # Records get the database's clock as creation date, not the frozen one: date the
        # products before "today" so that they exist in the periods (as the KPI service asks).
        cls.env.cr.execute(
            "UPDATE product_product SET create_date = '2026-01-01' WHERE id IN %s",
            [tuple(cls.products.ids)],
        )
        cls.products.invalidate_recordset(["create_date"])
        partner = cls.env["res.partner"].create({"name": "Dashboard customer"})
        orders = [
            ("2026-03-13 10:00:00", [(cls.p1, 3, 10.0)], True),
            ("2026-03-14 09:00:00", [(cls.p2, 2, 50.0), (cls.p1, 1, 10.0)], True),
            ("2026-01-20 15:00:00", [(cls.p1, 5, 10.0), (cls.p4, 4, 5.0)], True),
            ("2026-03-14 11:00:00", [(cls.p3, 7, 1.0)], False),
        ]
        SaleOrder = cls.env["sale.order"].with_company(cls.company)
        for date_order, lines, confirm in orders:
            order = SaleOrder.create(
                {
                    "partner_id": partner.id,
                    "company_id": cls.company.id,
                    "order_line": [
                        (
                            0,
                            0,
                            {
                                "product_id": product.id,
                                "product_uom_qty": qty,
                                "price_unit": price,
                                "tax_id": [],
                            },
                        )
                        for product, qty, price in lines
                    ],
                }
            )
            if confirm:
                order.action_confirm()
            order.date_order = datetime.fromisoformat(date_order)
        stock = cls.warehouse.lot_stock_id
        Quant = cls.env["stock.quant"]
        for product, qty in ((cls.p2, 5), (cls.p3, 50), (cls.p4, 6)):
            Quant._update_available_quantity(product, stock, qty)
        Orderpoint = cls.env["stock.warehouse.orderpoint"].with_company(cls.company)
        for product, min_qty, max_qty in ((cls.p2, 10, 20), (cls.p3, 5, 20)):
            Orderpoint.create(
                {
                    "product_id": product.id,
                    "warehouse_id": cls.warehouse.id,
                    "location_id": stock.id,
                    "company_id": cls.company.id,
                    "product_min_qty": min_qty,
                    "product_max_qty": max_qty,
                }
            )
        cls.Dashboard = cls.env["erpconnect.dashboard"]

    def _data(self, user, days=30):
        return self.Dashboard.with_user(user).with_company(self.company).get_dashboard_data(days)

    # ------------------------------------------------------------------ sales

    def test_sales_trend_30_days(self):
        trend = self._data(self.manager)["sales_trend"]
        # 3 + 2 + 1 units; 30 + 100 + 10 of revenue (the January order is 54 days old).
        self.assertEqual(trend["total_qty"], 6.0)
        self.assertEqual(trend["total_revenue"], 140.0)
        days = trend["series"]["day"]
        self.assertEqual(len(days), 30)
        self.assertEqual(days[0]["label"], "2026-02-14")  # 2026-03-15 minus 29 days
        by_label = {bucket["label"]: bucket for bucket in days}
        # 14 March: P2 2 × 50 + P1 1 × 10 -> qty 3, revenue 110.
        self.assertEqual(
            (by_label["2026-03-14"]["qty"], by_label["2026-03-14"]["revenue"]), (3, 110)
        )
        self.assertEqual(
            (by_label["2026-03-13"]["qty"], by_label["2026-03-13"]["revenue"]), (3, 30)
        )
        self.assertEqual(sum(bucket["qty"] for bucket in trend["series"]["week"]), 6.0)

    def test_sales_trend_90_days_by_month(self):
        trend = self._data(self.manager, days=90)["sales_trend"]
        # The January order joins: 6 + 5 + 4 units, 140 + 50 + 20 of revenue.
        self.assertEqual((trend["total_qty"], trend["total_revenue"]), (15.0, 210.0))
        months = {bucket["label"]: bucket for bucket in trend["series"]["month"]}
        # 90 days back from 2026-03-15 starts on 2025-12-16.
        self.assertEqual(list(months), ["2025-12", "2026-01", "2026-02", "2026-03"])
        self.assertEqual(months["2025-12"]["date_from"], "2025-12-16")
        self.assertEqual((months["2026-01"]["qty"], months["2026-01"]["revenue"]), (9.0, 70.0))
        self.assertEqual((months["2026-03"]["qty"], months["2026-03"]["revenue"]), (6.0, 140.0))

    def test_top_products(self):
        top = self._data(self.manager)["top_products"]
        # Revenue: P2 100, P1 30 + 10 = 40. Quantity: P1 3 + 1 = 4, P2 2.
        self.assertEqual(
            [(row["product_id"], row["revenue"]) for row in top["by_revenue"]],
            [(self.p2.id, 100.0), (self.p1.id, 40.0)],
        )
        self.assertEqual(
            [(row["product_id"], row["qty"]) for row in top["by_qty"]],
            [(self.p1.id, 4.0), (self.p2.id, 2.0)],
        )

    def test_sales_links_open_the_order_lines(self):
        data = self._data(self.manager)
        link = data["sales_trend"]["link"]
        lines = self.env["sale.order.line"].with_user(self.manager).search(link["domain"])
        # The three confirmed lines of 13 and 14 March.
        self.assertEqual(len(lines), 3)
        p1_link = next(r for r in data["top_products"]["by_qty"] if r["product_id"] == self.p1.id)
        p1_lines = (
            self.env["sale.order.line"].with_user(self.manager).search(p1_link["link"]["domain"])
        )
        self.assertEqual(sum(p1_lines.mapped("product_uom_qty")), 4.0)

    def test_kpi_cards_open_their_records(self):
        cards = {card["code"]: card for card in self._data(self.manager)["kpis"]}
        # The Manager's default cards include the order count and the out-of-stock count.
        orders = (
            self.env["sale.order"]
            .with_user(self.manager)
            .search(cards["order_count"]["link"]["domain"])
        )
        # The two confirmed orders of 13 and 14 March (the draft and the January one are out).
        self.assertEqual(len(orders), 2)
        self.assertEqual(cards["order_count"]["value"], 2)
        out = self.env["product.product"].search(cards["out_of_stock_count"]["link"]["domain"])
        self.assertEqual(out, self.p1 | self.p5)

    def test_viewer_sees_figures_without_order_links(self):
        data = self._data(self.viewer)
        self.assertFalse(data["is_manager"])
        self.assertTrue(self._data(self.manager)["is_manager"])
        # A viewer without Sales rights sees the totals, not the order lines behind them.
        self.assertEqual(data["sales_trend"]["total_revenue"], 140.0)
        self.assertIsNone(data["sales_trend"]["link"])

    # ------------------------------------------------------------------ stock

    def test_stock_status(self):
        status = self._data(self.manager)["stock_status"]
        products = {
            row["key"]: self.env["product.product"].search(row["link"]["domain"]) & self.products
            for row in status["rows"]
        }
        # P1, P5: 0 on hand -> out. P2: 5 < rule min 10 -> low. P3: 50 > rule max 20 ->
        # overstock. P4: 6 without rule, sold 4 in the last 90 days: 6 <= 180 days × 4 / 90
        # = 8 -> adequate.
        self.assertEqual(products["out"], self.p1 | self.p5)
        self.assertEqual(products["low"], self.p2)
        self.assertEqual(products["overstock"], self.p3)
        self.assertEqual(products["adequate"], self.p4)
        self.assertEqual(status["total"], sum(row["count"] for row in status["rows"]))

    def test_figures_match_the_kpi_cards(self):
        data = self._data(self.manager)
        metrics = {
            metric["code"]: metric["value"]
            for metric in self.env["erpconnect.kpi"]
            .with_user(self.manager)
            .with_company(self.company)
            .get_metrics(30)
        }
        self.assertEqual(metrics["revenue_total"], data["sales_trend"]["total_revenue"])
        self.assertEqual(metrics["units_sold"], data["sales_trend"]["total_qty"])
        counts = {row["key"]: row["count"] for row in data["stock_status"]["rows"]}
        # Only the five products above existed "today" (2026-03-15): P1 and P5 are out of stock,
        # P2 is low, P3 overstock, whatever the other products of the database.
        self.assertEqual((counts["out"], counts["low"], counts["overstock"]), (2, 1, 1))
        self.assertEqual(metrics["out_of_stock_count"], counts["out"])
        self.assertEqual(metrics["low_stock_count"], counts["low"])
        self.assertEqual(metrics["overstock_count"], counts["overstock"])

    # ------------------------------------------------------------------ forecast chart

    def _chart(self, product, history_days):
        return (
            self.Dashboard.with_user(self.manager)
            .with_company(self.company)
            .get_product_forecast_chart(product.id, history_days=history_days)
        )

    def test_forecast_chart_history(self):
        chart = self._chart(self.p1, 7)
        self.assertEqual(chart["product"]["id"], self.p1.id)
        # No forecast: the history ends yesterday, 8 to 14 March; P1 sold 3 on the 13th and 1 on
        # the 14th. Today, a partial day, is apart.
        self.assertEqual(chart["as_of"], "2026-03-14")
        self.assertEqual(
            [(point["date"], point["qty"]) for point in chart["history"]],
            [
                ("2026-03-08", 0.0),
                ("2026-03-09", 0.0),
                ("2026-03-10", 0.0),
                ("2026-03-11", 0.0),
                ("2026-03-12", 0.0),
                ("2026-03-13", 3.0),
                ("2026-03-14", 1.0),
            ],
        )
        self.assertEqual(chart["today"], {"date": "2026-03-15", "qty": 0.0})
        self.assertFalse(chart["forecast"])
        self.assertTrue(chart["message"])

    def test_forecast_chart_starts_the_day_after_the_history(self):
        """With a forecast made on data up to 03-13, the history stops on 03-13 (the series the
        forecast used) and the forecast runs from 03-14: no date appears twice, today's sale so
        far (one of P2 on the 15th) is apart."""
        run = (
            self.env["erpconnect.run"]
            .sudo()
            .create({"company_id": self.company.id, "status": "done", "as_of": "2026-03-13"})
        )
        self.env["erpconnect.forecast"].sudo().create(
            {
                "company_id": self.company.id,
                "run_id": run.id,
                "product_id": self.p2.id,
                "method": "moving_average",
                "as_of": "2026-03-13",
                "line_ids": [
                    Command.create(
                        {
                            "product_id": self.p2.id,
                            "company_id": self.company.id,
                            "date": date(2026, 3, 14) + timedelta(days=offset),
                            "qty": 1.0,
                            "lower": 0.0,
                            "upper": 2.0,
                        }
                    )
                    for offset in range(90)
                ],
            }
        )
        order = (
            self.env["sale.order"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": self.env["res.partner"].create({"name": "Today's customer"}).id,
                    "company_id": self.company.id,
                    "order_line": [
                        Command.create(
                            {"product_id": self.p2.id, "product_uom_qty": 1, "price_unit": 50.0}
                        )
                    ],
                }
            )
        )
        order.action_confirm()
        chart = self._chart(self.p2, 5)
        self.assertTrue(chart["available"], chart["message"])
        self.assertEqual(chart["as_of"], "2026-03-13")
        # P2 sold 2 on 03-14: after the forecast's data, so not in its history
        self.assertEqual(
            [(point["date"], point["qty"]) for point in chart["history"]],
            [(f"2026-03-{day:02d}", 0.0) for day in range(9, 14)],
        )
        self.assertEqual(chart["forecast"][0]["date"], "2026-03-14")
        self.assertEqual(len(chart["forecast"]), 90)
        dates = [point["date"] for point in chart["history"] + chart["forecast"]]
        self.assertEqual(len(dates), len(set(dates)), "a date appears twice")
        self.assertEqual(chart["today"], {"date": "2026-03-15", "qty": 1.0})

    def test_bad_arguments(self):
        dashboard = self.Dashboard.with_user(self.manager)
        for days in ("30", 0, -7, True, 10**6):
            with self.assertRaises(UserError):
                dashboard.get_dashboard_data(days)
        with self.assertRaises(UserError):
            dashboard.get_product_forecast_chart("1")
        with self.assertRaises(UserError):
            dashboard.get_product_forecast_chart(self.p5.id + 10**6)

    def test_sections_explain_themselves(self):
        """Before any analysis the analysis' panels are empty and say why (the panels after an
        analysis: test_dashboard_analysis)."""
        data = self._data(self.manager)
        no_analysis = (
            "No analysis yet: a manager runs the first one with Run analysis (it also runs "
            "every night)."
        )
        self.assertFalse(data["analysis"]["has_results"])
        for name in ("replenishment", "segment_matrix", "anomalies", "forecast"):
            section = data[name]
            with self.subTest(section=name):
                self.assertFalse(section["available"])
                self.assertEqual(section["message"], no_analysis)
        self.assertEqual((data["replenishment"]["rows"], data["segment_matrix"]["cells"]), ([], []))
        self.assertEqual(data["anomalies"]["rows"], [])


@tagged("post_install", "-at_install")
class TestErpconnectDashboardLayout(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.viewer = new_test_user(
            cls.env, "layout_viewer", groups="erpconnect_ai.group_erpconnect_viewer"
        )
        cls.manager = new_test_user(
            cls.env, "layout_manager", groups="erpconnect_ai.group_erpconnect_manager"
        )
        cls.Layout = cls.env["erpconnect.dashboard.layout"]

    def test_default_layouts_name_only_codes_that_exist(self):
        codes = {entry["code"] for entry in self.env["erpconnect.kpi"].get_catalog()}
        panels = {entry["name"] for entry in self.Layout._panel_catalog()}
        for default in (VIEWER_DEFAULT, MANAGER_DEFAULT):
            self.assertLessEqual(set(default["kpis"]), codes)
            self.assertLessEqual(set(default["panels"]), panels)
        # and the cards a Viewer gets by default are all shown
        layout = self.Layout.with_user(self.viewer).get_layout()
        self.assertEqual(layout["kpis"], VIEWER_DEFAULT["kpis"])

    def test_role_defaults_differ(self):
        viewer_layout = self.Layout.with_user(self.viewer).get_layout()
        manager_layout = self.Layout.with_user(self.manager).get_layout()
        self.assertTrue(viewer_layout["is_default"])
        self.assertEqual(viewer_layout["panels"], VIEWER_DEFAULT["panels"])
        self.assertEqual(manager_layout["panels"], MANAGER_DEFAULT["panels"])
        self.assertEqual(manager_layout["panels"][0], "replenishment")
        self.assertEqual(viewer_layout["refresh_interval"], 0)

    def test_save_and_reset(self):
        layout = self.Layout.with_user(self.viewer)
        saved = layout.save_layout(
            {"kpis": [], "panels": ["anomalies", "sales_trend"], "refresh_interval": 300}
        )
        self.assertEqual(
            saved,
            {
                "kpis": [],
                "panels": ["anomalies", "sales_trend"],
                "refresh_interval": 300,
                "is_default": False,
            },
        )
        self.assertEqual(layout.get_layout()["panels"], ["anomalies", "sales_trend"])
        # Saving again updates the one record of the user.
        layout.save_layout({"kpis": [], "panels": ["forecast"]})
        self.assertEqual(self.Layout.search_count([("user_id", "=", self.viewer.id)]), 1)
        self.assertEqual(layout.get_layout()["panels"], ["forecast"])
        # The manager's layout is untouched.
        self.assertTrue(self.Layout.with_user(self.manager).get_layout()["is_default"])
        reset = layout.reset_layout()
        self.assertTrue(reset["is_default"])
        self.assertEqual(reset["panels"], VIEWER_DEFAULT["panels"])
        self.assertFalse(self.Layout.search([("user_id", "=", self.viewer.id)]))

    def test_save_known_kpi(self):
        catalog = self.Layout._kpi_catalog()
        codes = [catalog[1]["code"], catalog[0]["code"]]
        saved = self.Layout.with_user(self.viewer).save_layout({"kpis": codes, "panels": []})
        self.assertEqual(saved["kpis"], codes)

    def test_validation(self):
        layout = self.Layout.with_user(self.viewer)
        bad_layouts = [
            ["sales_trend"],  # not an object
            {"panels": ["no_such_panel"]},
            {"kpis": ["no_such_kpi"]},
            {"panels": ["forecast", "forecast"]},
            {"panels": "forecast"},
            {"panels": [1]},
            {"refresh_interval": 42},
            {"refresh_interval": True},
            {"colour": "blue"},
        ]
        for bad in bad_layouts:
            with self.subTest(layout=bad), self.assertRaises(ValidationError):
                layout.save_layout(bad)
        self.assertFalse(self.Layout.search([("user_id", "=", self.viewer.id)]))

    def test_each_user_only_own_layout(self):
        self.Layout.with_user(self.viewer).save_layout({"kpis": [], "panels": ["forecast"]})
        record = self.Layout.search([("user_id", "=", self.viewer.id)])
        as_manager = self.Layout.with_user(self.manager)
        self.assertFalse(as_manager.search([]))
        with self.assertRaises(AccessError):
            as_manager.browse(record.id).read(["panel_names"])
        with self.assertRaises(AccessError):
            as_manager.browse(record.id).write({"panel_names": ["anomalies"]})
        # Nor can a user make a layout for someone else.
        with self.assertRaises(AccessError):
            as_manager.create({"user_id": self.env.ref("base.user_admin").id, "panel_names": []})
        self.assertEqual(record.panel_names, ["forecast"])

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_orm_writes_are_validated_like_save_layout(self):
        """Issue 14.3: a Viewer calling create/write over JSON-RPC gets the checks of
        save_layout (refresh interval, codes, panels) and cannot hand a layout over."""
        as_viewer = self.Layout.with_user(self.viewer)
        refused_creates = [
            {"refresh_interval": 1},
            {"panel_names": ["no_such_panel"]},
            {"kpi_codes": ["no_such_kpi"]},
            {"panel_names": ["forecast", "forecast"]},
        ]
        for vals in refused_creates:
            with self.subTest(create=vals), self.assertRaises(ValidationError):
                as_viewer.create(vals)
        with self.assertRaises(AccessError):
            as_viewer.create({"user_id": self.manager.id, "panel_names": ["forecast"]})
        self.assertFalse(self.Layout.search([("user_id", "in", (self.viewer | self.manager).ids)]))

        as_viewer.save_layout({"kpis": [], "panels": ["forecast"], "refresh_interval": 300})
        mine = self.Layout.search([("user_id", "=", self.viewer.id)])
        self.Layout.with_user(self.manager).save_layout({"kpis": [], "panels": ["anomalies"]})
        theirs = self.Layout.search([("user_id", "=", self.manager.id)])
        own = mine.with_user(self.viewer)
        for vals in ({"refresh_interval": 1}, {"panel_names": ["nope"]}, {"kpi_codes": ["x"]}):
            with self.subTest(write=vals), self.assertRaises(ValidationError):
                own.write(vals)
        for user in (self.manager, self.env.ref("base.user_admin")):
            with self.subTest(hand_to=user.login), self.assertRaises(AccessError):
                own.write({"user_id": user.id})
        # Nothing changed: the Viewer keeps their layout, the Manager theirs.
        self.assertRecordValues(
            mine,
            [{"user_id": self.viewer.id, "panel_names": ["forecast"], "refresh_interval": 300}],
        )
        self.assertRecordValues(
            theirs, [{"user_id": self.manager.id, "panel_names": ["anomalies"]}]
        )
        # A valid write still works.
        own.write({"refresh_interval": 60})
        self.assertEqual(mine.refresh_interval, 60)

    def test_default_layouts_name_catalogue_kpis(self):
        """The role defaults show the KPIs they list (none is silently dropped as unknown)."""
        known = {entry["code"] for entry in self.Layout._kpi_catalog()}
        for default in (VIEWER_DEFAULT, MANAGER_DEFAULT):
            self.assertEqual([code for code in default["kpis"] if code not in known], [])
        self.assertEqual(
            self.Layout.with_user(self.viewer).get_layout()["kpis"], VIEWER_DEFAULT["kpis"]
        )
