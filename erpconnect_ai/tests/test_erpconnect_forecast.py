from datetime import date, timedelta

import pandas as pd
from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.modules.migration import load_script
from odoo.tests import TransactionCase, tagged
from odoo.tools import file_path

from .common import AS_OF, NOW, ErpconnectCase


@tagged("post_install", "-at_install")
class TestErpconnectForecast(ErpconnectCase):
    """Forecast records after a run (moving average, hand-computed) and the JSON-RPC API."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_run = cls.run_analysis()
        cls.forecasts = {f.product_id: f for f in cls.current_forecasts()}

    def test_constant_demand_moving_average(self):
        forecast = self.forecasts[self.steady]
        # 4 units every day: the 7-day moving average is 4, so 28 / 120 / 360 over 7 / 30 / 90
        # days, and a constant series has no spread: the interval is the point.
        self.assertEqual(forecast.method, "moving_average")
        self.assertEqual(forecast.trend, "STABLE")
        self.assertAlmostEqual(forecast.daily_demand, 4.0)
        self.assertAlmostEqual(forecast.qty_7d, 28.0)
        self.assertAlmostEqual(forecast.qty_30d, 120.0)
        self.assertAlmostEqual(forecast.qty_90d, 360.0)
        self.assertAlmostEqual(forecast.lower_30d, 120.0)
        self.assertAlmostEqual(forecast.upper_30d, 120.0)
        self.assertEqual(forecast.run_id, self.first_run)
        self.assertEqual(forecast.as_of, AS_OF)
        self.assertEqual(forecast.company_id, self.company)
        self.assertTrue(forecast.active)
        # 90 daily lines of 4 from the day after AS_OF.
        lines = forecast.line_ids
        self.assertEqual(len(lines), 90)
        self.assertEqual(lines[0].date, date(2024, 7, 1))
        self.assertEqual(lines[-1].date, AS_OF + timedelta(days=90))
        self.assertEqual(set(lines.mapped("qty")), {4.0})
        self.assertEqual(lines.company_id, self.company)
        self.assertEqual(lines.product_id, self.steady)

    def test_weekly_and_dozen_moving_average(self):
        # Last 7 days (06-24 .. 06-30) hold one Monday of 14 units: 14 / 7 = 2 a day, 60 in 30.
        weekly = self.forecasts[self.weekly]
        self.assertAlmostEqual(weekly.daily_demand, 2.0)
        self.assertAlmostEqual(weekly.qty_30d, 60.0)
        # The dozens were sold on 06-10 and 06-20, nothing in the last 7 days: 0.
        dozen = self.forecasts[self.dozen]
        self.assertAlmostEqual(dozen.qty_30d, 0.0)
        # No sale, no forecast.
        self.assertNotIn(self.unsold, self.forecasts)

    def test_get_forecast(self):
        Forecast = self.env["erpconnect.forecast"].with_user(self.user_viewer)
        with freeze_time(NOW):
            result = Forecast.get_forecast(self.steady.id, horizon_days=30)
            ten_days = Forecast.get_forecast(self.steady.id, horizon_days=10)
            unsold = Forecast.get_forecast(self.unsold.id)
        self.assertTrue(result["available"])
        self.assertEqual(result["product_id"], self.steady.id)
        self.assertEqual(result["method"], "moving_average")
        self.assertAlmostEqual(result["total"], 120.0)
        self.assertAlmostEqual(result["lower"], 120.0)
        self.assertEqual(len(result["daily"]), 30)
        self.assertEqual(
            result["daily"][0],
            {
                "date": "2024-07-01",
                "qty": 4.0,
                "lower": 4.0,
                "upper": 4.0,
                "adjusted": 4.0,
                "is_adjusted": False,
            },
        )
        self.assertAlmostEqual(result["totals"]["90d"]["qty"], 360.0)
        self.assertEqual(result["run_id"], self.first_run.id)
        # 10 days: 40, bounds summed from the daily ones (4 each).
        self.assertAlmostEqual(ten_days["total"], 40.0)
        self.assertAlmostEqual(ten_days["upper"], 40.0)
        self.assertFalse(unsold["available"])
        self.assertIn("No forecast", unsold["message"])

    def test_get_forecast_rejects_bad_arguments(self):
        Forecast = self.env["erpconnect.forecast"].with_user(self.user_viewer)
        with self.assertRaisesRegex(ValidationError, "product_id must be a record id"):
            Forecast.get_forecast("abc")
        with self.assertRaisesRegex(ValidationError, "product_id must be a record id"):
            Forecast.get_forecast(True)
        with self.assertRaisesRegex(ValidationError, "horizon_days must be a whole number from 1"):
            Forecast.get_forecast(self.steady.id, horizon_days=0)
        with self.assertRaisesRegex(ValidationError, "from 1 to 90"):
            Forecast.get_forecast(self.steady.id, horizon_days=91)
        with self.assertRaisesRegex(ValidationError, "horizon_days"):
            Forecast.get_forecast(self.steady.id, horizon_days="30")
        # A product of company B, which this viewer cannot read, and one that does not exist.
        with self.assertRaisesRegex(UserError, "does not exist or you cannot read it"):
            Forecast.get_forecast(self.product_b.id)
        with self.assertRaisesRegex(UserError, "does not exist"):
            Forecast.get_forecast(2_000_000_000)

    def test_multi_company_isolation(self):
        self.run_analysis(user=self.user_b, company=self.company_b)
        as_b = self.env["erpconnect.forecast"].with_user(self.user_b)
        visible = as_b.search([])
        self.assertTrue(visible)
        self.assertEqual(visible.company_id, self.company_b)
        with self.assertRaises(AccessError):
            self.forecasts[self.steady].with_user(self.user_b).read(["qty_30d"])
        lines_b = self.env["erpconnect.forecast.line"].with_user(self.user_b).search([])
        self.assertEqual(lines_b.company_id, self.company_b)
        runs_b = self.env["erpconnect.run"].with_user(self.user_b).search([])
        self.assertEqual(runs_b.company_id, self.company_b)

    def test_viewer_cannot_change_forecasts(self):
        forecast = self.forecasts[self.steady].with_user(self.user_viewer)
        self.assertAlmostEqual(forecast.qty_30d, 120.0)
        with self.assertRaises(AccessError):
            forecast.write({"qty_30d": 1.0})
        with self.assertRaises(AccessError):
            forecast.unlink()

    def test_staged_forecasts_hidden_until_published(self):
        Run = self.env["erpconnect.run"].sudo().with_company(self.company)
        run = Run.create({"company_id": self.company.id})
        with freeze_time(NOW):
            inputs = Run._extract_inputs(self.company, self.company._erpconnect_settings())
        Forecast = self.env["erpconnect.forecast"].sudo()
        staged_count = Forecast._run_step(run, inputs)
        self.assertEqual(staged_count, 3)
        self.assertEqual(
            sorted(inputs.forecast_summary["product_id"]),
            sorted([self.steady.id, self.weekly.id, self.dozen.id]),
        )
        staged = Forecast.with_context(active_test=False).search([("run_id", "=", run.id)])
        self.assertEqual(len(staged), 3)
        self.assertFalse(any(staged.mapped("active")))
        # Still the first run's forecasts for everyone.
        self.assertEqual(self.current_forecasts().run_id, self.first_run)
        Forecast._publish_run(run)
        self.assertEqual(self.current_forecasts(), staged)
        self.assertFalse(
            Forecast.with_context(active_test=False).search([("run_id", "=", self.first_run.id)])
        )

    def test_run_warnings_group_similar_engine_warnings(self):
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        summary = pd.DataFrame(
            {
                "warning": [
                    "35 days of history: too short, ets used",
                    "40 days of history: too short, ets used; no sales in the history",
                    "",
                    None,
                ]
            }
        )
        self.env["erpconnect.forecast"]._report_warnings(run, summary)
        # Two products share the "N days of history" warning (first example shown), one has
        # "no sales"; empty warnings are not reported.
        self.assertEqual(
            run.warnings,
            "2 product(s), e.g.: 35 days of history: too short, ets used\n"
            "1 product(s), e.g.: no sales in the history",
        )


@tagged("post_install", "-at_install")
class TestForecastLineMigration(TransactionCase):
    def test_1_2_drops_the_log_access_columns(self):
        """A database from 18.0.1.1.0 loses the lines' create/write columns and their keys."""
        cr = self.env.cr
        cr.execute(
            "ALTER TABLE erpconnect_forecast_line"
            " ADD COLUMN create_uid int REFERENCES res_users(id) ON DELETE SET NULL,"
            " ADD COLUMN write_date timestamp"
        )
        script = load_script(
            file_path("erpconnect_ai/migrations/18.0.1.2.0/post-migrate.py"),
            "erpconnect_ai_migration_1_2",
        )
        script.migrate(cr, "18.0.1.1.0")
        cr.execute(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_name = 'erpconnect_forecast_line' ORDER BY column_name"
        )
        self.assertEqual(
            [name for (name,) in cr.fetchall()],
            [
                "company_id",
                "date",
                "forecast_id",
                "id",
                "is_adjusted",
                "lower",
                "product_id",
                "qty",
                "qty_adjusted",
                "upper",
            ],
        )
        cr.execute(
            "SELECT COUNT(*) FROM pg_constraint"
            " WHERE conrelid = 'erpconnect_forecast_line'::regclass AND contype = 'f'"
        )
        self.assertEqual(cr.fetchone()[0], 3)  # forecast, product, company
        script.migrate(cr, "18.0.1.1.0")  # twice: nothing left to drop, no error
