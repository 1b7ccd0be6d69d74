from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError

# Mixins whose fields people change through Odoo's own features (chatter, followers,
# activities); a result model's figures are never among them.
MAIL_MIXINS = ("mail.thread", "mail.activity.mixin")


class ErpconnectResultMixin(models.AbstractModel):
    """Rows computed by an analysis run for one company; a model with this mixin is one step of
    the pipeline (``erpconnect.run._pipeline_steps()``).

    A step implements ``_run_step(run, inputs)``: it stages its rows inactive under the run.
    When every step succeeded ``_publish_run`` makes them current and drops the company's older
    rows, in the run's publishing transaction. A failed or killed run's staged rows are removed
    by ``_discard_run``; the current rows stay. Models whose rows carry what people wrote
    (anomalies) override both hooks to merge instead.

    The rows are written by the analysis only (it runs as superuser): a user creates none and
    writes only the fields of ``_erpconnect_user_fields`` (and the chatter's); the models'
    actions change a row's state after checking the user's right to act on it.
    """

    _name = "erpconnect.result.mixin"
    _description = "ERPConnect AI analysis result"
    #: Fields a user with write access may change by hand (e.g. an anomaly's note).
    _erpconnect_user_fields = ()
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

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            raise AccessError(self.env._("Analysis results are created by the analysis only."))
        return super().create(vals_list)

    def write(self, vals):
        if not self.env.su:
            refused = sorted(set(vals) - self._erpconnect_writable_fields())
            if refused:
                raise AccessError(
                    self.env._(
                        "Analysis results are written by the analysis only; these fields "
                        "cannot be changed by hand: %(fields)s.",
                        fields=", ".join(refused),
                    )
                )
        result = super().write(vals)
        if "state" in vals:
            # A decision on a row (applied, dismissed, acknowledged...) changes the dashboard's
            # panels and the KPIs that count decisions.
            self.env["erpconnect.kpi.cache"]._invalidate(self.company_id.ids)
        return result

    @api.model
    def _erpconnect_writable_fields(self):
        """Names of the fields a user (not the analysis) may write on these rows."""
        names = set(self._erpconnect_user_fields)
        for mixin in MAIL_MIXINS:
            if mixin in self.env and self._name in self.env[mixin]._inherit_children:
                names.update(self.env[mixin]._fields)
        return names - set(models.MAGIC_COLUMNS) - {"display_name"}

    def _check_current(self):
        """UserError naming the rows of ``self`` that are not current results: staged by an
        analysis that is not published yet (only published rows are active; the next
        publication deletes them). Actions call it before acting on rows."""
        staged = self.filtered(lambda row: not row.active)
        if staged:
            raise UserError(
                self.env._(
                    "These records are staged by an analysis that has not finished; nobody can "
                    "act on them before it publishes them:\n%(list)s",
                    list="\n".join("- %s" % name for name in staged.mapped("display_name")),
                )
            )

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
