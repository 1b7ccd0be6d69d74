from datetime import timedelta

from odoo import api, fields, models
from odoo.tools import SQL

from .arguments import MAX_SEGMENTATION_DAYS, check_days, check_viewer
from .erpconnect_segment_matrix import (
    ABC_CLASSES,
    SEGMENTS,
    XYZ_CLASSES,
    cell_figures,
    finite_or_none,
    recommendation_of,
)

# Company-dependent segment fields, written together when a run is published.
SEGMENT_FIELDS = (
    "erpconnect_abc",
    "erpconnect_xyz",
    "erpconnect_segment",
    "erpconnect_revenue",
    "erpconnect_cv",
)
MIN_SEGMENTATION_DAYS = 7


class ProductProduct(models.Model):
    """ABC/XYZ segment of the product for the current company.

    The segment fields are ``company_dependent``: Odoo 18 stores them in one jsonb column per
    field (``{"<company id>": value}``) and reads, searches, sorts and groups them in SQL for
    ``env.company``, so the product list filters and groups by segment per company without a
    computed field or a join. They are written in bulk (one UPDATE) when an analysis run is
    published, never while it runs.
    """

    _inherit = "product.product"

    erpconnect_abc = fields.Selection(
        ABC_CLASSES,
        string="ABC class",
        company_dependent=True,
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
        help="A: the products that make most of the revenue; C: the long tail.",
    )
    erpconnect_xyz = fields.Selection(
        XYZ_CLASSES,
        string="XYZ class",
        company_dependent=True,
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
        help="X: steady weekly demand; Y: variable; Z: erratic (by coefficient of variation).",
    )
    erpconnect_segment = fields.Selection(
        SEGMENTS,
        string="ABC/XYZ segment",
        company_dependent=True,
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
    )
    erpconnect_revenue = fields.Float(
        string="Segment revenue",
        digits="Product Price",
        company_dependent=True,
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
        help="Revenue over the analysis look-back window, in the company currency.",
    )
    erpconnect_cv = fields.Float(
        string="Demand CV",
        digits=(16, 3),
        company_dependent=True,
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
        help="Coefficient of variation of the weekly demand (standard deviation / mean).",
    )
    erpconnect_segment_cell_ids = fields.Many2many(
        "erpconnect.segment.matrix",
        "erpconnect_segment_matrix_product_rel",
        "product_id",
        "matrix_id",
        string="ABC/XYZ cells",
        copy=False,
        groups="erpconnect_ai.group_erpconnect_viewer",
    )

    # ------------------------------------------------------------------ public API (JSON-RPC)

    @api.model
    @api.readonly
    def get_segmentation(self, days=60):
        """ABC/XYZ segmentation of the current company's products over the last ``days`` days
        of sales, computed now with the configured modes and thresholds (the stored segment
        fields hold the nightly one over the configured look-back).

        :param int days: look-back window in days (7 to 365, default 60).
        :returns: ``{"company_id", "as_of" (ISO date), "days", "products": [{"product_id",
            "product_name", "default_code", "revenue", "revenue_share", "abc", "cv", "xyz",
            "segment"}] (by revenue, highest first; ``cv`` is None without weekly demand),
            "matrix": [{"abc", "xyz", "product_count", "revenue", "revenue_share",
            "recommendation"}] (9 cells, empty without sales)}``.
        :raises ValidationError: when ``days`` is not an integer in range.
        :raises AccessError: the user is not an ERPConnect AI user (Viewer and above).
        """
        # Segments are Viewer data: the figures come from sales the Viewer may not read line by
        # line, so the extraction runs as superuser for the current company only.
        check_viewer(self.env)
        check_days(self.env, days, minimum=MIN_SEGMENTATION_DAYS, maximum=MAX_SEGMENTATION_DAYS)
        company = self.env.company
        Run = self.env["erpconnect.run"].sudo().with_company(company)
        settings = company._erpconnect_settings()
        as_of = Run._get_as_of(company)
        history = (
            self.env["erpconnect.demand.daily"]
            .sudo()
            .with_company(company)
            ._history(
                company,
                as_of - timedelta(days=days - 1),
                as_of,
                source=settings["demand_source"],
                warehouse=Run._get_analysis_warehouse(company) or None,
            )
        )
        result = {
            "company_id": company.id,
            "as_of": fields.Date.to_string(as_of),
            "days": days,
            "products": [],
            "matrix": [],
        }
        if history.empty:
            return result
        segments, matrix = self.env["erpconnect.segment.matrix"]._segment(
            history, settings, as_of, days
        )
        segments = segments.sort_values(["revenue", "product_id"], ascending=[False, True])
        products = self.browse(segments["product_id"].astype(int).tolist())
        for product, row in zip(products, segments.itertuples(index=False)):
            result["products"].append(
                {
                    "product_id": product.id,
                    "product_name": product.display_name,
                    "default_code": product.default_code or False,
                    "revenue": float(row.revenue),
                    "revenue_share": float(row.revenue_share),
                    "abc": row.abc,
                    "cv": finite_or_none(row.cv),
                    "xyz": row.xyz,
                    "segment": row.segment,
                }
            )
        result["matrix"] = [
            dict(
                cell_figures(cell), recommendation=recommendation_of(self.env, cell.abc + cell.xyz)
            )
            for cell in matrix.itertuples(index=False)
        ]
        return result

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _erpconnect_publish_run(self, run):
        """Write the segments ``run`` staged for its company (``run.company_id``) on the
        products; products it did not segment lose their segment for that company. Called when
        the run's cells are published (``erpconnect.segment.matrix._publish_run``)."""
        company = run.company_id
        cells = (
            self.env["erpconnect.segment.matrix"]
            .with_context(active_test=False)
            .search([("run_id", "=", run.id), ("company_id", "=", company.id)])
        )
        columns = {name: [] for name in ("id", "abc", "xyz", "segment", "revenue", "cv")}
        for cell in cells:
            for product_id, (revenue, _share, cv) in (cell.product_figures or {}).items():
                columns["id"].append(int(product_id))
                columns["abc"].append(cell.abc)
                columns["xyz"].append(cell.xyz)
                columns["segment"].append(cell.segment)
                columns["revenue"].append(revenue)
                columns["cv"].append(cv)
        self._erpconnect_write_segments(company, columns)

    @api.model
    def _erpconnect_write_segments(self, company, columns):
        """Set the segment fields of ``company`` in one UPDATE from ``columns`` (lists ``id,
        abc, xyz, segment, revenue, cv``, None = no value) and remove that company's values
        from every other product in a second one."""
        self.flush_model(SEGMENT_FIELDS)
        key = str(company.id)
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_product AS p
                   SET erpconnect_abc = COALESCE(p.erpconnect_abc, '{}')
                           || jsonb_build_object(%(key)s, v.abc),
                       erpconnect_xyz = COALESCE(p.erpconnect_xyz, '{}')
                           || jsonb_build_object(%(key)s, v.xyz),
                       erpconnect_segment = COALESCE(p.erpconnect_segment, '{}')
                           || jsonb_build_object(%(key)s, v.segment),
                       erpconnect_revenue = COALESCE(p.erpconnect_revenue, '{}')
                           || jsonb_build_object(%(key)s, v.revenue),
                       erpconnect_cv = COALESCE(p.erpconnect_cv, '{}')
                           || jsonb_build_object(%(key)s, v.cv)
                  FROM unnest(%(ids)s::int[], %(abc)s::varchar[], %(xyz)s::varchar[],
                              %(segment)s::varchar[], %(revenue)s::float8[], %(cv)s::float8[])
                       AS v(id, abc, xyz, segment, revenue, cv)
                 WHERE p.id = v.id
                """,
                key=key,
                ids=columns["id"],
                abc=columns["abc"],
                xyz=columns["xyz"],
                segment=columns["segment"],
                revenue=columns["revenue"],
                cv=columns["cv"],
            )
        )
        self.env.cr.execute(
            SQL(
                """
                UPDATE product_product
                   SET erpconnect_abc = erpconnect_abc - %(key)s,
                       erpconnect_xyz = erpconnect_xyz - %(key)s,
                       erpconnect_segment = erpconnect_segment - %(key)s,
                       erpconnect_revenue = erpconnect_revenue - %(key)s,
                       erpconnect_cv = erpconnect_cv - %(key)s
                 WHERE NOT (id = ANY(%(ids)s::int[]))
                   AND (jsonb_exists(erpconnect_abc, %(key)s)
                        OR jsonb_exists(erpconnect_revenue, %(key)s))
                """,
                key=key,
                ids=columns["id"],
            )
        )
        self.invalidate_model(SEGMENT_FIELDS)
