from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo.tests import new_test_user, tagged

from .common import AS_OF, NOW, ErpconnectCase

# Public holidays of the shop: three before the analysis day, one in its horizon (a Thursday).
PAST_HOLIDAYS = [date(2024, 5, 1), date(2024, 5, 9), date(2024, 5, 20)]
NEXT_HOLIDAY = date(2024, 7, 4)
HISTORY_DAYS = 120


@tagged("post_install", "-at_install")
class TestForecastHolidays(ErpconnectCase):
    """A company whose public holidays (global leaves of its working schedule) sell half of a
    normal day: the forecast of the next holiday follows the learnt effect.

    "Holiday Shop" (Brussels time) sells "Bread" 4 a day and "Cake" 8 a day for 120 days up to
    06-30, half of that on its three past holidays. Its forecasts are 7-day moving averages.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.shop = cls._create_company("Holiday Shop")
        cls.shop.write(
            {
                "erpconnect_lookback_days": HISTORY_DAYS,
                "erpconnect_horizon_days": 30,
                "erpconnect_forecast_method": "moving_average",
            }
        )
        cls.bread = cls._create_product("Bread", 2.0, [], company=cls.shop)
        cls.cake = cls._create_product("Cake", 10.0, [], company=cls.shop)
        rows = []
        for offset in range(HISTORY_DAYS):
            day = AS_OF - timedelta(days=offset)
            share = 0.5 if day in PAST_HOLIDAYS else 1.0
            rows.append((day, [(cls.bread, 4.0 * share), (cls.cake, 8.0 * share)]))
        cls._create_sale_orders(rows, company=cls.shop)
        cls._set_stock(cls.bread, 1000.0, company=cls.shop)
        cls._set_stock(cls.cake, 1000.0, company=cls.shop)
        # A local (Brussels, UTC+2 in summer) day is 22:00 UTC the day before to 21:59:59.
        cls.env["resource.calendar.leaves"].create(
            [
                {
                    "name": "Holiday %s" % day,
                    "calendar_id": cls.shop.resource_calendar_id.id,
                    "company_id": cls.shop.id,
                    "date_from": datetime.combine(day - timedelta(days=1), datetime.min.time())
                    + timedelta(hours=22),
                    "date_to": datetime.combine(day, datetime.min.time())
                    + timedelta(hours=21, minutes=59, seconds=59),
                }
                for day in [*PAST_HOLIDAYS, NEXT_HOLIDAY]
            ]
        )
        cls.shop_manager = new_test_user(
            cls.env,
            "holiday_manager",
            groups="erpconnect_ai.group_erpconnect_manager",
            company_id=cls.shop.id,
            company_ids=[cls.shop.id],
            tz="UTC",
        )
        cls.analysis_run = cls.run_analysis(user=cls.shop_manager, company=cls.shop)

    def test_the_next_holiday_follows_the_learnt_effect(self):
        self.assertEqual(self.analysis_run.status, "done")
        forecasts = {f.product_id: f for f in self.current_forecasts(company=self.shop)}
        for product, normal in ((self.bread, 4.0), (self.cake, 8.0)):
            with self.subTest(product=product.name):
                forecast = forecasts[product]
                # Both products sold half on each past holiday: each one's ratio is 0.5 and so
                # is their pooled one, f = (3 x 0.5 + 2 x 0.5) / (3 + 2) = 0.5. The past holidays
                # are imputed with a normal day: the moving average stays 4 (8).
                self.assertAlmostEqual(forecast.holiday_factor, 0.5)
                self.assertEqual(forecast.holiday_effect, "reduced")
                self.assertEqual(forecast.holiday_days, 1)
                days = {line.date: line for line in forecast.line_ids}
                holiday = days[NEXT_HOLIDAY]
                self.assertAlmostEqual(holiday.qty, 0.5 * normal)
                self.assertAlmostEqual(days[NEXT_HOLIDAY - timedelta(days=1)].qty, normal)
                self.assertAlmostEqual(days[NEXT_HOLIDAY + timedelta(days=1)].qty, normal)
                # 7 days: 6 normal days and the holiday.
                self.assertAlmostEqual(forecast.qty_7d, 6 * normal + 0.5 * normal)

    def test_explained(self):
        forecast = self.current_forecasts(company=self.shop).filtered(
            lambda f: f.product_id == self.bread
        )
        with freeze_time(NOW):
            explanation = (
                self.env["erpconnect.forecast"]
                .with_user(self.shop_manager)
                .with_context(allowed_company_ids=[self.shop.id])
                .get_forecast(self.bread.id, horizon_days=7)["explanation"]
            )
        self.assertIn(
            "Public holidays: 1 in the forecast horizon. A holiday sells 0.50 × a normal day "
            "(reduced), learnt from the past holidays.",
            explanation,
        )
        self.assertEqual(explanation, forecast.explanation.split("\n"))
