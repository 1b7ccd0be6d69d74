"""Faults the analysis pipeline must survive (issue 7).

Already covered in ``test_erpconnect_run.py`` and not repeated here: a run killed midway by an
exception after some batches (``test_killed_midway_keeps_previous_results``), a run left
``running`` by a dead worker cleaned by the next one
(``test_interrupted_run_is_cleaned_by_the_next``), a run refused while another worker holds the
lock (``test_second_run_is_refused_while_one_runs``), an atomic publish and an isolated failing
product. A real SIGKILL of the worker is in
``bench/fault_bench.py``.
"""

import hashlib
import io
import json
import os
from unittest.mock import patch

import joblib
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.erpconnect_ai import uninstall_hook
from odoo.addons.erpconnect_ai.engine import model_store

from .common import NOW, ErpconnectCase


class _Planted:
    """Unpickling this object creates the directory ``path``: proof that a file was loaded."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@tagged("post_install", "-at_install")
class TestPipelineFaults(ErpconnectCase):
    """Corrupt model files, data changing during a run, concurrent "Run analysis now"."""

    def _during_forecast_step(self, action):
        """Patch the forecast step so that ``action()`` runs right after it (mid-run)."""
        Forecast = type(self.env["erpconnect.forecast"])
        original = Forecast._run_step

        def run_step(model, run, inputs):
            count = original(model, run, inputs)
            action()
            return count

        return patch.object(Forecast, "_run_step", run_step)

    def _company_runs(self):
        return self.env["erpconnect.run"].search([("company_id", "=", self.company.id)])

    def test_corrupt_model_file_falls_back_and_warns(self):
        self._set_settings(forecast_method="polynomial")
        first = self.run_analysis()
        self.assertEqual(first.status, "done", first.message)
        model_dir = self.env["erpconnect.run"]._get_model_dir(self.company)
        self.assertEqual(model_store.load_model(model_dir, self.steady.id).reason, "")
        previous = self.current_forecasts().filtered(lambda f: f.product_id == self.steady)
        # 4 units every day: the polynomial trend of a constant series is flat, 4 x 30 = 120.
        self.assertAlmostEqual(previous.qty_30d, 120.0, places=6)
        path = model_store.model_path(model_dir, self.steady.id)
        path.write_bytes(b"not a joblib file" + path.read_bytes()[17:])

        second = self.run_analysis()
        self.assertEqual(second.status, "done", second.message)
        self.assertEqual((second.products_processed, second.products_failed), (3, 0))
        steady = self.current_forecasts().filtered(lambda f: f.product_id == self.steady)
        # The model is refitted on the same data: the same 120, and a warning on the product
        # and on the run.
        self.assertAlmostEqual(steady.qty_30d, 120.0, places=6)
        self.assertIn("saved model checksum mismatch", steady.warning)
        self.assertIn("saved model checksum mismatch", second.warnings)
        self.assertNotIn("checksum mismatch", first.warnings or "")
        # The refitted model was saved again in place of the corrupt file.
        self.assertEqual(model_store.load_model(model_dir, self.steady.id).reason, "")

    def _plant(self, model_dir, product, payload_object):
        """Replace ``product``'s model file by ``payload_object`` with a sidecar that matches
        it (what someone who can write in the filestore can do)."""
        path = model_store.model_path(model_dir, product.id)
        buffer = io.BytesIO()
        joblib.dump(payload_object, buffer)
        payload = buffer.getvalue()
        header = json.loads(path.with_name(path.name + ".json").read_text())
        header.update(sha256=hashlib.sha256(payload).hexdigest(), size=len(payload))
        path.write_bytes(payload)
        path.with_name(path.name + ".json").write_text(json.dumps(header))

    @mute_logger("odoo.addons.base.models.ir_model")
    def test_planted_model_file_is_refused_and_leftovers_removed(self):
        """Issue 14.7: the checksum that proves a model file is ours is in the database; a file
        planted in the filestore with a matching sidecar is never unpickled and the product is
        refitted; a killed worker's temporary files are removed by the next run."""
        self._set_settings(forecast_method="polynomial")
        first = self.run_analysis()
        self.assertEqual(first.status, "done", first.message)
        model_dir = self.env["erpconnect.run"]._get_model_dir(self.company)
        ModelFile = self.env["erpconnect.model.file"]
        recorded = ModelFile.search([("company_id", "=", self.company.id)])
        self.assertIn(self.steady, recorded.product_id)
        for record in recorded:
            self.assertEqual(
                record.checksum, model_store.file_checksum(model_dir, record.product_id.id)
            )
        # Only the analysis writes checksums: an Administrator reads them, a Manager not even.
        admin_view = ModelFile.with_user(self.user_admin).search([])
        self.assertEqual(admin_view, recorded)
        with self.assertRaises(AccessError):
            admin_view[:1].write({"checksum": "0" * 64})
        with self.assertRaises(AccessError):
            ModelFile.with_user(self.user_manager).search([])

        marker = os.path.join(model_dir, "planted_was_unpickled")
        self._plant(model_dir, self.steady, _Planted(marker))
        planted_checksum = model_store.file_checksum(model_dir, self.steady.id)
        leftover = os.path.join(model_dir, ".product_%d.joblib.x1y2.tmp" % self.steady.id)
        with open(leftover, "wb") as stream:
            stream.write(b"half a model")

        second = self.run_analysis()
        self.assertEqual(second.status, "done", second.message)
        self.assertFalse(os.path.exists(marker), "the planted file was unpickled")
        self.assertFalse(os.path.exists(leftover))
        # Refitted on the same data: 4 units a day, the flat trend gives 4 × 30 = 120.
        steady = self.current_forecasts().filtered(lambda f: f.product_id == self.steady)
        self.assertAlmostEqual(steady.qty_30d, 120.0, places=6)
        self.assertIn("saved model checksum mismatch", steady.warning)
        # The refitted model replaced the planted file, and its checksum is the one recorded.
        checksum = model_store.file_checksum(model_dir, self.steady.id)
        self.assertNotEqual(checksum, planted_checksum)
        self.assertEqual(
            ModelFile.search(
                [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
            ).checksum,
            checksum,
        )

    def test_uninstall_removes_files_and_parameters(self):
        """Issue 14.7: uninstalling removes the model files and the addon's parameters."""
        self._set_settings(forecast_method="polynomial")
        self.assertEqual(self.run_analysis().status, "done")
        model_dir = self.env["erpconnect.run"]._get_model_dir(self.company)
        self.assertTrue(os.listdir(model_dir))
        self.env["ir.config_parameter"].sudo().set_param("erpconnect_ai.inline_run_max_products", 7)
        Parameter = self.env["ir.config_parameter"].sudo()

        def keys():
            return Parameter.search([]).mapped("key")

        before = keys()
        # the settings live on the company; the parameters left are the database-wide ones
        self.assertIn("erpconnect_ai.inline_run_max_products", before)
        uninstall_hook(self.env)
        self.assertFalse(os.path.exists(self.env["erpconnect.model.file"]._get_root()))
        self.assertEqual(keys(), [key for key in before if not key.startswith("erpconnect_ai.")])

    def test_product_archived_during_a_run(self):
        with self._during_forecast_step(lambda: self.weekly.write({"active": False})):
            run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual((run.products_processed, run.products_failed), (3, 0))
        self.assertEqual(set(run.step_ids.mapped("status")), {"done"})
        # The run worked on what it had read: the weekly product keeps its forecast (14 units
        # on the last Monday: 14 / 7 = 2 a day, 60 in 30 days).
        weekly = self.current_forecasts().filtered(lambda f: f.product_id == self.weekly)
        self.assertAlmostEqual(weekly.qty_30d, 60.0)
        # The next run no longer sees the archived product.
        next_run = self.run_analysis()
        self.assertEqual(next_run.status, "done", next_run.message)
        self.assertEqual(next_run.products_total, 2)
        self.assertNotIn(self.weekly, self.current_forecasts().product_id)

    def test_sale_cancelled_during_a_run(self):
        order = self.orders.filtered(lambda o: self.dozen in o.order_line.product_id)
        # The orders of 06-10 (1 dozen) and 06-20 (2 dozens and a service).
        self.assertEqual(len(order), 2)
        late_order = order.sorted("date_order")[-1]
        with self._during_forecast_step(lambda: late_order.write({"state": "cancel"})):
            run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual(set(run.step_ids.mapped("status")), {"done"})
        # extract: 63 steady + 9 weekly + 2 dozen days = 74 rows, read before the cancellation.
        self.assertEqual(run.step_ids[0].record_count, 74)
        next_run = self.run_analysis()
        # The cancelled order of 06-20 (a Thursday) also held that day's 4 steady units: the
        # next run reads 62 steady + 9 weekly + 1 dozen day = 72 rows.
        self.assertEqual(next_run.step_ids[0].record_count, 72)
        self.assertEqual(next_run.status, "done", next_run.message)

    def test_second_click_during_an_inline_run_is_told_it_is_running(self):
        Run = type(self.env["erpconnect.run"])
        original = Run._execute
        refusals = []

        def execute(run):
            # The second manager clicks while the first click's analysis runs.
            try:
                self.run_analysis(user=self.user_admin)
            except UserError as error:
                refusals.append(error.args[0])
            return original(run)

        with patch.object(Run, "_execute", execute):
            run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual(len(refusals), 1)
        self.assertIn("already running", refusals[0])
        self.assertEqual(self._company_runs(), run)

    def test_big_catalogue_is_queued_for_the_cron(self):
        self._set_settings(inline_run_max_products=2)
        cron = self.env.ref("erpconnect_ai.ir_cron_erpconnect_run_queued")
        triggers_before = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        Run = (
            self.env["erpconnect.run"]
            .with_user(self.user_manager)
            .with_context(allowed_company_ids=[self.company.id])
        )
        with freeze_time(NOW):
            action = Run.action_run_analysis()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn(self.company.name, action["params"]["message"])
        queued = self._company_runs()
        self.assertEqual(len(queued), 1)
        self.assertEqual((queued.status, queued.trigger), ("queued", "manual"))
        self.assertEqual(queued.user_id, self.user_manager)
        self.assertEqual(action["params"]["next"]["res_id"], queued.id)
        self.assertFalse(queued.step_ids)
        self.assertEqual(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]),
            triggers_before + 1,
        )

        # A second click is told, and queues nothing more.
        with self.assertRaisesRegex(UserError, "already queued"):
            Run.with_user(self.user_admin).action_run_analysis()
        self.assertEqual(self._company_runs(), queued)

        # The cron worker runs the queued run itself: same record, now done.
        with freeze_time(NOW, tick=True):
            self.env["erpconnect.run"]._cron_run_queued_analyses()
        self.assertEqual(self._company_runs(), queued)
        self.assertEqual(queued.status, "done", queued.message)
        self.assertEqual(queued.trigger, "manual")
        self.assertEqual((queued.products_total, queued.products_processed), (3, 3))
        self.assertEqual(len(self.current_forecasts()), 3)

    def test_two_clicks_racing_queue_one_run(self):
        # The second request did not see the first one's queued run yet (its transaction
        # started before the first committed): the unique index still refuses a second one.
        self._set_settings(inline_run_max_products=2)
        Run = type(self.env["erpconnect.run"])
        with freeze_time(NOW):
            self.run_analysis_action()
            with (
                patch.object(Run, "_check_not_queued", lambda run, company: None),
                self.assertRaisesRegex(UserError, "already queued"),
            ):
                self.run_analysis_action(user=self.user_admin)
        runs = self._company_runs()
        self.assertEqual(runs.mapped("status"), ["queued"])

    def test_queued_run_waits_while_the_company_is_busy(self):
        self._set_settings(inline_run_max_products=2)
        with freeze_time(NOW):
            self.run_analysis_action()
        queued = self._company_runs()
        cron = self.env.ref("erpconnect_ai.ir_cron_erpconnect_run_queued")
        Trigger = self.env["ir.cron.trigger"]
        triggers_before = Trigger.search_count([("cron_id", "=", cron.id)])
        # The nightly analysis of the company holds the lock: the queued run waits and the
        # cron is called again a minute later.
        with self.env["erpconnect.run"]._analysis_lock(self.company):
            with freeze_time(NOW):
                self.env["erpconnect.run"]._cron_run_queued_analyses()
        self.assertEqual(queued.status, "queued")
        self.assertEqual(Trigger.search_count([("cron_id", "=", cron.id)]), triggers_before + 1)
        # The nightly cron takes the queued run over instead of starting a second one.
        with (
            patch.object(
                type(self.env["erpconnect.run"]), "_get_cron_companies", return_value=self.company
            ),
            freeze_time(NOW, tick=True),
        ):
            self.env["erpconnect.run"]._cron_run_analysis()
        self.assertEqual(self._company_runs(), queued)
        self.assertEqual(queued.status, "done", queued.message)

    def run_analysis_action(self, user=None):
        """``action_run_analysis()`` as ``user`` (default: the manager) for the test company."""
        return (
            self.env["erpconnect.run"]
            .with_user(user or self.user_manager)
            .with_context(allowed_company_ids=[self.company.id])
            .action_run_analysis()
        )
