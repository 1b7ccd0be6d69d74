from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import AS_OF, NOW, ErpconnectCase

# Steady (4 a day, forecast 4 a day by the 7-day moving average) is adjusted x2 from 07-01 to
# 07-10 for a promotion; it then sells PROMOTION_SALES on those days and 4 a day after.
PROMOTION_DAYS = [AS_OF + timedelta(days=offset) for offset in range(1, 11)]  # 07-01 .. 07-10
PROMOTION_SALES = [6.0, 8.0, 9.0, 7.0, 10.0, 5.0, 8.0, 7.0, 9.0, 6.0]
AFTER_DAYS = [AS_OF + timedelta(days=offset) for offset in range(11, 15)]  # 07-11 .. 07-14


@tagged("post_install", "-at_install")
class TestForecastAdjustment(ErpconnectCase):
    """A Manager's adjustment: shown beside the statistical forecast, followed by the
    suggestions, and measured once its days have passed (Forecast value added)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Adjustment = cls.env["erpconnect.forecast.adjustment"]
        cls.adjustment = cls.Adjustment.with_user(cls.user_manager).create(
            {
                "product_id": cls.steady.id,
                "date_from": PROMOTION_DAYS[0],
                "date_to": PROMOTION_DAYS[-1],
                "kind": "factor",
                "factor": 2.0,
                "reason": "promotion",
                "note": "Summer promotion",
            }
        )
        cls.analysis_run = cls.run_analysis()

    def steady_forecast(self):
        return self.current_forecasts().filtered(lambda f: f.product_id == self.steady)

    # ------------------------------------------------------------------ rights

    @mute_logger("odoo.addons.base.models.ir_model", "odoo.addons.base.models.ir_rule")
    def test_viewer_cannot_adjust(self):
        as_viewer = self.Adjustment.with_user(self.user_viewer)
        before = self.Adjustment.search_count([])
        with self.assertRaises(AccessError):
            as_viewer.create(
                {
                    "product_id": self.weekly.id,
                    "date_from": date(2024, 7, 1),
                    "date_to": date(2024, 7, 3),
                    "factor": 3.0,
                    "reason": "promotion",
                }
            )
        with self.assertRaises(AccessError):
            self.adjustment.with_user(self.user_viewer).write({"factor": 5.0})
        with self.assertRaises(AccessError):
            self.adjustment.with_user(self.user_viewer).unlink()
        self.assertEqual(self.Adjustment.search_count([]), before)
        self.assertEqual(self.adjustment.factor, 2.0)
        # A Viewer reads the adjustment and the forecast's explanation of it.
        self.assertEqual(self.adjustment.with_user(self.user_viewer).reason, "promotion")

    @mute_logger("odoo.addons.base.models.ir_rule")
    def test_another_company_neither_sees_nor_adjusts(self):
        """Record rules: the Manager of company B sees no adjustment, no scored week and no
        snapshot of company A, and cannot adjust company A's product (not even by its id)."""
        as_b = self.env(user=self.user_b, context={"allowed_company_ids": [self.company_b.id]})
        for model in (
            "erpconnect.forecast.adjustment",
            "erpconnect.forecast.accuracy",
        ):
            self.assertFalse(as_b[model].search([("company_id", "=", self.company.id)]), model)
        self.assertFalse(as_b["erpconnect.forecast.adjustment"].search([]))
        values = {
            "product_id": self.steady.id,
            "date_from": date(2024, 7, 20),
            "date_to": date(2024, 7, 21),
            "factor": 3.0,
            "reason": "promotion",
        }
        # In company B: A's product is another company's (check_company); in company A: the
        # record rule refuses it.
        with self.assertRaises(UserError):
            as_b["erpconnect.forecast.adjustment"].create(values)
        with self.assertRaises(AccessError):
            as_b["erpconnect.forecast.adjustment"].create(dict(values, company_id=self.company.id))
        self.assertEqual(self.Adjustment.search_count([("product_id", "=", self.steady.id)]), 1)

    def test_manager_adjusts_and_the_forecast_follows_at_once(self):
        as_manager = self.Adjustment.with_user(self.user_manager)
        # Weekly: 2 a day; set to 5 a day on 07-02 and 07-03 for a new customer.
        weekly = self.current_forecasts().filtered(lambda f: f.product_id == self.weekly)
        self.assertEqual(
            (weekly.qty_7d, weekly.adjusted_qty_7d, weekly.is_adjusted), (14, 14, False)
        )
        new_customer = as_manager.create(
            {
                "product_id": self.weekly.id,
                "date_from": date(2024, 7, 2),
                "date_to": date(2024, 7, 3),
                "kind": "quantity",
                "quantity": 5.0,
                "reason": "new_customer",
            }
        )
        self.assertEqual(new_customer.user_id, self.user_manager)
        # 7 days: 5 x 2 + 2 x 5 = 20; the statistical 14 stays.
        self.assertEqual((weekly.qty_7d, weekly.adjusted_qty_7d), (14, 20))
        self.assertEqual((weekly.adjusted_days, weekly.is_adjusted), (2, True))
        self.assertEqual((new_customer.statistical_qty, new_customer.adjusted_qty), (4, 10))
        new_customer.with_user(self.user_manager).write({"quantity": 3.0})
        self.assertEqual(weekly.adjusted_qty_7d, 5 * 2 + 2 * 3)
        new_customer.with_user(self.user_manager).unlink()
        self.assertEqual((weekly.adjusted_qty_7d, weekly.is_adjusted), (14, False))
        # Adjustments of a product may not overlap.
        with self.assertRaises(ValidationError):
            as_manager.create(
                {
                    "product_id": self.steady.id,
                    "date_from": date(2024, 7, 10),
                    "date_to": date(2024, 7, 12),
                    "factor": 0.5,
                    "reason": "other",
                }
            )

    # ------------------------------------------------------------------ the adjusted forecast

    def test_statistical_and_adjusted_side_by_side(self):
        forecast = self.steady_forecast()
        self.assertEqual(forecast.run_id, self.analysis_run)
        # Statistical: 4 a day. Adjusted: 8 a day on the 10 promotion days.
        self.assertEqual((forecast.qty_7d, forecast.adjusted_qty_7d), (28, 56))
        # 30 days: 10 x 8 + 20 x 4 = 160 instead of 120.
        self.assertEqual((forecast.qty_30d, forecast.adjusted_qty_30d), (120, 160))
        self.assertEqual((forecast.adjusted_days, forecast.is_adjusted), (10, True))
        lines = forecast.line_ids.sorted("date")
        self.assertEqual(lines[:10].mapped("qty_adjusted"), [8.0] * 10)
        self.assertEqual(set(lines[:10].mapped("is_adjusted")), {True})
        self.assertEqual(
            (lines[10].qty, lines[10].qty_adjusted, lines[10].is_adjusted), (4, 4, False)
        )
        self.assertEqual(forecast.adjustment_ids, self.adjustment)
        with freeze_time(NOW):
            rpc = (
                self.env["erpconnect.forecast"]
                .with_user(self.user_viewer)
                .get_forecast(self.steady.id, horizon_days=12)
            )
        self.assertEqual(rpc["adjusted_total"], 10 * 8 + 2 * 4)
        self.assertEqual(rpc["total"], 48)
        self.assertEqual(
            [(day["qty"], day["adjusted"]) for day in rpc["daily"][9:11]], [(4, 8), (4, 4)]
        )
        self.assertIn(
            "Adjusted forecast: 160.00 over 30 days instead of 120.00 (10 day(s) adjusted)",
            forecast.with_user(self.user_viewer).explanation,
        )

    def test_the_suggestion_follows_the_adjusted_forecast(self):
        suggestion = self.env["erpconnect.replenishment"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
        )
        # Lead time 5 days (vendor A), no spread (constant demand): the demand over the lead
        # time is the reorder point, 5 x 8 = 40 adjusted instead of 5 x 4 = 20.
        self.assertEqual(suggestion.lead_time_days, 5)
        self.assertAlmostEqual(suggestion.reorder_point, 40.0)

    def test_the_days_policy_follows_the_adjusted_forecast_too(self):
        self.company.erpconnect_stock_policy = "days"
        self.run_analysis()
        suggestion = self.env["erpconnect.replenishment"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
        )
        # The daily demand of the classic policies is the first week's: statistical 4 a day,
        # adjusted 4 + (56 − 28) / 7 = 8 a day (the 7 days are all in the promotion).
        self.assertAlmostEqual(suggestion.avg_daily_demand, 8.0)

    def test_value_added_once_the_days_have_passed(self):
        self._create_sale_orders(
            [
                (day, [(self.steady, qty)])
                for day, qty in zip(PROMOTION_DAYS, PROMOTION_SALES, strict=True)
            ]
            + [(day, [(self.steady, 4.0)]) for day in AFTER_DAYS]
        )
        Run = self.env["erpconnect.run"].with_user(self.user_manager)
        with freeze_time(datetime(2024, 7, 15, 10, 0), tick=True):
            Run.with_context(allowed_company_ids=[self.company.id]).action_run_analysis()
        weeks = self.env["erpconnect.forecast.accuracy"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)],
            order="week",
        )
        self.assertEqual(weeks.mapped("week"), [1, 2])
        # Week 1 (07-01..07-07), all adjusted: statistical errors |4 - sold| = 2, 4, 5, 3, 6, 1,
        # 4 (25); adjusted |8 - sold| = 2, 0, 1, 1, 2, 3, 0 (9).
        week1, week2 = weeks
        self.assertEqual(week1.adjusted_days, 7)
        self.assertAlmostEqual(week1.statistical_adjusted_mae, 25 / 7)
        self.assertAlmostEqual(week1.adjusted_mae, 9 / 7)
        self.assertAlmostEqual(week1.value_added, 16 / 7)
        # Week 2 (07-08..07-14): adjusted 07-08..07-10, statistical 3, 5, 2 (10), adjusted 1, 1,
        # 2 (4); the statistical week: 3, 5, 2, 0, 0, 0, 0.
        self.assertEqual(week2.adjusted_days, 3)
        self.assertAlmostEqual(week2.statistical_adjusted_mae, 10 / 3)
        self.assertAlmostEqual(week2.adjusted_mae, 4 / 3)
        self.assertAlmostEqual(week2.mae, 10 / 7)
        # The KPI over the 10 adjusted days: (25 + 10) / 10 - (9 + 4) / 10 = 2.2 units a day.
        with freeze_time(datetime(2024, 7, 15, 10, 0)):
            metrics = {
                entry["code"]: entry
                for entry in self.env["erpconnect.kpi"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_metrics(days=30)
            }
        self.assertAlmostEqual(metrics["forecast_value_added"]["value"], 2.2)
