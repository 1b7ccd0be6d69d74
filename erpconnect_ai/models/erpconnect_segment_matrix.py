import math

from odoo import api, fields, models

from .. import engine

ABC_CLASSES = [("A", "A"), ("B", "B"), ("C", "C")]
XYZ_CLASSES = [("X", "X"), ("Y", "Y"), ("Z", "Z")]
SEGMENTS = [(abc + xyz, abc + xyz) for abc in "ABC" for xyz in "XYZ"]


class ErpconnectSegmentMatrix(models.Model):
    """One cell of a company's 3×3 ABC/XYZ matrix from one analysis run.

    ABC ranks products by revenue, XYZ by the coefficient of variation of their weekly demand.
    A cell keeps its products (``product_ids``) and their figures (``product_figures``) so that
    publishing the run writes the segment fields of ``product.product`` for that company.
    """

    _name = "erpconnect.segment.matrix"
    _inherit = ["erpconnect.result.mixin"]
    _erpconnect_step_name = "segments"
    _description = "ERPConnect AI ABC/XYZ matrix cell"
    _order = "company_id, abc, xyz"
    _rec_name = "segment"
    _check_company_auto = True

    currency_id = fields.Many2one(related="company_id.currency_id")
    abc = fields.Selection(ABC_CLASSES, string="ABC", required=True, index=True)
    xyz = fields.Selection(XYZ_CLASSES, string="XYZ", required=True, index=True)
    segment = fields.Selection(SEGMENTS, compute="_compute_segment", store=True, index=True)
    product_count = fields.Integer("Products")
    revenue = fields.Monetary(currency_field="currency_id")
    revenue_share = fields.Float(
        "Revenue share", digits=(16, 4), help="Share of the company's revenue (0 to 1)."
    )
    recommendation = fields.Char(
        compute="_compute_recommendation",
        help="How to manage the stock of the products of this cell (in the user's language).",
    )
    product_ids = fields.Many2many(
        "product.product",
        "erpconnect_segment_matrix_product_rel",
        "matrix_id",
        "product_id",
        string="Products of the cell",
    )
    product_figures = fields.Json(
        help="Per product of the cell: {product id: [revenue, revenue share, CV]}.",
    )

    _sql_constraints = [
        (
            "cell_uniq",
            "unique(run_id, company_id, abc, xyz)",
            "A run has one matrix cell per company and ABC/XYZ class.",
        ),
    ]

    @api.depends("abc", "xyz")
    def _compute_segment(self):
        for cell in self:
            cell.segment = (cell.abc + cell.xyz) if cell.abc and cell.xyz else False

    @api.depends("segment")
    def _compute_recommendation(self):
        for cell in self:
            cell.recommendation = cell.segment and recommendation_of(self.env, cell.segment)

    def action_open_products(self):
        """The products of this cell, in a list that shows their segment fields."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Products %(segment)s", segment=self.segment),
            "res_model": "product.product",
            "views": [
                (self.env.ref("erpconnect_ai.product_product_view_list_segment").id, "list"),
                (False, "form"),
            ],
            "domain": [("erpconnect_segment_cell_ids", "in", self.ids)],
            "context": {"create": False},
        }

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Segment the products of ``inputs`` (engine ``segment_abc_xyz`` over the look-back
        window, settings ``abc_mode``, ``abc_a``/``abc_b``, ``xyz_x``/``xyz_y``, weekly CV) and
        stage the 9 cells of ``run`` with their products; sets ``inputs.segments``. Returns the
        number of products segmented. Publishing the run writes the products' segment fields.
        """
        history = inputs.history
        if history is None or history.empty:
            return 0
        settings = inputs.settings
        segments, matrix = self._segment(history, settings, inputs.as_of, settings["lookback_days"])
        inputs.segments = segments
        figures = {}
        members = {}
        for row in segments.itertuples(index=False):
            key = (row.abc, row.xyz)
            figures.setdefault(key, {})[str(int(row.product_id))] = [
                float(row.revenue),
                float(row.revenue_share),
                finite_or_none(row.cv),
            ]
            members.setdefault(key, []).append(int(row.product_id))
        self.create(
            [
                dict(
                    cell_figures(cell),
                    active=False,
                    run_id=run.id,
                    company_id=inputs.company_id,
                    product_ids=[fields.Command.set(members.get((cell.abc, cell.xyz), []))],
                    product_figures=figures.get((cell.abc, cell.xyz), {}),
                )
                for cell in matrix.itertuples(index=False)
            ]
        )
        return len(segments)

    @api.model
    def _publish_run(self, run):
        """Make the run's cells current, and write its segments on the products."""
        result = super()._publish_run(run)
        self.env["product.product"]._erpconnect_publish_run(run)
        return result

    @api.model
    def _segment(self, history, settings, as_of, lookback_days):
        """Engine ``segment_abc_xyz`` of ``history`` over ``lookback_days`` days up to ``as_of``
        with the settings' ABC mode and ABC/XYZ thresholds (weekly CV): ``(segments, matrix)``."""
        return engine.segment_abc_xyz(
            history,
            mode=settings["abc_mode"],
            abc_thresholds=(settings["abc_a"], settings["abc_b"]),
            xyz_thresholds=(settings["xyz_x"], settings["xyz_y"]),
            as_of=as_of,
            lookback_days=lookback_days,
        )


def recommendation_of(env, segment):
    """The engine's recommendation for ``segment`` (e.g. ``"AX"``) in the user's language."""
    return env._(engine.segmentation.RECOMMENDATIONS[segment])


def cell_figures(cell):
    """``abc, xyz, product_count, revenue, revenue_share`` of an engine matrix row, as plain
    Python values."""
    return {
        "abc": cell.abc,
        "xyz": cell.xyz,
        "product_count": int(cell.product_count),
        "revenue": float(cell.revenue),
        "revenue_share": float(cell.revenue_share),
    }


def finite_or_none(value):
    """``value`` as a float, or None when it is missing or not finite (JSON has no NaN)."""
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None
