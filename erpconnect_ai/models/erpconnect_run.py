import json
import logging
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import psycopg2

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, mute_logger
from odoo.tools.sql import index_exists

_logger = logging.getLogger(__name__)

# First key of the per-company advisory lock: pg_try_advisory_xact_lock(namespace, company_id).
LOCK_NAMESPACE = 0x45524331

# "Run analysis now" runs in the HTTP request for catalogues up to this many active goods and hands
# bigger ones to the cron worker (ir.config_parameter INLINE_RUN_PARAMETER, database-wide: it is
# about the server's request limits; 0 queues every manual run). bench/pipeline_bench.py: 1,000
# products take about 30 s on 2 busy cores, within Odoo's default request limits (limit_time_cpu
# 60 s, limit_time_real 120 s).
INLINE_RUN_MAX_PRODUCTS = 1000
INLINE_RUN_PARAMETER = "erpconnect_ai.inline_run_max_products"
QUEUE_CRON_XMLID = "erpconnect_ai.ir_cron_erpconnect_run_queued"

# Runs older than this are removed by the autovacuum (the last successful one of each company
# is kept whatever its age: its results are the current ones).
RUN_RETENTION_DAYS = 180


class AnalysisError(UserError):
    """A failure of the analysis told to its users by its message, with technical ``details``
    (exception texts, which may hold server paths) that only administrators read on the run
    (``erpconnect.run.error_details``)."""

    def __init__(self, message, details=""):
        super().__init__(message)
        self.details = details


class ErpconnectRun(models.Model):
    """One analysis run of one company: the pipeline, the nightly cron, the queue and the lock.

    A run extracts the company's data in bulk, then calls each step of ``PIPELINE`` (result
    models, ``_run_step(run, inputs)``), which stages rows under the run; only when every step
    succeeded does ``_publish()`` make them current. See docs/architecture.md, "Analysis
    pipeline". Its health figures are in ``erpconnect_run_health.py``; its settings are the
    company's (``res.company._erpconnect_settings()``).
    """

    _name = "erpconnect.run"
    _description = "ERPConnect AI analysis run"
    _order = "started_at desc, id desc"
    _check_company_auto = True

    company_id = fields.Many2one(
        "res.company",
        required=True,
        index=True,
        readonly=True,
        default=lambda self: self.env.company,
    )
    started_at = fields.Datetime(
        "Started", required=True, readonly=True, default=fields.Datetime.now
    )
    finished_at = fields.Datetime("Finished", readonly=True)
    duration = fields.Float("Duration (s)", digits=(16, 2), readonly=True)
    trigger = fields.Selection(
        [("cron", "Scheduled"), ("manual", "Manual")],
        required=True,
        readonly=True,
        default="manual",
    )
    status = fields.Selection(
        [("queued", "Queued"), ("running", "Running"), ("done", "Done"), ("failed", "Failed")],
        required=True,
        readonly=True,
        index=True,
        default="running",
    )
    user_id = fields.Many2one(
        "res.users", "Started by", readonly=True, default=lambda self: self.env.user
    )
    as_of = fields.Date("Data up to", readonly=True, help="Last day of sales the run looked at.")
    products_total = fields.Integer("Products with demand", readonly=True)
    products_processed = fields.Integer("Products forecast", readonly=True)
    products_failed = fields.Integer("Products failed", readonly=True)
    step_ids = fields.One2many("erpconnect.run.step", "run_id", readonly=True)
    message = fields.Text(
        readonly=True,
        help="What happened, in words every ERPConnect AI user may read (no exception text).",
    )
    error_details = fields.Text(
        readonly=True,
        groups="erpconnect_ai.group_erpconnect_admin",
        help="Text of the exception that failed the run (it may name server paths): "
        "administrators only; the traceback is in the server log.",
    )
    warnings = fields.Text(readonly=True)
    settings_snapshot = fields.Text("Settings used", readonly=True)
    forecast_count = fields.Integer("Forecasts", compute="_compute_forecast_count")

    def init(self):
        # At most one queued run per company: two "Run analysis now" clicks queue one run.
        if not index_exists(self.env.cr, "erpconnect_run_one_queued_per_company"):
            self.env.cr.execute(
                SQL(
                    "CREATE UNIQUE INDEX erpconnect_run_one_queued_per_company"
                    " ON erpconnect_run (company_id) WHERE status = 'queued'"
                )
            )

    @api.depends("company_id", "started_at")
    def _compute_display_name(self):
        for run in self:
            started = (
                fields.Datetime.context_timestamp(run, run.started_at) if run.started_at else ""
            )
            run.display_name = self.env._(
                "Analysis of %(date)s (%(company)s)",
                date=started and started.strftime("%Y-%m-%d %H:%M"),
                company=run.company_id.name or "",
            )

    def _compute_forecast_count(self):
        counts = dict(
            self.env["erpconnect.forecast"]._read_group(
                [("run_id", "in", self.ids)], ["run_id"], ["__count"]
            )
        )
        for run in self:
            run.forecast_count = counts.get(run, 0)

    def action_view_forecasts(self):
        """The forecasts of this run."""
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "erpconnect_ai.erpconnect_forecast_action"
        )
        action["domain"] = [("run_id", "=", self.id)]
        return action

    # ------------------------------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------------------------------
    def action_run_analysis(self):
        """Run the analysis now for each company of the user's context, or queue it.

        Button "Run analysis now" (ERPConnect AI managers), also over JSON-RPC, e.g.
        ``execute_kw(db, uid, password, "erpconnect.run", "action_run_analysis", [[]])``; the
        records it is called on are ignored. Each company in ``context["allowed_company_ids"]``
        (default: the user's current company) is analysed in this request when its catalogue
        has at most ``_get_inline_max_products()`` active goods; a bigger catalogue would exceed
        the request's time limits, so its run is queued (status ``queued``) for the cron
        "ERPConnect AI: queued analyses", which a cron worker starts at once. A failing company
        gets a failed run with its message, not an exception.

        :return: a window action showing the new run(s); when a run was queued, a
            ``display_notification`` client action saying so, with that window action as
            ``params["next"]``
        :raise AccessError: the user is not an ERPConnect AI manager
        :raise UserError: an analysis of one of these companies is already running or queued
        """
        if not self.env.user.has_group("erpconnect_ai.group_erpconnect_manager"):
            raise AccessError(self.env._("Only ERPConnect AI managers can run an analysis."))
        runs = queued = self.browse()
        # The pipeline writes results no user edits by hand: it runs as superuser, once the
        # caller's right to start it has been checked above.
        runner = self.sudo()
        with ExitStack() as locks:
            for company in self.env.companies:
                locks.enter_context(runner._analysis_lock(company))
                runner._check_not_queued(company)
            for company in self.env.companies:
                company_runner = runner.with_company(company)
                if company_runner._count_catalogue(company) > runner._get_inline_max_products():
                    queued |= company_runner._queue_run(company)
                else:
                    runs |= company_runner._run_company(company, "manual")
        action = (
            (runs | queued).with_env(self.env)._get_records_action(name=self.env._("Analysis runs"))
        )
        if not queued:
            return action
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "title": self.env._("Analysis queued"),
                "message": self.env._(
                    "The catalogue of %(companies)s is too big to be analysed while you wait: "
                    "the analysis was queued and a background worker starts it now. Its result "
                    "will appear in Analysis runs.",
                    companies=", ".join(queued.company_id.mapped("name")),
                ),
                "sticky": False,
                "next": action,
            },
        }

    # ------------------------------------------------------------------------------------------
    # Cron
    # ------------------------------------------------------------------------------------------
    @api.model
    def _cron_run_analysis(self):
        """Nightly analysis of every company, one after the other.

        A company whose analysis is already running (a manual run) is skipped; a failing
        company gets a failed run and the others continue.
        """
        processed = 0
        for company in self._get_cron_companies():
            try:
                with self._analysis_lock(company):
                    run = self.sudo().with_company(company)._run_company(company, "cron")
            except UserError as error:
                _logger.info("ERPConnect AI: %s", error.args[0])
                continue
            processed += run.products_processed
        self.env["ir.cron"]._notify_progress(done=processed, remaining=0)

    @api.model
    def _cron_run_queued_analyses(self):
        """Start the queued runs ("Run analysis now" on a big catalogue), oldest first.

        A company whose analysis is running keeps its queued run for the next call (the
        nightly cron also takes it over); the cron is triggered again in a minute.
        """
        queued = self.sudo().search([("status", "=", "queued")], order="id")
        processed = 0
        for company in queued.company_id:
            try:
                with self._analysis_lock(company):
                    run = self.sudo().with_company(company)._run_company(company, "manual")
            except UserError as error:
                _logger.info("ERPConnect AI: %s", error.args[0])
                self.env.ref(QUEUE_CRON_XMLID)._trigger(
                    fields.Datetime.now() + timedelta(minutes=1)
                )
                continue
            processed += run.products_processed
        self.env["ir.cron"]._notify_progress(done=processed, remaining=0)

    @api.model
    def _get_cron_companies(self):
        """Companies the nightly analysis covers: all of them."""
        return self.env["res.company"].sudo().search([("id", "!=", 0)], order="id")

    # ------------------------------------------------------------------------------------------
    # Pipeline
    # ------------------------------------------------------------------------------------------
    @contextmanager
    def _analysis_lock(self, company):
        """Hold the analysis lock of ``company`` for the duration of the block.

        The lock is a transaction-level advisory lock taken in a dedicated cursor: the run's own
        cursor commits per chunk, and the lock must outlive those commits. It is released when
        the block ends, and by PostgreSQL if the worker dies.

        :raise UserError: another analysis of ``company`` holds the lock
        """
        with self.env.registry.cursor() as lock_cr:
            lock_cr.execute(
                SQL("SELECT pg_try_advisory_xact_lock(%s, %s)", LOCK_NAMESPACE, company.id)
            )
            if not lock_cr.fetchone()[0]:
                raise UserError(
                    self.env._(
                        "An analysis is already running for %(company)s. Wait until it has "
                        "finished: its result will appear in Analysis runs.",
                        company=company.name,
                    )
                )
            yield

    def _run_company(self, company, trigger):
        """Execute the run of ``company`` (its queued run, else a new one with ``trigger``);
        the caller holds its lock."""
        self._fail_interrupted_runs(company)
        run = self.search([("company_id", "=", company.id), ("status", "=", "queued")], limit=1)
        if run:
            run.write({"status": "running", "started_at": fields.Datetime.now()})
        else:
            run = self.create({"company_id": company.id, "trigger": trigger})
        run._checkpoint()
        run._execute()
        return run

    @api.model
    def _get_inline_max_products(self):
        """Largest catalogue (active goods) that "Run analysis now" analyses in the request."""
        value = self.env["ir.config_parameter"].sudo().get_param(INLINE_RUN_PARAMETER)
        try:
            return max(0, int(value)) if value not in (None, False, "") else INLINE_RUN_MAX_PRODUCTS
        except ValueError:
            return INLINE_RUN_MAX_PRODUCTS

    @api.model
    def _count_catalogue(self, company):
        """Active goods ``company`` can sell (its own and shared ones): the size of its run."""
        return (
            self.env["product.product"]
            .sudo()
            .search_count([("type", "=", "consu"), ("company_id", "in", [company.id, False])])
        )

    def _check_not_queued(self, company):
        """:raise UserError: a run of ``company`` is queued already."""
        if self.search_count([("company_id", "=", company.id), ("status", "=", "queued")]):
            raise UserError(self._already_queued_message(company))

    def _already_queued_message(self, company):
        return self.env._(
            "An analysis of %(company)s is already queued: a background worker will start it "
            "shortly. Its result will appear in Analysis runs.",
            company=company.name,
        )

    def _queue_run(self, company):
        """Queue a manual run of ``company`` for the cron worker and wake the cron up.

        :raise UserError: another request queued one at the same time
        """
        try:
            with self.env.cr.savepoint(), mute_logger("odoo.sql_db"):
                run = self.create(
                    {"company_id": company.id, "trigger": "manual", "status": "queued"}
                )
                run.flush_recordset()
        except psycopg2.errors.UniqueViolation:
            raise UserError(self._already_queued_message(company)) from None
        self.env.ref(QUEUE_CRON_XMLID)._trigger()
        return run

    def _fail_interrupted_runs(self, company):
        """Close the runs of ``company`` left "running" by a worker that died.

        Called under the company's lock: no other run of it can be in progress.
        """
        stale = self.search([("company_id", "=", company.id), ("status", "=", "running")])
        for run in stale:
            run._discard_run()
            run.write(
                {
                    "status": "failed",
                    "finished_at": fields.Datetime.now(),
                    "message": self.env._(
                        "Interrupted: the worker stopped before the run finished (server "
                        "restart, time limit or crash). Its partial results were removed."
                    ),
                }
            )

    #: The pipeline after the extraction, in order: result models (``erpconnect.result.mixin``),
    #: each one step (``_run_step``) and its publish and discard hooks.
    PIPELINE = (
        "erpconnect.forecast",
        "erpconnect.segment.matrix",
        "erpconnect.replenishment",
        "erpconnect.policy.curve",
        "erpconnect.anomaly",
    )

    def _pipeline_steps(self):
        """The step models of ``PIPELINE``, as superuser in the run's company."""
        return [self.env[name].sudo().with_company(self.company_id) for name in self.PIPELINE]

    def _execute(self):
        """Run every step for this run's company, then publish; a failure marks the run failed."""
        self.ensure_one()
        start = time.perf_counter()
        clock = self._start_clock("extract")
        try:
            settings = self.company_id._erpconnect_settings()
            errors = self.env["res.company"]._erpconnect_setting_errors(settings)
            if errors:  # written around the checks (SQL): say what to fix
                raise UserError(
                    self.env._("The ERPConnect AI settings are not valid:\n%s", "\n".join(errors))
                )
            self.settings_snapshot = json.dumps(settings, indent=1, sort_keys=True)
            inputs = self._extract_inputs(self.company_id, settings)
            self.write({"as_of": inputs.as_of, "products_total": len(inputs.product_ids)})
            self._record_step(clock, record_count=len(inputs.history))
            self._checkpoint()
            if not inputs.history.empty:
                for step in self._pipeline_steps():
                    clock = self._start_clock(step._erpconnect_step_name)
                    count = self._call_step(step, inputs)
                    self._record_step(clock, record_count=count)
                    self._checkpoint()
            clock = self._start_clock("publish")
            with self.env.cr.savepoint():
                self._publish()
            self._record_step(clock)
        except Exception as error:
            self._fail(error, clock, start)
            return
        self.write(
            {
                "status": "done",
                "finished_at": fields.Datetime.now(),
                "duration": time.perf_counter() - start,
                "message": self._done_message(inputs, settings),
            }
        )
        self._checkpoint()

    def _call_step(self, step, inputs):
        """Call ``step._run_step``; returns the number of records it reports, else 0.

        A step is wrapped in a savepoint unless its model declares
        ``_erpconnect_step_commits = True`` (it then isolates its own batches and commits
        through ``run._checkpoint()``).
        """
        if step._erpconnect_step_commits:
            count = step._run_step(self, inputs)
        else:
            with self.env.cr.savepoint():
                count = step._run_step(self, inputs)
        return count if isinstance(count, int) and not isinstance(count, bool) else 0

    def _extract_inputs(self, company, settings):
        """Step 1: the :class:`AnalysisInput` of ``company`` (bulk reads, no ORM objects).

        The demand ledger's last days are rebuilt first (``_reconcile``: the stock-out days that
        passed since the last run), then read.
        """
        self.env["erpconnect.demand.upkeep"]._reconcile(company)
        inputs = self.env["erpconnect.data.source"]._build_inputs(
            company,
            settings,
            self._get_as_of(company),
            warehouse=self._get_analysis_warehouse(company) or None,
        )
        inputs.model_dir = self._get_model_dir(company)
        return inputs

    def _get_as_of(self, company):
        """Last complete day of data: yesterday in the company's time zone (the ledger's day)."""
        return self.env["erpconnect.demand.daily"]._local_today(company) - timedelta(days=1)

    def _get_analysis_warehouse(self, company):
        """Warehouse the analysis of ``company`` is restricted to (setting "Analysed warehouse"),
        or an empty recordset for the whole company. With one, demand comes from its orders or
        moves only and stock from its locations."""
        return company.erpconnect_warehouse_id

    def _get_model_dir(self, company):
        """Directory of the engine's model files for this database and ``company``."""
        return self.env["erpconnect.model.file"]._get_company_dir(company)

    def _publish(self):
        """Make the staged results of this run current (the caller wraps it in a savepoint)."""
        self.ensure_one()
        for step in self._pipeline_steps():
            step._publish_run(self)
        # The AI KPIs (accuracy, anomalies, trained models) read these results.
        self.env["erpconnect.kpi.cache"]._invalidate(self.company_id.ids)

    def _discard_run(self):
        """Remove the rows this run staged in every result model."""
        self.ensure_one()
        for step in self._pipeline_steps():
            step._discard_run(self)

    def _fail(self, error, clock, start):
        """Mark the run failed after ``error`` in the step of ``clock``; drop its staged rows.

        The run's ``message`` (and its failed step's) says what happened in words for every
        user: a ``UserError``'s own message, else which step failed; the exception's text, which
        may name server paths, goes to ``error_details`` (administrators only).
        """
        if isinstance(error, UserError):
            message = error.args[0]
            details = getattr(error, "details", "")
            _logger.warning(
                "ERPConnect AI analysis of %s failed: %s %s",
                self.company_id.name,
                message,
                details,
            )
        else:
            message = self.env._(
                "Step %(step)s failed because of an unexpected error (%(type)s): an "
                "administrator finds its text on the run and the details in the server log.",
                step=clock["name"],
                type=type(error).__name__,
            )
            details = "%s: %s" % (type(error).__name__, error)
            _logger.exception("ERPConnect AI analysis of %s failed", self.company_id.name)
        if not self._in_test():
            # Forget the uncommitted part of the failing chunk; committed chunks are discarded
            # below.
            self.env.cr.rollback()
        self._discard_run()
        self._record_step(clock, status="failed", message=message)
        self.write(
            {
                "status": "failed",
                "finished_at": fields.Datetime.now(),
                "duration": time.perf_counter() - start,
                "message": message,
                "error_details": details or False,
            }
        )
        self._checkpoint()

    def _done_message(self, inputs, settings):
        if inputs.history.empty:
            date_from = inputs.as_of - timedelta(days=settings["lookback_days"] - 1)
            if settings["demand_source"] == "stock_move":
                return self.env._(
                    "No delivery to customers from %(start)s to %(end)s: nothing to analyse. "
                    "The previous results were cleared.",
                    start=date_from,
                    end=inputs.as_of,
                )
            return self.env._(
                "No confirmed sale from %(start)s to %(end)s: nothing to analyse. "
                "The previous results were cleared.",
                start=date_from,
                end=inputs.as_of,
            )
        return self.env._(
            "%(processed)s of %(total)s products forecast (%(failed)s failed), data up to "
            "%(as_of)s.",
            processed=self.products_processed,
            total=self.products_total,
            failed=self.products_failed,
            as_of=inputs.as_of,
        )

    # ------------------------------------------------------------------------------------------
    # Helpers the steps use
    # ------------------------------------------------------------------------------------------
    def _checkpoint(self, done=None, remaining=None):
        """End of a chunk: report cron progress, commit outside tests."""
        if done is not None:
            self.env["ir.cron"]._notify_progress(done=done, remaining=remaining or 0)
        if not self._in_test():
            self.env.cr.commit()  # pylint: disable=invalid-commit

    @api.model
    def _in_test(self):
        return bool(getattr(threading.current_thread(), "testing", False)) or bool(
            modules.module.current_test
        )

    def _add_warning(self, text):
        """Append a line to the run's warnings."""
        self.ensure_one()
        self.warnings = "\n".join(filter(None, [self.warnings, text]))

    def _count_products(self, processed=0, failed=0):
        """Add to the run's processed / failed product counters."""
        self.ensure_one()
        self.write(
            {
                "products_processed": self.products_processed + processed,
                "products_failed": self.products_failed + failed,
            }
        )

    def _start_clock(self, name):
        return {"name": name, "started_at": fields.Datetime.now(), "t0": time.perf_counter()}

    def _record_step(self, clock, status="done", record_count=0, message=False):
        self.ensure_one()
        self.env["erpconnect.run.step"].create(
            {
                "run_id": self.id,
                "sequence": len(self.step_ids) + 1,
                "name": clock["name"],
                "status": status,
                "started_at": clock["started_at"],
                "duration": time.perf_counter() - clock["t0"],
                "record_count": record_count,
                "message": message,
            }
        )

    # ------------------------------------------------------------------------------------------
    # Housekeeping
    # ------------------------------------------------------------------------------------------
    @api.autovacuum
    def _gc_old_runs(self):
        """Delete finished runs older than ``RUN_RETENTION_DAYS`` except each company's last
        successful one."""
        limit = fields.Datetime.now() - timedelta(days=RUN_RETENTION_DAYS)
        keep = [
            self.search([("company_id", "=", company.id), ("status", "=", "done")], limit=1).id
            for [company] in self._read_group([("status", "=", "done")], ["company_id"])
        ]
        old = self.search(
            [("started_at", "<", limit), ("status", "!=", "running"), ("id", "not in", keep)]
        )
        old.unlink()
