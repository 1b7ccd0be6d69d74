"""The "Analysed warehouse" setting restricts the analysis to one warehouse.

On top of the company of ``common.py`` (everything sold and stored in its first warehouse, WH),
a second warehouse North sells ``north`` alone: 2 units every day of the window (63 days: 126),
30 on hand in North's stock, none anywhere else.
"""

from datetime import timedelta

from odoo.exceptions import AccessError, UserError
from odoo.tests import tagged

from .common import FIRST_DAY, LOOKBACK_DAYS, STEADY_DAILY, ErpconnectCase

NORTH_DAILY = 2.0


@tagged("post_install", "-at_install")
class TestAnalysisWarehouse(ErpconnectCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.north_warehouse = (
            cls.env["stock.warehouse"]
            .with_company(cls.company)
            .create({"name": "North", "code": "NRTH", "company_id": cls.company.id})
        )
        cls.north = cls._create_product("ERPC North", 8.0, [(cls.vendor_a, 5)])
        orders = cls._create_sale_orders(
            [
                (FIRST_DAY + timedelta(days=offset), [(cls.north, NORTH_DAILY)])
                for offset in range(LOOKBACK_DAYS)
            ]
        )
        orders.write({"warehouse_id": cls.north_warehouse.id})
        cls.env["stock.quant"].with_company(cls.company)._update_available_quantity(
            cls.north, cls.north_warehouse.lot_stock_id, 30.0
        )

    def analyse(self, warehouse):
        self.company.erpconnect_warehouse_id = warehouse
        self.run_analysis()
        return {forecast.product_id: forecast for forecast in self.current_forecasts()}

    def suggestion(self, product):
        return self.env["erpconnect.replenishment"].search(
            [("company_id", "=", self.company.id), ("product_id", "=", product.id)]
        )

    def test_whole_company_by_default(self):
        forecasts = self.analyse(self.env["stock.warehouse"])
        self.assertIn(self.steady, forecasts)
        self.assertAlmostEqual(forecasts[self.north].qty_30d, NORTH_DAILY * 30)
        # stock of every warehouse, suggestions for the first one
        self.assertEqual(self.suggestion(self.north).on_hand_qty, 30.0)
        self.assertEqual(self.suggestion(self.north).warehouse_id, self.warehouse)

    def test_north_only(self):
        forecasts = self.analyse(self.north_warehouse)
        # only North's orders count: the products sold from WH have no demand there
        self.assertEqual(list(forecasts), [self.north])
        self.assertAlmostEqual(forecasts[self.north].qty_30d, 60.0)  # 2 a day
        suggestion = self.suggestion(self.north)
        self.assertEqual(
            (suggestion.warehouse_id, suggestion.on_hand_qty), (self.north_warehouse, 30.0)
        )

    def test_first_warehouse_only(self):
        forecasts = self.analyse(self.warehouse)
        self.assertNotIn(self.north, forecasts)
        self.assertAlmostEqual(forecasts[self.steady].qty_30d, STEADY_DAILY * 30)
        # WH's stock only: steady's 40 on hand and 20 incoming are all in WH
        steady = self.suggestion(self.steady)
        self.assertEqual((steady.on_hand_qty, steady.incoming_qty), (40.0, 20.0))
        self.assertEqual(steady.warehouse_id, self.warehouse)

    def test_setting(self):
        settings = (
            self.env["res.config.settings"]
            .with_user(self.user_admin)
            .with_context(allowed_company_ids=[self.company.id])
        )
        settings.create({"erpconnect_warehouse_id": self.north_warehouse.id}).execute()
        self.assertEqual(self.company.erpconnect_warehouse_id, self.north_warehouse)
        # a Manager (no Settings right) cannot change it
        with self.assertRaises(AccessError):
            self.company.with_user(self.user_manager).erpconnect_warehouse_id = self.warehouse
        self.assertEqual(self.company.erpconnect_warehouse_id, self.north_warehouse)
        # a warehouse of another company is refused
        other = self.env["stock.warehouse"].search([("company_id", "=", self.company_b.id)])
        with self.assertRaises(UserError):
            self.company.erpconnect_warehouse_id = other
            self.company.flush_recordset()
