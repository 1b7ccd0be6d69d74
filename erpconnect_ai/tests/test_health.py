import os
import shutil
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from .common import NOW, ErpconnectCase


@tagged("post_install", "-at_install")
class TestErpconnectHealth(ErpconnectCase):
    """``erpconnect.run.get_health()``: cron, last run, data freshness, model store."""

    def _health(self, user):
        Run = (
            self.env["erpconnect.run"]
            .with_user(user)
            .with_context(allowed_company_ids=[self.company.id])
        )
        with freeze_time(NOW):
            return Run.get_health()

    def test_before_any_run(self):
        health = self._health(self.user_viewer)
        self.assertEqual(health["company_id"], self.company.id)
        self.assertIsNone(health["last_run"])
        self.assertIsNone(health["last_successful_run"])
        self.assertFalse(health["running"])
        self.assertIn("No analysis has completed yet.", health["problems"])
        self.assertIn(health["status"], ("warning", "error"))
        self.assertTrue(health["cron"]["active"])
        self.assertTrue(health["cron"]["next_call"].endswith("02:00:00"))
        # The latest confirmed sale is yesterday's.
        self.assertEqual(health["data"]["latest_sale_date"], "2024-06-30")
        self.assertEqual(health["data"]["days_since_latest_sale"], 1)

    def test_after_a_run(self):
        run = self.run_analysis()
        model_dir = self.env["erpconnect.run"]._get_model_dir(self.company)
        self.addCleanup(shutil.rmtree, model_dir, ignore_errors=True)
        with open(os.path.join(model_dir, "product_1.joblib"), "wb") as model_file:
            model_file.write(b"0123456789")
        health = self._health(self.user_viewer)
        self.assertEqual(health["status"], "ok", health["problems"])
        self.assertEqual(health["problems"], [])
        self.assertEqual(health["last_run"]["id"], run.id)
        self.assertEqual(health["last_run"]["status"], "done")
        self.assertEqual(health["last_run"]["products_processed"], 3)
        self.assertEqual(health["last_run"]["duration_seconds"], run.duration)
        self.assertEqual(health["last_successful_run"]["as_of"], "2024-06-30")
        store = health["model_store"]
        self.assertEqual((store["exists"], store["file_count"], store["size_bytes"]), (True, 1, 10))
        # Only administrators see where the files are.
        self.assertIsNone(store["directory"])
        self.assertEqual(self._health(self.user_admin)["model_store"]["directory"], model_dir)

    def test_exception_text_for_administrators_only(self):
        """A run failing on an unexpected error (its text names a server path) tells every user
        which step failed; the text itself is for ERPConnect AI administrators only."""
        secret = "/srv/odoo/filestore/erpconnect_ai/company_1/product_7.joblib"
        error = PermissionError(13, "Permission denied", secret)
        Segments = type(self.env["erpconnect.segment.matrix"])
        with (
            patch.object(Segments, "_run_step", side_effect=error),
            mute_logger("odoo.addons.erpconnect_ai.models.erpconnect_run"),
        ):
            run = self.run_analysis()
        self.assertEqual(run.status, "failed")
        for user in (self.user_viewer, self.user_manager):
            with self.subTest(user=user.login):
                last_run = self._health(user)["last_run"]
                self.assertEqual(last_run["id"], run.id)
                self.assertIsNone(last_run["error_details"])
                self.assertNotIn("/srv", last_run["message"])
                self.assertNotIn("Permission denied", last_run["message"])
                self.assertIn("PermissionError", last_run["message"])
                # nor through the run record, its steps or a search on the field
                run_as_user = run.with_user(user)
                with self.assertRaises(AccessError):
                    run_as_user.read(["error_details"])
                with self.assertRaises(AccessError):
                    run_as_user.search([("error_details", "ilike", "srv")])
                for step in run_as_user.step_ids:
                    self.assertNotIn("/srv", step.message or "")
        admin_run = self._health(self.user_admin)["last_run"]
        self.assertEqual(
            admin_run["error_details"],
            "PermissionError: [Errno 13] Permission denied: '%s'" % secret,
        )
        self.assertEqual(admin_run["message"], run.message)

    def test_user_without_erpconnect_rights(self):
        user = new_test_user(
            self.env,
            "erpc_outsider",
            groups="base.group_user",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        with self.assertRaises(AccessError):
            self._health(user)


@tagged("post_install", "-at_install")
class TestErpconnectHealthRoute(HttpCase):
    """The JSON route ``/erpconnect_ai/health`` for logged-in users."""

    def test_route(self):
        new_test_user(
            self.env,
            "erpc_route_viewer",
            password="erpc_route_viewer",
            groups="erpconnect_ai.group_erpconnect_viewer",
        )
        self.authenticate("erpc_route_viewer", "erpc_route_viewer")
        health = self.make_jsonrpc_request("/erpconnect_ai/health", {})
        self.assertEqual(health["company_id"], self.env.ref("base.main_company").id)
        self.assertEqual(
            set(health),
            {
                "status",
                "problems",
                "company_id",
                "cron",
                "running",
                "last_run",
                "last_successful_run",
                "data",
                "model_store",
            },
        )

    def test_route_needs_login(self):
        response = self.url_open(
            "/erpconnect_ai/health",
            data="{}",
            headers={"Content-Type": "application/json"},
        )
        self.assertIn("SessionExpiredException", response.text)
