from odoo import fields, models


class ResCompany(models.Model):
    """The warehouse the company's analysis is restricted to (empty: the whole company)."""

    _inherit = "res.company"

    erpconnect_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Analysed warehouse",
        check_company=True,
        domain="[('company_id', '=', id)]",
        help="Restrict the analysis to one warehouse: demand from its orders (or its deliveries) "
        "only, stock from its locations, suggestions for its reorder rules. Empty: the whole "
        "company, with the suggestions for its first warehouse.",
    )
