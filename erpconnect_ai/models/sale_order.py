from odoo import api, models

#: Fields of a confirmed order the demand ledger depends on (its day, warehouse, customer, rate).
LEDGER_FIELDS = frozenset(
    ("state", "date_order", "warehouse_id", "partner_id", "currency_rate", "company_id")
)
#: Fields of an order its deliveries' daily summary depends on (lateness, lead times, company).
DELIVERY_FIELDS = frozenset(("state", "commitment_date", "date_order", "company_id"))


class SaleOrder(models.Model):
    """Keep the demand ledger current when orders are confirmed, cancelled or moved to another
    day, the daily deliveries when their delivered orders change, and drop the cached KPIs when
    their state changes: the figures move at once."""

    _inherit = "sale.order"

    @api.model_create_multi
    def create(self, vals_list):
        orders = super().create(vals_list)
        confirmed = orders.filtered(lambda order: order.state == "sale")
        if confirmed:
            self.env["erpconnect.demand.upkeep"]._defer(orders=confirmed.ids)
            self.env["erpconnect.kpi.cache"]._invalidate(confirmed.company_id.ids)
        return orders

    def write(self, vals):
        upkeep = self.env["erpconnect.demand.upkeep"].sudo()
        tracked = not LEDGER_FIELDS.isdisjoint(vals)
        before = set()
        if tracked and any(order.state == "sale" for order in self):
            before = upkeep._keys_of_orders(self.ids)  # a cancelled order's keys are gone after
        result = super().write(vals)
        if tracked and (before or any(order.state == "sale" for order in self)):
            upkeep._defer(orders=self.ids, keys=before)
        if not DELIVERY_FIELDS.isdisjoint(vals):
            upkeep._defer(delivery_orders=self.ids)
        if "state" in vals:  # action_confirm and _action_cancel write the state
            self.env["erpconnect.kpi.cache"]._invalidate(self.company_id.ids)
        return result
