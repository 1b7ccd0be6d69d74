import pandas as pd
from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from odoo.addons.erpconnect_ai.models.analysis_input import AnalysisInput

from .common import AS_OF, NOW, ErpconnectCase


@tagged("post_install", "-at_install")
class TestPurchasePipeline(ErpconnectCase):
    """The replenishment step on Odoo's purchase facts: orderable quantities, the RFQ line in
    the purchase unit, lead times, excess."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.user_manager.groups_id = [Command.link(cls.env.ref("purchase.group_purchase_user").id)]
        cls.company.write({"po_lead": 0.0, "days_to_purchase": 0.0})
        Product = cls.env["product.product"].with_company(cls.company)
        values = {"is_storable": True, "standard_price": 2.0, "company_id": cls.company.id}
        # Vendor A: minimum 50, delay 7; bought in packs of 12.
        cls.rivet = Product.create(dict(values, name="Pipe Rivet", list_price=5.0))
        cls.env["product.supplierinfo"].create(
            {
                "product_tmpl_id": cls.rivet.product_tmpl_id.id,
                "partner_id": cls.vendor_a.id,
                "min_qty": 50.0,
                "delay": 7,
                "price": 2.0,
                "company_id": cls.company.id,
            }
        )
        cls.env["product.packaging"].create(
            {
                "name": "Pack of 12",
                "product_id": cls.rivet.id,
                "qty": 12.0,
                "company_id": cls.company.id,
            }
        )
        # Sold by the unit, bought by the dozen (whole dozens), vendor B, delay 7.
        cls.washer = Product.create(
            dict(values, name="Pipe Washer", uom_po_id=cls.uom_dozen.id, list_price=5.0)
        )
        cls.env["product.supplierinfo"].create(
            {
                "product_tmpl_id": cls.washer.product_tmpl_id.id,
                "partner_id": cls.vendor_b.id,
                "delay": 7,
                "price": 24.0,  # a dozen
                "company_id": cls.company.id,
            }
        )

    def _inputs(self, rows, **settings):
        """AnalysisInput of ``rows`` ``(product, daily demand, on hand, incoming)``: each sold
        its daily demand every day of the 60 days up to AS_OF."""
        days = pd.date_range(end=AS_OF, periods=60, freq="D")
        history = pd.DataFrame(
            [
                {"product_id": product.id, "date": day, "qty": demand, "amount": demand * 5.0}
                for product, demand, *_rest in rows
                for day in days
            ]
        )
        products = pd.DataFrame(
            [
                {
                    "product_id": product.id,
                    "warehouse_id": self.warehouse.id,
                    "on_hand": on_hand,
                    "incoming": incoming,
                    "forecasted": on_hand + incoming,
                    "lead_time_days": 0.0,  # the purchase facts decide
                    "vendor_id": 0,
                    "list_price": 5.0,
                    "standard_price": 2.0,
                    "is_storable": True,
                }
                for product, _demand, on_hand, incoming in rows
            ]
        )
        return AnalysisInput(
            company_id=self.company.id,
            as_of=AS_OF,
            settings=dict(self.env["erpconnect.run"]._get_settings(), **settings),
            history=history,
            products=products,
            warehouse_id=self.warehouse.id,
            forecast_summary=pd.DataFrame(
                [{"product_id": row[0].id, "daily_demand": row[1]} for row in rows]
            ),
        )

    def _stage(self, inputs):
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        Replenishment = self.env["erpconnect.replenishment"].sudo().with_company(self.company)
        with freeze_time(NOW):
            Replenishment._run_step(run, inputs)
        Replenishment._publish_run(run)
        return {
            s.product_id: s
            for s in self.env["erpconnect.replenishment"].search(
                [("company_id", "=", self.company.id), ("run_id", "=", run.id)]
            )
        }

    def test_minimum_and_packaging_give_an_rfq_line_of_60_for_a_need_of_41(self):
        """Classic days policy, 3 safety days: d = 5, L = 7 (vendor delay; no company lead
        days): reorder point = order-up-to = 5 x 7 + 5 x 3 = 50. On hand 9: need 50 - 9 = 41,
        raised to the minimum 50, then to the next multiple of 12: 60.

        Washer: the same need of 41 units bought by the whole dozen: 4 dozens = 48 units; the
        RFQ line says 4 dozens."""
        inputs = self._inputs(
            [(self.rivet, 5.0, 9.0, 0.0), (self.washer, 5.0, 9.0, 0.0)],
            stock_policy="days",
            safety_days=3.0,
        )
        suggestions = self._stage(inputs)
        rivet, washer = suggestions[self.rivet], suggestions[self.washer]
        self.assertEqual((rivet.reorder_point, rivet.order_up_to), (50.0, 50.0))
        self.assertEqual((rivet.lead_time_days, rivet.lead_time_source), (7.0, "vendor"))
        self.assertEqual((rivet.min_qty, rivet.order_multiple), (50.0, 12.0))
        self.assertEqual(rivet.suggested_qty, 60.0)
        self.assertEqual(rivet.urgency, "ORDER_NOW")
        self.assertEqual(washer.suggested_qty, 48.0)
        self.assertEqual(
            (washer.suggested_purchase_qty, washer.purchase_uom_id), (4.0, self.uom_dozen)
        )
        # Value at the vendor's price per product unit: 60 x 2 = 120; 24 a dozen = 2 a unit.
        self.assertEqual(rivet.suggested_value, 120.0)
        self.assertEqual(washer.suggested_value, 96.0)
        action = (rivet | washer).with_user(self.user_manager).action_create_rfqs()
        lines = self.env["purchase.order"].search(action["domain"]).order_line
        by_product = {line.product_id: line for line in lines}
        self.assertEqual(by_product[self.rivet].product_qty, 60.0)
        self.assertEqual(by_product[self.rivet].product_uom, self.uom_unit)
        self.assertEqual(by_product[self.washer].product_qty, 4.0)
        self.assertEqual(by_product[self.washer].product_uom, self.uom_dozen)
        self.assertEqual(rivet.purchase_line_id, by_product[self.rivet])

    def test_excess(self):
        """d = 2, L = 7, 3 safety days: order-up-to 20. On hand 200 + 40 incoming = 240; the
        margin is 30 days of demand (60) and one minimum order (50): excess 240 - 20 - 110 =
        110 units, at the cost of 2: 220."""
        suggestions = self._stage(
            self._inputs([(self.rivet, 2.0, 200.0, 40.0)], stock_policy="days", safety_days=3.0)
        )
        rivet = suggestions[self.rivet]
        self.assertEqual(rivet.urgency, "EXCESS")
        self.assertEqual((rivet.excess_qty, rivet.excess_value), (110.0, 220.0))
        self.assertEqual(rivet.suggested_qty, 0.0)

    def test_review_period_of_the_vendor_widens_the_protection(self):
        """Forecast policy, vendor A reviewed weekly: protection = 7 + 7 = 14 days; 5 a day
        every day: the moving average forecasts 5 a day, 5 x 14 = 70 over the protection."""
        self.vendor_a.with_company(self.company).erpconnect_review_days = 7
        inputs = self._inputs(
            [(self.rivet, 5.0, 9.0, 0.0)], stock_policy="forecast", forecast_method="moving_average"
        )
        rivet = self._stage(inputs)[self.rivet]
        self.assertEqual((rivet.review_days, rivet.protection_days), (7.0, 14.0))
        self.assertEqual(rivet.policy, "forecast")
        self.assertAlmostEqual(rivet.protection_demand, 70.0)

    def test_no_vendor_uses_the_default_lead_time(self):
        inputs = self._inputs([(self.weekly, 5.0, 0.0, 0.0)], stock_policy="days", safety_days=3.0)
        weekly = self._stage(inputs)[self.weekly]
        settings = self.env["erpconnect.run"]._get_settings()
        self.assertEqual(weekly.lead_time_days, settings["default_lead_time"])
        self.assertEqual(weekly.lead_time_source, "default")
        self.assertFalse(weekly.vendor_id)
