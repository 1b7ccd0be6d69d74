from odoo import fields, models


class ErpconnectRunStep(models.Model):
    """One timed step of an analysis run (extract, forecast, segments, ...)."""

    _name = "erpconnect.run.step"
    _description = "ERPConnect AI analysis run step"
    _order = "run_id, sequence, id"

    run_id = fields.Many2one("erpconnect.run", required=True, index=True, ondelete="cascade")
    company_id = fields.Many2one(related="run_id.company_id", store=True, index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char("Step", required=True)
    status = fields.Selection(
        [("done", "Done"), ("failed", "Failed"), ("skipped", "Skipped")],
        required=True,
        default="done",
    )
    started_at = fields.Datetime("Started")
    duration = fields.Float("Duration (s)", digits=(16, 3))
    record_count = fields.Integer("Records")
    message = fields.Text()
