from datetime import date

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import mute_logger

from .common import ErpconnectCase


class OrderingCase(ErpconnectCase):
    """Published suggestions written by hand (as the analysis writes them: superuser), to check
    what the ordering actions do with their figures."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_manager.groups_id = [Command.link(cls.env.ref("purchase.group_purchase_user").id)]
        cls.analysis_run = cls.env["erpconnect.run"].create(
            {"company_id": cls.company.id, "status": "done"}
        )
        cls.items = cls.env["product.product"].create(
            [
                {
                    "name": "Order %s" % code,
                    "is_storable": True,
                    "standard_price": 1.0,
                    "company_id": cls.company.id,
                }
                for code in ("P1", "P2", "P3", "P4", "P5", "P6")
            ]
        )

    @classmethod
    def _suggestion(cls, product, vendor, urgency, value, lost_sales, **values):
        """A current suggestion of ``product`` from ``vendor`` ordering ``value`` units at 1.0
        (value = quantity), with ``lost_sales`` of expected lost sales."""
        return (
            cls.env["erpconnect.replenishment"]
            .sudo()
            .create(
                dict(
                    {
                        "run_id": cls.analysis_run.id,
                        "company_id": cls.company.id,
                        "product_id": product.id,
                        "warehouse_id": cls.warehouse.id,
                        "vendor_id": vendor.id,
                        "urgency": urgency,
                        "suggested_qty": value,
                        "purchase_price": 1.0,
                        "suggested_value": value,
                        "expected_lost_sales": lost_sales,
                        "budget_priority": lost_sales / value if value else 0.0,
                    },
                    **values,
                )
            )
            .with_user(cls.user_manager)
        )

    @staticmethod
    def _ordered(action, env):
        """``{product name: quantity}`` of the RFQ lines of a list action on purchase orders."""
        orders = env["purchase.order"].search(action["domain"])
        return {line.product_id.name: line.product_qty for line in orders.order_line}


@tagged("post_install", "-at_install")
class TestBudgetWizard(OrderingCase):
    """ "Create RFQs within a budget": the most urgent, then most lost sales per unit spent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p1, p2, p3, p4, p5, _p6 = cls.items
        # (order value, expected lost sales) -> lost sales per unit spent
        cls.s1 = cls._suggestion(p1, cls.vendor_a, "ORDER_NOW", 100.0, 300.0)  # 3
        cls.s2 = cls._suggestion(p2, cls.vendor_a, "ORDER_NOW", 400.0, 800.0)  # 2
        cls.s3 = cls._suggestion(p3, cls.vendor_b, "WATCH", 50.0, 500.0)  # 10
        cls.s4 = cls._suggestion(p4, cls.vendor_a, "ORDER_NOW", 250.0, 1000.0)  # 4
        cls.s5 = cls._suggestion(p5, cls.vendor_b, "OK", 10.0, 0.0)  # 0

    def test_budget_orders_the_hand_chosen_subset(self):
        """Budget 500. Buying order: ORDER_NOW by lost sales per unit spent, P4 (4), P1 (3),
        P2 (2); then WATCH P3; then P5. P4 250 (250 spent), P1 100 (350), P2 400 > 150 left:
        left out, P3 50 (400), P5 10 (410). Ordered: P4, P1, P3, P5; left out: P2 (400)."""
        wizard = (
            self.env["erpconnect.budget.wizard"]
            .with_user(self.user_manager)
            .create({"budget": 500})
        )
        # No selection: every open suggestion with a quantity and a vendor.
        self.assertEqual(wizard.suggestion_ids, self.s1 | self.s2 | self.s3 | self.s4 | self.s5)
        wizard.action_preview()
        lines = wizard.line_ids.sorted("rank")
        self.assertEqual(
            lines.product_id.mapped("name"),
            ["Order P4", "Order P1", "Order P2", "Order P3", "Order P5"],
        )
        self.assertEqual(lines.mapped("selected"), [True, True, False, True, True])
        self.assertEqual(lines.mapped("priority"), [4.0, 3.0, 2.0, 10.0, 0.0])
        self.assertEqual(wizard.selected_value, 410.0)
        self.assertEqual((wizard.left_out_count, wizard.left_out_value), (1, 400.0))
        action = wizard.action_create_rfqs()
        self.assertEqual(
            self._ordered(action, self.env),
            {"Order P4": 250.0, "Order P1": 100.0, "Order P3": 50.0, "Order P5": 10.0},
        )
        self.assertEqual(self.s2.state, "new")
        self.assertEqual((self.s1 | self.s3 | self.s4 | self.s5).mapped("state"), ["applied"] * 4)

    def test_budget_on_the_selection_only(self):
        """Selected P2 and P3, budget 420: P2 (ORDER_NOW) first, 400; P3 (50) no longer fits."""
        wizard = (
            self.env["erpconnect.budget.wizard"]
            .with_user(self.user_manager)
            .with_context(
                active_model="erpconnect.replenishment", active_ids=(self.s2 | self.s3).ids
            )
            .create({"budget": 420})
        )
        wizard.action_preview()
        self.assertEqual(wizard.line_ids.filtered("selected").suggestion_id, self.s2)
        self.assertEqual(wizard.left_out_value, 50.0)

    def test_bad_budget_and_nothing_marked(self):
        Wizard = self.env["erpconnect.budget.wizard"].with_user(self.user_manager)
        with self.assertRaises(UserError):
            Wizard.create({"budget": 0}).action_preview()
        with self.assertRaises(UserError):
            Wizard.create({"budget": 100}).action_create_rfqs()

    def test_viewer_cannot_order_within_a_budget(self):
        with self.assertRaises(AccessError):
            self.env["erpconnect.budget.wizard"].with_user(self.user_viewer).create({"budget": 500})


@tagged("post_install", "-at_install")
class TestVendorMinimum(OrderingCase):
    """An RFQ below the vendor's minimum order value proposes the vendor's next most useful
    products."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        p1, p2, _p3, p4, _p5, p6 = cls.items
        cls.vendor_a.with_company(cls.company).erpconnect_min_order_value = 300.0
        cls.s1 = cls._suggestion(p1, cls.vendor_a, "ORDER_NOW", 100.0, 300.0)
        cls.s2 = cls._suggestion(p2, cls.vendor_a, "ORDER_NOW", 400.0, 800.0)
        cls.s4 = cls._suggestion(p4, cls.vendor_a, "ORDER_NOW", 250.0, 1000.0)
        # Not due: order-up-to 30, 2 a day, 20 on hand (10 days of stock), packs of 12.
        cls.s6 = cls._suggestion(
            p6,
            cls.vendor_a,
            "WATCH",
            0.0,
            0.0,
            order_up_to=30.0,
            avg_daily_demand=2.0,
            on_hand_qty=20.0,
            days_of_coverage=10.0,
            order_multiple=12.0,
            order_rounding=1.0,
        )

    def test_rfq_below_the_minimum_proposes_the_next_most_useful_products(self):
        """P1 alone is 100 of vendor A's 300 minimum (200 missing). Proposed: the due ones by
        lost sales per unit spent, P4 (4.0, 250) then P2 (2.0, 400); then P6, not due: 14 days
        of demand above its order-up-to level less its stock, 30 + 2 x 14 - 20 = 38, in packs of
        12: 48. P4 alone covers the 200 missing: only P4 is ticked."""
        action = self.s1.action_create_rfqs()
        self.assertEqual(action["res_model"], "erpconnect.vendor.minimum.wizard")
        self.assertFalse(self.env["purchase.order"].search([("partner_id", "=", self.vendor_a.id)]))
        wizard = (
            self.env["erpconnect.vendor.minimum.wizard"]
            .with_user(self.user_manager)
            .browse(action["res_id"])
        )
        lines = wizard.line_ids
        self.assertEqual(lines.suggestion_id.ids, [self.s4.id, self.s2.id, self.s6.id])
        self.assertEqual(lines.mapped("quantity"), [250.0, 400.0, 48.0])
        self.assertEqual(lines.mapped("include"), [True, False, False])
        self.assertIn("300", wizard.summary)
        result = wizard.action_create_with_additions()
        self.assertEqual(self._ordered(result, self.env), {"Order P1": 100.0, "Order P4": 250.0})
        self.assertEqual(self.s2.state, "new")

    def test_pulled_forward_product_is_ordered_with_its_proposed_quantity(self):
        action = self.s1.action_create_rfqs()
        wizard = (
            self.env["erpconnect.vendor.minimum.wizard"]
            .with_user(self.user_manager)
            .browse(action["res_id"])
        )
        wizard.line_ids.include = False
        wizard.line_ids.filtered(lambda line: line.suggestion_id == self.s6).include = True
        result = wizard.action_create_with_additions()
        self.assertEqual(self._ordered(result, self.env), {"Order P1": 100.0, "Order P6": 48.0})
        self.assertEqual(self.s6.purchase_line_id.product_qty, 48.0)

    def test_create_as_selected_and_above_the_minimum(self):
        action = self.s1.action_create_rfqs()
        wizard = (
            self.env["erpconnect.vendor.minimum.wizard"]
            .with_user(self.user_manager)
            .browse(action["res_id"])
        )
        self.assertEqual(
            self._ordered(wizard.action_create_as_selected(), self.env), {"Order P1": 100.0}
        )
        # P2 alone (400) is above the minimum: RFQ at once.
        result = self.s2.action_create_rfqs()
        self.assertEqual(result["res_model"], "purchase.order")


@tagged("post_install", "-at_install")
class TestPolicyCurveApi(OrderingCase):
    """get_policy_curve (Viewers) and apply_policy_point (Administrators)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_settings(service_level_a=0.98, service_level_b=0.95, service_level_c=0.9)
        cls.env["erpconnect.policy.curve"].sudo().create(
            [
                {
                    "run_id": cls.analysis_run.id,
                    "company_id": cls.company.id,
                    "abc": abc,
                    "service_level": level,
                    "fill_rate": fill,
                    "avg_stock_value": value,
                    "product_count": 10,
                    "sampled_count": 5,
                    "is_current": current,
                    "window_start": "2024-01-01",
                    "window_end": "2024-06-30",
                    "review_days": 1,
                }
                for abc, level, fill, value, current in [
                    ("A", 0.98, 0.97, 1600.0, True),
                    ("A", 0.9, 0.91, 1000.0, False),
                    ("B", 0.95, 0.94, 700.0, True),
                ]
            ]
        )

    def test_viewer_reads_the_curve(self):
        curve = self.env["erpconnect.replenishment"].with_user(self.user_viewer).get_policy_curve()
        self.assertTrue(curve["available"])
        self.assertFalse(curve["can_apply"])
        self.assertEqual([c["abc"] for c in curve["classes"]], ["A", "B"])
        a = curve["classes"][0]
        self.assertEqual((a["current_level"], a["products"], a["sampled"]), (0.98, 10, 5))
        self.assertEqual([p["service_level"] for p in a["points"]], [0.9, 0.98])
        self.assertEqual([p["is_current"] for p in a["points"]], [False, True])
        self.assertEqual(a["points"][1]["avg_stock_value"], 1600.0)
        only_b = (
            self.env["erpconnect.replenishment"]
            .with_user(self.user_viewer)
            .get_policy_curve(classes=["B"])
        )
        self.assertEqual([c["abc"] for c in only_b["classes"]], ["B"])

    def test_other_company_sees_no_curve(self):
        curve = self.env["erpconnect.replenishment"].with_user(self.user_b).get_policy_curve()
        self.assertFalse(curve["available"])
        self.assertTrue(curve["message"])

    def test_bad_arguments(self):
        Replenishment = self.env["erpconnect.replenishment"].with_user(self.user_admin)
        for classes in ("A", [], ["D"], [None], 3):
            with self.assertRaises(UserError):
                Replenishment.get_policy_curve(classes=classes)
        for abc, level in (("D", 0.9), ("A", 1.0), ("A", 0.4), ("A", "0.9"), ("A", True)):
            with self.assertRaises(UserError):
                Replenishment.apply_policy_point(abc, level)

    def test_administrator_applies_a_point(self):
        Replenishment = self.env["erpconnect.replenishment"].with_user(self.user_admin)
        levels = Replenishment.apply_policy_point("A", 0.9)
        self.assertEqual(levels, {"A": 0.9, "B": 0.95, "C": 0.9})
        self.assertEqual(self.company.erpconnect_service_level_a, 0.9)
        self.assertEqual(self.company_b.erpconnect_service_level_a, 0.98)  # per company

    def test_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(
            ["erpconnect_ai"], ["fr_FR"], overwrite=True
        )
        env_fr = self.env(context=dict(self.env.context, lang="fr_FR"))
        menu = env_fr.ref("erpconnect_ai.erpconnect_policy_curve_menu")
        self.assertEqual(menu.name, "Niveau de service / stock")
        with self.assertRaises(UserError) as caught:
            env_fr["erpconnect.replenishment"].with_user(self.user_viewer).get_policy_curve(
                classes="A"
            )
        self.assertEqual(
            caught.exception.args[0],
            'classes doit être une liste de classes ABC ("A", "B", "C"), reçu \'A\'.',
        )

    def test_viewer_and_manager_cannot_apply_a_point(self):
        for user in (self.user_viewer, self.user_manager):
            with self.assertRaises(AccessError):
                self.env["erpconnect.replenishment"].with_user(user).apply_policy_point("A", 0.9)
        self.assertEqual(self.company._erpconnect_settings()["service_level_a"], 0.98)


@tagged("post_install", "-at_install")
class TestPolicyCurveJsonRpc(HttpCase):
    """Bad arguments over JSON-RPC: a ValidationError (a UserError) with its message, not a
    traceback."""

    def test_bad_arguments_give_a_user_error(self):
        user = new_test_user(
            self.env, "erpc_curve_admin", groups="erpconnect_ai.group_erpconnect_admin"
        )
        self.authenticate(user.login, user.login)
        for method, args, kwargs in (
            ("get_policy_curve", [], {"classes": "A"}),
            ("apply_policy_point", ["A", 2], {}),
        ):
            # odoo.http logs the refused call as a warning: expected here.
            with self.assertRaises(JsonRpcException) as caught, mute_logger("odoo.http"):
                self.make_jsonrpc_request(
                    "/web/dataset/call_kw/erpconnect.replenishment/%s" % method,
                    {
                        "model": "erpconnect.replenishment",
                        "method": method,
                        "args": args,
                        "kwargs": kwargs,
                    },
                )
            # The addon's argument errors are ValidationErrors (a UserError: a plain message).
            self.assertEqual(caught.exception.args[0], "odoo.exceptions.ValidationError")


@tagged("post_install", "-at_install")
class TestPolicyCurveTour(HttpCase):
    """The "Service level vs stock" screen in Chromium: charts drawn, a point applied."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company = cls.env.company
        run = cls.env["erpconnect.run"].create({"company_id": company.id, "status": "done"})
        company.erpconnect_service_level_a = 0.98
        cls.env["erpconnect.policy.curve"].sudo().create(
            [
                {
                    "run_id": run.id,
                    "company_id": company.id,
                    "abc": abc,
                    "service_level": level,
                    "fill_rate": level - 0.01,
                    "cycle_service_level": level - 0.05,
                    "avg_stock_value": 1000.0 * level,
                    "product_count": 10,
                    "sampled_count": 10,
                    "is_current": level == current,
                    "window_start": "2024-01-01",
                    "window_end": "2024-06-30",
                    "review_days": 1,
                }
                for abc, current in (("A", 0.98), ("B", 0.95))
                for level in (0.9, 0.95, 0.98)
            ]
        )
        cls.admin = new_test_user(
            cls.env, "curve_tour_admin", groups="erpconnect_ai.group_erpconnect_admin"
        )
        cls.viewer = new_test_user(
            cls.env, "curve_tour_viewer", groups="erpconnect_ai.group_erpconnect_viewer"
        )

    def test_admin_applies_a_point(self):
        self.start_tour(
            "/odoo/action-erpconnect_ai.erpconnect_policy_curve_action",
            "erpconnect_policy_curve_admin_tour",
            login=self.admin.login,
            timeout=120,
        )
        self.assertEqual(self.env.company.erpconnect_service_level_a, 0.9)

    def test_viewer_reads_only(self):
        self.start_tour(
            "/odoo/action-erpconnect_ai.erpconnect_policy_curve_action",
            "erpconnect_policy_curve_viewer_tour",
            login=self.viewer.login,
            timeout=120,
        )


@tagged("post_install", "-at_install")
class TestPolicyCurveRun(ErpconnectCase):
    """The analysis computes the curve in its own step, timed on the run."""

    def test_the_run_computes_a_monotonic_curve_with_the_current_point(self):
        self._set_settings(service_level_a=0.97, service_level_b=0.95, service_level_c=0.9)
        run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        step = run.step_ids.filtered(lambda s: s.name == "policy_curve")
        self.assertEqual(step.status, "done")
        points = self.env["erpconnect.policy.curve"].search([("company_id", "=", self.company.id)])
        self.assertTrue(points)
        self.assertEqual(step.record_count, len(points))
        # The look-back is 63 days: the last 31 (63 // 2) are replayed.
        self.assertEqual(
            (points[0].window_start, points[0].window_end),
            (date(2024, 5, 31), date(2024, 6, 30)),
        )
        current = {"A": 0.97, "B": 0.95, "C": 0.9}
        for abc in set(points.mapped("abc")):
            curve = points.filtered(lambda p, c=abc: p.abc == c).sorted("service_level")
            levels = curve.mapped("service_level")
            # The grid, 80 % to 99.5 %, with the class's current level (97 % for A).
            self.assertEqual(levels[0], 0.8)
            self.assertEqual(levels[-1], 0.995)
            self.assertIn(current[abc], levels)
            self.assertEqual(curve.filtered("is_current").mapped("service_level"), [current[abc]])
            fill = curve.mapped("fill_rate")
            stock = curve.mapped("avg_stock_value")
            self.assertEqual(fill, sorted(fill), "fill rate never falls as the target rises")
            self.assertEqual(stock, sorted(stock), "stock never falls as the target rises")
        # The screen reads the same figures.
        screen = (
            self.env["erpconnect.replenishment"]
            .with_user(self.user_viewer)
            .with_company(self.company)
            .get_policy_curve()
        )
        self.assertTrue(screen["available"])
        self.assertEqual(
            sum(len(c["points"]) for c in screen["classes"]),
            len(points),
        )
