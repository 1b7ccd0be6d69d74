from odoo.tests import HttpCase, tagged

from .common import SampleHistoryHttpCase

DASHBOARD_URL = "/odoo/action-erpconnect_ai.erpconnect_dashboard_action"


@tagged("post_install", "-at_install")
class TestDashboardTour(SampleHistoryHttpCase):
    """Click through the dashboard in Chromium on the sample history after one analysis run."""

    MANAGER_GROUPS = (
        "erpconnect_ai.group_erpconnect_manager,stock.group_stock_manager,"
        "purchase.group_purchase_user,sales_team.group_sale_salesman_all_leads"
    )

    def test_manager_tour(self):
        suggestions = self.env["erpconnect.replenishment"].search(
            [("company_id", "=", self.env.company.id), ("state", "=", "new")]
        )
        first = suggestions[:1]
        self.assertTrue(first, "the analysis of the sample history suggests something")
        self.start_tour(
            DASHBOARD_URL,
            "erpconnect_dashboard_manager_tour",
            login=self.manager.login,
            timeout=180,
        )
        # "Apply" on the first row set the reorder rule of that suggestion.
        self.assertEqual(first.state, "applied")
        self.assertEqual(first.orderpoint_id.product_min_qty, first.reorder_point)

    def test_viewer_tour(self):
        self.start_tour(
            DASHBOARD_URL, "erpconnect_dashboard_viewer_tour", login=self.viewer.login, timeout=120
        )


@tagged("post_install", "-at_install")
class TestDashboardUnitJs(HttpCase):
    """The dashboard's Hoot unit tests (static/tests/*.test.js) in Chromium."""

    def test_hoot_unit_tests(self):
        # Only this addon's suites: the filter is the exact (quoted) string "@erpconnect_ai/".
        self.browser_js(
            "/web/tests?headless&loglevel=2&preset=desktop&timeout=15000"
            "&filter=%22%40erpconnect_ai%2F%22",
            "",
            "",
            login="admin",
            timeout=600,
            success_signal="[HOOT] Test suite succeeded",
            # A failing Hoot test logs "[HOOT] ..." lines: let the suite finish and report.
            error_checker=lambda message: "[HOOT]" not in message,
        )
