import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import engine

ADJUSTMENT_KINDS = [("factor", "Multiply the forecast"), ("quantity", "Set a quantity per day")]
ADJUSTMENT_REASONS = [
    ("promotion", "Promotion"),
    ("new_customer", "New customer"),
    ("phase_out", "Phase-out"),
    ("other", "Other"),
]


class ErpconnectForecastAdjustment(models.Model):
    """A planner's change of a product's forecast over a date range (issue 11, item 5).

    From ``date_from`` to ``date_to`` (included) the product's daily forecast is multiplied by
    ``factor`` or replaced by ``quantity`` units a day (``engine.adjustments``). The forecasts
    show the statistical and the adjusted figures side by side as soon as the adjustment is
    saved; the next analysis orders for the adjusted forecast, keeps both in its snapshot and,
    once the days have passed, measures whether the adjustment helped (the "Forecast value added"
    KPI). Managers create and change adjustments; Viewers read them. Adjustments of a product
    may not overlap (one adjusted figure a day).
    """

    _name = "erpconnect.forecast.adjustment"
    _description = "ERPConnect AI forecast adjustment"
    _inherit = ["mail.thread"]
    _order = "date_from desc, id desc"
    _check_company_auto = True

    active = fields.Boolean(default=True, tracking=True)
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        check_company=True,
        ondelete="cascade",
        tracking=True,
        domain=[("type", "=", "consu")],
    )
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    date_from = fields.Date("From", required=True, index=True, tracking=True)
    date_to = fields.Date("To", required=True, index=True, tracking=True)
    kind = fields.Selection(
        ADJUSTMENT_KINDS, "Adjustment", required=True, default="factor", tracking=True
    )
    factor = fields.Float(
        default=1.0,
        digits=(16, 2),
        tracking=True,
        help="The statistical forecast of each day is multiplied by this factor "
        "(2: twice as much, 0: nothing).",
    )
    quantity = fields.Float(
        "Quantity per day",
        digits="Product Unit of Measure",
        tracking=True,
        help="The forecast of each day is this quantity, whatever the statistics said.",
    )
    reason = fields.Selection(ADJUSTMENT_REASONS, required=True, default="promotion", tracking=True)
    note = fields.Text(help="What the adjustment is based on (the promotion, the customer, ...).")
    user_id = fields.Many2one(
        "res.users",
        "Adjusted by",
        required=True,
        readonly=True,
        default=lambda self: self.env.user,
        index=True,
    )
    days = fields.Integer(compute="_compute_days", help="Days from the first to the last day.")
    statistical_qty = fields.Float(
        "Statistical forecast",
        digits="Product Unit of Measure",
        compute="_compute_forecast_qty",
        help="The current statistical forecast of the adjusted days that are in its horizon.",
    )
    adjusted_qty = fields.Float(
        "Adjusted forecast",
        digits="Product Unit of Measure",
        compute="_compute_forecast_qty",
        help="The current forecast of the same days with this adjustment.",
    )

    _sql_constraints = [
        (
            "dates_ordered",
            "CHECK(date_to >= date_from)",
            "An adjustment ends on or after its start.",
        ),
        (
            "factor_positive",
            "CHECK(factor >= 0)",
            "The factor of an adjustment cannot be negative.",
        ),
        (
            "quantity_positive",
            "CHECK(quantity >= 0)",
            "The quantity of an adjustment cannot be negative.",
        ),
    ]

    @api.depends("product_id", "date_from", "date_to", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for adjustment in self:
            adjustment.display_name = "%s · %s → %s · %s" % (
                adjustment.product_id.display_name or "",
                adjustment.date_from or "",
                adjustment.date_to or "",
                kinds.get(adjustment.kind, ""),
            )

    @api.depends("date_from", "date_to")
    def _compute_days(self):
        for adjustment in self:
            if adjustment.date_from and adjustment.date_to:
                adjustment.days = (adjustment.date_to - adjustment.date_from).days + 1
            else:
                adjustment.days = 0

    @api.depends("product_id", "date_from", "date_to", "kind", "factor", "quantity")
    def _compute_forecast_qty(self):
        """Statistical and adjusted quantities of the current forecast lines of the adjusted
        days (one grouped read for all the adjustments)."""
        for adjustment in self:
            adjustment.statistical_qty = adjustment.adjusted_qty = 0.0
        adjustments = self.filtered(lambda a: a.product_id and a.date_from and a.date_to)
        if not adjustments:
            return
        lines = (
            self.env["erpconnect.forecast.line"]
            .sudo()
            .search_read(
                [
                    ("forecast_id.active", "=", True),
                    ("product_id", "in", adjustments.product_id.ids),
                    ("company_id", "in", adjustments.company_id.ids),
                    ("date", ">=", min(adjustments.mapped("date_from"))),
                    ("date", "<=", max(adjustments.mapped("date_to"))),
                ],
                ["product_id", "company_id", "date", "qty"],
            )
        )
        lines = pd.DataFrame(lines, columns=["product_id", "company_id", "date", "qty"])
        for adjustment in adjustments:
            days = lines[
                (lines["product_id"].str[0] == adjustment.product_id.id)
                & (lines["company_id"].str[0] == adjustment.company_id.id)
                & (lines["date"] >= adjustment.date_from)
                & (lines["date"] <= adjustment.date_to)
            ].assign(product_id=adjustment.product_id.id)
            adjusted = engine.adjust_lines(days, adjustment._adjustments_rows())
            adjustment.statistical_qty = days["qty"].sum()
            adjustment.adjusted_qty = adjusted.sum()

    @api.constrains("product_id", "company_id", "date_from", "date_to", "active")
    def _check_no_overlap(self):
        """One adjusted figure a day: the active adjustments of a product do not overlap."""
        for adjustment in self.filtered("active"):
            overlapping = self.search(
                [
                    ("id", "!=", adjustment.id),
                    ("company_id", "=", adjustment.company_id.id),
                    ("product_id", "=", adjustment.product_id.id),
                    ("date_from", "<=", adjustment.date_to),
                    ("date_to", ">=", adjustment.date_from),
                ],
                limit=1,
            )
            if overlapping:
                raise ValidationError(
                    self.env._(
                        "%(product)s is already adjusted from %(start)s to %(end)s: change that "
                        "adjustment or choose other days.",
                        product=adjustment.product_id.display_name,
                        start=overlapping.date_from,
                        end=overlapping.date_to,
                    )
                )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        adjustments = super().create(vals_list)
        adjustments._refresh_forecasts()
        return adjustments

    def write(self, vals):
        before = self._forecast_keys()
        result = super().write(vals)
        if set(vals) & {
            "active",
            "company_id",
            "product_id",
            "date_from",
            "date_to",
            "kind",
            "factor",
            "quantity",
        }:
            self._refresh_forecasts(before)
        return result

    def unlink(self):
        keys = self._forecast_keys()
        result = super().unlink()
        self.env["erpconnect.forecast"]._refresh_adjusted(keys)
        return result

    # ------------------------------------------------------------------ business

    def _forecast_keys(self):
        """``{(company id, product id)}`` of ``self``."""
        return {(a.company_id.id, a.product_id.id) for a in self}

    def _refresh_forecasts(self, extra_keys=()):
        """Recompute the adjusted figures of the forecasts of the products of ``self`` (and of
        ``extra_keys``, the products they adjusted before a change)."""
        self.env["erpconnect.forecast"]._refresh_adjusted(self._forecast_keys() | set(extra_keys))

    def _adjustments_rows(self):
        """``self`` as the engine reads adjustments (``ADJUSTMENT_COLUMNS``, in record order)."""
        return pd.DataFrame(
            [
                (
                    a.product_id.id,
                    a.date_from,
                    a.date_to,
                    a.kind,
                    a.factor if a.kind == "factor" else a.quantity,
                )
                for a in self
            ],
            columns=list(engine.adjustments.ADJUSTMENT_COLUMNS),
        )

    @api.model
    def _adjustments_frame(self, company_id, date_from, date_to, product_ids=None):
        """The active adjustments of ``company_id`` that touch ``[date_from, date_to]``, as the
        engine reads them (``engine.adjustments.ADJUSTMENT_COLUMNS``: ``product_id, date_from,
        date_to, kind, value``; ``value`` the factor or the quantity); one search."""
        domain = [
            ("company_id", "=", company_id),
            ("date_to", ">=", date_from),
            ("date_from", "<=", date_to),
        ]
        if product_ids is not None:
            domain.append(("product_id", "in", list(product_ids)))
        adjustments = (
            self.sudo().with_context(active_test=True).search(domain, order="date_from, id")
        )
        return adjustments._adjustments_rows()
