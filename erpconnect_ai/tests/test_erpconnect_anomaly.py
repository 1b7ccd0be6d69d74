from datetime import date, timedelta
from math import sqrt

import pandas as pd
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from odoo.addons.erpconnect_ai.models.analysis_input import AnalysisInput

from .common import AS_OF, ErpconnectCase

# Every product sells 8, 12, 8, 12, ... for 60 days: any 30-day window has fifteen 8s and fifteen
# 12s, so mean μ = 10 and sample σ = sqrt(30 × 2² / 29) = sqrt(120 / 29) ≈ 2.0342. Only the last
# day (AS_OF) of some products differs.
SIGMA = sqrt(120 / 29)


@tagged("post_install", "-at_install")
class TestErpconnectAnomaly(ErpconnectCase):
    """Anomalies: z and severity for a known window, activities, merge keeps people's work."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        products = cls.env["product.product"].create(
            [
                {"name": "Anomaly %s" % code, "company_id": cls.company.id}
                for code in ("Q", "R", "S", "T", "U")
            ]
        )
        cls.q, cls.r, cls.s, cls.t, cls.u = products
        # The Managers of the company: the manager and the administrator (Administrator implies
        # Manager); the manager of company B is not one of them.
        cls.managers = cls.user_manager | cls.user_admin
        cls.settings = dict(
            cls.company._erpconnect_settings(), anomaly_mode="zscore", z_threshold=3.0
        )

    def _inputs(self, last_day):
        """History of the five products; ``last_day`` maps a product to its AS_OF quantity."""
        days = pd.date_range(end=AS_OF, periods=60, freq="D")
        rows = []
        for product in (self.q, self.r, self.s, self.t, self.u):
            for index, day in enumerate(days):
                qty = 8.0 if index % 2 == 0 else 12.0
                if day.date() == AS_OF:
                    qty = last_day.get(product, qty)
                rows.append({"product_id": product.id, "date": day, "qty": qty, "amount": qty})
        return AnalysisInput(
            company_id=self.company.id,
            as_of=AS_OF,
            settings=self.settings,
            history=pd.DataFrame(rows),
        )

    def _run(self, inputs, publish=True):
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        Anomaly = self.env["erpconnect.anomaly"].sudo().with_company(self.company)
        Anomaly._run_step(run, inputs)
        if publish:
            Anomaly._publish_run(run)
        return run

    def _anomaly(self, product):
        return self.env["erpconnect.anomaly"].search(
            [("product_id", "=", product.id), ("company_id", "=", self.company.id)]
        )

    def _first_inputs(self):
        return self._inputs({self.q: 22.0, self.r: 17.0, self.s: 0.0, self.t: 15.5})

    def test_analysis_run_finds_the_spike_and_keeps_the_explanation(self):
        """The whole pipeline on the company of common.py plus one big order of ``steady``."""
        self._create_sale_orders([(date(2024, 6, 26), [(self.steady, 40.0)])])
        run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        anomalies = self.env["erpconnect.anomaly"].search([("company_id", "=", self.company.id)])
        # Robust mode (the default) compares a day with the same weekday of the weeks before,
        # on the Anscombe scale a(x) = 2·√(x + 3/8): 06-26 is a Wednesday and the Wednesdays
        # of the 8 weeks before (05-01 … 06-19) all sold 4, so the median is a(4), the MAD 0 and
        # the scale its floor 1: z = a(44) − a(4) = 2·√44.375 − 2·√4.375 ≈ 9.14, HIGH.
        # The weekly product's Mondays are its usual pattern in this mode: not flagged.
        z = 2 * sqrt(44.375) - 2 * sqrt(4.375)
        self.assertRecordValues(
            anomalies,
            [
                {
                    "product_id": self.steady.id,
                    "date": date(2024, 6, 26),
                    "qty": 44.0,
                    "expected": 4.0,
                    "z": z,
                    "kind": "SPIKE",
                    "severity": "HIGH",
                    "state": "new",
                    "run_id": run.id,
                }
            ],
        )
        self.assertEqual(anomalies.activity_ids.user_id, self.managers)
        anomalies.with_user(self.user_manager).action_explain(note="Trade fair order")
        second = self.run_analysis()
        again = self.env["erpconnect.anomaly"].search([("company_id", "=", self.company.id)])
        self.assertEqual(again, anomalies)
        self.assertRecordValues(
            again,
            [{"state": "explained", "note": "Trade fair order", "run_id": second.id, "z": z}],
        )
        self.assertFalse(again.activity_ids, "explained: no new to-do")

    def test_z_severity_and_kind(self):
        self._run(self._first_inputs())
        expected = {
            # product: (z = (x − 10) / σ, severity, kind)
            self.q: (12 / SIGMA, "HIGH", "SPIKE"),  # 5.90 ≥ 4
            self.r: (7 / SIGMA, "MEDIUM", "SPIKE"),  # 3.44 in [3, 4)
            self.s: (-10 / SIGMA, "HIGH", "DROP"),  # −4.92
            self.t: (5.5 / SIGMA, "LOW", "SPIKE"),  # 2.70 in [2.5, 3)
        }
        for product, (z, severity, kind) in expected.items():
            anomaly = self._anomaly(product)
            with self.subTest(product=product.name):
                self.assertEqual(len(anomaly), 1)
                self.assertEqual(anomaly.date, AS_OF)
                self.assertAlmostEqual(anomaly.z, z, places=3)
                self.assertAlmostEqual(anomaly.expected, 10.0, places=6)
                self.assertEqual((anomaly.severity, anomaly.kind), (severity, kind))
        self.assertFalse(self._anomaly(self.u), "8/12 alternation alone is |z| = 0.98")

    def test_high_anomalies_give_each_manager_one_activity(self):
        self._run(self._first_inputs())
        for product in (self.q, self.s):
            activities = self._anomaly(product).activity_ids
            self.assertEqual(activities.user_id, self.managers)
            self.assertEqual(len(activities), 2)
            self.assertEqual(
                activities.activity_type_id, self.env.ref("mail.mail_activity_data_todo")
            )
        self.assertFalse(self._anomaly(self.r).activity_ids, "MEDIUM: no activity")
        self.assertFalse(self._anomaly(self.t).activity_ids, "LOW: no activity")

    def test_acknowledge_closes_the_activities(self):
        self._run(self._first_inputs())
        anomaly = self._anomaly(self.q).with_user(self.user_manager)
        anomaly.action_acknowledge()
        self.assertEqual(anomaly.state, "acknowledged")
        self.assertFalse(anomaly.activity_ids, "the to-dos of both managers are done")

    def test_explain_needs_a_note(self):
        self._run(self._first_inputs())
        anomaly = self._anomaly(self.s).with_user(self.user_admin)
        with self.assertRaises(UserError):
            anomaly.action_explain()
        anomaly.action_explain(note="Stock-out: the shelf was empty")
        self.assertEqual(
            (anomaly.state, anomaly.note), ("explained", "Stock-out: the shelf was empty")
        )
        self.assertFalse(anomaly.activity_ids)
        with self.assertRaises(ValidationError):
            anomaly.action_explain(note=42)

    def test_merge_keeps_states_notes_and_drops_unhandled_ones_no_longer_found(self):
        self._run(self._first_inputs())
        q = self._anomaly(self.q).with_user(self.user_manager)
        q.write({"note": "Promotion flyer"})
        q.action_acknowledge()
        # Second run: R's day is back to normal (12), Q and S unchanged.
        second_run = self._run(self._inputs({self.q: 22.0, self.s: 0.0, self.t: 15.5}))
        merged = self._anomaly(self.q)
        self.assertEqual(merged, q, "the same record, not a new one")
        self.assertEqual((merged.state, merged.note), ("acknowledged", "Promotion flyer"))
        self.assertEqual(merged.run_id, second_run)
        self.assertFalse(merged.activity_ids, "no new to-do for a handled anomaly")
        self.assertFalse(self._anomaly(self.r), "R was new and is no longer abnormal")
        self.assertEqual(len(self._anomaly(self.s).activity_ids), 2, "still one per manager")
        all_rows = (
            self.env["erpconnect.anomaly"]
            .with_context(active_test=False)
            .search([("company_id", "=", self.company.id)])
        )
        self.assertEqual(len(all_rows), 3, "Q, S, T: no staged duplicate left")

    def test_discarded_run_changes_nothing(self):
        self._run(self._first_inputs())
        before = self.env["erpconnect.anomaly"].search([("company_id", "=", self.company.id)])
        run = self._run(self._inputs({self.q: 30.0}), publish=False)
        self.assertEqual(self._anomaly(self.r).replaced_by_run_id, run, "marked, not yet removed")
        self.env["erpconnect.anomaly"].sudo()._discard_run(run)
        after = self.env["erpconnect.anomaly"].search([("company_id", "=", self.company.id)])
        self.assertEqual(after, before)
        self.assertFalse(after.replaced_by_run_id)
        self.assertAlmostEqual(self._anomaly(self.q).z, 12 / SIGMA, places=3)
        self.assertFalse(
            self.env["erpconnect.anomaly"]
            .with_context(active_test=False)
            .search([("run_id", "=", run.id)])
        )

    def test_viewer_reads_but_cannot_act(self):
        self._run(self._first_inputs())
        anomaly = self._anomaly(self.q).with_user(self.user_viewer)
        self.assertEqual(anomaly.severity, "HIGH")
        with self.assertRaises(AccessError):
            anomaly.action_acknowledge()
        with self.assertRaises(AccessError):
            anomaly.action_explain(note="not mine to say")
        with self.assertRaises(AccessError):
            anomaly.write({"note": "not mine to say"})
        self.assertEqual(anomaly.state, "new")

    @freeze_time(AS_OF + timedelta(days=1))
    def test_get_anomalies(self):
        self._run(self._first_inputs())
        Anomaly = self.env["erpconnect.anomaly"].with_user(self.user_viewer)
        rows = Anomaly.get_anomalies(days=30, z=3.0)
        self.assertEqual({row["product_id"] for row in rows}, {self.q.id, self.r.id, self.s.id})
        q = next(row for row in rows if row["product_id"] == self.q.id)
        self.assertEqual(q["date"], "2024-06-30")
        self.assertAlmostEqual(q["z"], 12 / SIGMA, places=3)
        self.assertEqual((q["kind"], q["severity"], q["state"]), ("SPIKE", "HIGH", "new"))
        strong = Anomaly.get_anomalies(days=30, z=4.5)
        self.assertEqual({row["product_id"] for row in strong}, {self.q.id, self.s.id})
        self.assertEqual(
            {row["product_id"] for row in Anomaly.get_anomalies(days=30, z=2.5)},
            {self.q.id, self.r.id, self.s.id, self.t.id},
        )
        for bad in ({"days": 0}, {"days": "30"}, {"z": -1}, {"z": "3"}, {"days": True}):
            with self.subTest(arguments=bad), self.assertRaises(ValidationError):
                Anomaly.get_anomalies(**bad)
