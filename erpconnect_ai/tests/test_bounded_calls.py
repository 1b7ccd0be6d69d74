"""Issue 14 items 5 and 6: every public read method bounds the work of its caller, and checks
itself that the caller is an ERPConnect AI user.

Bounds (``models/arguments.py``): the dashboard's period at most 90 days, another period at
most a year (365 days); one KPI's history a year
by day (366), two years by week (731), three years by month (1,096); the forecast chart a year
of history (366); segmentation a year (365); lists 1,000 rows; record ids within PostgreSQL's
``integer`` (2,147,483,647). Only the periods the screens offer (7, 30, 90 days) are cached.
"""

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from ..models import erpconnect_kpi_cache
from ..models.arguments import MAX_RECORD_ID
from .common import NOW, ErpconnectCase

#: The plain message of a bad product id, whatever its kind (text, bool, beyond the integer
#: range): no PostgreSQL text, no SQL.
BAD_PRODUCT_ID = "product_id must be a record id (a positive whole number), got %r."


@tagged("post_install", "-at_install")
class TestBoundedCalls(ErpconnectCase):
    """As a Viewer (the least-privileged user of these methods)."""

    def setUp(self):
        super().setUp()
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)

    def _env(self, user=None):
        return self.env(
            user=user or self.user_viewer, context={"allowed_company_ids": [self.company.id]}
        )

    def _cache_size(self):
        return len(erpconnect_kpi_cache.CACHE)

    def assertRefused(self, call, message):
        """``call()`` raises a ValidationError containing ``message`` and the KPI cache and the
        database's layouts are as they were."""
        cache_before = self._cache_size()
        layouts_before = self.env["erpconnect.dashboard.layout"].search_count([])
        with freeze_time(NOW), self.assertRaises(ValidationError) as caught:
            call()
        self.assertIn(message, str(caught.exception))
        self.assertEqual(self._cache_size(), cache_before, "a refused call caches nothing")
        self.assertEqual(self.env["erpconnect.dashboard.layout"].search_count([]), layouts_before)

    def test_sizes_beyond_what_the_screens_need_are_refused(self):
        env = self._env()
        dashboard, kpi = env["erpconnect.dashboard"], env["erpconnect.kpi"]
        steady = self.steady.id
        refusals = [
            (
                lambda: dashboard.get_dashboard_data(91),
                "days must be a whole number from 1 to 90, got 91.",
            ),
            (lambda: dashboard.get_kpi_overview(366), "from 1 to 365, got 366"),
            (lambda: kpi.get_metrics(10**6), "from 1 to 365, got 1000000"),
            (lambda: kpi.get_comparison([steady], 366), "from 1 to 365"),
            (
                lambda: kpi.get_metric("revenue_total", 367, "day"),
                "days must be a whole number from 1 to 366 for a history by day (by day up to "
                "366, by week up to 731, by month up to 1096), got 367.",
            ),
            (lambda: kpi.get_metric("revenue_total", 732, "week"), "from 1 to 731"),
            (lambda: kpi.get_metric("revenue_total", 1097, "month"), "from 1 to 1096"),
            (
                lambda: dashboard.get_product_forecast_chart(steady, history_days=367),
                "history_days must be a whole number from 1 to 366, got 367.",
            ),
            (
                lambda: env["product.product"].get_segmentation(366),
                "days must be a whole number from 7 to 365, got 366.",
            ),
            (lambda: env["erpconnect.anomaly"].get_anomalies(days=366), "from 1 to 365"),
            (lambda: env["erpconnect.anomaly"].get_anomalies(z=float("nan")), "z must be"),
            (
                lambda: env["erpconnect.replenishment"].get_suggestions(limit=1001),
                "limit must be a whole number from 1 to 1000, got 1001.",
            ),
            (lambda: env["erpconnect.forecast"].get_forecast(steady, 91), "from 1 to 90"),
            (
                lambda: kpi.get_comparison(list(range(1, 22))),
                "Compare at most 20 products at once, not 21.",
            ),
        ]
        for call, message in refusals:
            with self.subTest(message=message):
                self.assertRefused(call, message)

    def test_ids_beyond_the_integer_range_get_the_plain_message(self):
        env = self._env()
        for bad in (10**12, MAX_RECORD_ID + 1, "abc", True, 0):
            with self.subTest(product_id=bad):
                self.assertRefused(
                    lambda bad=bad: env["erpconnect.forecast"].get_forecast(bad),
                    BAD_PRODUCT_ID % (bad,),
                )
                self.assertRefused(
                    lambda bad=bad: env["erpconnect.dashboard"].get_product_forecast_chart(bad),
                    BAD_PRODUCT_ID % (bad,),
                )
        self.assertRefused(
            lambda: env["erpconnect.kpi"].get_comparison([10**12]),
            "product_ids must be a record id (a positive whole number), got 1000000000000.",
        )
        # The largest integer id is looked up: no such product, said plainly.
        with self.assertRaisesRegex(UserError, "does not exist or you cannot read it"):
            env["erpconnect.forecast"].get_forecast(MAX_RECORD_ID)

    def test_largest_accepted_calls_answer(self):
        env = self._env()
        kpi = env["erpconnect.kpi"]
        with freeze_time(NOW):
            # A year by day is 366 points. Two years by week: 731 days up to Monday 2024-07-01
            # (2022-07-01 .. 2024-07-01 is 365 + 366 = 731 days) start on Saturday 2022-07-02,
            # in the week of Monday 2022-06-27, 735 / 7 = 105 weeks before today's: 106 points.
            # Three years by month: 1,096 days (365 + 365 + 366) start on 2021-07-02, months
            # 2021-07 .. 2024-07: 37 points.
            day = kpi.get_metric("revenue_total", 366, "day")
            week = kpi.get_metric("revenue_total", 731, "week")
            month = kpi.get_metric("revenue_total", 1096, "month")
            dashboard = env["erpconnect.dashboard"].get_dashboard_data(90)
            chart = env["erpconnect.dashboard"].get_product_forecast_chart(self.steady.id, 366)
            segmentation = env["product.product"].get_segmentation(365)
        self.assertEqual(len(day["points"]), 366)
        self.assertEqual(len(week["points"]), 106)
        self.assertEqual(len(month["points"]), 37)
        # 90 days up to 07-01: from 04-03 (30 days of June, 31 of May, 28 of April)
        self.assertEqual(dashboard["period"], {"date_from": "2024-04-03", "date_to": "2024-07-01"})
        self.assertEqual(len(chart["history"]), 366)
        # steady sold 4 × 63 days + 1,000 the day before: all of it within the year.
        steady = next(
            row for row in segmentation["products"] if row["product_id"] == self.steady.id
        )
        self.assertEqual(steady["revenue"], (4 * 63 + 1000) * 10.0)

    def test_only_the_screens_periods_are_cached(self):
        env = self._env()
        kpi = env["erpconnect.kpi"]
        with freeze_time(NOW):
            kpi.get_metrics(45)
            kpi.get_metric("revenue_total", 200, "day")
            env["erpconnect.dashboard"].get_dashboard_data(45)
            env["erpconnect.dashboard"].get_kpi_overview(364)
            self.assertEqual(self._cache_size(), 0, "any other period is computed, not kept")
            kpi.get_metrics(30)
            self.assertEqual(self._cache_size(), 1, "a period of the screens is kept")
            kpi.get_metric("order_count", 365, "month")
            self.assertEqual(self._cache_size(), 2, "and a year")
            # A caller's context cannot turn the bound off.
            kpi.with_context(erpconnect_uncached=False).get_metrics(44)
        self.assertEqual(self._cache_size(), 2)
        self.assertLessEqual(
            erpconnect_kpi_cache.CACHE.max_entries, 256, "and the cache has a size cap"
        )


@tagged("post_install", "-at_install")
class TestViewerGroupRequired(ErpconnectCase):
    """An internal user without any ERPConnect AI group gets AccessError from every public
    method, and nothing is computed, cached or written."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = new_test_user(
            cls.env,
            "erpc_employee",
            groups="base.group_user,sales_team.group_sale_salesman,stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.analysis_run = cls.run_analysis()

    def test_every_public_method_refuses(self):
        env = self.env(user=self.employee, context={"allowed_company_ids": [self.company.id]})
        steady = self.steady.id
        calls = {
            "get_dashboard_data": lambda: env["erpconnect.dashboard"].get_dashboard_data(30),
            "get_kpi_overview": lambda: env["erpconnect.dashboard"].get_kpi_overview(30),
            "get_product_forecast_chart": lambda: env[
                "erpconnect.dashboard"
            ].get_product_forecast_chart(steady),
            "get_layout": lambda: env["erpconnect.dashboard.layout"].get_layout(),
            "save_layout": lambda: env["erpconnect.dashboard.layout"].save_layout(
                {"kpis": [], "panels": ["forecast"]}
            ),
            "reset_layout": lambda: env["erpconnect.dashboard.layout"].reset_layout(),
            "get_catalog": lambda: env["erpconnect.kpi"].get_catalog(),
            "get_metrics": lambda: env["erpconnect.kpi"].get_metrics(30),
            "get_metric": lambda: env["erpconnect.kpi"].get_metric("revenue_total", 30, "day"),
            "get_comparison": lambda: env["erpconnect.kpi"].get_comparison([steady]),
            "get_segmentation": lambda: env["product.product"].get_segmentation(60),
            "get_forecast": lambda: env["erpconnect.forecast"].get_forecast(steady),
            "get_anomalies": lambda: env["erpconnect.anomaly"].get_anomalies(30),
            "get_suggestions": lambda: env["erpconnect.replenishment"].get_suggestions(),
            "get_policy_curve": lambda: env["erpconnect.replenishment"].get_policy_curve(),
            "get_health": lambda: env["erpconnect.run"].get_health(),
        }
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)
        for name, call in calls.items():
            with self.subTest(method=name), freeze_time(NOW), self.assertRaises(AccessError):
                call()
        self.assertEqual(len(erpconnect_kpi_cache.CACHE), 0, "nothing computed for them")
        self.assertFalse(
            self.env["erpconnect.dashboard.layout"].search([("user_id", "=", self.employee.id)])
        )
        # A Viewer, the least group, is enough.
        with freeze_time(NOW):
            data = (
                self.env["erpconnect.dashboard"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_dashboard_data(30)
            )
        self.assertTrue(data["sales_trend"]["available"])


@tagged("post_install", "-at_install")
class TestViewerGroupRequiredRpc(HttpCase):
    """The same refusal over JSON-RPC, as a browser session calls it."""

    def test_rpc_refused_without_group(self):
        new_test_user(self.env, "erpc_rpc_employee", groups="base.group_user")
        new_test_user(
            self.env,
            "erpc_rpc_viewer",
            groups="base.group_user,erpconnect_ai.group_erpconnect_viewer",
        )
        params = {
            "model": "erpconnect.dashboard",
            "method": "get_dashboard_data",
            "args": [],
            "kwargs": {"days": 30},
        }
        route = "/web/dataset/call_kw/erpconnect.dashboard/get_dashboard_data"
        self.authenticate("erpc_rpc_employee", "erpc_rpc_employee")
        with mute_logger("odoo.http"), self.assertRaises(JsonRpcException) as caught:
            self.make_jsonrpc_request(route, params)
        self.assertEqual(caught.exception.args[0], "odoo.exceptions.AccessError")
        self.authenticate("erpc_rpc_viewer", "erpc_rpc_viewer")
        self.assertEqual(self.make_jsonrpc_request(route, params)["days"], 30)
