"""The dashboard after a real analysis of the company of ``common.py``: every panel and the
forecast chart against figures computed by hand; anomalies in order; several companies in one
click; ``inline_run_max_products = 0``.

The analysis runs at ``NOW`` (2024-07-01 10:00 UTC, noon in the company's Brussels time) with
the moving average and the "days" stock policy (3 safety days), so that each figure below is a
sum or a product of the table of ``common.py``.
"""

from datetime import date, timedelta
from math import sqrt
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from ..models import erpconnect_kpi_cache
from .common import NOW, ErpconnectCase

# Weekly product: 14 every Monday. Its moving average is the mean of the last 7 days (one Monday):
# 14 / 7 = 2 a day. The interval's σ is the root mean square of (day − 2) over the last 28 days
# (06-03 .. 06-30: the Mondays 06-03, 06-10, 06-17, 06-24 and 24 days without sales):
# σ² = (4 × 12² + 24 × 2²) / 28 = (576 + 96) / 28 = 24, so the 95 % band is 2 ± 1.96 √24,
# cut at 0 below.
WEEKLY_DAILY = 2.0
WEEKLY_UPPER = 2.0 + 1.96 * sqrt(24.0)  # ≈ 11.6020


@tagged("post_install", "-at_install")
class TestDashboardAfterAnalysis(ErpconnectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_settings(stock_policy="days", safety_days=3)
        # The products exist before "today" (the stock panel, as the KPIs, counts only the
        # products created by then): records get the database's clock, not the frozen one.
        products = cls.steady | cls.weekly | cls.dozen | cls.unsold | cls.service
        cls.env.cr.execute(
            "UPDATE product_product SET create_date = '2024-01-01' WHERE id IN %s",
            [tuple(products.ids)],
        )
        products.invalidate_recordset(["create_date"])
        cls.analysis_run = cls.run_analysis()
        cls.Dashboard = cls.env["erpconnect.dashboard"].with_context(
            allowed_company_ids=[cls.company.id]
        )

    def setUp(self):
        super().setUp()
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)

    def _dashboard(self, user, days=30):
        with freeze_time(NOW):
            return self.Dashboard.with_user(user).get_dashboard_data(days)

    def test_analysis_done(self):
        self.assertEqual(self.analysis_run.status, "done", self.analysis_run.message)
        # steady, weekly and dozen sold in the window; unsold did not and the service is no good
        self.assertEqual(
            (self.analysis_run.products_processed, self.analysis_run.products_failed), (3, 0)
        )

    def test_every_panel(self):
        data = self._dashboard(self.user_viewer)
        # 30 days up to today, the company's 07-01.
        self.assertEqual(data["period"], {"date_from": "2024-06-02", "date_to": "2024-07-01"})
        self.assertEqual(data["company_id"], self.company.id)
        self.assertFalse(data["is_manager"])

        # Analysis: the run above, done, with results.
        analysis = data["analysis"]
        self.assertTrue(analysis["has_results"])
        self.assertEqual(
            (analysis["last_run"]["id"], analysis["last_run"]["status"]),
            (self.analysis_run.id, "done"),
        )

        # Sales 06-02 .. 06-30 (nothing today): steady 29 days × 4 = 116 units, 1,160;
        # weekly 4 Mondays (06-03, 06-10, 06-17, 06-24) × 14 = 56 units × 25 = 1,400;
        # dozen 1 + 2 dozens = 36 units, 3 × 60 = 180; the service 1 × 500 on 06-20 (a sale, if
        # no demand for the analysis). The quotation, the cancelled order and company B's sales
        # do not count.
        trend = data["sales_trend"]
        self.assertTrue(trend["available"])
        self.assertEqual(trend["total_qty"], 209.0)  # 116 + 56 + 36 + 1
        self.assertEqual(trend["total_revenue"], 3240.0)  # 1160 + 1400 + 180 + 500
        days = {row["label"]: row for row in trend["series"]["day"]}
        self.assertEqual(len(days), 30)
        # Monday 06-10: steady 4 × 10, weekly 14 × 25, one dozen 60
        self.assertEqual((days["2024-06-10"]["qty"], days["2024-06-10"]["revenue"]), (30.0, 450.0))
        # Thursday 06-20: steady 4 × 10, two dozens 120, the service 500
        self.assertEqual((days["2024-06-20"]["qty"], days["2024-06-20"]["revenue"]), (29.0, 660.0))
        self.assertEqual((days["2024-07-01"]["qty"], days["2024-07-01"]["revenue"]), (0.0, 0.0))
        self.assertIsNone(trend["link"], "a Viewer without Sales rights gets no order lines")

        top = data["top_products"]
        self.assertEqual(
            [(row["product_id"], row["revenue"]) for row in top["by_revenue"]],
            [
                (self.weekly.id, 1400.0),
                (self.steady.id, 1160.0),
                (self.service.id, 500.0),
                (self.dozen.id, 180.0),
            ],
        )
        self.assertEqual(
            [(row["product_id"], row["qty"]) for row in top["by_qty"]],
            [
                (self.steady.id, 116.0),
                (self.weekly.id, 56.0),
                (self.dozen.id, 36.0),
                (self.service.id, 1.0),
            ],
        )

        # Stock (no reorder rule; reorder points of the analysis: steady 4 × 5 + 4 × 3 = 32,
        # weekly 2 × 7 + 2 × 3 = 20, dozen 0). Sold in the last 90 days (04-03 .. 07-01): steady
        # 63 × 4 + 1,000 on 04-28 = 1,252, dozen 36, unsold 0.
        # weekly 0 on hand: out. steady 40 ≥ 32 and ≤ 180 days × 1252 / 90 = 2504: adequate.
        # dozen 100 > 180 × 36 / 90 = 72: overstock. unsold 5 > 0 (no sale): overstock.
        status = data["stock_status"]
        by_key = {
            row["key"]: self.env["product.product"].search(row["link"]["domain"])
            for row in status["rows"]
        }
        self.assertEqual(by_key["out"], self.weekly)
        self.assertFalse(by_key["low"])
        self.assertEqual(by_key["adequate"], self.steady)
        self.assertEqual(by_key["overstock"], self.dozen | self.unsold)
        self.assertEqual(status["total"], 4)

        # Forecast picker: best sellers of the period by revenue, then the products by forecast
        # (the three forecast ones are listed already).
        self.assertEqual(
            [row["id"] for row in data["forecast"]["products"]],
            [self.weekly.id, self.steady.id, self.service.id, self.dozen.id],
        )
        self.assertTrue(data["forecast"]["available"])

        # Replenishment ("days" policy, 3 safety days): weekly ROP 20 = order-up-to, nothing on
        # hand: order 20 now; dozen: d = 0, 100 on hand all in excess; steady: position
        # 40 + 20 = 60 ≥ 32, 60 / 4 = 15 days of cover: OK.
        replenishment = data["replenishment"]
        self.assertEqual(replenishment["total"], 3)
        self.assertEqual(
            [(row["product_id"], row["urgency"]) for row in replenishment["rows"]],
            [(self.weekly.id, "ORDER_NOW"), (self.dozen.id, "EXCESS"), (self.steady.id, "OK")],
        )
        self.assertEqual(replenishment["rows"][0]["suggested_qty"], 20.0)
        self.assertEqual(
            [(row["urgency"], row["count"]) for row in replenishment["counts"]],
            [("ORDER_NOW", 1), ("EXCESS", 1)],
        )

        # Segments over the 63 days (rank mode): weekly 9 Mondays × 14 × 25 = 3,150 (A),
        # steady 63 × 4 × 10 = 2,520 (B), dozen 180 (C); weekly sales of weekly and steady are
        # constant (X), the dozen's 12, 24, 0 vary (Z).
        matrix = data["segment_matrix"]
        self.assertEqual(len(matrix["cells"]), 9)
        filled = {
            cell["segment"]: (cell["product_count"], cell["revenue"])
            for cell in matrix["cells"]
            if cell["product_count"]
        }
        self.assertEqual(filled, {"AX": (1, 3150.0), "BX": (1, 2520.0), "CZ": (1, 180.0)})
        ax = next(cell for cell in matrix["cells"] if cell["segment"] == "AX")
        self.assertAlmostEqual(ax["revenue_share"], 3150.0 / 5850.0, places=4)

        # Anomalies: the robust mode compares each day with the same weekday of the weeks
        # before: every weekday repeats itself (the Mondays' 14 included), nothing is abnormal.
        anomalies = data["anomalies"]
        self.assertEqual(
            (anomalies["available"], anomalies["total"], anomalies["rows"]), (False, 0, [])
        )
        self.assertEqual(anomalies["message"], "No abnormal sales day in the last 30 days.")

        # KPI cards of the Viewer's default layout, in its order: revenue 3,240 as above;
        # 29 confirmed orders (one a day, 06-02 .. 06-30).
        cards = {card["code"]: card for card in data["kpis"]}
        self.assertEqual([card["code"] for card in data["kpis"]], data["layout"]["kpis"])
        self.assertEqual(cards["revenue_total"]["value"], 3240.0)
        self.assertEqual(cards["order_count"]["value"], 29)

    def test_forecast_chart_points_and_band(self):
        with freeze_time(NOW):
            chart = self.Dashboard.with_user(self.user_viewer).get_product_forecast_chart(
                self.weekly.id, history_days=14
            )
        self.assertTrue(chart["available"], chart["message"])
        self.assertEqual(chart["method"], "moving_average")
        self.assertEqual(chart["as_of"], "2024-06-30")
        # History 06-17 .. 06-30: 14 on the Mondays 06-17 and 06-24.
        self.assertEqual(
            [(point["date"], point["qty"]) for point in chart["history"]],
            [
                ((date(2024, 6, 17) + timedelta(days=offset)).isoformat(), qty)
                for offset, qty in enumerate([14.0] + [0.0] * 6 + [14.0] + [0.0] * 6)
            ],
        )
        self.assertEqual(chart["today"], {"date": "2024-07-01", "qty": 0.0})
        # 90 days from 07-01 (the horizon setting), each 2 with the band [0, 2 + 1.96 √24].
        forecast = chart["forecast"]
        self.assertEqual(len(forecast), 90)
        self.assertEqual(forecast[0]["date"], "2024-07-01")
        self.assertEqual(forecast[-1]["date"], "2024-09-28")
        for point in (forecast[0], forecast[45], forecast[-1]):
            self.assertAlmostEqual(point["qty"], WEEKLY_DAILY, places=6)
            self.assertEqual(point["lower"], 0.0)
            self.assertAlmostEqual(point["upper"], WEEKLY_UPPER, places=3)
        # The steady product's band is its point: a constant series has no spread.
        with freeze_time(NOW):
            steady = self.Dashboard.with_user(self.user_viewer).get_product_forecast_chart(
                self.steady.id, history_days=7
            )
        self.assertEqual(
            {(p["qty"], p["lower"], p["upper"]) for p in steady["forecast"]}, {(4.0, 4.0, 4.0)}
        )
        self.assertEqual([p["qty"] for p in steady["history"]], [4.0] * 7)

    def test_anomalies_newest_first(self):
        """``get_anomalies`` and the dashboard's panel list the newest day first, then the
        newest record within a day; days older than the period are left out."""
        Anomaly = self.env["erpconnect.anomaly"].sudo()
        values = [
            # (product, date, z, kind, severity)
            (self.steady, date(2024, 6, 20), 5.0, "SPIKE", "HIGH"),
            (self.weekly, date(2024, 6, 28), -3.5, "DROP", "MEDIUM"),
            (self.dozen, date(2024, 6, 28), 6.0, "SPIKE", "HIGH"),
            (self.steady, date(2024, 6, 25), 3.2, "SPIKE", "MEDIUM"),
            (self.weekly, date(2024, 5, 15), 9.0, "SPIKE", "HIGH"),  # 47 days ago: left out
        ]
        records = Anomaly.create(
            [
                {
                    "company_id": self.company.id,
                    "run_id": self.analysis_run.id,
                    "product_id": product.id,
                    "date": day,
                    "qty": 10.0,
                    "expected": 4.0,
                    "z": z,
                    "kind": kind,
                    "severity": severity,
                }
                for product, day, z, kind, severity in values
            ]
        )
        with freeze_time(NOW):
            rows = (
                self.env["erpconnect.anomaly"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_anomalies(days=30, z=3.0)
            )
        self.assertEqual(
            [(row["date"], row["z"]) for row in rows],
            [("2024-06-28", 6.0), ("2024-06-28", -3.5), ("2024-06-25", 3.2), ("2024-06-20", 5.0)],
        )
        panel = self._dashboard(self.user_viewer)["anomalies"]
        self.assertEqual(
            [row["id"] for row in panel["rows"]],
            [records[2].id, records[1].id, records[3].id, records[0].id],
        )
        self.assertEqual(panel["total"], 4)

    def test_stock_panel_reads_the_reorder_points(self):
        """A product in stock below the analysis' reorder point is low: steady has 40 on hand
        and a reorder point of 32 (adequate, ``test_every_panel``); with a reorder point of
        41 (40 < 41) it is low, and the KPI card of low stock counts it the same."""
        suggestion = self.env["erpconnect.replenishment"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
        )
        self.assertEqual(suggestion.reorder_point, 32.0)
        suggestion.sudo().write({"reorder_point": 41.0})
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)  # written by hand, not by a run
        data = self._dashboard(self.user_viewer)
        rows = {row["key"]: row for row in data["stock_status"]["rows"]}
        low = self.env["product.product"].search(rows["low"]["link"]["domain"])
        self.assertEqual(low, self.steady)
        self.assertEqual(rows["adequate"]["count"], 0)
        with freeze_time(NOW):
            metrics = (
                self.env["erpconnect.kpi"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_metrics(30)
            )
        low_card = next(m for m in metrics if m["code"] == "low_stock_count")
        self.assertEqual(low_card["value"], 1)

    def test_a_decision_drops_the_cached_result_panels(self):
        """The result panels are cached with the KPIs (company-level, per language and day): a
        second call computes none of them; a manager's decision on a suggestion or an anomaly
        drops them, so the next call, whoever makes it, shows the decision."""
        before = self._dashboard(self.user_viewer)
        suggestions = before["replenishment"]
        self.assertTrue(suggestions["rows"], "the analysis suggested orders")
        dashboard_class = type(self.env["erpconnect.dashboard"])
        with (
            patch.object(dashboard_class, "_replenishment", side_effect=AssertionError("again")),
            patch.object(dashboard_class, "_anomalies", side_effect=AssertionError("again")),
        ):
            again = self._dashboard(self.user_manager)
        self.assertEqual(again["replenishment"], suggestions, "served from the cache")
        self.assertEqual(again["anomalies"], before["anomalies"])

        dismissed = self.env["erpconnect.replenishment"].browse(suggestions["rows"][0]["id"])
        with freeze_time(NOW):
            dismissed.with_user(self.user_manager).with_context(
                allowed_company_ids=[self.company.id]
            ).action_dismiss()
        after = self._dashboard(self.user_viewer)["replenishment"]
        self.assertNotIn(dismissed.id, [row["id"] for row in after["rows"]])
        self.assertEqual(after["total"], suggestions["total"] - 1)

        anomaly = (
            self.env["erpconnect.anomaly"]
            .sudo()
            .create(
                {
                    "company_id": self.company.id,
                    "run_id": self.analysis_run.id,
                    "product_id": self.steady.id,
                    "date": date(2024, 6, 28),
                    "qty": 30.0,
                    "expected": 4.0,
                    "z": 6.0,
                    "kind": "SPIKE",
                    "severity": "HIGH",
                }
            )
        )
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)  # created by hand, not by a run
        listed = self._dashboard(self.user_viewer)["anomalies"]["rows"]
        self.assertEqual([row["state"] for row in listed if row["id"] == anomaly.id], ["new"])
        with freeze_time(NOW):
            anomaly.with_user(self.user_manager).with_context(
                allowed_company_ids=[self.company.id]
            ).action_acknowledge()
        listed = self._dashboard(self.user_viewer)["anomalies"]["rows"]
        self.assertEqual(
            [row["state"] for row in listed if row["id"] == anomaly.id], ["acknowledged"]
        )

    def test_several_companies_in_one_click(self):
        """A Manager of both companies with both in the context analyses each with its own
        data: company B's product sells 3 a day, its moving average is 3 (90 in 30 days)."""
        manager = new_test_user(
            self.env,
            "erpc_manager_ab",
            groups="erpconnect_ai.group_erpconnect_manager",
            company_id=self.company.id,
            company_ids=[self.company.id, self.company_b.id],
        )
        Run = self.env["erpconnect.run"].with_user(manager)
        with freeze_time(NOW, tick=True):
            action = Run.with_context(
                allowed_company_ids=[self.company.id, self.company_b.id]
            ).action_run_analysis()
        runs = self.env["erpconnect.run"].search(action["domain"])
        self.assertEqual(runs.company_id, self.company | self.company_b)
        self.assertEqual(runs.mapped("status"), ["done", "done"])
        forecast_b = self.current_forecasts(self.company_b)
        self.assertEqual(forecast_b.product_id, self.product_b)
        self.assertAlmostEqual(forecast_b.qty_30d, 90.0)
        self.assertEqual(
            self.current_forecasts().product_id, self.steady | self.weekly | self.dozen
        )
        # A Manager of company A only cannot put company B in the context: nothing runs.
        before = self.env["erpconnect.run"].search_count([])
        with self.assertRaises(AccessError), freeze_time(NOW):
            self.env["erpconnect.run"].with_user(self.user_manager).with_context(
                allowed_company_ids=[self.company.id, self.company_b.id]
            ).action_run_analysis()
        self.assertEqual(self.env["erpconnect.run"].search_count([]), before)

    def test_inline_run_max_products_zero_queues_every_click(self):
        """``erpconnect_ai.inline_run_max_products = 0`` (database-wide parameter): even a
        catalogue of three goods is queued for the cron worker, nothing is computed in the
        request."""
        self._set_settings(inline_run_max_products=0)
        forecasts = self.current_forecasts()
        with freeze_time(NOW):
            action = (
                self.env["erpconnect.run"]
                .with_user(self.user_manager)
                .with_context(allowed_company_ids=[self.company.id])
                .action_run_analysis()
            )
        self.assertEqual(action["tag"], "display_notification")
        queued = self.env["erpconnect.run"].search(
            [("company_id", "=", self.company.id), ("status", "=", "queued")]
        )
        self.assertEqual(len(queued), 1)
        self.assertFalse(queued.step_ids)
        self.assertEqual(self.current_forecasts(), forecasts, "the results are the first run's")
