from odoo import fields, models


class ErpconnectBudgetWizardLine(models.TransientModel):
    """A candidate suggestion of "Create RFQs within a budget", in buying order."""

    _name = "erpconnect.budget.wizard.line"
    _description = "ERPConnect AI: suggestion ranked within a budget"
    _order = "rank, id"

    wizard_id = fields.Many2one("erpconnect.budget.wizard", required=True, ondelete="cascade")
    suggestion_id = fields.Many2one(
        "erpconnect.replenishment", required=True, readonly=True, ondelete="cascade"
    )
    rank = fields.Integer(readonly=True)
    product_id = fields.Many2one(related="suggestion_id.product_id")
    vendor_id = fields.Many2one(related="suggestion_id.vendor_id")
    urgency = fields.Selection(related="suggestion_id.urgency")
    suggested_qty = fields.Float(related="suggestion_id.suggested_qty")
    product_uom_id = fields.Many2one(related="suggestion_id.product_uom_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    value = fields.Monetary(currency_field="currency_id", readonly=True)
    expected_lost_sales = fields.Monetary(
        "Expected lost sales", currency_field="currency_id", readonly=True
    )
    priority = fields.Float("Lost sales per unit spent", digits=(16, 2), readonly=True)
    selected = fields.Boolean("Order")
