from datetime import date, datetime
from unittest.mock import patch

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from odoo.addons.erpconnect_ai import engine

from .common import AS_OF, FIRST_DAY, LOOKBACK_DAYS, NOW, ErpconnectCase

RUN_LOGGER = "odoo.addons.erpconnect_ai.models.erpconnect_run"
FORECAST_LOGGER = "odoo.addons.erpconnect_ai.models.erpconnect_forecast"


@tagged("post_install", "-at_install")
class TestErpconnectExtraction(ErpconnectCase):
    """Step 1: the bulk extraction returns exactly the demand, stock and vendors created."""

    def _inputs(self, **settings):
        Run = self.env["erpconnect.run"].sudo().with_company(self.company)
        values = dict(self.company._erpconnect_settings(), **settings)
        with freeze_time(NOW):
            return Run._extract_inputs(self.company, values)

    def test_history_daily_totals(self):
        inputs = self._inputs()
        self.assertEqual(inputs.as_of, AS_OF)
        self.assertEqual(inputs.company_id, self.company.id)
        history = inputs.history
        by_product = dict(list(history.groupby("product_id")))
        # Only the three sold goods: no service, no unsold product, no company B product.
        self.assertEqual(set(by_product), {self.steady.id, self.weekly.id, self.dozen.id})

        steady = by_product[self.steady.id]
        # 63 days x 4 units = 252; the 1000 before the window, the quotation (100) and the
        # cancelled order (50) are not demand.
        self.assertEqual(len(steady), LOOKBACK_DAYS)
        self.assertEqual(steady["qty"].tolist(), [4.0] * LOOKBACK_DAYS)
        self.assertEqual(steady["amount"].tolist(), [40.0] * LOOKBACK_DAYS)
        self.assertEqual(steady["date"].min().date(), FIRST_DAY)
        self.assertEqual(steady["date"].max().date(), AS_OF)

        weekly = by_product[self.weekly.id]
        # Mondays 04-29 .. 06-24: 9 days of 14 units at 25.
        mondays = [date(2024, 4, 29)]
        mondays += [date(2024, 5, d) for d in (6, 13, 20, 27)]
        mondays += [date(2024, 6, d) for d in (3, 10, 17, 24)]
        self.assertEqual([day.date() for day in weekly["date"]], mondays)
        self.assertEqual(weekly["qty"].tolist(), [14.0] * 9)
        self.assertEqual(weekly["amount"].tolist(), [350.0] * 9)

        dozen = by_product[self.dozen.id]
        # 1 and 2 dozens become 12 and 24 units; revenue 60 per dozen.
        self.assertEqual(
            [day.date() for day in dozen["date"]], [date(2024, 6, 10), date(2024, 6, 20)]
        )
        self.assertEqual(dozen["qty"].tolist(), [12.0, 24.0])
        self.assertEqual(dozen["amount"].tolist(), [60.0, 120.0])

    def test_history_uses_company_time_zone(self):
        # 23:30 UTC on 06-29 is 01:30 on 06-30 in Brussels; 22:30 UTC on 06-30 is already
        # 07-01 there (today: not a complete day yet).
        self._create_sale_orders([(date(2024, 6, 29), [(self.weekly, 3.0)])], hour=23.5)
        self._create_sale_orders([(date(2024, 6, 30), [(self.weekly, 5.0)])], hour=22.5)
        history = self._inputs().history
        weekly = history[history["product_id"] == self.weekly.id]
        late = weekly[weekly["date"] >= "2024-06-25"]
        self.assertEqual([day.date() for day in late["date"]], [date(2024, 6, 30)])
        self.assertEqual(late["qty"].tolist(), [3.0])

    def test_history_from_deliveries(self):
        customers = self.env.ref("stock.stock_location_customers")
        stock = self.warehouse.lot_stock_id

        def done_move(qty, source, destination, day):
            return {
                "name": "ERPC delivery",
                "product_id": self.steady.id,
                "product_uom_qty": qty,
                "quantity": qty,
                "product_uom": self.uom_unit.id,
                "location_id": source.id,
                "location_dest_id": destination.id,
                "company_id": self.company.id,
                "state": "done",
                "date": datetime(day.year, day.month, day.day, 9, 0),
            }

        self.env["stock.move"].create(
            [
                done_move(5.0, stock, customers, date(2024, 6, 28)),
                done_move(2.0, customers, stock, date(2024, 6, 28)),  # a return
                done_move(6.0, stock, customers, date(2024, 6, 29)),
                done_move(9.0, stock, stock, date(2024, 6, 29)),  # internal: not demand
            ]
        )
        history = self._inputs(demand_source="stock_move").history
        # The sale orders of the base data were never delivered: only these moves count.
        # 06-28: 5 out - 2 back = 3 units; 06-29: 6 units; revenue at the sale price 10.
        self.assertEqual(history["product_id"].tolist(), [self.steady.id] * 2)
        self.assertEqual(
            [day.date() for day in history["date"]], [date(2024, 6, 28), date(2024, 6, 29)]
        )
        self.assertEqual(history["qty"].tolist(), [3.0, 6.0])
        self.assertEqual(history["amount"].tolist(), [30.0, 60.0])

    def test_products_stock_vendor_lead_time(self):
        inputs = self._inputs(default_lead_time=7)
        self.assertEqual(inputs.warehouse_id, self.warehouse.id)
        products = inputs.products.set_index("product_id")
        self.assertEqual(
            sorted(products.index), sorted([self.steady.id, self.weekly.id, self.dozen.id])
        )
        steady = products.loc[self.steady.id]
        # 40 on hand + 20 incoming = 60 forecasted; first vendor A, 5 days.
        self.assertEqual((steady.on_hand, steady.incoming, steady.forecasted), (40.0, 20.0, 60.0))
        self.assertEqual((steady.vendor_id, steady.lead_time_days), (self.vendor_a.id, 5.0))
        self.assertEqual((steady.list_price, steady.standard_price), (10.0, 5.0))
        self.assertTrue(steady.is_storable)
        # No vendor: the default lead time (7) and vendor 0.
        weekly = products.loc[self.weekly.id]
        self.assertEqual((weekly.vendor_id, weekly.lead_time_days, weekly.on_hand), (0, 7.0, 0.0))
        # Two vendors: the first of the list (B, 12 days), not the fastest (A, 5 days).
        dozen = products.loc[self.dozen.id]
        self.assertEqual((dozen.vendor_id, dozen.lead_time_days), (self.vendor_b.id, 12.0))
        self.assertEqual(dozen.on_hand, 100.0)


@tagged("post_install", "-at_install")
class TestErpconnectRun(ErpconnectCase):
    """The pipeline: steps, access, faults, lock, empty company, cron."""

    def test_run_records_steps_and_counts(self):
        run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual(run.trigger, "manual")
        self.assertEqual(run.user_id, self.user_manager)
        self.assertEqual(run.company_id, self.company)
        self.assertEqual(run.as_of, AS_OF)
        self.assertEqual(
            (run.products_total, run.products_processed, run.products_failed), (3, 3, 0)
        )
        self.assertLessEqual(NOW, run.started_at)
        self.assertLessEqual(run.started_at, run.finished_at)
        self.assertGreater(run.duration, 0.0)
        # Each step of the pipeline once, in order.
        self.assertEqual(
            run.step_ids.mapped("name"),
            [
                "extract",
                "forecast",
                "segments",
                "replenishment",
                "policy_curve",
                "anomalies",
                "publish",
            ],
        )
        self.assertEqual(set(run.step_ids.mapped("status")), {"done"})
        # extract: 63 + 9 + 2 history rows; forecast: 3 products.
        self.assertEqual(run.step_ids[0].record_count, 74)
        self.assertEqual(run.step_ids[1].record_count, 3)
        self.assertIn("3 of 3 products forecast", run.message)
        self.assertEqual(len(self.current_forecasts()), 3)
        self.assertEqual(run.forecast_count, 3)

    def test_finished_run_empties_the_company_kpi_cache(self):
        cache_class = type(self.env["erpconnect.kpi.cache"])
        with patch.object(cache_class, "_invalidate", autospec=True) as invalidate:
            run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual(invalidate.call_count, 1)
        self.assertEqual(invalidate.call_args.args[1], [self.company.id])

    def test_viewer_cannot_run(self):
        with self.assertRaises(AccessError):
            self.run_analysis(user=self.user_viewer)
        self.assertFalse(self.env["erpconnect.run"].search([("company_id", "=", self.company.id)]))

    def test_viewer_reads_runs_not_writes(self):
        run = self.run_analysis()
        as_viewer = run.with_user(self.user_viewer)
        self.assertEqual(as_viewer.status, "done")
        with self.assertRaises(AccessError):
            as_viewer.write({"status": "failed"})
        with self.assertRaises(AccessError):
            self.env["erpconnect.run"].with_user(self.user_manager).create(
                {"company_id": self.company.id}
            )

    def test_empty_company_explained(self):
        company = self._create_company("ERPConnect Empty Company")
        company.erpconnect_lookback_days = LOOKBACK_DAYS
        self.user_manager.company_ids |= company
        run = self.run_analysis(company=company)
        self.assertEqual(run.status, "done")
        self.assertEqual(run.products_total, 0)
        self.assertIn("No confirmed sale from 2024-04-29 to 2024-06-30", run.message)
        self.assertFalse(self.current_forecasts(company))

    def test_second_run_is_refused_while_one_runs(self):
        # Another worker holds the company's analysis lock (its own database connection).
        with self.env["erpconnect.run"]._analysis_lock(self.company):
            with self.assertRaisesRegex(UserError, "already running"):
                self.run_analysis()
        self.assertFalse(self.env["erpconnect.run"].search([("company_id", "=", self.company.id)]))
        # Once it is released, a run goes through.
        self.assertEqual(self.run_analysis().status, "done")

    @mute_logger(RUN_LOGGER)
    def test_killed_midway_keeps_previous_results(self):
        first = self.run_analysis()
        previous = {f.product_id: (f.id, f.qty_30d) for f in self.current_forecasts()}
        self.assertEqual(len(previous), 3)

        calls = []

        def progress(*args, **kwargs):
            calls.append(kwargs)
            if len(calls) == 2:
                raise RuntimeError("worker killed")

        Forecast = type(self.env["erpconnect.forecast"])
        IrCron = type(self.env["ir.cron"])
        # One product per batch: the failure comes after the 2nd of 3 batches.
        with (
            patch.object(Forecast, "_erpconnect_batch_size", 1),
            patch.object(IrCron, "_notify_progress", side_effect=progress, autospec=True),
        ):
            failed = self.run_analysis()
        self.assertEqual(len(calls), 2)
        self.assertEqual(failed.status, "failed")
        # Users read which step failed; the exception's text is for administrators (issue 14.8).
        self.assertIn("Step forecast failed", failed.message)
        self.assertNotIn("worker killed", failed.message)
        self.assertEqual(failed.error_details, "RuntimeError: worker killed")
        self.assertEqual(failed.step_ids.filtered(lambda s: s.status == "failed").name, "forecast")
        # The previous forecasts are still the current ones, unchanged; nothing staged is left.
        current = self.current_forecasts()
        self.assertEqual({f.product_id: (f.id, f.qty_30d) for f in current}, previous)
        self.assertEqual(current.run_id, first)
        staged = (
            self.env["erpconnect.forecast"]
            .with_context(active_test=False)
            .search([("run_id", "=", failed.id)])
        )
        self.assertFalse(staged)
        self.assertFalse(
            self.env["erpconnect.forecast.line"].search([("forecast_id.run_id", "=", failed.id)])
        )

    @mute_logger(RUN_LOGGER)
    def test_failed_publish_is_atomic(self):
        self.run_analysis()
        previous = self.current_forecasts()
        Forecast = type(self.env["erpconnect.forecast"])
        original = Forecast._publish_run

        def publish_then_fail(model, run):
            original(model, run)  # drops the previous forecasts, activates the new ones
            raise RuntimeError("disk full")

        with patch.object(Forecast, "_publish_run", publish_then_fail):
            failed = self.run_analysis()
        self.assertEqual(failed.status, "failed")
        self.assertIn("Step publish failed", failed.message)
        self.assertEqual(failed.error_details, "RuntimeError: disk full")
        self.assertEqual(self.current_forecasts(), previous)

    @mute_logger(FORECAST_LOGGER)
    def test_failing_product_is_isolated(self):
        original = engine.forecast_products

        def forecast_products(history, *args, **kwargs):
            if self.weekly.id in set(history["product_id"]):
                raise RuntimeError("bad product")
            return original(history, *args, **kwargs)

        with patch.object(engine, "forecast_products", forecast_products):
            run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        self.assertEqual((run.products_processed, run.products_failed), (2, 1))
        self.assertEqual(
            set(self.current_forecasts().product_id.ids), {self.steady.id, self.dozen.id}
        )

    @mute_logger(RUN_LOGGER)
    def test_interrupted_run_is_cleaned_by_the_next(self):
        # A worker died while its run was staging a forecast.
        stale = self.env["erpconnect.run"].create(
            {"company_id": self.company.id, "status": "running", "trigger": "cron"}
        )
        self.env["erpconnect.forecast"].create(
            {
                "active": False,
                "run_id": stale.id,
                "company_id": self.company.id,
                "product_id": self.unsold.id,
                "method": "moving_average",
            }
        )
        run = self.run_analysis()
        self.assertEqual(run.status, "done")
        self.assertEqual(stale.status, "failed")
        self.assertIn("Interrupted", stale.message)
        self.assertFalse(
            self.env["erpconnect.forecast"]
            .with_context(active_test=False)
            .search([("run_id", "=", stale.id)])
        )

    @mute_logger(RUN_LOGGER)
    def test_invalid_settings_fail_the_run_with_their_message(self):
        with self.assertRaisesRegex(ValidationError, "look-back must be between 7 and 3650"):
            self._set_settings(lookback_days=-5)
        # A value written around the checks (SQL) fails the run, with the checks' message.
        self.env.cr.execute(
            "UPDATE res_company SET erpconnect_lookback_days = -5 WHERE id = %s", [self.company.id]
        )
        self.company.invalidate_recordset(["erpconnect_lookback_days"])
        run = self.run_analysis()
        self.assertEqual(run.status, "failed")
        self.assertIn("look-back must be between 7 and 3650", run.message)

    def test_cron_runs_each_company(self):
        Run = self.env["erpconnect.run"]
        companies = self.company | self.company_b
        with (
            patch.object(type(Run), "_get_cron_companies", return_value=companies),
            freeze_time(NOW),
        ):
            Run._cron_run_analysis()
        runs = Run.search([("company_id", "in", companies.ids)])
        self.assertEqual(len(runs), 2)
        self.assertEqual(set(runs.mapped("trigger")), {"cron"})
        self.assertEqual(set(runs.mapped("status")), {"done"})
        forecast_b = self.current_forecasts(self.company_b)
        # Company B sells 3 a day: 90 in 30 days with the moving average.
        self.assertEqual(forecast_b.product_id, self.product_b)
        self.assertAlmostEqual(forecast_b.qty_30d, 90.0)

    def test_old_runs_are_vacuumed_but_the_current_one_is_kept(self):
        Run = self.env["erpconnect.run"]
        with freeze_time("2023-12-01 02:00:00"):
            current = Run.create({"company_id": self.company.id, "status": "done"})
            old_failed = Run.create({"company_id": self.company.id, "status": "failed"})
        with freeze_time("2023-11-01 02:00:00"):
            old_done = Run.create({"company_id": self.company.id, "status": "done"})
        with freeze_time("2024-06-30 02:00:00"):
            recent_failed = Run.create({"company_id": self.company.id, "status": "failed"})
        with freeze_time(NOW):
            Run._gc_old_runs()
        # More than 180 days old: removed, except the company's last successful run (its
        # results are the current ones).
        self.assertFalse((old_failed | old_done).exists())
        self.assertEqual((current | recent_failed).exists(), current | recent_failed)
