from odoo import fields, models


class StockPicking(models.Model):
    """Index the moment a picking was done: the delivery KPIs (``erpconnect.kpi.data``) read
    the pickings done in a period, a few thousand of a table that grows with every order."""

    _inherit = "stock.picking"

    date_done = fields.Datetime(index=True)
