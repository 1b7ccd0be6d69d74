from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import AS_OF, ErpconnectCase

# Steady's sales in the week after the first analysis (its forecast is 4 a day, [4, 4]).
WEEK_SALES = [4.0, 6.0, 2.0, 5.0, 8.0, 3.0, 4.0]
FIRST_WEEK = [AS_OF + timedelta(days=offset) for offset in range(1, 8)]  # 07-01 .. 07-07


@tagged("post_install", "-at_install")
class TestForecastAccuracy(ErpconnectCase):
    """What a run forecast, scored once its days have passed (out of sample).

    The first analysis (today 07-01, data up to 06-30) forecasts Steady at 4 a day with the
    interval [4, 4] (a constant history, moving average). Steady then sells WEEK_SALES from
    07-01 to 07-07, and a second analysis runs on 07-08 (data up to 07-07).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.first_run = cls.run_analysis()
        cls._create_sale_orders(
            [(day, [(cls.steady, qty)]) for day, qty in zip(FIRST_WEEK, WEEK_SALES, strict=True)]
        )
        cls.second_run = cls.run_analysis_at(datetime(2024, 7, 8, 10, 0))

    @classmethod
    def run_analysis_at(cls, moment):
        Run = cls.env["erpconnect.run"].with_user(cls.user_manager)
        with freeze_time(moment, tick=True):
            action = Run.with_context(allowed_company_ids=[cls.company.id]).action_run_analysis()
        return cls.env["erpconnect.run"].sudo().browse(action["res_id"])

    def test_first_week_scored_by_hand(self):
        self.assertEqual((self.first_run.status, self.second_run.status), ("done", "done"))
        scores = self.env["erpconnect.forecast.accuracy"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
        )
        self.assertEqual(len(scores), 1)
        score = scores
        self.assertEqual(
            (score.origin, score.week, score.date_from, score.date_to, score.days),
            (AS_OF, 1, date(2024, 7, 1), date(2024, 7, 7), 7),
        )
        self.assertEqual(score.method, "moving_average")
        self.assertEqual(score.run_id, self.second_run)
        self.assertTrue(score.active)
        # Errors forecast - sold: 0, -2, 2, -1, -4, 1, 0.
        self.assertAlmostEqual(score.mae, 10 / 7)
        self.assertAlmostEqual(score.bias, -4 / 7)
        # The error scale of a constant history: its mean demand, 4 (the seasonal naive's MAE
        # is 0). MASE = (10 / 7) / 4.
        self.assertAlmostEqual(score.mase, 10 / 28)
        # sMAPE: mean of 2 |e| / (4 + sold).
        smape = (0 + 4 / 10 + 4 / 6 + 2 / 9 + 8 / 12 + 2 / 7 + 0) / 7
        self.assertAlmostEqual(score.smape, smape)
        # Sold within [4, 4] on 07-01 and 07-07 only.
        self.assertAlmostEqual(score.coverage, 2 / 7)
        self.assertEqual(score.adjusted_days, 0)

    def test_the_forecast_shows_the_measured_accuracy(self):
        forecast = self.current_forecasts().filtered(lambda f: f.product_id == self.steady)
        self.assertEqual(forecast.run_id, self.second_run)
        self.assertTrue(forecast.has_measured_accuracy)
        self.assertEqual(forecast.measured_days, 7)
        self.assertAlmostEqual(forecast.measured_mase, 10 / 28)
        self.assertAlmostEqual(forecast.measured_mae, 10 / 7)
        self.assertAlmostEqual(forecast.measured_coverage, 2 / 7)
        # 10 / 28 = 0.357, shown with two decimals.
        explanation = forecast.with_user(self.user_viewer).explanation
        self.assertIn("Measured after the fact: MASE 0.36 over 7 forecast day(s)", explanation)

    def test_snapshots_kept_weekly_and_pruned_once_scored(self):
        Snapshot = self.env["erpconnect.forecast.snapshot"]
        steady = [("company_id", "=", self.company.id), ("product_id", "=", self.steady.id)]
        # The first run kept its first 28 days; the second scored days 1-7 and deleted them,
        # and kept its own 28 days (the last snapshot was 7 days before).
        first = Snapshot.search([*steady, ("origin", "=", AS_OF)])
        self.assertEqual(first.mapped("date"), [AS_OF + timedelta(days=d) for d in range(8, 29)])
        self.assertEqual(set(first.mapped("qty")), {4.0})
        second = Snapshot.search([*steady, ("origin", "=", date(2024, 7, 7))])
        self.assertEqual(len(second), 28)
        self.assertEqual(second.run_id, self.second_run)
