from odoo import models

#: Fields of a done move the demand ledger depends on (``_action_done`` writes state and date).
LEDGER_FIELDS = frozenset(
    (
        "state",
        "date",
        "quantity",
        "product_uom_qty",
        "product_id",
        "location_id",
        "location_dest_id",
        "sale_line_id",
    )
)


class StockMove(models.Model):
    """Keep the demand ledger current when moves become done (deliveries, returns, receipts,
    inventory adjustments) or done moves are edited."""

    _inherit = "stock.move"

    def write(self, vals):
        if LEDGER_FIELDS.isdisjoint(vals):
            return super().write(vals)
        upkeep = self.env["erpconnect.demand.upkeep"].sudo()
        before = set()
        if any(move.state == "done" for move in self):
            before = upkeep._keys_of_moves(self.ids)  # an edited done move: its old day
        result = super().write(vals)
        if before or any(move.state == "done" for move in self):
            upkeep._defer(moves=self.ids, keys=before)
        return result
