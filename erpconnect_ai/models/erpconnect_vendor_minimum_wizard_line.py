from odoo import fields, models


class ErpconnectVendorMinimumWizardLine(models.TransientModel):
    """A suggestion proposed to reach a vendor's minimum order value, with its quantity."""

    _name = "erpconnect.vendor.minimum.wizard.line"
    _description = "ERPConnect AI: product proposed to reach a vendor minimum"
    _order = "id"

    wizard_id = fields.Many2one(
        "erpconnect.vendor.minimum.wizard", required=True, ondelete="cascade"
    )
    vendor_id = fields.Many2one("res.partner", readonly=True)
    suggestion_id = fields.Many2one(
        "erpconnect.replenishment", required=True, readonly=True, ondelete="cascade"
    )
    product_id = fields.Many2one(related="suggestion_id.product_id")
    urgency = fields.Selection(related="suggestion_id.urgency")
    product_uom_id = fields.Many2one(related="suggestion_id.product_uom_id")
    currency_id = fields.Many2one(related="wizard_id.currency_id")
    quantity = fields.Float(digits="Product Unit of Measure", readonly=True)
    value = fields.Monetary(currency_field="currency_id", readonly=True)
    reason = fields.Char(readonly=True)
    include = fields.Boolean("Add")
