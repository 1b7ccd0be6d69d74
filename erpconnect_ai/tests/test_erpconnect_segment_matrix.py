from datetime import timedelta

import pandas as pd

from odoo.tests import tagged

from odoo.addons.erpconnect_ai.models.analysis_input import AnalysisInput

from .common import (
    AS_OF,
    DOZEN_PRICE,
    LOOKBACK_DAYS,
    STEADY_DAILY,
    STEADY_PRICE,
    WEEKLY_PRICE,
    WEEKLY_QTY,
    ErpconnectCase,
)

WEEKS = 4


def weekly_history(weekly, as_of=AS_OF):
    """History of ``{product_id: (revenue over the 4 weeks, [qty of week 1..4])}``: one sale on
    the first day of each 7-day block counted back from ``as_of``, the revenue spread over the
    sale weeks in proportion to their quantity."""
    first_days = [as_of - timedelta(days=7 * (WEEKS - week) - 1) for week in range(WEEKS)]
    rows = []
    for product_id, (revenue, quantities) in weekly.items():
        total = sum(quantities)
        for day, qty in zip(first_days, quantities):
            if qty:
                rows.append(
                    {
                        "product_id": product_id,
                        "date": pd.Timestamp(day),
                        "qty": float(qty),
                        "amount": revenue * qty / total,
                    }
                )
    return pd.DataFrame(rows)


@tagged("post_install", "-at_install")
class TestErpconnectSegmentMatrix(ErpconnectCase):
    """The 3×3 ABC/XYZ cells for known revenues and weekly quantities."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.products = cls.env["product.product"].create(
            [
                {"name": "Segment P%d" % number, "company_id": cls.company.id}
                for number in range(1, 11)
            ]
        )
        p = cls.products
        steady = [10, 10, 10, 10]  # weekly CV 0 → X
        # Ranks by revenue: 1–2 are A (ceil(0.2·10) = 2), 3–5 B (ceil(0.5·10) = 5), 6–10 C.
        cls.weekly_sales = {
            p[0].id: (1000.0, steady),  # A, X
            p[1].id: (800.0, [5, 15, 5, 15]),  # A; mean 10, population σ 5 → CV 0.5 → Y
            p[2].id: (600.0, [20, 0, 20, 0]),  # B; mean 10, σ 10 → CV 1.0 → Z
            p[3].id: (400.0, steady),  # B, X
            p[4].id: (300.0, steady),  # B, X
            p[5].id: (100.0, steady),  # C, X
            p[6].id: (80.0, steady),
            p[7].id: (60.0, steady),
            p[8].id: (40.0, steady),
            p[9].id: (20.0, steady),
        }
        cls.settings = dict(
            cls.company._erpconnect_settings(),
            lookback_days=7 * WEEKS,
            abc_mode="rank",
            abc_a=0.2,
            abc_b=0.5,
            xyz_x=0.3,
            xyz_y=0.7,
        )

    def _run(self, weekly, publish=True):
        inputs = AnalysisInput(
            company_id=self.company.id,
            as_of=AS_OF,
            settings=self.settings,
            history=weekly_history(weekly),
        )
        run = self.env["erpconnect.run"].create({"company_id": self.company.id})
        Matrix = self.env["erpconnect.segment.matrix"].sudo().with_company(self.company)
        count = Matrix._run_step(run, inputs)
        if publish:
            Matrix._publish_run(run)
        return run, inputs, count

    def _cells(self):
        cells = self.env["erpconnect.segment.matrix"].search([("company_id", "=", self.company.id)])
        return {cell.segment: cell for cell in cells}

    def test_analysis_run_cells(self):
        """The whole pipeline on the company of common.py (56 days, rank mode)."""
        run = self.run_analysis()
        self.assertEqual(run.status, "done", run.message)
        # Revenue over the window (whole weeks from a Monday): weekly 9 Mondays × 14 × 25 = 3150,
        # steady 63 days × 4 × 10 = 2520, dozen 3 × 60 = 180. Ranks: A = rank 1 (ceil(0.2·3)),
        # B = rank 2 (ceil(0.5·3)), C = rank 3. Weekly demand: weekly 14 and steady 28 every
        # week (CV 0, X); dozen 12, 24, 0 in the weeks since its first sale: CV √96 / 12, Z.
        weekly = LOOKBACK_DAYS // 7 * WEEKLY_QTY * WEEKLY_PRICE
        steady = LOOKBACK_DAYS * STEADY_DAILY * STEADY_PRICE
        total = weekly + steady + 3 * DOZEN_PRICE
        cells = {cell.segment: cell for cell in self._cells().values() if cell.product_count}
        self.assertEqual(set(cells), {"AX", "BX", "CZ"})
        self.assertEqual(cells["AX"].product_ids, self.weekly)
        self.assertEqual(cells["BX"].product_ids, self.steady)
        self.assertEqual(cells["CZ"].product_ids, self.dozen)
        self.assertAlmostEqual(cells["AX"].revenue, weekly, places=2)
        self.assertAlmostEqual(cells["BX"].revenue_share, steady / total, places=4)
        self.assertEqual(cells["CZ"].run_id, run)

    def test_matrix_cells(self):
        _run, inputs, count = self._run(self.weekly_sales)
        self.assertEqual(count, 10)
        self.assertEqual(len(inputs.segments), 10, "the replenishment step gets the classes")
        cells = self._cells()
        self.assertEqual(len(cells), 9)
        total = 3400.0  # 1000 + 800 + 600 + 400 + 300 + 100 + 80 + 60 + 40 + 20
        expected = {
            "AX": (1, 1000.0),
            "AY": (1, 800.0),
            "AZ": (0, 0.0),
            "BX": (2, 700.0),  # 400 + 300
            "BY": (0, 0.0),
            "BZ": (1, 600.0),
            "CX": (5, 300.0),  # 100 + 80 + 60 + 40 + 20
            "CY": (0, 0.0),
            "CZ": (0, 0.0),
        }
        for segment, (product_count, revenue) in expected.items():
            cell = cells[segment]
            with self.subTest(segment=segment):
                self.assertEqual(cell.product_count, product_count)
                self.assertAlmostEqual(cell.revenue, revenue, places=2)
                self.assertAlmostEqual(cell.revenue_share, revenue / total, places=4)
                self.assertEqual(len(cell.product_ids), product_count)
                self.assertTrue(cell.recommendation)
        self.assertEqual(cells["BZ"].product_ids, self.products[2])
        self.assertEqual(cells["AY"].product_figures[str(self.products[1].id)][2], 0.5)

    def test_cell_action_opens_its_products(self):
        self._run(self.weekly_sales)
        cell = self._cells()["BX"].with_user(self.user_viewer)
        action = cell.action_open_products()
        self.assertEqual(action["res_model"], "product.product")
        products = self.env["product.product"].with_user(self.user_viewer).search(action["domain"])
        self.assertEqual(products, self.products[3] | self.products[4])

    def test_staged_cells_are_hidden_and_discarded(self):
        first, _inputs, _count = self._run(self.weekly_sales)
        second, _inputs, _count = self._run(
            dict(list(self.weekly_sales.items())[:3]), publish=False
        )
        self.assertEqual(
            {cell.run_id for cell in self._cells().values()}, {first}, "staged cells are hidden"
        )
        self.env["erpconnect.segment.matrix"].sudo()._discard_run(second)
        self.assertFalse(
            self.env["erpconnect.segment.matrix"]
            .with_context(active_test=False)
            .search([("run_id", "=", second.id)])
        )
        self.assertEqual(self._cells()["CX"].product_count, 5)

    def test_viewer_reads_the_matrix(self):
        self._run(self.weekly_sales)
        cells = self.env["erpconnect.segment.matrix"].with_user(self.user_viewer).search([])
        self.assertEqual(len(cells), 9)
        self.assertEqual(sum(cells.mapped("product_count")), 10)
