from odoo import api, models

#: Fields of a line the demand ledger depends on (quantity, unit, price, product, order).
LEDGER_FIELDS = frozenset(
    (
        "product_id",
        "product_uom_qty",
        "product_uom",
        "price_unit",
        "discount",
        "tax_id",
        "display_type",
        "is_downpayment",
        "order_id",
    )
)


class SaleOrderLine(models.Model):
    """Keep the demand ledger current when lines of confirmed orders are added, changed or
    removed."""

    _inherit = "sale.order.line"

    @api.model_create_multi
    def create(self, vals_list):
        lines = super().create(vals_list)
        if any(line.order_id.state == "sale" for line in lines):
            self.env["erpconnect.demand.upkeep"]._defer(lines=lines.ids)
        return lines

    def write(self, vals):
        if LEDGER_FIELDS.isdisjoint(vals) or not any(
            line.order_id.state == "sale" for line in self
        ):
            return super().write(vals)
        upkeep = self.env["erpconnect.demand.upkeep"].sudo()
        before = upkeep._keys_of_lines(self.ids)  # the product or the order may change
        result = super().write(vals)
        upkeep._defer(lines=self.ids, keys=before)
        return result

    def unlink(self):
        if not any(line.order_id.state == "sale" for line in self):
            return super().unlink()
        upkeep = self.env["erpconnect.demand.upkeep"].sudo()
        before = upkeep._keys_of_lines(self.ids)
        result = super().unlink()
        upkeep._defer(keys=before)
        return result
