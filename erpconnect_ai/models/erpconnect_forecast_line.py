from odoo import fields, models


class ErpconnectForecastLine(models.Model):
    """One forecast day of a product: quantity and its 95 % interval."""

    _name = "erpconnect.forecast.line"
    _description = "ERPConnect AI daily forecast"
    _order = "forecast_id, date"
    _rec_name = "date"
    # Written in bulk by the analysis (90 lines a product every night), never edited: no
    # create/write user and date, whose two foreign keys cost 40 % of that INSERT.
    _log_access = False

    forecast_id = fields.Many2one(
        "erpconnect.forecast", required=True, index=True, ondelete="cascade"
    )
    product_id = fields.Many2one(related="forecast_id.product_id", store=True, index=True)
    company_id = fields.Many2one(related="forecast_id.company_id", store=True, index=True)
    date = fields.Date(required=True, index=True)
    qty = fields.Float("Quantity", digits="Product Unit of Measure")
    lower = fields.Float("Low", digits="Product Unit of Measure")
    upper = fields.Float("High", digits="Product Unit of Measure")
    qty_adjusted = fields.Float(
        "Adjusted",
        digits="Product Unit of Measure",
        help="The forecast suggestions follow: after a planner's adjustment of this day, else "
        "the statistical one.",
    )
    is_adjusted = fields.Boolean(
        "Adjusted day", help="A planner's adjustment changed the forecast of this day."
    )
