from odoo import api, fields, models


class ErpconnectResultMixin(models.AbstractModel):
    """Rows computed by an analysis run for one company; a model with this mixin is one step of
    the pipeline (``erpconnect.run._pipeline_steps()``).

    A step implements ``_run_step(run, inputs)``: it stages its rows inactive under the run.
    When every step succeeded ``_publish_run`` makes them current and drops the company's older
    rows, in the run's publishing transaction. A failed or killed run's staged rows are removed
    by ``_discard_run``; the current rows stay. Models whose rows carry what people wrote
    (anomalies) override both hooks to merge instead.
    """

    _name = "erpconnect.result.mixin"
    _description = "ERPConnect AI analysis result"
    #: Name of the step on the run (``erpconnect.run.step``).
    _erpconnect_step_name = None
    #: True when the step batches and commits itself through ``run._checkpoint()``; else the
    #: run wraps it in a savepoint.
    _erpconnect_step_commits = False

    active = fields.Boolean(
        default=True,
        index=True,
        help="Unset while the row is staged by an analysis run that is not finished.",
    )
    run_id = fields.Many2one(
        "erpconnect.run",
        string="Analysis run",
        required=True,
        index=True,
        readonly=True,
        ondelete="cascade",
    )
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)

    @api.model
    def _run_step(self, run, inputs):
        """Compute this step's results for ``inputs`` (an ``AnalysisInput`` of ``run``'s
        company) and stage them under ``run`` (inactive). May set ``inputs`` fields for the next
        steps and ``run._add_warning(text)``; must not commit (unless
        ``_erpconnect_step_commits``); raises to fail the run.

        :return: the number of records staged (shown on the run's step)
        """
        raise NotImplementedError(f"{self._name} does not implement _run_step")

    @api.model
    def _publish_run(self, run):
        """Make the rows staged by ``run`` for its company current and drop the company's
        other rows."""
        everything = self.with_context(active_test=False)
        company = run.company_id
        everything.search([("company_id", "=", company.id), ("run_id", "!=", run.id)]).unlink()
        everything.search([("company_id", "=", company.id), ("run_id", "=", run.id)]).write(
            {"active": True}
        )

    @api.model
    def _discard_run(self, run):
        """Remove the rows ``run`` staged for its company (failed or killed run)."""
        self.with_context(active_test=False).search(
            [
                ("company_id", "=", run.company_id.id),
                ("run_id", "=", run.id),
                ("active", "=", False),
            ]
        ).unlink()
