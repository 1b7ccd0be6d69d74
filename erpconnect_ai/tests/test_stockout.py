from datetime import date, timedelta

from freezegun import freeze_time

from odoo.tests import tagged

from .common import AS_OF, FIRST_DAY, NOW, ErpconnectCase

RUNNER_DAILY = 10.0
RUNNER_PRICE = 5.0
LAST_SALE = date(2024, 6, 25)
STOCKOUT_DAYS = 5  # 06-26 .. 06-30


@tagged("post_install", "-at_install")
class TestStockout(ErpconnectCase):
    """A product that ran out of stock: its empty days are a stock-out with the demand it lost,
    never a drop of demand.

    "Runner" sells 10 a day at 5 from the first day of the window to 06-25. 60 units were
    received on the first day and 60 delivered on 06-25 (its deliveries are not recorded one by
    one here): nothing on hand from the end of 06-25, no sale from 06-26 to 06-30 (AS_OF).
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.runner = cls._create_product("ERPC Runner", RUNNER_PRICE, [(cls.vendor_a, 5)])
        days = (LAST_SALE - FIRST_DAY).days + 1
        cls._create_sale_orders(
            [
                (FIRST_DAY + timedelta(days=offset), [(cls.runner, RUNNER_DAILY)])
                for offset in range(days)
            ]
        )
        cls._move_done(cls.runner, 60.0, FIRST_DAY, incoming=True)
        cls._move_done(cls.runner, 60.0, LAST_SALE, incoming=False)
        cls.analysis_run = cls.run_analysis()

    @classmethod
    def _move_done(cls, product, qty, day, incoming):
        """A done move of ``qty`` into (or out of) the warehouse's stock on ``day`` 08:00."""
        stock = cls.warehouse.lot_stock_id
        other = cls.env.ref(
            "stock.stock_location_suppliers" if incoming else "stock.stock_location_customers"
        )
        with freeze_time("%s 08:00" % day):
            move = cls.env["stock.move"].create(
                {
                    "name": "Runner stock",
                    "product_id": product.id,
                    "product_uom_qty": qty,
                    "product_uom": product.uom_id.id,
                    "location_id": (other if incoming else stock).id,
                    "location_dest_id": (stock if incoming else other).id,
                    "company_id": cls.company.id,
                }
            )
            move._action_confirm()
            move.quantity = qty
            move.picked = True
            move._action_done()

    def runner_anomalies(self):
        return self.env["erpconnect.anomaly"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", self.runner.id)]
        )

    def test_stockout_with_its_lost_units_and_no_drop(self):
        anomalies = self.runner_anomalies()
        self.assertEqual(anomalies.mapped("kind"), ["STOCKOUT"])
        stockout = anomalies
        self.assertEqual((stockout.date, stockout.end_date), (date(2024, 6, 26), AS_OF))
        self.assertEqual(stockout.stockout_days, STOCKOUT_DAYS)
        # Every in-stock day sold 10: a normal day's demand is 10, lost 5 x 10 = 50 units,
        # worth 50 x 5 (the average price sold) = 250.
        self.assertAlmostEqual(stockout.expected, RUNNER_DAILY)
        self.assertAlmostEqual(stockout.lost_units, STOCKOUT_DAYS * RUNNER_DAILY)
        self.assertAlmostEqual(stockout.lost_value, STOCKOUT_DAYS * RUNNER_DAILY * RUNNER_PRICE)
        # Still out of stock on the last day: MEDIUM, and no to-do (the suggestion is the action).
        self.assertEqual(stockout.severity, "MEDIUM")
        self.assertFalse(stockout.activity_ids)
        with freeze_time(NOW):
            rpc = (
                self.env["erpconnect.anomaly"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_anomalies(days=30)
            )
        [row] = [row for row in rpc if row["product_id"] == self.runner.id]
        self.assertEqual(
            (row["kind"], row["date"], row["end_date"], row["lost_units"], row["lost_value"]),
            ("STOCKOUT", "2024-06-26", "2024-06-30", 50.0, 250.0),
        )

    def test_the_forecast_does_not_learn_the_empty_days(self):
        forecast = self.current_forecasts().filtered(lambda f: f.product_id == self.runner)
        # The 5 empty days are imputed with a normal day (10): the 7-day moving average is 10 a
        # day, not (2 x 10 + 5 x 0) / 7.
        self.assertEqual(forecast.censored_days, STOCKOUT_DAYS)
        self.assertAlmostEqual(forecast.qty_7d, 7 * RUNNER_DAILY)
        self.assertIn(
            "Stock-outs: 5 day(s) out of stock in the history were not read as zero demand",
            forecast.with_user(self.user_viewer).explanation,
        )

    def test_lost_sales_kpi(self):
        # The 7 days up to today 07-01 (06-25..07-01) hold the 5 stock-out days: 250; the 7 days
        # before had stock every day: 0.
        with freeze_time(NOW):
            metrics = {
                entry["code"]: entry
                for entry in self.env["erpconnect.kpi"]
                .with_user(self.user_viewer)
                .with_context(allowed_company_ids=[self.company.id])
                .get_metrics(days=7)
            }
        lost = metrics["lost_sales"]
        self.assertAlmostEqual(lost["value"], STOCKOUT_DAYS * RUNNER_DAILY * RUNNER_PRICE)
        self.assertAlmostEqual(lost["previous"], 0.0)
