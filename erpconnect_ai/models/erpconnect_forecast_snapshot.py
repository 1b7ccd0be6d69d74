from odoo import fields, models

from .res_company import FORECAST_METHODS


class ErpconnectForecastSnapshot(models.Model):
    """What an analysis run forecast, kept until its days have passed and been scored.

    The accuracy step (``erpconnect.forecast.accuracy._run_step``) copies the first
    ``SNAPSHOT_DAYS`` (28: four horizon weeks) daily lines of the run's forecasts here, at most
    one run a week per company (about 280,000 rows for 10,000 products), scores each horizon week
    once its days have passed and deletes the rows it scored: the table holds at most the last
    four weekly snapshots. Written and deleted in bulk SQL; nobody edits it.
    """

    _name = "erpconnect.forecast.snapshot"
    _description = "ERPConnect AI forecast kept for scoring"
    _order = "origin desc, product_id, date"
    _rec_name = "date"
    _log_access = False

    run_id = fields.Many2one(
        "erpconnect.run", required=True, index=True, ondelete="cascade", readonly=True
    )
    company_id = fields.Many2one("res.company", required=True, readonly=True)
    product_id = fields.Many2one(
        "product.product", required=True, ondelete="cascade", readonly=True
    )
    origin = fields.Date(required=True, readonly=True, help="Last day of history of the run.")
    date = fields.Date(required=True, readonly=True)
    method = fields.Selection(
        [(code, label) for code, label in FORECAST_METHODS if code != "auto"], readonly=True
    )
    qty = fields.Float("Statistical", digits="Product Unit of Measure", readonly=True)
    lower = fields.Float("Low", digits="Product Unit of Measure", readonly=True)
    upper = fields.Float("High", digits="Product Unit of Measure", readonly=True)
    qty_adjusted = fields.Float("Adjusted", digits="Product Unit of Measure", readonly=True)
    is_adjusted = fields.Boolean("Adjusted day", readonly=True)
    scale = fields.Float(
        "Error scale", readonly=True, help="The forecast's error scale (MASE unit) at its origin."
    )

    def init(self):
        self.env.cr.execute(
            """
            CREATE INDEX IF NOT EXISTS erpconnect_forecast_snapshot_company_origin_idx
                ON erpconnect_forecast_snapshot (company_id, origin, date)
            """
        )
