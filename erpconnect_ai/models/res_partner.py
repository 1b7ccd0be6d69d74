from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResPartner(models.Model):
    """A vendor's ordering terms for the reorder suggestions, per company: how often its orders
    are decided (review period) and the smallest order it accepts (minimum order value)."""

    _inherit = "res.partner"

    erpconnect_review_days = fields.Integer(
        "Review period (days)",
        company_dependent=True,
        help="Days between two purchase decisions for this vendor (e.g. 7: ordered once a "
        "week). The suggestions then cover the lead time plus this period. 0: decided every "
        "day, as the nightly analysis does.",
    )
    erpconnect_min_order_value = fields.Float(
        "Minimum order value",
        company_dependent=True,
        digits="Product Price",
        help="Smallest untaxed order this vendor accepts, in the company's currency. Creating "
        "requests for quotation below it proposes the vendor's next most useful products.",
    )
    erpconnect_company_currency_id = fields.Many2one(
        "res.currency",
        string="Company currency",
        compute="_compute_erpconnect_company_currency_id",
    )

    @api.depends_context("company")
    def _compute_erpconnect_company_currency_id(self):
        self.erpconnect_company_currency_id = self.env.company.currency_id

    @api.constrains("erpconnect_review_days", "erpconnect_min_order_value")
    def _check_erpconnect_vendor_terms(self):
        for partner in self:
            if partner.erpconnect_review_days < 0 or partner.erpconnect_review_days > 365:
                raise ValidationError(
                    self.env._("The review period must be between 0 and 365 days.")
                )
            if partner.erpconnect_min_order_value < 0:
                raise ValidationError(self.env._("The minimum order value cannot be negative."))
