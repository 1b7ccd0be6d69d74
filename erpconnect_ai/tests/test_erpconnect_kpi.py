"""KPIs of a small company built by hand, every value computed on paper below.

Today is Wednesday 2025-04-30. With ``days=30`` the period is 04-01..04-30, the previous one
03-02..03-31 and the base of the growth figures 01-31..03-01. Orders are confirmed at 10:00 UTC on
their day, deliveries validated at 10:00 UTC.

Products (company "KPI Co"; costs are standard prices, all sellable):

=====  ========  =====  ====  ==========  ============  ==================  ===============
code   type      list   cost  created     stock start   reorder rule        suggested ROP
=====  ========  =====  ====  ==========  ============  ==================  ===============
A      storable  100    60    2024-12-01  100           min 80, max 200     75
B      storable  50     20    2024-12-01  50            min 30, max 40      50
C      storable  30     10    2024-12-01  30            none                none
D      service   80     0     2024-12-01  -             -                   -
F      storable  40     25    2025-04-10  0             none                2
=====  ========  =====  ====  ==========  ============  ==================  ===============

Orders (customers: Acme, a company, with its contact John; Bob; Carol; Dave; Eve); "quoted" is
the day the quotation was created when it differs from the confirmation day:

=====  ============  ======  ======  ==========================  =========  =====================
order  confirmed     quoted  to      lines (qty × price)         committed  delivered (10:00)
=====  ============  ======  ======  ==========================  =========  =====================
E1     01-15                 Eve     C 3 × 30                               never
Q1     02-10                 Bob     A 5 × 100                              02-12, all
P1     03-05         03-04   Bob     A 8 × 100                   03-10      03-07, all
P2     03-15         03-14   Carol   B 10 × 50                   03-18      03-20, all, late
O1     04-03         04-01   John    A 10 × 100, D 1 × 80        04-05      04-04, all
O2     04-10                 Bob     B 20 × 50                   04-12      04-14, 15, late
O3     04-20         04-18   Acme    A 5 × 90, B 4 × 50                     04-22, all, late
O5     04-25                 Dave    F 2 × 45                               never (no stock)
O6     04-28                 Bob     A 1 × 100                              never
O4     04-08 cancel          Carol   A 100 × 100
quote  draft                 Dave    A 50 × 100
=====  ============  ======  ======  ==========================  =========  =====================

O2 leaves a backorder of 5. O3 has no commitment: it is due on its scheduled day, 04-20.

B also received 20 on 04-15. Stock today: A 100 − 5 − 8 − 10 − 5 = 72;
B 50 − 10 − 15 + 20 − 4 = 41; C 30; F 0. On 04-01 (end of the previous period): A 87, B 40, C 30;
on 03-02: A 95, B 50, C 30.
"""

from datetime import date, datetime
from unittest.mock import patch

import psycopg2
from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import TransactionCase, new_test_user, tagged

from odoo.addons.erpconnect_ai import uninstall_hook
from odoo.addons.erpconnect_ai.engine import kpi_catalog as catalog
from odoo.addons.erpconnect_ai.models import (
    erpconnect_kpi_cache,
    erpconnect_kpi_data,
    erpconnect_kpi_snapshot,
)

from .common import confirmed_receipt
from .kpi_expected import EXPECTED_30_DAYS, SCANNED_THROUGH

NOW = datetime(2025, 4, 30, 12, 0)


def at(day, hour=10):
    """``day`` ("MM-DD" of 2025, or a full ISO date) at ``hour``:00 UTC."""
    day = day if len(day) > 5 else "2025-" + day
    return datetime.fromisoformat(day).replace(hour=hour)


@tagged("post_install", "-at_install")
class TestErpconnectKpi(TransactionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.startClassPatcher(freeze_time(NOW))
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        main_company = cls.env.ref("base.main_company")
        cls.company = cls.env["res.company"].create({"name": "KPI Co"})
        cls.company_b = cls.env["res.company"].create({"name": "KPI Co B"})
        # The demo catalogue is shared by every company: give it to the main company so that this
        # company's catalogue is exactly the products built here.
        cls.env.cr.execute(
            "UPDATE product_template SET company_id = %s WHERE company_id IS NULL",
            [main_company.id],
        )
        cls.env.invalidate_all()
        cls.warehouse = cls.env["stock.warehouse"].search([("company_id", "=", cls.company.id)])

        partners = cls.env["res.partner"].with_company(cls.company)
        cls.acme = partners.create({"name": "Acme", "is_company": True})
        cls.john = partners.create({"name": "John", "parent_id": cls.acme.id})
        cls.bob, cls.carol, cls.dave, cls.eve = partners.create(
            [{"name": name} for name in ("Bob", "Carol", "Dave", "Eve")]
        )

        cls.product_a = cls._product("KPI A", 100, 60)
        cls.product_b = cls._product("KPI B", 50, 20)
        cls.product_c = cls._product("KPI C", 30, 10)
        cls.product_d = cls._product("KPI D", 80, 0, storable=False)
        cls.product_f = cls._product("KPI F", 40, 25, created="2025-04-10")
        quants = cls.env["stock.quant"].with_company(cls.company)
        for product, qty in ((cls.product_a, 100), (cls.product_b, 50), (cls.product_c, 30)):
            quants._update_available_quantity(product, cls.warehouse.lot_stock_id, qty)
        cls.env["stock.warehouse.orderpoint"].with_company(cls.company).create(
            [
                cls._rule(cls.product_a, 80, 200),
                cls._rule(cls.product_b, 30, 40),
            ]
        )

        a, b, c, d, f = (cls.product_a, cls.product_b, cls.product_c, cls.product_d, cls.product_f)
        cls._sell("01-15", cls.eve, [(c, 3, 30)])
        q1 = cls._sell("02-10", cls.bob, [(a, 5, 100)])
        p1 = cls._sell("03-05", cls.bob, [(a, 8, 100)], commitment="03-10", quoted="03-04")
        p2 = cls._sell("03-15", cls.carol, [(b, 10, 50)], commitment="03-18", quoted="03-14")
        o1 = cls._sell(
            "04-03", cls.john, [(a, 10, 100), (d, 1, 80)], commitment="04-05", quoted="04-01"
        )
        o2 = cls._sell("04-10", cls.bob, [(b, 20, 50)], commitment="04-12")
        o3 = cls._sell("04-20", cls.acme, [(a, 5, 90), (b, 4, 50)], quoted="04-18")
        cls._sell("04-25", cls.dave, [(f, 2, 45)])
        cls._sell("04-28", cls.bob, [(a, 1, 100)])
        cancelled = cls._sell("04-08", cls.carol, [(a, 100, 100)])
        cancelled._action_cancel()
        cls._quote(cls.dave, [(a, 50, 100)])

        cls._deliver(q1, "02-12")
        cls._deliver(p1, "03-07")
        cls._deliver(p2, "03-20")
        cls._deliver(o1, "04-04")
        cls._deliver(o2, "04-14", {b: 15})
        cls._receive(b, 20, "04-15")
        cls._deliver(o3, "04-22")

        cls._analysis_results()

        cls.company_b_product = cls._product("KPI B-H", 10, 4, company=cls.company_b)
        cls._sell(
            "04-15",
            cls.env["res.partner"].create({"name": "Frank"}),
            [(cls.company_b_product, 3, 10)],
            company=cls.company_b,
        )

        viewer = "erpconnect_ai.group_erpconnect_viewer"
        cls.viewer = cls._user("kpi_viewer", viewer, cls.company)
        cls.viewer_b = cls._user("kpi_viewer_b", viewer, cls.company_b)
        cls.employee = cls._user("kpi_employee", "base.group_user", cls.company)

    def setUp(self):
        super().setUp()
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)

    # ------------------------------------------------------------------ builders
    @classmethod
    def _user(cls, login, groups, company):
        return new_test_user(
            cls.env, login, groups=groups, company_id=company.id, company_ids=[company.id]
        )

    @classmethod
    def _product(cls, name, price, cost, storable=True, created="2024-12-01", company=None):
        company = company or cls.company
        product = (
            cls.env["product.product"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "type": "consu" if storable else "service",
                    "is_storable": storable,
                    "list_price": price,
                    "standard_price": cost,
                    "company_id": company.id,
                    "taxes_id": [Command.clear()],
                }
            )
        )
        cls._set_create_date(product, created)
        cls._set_create_date(product.product_tmpl_id, created)
        return product

    @classmethod
    def _set_create_date(cls, record, day):
        record.flush_recordset()
        cls.env.cr.execute(
            "UPDATE %s SET create_date = %%s WHERE id = %%s" % record._table, [at(day), record.id]
        )
        record.invalidate_recordset(["create_date"])

    @classmethod
    def _rule(cls, product, minimum, maximum):
        return {
            "product_id": product.id,
            "warehouse_id": cls.warehouse.id,
            "location_id": cls.warehouse.lot_stock_id.id,
            "product_min_qty": minimum,
            "product_max_qty": maximum,
            "company_id": cls.company.id,
        }

    @classmethod
    def _order_values(cls, partner, lines, company):
        return {
            "partner_id": partner.id,
            "company_id": company.id,
            "order_line": [
                Command.create(
                    {
                        "product_id": product.id,
                        "product_uom_qty": qty,
                        "price_unit": price,
                        "tax_id": [Command.clear()],
                    }
                )
                for product, qty, price in lines
            ],
        }

    @classmethod
    def _sell(cls, day, partner, lines, commitment=None, quoted=None, company=None):
        """An order of ``lines`` ``(product, qty, unit price)`` confirmed on ``day`` at 10:00."""
        company = company or cls.company
        values = cls._order_values(partner, lines, company)
        if commitment:
            values["commitment_date"] = at(commitment)
        with freeze_time(at(day)):
            order = cls.env["sale.order"].with_company(company).create(values)
            order.action_confirm()
        cls._set_create_date(order, quoted or day)
        return order

    @classmethod
    def _quote(cls, partner, lines):
        return (
            cls.env["sale.order"]
            .with_company(cls.company)
            .create(cls._order_values(partner, lines, cls.company))
        )

    @classmethod
    def _deliver(cls, order, day, quantities=None):
        """Validate the order's open delivery on ``day`` at 10:00, delivering ``quantities``
        ``{product: qty}`` (default: everything); a partial delivery leaves a backorder."""
        picking = order.picking_ids.filtered(lambda p: p.state not in ("done", "cancel"))
        with freeze_time(at(day)):
            picking.action_assign()
            for move in picking.move_ids:
                move.quantity = (quantities or {}).get(move.product_id, move.product_uom_qty)
                move.picked = True
            picking.with_context(skip_backorder=True).button_validate()
        assert picking.state == "done", picking.state

    @classmethod
    def _receive(cls, product, qty, day):
        with freeze_time(at(day)):
            move = confirmed_receipt(cls.env, cls.company, cls.warehouse, product, qty, "Receipt")
            move.quantity = qty
            move.picked = True
            move._action_done()

    @classmethod
    def _analysis_results(cls):
        """Runs, forecasts, suggestions and anomalies as the analysis pipeline leaves them."""
        runs = cls.env["erpconnect.run"].sudo()
        company = cls.company.id
        _run_march, run_april, _run_failed = runs.create(
            [
                {
                    "company_id": company,
                    "status": "done",
                    "started_at": at("03-20", 7),
                    "finished_at": at("03-20", 8),
                    "as_of": SCANNED_THROUGH[0],
                    "products_processed": 3,
                },
                {
                    "company_id": company,
                    "status": "done",
                    "started_at": at("04-28", 7),
                    "finished_at": at("04-28", 8),
                    "as_of": SCANNED_THROUGH[1],
                    "products_processed": 4,
                },
                {
                    "company_id": company,
                    "status": "failed",
                    "started_at": at("04-29", 7),
                    "finished_at": at("04-29", 8),
                    "as_of": "2025-04-28",  # failed: scanned nothing that counts
                    "products_processed": 5,
                },
            ]
        )
        a, b, c, f = (cls.product_a, cls.product_b, cls.product_c, cls.product_f)
        forecast = {"company_id": company, "run_id": run_april.id, "method": "moving_average"}
        cls.env["erpconnect.forecast"].sudo().create(
            [
                dict(
                    forecast, product_id=a.id, smape=0.2, mase=0.8, has_accuracy=True, qty_30d=33.0
                ),
                dict(
                    forecast, product_id=b.id, smape=0.4, mase=1.2, has_accuracy=True, qty_30d=45.0
                ),
                dict(forecast, product_id=c.id, has_accuracy=False),
                dict(
                    forecast,
                    product_id=f.id,
                    smape=1.0,
                    mase=3.0,
                    has_accuracy=True,
                    active=False,
                ),
            ]
        )
        suggestion = {"company_id": company, "run_id": run_april.id, "urgency": "WATCH"}
        suggestions = (
            cls.env["erpconnect.replenishment"]
            .sudo()
            .create(
                [
                    dict(suggestion, product_id=a.id, reorder_point=75.0, state="applied"),
                    dict(suggestion, product_id=b.id, reorder_point=50.0, state="new"),
                    dict(suggestion, product_id=f.id, reorder_point=2.0, state="dismissed"),
                    dict(suggestion, product_id=c.id, reorder_point=99.0, active=False),
                ]
            )
        )
        for record in suggestions:
            cls._set_create_date(record, "04-28")
        anomaly = {
            "company_id": company,
            "run_id": run_april.id,
            "product_id": a.id,
            "kind": "SPIKE",
            "severity": "HIGH",
        }
        cls.env["erpconnect.anomaly"].sudo().create(
            [
                dict(anomaly, date=date.fromisoformat("2025-" + day))
                for day in ("04-27", "04-20", "04-10", "03-28", "03-10")
            ]
            + [dict(anomaly, date=date(2025, 4, 26), active=False)]
        )
        stockout = dict(anomaly, kind="STOCKOUT", severity="MEDIUM", product_id=b.id)
        cls.env["erpconnect.anomaly"].sudo().create(
            [
                dict(
                    stockout,
                    date=date(2025, 3, 30),
                    end_date=date(2025, 4, 3),
                    expected=2.0,
                    lost_units=10.0,
                    lost_value=500.0,
                ),
                dict(
                    stockout,
                    product_id=a.id,
                    date=date(2025, 4, 20),
                    end_date=date(2025, 4, 20),
                    lost_units=1.0,
                    lost_value=100.0,
                    active=False,
                ),
            ]
        )
        week = {"company_id": company, "run_id": run_april.id, "method": "moving_average"}
        cls.env["erpconnect.forecast.accuracy"].sudo().create(
            [
                dict(
                    week,
                    product_id=a.id,
                    origin=date(2025, 4, 6),
                    week=2,
                    date_to=date(2025, 4, 20),
                    days=7,
                    smape=0.2,
                    mase=0.8,
                    adjusted_days=4,
                    statistical_adjusted_mae=5.0,
                    adjusted_mae=2.0,
                ),
                dict(
                    week,
                    product_id=b.id,
                    origin=date(2025, 4, 13),
                    week=2,
                    date_to=date(2025, 4, 27),
                    days=7,
                    smape=0.4,
                    mase=1.2,
                    adjusted_days=2,
                    statistical_adjusted_mae=1.0,
                    adjusted_mae=4.0,
                ),
                dict(
                    week,
                    product_id=c.id,
                    origin=date(2025, 4, 6),
                    week=1,
                    date_to=date(2025, 4, 13),
                    days=3,
                    smape=0.6,
                    mase=1.0,
                    adjusted_days=0,
                ),
                dict(
                    week,
                    product_id=b.id,
                    origin=date(2025, 4, 15),
                    week=2,
                    date_to=date(2025, 4, 29),
                    days=7,
                    smape=1.9,
                    mase=9.0,
                    adjusted_days=7,
                    statistical_adjusted_mae=9.0,
                    adjusted_mae=0.0,
                    active=False,
                ),
                dict(
                    week,
                    product_id=a.id,
                    origin=date(2025, 3, 2),
                    week=2,
                    date_to=date(2025, 3, 16),
                    days=7,
                    smape=0.5,
                    mase=1.5,
                    adjusted_days=5,
                    statistical_adjusted_mae=2.0,
                    adjusted_mae=3.0,
                ),
            ]
        )

    def kpi(self, user=None, company=None):
        company = company or self.company
        model = self.env["erpconnect.kpi"].with_context(allowed_company_ids=[company.id])
        return model.with_user(user) if user else model

    # ------------------------------------------------------------------ tests
    def test_catalog(self):
        catalog = self.kpi().get_catalog()
        self.assertGreaterEqual(len(catalog), 32)
        self.assertEqual([entry["code"] for entry in catalog], list(EXPECTED_30_DAYS))
        for entry in catalog:
            for key in (
                "code",
                "name",
                "category",
                "category_name",
                "unit",
                "direction",
                "description",
            ):
                self.assertTrue(entry[key], "%s has no %s" % (entry["code"], key))
            self.assertIn(entry["unit"], ("currency", "percent", "count", "days", "ratio", "date"))
            self.assertIn(entry["direction"], ("higher", "lower"))

    def test_metrics_by_hand(self):
        metrics = self.kpi().get_metrics(days=30)
        self.assertEqual(
            (metrics[0]["date_from"], metrics[0]["date_to"]), ("2025-04-01", "2025-04-30")
        )
        self.assertEqual(
            (metrics[0]["previous_date_from"], metrics[0]["previous_date_to"]),
            ("2025-03-02", "2025-03-31"),
        )
        got = {entry["code"]: (entry["value"], entry["previous"]) for entry in metrics}
        self.assertEqual(set(got), set(EXPECTED_30_DAYS))
        for code, (value, previous) in EXPECTED_30_DAYS.items():
            with self.subTest(code=code):
                for label, expected, actual in (
                    ("value", value, got[code][0]),
                    ("previous", previous, got[code][1]),
                ):
                    if expected is None or isinstance(expected, str):
                        self.assertEqual(actual, expected, label)
                    else:
                        self.assertAlmostEqual(actual, expected, places=3, msg=label)
        by_code = {entry["code"]: entry for entry in metrics}
        # change and change in % of the previous value
        self.assertEqual(by_code["revenue_total"]["change"], 1620.0)  # 2920 − 1300
        self.assertAlmostEqual(by_code["revenue_total"]["change_pct"], 124.6154, places=3)
        self.assertEqual(by_code["order_count"]["change"], 3)
        self.assertEqual(by_code["last_training_date"]["change"], 39)  # 03-20 → 04-28
        self.assertFalse(by_code["suggestions_applied_rate"]["no_data"])
        # measured after the fact: a previous value too (35.2941 − 50 points)
        self.assertAlmostEqual(by_code["forecast_accuracy_smape"]["change"], -14.7059, places=3)
        # percentages change in points, with no relative change (issue 14.10):
        # gross margin 48.9726 − 47.6923 = 1.2803 points; order growth 150 − 100 = 50 points
        self.assertAlmostEqual(by_code["gross_margin"]["change"], 1.2803, places=3)
        self.assertIsNone(by_code["gross_margin"]["change_pct"])
        self.assertEqual(
            (by_code["order_growth"]["change"], by_code["order_growth"]["change_pct"]), (50.0, None)
        )
        # a previous period without data has no change (issue 14.11)
        self.assertIsNone(by_code["anomalies_30d"]["previous"])
        self.assertEqual(
            (by_code["anomalies_30d"]["change"], by_code["anomalies_30d"]["change_pct"]),
            (None, None),
        )

    def test_lost_sales_only_over_scanned_days(self):
        stockout = {
            "company_id": self.company.id,
            "kind": "STOCKOUT",
            "severity": "MEDIUM",
            "expected": 1.0,
            "lost_units": 4.0,
        }
        # C 04-14..04-17: 400 over 4 days, 100 a day; A 04-24..04-25: 60 over 2 days, 30 a day
        self.env["erpconnect.anomaly"].sudo().create(
            [
                dict(stockout, product_id=product.id, date=first, end_date=last, lost_value=value)
                for product, first, last, value in (
                    (self.product_c, date(2025, 4, 14), date(2025, 4, 17), 400.0),
                    (self.product_a, date(2025, 4, 24), date(2025, 4, 25), 60.0),
                )
            ]
        )
        # both weeks scanned by the April run (03-29..04-27; today's week judged up to 04-27):
        # 04-24..04-30 → A's 60; 04-17..04-23 → C's 04-17: 100
        lost = {entry["code"]: entry for entry in self.kpi(self.viewer).get_metrics(days=7)}[
            "lost_sales"
        ]
        self.assertEqual((lost["value"], lost["previous"]), (60.0, 100.0))
        self.assertEqual(lost["change"], -40.0)  # 60 − 100
        weekly = self.kpi(self.viewer).get_metric("lost_sales", days=45, interval="week")
        # 45 days from Monday 03-17. Runs scanned 02-18..03-19 and 03-29..04-27: W12 (03-17..
        # 03-23) and W13 (03-24..03-30, B's 03-30: 100 of its 500 over 5 days) were not scanned
        # in full → no data; W14: B's 03-31..04-03 → 400; W15: 0; W16: C's 400; W17: A's 60;
        # W18 (04-28..04-30) wholly after the last scanned day → no data
        self.assertEqual(
            [(p["label"], p["value"]) for p in weekly["points"]],
            [
                ("2025-W12", None),
                ("2025-W13", None),
                ("2025-W14", 400.0),
                ("2025-W15", 0.0),
                ("2025-W16", 400.0),
                ("2025-W17", 60.0),
                ("2025-W18", None),
            ],
        )

    def test_history(self):
        weekly = self.kpi().get_metric("revenue_total", days=30, interval="week")
        # weeks from Monday 03-31: O1 1080 | O2 1000 | O3 650 (Sunday 04-20) | O5 90 | O6 100
        self.assertEqual(
            [(p["label"], p["date_from"], p["date_to"], p["value"]) for p in weekly["points"]],
            [
                ("2025-W14", "2025-03-31", "2025-04-06", 1080.0),
                ("2025-W15", "2025-04-07", "2025-04-13", 1000.0),
                ("2025-W16", "2025-04-14", "2025-04-20", 650.0),
                ("2025-W17", "2025-04-21", "2025-04-27", 90.0),
                ("2025-W18", "2025-04-28", "2025-04-30", 100.0),
            ],
        )
        monthly = self.kpi().get_metric("stock_value", days=90, interval="month")
        # the end of January is before the first stock move (Q1's delivery, 02-12): no data;
        # end of February 95 A × 60 + 50 B × 20 + 30 C × 10 = 7000; 6320 on 04-01, 5440 today
        self.assertEqual([p["value"] for p in monthly["points"]], [None, 7000.0, 6320.0, 5440.0])
        self.assertEqual(monthly["date_from"], "2025-01-01")
        weekly_products = self.kpi().get_metric("active_product_count", days=30, interval="week")
        # O1 A, D | O2 B (O4 is cancelled) | O3 A, B | O5 F | O6 A
        self.assertEqual([p["value"] for p in weekly_products["points"]], [2, 1, 2, 1, 1])
        weekly_out = self.kpi().get_metric("out_of_stock_count", days=30, interval="week")
        # F (no stock) exists from 04-10: counted at the ends 04-14, 04-21, 04-28 and today
        self.assertEqual([p["value"] for p in weekly_out["points"]], [0, 1, 1, 1, 1])
        monthly_dead = self.kpi().get_metric("dead_stock_value", days=90, interval="month")
        # end of January: before the first stock move, no data;
        # end of February: B still unsold (50×20) → 1000; end of March: all sold within 90 days;
        # today: C (30×10), last sold 01-15
        self.assertEqual([p["value"] for p in monthly_dead["points"]], [None, 1000.0, 0.0, 300.0])
        daily = self.kpi().get_metric("order_count", days=3, interval="day")
        self.assertEqual([p["value"] for p in daily["points"]], [1, 0, 0])  # O6 on 04-28
        growth = self.kpi().get_metric("order_growth", days=3, interval="day")
        # 04-27 (base): no order; 04-28: 1 vs 0 → no growth from nothing;
        # 04-29: (0 − 1) / 1 = −100; 04-30: from nothing again
        self.assertEqual([p["value"] for p in growth["points"]], [None, -100.0, None])

    def test_daily_history_per_product(self):
        """Daily histories of the per-product stock KPIs: more segments than
        ``GROUPED_SEGMENTS_MAX``, so the moves and lines are summed per product in numpy."""
        days = [
            p["date_from"][5:]
            for p in self.kpi().get_metric("dead_stock_value", 30, "day")["points"]
        ]
        self.assertEqual((days[0], days[-1], len(days)), ("04-01", "04-30", 30))
        self.assertGreater(30 + 30, erpconnect_kpi_data.GROUPED_SEGMENTS_MAX)

        def values(code):
            return [p["value"] for p in self.kpi().get_metric(code, 30, "day")["points"]]

        # C (stock 30 × cost 10) last sold 01-15: the 90 days before the end of day d hold it
        # up to d = 04-14 ([01-15, 04-15)); from 04-15 on it is dead stock
        self.assertEqual(values("dead_stock_value"), [0.0] * 14 + [300.0] * 16)
        # F (never in stock) exists from 04-10
        self.assertEqual(values("out_of_stock_count"), [0] * 9 + [1] * 21)
        # C is over 180 days of its sales all month (3 sold on 01-15: 180 × 3 / 90 = 6 < 30, then
        # no sale); B over its max 40 from the receipt of 04-15 (25 + 20 = 45, 41 after 04-22)
        self.assertEqual(values("overstock_count"), [1] * 14 + [2] * 16)

    def test_uninstall_drops_the_generation_sequence(self):
        query = "SELECT to_regclass(%s) IS NOT NULL"
        self.env.cr.execute(query, [erpconnect_kpi_cache.GENERATION_SEQUENCE])
        self.assertTrue(self.env.cr.fetchone()[0])
        uninstall_hook(self.env)
        self.env.cr.execute(query, [erpconnect_kpi_cache.GENERATION_SEQUENCE])
        self.assertFalse(self.env.cr.fetchone()[0])

    def test_recorded_days(self):
        """The cron records each finished day's per-product stock KPIs; histories read them
        back and compute only today's point (and days not recorded) live."""
        snapshots = self.env["erpconnect.kpi.snapshot"]
        self.assertEqual(snapshots._record_snapshots(self.company, days=30), 30)  # 03-31..04-29
        self.assertEqual(snapshots._record_snapshots(self.company, days=30), 0, "all recorded")
        recorded = snapshots.search([("company_id", "=", self.company.id)])
        self.assertEqual(len(recorded), 30 * 5)
        self.assertEqual(
            (min(recorded.mapped("date")), max(recorded.mapped("date"))),
            (date(2025, 3, 31), date(2025, 4, 29)),
        )

        def value(day, code):
            return snapshots.search(
                [("company_id", "=", self.company.id), ("date", "=", day), ("code", "=", code)]
            ).value

        # the same values as the live daily history (test_daily_history_per_product)
        self.assertEqual(value("2025-04-14", "dead_stock_value"), 0.0)
        self.assertEqual(value("2025-04-15", "dead_stock_value"), 300.0)
        self.assertEqual(value("2025-04-09", "out_of_stock_count"), 0.0)
        self.assertEqual(value("2025-04-10", "out_of_stock_count"), 1.0)
        self.assertEqual(value("2025-04-14", "overstock_count"), 1.0)
        self.assertEqual(value("2025-04-15", "overstock_count"), 2.0)
        # below ROP on 03-31: B 40 < its suggested ROP 50 (the end of the previous period)
        self.assertEqual(value("2025-03-31", "below_rop_count"), 1.0)

        # A recorded day is read back as recorded (here changed by hand to see it), today live
        self.env.cr.execute(
            "UPDATE erpconnect_kpi_snapshot SET value = 12345 WHERE company_id = %s"
            " AND date = '2025-04-20' AND code = 'dead_stock_value'",
            [self.company.id],
        )
        erpconnect_kpi_cache.clear_cache(self.env.cr.dbname)
        points = self.kpi().get_metric("dead_stock_value", 30, "day")["points"]
        self.assertEqual(points[19]["date_from"], "2025-04-20")
        self.assertEqual(points[19]["value"], 12345.0)
        self.assertEqual(points[-1]["value"], 300.0)  # today: C, 30 × 10, computed live
        # weekly points end on recorded Sundays except the last one (today)
        weekly = self.kpi().get_metric("dead_stock_value", 30, "week")["points"]
        self.assertEqual([p["value"] for p in weekly], [0.0, 0.0, 12345.0, 300.0, 300.0])
        # get_metrics: the previous period ends on 03-31 (recorded), the current one today
        metrics = {e["code"]: e for e in self.kpi().get_metrics(days=30)}
        for code in sorted(catalog.STOCK_PRODUCT_CODES):
            self.assertEqual(
                (metrics[code]["value"], metrics[code]["previous"]), EXPECTED_30_DAYS[code], code
            )

        # The cron records every company; the model is not readable by a Viewer
        self.env["erpconnect.kpi.snapshot"]._cron_record_snapshots()
        self.assertEqual(
            snapshots.search_count([("company_id", "=", self.company_b.id)]),
            erpconnect_kpi_snapshot.SNAPSHOT_DAYS * 5,
        )
        with self.assertRaises(AccessError):
            snapshots.with_user(self.viewer).search([])

    def test_comparison(self):
        result = self.kpi().get_comparison([self.product_a.id, self.product_b.id], days=30)
        self.assertEqual(
            [p["id"] for p in result["products"]], [self.product_a.id, self.product_b.id]
        )
        self.assertEqual(len(result["metrics"]), 12)
        a, b = (
            {code: (v["value"], v["previous"]) for code, v in p["values"].items()}
            for p in result["products"]
        )
        expected_a = {
            "revenue_total": (1550.0, 800.0),  # 1000 + 450 + 100; P1 800
            # (1550 − 800) / 800 × 100; previous: Q1 sold 500 of A in the base period → 60
            "revenue_growth": (93.75, 60.0),
            "units_sold": (16, 8),
            "order_count": (3, 1),
            "active_customers": (2, 1),  # Acme, Bob; Bob
            "average_price": (96.875, 100.0),  # 1550 / 16
            "gross_margin": (38.0645, 40.0),  # (1550 − 960) / 1550; (800 − 480) / 800
            "fulfilment_rate": (93.75, 100.0),  # delivered 15 of 16
            "on_hand": (72, 87),
            "stock_value": (4320.0, 5220.0),
            "days_of_cover": (135.0, 326.25),  # 72 / (16 / 30); 87 / (8 / 30)
            "forecast_30d": (33, None),
        }
        expected_b = {
            "revenue_total": (1200.0, 500.0),
            "revenue_growth": (140.0, None),  # no B in the base period
            "units_sold": (24, 10),
            "order_count": (2, 1),
            "active_customers": (2, 1),  # Bob, Acme; Carol
            "average_price": (50.0, 50.0),
            "gross_margin": (60.0, 60.0),
            "fulfilment_rate": (79.1667, 100.0),  # (15 + 4) / 24
            "on_hand": (41, 40),
            "stock_value": (820.0, 800.0),
            "days_of_cover": (51.25, 120.0),  # 41 / (24 / 30); 40 / (10 / 30)
            "forecast_30d": (45, None),
        }
        for got, expected in ((a, expected_a), (b, expected_b)):
            for code, (value, previous) in expected.items():
                with self.subTest(code=code):
                    for exp, act in ((value, got[code][0]), (previous, got[code][1])):
                        if exp is None:
                            self.assertIsNone(act)
                        else:
                            self.assertAlmostEqual(act, exp, places=3)

    def test_products_with_unset_flags_are_not_counted_as_storable(self):
        # Templates created by data files without the field (e.g. services) keep
        # is_storable NULL in the database: such a product is not storable, so it is neither
        # out of stock nor in stock; the counts stay those of the hand-computed table.
        service = self._product("KPI S", 15, 5, storable=False)
        self.env.cr.execute(
            "UPDATE product_template SET is_storable = NULL, sale_ok = NULL WHERE id = %s",
            [service.product_tmpl_id.id],
        )
        self.env.invalidate_all()
        metrics = {entry["code"]: entry for entry in self.kpi().get_metrics(days=30)}
        self.assertEqual(metrics["out_of_stock_count"]["value"], 1)  # F only, as in the table
        self.assertEqual(metrics["low_stock_count"]["value"], 2)

    def test_empty_company(self):
        empty = self.env["res.company"].create({"name": "KPI Empty Co"})
        for days in (7, 30, 90, 365):
            metrics = self.kpi(company=empty).get_metrics(days=days)
            self.assertEqual(len(metrics), len(EXPECTED_30_DAYS))
            for entry in metrics:
                self.assertIn(entry["value"], (0, None), entry["code"])
                self.assertEqual(entry["no_data"], entry["value"] is None)
        by_code = {entry["code"]: entry["value"] for entry in metrics}
        self.assertEqual(by_code["revenue_total"], 0.0)
        self.assertEqual(by_code["stock_value"], 0.0)
        self.assertIsNone(by_code["gross_margin"])  # no revenue
        self.assertIsNone(by_code["last_training_date"])  # no analysis yet
        for code in EXPECTED_30_DAYS:
            for interval in ("day", "week", "month"):
                points = self.kpi(company=empty).get_metric(code, days=30, interval=interval)[
                    "points"
                ]
                self.assertTrue(points and all(p["value"] in (0, None) for p in points), code)

    def test_cache(self):
        model_class = type(self.env["erpconnect.kpi.data"])
        compute = model_class._compute_values
        calls = []

        def counting_compute(model, *args, **kwargs):
            calls.append(args[1][-1])
            return compute(model, *args, **kwargs)

        now = [1000.0]
        with (
            patch.object(model_class, "_compute_values", counting_compute),
            patch.object(erpconnect_kpi_cache.CACHE, "_clock", lambda: now[0]),
        ):
            first = self.kpi().get_metrics(days=30)
            self.assertEqual(self.kpi(user=self.viewer).get_metrics(days=30), first)
            self.assertEqual(
                len(calls),
                1,
                "the second call, by another user of the company, is served from the cache",
            )
            self.kpi().get_metric("revenue_total", days=30, interval="week")
            self.kpi().get_metric("revenue_total", days=30, interval="week")
            self.assertEqual(len(calls), 2)
            self.kpi(company=self.company_b).get_metrics(days=30)
            self.assertEqual(len(calls), 3, "another company has its own entry")

            # A confirmed sale empties the company's cache: 3 × 100 more revenue today
            self._sell("04-30", self.bob, [(self.product_a, 3, 100)])
            metrics = {entry["code"]: entry["value"] for entry in self.kpi().get_metrics(days=30)}
            self.assertEqual(len(calls), 4)
            self.assertEqual(metrics["revenue_total"], 3220.0)  # 2920 + 300
            self.assertEqual(metrics["order_count"], 6)
            self.kpi(company=self.company_b).get_metrics(days=30)
            self.assertEqual(len(calls), 4, "company B's entry is kept")

            # Entries expire after CACHE_TTL seconds
            self.kpi().get_metrics(days=30)
            self.assertEqual(len(calls), 4)
            now[0] = 1000.0 + erpconnect_kpi_cache.CACHE_TTL + 1
            self.kpi().get_metrics(days=30)
            self.assertEqual(len(calls), 5)

            # And so does the hook the analysis run calls when it finishes
            self.env["erpconnect.kpi.cache"]._invalidate()
            self.kpi().get_metrics(days=30)
            self.assertEqual(len(calls), 6)

            # Another worker process that committed an invalidation advanced the generation:
            # this process drops its entries too, for every company
            self.kpi(company=self.company_b).get_metrics(days=30)
            self.assertEqual(len(calls), 7)
            generation = self.env["erpconnect.kpi.cache"]._generation()
            self.env.cr.execute("SELECT nextval(%s)", [erpconnect_kpi_cache.GENERATION_SEQUENCE])
            self.assertEqual(self.env["erpconnect.kpi.cache"]._generation(), generation + 1)
            self.kpi().get_metrics(days=30)
            self.kpi(company=self.company_b).get_metrics(days=30)
            self.assertEqual(len(calls), 9)

    def test_cancelled_sale_drops_the_cache(self):
        """Cancelling a confirmed order of the period drops the company's cached KPIs: the next
        call reads the figures without it. O6 (04-28, Bob, A 1 × 100) is cancelled."""
        viewer = self.kpi(user=self.viewer)
        before = {entry["code"]: entry["value"] for entry in viewer.get_metrics(days=30)}
        self.assertEqual((before["revenue_total"], before["order_count"]), (2920.0, 5))
        # Served from the cache within CACHE_TTL (test_cache): only a dropped entry gives the
        # figures without O6 below.
        self.assertEqual(viewer.get_metrics(days=30)[0]["value"], 2920.0)
        o6 = (
            self.env["sale.order.line"]
            .search(
                [
                    ("product_id", "=", self.product_a.id),
                    ("product_uom_qty", "=", 1),
                    ("order_id.partner_id", "=", self.bob.id),
                ]
            )
            .order_id
        )
        self.assertEqual(o6.date_order, at("04-28"))
        o6._action_cancel()
        after = {entry["code"]: entry["value"] for entry in viewer.get_metrics(days=30)}
        # 2920 − 100 of revenue, 5 − 1 orders, 43 − 1 units
        self.assertEqual(
            (after["revenue_total"], after["order_count"], after["units_sold"]), (2820.0, 4, 42)
        )

    def test_kpi_overview(self):
        """The KPIs screen: the whole catalogue, in its order, with the values of
        ``get_metrics`` (hand-computed in ``kpi_expected.py``) and the links a Viewer may open."""
        Dashboard = self.env["erpconnect.dashboard"].with_context(
            allowed_company_ids=[self.company.id]
        )
        overview = Dashboard.with_user(self.viewer).get_kpi_overview(30)
        self.assertEqual(
            (overview["days"], overview["currency_id"], overview["available"]),
            (30, self.company.currency_id.id, True),
        )
        self.assertEqual([kpi["code"] for kpi in overview["kpis"]], list(EXPECTED_30_DAYS))
        for kpi in overview["kpis"]:
            expected = EXPECTED_30_DAYS[kpi["code"]]
            for label, wanted, got in zip(
                ("value", "previous"), expected, (kpi["value"], kpi["previous"]), strict=True
            ):
                with self.subTest(code=kpi["code"], figure=label):
                    if wanted is None or isinstance(wanted, str):
                        self.assertEqual(got, wanted)
                    else:
                        self.assertAlmostEqual(got, wanted, places=3)
        by_code = {kpi["code"]: kpi for kpi in overview["kpis"]}
        # A Viewer reads no order lines: no link behind the revenue; the anomalies they read.
        self.assertIsNone(by_code["revenue_total"]["link"])
        self.assertIsNone(by_code["order_count"]["link"])
        self.assertEqual(by_code["anomalies_30d"]["link"]["res_model"], "erpconnect.anomaly")
        with self.assertRaises(AccessError):
            Dashboard.with_user(self.employee).get_kpi_overview(30)
        with self.assertRaisesRegex(UserError, "from 1 to 365, got 366"):
            Dashboard.with_user(self.viewer).get_kpi_overview(366)

    def test_cache_generation_after_commit(self):
        """The invalidation advances the shared generation once, after the commit only."""
        cache = self.env["erpconnect.kpi.cache"]
        generation = cache._generation()
        cache._invalidate([self.company.id])
        cache._invalidate([self.company_b.id])
        self.assertEqual(cache._generation(), generation, "nothing before the commit")
        callbacks = [
            func
            for func in self.env.cr.postcommit._funcs
            if func.__qualname__.startswith("ErpconnectKpiCache._invalidate")
        ]
        self.assertEqual(len(callbacks), 1, "one callback per transaction")
        self.env.cr.postcommit._funcs.remove(callbacks[0])
        callbacks[0]()  # as the commit does
        self.assertEqual(cache._generation(), generation + 1)
        # The database refusing the connection then is logged, never raised: the commit is done
        refused = psycopg2.OperationalError("too many connections")
        with (
            patch.object(erpconnect_kpi_cache.sql_db, "db_connect", side_effect=refused),
            self.assertLogs(erpconnect_kpi_cache.__name__, "WARNING") as logs,
        ):
            callbacks[0]()
        self.assertIn("KPI cache generation not advanced", logs.output[0])
        self.assertEqual(cache._generation(), generation + 1)

    def test_access(self):
        # A Viewer without any Sales or Inventory right reads the company figures
        with self.assertRaises(AccessError):
            self.env["sale.order"].with_user(self.viewer).search([])
        metrics = {e["code"]: e["value"] for e in self.kpi(user=self.viewer).get_metrics(days=30)}
        self.assertEqual(metrics["revenue_total"], 2920.0)
        self.assertEqual(metrics["stock_value"], 5440.0)
        self.assertEqual(
            self.kpi(user=self.viewer).get_metric("revenue_total", 30, "week")["points"][0][
                "value"
            ],
            1080.0,
        )
        # A user of company B gets B's figures (3 × 10), never A's
        metrics_b = {
            e["code"]: e["value"]
            for e in self.kpi(user=self.viewer_b, company=self.company_b).get_metrics(days=30)
        }
        self.assertEqual(metrics_b["revenue_total"], 30.0)
        self.assertEqual(metrics_b["order_count"], 1)
        # ... and cannot ask for A's
        with self.assertRaises(AccessError):
            self.kpi(user=self.viewer_b, company=self.company).get_metrics(days=30)
        # nor compare A's products
        with self.assertRaises(UserError):
            self.kpi(user=self.viewer_b, company=self.company_b).get_comparison([self.product_a.id])
        # An employee outside the ERPConnect AI groups gets nothing
        for call in (
            lambda kpi: kpi.get_catalog(),
            lambda kpi: kpi.get_metrics(days=30),
            lambda kpi: kpi.get_metric("revenue_total"),
            lambda kpi: kpi.get_comparison([self.product_a.id]),
        ):
            with self.assertRaises(AccessError):
                call(self.kpi(user=self.employee))

    def test_bad_arguments(self):
        kpi = self.kpi(user=self.viewer)
        for days in (0, -5, 3661, "30", 30.5, True, None, [30]):
            with self.subTest(days=days), self.assertRaises(UserError):
                kpi.get_metrics(days=days)
        for code in ("nope", "", None, 5, ["revenue_total"]):
            with self.subTest(code=code), self.assertRaises(UserError):
                kpi.get_metric(code)
        for interval in ("year", "", None, "DAY"):
            with self.subTest(interval=interval), self.assertRaises(UserError):
                kpi.get_metric("revenue_total", days=30, interval=interval)
        for product_ids in (
            [],
            None,
            self.product_a.id,
            ["%s" % self.product_a.id],
            [True],
            [self.product_a.id, 1.5],
            [self.company_b_product.id],  # another company's product
            [2_000_000_000],  # no such product
            list(range(1, 22)),  # 21 products
        ):
            with self.subTest(product_ids=product_ids), self.assertRaises(UserError):
                kpi.get_comparison(product_ids)
