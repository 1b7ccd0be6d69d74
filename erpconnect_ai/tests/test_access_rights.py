from datetime import date

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import NOW, ErpconnectCase

RESULT_MODELS = ("erpconnect.replenishment", "erpconnect.anomaly", "erpconnect.segment.matrix")


@tagged("post_install", "-at_install")
class TestAccessRights(ErpconnectCase):
    """Per role: a Viewer reads but cannot run, act or write; a Manager runs and acts but cannot
    change the settings; a user of company B never sees company A's results."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # A big order on 06-26 gives company A a HIGH anomaly besides its suggestions and
        # segments (see test_erpconnect_anomaly).
        cls._create_sale_orders([(date(2024, 6, 26), [(cls.steady, 40.0)])])
        cls.run_a = cls.run_analysis()
        cls.run_b = cls.run_analysis(user=cls.user_b, company=cls.company_b)
        results = {
            model: cls.env[model].search([("company_id", "=", cls.company.id)])
            for model in RESULT_MODELS
        }
        cls.suggestion = results["erpconnect.replenishment"].filtered(
            lambda s: s.product_id == cls.weekly
        )
        cls.anomaly = results["erpconnect.anomaly"]
        cls.cell = results["erpconnect.segment.matrix"].filtered(lambda c: c.segment == "AX")

    def test_fixture(self):
        self.assertEqual((self.run_a.status, self.run_b.status), ("done", "done"))
        self.assertEqual(len(self.suggestion), 1)
        self.assertEqual(self.anomaly.severity, "HIGH")
        self.assertEqual(self.cell.product_ids, self.weekly)

    # ------------------------------------------------------------------ Viewer

    def test_viewer_reads(self):
        for record in (self.suggestion, self.anomaly, self.cell):
            with self.subTest(model=record._name):
                rows = record.with_user(self.user_viewer).read(["company_id"])
                self.assertEqual(rows[0]["company_id"][0], self.company.id)
        self.assertEqual(self.weekly.with_user(self.user_viewer).erpconnect_segment, "AX")

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_viewer_cannot_write_create_or_delete(self):
        for record in (self.suggestion, self.anomaly, self.cell):
            as_viewer = record.with_user(self.user_viewer)
            with self.subTest(model=record._name, operation="write"):
                with self.assertRaises(AccessError):
                    as_viewer.write({"active": True})
            with self.subTest(model=record._name, operation="unlink"):
                with self.assertRaises(AccessError):
                    as_viewer.unlink()
            with self.subTest(model=record._name, operation="create"):
                with self.assertRaises(AccessError):
                    as_viewer.create({"company_id": self.company.id})

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_viewer_cannot_run_or_act(self):
        with self.assertRaises(AccessError):
            self.run_analysis(user=self.user_viewer)
        suggestion = self.suggestion.with_user(self.user_viewer)
        for action in ("action_apply_to_reorder_rules", "action_create_rfqs", "action_dismiss"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(suggestion, action)()
        anomaly = self.anomaly.with_user(self.user_viewer)
        for action in ("action_acknowledge", "action_explain"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(anomaly, action)()
        self.assertEqual((self.suggestion.state, self.anomaly.state), ("new", "new"))
        self.assertFalse(self.suggestion.orderpoint_id)

    # ------------------------------------------------------------------ Manager

    def test_manager_runs_and_acts(self):
        self.assertEqual(self.run_a.user_id, self.user_manager, "the Manager ran the analysis")
        # The Manager has no Inventory right of their own: applying still sets the rule.
        self.assertFalse(self.user_manager.has_group("stock.group_stock_user"))
        self.suggestion.with_user(self.user_manager).action_apply_to_reorder_rules()
        self.assertEqual(self.suggestion.state, "applied")
        self.assertEqual(
            self.suggestion.orderpoint_id.product_min_qty, self.suggestion.reorder_point
        )
        self.anomaly.with_user(self.user_manager).action_acknowledge()
        self.assertEqual(self.anomaly.state, "acknowledged")

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_manager_cannot_rewrite_a_suggestion_then_apply_it(self):
        """Issue 14.1: a Manager without Inventory rights cannot change what the analysis
        computed, so "Apply to reorder rules" (run as superuser) writes the analysis's figures
        to the suggestion's own rule and to no other."""
        self.assertFalse(self.user_manager.has_group("stock.group_stock_user"))
        stock = self.warehouse.lot_stock_id
        other_rule = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.steady.id,
                "company_id": self.company.id,
                "warehouse_id": self.warehouse.id,
                "location_id": stock.id,
                "product_min_qty": 5.0,
                "product_max_qty": 10.0,
            }
        )
        figures = ["reorder_point", "order_up_to", "product_id", "warehouse_id", "state"]
        before = self.suggestion.read(figures)
        as_manager = self.suggestion.with_user(self.user_manager)
        for vals in (
            {"reorder_point": 1e6},
            {"order_up_to": 1e6},
            {"suggested_qty": 1e6},
            {"product_id": self.steady.id},
            {"warehouse_id": False},
            {"company_id": self.company_b.id},
            {"state": "applied"},
            {"active": False},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_manager.write(vals)
        with self.assertRaises(AccessError):
            self.env["erpconnect.replenishment"].with_user(self.user_manager).create(
                {"product_id": self.steady.id, "urgency": "OK", "run_id": self.run_a.id}
            )
        self.assertEqual(self.suggestion.read(figures), before)
        as_manager.action_apply_to_reorder_rules()
        # The weekly product's rule gets the figures the analysis computed; steady's rule (the
        # product the Manager tried to point the suggestion at) keeps its 5 / 10.
        rule = self.suggestion.orderpoint_id
        self.assertEqual(rule.product_id, self.weekly)
        self.assertEqual(
            (rule.product_min_qty, rule.product_max_qty),
            (before[0]["reorder_point"], max(before[0]["order_up_to"], before[0]["reorder_point"])),
        )
        self.assertLess(rule.product_max_qty, 1e6)
        self.assertEqual((other_rule.product_min_qty, other_rule.product_max_qty), (5.0, 10.0))

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_manager_cannot_rewrite_an_anomaly(self):
        """Issue 14.1: z, severity, quantity... of an anomaly are the analysis's; a Manager
        changes its state through the actions and writes its note, nothing else."""
        figures = ["qty", "expected", "z", "kind", "severity", "date", "product_id"]
        before = self.anomaly.read([*figures, "state"])
        as_manager = self.anomaly.with_user(self.user_manager)
        for vals in (
            {"z": 0.1},
            {"severity": "LOW"},
            {"qty": 1.0},
            {"expected": 40.0},
            {"kind": "DROP"},
            {"date": "2024-01-01"},
            {"product_id": self.weekly.id},
            {"state": "explained"},
            {"active": False},
            {"note": "a promotion", "severity": "LOW"},
        ):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                as_manager.write(vals)
        self.assertEqual(self.anomaly.read([*figures, "state"]), before)
        self.assertFalse(self.anomaly.note)
        # What people may do: write the note, explain through the action.
        as_manager.write({"note": "A trade fair order"})
        as_manager.action_explain()
        self.assertEqual(
            (self.anomaly.state, self.anomaly.note), ("explained", "A trade fair order")
        )
        # Its figures are still the analysis's.
        self.assertEqual(
            self.anomaly.read(figures)[0],
            {key: value for key, value in before[0].items() if key != "state"},
        )

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_actions_refuse_rows_staged_by_a_running_analysis(self):
        """Only current (published) suggestions and anomalies can be acted on."""
        staged_run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        staged = self.suggestion.copy({"run_id": staged_run.id, "active": False})
        staged.reorder_point = 1e6
        for action in ("action_apply_to_reorder_rules", "action_dismiss"):
            with self.subTest(action=action), self.assertRaises(UserError):
                getattr(staged.with_user(self.user_manager), action)()
        self.assertEqual(staged.state, "new")
        self.assertFalse(staged.orderpoint_id)
        self.assertFalse(
            self.env["stock.warehouse.orderpoint"].search([("product_max_qty", ">=", 1e6)])
        )

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_manager_needs_purchase_rights_for_rfqs(self):
        with self.assertRaises(AccessError):
            self.suggestion.with_user(self.user_manager).action_create_rfqs()
        self.assertEqual(self.suggestion.state, "new")

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_manager_cannot_change_settings(self):
        with self.assertRaises(AccessError):
            self.env["res.config.settings"].with_user(self.user_manager).create({})
        with self.assertRaises(AccessError):
            self.company.with_user(self.user_manager).write({"erpconnect_safety_days": 10})
        self.assertEqual(self.company._erpconnect_settings()["safety_days"], 3.0)

    # ------------------------------------------------------------------ companies

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_company_b_never_sees_company_a(self):
        for model in RESULT_MODELS:
            with self.subTest(model=model):
                seen_by_b = self.env[model].with_user(self.user_b).search([])
                self.assertNotIn(self.company, seen_by_b.company_id)
                seen_by_a = self.env[model].with_user(self.user_manager).search([])
                self.assertNotIn(self.company_b, seen_by_a.company_id)
        # Company B has results of its own (its product sells 3 a day, steadily).
        self.assertTrue(self.env["erpconnect.replenishment"].with_user(self.user_b).search([]))
        for record in (self.suggestion, self.anomaly, self.cell):
            with self.subTest(record=record._name), self.assertRaises(AccessError):
                record.with_user(self.user_b).read(["company_id"])
        suggestions = self.env["erpconnect.replenishment"].with_user(self.user_b).get_suggestions()
        self.assertEqual({row["company_id"] for row in suggestions}, {self.company_b.id})
        # get_anomalies looks back at most a year: ask on the day after the analysis, when
        # company A's anomaly (06-26) is in the last 30 days for A's users.
        Anomaly = self.env["erpconnect.anomaly"]
        with freeze_time(NOW):
            self.assertEqual(Anomaly.with_user(self.user_b).get_anomalies(days=30), [])
            seen_by_a = Anomaly.with_user(self.user_manager).get_anomalies(days=30)
        self.assertEqual([row["id"] for row in seen_by_a], self.anomaly.ids)
