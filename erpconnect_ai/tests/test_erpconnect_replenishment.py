import math
from math import sqrt
from statistics import NormalDist
from unittest.mock import patch

import pandas as pd
from psycopg2.errors import LockNotAvailable

from odoo import Command
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.erpconnect_ai.models.analysis_input import AnalysisInput

from .common import AS_OF, ErpconnectCase


@tagged("post_install", "-at_install")
class TestErpconnectReplenishment(ErpconnectCase):
    """Reorder suggestions: values for known demand/stock/lead time, and the Manager actions."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._set_settings(stock_policy="days", safety_days=3)
        cls.user_manager.groups_id = [Command.link(cls.env.ref("purchase.group_purchase_user").id)]
        cls.other_manager = new_test_user(
            cls.env,
            "erpc_manager_2",
            groups="erpconnect_ai.group_erpconnect_manager,purchase.group_purchase_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        cls.products = cls.env["product.product"].create(
            [
                {
                    "name": "Repl %s" % code,
                    "is_storable": True,
                    "standard_price": 2.0,
                    "company_id": cls.company.id,
                }
                for code in ("P1", "P2", "P3", "P4", "P5", "P6")
            ]
        )
        cls.p1, cls.p2, cls.p3, cls.p4, cls.p5, cls.p6 = cls.products
        # (product, avg daily demand, on hand, incoming, lead time days, vendor)
        cls.situations = [
            (cls.p1, 4.0, 10.0, 0.0, 5.0, cls.vendor_a),
            (cls.p2, 3.0, 35.0, 0.0, 4.0, cls.vendor_a),
            (cls.p3, 4.0, 100.0, 0.0, 5.0, cls.vendor_a),
            (cls.p4, 2.0, 6.0, 4.0, 10.0, cls.vendor_b),
            (cls.p5, 1.0, 0.0, 0.0, 7.0, None),
            (cls.p6, 5.0, 5.0, 0.0, 2.0, cls.vendor_a),
        ]
        # The vendor and lead time come from the products' vendor lines (purchase facts): one
        # line per product with a vendor, its delay the lead time, its price the cost.
        cls.env["product.supplierinfo"].create(
            [
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "partner_id": vendor.id,
                    "delay": int(lead_time),
                    "price": 2.0,
                    "company_id": cls.company.id,
                }
                for product, _demand, _on_hand, _incoming, lead_time, vendor in cls.situations
                if vendor
            ]
        )
        cls.settings = cls.company._erpconnect_settings()
        # Purchase facts: vendor A sells the rivet from 50, delay 7, in packs of 12; vendor B
        # sells the washer (sold by the unit) by the whole dozen, delay 7. No company lead days.
        cls.company.write({"po_lead": 0.0, "days_to_purchase": 0.0})
        cls.rivet, cls.washer = cls.env["product.product"].create(
            [
                {
                    "name": name,
                    "is_storable": True,
                    "standard_price": 2.0,
                    "uom_po_id": uom_po.id,
                    "company_id": cls.company.id,
                }
                for name, uom_po in (("Repl Rivet", cls.uom_unit), ("Repl Washer", cls.uom_dozen))
            ]
        )
        cls.env["product.supplierinfo"].create(
            [
                {
                    "product_tmpl_id": product.product_tmpl_id.id,
                    "partner_id": vendor.id,
                    "min_qty": min_qty,
                    "delay": 7,
                    "price": price,
                    "company_id": cls.company.id,
                }
                for product, vendor, min_qty, price in (
                    (cls.rivet, cls.vendor_a, 50.0, 2.0),
                    (cls.washer, cls.vendor_b, 0.0, 24.0),  # 24 a dozen
                )
            ]
        )
        cls.env["product.packaging"].create(
            {
                "name": "Pack of 12",
                "product_id": cls.rivet.id,
                "qty": 12.0,
                "company_id": cls.company.id,
            }
        )

    # ------------------------------------------------------------------ helpers

    def _inputs(self, situations, settings=None, summary=None):
        """AnalysisInput of ``situations``: each product sold its daily demand every day of
        the 60 days up to AS_OF; the forecast summary says the same demand."""
        days = pd.date_range(end=AS_OF, periods=60, freq="D")
        history = pd.DataFrame(
            [
                {"product_id": product.id, "date": day, "qty": demand, "amount": demand * 5.0}
                for product, demand, *_rest in situations
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
                    "lead_time_days": lead_time,
                    "vendor_id": vendor.id if vendor else 0,
                    "list_price": 5.0,
                    "standard_price": 2.0,
                    "is_storable": True,
                }
                for product, _demand, on_hand, incoming, lead_time, vendor in situations
            ]
        )
        if summary is None:
            summary = pd.DataFrame(
                [{"product_id": s[0].id, "daily_demand": s[1]} for s in situations]
            )
        return AnalysisInput(
            company_id=self.company.id,
            as_of=AS_OF,
            settings=settings or self.settings,
            history=history,
            products=products,
            warehouse_id=self.warehouse.id,
            forecast_summary=summary,
        )

    def _publish(self, inputs):
        """Stage and publish a run for ``inputs`` as the pipeline does; returns the run."""
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        Replenishment = self.env["erpconnect.replenishment"].sudo().with_company(self.company)
        Replenishment._run_step(run, inputs)
        Replenishment._publish_run(run)
        return run

    def _suggestion(self, product):
        return self.env["erpconnect.replenishment"].search(
            [("product_id", "=", product.id), ("company_id", "=", self.company.id)]
        )

    # ------------------------------------------------------------------ values

    def test_analysis_run_gives_hand_computed_suggestions(self):
        """The whole pipeline on the company of common.py (moving average, days policy)."""
        run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        # Steady: 4 a day → d = 4; vendor A delay 5; 3 safety days: ROP = 4·5 + 4·3 = 32.
        # Position 40 on hand + 20 incoming = 60 ≥ 32: nothing to order; 60 / 4 = 15 days > 14
        # → OK.
        steady = self._suggestion(self.steady)
        self.assertRecordValues(
            steady,
            [
                {
                    "avg_daily_demand": 4.0,
                    "lead_time_days": 5.0,
                    "reorder_point": 32.0,
                    "on_hand_qty": 40.0,
                    "incoming_qty": 20.0,
                    "suggested_qty": 0.0,
                    "days_of_coverage": 15.0,
                    "urgency": "OK",
                    "vendor_id": self.vendor_a.id,
                    "warehouse_id": self.warehouse.id,
                    "run_id": run.id,
                }
            ],
        )
        # Weekly: one Monday of 14 in the last 7 days → d = 2; no vendor → default lead time 7:
        # ROP = 2·7 + 2·3 = 20; nothing on hand → order 20 now.
        weekly = self._suggestion(self.weekly)
        self.assertEqual(
            (weekly.reorder_point, weekly.suggested_qty, weekly.urgency, weekly.vendor_id.id),
            (20.0, 20.0, "ORDER_NOW", False),
        )
        # Dozen: nothing sold in the last 7 days → d = 0, ROP 0, never runs out; its 100 on hand
        # are above the order-up-to level 0 by more than 30 days of demand (0) and one minimum
        # order (none): 100 in excess, at the cost of 2.5 (60 / 12 / 2).
        dozen = self._suggestion(self.dozen)
        self.assertEqual((dozen.reorder_point, dozen.urgency), (0.0, "EXCESS"))
        self.assertEqual((dozen.excess_qty, dozen.excess_value), (100.0, 250.0))
        self.assertEqual(dozen.days_of_coverage, 9999.0)
        self.assertFalse(self._suggestion(self.unsold), "no sale, no suggestion")
        # Applying sets the reorder rule of the warehouse's stock location to 20/20.
        weekly.with_user(self.user_manager).action_apply_to_reorder_rules()
        rule = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "=", self.weekly.id), ("company_id", "=", self.company.id)]
        )
        self.assertEqual(
            (rule.location_id, rule.product_min_qty, rule.product_max_qty),
            (self.warehouse.lot_stock_id, 20.0, 20.0),
        )
        with self.assertRaises(UserError):
            weekly.with_user(self.user_manager).action_create_rfqs()

    def test_days_policy_values(self):
        self._publish(self._inputs(self.situations))
        # P1: d 4, L 5, 3 safety days → SS = 4·3 = 12, ROP = 4·5 + 12 = 32 = order-up-to;
        # position 10 < 32 → suggested 32 − 10 = 22, ORDER_NOW; coverage 10 / 4 = 2.5 days.
        p1 = self._suggestion(self.p1)
        self.assertRecordValues(
            p1,
            [
                {
                    "safety_stock": 12.0,
                    "reorder_point": 32.0,
                    "order_up_to": 32.0,
                    "suggested_qty": 22.0,
                    "suggested_value": 44.0,  # 22 × cost 2
                    "days_of_coverage": 2.5,
                    "urgency": "ORDER_NOW",
                    "policy": "days",
                    "vendor_id": self.vendor_a.id,
                    "warehouse_id": self.warehouse.id,
                    "state": "new",
                }
            ],
        )
        # P2: d 3, L 4 → ROP = 12 + 9 = 21; 35 ≥ 21 → nothing to order; 35 / 3 = 11.67 days ≤ 14
        # → WATCH.
        p2 = self._suggestion(self.p2)
        self.assertEqual((p2.reorder_point, p2.suggested_qty, p2.urgency), (21.0, 0.0, "WATCH"))
        self.assertAlmostEqual(p2.days_of_coverage, 35 / 3, places=1)
        # P3: 100 / 4 = 25 days > 14 → OK.
        self.assertEqual(self._suggestion(self.p3).urgency, "OK")
        # P4: d 2, L 10 → ROP = 20 + 6 = 26; position = 6 on hand + 4 incoming = 10 → 16.
        p4 = self._suggestion(self.p4)
        self.assertEqual((p4.reorder_point, p4.suggested_qty), (26.0, 16.0))
        self.assertEqual((p4.on_hand_qty, p4.incoming_qty, p4.urgency), (6.0, 4.0, "ORDER_NOW"))

    def test_service_policy_uses_forecast_error_spread(self):
        """σ of the daily forecast error is the engine's ``sigma_daily`` (not recomputed from
        the 95 % interval)."""
        sigma = 2.0
        summary = pd.DataFrame(
            [
                {
                    "product_id": self.p1.id,
                    "daily_demand": 4.0,
                    "qty_7d": 28.0,
                    # an interval that would give another σ if it were read: the engine's σ wins
                    "upper_7d": 28.0 + 1.96 * sqrt(7) * 3 * sigma,
                    "sigma_daily": sigma,
                }
            ]
        )
        inputs = self._inputs(
            self.situations[:1], dict(self.settings, stock_policy="service"), summary
        )
        inputs.segments = pd.DataFrame([{"product_id": self.p1.id, "abc": "A"}])
        self._publish(inputs)
        # Class A → 98% → z = Φ⁻¹(0.98); SS = z·σ·√L = z·2·√5; ROP = 4·5 + SS.
        z = NormalDist().inv_cdf(0.98)
        safety = z * sigma * sqrt(5)
        suggestion = self._suggestion(self.p1)
        self.assertEqual(suggestion.policy, "service")
        self.assertAlmostEqual(suggestion.service_level, 0.98)
        self.assertAlmostEqual(suggestion.safety_stock, safety, places=2)
        self.assertAlmostEqual(suggestion.reorder_point, 20 + safety, places=2)
        # 20 + 5.88 - 10 = 15.88 units, ordered whole: 16.
        self.assertAlmostEqual(suggestion.suggested_qty, math.ceil(20 + safety - 10))

    def test_non_storable_and_unsold_products_get_no_suggestion(self):
        inputs = self._inputs(self.situations[:2])
        inputs.products.loc[inputs.products["product_id"] == self.p2.id, "is_storable"] = False
        self._publish(inputs)
        self.assertTrue(self._suggestion(self.p1))
        self.assertFalse(self._suggestion(self.p2))
        self.assertFalse(self._suggestion(self.p3))

    def test_minimum_and_packaging_give_an_rfq_line_of_60_for_a_need_of_41(self):
        """Days policy, 3 safety days: d = 5, L = 7 (the vendor line's delay; no company lead
        days; the frame's lead time 99 is not used): reorder point = order-up-to = 5 x 7 +
        5 x 3 = 50. On hand 9: need 50 - 9 = 41, raised to the minimum 50, then to the next
        multiple of 12: 60.

        Washer: the same need of 41 units bought by the whole dozen: 4 dozens = 48 units; the
        RFQ line says 4 dozens."""
        self._publish(
            self._inputs(
                [
                    (self.rivet, 5.0, 9.0, 0.0, 99.0, None),
                    (self.washer, 5.0, 9.0, 0.0, 99.0, None),
                ]
            )
        )
        rivet, washer = self._suggestion(self.rivet), self._suggestion(self.washer)
        self.assertEqual((rivet.reorder_point, rivet.order_up_to), (50.0, 50.0))
        self.assertEqual((rivet.lead_time_days, rivet.lead_time_source), (7.0, "vendor"))
        self.assertEqual((rivet.vendor_id, washer.vendor_id), (self.vendor_a, self.vendor_b))
        self.assertEqual((rivet.min_qty, rivet.order_multiple), (50.0, 12.0))
        self.assertEqual((rivet.suggested_qty, rivet.urgency), (60.0, "ORDER_NOW"))
        self.assertEqual(washer.suggested_qty, 48.0)
        self.assertEqual(
            (washer.suggested_purchase_qty, washer.purchase_uom_id), (4.0, self.uom_dozen)
        )
        # Value at the vendor's price per product unit: 60 x 2 = 120; 24 a dozen = 2 a unit.
        self.assertEqual((rivet.suggested_value, washer.suggested_value), (120.0, 96.0))
        action = (rivet | washer).with_user(self.user_manager).action_create_rfqs()
        lines = self.env["purchase.order"].search(action["domain"]).order_line
        by_product = {line.product_id: line for line in lines}
        self.assertEqual(
            (by_product[self.rivet].product_qty, by_product[self.rivet].product_uom),
            (60.0, self.uom_unit),
        )
        self.assertEqual(
            (by_product[self.washer].product_qty, by_product[self.washer].product_uom),
            (4.0, self.uom_dozen),
        )
        self.assertEqual(rivet.purchase_line_id, by_product[self.rivet])

    def test_excess(self):
        """d = 2, L = 7, 3 safety days: order-up-to 20. On hand 200 + 40 incoming = 240; the
        margin is 30 days of demand (60) and one minimum order (50): excess 240 - 20 - 110 =
        110 units, at the cost of 2: 220."""
        self._publish(self._inputs([(self.rivet, 2.0, 200.0, 40.0, 7.0, None)]))
        rivet = self._suggestion(self.rivet)
        self.assertEqual((rivet.urgency, rivet.suggested_qty), ("EXCESS", 0.0))
        self.assertEqual((rivet.excess_qty, rivet.excess_value), (110.0, 220.0))

    def test_forecast_policy_covers_the_vendor_review_period(self):
        """Forecast policy, vendor A reviewed weekly: protection = 7 + 7 = 14 days; 5 a day
        every day: the moving average forecasts 5 a day, 5 x 14 = 70 over the protection."""
        self.vendor_a.with_company(self.company).erpconnect_review_days = 7
        settings = dict(self.settings, stock_policy="forecast", forecast_method="moving_average")
        self._publish(self._inputs([(self.rivet, 5.0, 9.0, 0.0, 7.0, None)], settings))
        rivet = self._suggestion(self.rivet)
        self.assertEqual((rivet.review_days, rivet.protection_days), (7.0, 14.0))
        self.assertEqual(rivet.policy, "forecast")
        self.assertAlmostEqual(rivet.protection_demand, 70.0)

    def test_no_vendor_uses_the_default_lead_time(self):
        self._publish(self._inputs([self.situations[4]]))
        p5 = self._suggestion(self.p5)
        self.assertEqual(p5.lead_time_days, self.settings["default_lead_time"])
        self.assertEqual((p5.lead_time_source, p5.vendor_id.id), ("default", False))

    # ------------------------------------------------------------------ staging

    def test_staged_rows_are_hidden_until_published_and_replace_the_previous_run(self):
        first = self._publish(self._inputs(self.situations))
        Replenishment = self.env["erpconnect.replenishment"].sudo().with_company(self.company)
        second = self.env["erpconnect.run"].create({"company_id": self.company.id})
        Replenishment._run_step(second, self._inputs(self.situations[:2]))
        # Staged, not published: people still see the first run's six suggestions.
        current = Replenishment.search([("company_id", "=", self.company.id)])
        self.assertEqual(current.run_id, first)
        self.assertEqual(len(current), 6)
        Replenishment._discard_run(second)
        self.assertFalse(
            Replenishment.with_context(active_test=False).search([("run_id", "=", second.id)])
        )
        self.assertEqual(len(Replenishment.search([("company_id", "=", self.company.id)])), 6)
        third = self._publish(self._inputs(self.situations[:2]))
        current = Replenishment.search([("company_id", "=", self.company.id)])
        self.assertEqual(current.run_id, third)
        self.assertEqual(current.product_id, self.p1 | self.p2)

    # ------------------------------------------------------------------ actions

    def test_apply_sets_reorder_rules(self):
        self._publish(self._inputs(self.situations))
        stock = self.warehouse.lot_stock_id
        existing = self.env["stock.warehouse.orderpoint"].create(
            {
                "product_id": self.p2.id,
                "company_id": self.company.id,
                "warehouse_id": self.warehouse.id,
                "location_id": stock.id,
                "product_min_qty": 1.0,
                "product_max_qty": 5.0,
            }
        )
        suggestions = self._suggestion(self.p1) | self._suggestion(self.p2)
        action = suggestions.with_user(self.user_manager).action_apply_to_reorder_rules()
        rules = self.env["stock.warehouse.orderpoint"].search(
            [("product_id", "in", (self.p1 | self.p2).ids), ("location_id", "=", stock.id)]
        )
        self.assertEqual(len(rules), 2, "one rule created for P1, P2's rule updated")
        self.assertIn(existing, rules)
        # min = ROP, max = order-up-to: P1 32/32 (computed above), P2 21/21.
        by_product = {rule.product_id: rule for rule in rules}
        self.assertEqual(
            (by_product[self.p1].product_min_qty, by_product[self.p1].product_max_qty),
            (32.0, 32.0),
        )
        self.assertEqual((existing.product_min_qty, existing.product_max_qty), (21.0, 21.0))
        self.assertEqual(by_product[self.p1].warehouse_id, self.warehouse)
        self.assertEqual(suggestions.mapped("state"), ["applied", "applied"])
        self.assertEqual(suggestions.orderpoint_id, rules)
        self.assertEqual(sorted(action["domain"][0][2]), sorted(rules.ids))

    def test_create_rfqs_grouped_by_vendor(self):
        self._publish(self._inputs(self.situations))
        suggestions = (
            self._suggestion(self.p1)
            | self._suggestion(self.p3)  # OK, nothing to order: left out
            | self._suggestion(self.p4)
            | self._suggestion(self.p6)
        )
        action = suggestions.with_user(self.user_manager).action_create_rfqs()
        orders = self.env["purchase.order"].browse(action["domain"][0][2])
        self.assertEqual(len(orders), 2, "two vendors, two RFQs")
        self.assertEqual(set(orders.mapped("state")), {"draft"})
        lines = {
            order.partner_id: {line.product_id: line.product_qty for line in order.order_line}
            for order in orders
        }
        # P6: d 5, L 2 → ROP = 10 + 15 = 25, on hand 5 → 20. P1 22 and P4 16 as computed above.
        self.assertEqual(lines[self.vendor_a], {self.p1: 22.0, self.p6: 20.0})
        self.assertEqual(lines[self.vendor_b], {self.p4: 16.0})
        self.assertEqual(orders.company_id, self.company)
        self.assertEqual(orders.picking_type_id, self.warehouse.in_type_id)
        self.assertEqual(self._suggestion(self.p3).state, "new")
        self.assertEqual(self._suggestion(self.p1).purchase_order_id.partner_id, self.vendor_a)

    def test_create_rfqs_twice_orders_once(self):
        """Issue 14.4: a suggestion with an RFQ is not ordered again, by the same Manager (a
        double click) nor by another one; each suggestion is linked to its RFQ line."""
        self._publish(self._inputs(self.situations))
        p1, p6 = self._suggestion(self.p1), self._suggestion(self.p6)
        action = (p1 | p6).with_user(self.user_manager).action_create_rfqs()
        order = self.env["purchase.order"].browse(action["domain"][0][2])
        self.assertEqual(order.partner_id, self.vendor_a, "P1 and P6 share vendor A: one RFQ")
        # P1 22 and P6 20 to order (see test_create_rfqs_grouped_by_vendor).
        self.assertEqual(
            [(s.purchase_line_id.order_id, s.purchase_line_id.product_qty) for s in p1 | p6],
            [(order, 22.0), (order, 20.0)],
        )
        self.assertEqual((p1 | p6).purchase_line_id.product_id, self.p1 | self.p6)
        orders_before = self.env["purchase.order"].search_count([])
        lines_before = order.order_line.read(["product_id", "product_qty"])
        for user in (self.user_manager, self.other_manager):
            for selection in (p1, p1 | p6, p6 | self._suggestion(self.p4)):
                with self.subTest(user=user.login, selection=selection.product_id.mapped("name")):
                    with self.assertRaises(UserError) as caught:
                        selection.with_user(user).action_create_rfqs()
                    self.assertIn(order.name, str(caught.exception))
        # Nothing changed: no new RFQ, the same lines, P4 (refused with P6) not ordered either.
        self.assertEqual(self.env["purchase.order"].search_count([]), orders_before)
        self.assertEqual(order.order_line.read(["product_id", "product_qty"]), lines_before)
        self.assertEqual((p1 | p6).purchase_order_id, order)
        self.assertFalse(self._suggestion(self.p4).purchase_order_id)
        # Once its RFQ is cancelled, a suggestion may be ordered again.
        order.button_cancel()
        again = p1.with_user(self.other_manager).action_create_rfqs()
        new_order = self.env["purchase.order"].browse(again["domain"][0][2])
        self.assertNotEqual(new_order, order)
        self.assertEqual(p1.purchase_line_id.order_id, new_order)

    def test_create_rfqs_refused_while_another_transaction_holds_the_suggestions(self):
        """Issue 14.4: the suggestions are locked (FOR UPDATE NOWAIT) while their RFQs are made;
        when PostgreSQL refuses the lock because another transaction (another Manager's click)
        holds it, the caller gets a plain UserError and nothing is created."""
        self._publish(self._inputs(self.situations))
        p1 = self._suggestion(self.p1)
        cursor = self.env.cr
        execute = cursor.execute
        locked = []

        def execute_while_locked(query, params=None, log_exceptions=True):
            if isinstance(query, SQL) and "FOR UPDATE NOWAIT" in query.code:
                locked.append(list(query.params))
                raise LockNotAvailable("could not obtain lock on row in relation")
            return execute(query, params, log_exceptions)

        orders_before = self.env["purchase.order"].search_count([])
        with patch.object(cursor, "execute", execute_while_locked):
            with self.assertRaises(UserError) as caught:
                p1.with_user(self.other_manager).action_create_rfqs()
        self.assertEqual(locked, [[p1.ids]])
        self.assertIn("Another user is acting on these suggestions", str(caught.exception))
        self.assertEqual(self.env["purchase.order"].search_count([]), orders_before)
        self.assertRecordValues(p1, [{"state": "new", "purchase_order_id": False}])

    def test_draft_rfqs_count_as_ordered_in_the_next_run(self):
        self._publish(self._inputs(self.situations))
        self._suggestion(self.p1).with_user(self.user_manager).action_create_rfqs()
        self._publish(self._inputs(self.situations))
        # P1: the draft RFQ of 22 makes the position 10 + 22 = 32, not below the ROP 32: nothing
        # more to order; 32 / 4 = 8 days of coverage ≤ 14 → WATCH.
        p1 = self._suggestion(self.p1)
        self.assertRecordValues(
            p1,
            [
                {
                    "rfq_qty": 22.0,
                    "incoming_qty": 0.0,
                    "suggested_qty": 0.0,
                    "days_of_coverage": 8.0,
                    "urgency": "WATCH",
                    "state": "new",
                }
            ],
        )
        self.assertEqual(self._suggestion(self.p4).rfq_qty, 0.0)

    def test_create_rfqs_without_vendor_creates_nothing(self):
        self._publish(self._inputs(self.situations))
        suggestions = self._suggestion(self.p1) | self._suggestion(self.p5)
        orders_before = self.env["purchase.order"].search_count([])
        with self.assertRaises(UserError) as caught:
            suggestions.with_user(self.user_manager).action_create_rfqs()
        self.assertIn(self.p5.display_name, str(caught.exception))
        self.assertNotIn(self.p1.display_name, str(caught.exception))
        self.assertEqual(self.env["purchase.order"].search_count([]), orders_before)
        self.assertEqual(suggestions.mapped("state"), ["new", "new"])

    def test_dismiss(self):
        self._publish(self._inputs(self.situations))
        suggestion = self._suggestion(self.p1)
        suggestion.with_user(self.user_manager).action_dismiss()
        self.assertEqual(suggestion.state, "dismissed")
        with self.assertRaises(UserError):
            suggestion.with_user(self.user_manager).action_create_rfqs()
        listed = self.env["erpconnect.replenishment"].with_user(self.user_manager).get_suggestions()
        self.assertNotIn(suggestion.id, [row["id"] for row in listed])

    def test_viewer_cannot_act(self):
        self._publish(self._inputs(self.situations))
        suggestion = self._suggestion(self.p1).with_user(self.user_viewer)
        self.assertEqual(suggestion.reorder_point, 32.0, "a Viewer reads suggestions")
        for action in ("action_apply_to_reorder_rules", "action_create_rfqs", "action_dismiss"):
            with self.subTest(action=action), self.assertRaises(AccessError):
                getattr(suggestion, action)()
        with self.assertRaises(AccessError):
            suggestion.write({"state": "dismissed"})
        self.assertEqual(suggestion.state, "new")
        self.assertFalse(suggestion.sudo().orderpoint_id)

    # ------------------------------------------------------------------ JSON-RPC

    def test_get_suggestions(self):
        self._publish(self._inputs(self.situations))
        rows = self.env["erpconnect.replenishment"].with_user(self.user_viewer).get_suggestions()
        ours = [row for row in rows if row["company_id"] == self.company.id]
        self.assertEqual(len(ours), 6)
        urgencies = [row["urgency"] for row in ours]
        self.assertEqual(urgencies, sorted(urgencies, key=["ORDER_NOW", "WATCH", "OK"].index))
        p1 = next(row for row in ours if row["product_id"] == self.p1.id)
        self.assertEqual(
            (p1["reorder_point"], p1["suggested_qty"], p1["urgency"], p1["vendor_id"]),
            (32.0, 22.0, "ORDER_NOW", self.vendor_a.id),
        )
        limited = (
            self.env["erpconnect.replenishment"].with_user(self.user_viewer).get_suggestions(2)
        )
        self.assertEqual(len(limited), 2)
        for bad in (0, -1, "10", 2.5, True, None, 10**6):
            with self.subTest(limit=bad), self.assertRaises(ValidationError):
                self.env["erpconnect.replenishment"].get_suggestions(limit=bad)

    def test_empty_history_stages_nothing(self):
        inputs = self._inputs(self.situations)
        inputs.history = inputs.history.iloc[0:0]
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        count = self.env["erpconnect.replenishment"].sudo()._run_step(run, inputs)
        self.assertEqual(count, 0)
        self.assertFalse(
            self.env["erpconnect.replenishment"]
            .with_context(active_test=False)
            .search([("run_id", "=", run.id)])
        )
