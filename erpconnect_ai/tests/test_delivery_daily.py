"""The daily deliveries (``erpconnect.delivery.daily``) kept by hand-checked business events.

Company "Delivery Co" in the fixed time zone Etc/GMT-2 (UTC+2 all year). Events (UTC times,
local days in brackets; each order is created and confirmed at the same moment):

- 01-06 10:00 [01-06]  O1: 10 A, committed for 01-08 12:00
- 01-07 10:00 [01-07]  O1 delivered in part: 6 A (a backorder of 4 stays)
- 01-08 08:00 [01-08]  O2: 5 A, no commitment (due on its deadline, 01-08 08:00)
- 01-09 10:00 [01-09]  O3: 3 A
- 01-09 23:00 [01-10]  O1's backorder delivered: O1 complete (the UTC date, 01-09, is after the
                       commitment's, 01-08: late)
- 01-10 10:00 [01-10]  O2 delivered (01-10 after 01-08: late)
- 01-11 10:00 [01-11]  O3 delivered by a warehouse user (01-11 after its deadline's date, 01-09:
                       late)
- 01-12 10:00          O3 cancelled; O2's commitment set to 01-12 10:00 (no longer late)
"""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.erpconnect_delivery_daily import MEASURES as COLUMNS
from .common import confirmed_receipt


@tagged("post_install", "-at_install")
class TestDeliveryDaily(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Delivery Co"})
        cls.company.partner_id.tz = "Etc/GMT-2"
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)])
        cls.customer = cls.env["res.partner"].with_company(cls.company).create({"name": "Dora"})
        cls.product = (
            cls.env["product.product"]
            .with_company(cls.company)
            .create(
                {
                    "name": "Delivery A",
                    "is_storable": True,
                    "company_id": cls.company.id,
                    "taxes_id": [Command.clear()],
                }
            )
        )
        with freeze_time("2025-01-02 10:00"):
            receipt = confirmed_receipt(
                cls.env, cls.company, cls.warehouse, cls.product, 100, "Receipt"
            )
            receipt.quantity = 100
            receipt.picked = True
            receipt._action_done()
        cls.o1 = cls._sell("2025-01-06 10:00", 10, commitment=datetime(2025, 1, 8, 12, 0))
        cls._deliver(cls.o1, "2025-01-07 10:00", 6)
        cls.rows_after_partial = cls._rows()
        cls.o2 = cls._sell("2025-01-08 08:00", 5)
        cls.o3 = cls._sell("2025-01-09 10:00", 3)
        cls._deliver(cls.o1, "2025-01-09 23:00")  # the backorder
        cls._deliver(cls.o2, "2025-01-10 10:00")
        # by a warehouse user who cannot read sale orders: the upkeep still sees O3
        stock_user = new_test_user(
            cls.env,
            "delivery_stock_user",
            groups="stock.group_stock_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls._deliver(cls.o3.with_user(stock_user), "2025-01-11 10:00")
        cls.rows_after_deliveries = cls._rows()
        with freeze_time("2025-01-12 10:00"):
            cls.o3._action_cancel()
            cls.o2.commitment_date = datetime(2025, 1, 12, 10, 0)
        cls.viewer = new_test_user(
            cls.env,
            "delivery_viewer",
            groups="erpconnect_ai.group_erpconnect_viewer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @classmethod
    def _sell(cls, moment, qty, commitment=None):
        """An order of ``qty`` A created and confirmed at ``moment`` (its creation date too)."""
        with freeze_time(moment):
            order = (
                cls.env["sale.order"]
                .with_company(cls.company)
                .create(
                    {
                        "partner_id": cls.customer.id,
                        "company_id": cls.company.id,
                        "commitment_date": commitment,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": cls.product.id,
                                    "product_uom_qty": qty,
                                    "price_unit": 10.0,
                                    "tax_id": [Command.clear()],
                                }
                            )
                        ],
                    }
                )
            )
            order.action_confirm()
        order.flush_recordset()
        # the ORM dates creations with the transaction's clock, not freezegun's
        cls.env.cr.execute(
            "UPDATE sale_order SET create_date = %s WHERE id = %s", [moment, order.id]
        )
        order.invalidate_recordset(["create_date"])
        return order

    @classmethod
    def _deliver(cls, order, moment, qty=None):
        """Validate the order's open delivery at ``moment``: ``qty`` (default: all); a partial
        delivery leaves a backorder."""
        picking = order.sudo().picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        picking = picking.with_env(order.env)
        with freeze_time(moment):
            picking.action_assign()
            for move in picking.move_ids:
                move.quantity = qty or move.product_uom_qty
                move.picked = True
            picking.with_context(skip_backorder=True, skip_sms=True).button_validate()
        assert picking.state == "done", picking.state

    @classmethod
    def _rows(cls):
        """``{day: (columns...)}`` of the company (after the refresh that runs before a
        commit), days rounded to 6 decimals."""
        cls.env.cr.flush()
        rows = cls.env["erpconnect.delivery.daily"].search([("company_id", "=", cls.company.id)])
        return {
            row.date: tuple(
                round(row[name], 6) if isinstance(row[name], float) else row[name]
                for name in COLUMNS
            )
            for row in rows
        }

    def test_rows_equal_the_hand_computed_ones_and_a_rebuild(self):
        # O1's partial delivery (01-07 10:00, on time: 01-07 <= 01-08): its first delivery,
        # 01-07 10:00 - 01-06 10:00 = 1 day; O1 is not complete (its backorder is to do)
        self.assertEqual(self.rows_after_partial, {date(2025, 1, 7): (1, 0, 1, 1.0, 0, 0.0)})
        o1_cycle = 3 + 13 / 24  # 01-09 23:00 - 01-06 10:00 = 3 days 13 hours
        o2_days = 2 + 2 / 24  # 01-10 10:00 - 01-08 08:00 = 2 days 2 hours (first and last)
        o3_days = 2.0  # 01-11 10:00 - 01-09 10:00
        self.assertEqual(
            self.rows_after_deliveries,
            {
                date(2025, 1, 7): (1, 0, 1, 1.0, 0, 0.0),
                # O1's backorder (late: 01-09 > 01-08) and O2 (late: 01-10 > 01-08); O2's first
                # delivery; O1 and O2 complete
                date(2025, 1, 10): (2, 2, 1, round(o2_days, 6), 2, round(o1_cycle + o2_days, 6)),
                # O3, late: 01-11 > its deadline 01-09 10:00
                date(2025, 1, 11): (1, 1, 1, o3_days, 1, o3_days),
            },
        )
        # O3 cancelled: its day has no delivery left; O2 committed for 01-12: on time
        expected = {
            date(2025, 1, 7): (1, 0, 1, 1.0, 0, 0.0),
            date(2025, 1, 10): (2, 1, 1, round(o2_days, 6), 2, round(o1_cycle + o2_days, 6)),
        }
        self.assertEqual(self._rows(), expected)

        self.env["erpconnect.delivery.daily"]._rebuild(self.company)
        self.assertEqual(self._rows(), expected)
        # the nightly reconcile (last 7 days: 01-06 to 01-12) puts back rows lost
        self.env.cr.execute(
            "DELETE FROM erpconnect_delivery_daily WHERE company_id = %s", [self.company.id]
        )
        with freeze_time("2025-01-12 12:00"):
            self.env["erpconnect.demand.upkeep"]._reconcile(self.company)
        self.assertEqual(self._rows(), expected)

    def test_kpis(self):
        # January 2025 up to today, 01-31: 3 deliveries done, 1 late (O1's backorder);
        # first deliveries: O1 1 day, O2 2 1/12 days; complete orders: O1 3 13/24, O2 2 1/12
        with freeze_time("2025-01-31 12:00"):
            metrics = self.env["erpconnect.kpi"].with_user(self.viewer).get_metrics(30)
        values = {metric["code"]: metric["value"] for metric in metrics}
        self.assertAlmostEqual(values["late_delivery_rate"], 100 / 3, places=2)
        self.assertAlmostEqual(values["on_time_delivery_rate"], 200 / 3, places=2)
        self.assertAlmostEqual(values["order_processing_time"], (1 + 2 + 2 / 24) / 2, places=3)
        self.assertAlmostEqual(values["order_cycle_time"], (3 + 13 / 24 + 2 + 2 / 24) / 2, places=3)
