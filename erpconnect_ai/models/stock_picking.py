from odoo import fields, models

#: Fields of a picking the daily deliveries depend on, when written (state, deadlines and order
#: are computed: their computes register the pickings).
DELIVERY_FIELDS = frozenset(
    (
        "date_done",
        "state",
        "scheduled_date",
        "date_deadline",
        "sale_id",
        "picking_type_id",
        "company_id",
    )
)


class StockPicking(models.Model):
    """Index the moment a picking was done (the upkeep of the daily deliveries reads the pickings
    done on some days, a few hundred of a table that grows with every order) and keep the daily
    deliveries (``erpconnect.delivery.daily``) current: the pickings created, done, cancelled or
    whose dates or order change are registered with the upkeep (``_defer``)."""

    _inherit = "stock.picking"

    date_done = fields.Datetime(index=True)

    def _defer_deliveries(self, moments=(), orders=()):
        """Register these pickings (saved ones), the orders ``orders`` and the days of
        ``moments`` for the refresh of the daily deliveries before the commit."""
        saved = [picking_id for picking_id in self.ids if isinstance(picking_id, int)]
        if saved or moments or orders:
            self.env["erpconnect.demand.upkeep"].sudo()._defer(
                pickings=saved, moments=moments, delivery_orders=orders
            )

    def _compute_state(self):
        result = super()._compute_state()
        self._defer_deliveries()
        return result

    def _compute_scheduled_date(self):
        result = super()._compute_scheduled_date()
        self._defer_deliveries()
        return result

    def _compute_date_deadline(self):
        result = super()._compute_date_deadline()
        self._defer_deliveries()
        return result

    def _compute_sale_id(self):
        result = super()._compute_sale_id()
        self._defer_deliveries()
        return result

    def write(self, vals):
        if DELIVERY_FIELDS.isdisjoint(vals):
            return super().write(vals)
        # the days and orders they had: a picking done again, moved or given to another order
        # (read as superuser: a stock user may not read sale orders)
        before = self.sudo().filtered("date_done")
        moments = {
            (company_id, picking.date_done)
            for picking in before
            for company_id in (picking.company_id.id, picking.sale_id.company_id.id)
            if company_id
        }
        orders = self.sudo().sale_id.ids
        result = super().write(vals)
        self._defer_deliveries(moments, orders)
        return result

    def unlink(self):
        self.env["erpconnect.demand.upkeep"].sudo()._defer(delivery_orders=self.sudo().sale_id.ids)
        return super().unlink()
