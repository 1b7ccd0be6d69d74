from freezegun import freeze_time

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import new_test_user, tagged

from odoo.addons.erpconnect_ai.models.analysis_input import AnalysisInput

from .common import (
    AS_OF,
    DOZEN_PRICE,
    LOOKBACK_DAYS,
    NOW,
    STEADY_DAILY,
    STEADY_PRICE,
    WEEKLY_PRICE,
    WEEKLY_QTY,
    ErpconnectCase,
)
from .test_erpconnect_segment_matrix import WEEKS, weekly_history


@tagged("post_install", "-at_install")
class TestProductSegmentation(ErpconnectCase):
    """Segment fields on product.product: per company, searchable, groupable; get_segmentation."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.employee = new_test_user(
            cls.env,
            "erpc_prodseg_employee",
            "base.group_user",
            company_id=cls.company.id,
            company_ids=[cls.company.id],
        )
        # Shared by both companies (no company): each company has its own segment of them.
        cls.products = cls.env["product.product"].create(
            [{"name": "Prodseg P%d" % number} for number in range(1, 6)]
        )
        cls.p1, cls.p2, cls.p3, cls.p4, cls.p5 = cls.products
        cls.settings = dict(cls.company._erpconnect_settings(), lookback_days=7 * WEEKS)
        # Revenue of common.py's products over its window, which starts on a Monday and spans
        # whole weeks: one weekly sale a week, the steady one every day, 1 + 2 dozens.
        cls.weekly_revenue = LOOKBACK_DAYS // 7 * WEEKLY_QTY * WEEKLY_PRICE
        cls.steady_revenue = LOOKBACK_DAYS * STEADY_DAILY * STEADY_PRICE
        cls.dozen_revenue = 3 * DOZEN_PRICE
        cls.total_revenue = cls.weekly_revenue + cls.steady_revenue + cls.dozen_revenue

    def _publish(self, company, weekly):
        inputs = AnalysisInput(
            company_id=company.id,
            as_of=AS_OF,
            settings=self.settings,
            history=weekly_history(weekly),
        )
        run = self.env["erpconnect.run"].create({"company_id": company.id})
        Matrix = self.env["erpconnect.segment.matrix"].sudo().with_company(company)
        Matrix._run_step(run, inputs)
        Matrix._publish_run(run)

    def _publish_both(self):
        steady = [10, 10, 10, 10]
        # Company A, 5 products ranked by revenue: A = rank 1 (ceil(0.2·5) = 1), B = ranks 2–3
        # (ceil(0.5·5) = 3), C = ranks 4–5. P3 sells 20, 0, 20, 0 a week: CV 1.0 → Z.
        self._publish(
            self.company_a,
            {
                self.p1.id: (500.0, steady),
                self.p2.id: (400.0, steady),
                self.p3.id: (300.0, [20, 0, 20, 0]),
                self.p4.id: (200.0, steady),
                self.p5.id: (100.0, steady),
            },
        )
        # Company B, 2 products: P2 rank 1 → A; P1 rank 2 > ceil(0.5·2) = 1 → C.
        self._publish(self.company_b, {self.p2.id: (900.0, steady), self.p1.id: (50.0, steady)})

    def test_fields_per_company(self):
        self._publish_both()
        p1_a = self.p1.with_company(self.company_a)
        self.assertEqual(
            (p1_a.erpconnect_abc, p1_a.erpconnect_xyz, p1_a.erpconnect_segment), ("A", "X", "AX")
        )
        self.assertAlmostEqual(p1_a.erpconnect_revenue, 500.0)
        self.assertAlmostEqual(p1_a.erpconnect_cv, 0.0)
        p3_a = self.p3.with_company(self.company_a)
        self.assertEqual(p3_a.erpconnect_segment, "BZ")
        self.assertAlmostEqual(p3_a.erpconnect_cv, 1.0)
        p1_b = self.p1.with_company(self.company_b)
        self.assertEqual((p1_b.erpconnect_segment, p1_b.erpconnect_revenue), ("CX", 50.0))
        self.assertFalse(self.p3.with_company(self.company_b).erpconnect_segment)

    def test_search_and_group_per_company(self):
        self._publish_both()
        ours = [("id", "in", self.products.ids)]
        Product_a = self.env["product.product"].with_company(self.company_a)
        Product_b = self.env["product.product"].with_company(self.company_b)
        self.assertEqual(Product_a.search([*ours, ("erpconnect_segment", "=", "AX")]), self.p1)
        self.assertEqual(Product_b.search([*ours, ("erpconnect_segment", "=", "AX")]), self.p2)
        self.assertEqual(Product_a.search([*ours, ("erpconnect_abc", "=", "C")]), self.p4 | self.p5)
        self.assertEqual(Product_a.search([*ours, ("erpconnect_xyz", "=", "Z")]), self.p3)
        groups = dict(Product_a._read_group(ours, ["erpconnect_abc"], ["__count"]))
        self.assertEqual(groups, {"A": 1, "B": 2, "C": 2})
        groups = dict(Product_b._read_group(ours, ["erpconnect_abc"], ["__count"]))
        self.assertEqual(groups, {"A": 1, "C": 1, False: 3})
        ordered = Product_a.search(ours, order="erpconnect_revenue desc")
        self.assertEqual(ordered.ids, self.products.ids, "P1 500 … P5 100")

    def test_next_run_clears_products_it_no_longer_segments(self):
        self._publish_both()
        self._publish(self.company_a, {self.p2.id: (400.0, [10, 10, 10, 10])})
        p1_a = self.p1.with_company(self.company_a)
        self.assertFalse(p1_a.erpconnect_abc)
        self.assertEqual(p1_a.erpconnect_revenue, 0.0)
        self.assertEqual(self.p2.with_company(self.company_a).erpconnect_segment, "AX")
        self.assertEqual(
            self.p1.with_company(self.company_b).erpconnect_segment,
            "CX",
            "company B's segments are not touched by company A's run",
        )

    def test_only_erpconnect_users_read_the_fields(self):
        self._publish_both()
        self.assertEqual(self.p1.with_user(self.user_viewer).erpconnect_segment, "AX")
        with self.assertRaises(AccessError):
            self.p1.with_user(self.employee).read(["erpconnect_segment"])

    def test_analysis_run_sets_the_fields(self):
        """The whole pipeline on the two companies of common.py."""
        for user, company in ((self.user_manager, self.company), (self.user_b, self.company_b)):
            run = self.run_analysis(user=user, company=company)
            self.assertEqual(run.status, "done", run.message)
        # Company A: weekly (9 × 14 × 25 = 3150) ranks 1 → A (ceil(0.2·3) = 1), steady
        # (63 × 4 × 10 = 2520) rank 2 → B (ceil(0.5·3) = 2), dozen (3 × 60 = 180) → C. Weekly
        # and steady sell the same every week (CV 0: X); dozen 12, 24, 0 in the weeks since its
        # first sale: mean 12, population σ √96, CV 0.8165 → Z.
        expected = {
            self.weekly: ("AX", self.weekly_revenue, 0.0),
            self.steady: ("BX", self.steady_revenue, 0.0),
            self.dozen: ("CZ", self.dozen_revenue, 96**0.5 / 12),
        }
        for product, (segment, revenue, cv) in expected.items():
            product = product.with_company(self.company)
            with self.subTest(product=product.name):
                self.assertEqual(product.erpconnect_segment, segment)
                self.assertEqual(product.erpconnect_abc + product.erpconnect_xyz, segment)
                self.assertAlmostEqual(product.erpconnect_revenue, revenue, places=2)
                self.assertAlmostEqual(product.erpconnect_cv, cv, places=4)
        self.assertFalse(self.unsold.with_company(self.company).erpconnect_segment)
        # Company B's only product: rank 1 → A, 3 a day → X.
        self.assertEqual(self.product_b.with_company(self.company_b).erpconnect_segment, "AX")
        self.assertFalse(self.product_b.with_company(self.company).erpconnect_segment)

    @freeze_time(NOW)
    def test_get_segmentation(self):
        Product = self.env["product.product"].with_user(self.user_viewer)
        result = Product.get_segmentation(days=LOOKBACK_DAYS)
        self.assertEqual(
            (result["company_id"], result["as_of"], result["days"]),
            (self.company.id, "2024-06-30", LOOKBACK_DAYS),
        )
        rows = {row["product_id"]: row for row in result["products"]}
        self.assertEqual(list(rows), [self.weekly.id, self.steady.id, self.dozen.id], "by revenue")
        self.assertEqual(
            (rows[self.weekly.id]["segment"], rows[self.weekly.id]["revenue"]),
            ("AX", self.weekly_revenue),
        )
        self.assertAlmostEqual(
            rows[self.steady.id]["revenue_share"], self.steady_revenue / self.total_revenue
        )
        self.assertEqual(rows[self.dozen.id]["segment"], "CZ")
        self.assertAlmostEqual(rows[self.dozen.id]["cv"], 96**0.5 / 12)
        cells = {(cell["abc"], cell["xyz"]): cell for cell in result["matrix"]}
        self.assertEqual(len(cells), 9)
        self.assertEqual(cells[("B", "X")]["product_count"], 1)
        # The last 7 days only: weekly 14 × 25 = 350 (A), steady 28 × 10 = 280 (rank 2 of 2 >
        # ceil(0.5·2) = 1: C); one week is too short for a CV: Z, cv None.
        rows = {row["product_id"]: row for row in Product.get_segmentation(days=7)["products"]}
        self.assertEqual(set(rows), {self.weekly.id, self.steady.id})
        self.assertEqual(
            (rows[self.weekly.id]["segment"], rows[self.weekly.id]["cv"]), ("AZ", None)
        )
        self.assertEqual(rows[self.steady.id]["segment"], "CZ")
        with self.assertRaises(AccessError):
            self.env["product.product"].with_user(self.employee).get_segmentation()

    def test_get_segmentation_rejects_bad_days(self):
        Product = self.env["product.product"].with_user(self.user_viewer)
        for bad in (0, 6, 5000, "60", 60.0, True, None):
            with self.subTest(days=bad), self.assertRaises(ValidationError):
                Product.get_segmentation(days=bad)

    @freeze_time(NOW)
    def test_get_segmentation_without_sales(self):
        empty = self.env["res.company"].create({"name": "ERPConnect no sales"})
        self.user_viewer.company_ids = [(4, empty.id)]
        result = (
            self.env["product.product"]
            .with_user(self.user_viewer)
            .with_company(empty)
            .get_segmentation()
        )
        self.assertEqual((result["products"], result["matrix"]), ([], []))
        self.assertEqual((result["company_id"], result["days"]), (empty.id, 60))
