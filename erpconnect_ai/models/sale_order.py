from odoo import api, models


class SaleOrder(models.Model):
    """Drop the cached KPIs when orders are confirmed or cancelled: the figures move at once."""

    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        if any(vals.get("state") == "sale" for vals in vals_list):
            self.env["erpconnect.kpi.cache"]._invalidate(orders.company_id.ids)
        return orders

    def write(self, vals):
        result = super().write(vals)
        if "state" in vals:  # action_confirm and _action_cancel write the state
            self.env["erpconnect.kpi.cache"]._invalidate(self.company_id.ids)
        return result
