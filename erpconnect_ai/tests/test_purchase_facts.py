from datetime import date, datetime, timedelta
from math import sqrt

from freezegun import freeze_time

from odoo import Command
from odoo.tests import tagged

from .common import NOW, TODAY, ErpconnectCase


@tagged("post_install", "-at_install")
class TestPurchaseFacts(ErpconnectCase):
    """Odoo's purchase facts read in bulk: the vendor line as ``_select_seller`` picks it, lot
    sizes in the product unit, lead times as the reorder rules count them, measured lead times."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Facts = cls.env["erpconnect.purchase.facts"]
        cls.company.write({"po_lead": 1.0, "days_to_purchase": 2.0})
        Partner = cls.env["res.partner"].with_company(cls.company)
        cls.vendor_c = Partner.create({"name": "Facts Vendor C", "company_id": cls.company.id})
        cls.vendor_gone = Partner.create({"name": "Facts Vendor Gone", "active": False})
        cls.eur = cls.env.ref("base.EUR")
        cls.eur.active = True
        currency = cls.company.currency_id
        if currency == cls.eur:
            cls.eur = cls.env.ref("base.USD")
            cls.eur.active = True
        # 1 company currency = 2 units of the other: a price of 60 there is 30 here.
        cls.env["res.currency.rate"].create(
            {
                "currency_id": cls.eur.id,
                "rate": 2.0,
                "name": date(2024, 1, 1),
                "company_id": cls.company.id,
            }
        )
        cls.env["res.currency.rate"].search(
            [("currency_id", "=", currency.id), ("company_id", "in", [cls.company.id, False])]
        ).unlink()
        # A product sold by the unit and bought by the dozen (rounding 0.01 dozen).
        cls.bolt = cls._product("Facts Bolt", cls.uom_unit, cls.uom_dozen)
        cls.sellers = cls.env["product.supplierinfo"].create(
            [
                # vendor A: 100/dozen from 0 dozen, 90 from 5 dozens, 80 from 10 dozens but
                # expired, 70 from 2 dozens starting in 30 days
                cls._seller(cls.bolt, cls.vendor_a, 1, 0.0, 100.0, delay=5),
                cls._seller(cls.bolt, cls.vendor_a, 1, 5.0, 90.0, delay=6),
                cls._seller(
                    cls.bolt, cls.vendor_a, 1, 10.0, 80.0, date_end=TODAY - timedelta(days=1)
                ),
                cls._seller(
                    cls.bolt, cls.vendor_a, 1, 2.0, 70.0, date_start=TODAY + timedelta(days=30)
                ),
                # vendor B second in sequence, cheaper: chosen only when A has no line
                cls._seller(cls.bolt, cls.vendor_b, 2, 0.0, 50.0, delay=9),
                cls._seller(cls.bolt, cls.vendor_b, 2, 20.0, 60.0, currency=cls.eur),
                # first in sequence but archived or of another company: never chosen
                cls._seller(cls.bolt, cls.vendor_gone, 0, 0.0, 1.0),
                cls._seller(cls.bolt, cls.vendor_c, 0, 0.0, 1.0, company=cls.company_b),
            ]
        )
        # vendor B first, its cheapest line in another currency (60 x 0.5 = 30 < 40)
        cls.nut = cls._product("Facts Nut", cls.uom_unit, cls.uom_unit)
        cls.env["product.supplierinfo"].create(
            [
                cls._seller(cls.nut, cls.vendor_b, 1, 0.0, 40.0),
                cls._seller(cls.nut, cls.vendor_b, 1, 0.0, 60.0, currency=cls.eur),
                cls._seller(cls.nut, cls.vendor_a, 1, 100.0, 5.0),
                cls._seller(cls.nut, cls.vendor_c, 3, 0.0, 45.0, discount=50.0),
            ]
        )
        # Two variants: a line for the red one only, a line for both.
        attribute = cls.env["product.attribute"].create(
            {
                "name": "Facts Colour",
                "value_ids": [Command.create({"name": "Red"}), Command.create({"name": "Blue"})],
            }
        )
        template = cls.env["product.template"].create(
            {
                "name": "Facts Paint",
                "is_storable": True,
                "company_id": cls.company.id,
                "attribute_line_ids": [
                    Command.create(
                        {
                            "attribute_id": attribute.id,
                            "value_ids": [Command.set(attribute.value_ids.ids)],
                        }
                    )
                ],
            }
        )
        cls.red, cls.blue = template.product_variant_ids
        cls.env["product.supplierinfo"].create(
            [
                cls._seller(cls.red, cls.vendor_c, 1, 0.0, 3.0, variant=cls.red),
                cls._seller(cls.red, cls.vendor_a, 2, 0.0, 4.0),
            ]
        )
        cls.orphan = cls._product("Facts Orphan", cls.uom_unit, cls.uom_unit)

    @classmethod
    def _product(cls, name, uom, uom_po):
        return cls.env["product.product"].create(
            {
                "name": name,
                "is_storable": True,
                "uom_id": uom.id,
                "uom_po_id": uom_po.id,
                "company_id": cls.company.id,
            }
        )

    @classmethod
    def _seller(
        cls,
        product,
        vendor,
        sequence,
        min_qty,
        price,
        delay=1,
        date_start=False,
        date_end=False,
        currency=None,
        company=None,
        discount=0.0,
        variant=None,
    ):
        return {
            "product_tmpl_id": product.product_tmpl_id.id,
            "product_id": variant.id if variant else False,
            "partner_id": vendor.id,
            "sequence": sequence,
            "min_qty": min_qty,
            "price": price,
            "discount": discount,
            "delay": delay,
            "date_start": date_start,
            "date_end": date_end,
            "currency_id": (currency or cls.company.currency_id).id,
            "company_id": (company or cls.company).id,
        }

    def _odoo_choice(self, product, quantity, day):
        """What Odoo's purchase rule picks: ``_select_seller`` with the quantity and date, else
        (with a quantity) the first vendor line of the company (``stock.rule._run_buy``)."""
        product = product.with_company(self.company)
        seller = product._select_seller(quantity=quantity, date=day, uom_id=product.uom_id)
        if not seller and quantity is not None:
            seller = product._prepare_sellers(False).filtered(
                lambda s: not s.company_id or s.company_id == self.company
            )[:1]
        return seller.id or None

    def test_vendor_choice_equals_odoo_select_seller(self):
        """Every product × quantity (product unit; None = no minimum checked) × date."""
        products = self.bolt | self.nut | self.red | self.blue | self.orphan
        Facts = self.Facts.with_company(self.company)
        units = Facts._read_units(products.ids)
        sellers = Facts._read_sellers(
            self.company, sorted({unit["template_id"] for unit in units.values()})
        )
        checked = 0
        with freeze_time(NOW):
            for day in (TODAY, TODAY + timedelta(days=30), TODAY + timedelta(days=400)):
                for quantity in (None, 0.0, 1.0, 12.0, 24.0, 41.0, 59.0, 60.0, 61.0, 120.0, 241.0):
                    quantities = None if quantity is None else dict.fromkeys(products.ids, quantity)
                    ours = Facts._select_sellers(self.company, units, sellers, day, quantities)
                    for product in products:
                        expected = self._odoo_choice(product, quantity, day)
                        got = ours[product.id]["id"] if ours[product.id] else None
                        self.assertEqual(
                            got, expected, "%s, qty %s, %s" % (product.name, quantity, day)
                        )
                        checked += 1
        self.assertEqual(checked, 3 * 11 * 5)
        # Some hand-checked cases of that grid, at TODAY:
        pick = Facts._select_sellers
        bolt = {self.bolt.id: units[self.bolt.id]}
        # No quantity: vendor A (first in sequence), its cheapest valid line: 90 from 5 dozens.
        self.assertEqual(
            pick(self.company, bolt, sellers, TODAY)[self.bolt.id]["price_company"], 90.0
        )
        # 41 units = 3.42 dozens (rounded up): only A's line from 0 dozen fits: 100.
        line = pick(self.company, bolt, sellers, TODAY, {self.bolt.id: 41.0})[self.bolt.id]
        self.assertEqual(line["price_company"], 100.0)
        # 60 units = 5 dozens: A's line from 5 dozens (90).
        line = pick(self.company, bolt, sellers, TODAY, {self.bolt.id: 60.0})[self.bolt.id]
        self.assertEqual(line["price_company"], 90.0)
        # Nut without quantity: sequence ties, the biggest minimum first: vendor A (5.0).
        nut = {self.nut.id: units[self.nut.id]}
        line = pick(self.company, nut, sellers, TODAY)[self.nut.id]
        self.assertEqual((line["partner_id"], line["price_company"]), (self.vendor_a.id, 5.0))
        # For 1 unit A's line (minimum 100) does not fit: vendor B, its line in the other
        # currency, 60 x 0.5 = 30, beats its 40.
        line = pick(self.company, nut, sellers, TODAY, {self.nut.id: 1.0})[self.nut.id]
        self.assertEqual((line["partner_id"], line["price_company"]), (self.vendor_b.id, 30.0))

    def test_facts_lot_sizes_and_lead_time(self):
        """Bolt: vendor A's 90/dozen line (5 dozens minimum), bought by the dozen; a purchase
        packaging of 24 units and another of 6 later in sequence; company lead days 1 + 2."""
        packagings = self.env["product.packaging"].create(
            [
                dict(values, product_id=self.bolt.id, company_id=self.company.id)
                for values in [
                    {"name": "Box", "qty": 24.0, "sequence": 1},
                    {"name": "Bag", "qty": 6.0, "sequence": 2},
                    {"name": "Pallet (sales)", "qty": 1200.0, "sequence": 0, "purchase": False},
                ]
            ]
        )
        self.vendor_a.with_company(self.company).write(
            {"erpconnect_review_days": 7, "erpconnect_min_order_value": 500.0}
        )
        with freeze_time(NOW):
            facts = self.Facts.with_company(self.company)._get_purchase_facts(
                self.company, [self.bolt.id, self.orphan.id]
            )
        bolt, orphan = facts.to_dict("records")
        self.assertEqual(bolt["vendor_id"], self.vendor_a.id)
        self.assertEqual(bolt["supplierinfo_id"], self.sellers[1].id)
        # 90 a dozen = 7.5 a unit; 5 dozens = 60 units; dozens are counted: whole dozens,
        # 12 units.
        self.assertAlmostEqual(bolt["vendor_price"], 7.5)
        self.assertAlmostEqual(bolt["min_qty"], 60.0)
        self.assertAlmostEqual(bolt["rounding"], 12.0)
        self.assertAlmostEqual(bolt["purchase_uom_ratio"], 12.0)
        self.assertEqual(bolt["purchase_uom_id"], self.uom_dozen.id)
        # First purchase packaging by sequence: the box of 24 (the pallet is not for purchase).
        self.assertEqual((bolt["packaging_id"], bolt["multiple"]), (packagings[0].id, 24.0))
        # Lead time: delay 6 of that line + po_lead 1 + days to purchase 2 = 9.
        self.assertEqual(bolt["vendor_delay"], 6.0)
        self.assertEqual(bolt["purchase_lead_days"], 3.0)
        self.assertEqual(bolt["lead_time_days"], 9.0)
        self.assertEqual((bolt["lead_time_std"], bolt["lead_time_source"]), (0.0, "vendor"))
        self.assertEqual((bolt["review_days"], bolt["vendor_min_order_value"]), (7.0, 500.0))
        # No vendor: no lead time (the analysis's default applies), no lot but the unit's.
        self.assertEqual(orphan["vendor_id"], 0)
        self.assertNotEqual(orphan["lead_time_days"], orphan["lead_time_days"])  # NaN
        # Units are counted: ordered whole (rounding 1, although the unit's own is 0.01).
        self.assertEqual(
            (orphan["min_qty"], orphan["multiple"], orphan["rounding"]), (0.0, 0.0, 1.0)
        )

        # The quantity to order picks the line: 41 units -> A's line from 0 dozen (100/dozen,
        # no minimum); 60 units keeps the 5-dozen line.
        with freeze_time(NOW):
            again = self.Facts._reselect_for_quantities(
                self.company, facts, {self.bolt.id: 41.0, self.orphan.id: 10.0}
            )
        bolt = again.iloc[0]
        self.assertEqual(bolt["supplierinfo_id"], self.sellers[0].id)
        self.assertAlmostEqual(bolt["vendor_price"], 100.0 / 12)
        self.assertEqual(bolt["min_qty"], 0.0)
        self.assertEqual(bolt["lead_time_days"], 9.0)  # lead time as the reorder rules count it
        self.assertEqual(again.iloc[1]["vendor_id"], 0)

    def test_reorder_rule_vendor_wins(self):
        rule = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.bolt.id,
                "location_id": self.warehouse.lot_stock_id.id,
                "warehouse_id": self.warehouse.id,
                "company_id": self.company.id,
                "supplier_id": self.sellers[4].id,  # vendor B, delay 9
            }
        )
        self.assertEqual(rule.vendor_id, self.vendor_b)
        with freeze_time(NOW):
            facts = self.Facts._get_purchase_facts(self.company, [self.bolt.id], self.warehouse)
        self.assertEqual(facts.iloc[0]["vendor_id"], self.vendor_b.id)
        self.assertEqual(facts.iloc[0]["lead_time_days"], 9.0 + 3.0)

    def _receive(self, product, vendor, approved, days):
        """A purchase order of 10 ``product`` from ``vendor`` confirmed at ``approved`` and
        received (done) ``days`` days later."""
        order = (
            self.env["purchase.order"]
            .with_company(self.company)
            .create(
                {
                    "partner_id": vendor.id,
                    "company_id": self.company.id,
                    "order_line": [Command.create({"product_id": product.id, "product_qty": 10.0})],
                }
            )
        )
        order.button_confirm()
        picking = order.picking_ids
        for move in picking.move_ids:
            move.quantity = move.product_uom_qty
        picking.move_ids.picked = True
        picking.button_validate()
        self.assertEqual(picking.state, "done")
        order.date_approve = approved
        picking.date_done = approved + timedelta(days=days)
        return order

    def test_measured_lead_time(self):
        """Three receipts of the nut from vendor A (its vendor), 5, 7 and 12 days after
        confirmation.

        mean = (5 + 7 + 12) / 3 = 8; deviations -3, -1, 4; sum of squares 9 + 1 + 16 = 26;
        sample σ = sqrt(26 / (3 - 1)) = sqrt(13) = 3.6056 (n - 1: the spread of the vendor's
        next lead times, estimated from a sample of three; the population σ sqrt(26 / 3) = 2.94
        would understate it). 8 days is longer than A's announced delay (1): the measured mean
        is the lead time, plus the company's 3 purchase lead days.
        """
        start = datetime(2024, 5, 1, 9, 0)
        for offset, days in enumerate((5, 7, 12)):
            self._receive(self.nut, self.vendor_a, start + timedelta(days=10 * offset), days)
        # An order confirmed but not received, and another vendor's receipt: not counted.
        self.env["purchase.order"].with_company(self.company).create(
            {
                "partner_id": self.vendor_a.id,
                "order_line": [Command.create({"product_id": self.nut.id, "product_qty": 1.0})],
            }
        ).button_confirm()
        self._receive(self.bolt, self.vendor_c, start, 30)
        with freeze_time(NOW):
            facts = self.Facts._get_purchase_facts(self.company, [self.nut.id])
        nut = facts.iloc[0]
        self.assertEqual(nut["measured_receipts"], 3)
        self.assertAlmostEqual(nut["measured_lead_time"], 8.0)
        self.assertAlmostEqual(nut["measured_lead_time_std"], sqrt(13))
        self.assertAlmostEqual(nut["lead_time_std"], sqrt(13))
        self.assertEqual(nut["lead_time_source"], "measured")
        self.assertAlmostEqual(nut["lead_time_days"], 8.0 + 3.0)

        # A product of vendor A never received from it: A's receipts of any product count.
        self.env["product.supplierinfo"].create(
            self._seller(self.orphan, self.vendor_a, 1, 0.0, 2.0, delay=10)
        )
        with freeze_time(NOW):
            facts = self.Facts._get_purchase_facts(self.company, [self.orphan.id])
        orphan = facts.iloc[0]
        self.assertEqual(orphan["measured_receipts"], 3)
        self.assertAlmostEqual(orphan["measured_lead_time_std"], sqrt(13))
        # Measured 8 days is shorter than the announced 10: the announced delay stays.
        self.assertEqual(orphan["lead_time_source"], "vendor")
        self.assertAlmostEqual(orphan["lead_time_days"], 10.0 + 3.0)
