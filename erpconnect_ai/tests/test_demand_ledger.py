"""The daily demand ledger kept by hand-checked business events.

Company "Ledger Co" (time zone Europe/Brussels, UTC+2 in June), one warehouse. Today is Thursday
2025-06-12, 09:00 UTC. Events (UTC times, local days in brackets):

- 06-02 10:00 [06-02]  30 A received into stock
- 06-05 08:00 [06-05]  O1 to Alice confirmed: A 2 dozen at 120 / dozen (= 24 units, 240), S 1 × 50
- 06-05 22:30 [06-06]  O2 to Bob confirmed: A 5 × 10 (the local day is the next one)
- 06-06 09:00 [06-06]  O3 to Alice confirmed: A 3 × 10, cancelled at 12:00
- 06-07 10:00 [06-07]  O1's delivery validated: 24 A leave
- 06-08 10:00 [06-08]  O4 to Bob confirmed: B 1 × 7 (B has never had stock)
- 06-09 10:00          O2's line changed from 5 to 6 units (60)

A and B are storable, S a service. Stock today: A 30 − 24 = 6, B 0.
"""

from datetime import date, datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase, new_test_user, tagged

from .common import confirmed_receipt

TODAY = datetime(2025, 6, 12, 9, 0)
COLUMNS = (
    "qty_ordered",
    "revenue",
    "order_line_count",
    "order_count",
    "customer_count",
    "qty_ordered_delivered",
    "qty_delivered",
    "delivered_revenue",
    "stock_change",
    "on_hand",
    "available",
)


@tagged("post_install", "-at_install")
class TestDemandLedger(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls.env["res.company"].create({"name": "Ledger Co"})
        cls.company.partner_id.tz = "Europe/Brussels"
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)])
        partners = cls.env["res.partner"].with_company(cls.company)
        cls.alice, cls.bob = partners.create([{"name": "Alice"}, {"name": "Bob"}])
        products = cls.env["product.product"].with_company(cls.company)
        common = {"company_id": cls.company.id, "taxes_id": [Command.clear()]}
        cls.product_a = products.create(
            dict(common, name="Ledger A", is_storable=True, list_price=10.0)
        )
        cls.product_b = products.create(
            dict(common, name="Ledger B", is_storable=True, list_price=7.0)
        )
        cls.service = products.create(
            dict(common, name="Ledger S", type="service", list_price=50.0)
        )
        dozen = cls.env.ref("uom.product_uom_dozen")
        a, b, s = cls.product_a, cls.product_b, cls.service

        with freeze_time("2025-06-02 10:00"):
            receipt = confirmed_receipt(cls.env, cls.company, cls.warehouse, a, 30, "Receipt")
            receipt.quantity = 30
            receipt.picked = True
            receipt._action_done()
        cls.o1 = cls._sell("2025-06-05 08:00", cls.alice, [(a, 2, 120.0, dozen), (s, 1, 50.0)])
        cls.o2 = cls._sell("2025-06-05 22:30", cls.bob, [(a, 5, 10.0)])
        o3 = cls._sell("2025-06-06 09:00", cls.alice, [(a, 3, 10.0)])
        with freeze_time("2025-06-06 12:00"):
            o3._action_cancel()
        with freeze_time("2025-06-07 10:00"):
            picking = cls.o1.picking_ids
            picking.action_assign()
            for move in picking.move_ids:
                move.quantity = move.product_uom_qty
                move.picked = True
            picking.button_validate()
        assert picking.state == "done", picking.state
        cls._sell("2025-06-08 10:00", cls.bob, [(b, 1, 7.0)])
        with freeze_time("2025-06-09 10:00"):
            cls.o2.order_line.product_uom_qty = 6
        cls.viewer = new_test_user(
            cls.env,
            "ledger_viewer",
            groups="erpconnect_ai.group_erpconnect_viewer",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )

    @classmethod
    def _sell(cls, moment, partner, lines):
        """An order of ``lines`` ``(product, qty, price[, unit])`` confirmed at ``moment``."""
        with freeze_time(moment):
            order = (
                cls.env["sale.order"]
                .with_company(cls.company)
                .create(
                    {
                        "partner_id": partner.id,
                        "company_id": cls.company.id,
                        "order_line": [
                            Command.create(
                                {
                                    "product_id": product.id,
                                    "product_uom_qty": qty,
                                    "price_unit": price,
                                    "tax_id": [Command.clear()],
                                    **({"product_uom": rest[0].id} if rest else {}),
                                }
                            )
                            for product, qty, price, *rest in lines
                        ],
                    }
                )
            )
            order.action_confirm()
        return order

    def _rows(self):
        """``{(product, day): (columns...)}`` of the company's ledger, warehouse checked (after
        the refresh that runs before a commit)."""
        self.env.cr.flush()
        rows = self.env["erpconnect.demand.daily"].search([("company_id", "=", self.company.id)])
        self.assertEqual(set(rows.warehouse_id.ids), {self.warehouse.id})
        return {
            (row.product_id, row.date): tuple(
                round(row[name], 6) if isinstance(row[name], float) else row[name]
                for name in COLUMNS
            )
            for row in rows
        }

    def test_rows_equal_the_hand_computed_ones_and_a_rebuild(self):
        a, b, s = self.product_a, self.product_b, self.service
        expected = {
            # receipt: +30; at the end of 06-02: 6 today − (−24 delivered on 06-07) = 30
            (a, date(2025, 6, 2)): (0, 0, 0, 0, 0, 0, 0, 0, 30, 30, True),
            # O1: 2 dozen = 24 units, 240; all 24 delivered since
            (a, date(2025, 6, 5)): (24, 240, 1, 1, 1, 24, 0, 0, 0, 30, True),
            (s, date(2025, 6, 5)): (1, 50, 1, 1, 1, 0, 0, 0, 0, 0, True),
            # O2 (local day 06-06) changed to 6 × 10 = 60; O3 cancelled does not count
            (a, date(2025, 6, 6)): (6, 60, 1, 1, 1, 0, 0, 0, 0, 30, True),
            # the delivery: 24 out at O1's price 240 / 24 = 10 each; stock 30 − 24 = 6
            (a, date(2025, 6, 7)): (0, 0, 0, 0, 0, 0, 24, 240, -24, 6, True),
            # B sold with nothing on hand: available (a sale), stock 0
            (b, date(2025, 6, 8)): (1, 7, 1, 1, 1, 0, 0, 0, 0, 0, True),
        }
        self.assertEqual(self._rows(), expected)

        # The nightly reconcile adds the stock-out days of B that passed (06-09 to 06-11,
        # yesterday): no stock, no sale. A full rebuild gives exactly those rows.
        upkeep = self.env["erpconnect.demand.upkeep"]
        with freeze_time(TODAY):
            upkeep._reconcile(self.company)
            reconciled = self._rows()
            stock_out = {(b, date(2025, 6, day)): (0,) * 9 + (0, False) for day in (9, 10, 11)}
            self.assertEqual(reconciled, {**expected, **stock_out})
            self.assertEqual(upkeep._rebuild(self.company), 9)
        self.assertEqual(self._rows(), reconciled)

    def test_readers(self):
        ledger = self.env["erpconnect.demand.daily"]
        first, last = date(2025, 6, 1), date(2025, 6, 11)
        history = ledger._history(self.company, first, last)
        # goods only (not the service S), days with an order line
        self.assertEqual(
            [
                (row.product_id, row.date.date(), row.qty, row.amount)
                for row in history.itertuples()
            ],
            [
                (self.product_a.id, date(2025, 6, 5), 24.0, 240.0),
                (self.product_a.id, date(2025, 6, 6), 6.0, 60.0),
                (self.product_b.id, date(2025, 6, 8), 1.0, 7.0),
            ],
        )
        deliveries = ledger._history(self.company, first, last, source="stock_move")
        self.assertEqual(
            [
                (row.product_id, row.date.date(), row.qty, row.amount)
                for row in deliveries.itertuples()
            ],
            [(self.product_a.id, date(2025, 6, 7), 24.0, 240.0)],
        )
        with freeze_time(TODAY):
            self.env["erpconnect.demand.upkeep"]._reconcile(self.company)
        for warehouse in (None, self.warehouse):
            unavailable = ledger._unavailable(self.company, first, last, warehouse=warehouse)
            self.assertEqual(
                [(row.product_id, row.date.date()) for row in unavailable.itertuples()],
                [(self.product_b.id, date(2025, 6, day)) for day in (9, 10, 11)],
            )

    def test_analysis_input_has_the_stock_out_days_and_the_holidays(self):
        """The pipeline's extraction (as the nightly run does it, yesterday = 06-11) carries the
        ledger's stock-out days and the company's public holidays over the look-back window and
        the forecast horizon."""
        calendar = self.company.resource_calendar_id
        other_calendar = self.env["resource.calendar"].create(
            {"name": "Other schedule", "company_id": self.company.id}
        )
        Leave = self.env["resource.calendar.leaves"]
        # global leaves, given in UTC: a full local day is 22:00 the day before to 21:59:59
        Leave.create(
            [
                {  # Whit Monday, in the look-back window
                    "name": "Whit Monday",
                    "calendar_id": calendar.id,
                    "company_id": self.company.id,
                    "date_from": datetime(2025, 6, 8, 22, 0),
                    "date_to": datetime(2025, 6, 9, 21, 59, 59),
                },
                {  # two days in the horizon, no schedule: every schedule of the company
                    "name": "Summer holiday",
                    "company_id": self.company.id,
                    "date_from": datetime(2025, 7, 13, 22, 0),
                    "date_to": datetime(2025, 7, 15, 21, 59, 59),
                },
                {  # another schedule's holiday: not the company's
                    "name": "Other",
                    "calendar_id": other_calendar.id,
                    "company_id": self.company.id,
                    "date_from": datetime(2025, 6, 2, 22, 0),
                    "date_to": datetime(2025, 6, 3, 21, 59, 59),
                },
                {  # after the horizon (06-11 + 60 days = 08-10)
                    "name": "Assumption",
                    "calendar_id": calendar.id,
                    "company_id": self.company.id,
                    "date_from": datetime(2025, 8, 14, 22, 0),
                    "date_to": datetime(2025, 8, 15, 21, 59, 59),
                },
            ]
        )
        # a resource's own leave is not a holiday
        employee = self.env["resource.resource"].create(
            {"name": "Somebody", "calendar_id": calendar.id, "company_id": self.company.id}
        )
        Leave.create(
            {
                "name": "Vacation",
                "calendar_id": calendar.id,
                "resource_id": employee.id,
                "company_id": self.company.id,
                "date_from": datetime(2025, 6, 4, 22, 0),
                "date_to": datetime(2025, 6, 5, 21, 59, 59),
            }
        )
        self.company.write({"erpconnect_lookback_days": 30, "erpconnect_horizon_days": 60})
        Run = self.env["erpconnect.run"].sudo().with_company(self.company)
        with freeze_time(TODAY):
            inputs = Run._extract_inputs(self.company, self.company._erpconnect_settings())
        self.assertEqual(inputs.as_of, date(2025, 6, 11))
        # the window 05-13..06-11: B had nothing from 06-09 (the day after its only sale)
        self.assertEqual(
            [(row.product_id, row.date.date()) for row in inputs.unavailable.itertuples()],
            [(self.product_b.id, date(2025, 6, day)) for day in (9, 10, 11)],
        )
        self.assertEqual(
            inputs.holidays,
            [date(2025, 6, 9), date(2025, 7, 14), date(2025, 7, 15)],
        )

    def test_pipeline_kpis_and_chart_agree(self):
        """One product, one period: the pipeline's history, the product's revenue, units and
        orders KPIs and the dashboard chart's history are the same figures.

        Period: the 10 days up to today 06-12 (06-03..06-12) for the KPIs; the look-back of 10
        days up to yesterday (06-02..06-11) for the pipeline and the chart: A sold nothing on
        06-02 nor today. A: O1 24 units for 240 on 06-05, O2 6 for 60 on 06-06 → 300, 30 units,
        2 orders. The company: + S 50 and B 7 → revenue 357, 32 units, orders O1, O2, O4 → 3.
        """
        a = self.product_a
        self.company.erpconnect_lookback_days = 10
        Run = self.env["erpconnect.run"].sudo().with_company(self.company)
        viewer = self.env(user=self.viewer, context={"allowed_company_ids": [self.company.id]})
        manager = new_test_user(
            self.env,
            "ledger_manager",
            groups="erpconnect_ai.group_erpconnect_manager,sales_team.group_sale_salesman",
            company_id=self.company.id,
            company_ids=[self.company.id],
        )
        with freeze_time(TODAY):
            inputs = Run._extract_inputs(self.company, self.company._erpconnect_settings())
            comparison = viewer["erpconnect.kpi"].get_comparison([a.id], days=10)
            metrics = {m["code"]: m["value"] for m in viewer["erpconnect.kpi"].get_metrics(10)}
            chart = (
                self.env["erpconnect.dashboard"]
                .with_user(manager)
                .with_company(self.company)
                .get_product_forecast_chart(a.id, history_days=10)
            )
        history = inputs.history_of([a.id])
        values = {
            code: value["value"] for code, value in comparison["products"][0]["values"].items()
        }
        self.assertEqual(
            (history["amount"].sum(), history["qty"].sum(), len(history)), (300, 30, 2)
        )
        self.assertEqual(
            (values["revenue_total"], values["units_sold"], values["order_count"]), (300, 30, 2)
        )
        self.assertEqual(sum(point["qty"] for point in chart["history"]), 30)
        self.assertEqual(
            [p["date"] for p in chart["history"] if p["qty"]], ["2025-06-05", "2025-06-06"]
        )
        self.assertEqual(
            (metrics["revenue_total"], metrics["units_sold"], metrics["order_count"]), (357, 32, 3)
        )

    def test_viewer_reads_other_companies_not(self):
        self.env.cr.flush()
        rows = self.env["erpconnect.demand.daily"].with_user(self.viewer).search([])
        self.assertEqual(rows.company_id, self.company)
        self.assertEqual(len(rows), 6)
