import json
import logging
import os
import threading
import time
from contextlib import ExitStack, contextmanager
from datetime import timedelta

import psycopg2
import pytz

from odoo import api, fields, models, modules
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, config, mute_logger
from odoo.tools.sql import index_exists

_logger = logging.getLogger(__name__)

# First key of the per-company advisory lock: pg_try_advisory_xact_lock(namespace, company_id).
LOCK_NAMESPACE = 0x45524331

FORECAST_METHODS = [
    ("auto", "Automatic (best backtest)"),
    ("moving_average", "Moving average"),
    ("polynomial", "Polynomial trend"),
    ("seasonal_naive", "Seasonal naive"),
    ("ets", "Exponential smoothing (ETS)"),
    ("ses", "Simple exponential smoothing"),
    ("croston", "Croston"),
    ("sba", "Syntetos-Boylan (SBA)"),
    ("tsb", "Teunter-Syntetos-Babai (TSB)"),
    ("gbm", "Gradient boosting"),
]

# Settings of the pipeline: short key (ir.config_parameter "erpconnect_ai.<key>") -> (type or
# allowed values, default). docs/architecture.md lists the same keys.
SETTINGS_SPEC = {
    "lookback_days": (int, 365),
    "horizon_days": (int, 90),
    "default_lead_time": (int, 7),
    "safety_days": (float, 3.0),
    "stock_policy": (("service", "days"), "service"),
    "service_level_a": (float, 0.98),
    "service_level_b": (float, 0.95),
    "service_level_c": (float, 0.90),
    "z_threshold": (float, 3.0),
    "anomaly_mode": (("robust", "zscore"), "robust"),
    "abc_mode": (("rank", "pareto"), "rank"),
    "abc_a": (float, 0.2),
    "abc_b": (float, 0.5),
    "xyz_x": (float, 0.3),
    "xyz_y": (float, 0.7),
    "demand_source": (("sale", "stock_move"), "sale"),
    "forecast_method": (tuple(code for code, _label in FORECAST_METHODS), "auto"),
}
SETTINGS_PREFIX = "erpconnect_ai."

# "Run analysis now" runs in the HTTP request for catalogues up to this many active goods and hands
# bigger ones to the cron worker (ir.config_parameter erpconnect_ai.inline_run_max_products;
# 0 queues every manual run). bench/pipeline_bench.py: 1,000 products take about 30 s on 2 busy
# cores, within Odoo's default request limits (limit_time_cpu 60 s, limit_time_real 120 s).
INLINE_RUN_MAX_PRODUCTS = 1000
QUEUE_CRON_XMLID = "erpconnect_ai.ir_cron_erpconnect_run_queued"

# Runs older than this are removed by the autovacuum (the last successful one of each company
# is kept whatever its age: its results are the current ones).
RUN_RETENTION_DAYS = 180


class ErpconnectRun(models.Model):
    """One analysis run of one company: the pipeline, the nightly cron, health and the lock.

    A run extracts the company's data in bulk, then calls each result model's step
    (``_run_step(run, inputs)``), which stages rows under the run; only when every step succeeded
    does ``_publish()`` make them current. See docs/architecture.md, "Analysis pipeline".
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
    message = fields.Text(readonly=True)
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

    @api.model
    def get_health(self):
        """Monitoring figures of the analysis for the current company (``self.env.company``).

        Readable by ERPConnect AI viewers; also served by the JSON route
        ``/erpconnect_ai/health``. Dates are ISO strings, datetimes in UTC.

        :return: dict::

            {
                "status": "ok" | "warning" | "error",
                "problems": [str, ...],            # why the status is not "ok"
                "company_id": int,
                "cron": {"active": bool, "next_call": str | None, "last_call": str | None},
                "running": bool,                   # a run of this company is in progress
                "last_run": None | {"id", "status", "trigger", "started_at", "finished_at",
                                    "duration_seconds", "products_processed", "products_failed",
                                    "message"},
                "last_successful_run": None | {"id", "finished_at", "as_of"},
                "data": {"latest_sale_date": str | None, "days_since_latest_sale": int | None},
                "model_store": {"directory": str | None,  # None unless an administrator asks
                                "exists": bool, "file_count": int, "size_bytes": int},
            }
        :raise AccessError: the user cannot read analysis runs
        """
        self.check_access("read")
        company = self.env.company
        runs = self.search([("company_id", "=", company.id)], limit=1)
        last_done = self.search([("company_id", "=", company.id), ("status", "=", "done")], limit=1)
        running = bool(
            self.search_count([("company_id", "=", company.id), ("status", "=", "running")])
        )
        cron = self.env.ref("erpconnect_ai.ir_cron_erpconnect_run_analysis", False)
        cron = cron and cron.sudo()
        latest_sale = self.env["erpconnect.data.source"].sudo()._get_latest_sale_date(company)
        today = fields.Date.context_today(self)
        store = self._model_store_state(company)
        problems = []
        status = "ok"
        if not cron or not cron.active:
            problems.append(self.env._("The nightly analysis is not scheduled (cron inactive)."))
            status = "error"
        if runs and runs.status == "failed":
            problems.append(self.env._("The last run failed: %s", runs.message or ""))
            status = "error"
        if not last_done:
            problems.append(self.env._("No analysis has completed yet."))
            status = "error" if status == "error" else "warning"
        elif last_done.finished_at < fields.Datetime.now() - timedelta(days=2):
            problems.append(self.env._("The results are more than two days old."))
            status = "error" if status == "error" else "warning"
        if latest_sale is None or (today - latest_sale).days > 30:
            problems.append(self.env._("No confirmed sale in the last 30 days."))
            status = "error" if status == "error" else "warning"
        return {
            "status": status,
            "problems": problems,
            "company_id": company.id,
            "cron": {
                "active": bool(cron and cron.active),
                "next_call": (cron and fields.Datetime.to_string(cron.nextcall)) or None,
                "last_call": (cron and fields.Datetime.to_string(cron.lastcall)) or None,
            },
            "running": running,
            "last_run": runs._health_summary() if runs else None,
            "last_successful_run": (
                last_done
                and {
                    "id": last_done.id,
                    "finished_at": fields.Datetime.to_string(last_done.finished_at),
                    "as_of": fields.Date.to_string(last_done.as_of) or None,
                }
            )
            or None,
            "data": {
                "latest_sale_date": fields.Date.to_string(latest_sale) if latest_sale else None,
                "days_since_latest_sale": (today - latest_sale).days if latest_sale else None,
            },
            "model_store": store,
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
        value = (
            self.env["ir.config_parameter"]
            .sudo()
            .get_param(SETTINGS_PREFIX + "inline_run_max_products")
        )
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

    def _get_pipeline_steps(self):
        """Steps after extraction, in order: ``(name, model, run, publish, discard)``.

        ``run`` is called as ``env[model].<run>(run_record, inputs)``; ``publish`` and
        ``discard`` as ``env[model].<publish>(run_record)``. A step whose model is not in the
        registry, or lacks the method, is skipped.
        """
        return [
            ("forecast", "erpconnect.forecast", "_run_step", "_publish_run", "_discard_run"),
            (
                "segments",
                "product.product",
                "_erpconnect_run_step",
                "_erpconnect_publish_run",
                "_erpconnect_discard_run",
            ),
            (
                "segment_matrix",
                "erpconnect.segment.matrix",
                "_run_step",
                "_publish_run",
                "_discard_run",
            ),
            (
                "replenishment",
                "erpconnect.replenishment",
                "_run_step",
                "_publish_run",
                "_discard_run",
            ),
            ("anomalies", "erpconnect.anomaly", "_run_step", "_publish_run", "_discard_run"),
        ]

    def _get_hook_model(self, model_name, method):
        """``env[model_name]`` (superuser, run's company) if it implements ``method``, else None."""
        if model_name not in self.env:
            return None
        model = self.env[model_name].sudo().with_company(self.company_id)
        return model if callable(getattr(model, method, None)) else None

    def _execute(self):
        """Run every step for this run's company, then publish; a failure marks the run failed."""
        self.ensure_one()
        start = time.perf_counter()
        clock = self._start_clock("extract")
        try:
            settings = self._get_settings()
            self.settings_snapshot = json.dumps(settings, indent=1, sort_keys=True)
            inputs = self._extract_inputs(self.company_id, settings)
            self.write({"as_of": inputs.as_of, "products_total": len(inputs.product_ids)})
            self._record_step(clock, record_count=len(inputs.history))
            self._checkpoint()
            if not inputs.history.empty:
                for name, model_name, method, _publish, _discard in self._get_pipeline_steps():
                    model = self._get_hook_model(model_name, method)
                    if model is None:
                        continue
                    clock = self._start_clock(name)
                    count = self._call_step(model, method, inputs)
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

    def _call_step(self, model, method, inputs):
        """Call one result model's step; returns the number of records it reports, else 0.

        A step is wrapped in a savepoint unless its model declares
        ``_erpconnect_step_commits = True`` (it then isolates its own batches and commits
        through ``run._checkpoint()``).
        """
        if getattr(model, "_erpconnect_step_commits", False):
            count = getattr(model, method)(self, inputs)
        else:
            with self.env.cr.savepoint():
                count = getattr(model, method)(self, inputs)
        return count if isinstance(count, int) and not isinstance(count, bool) else 0

    def _extract_inputs(self, company, settings):
        """Step 1: the :class:`AnalysisInput` of ``company`` (bulk reads, no ORM objects)."""
        inputs = self.env["erpconnect.data.source"]._build_inputs(
            company,
            settings,
            self._get_as_of(company),
            warehouse=self._get_analysis_warehouse(company) or None,
        )
        inputs.model_dir = self._get_model_dir(company)
        return inputs

    def _get_as_of(self, company):
        """Last complete day of data: yesterday in the company's time zone."""
        tz = pytz.timezone(self.env["erpconnect.data.source"]._get_company_tz(company))
        now = pytz.utc.localize(fields.Datetime.now()).astimezone(tz)
        return now.date() - timedelta(days=1)

    def _get_analysis_warehouse(self, company):
        """Warehouse the analysis of ``company`` is restricted to (setting "Analysed warehouse"),
        or an empty recordset for the whole company. With one, demand comes from its orders or
        moves only and stock from its locations."""
        return company.erpconnect_warehouse_id

    def _get_model_dir(self, company):
        """Directory of the engine's model files for this database and ``company``."""
        return os.path.join(
            config.filestore(self.env.cr.dbname),
            "erpconnect_ai",
            "models",
            "company_%d" % company.id,
        )

    def _publish(self):
        """Make the staged results of this run current (the caller wraps it in a savepoint)."""
        self._call_result_hooks(3)
        # The AI KPIs (accuracy, anomalies, trained models) read these results.
        self.env["erpconnect.kpi.cache"]._invalidate(self.company_id.ids)

    def _discard_run(self):
        """Remove the rows this run staged in every result model."""
        self._call_result_hooks(4)

    def _call_result_hooks(self, position):
        """Call hook ``position`` of ``_get_pipeline_steps()`` (3 publish, 4 discard) with this
        run on every result model that implements it."""
        self.ensure_one()
        for step in self._get_pipeline_steps():
            model = self._get_hook_model(step[1], step[position])
            if model is not None:
                getattr(model, step[position])(self)

    def _fail(self, error, clock, start):
        """Mark the run failed after ``error`` in the step of ``clock``; drop its staged rows."""
        if isinstance(error, UserError):
            message = error.args[0]
            _logger.warning(
                "ERPConnect AI analysis of %s failed: %s", self.company_id.name, message
            )
        else:
            message = self.env._(
                "Step %(step)s failed: %(error)s (details in the server log).",
                step=clock["name"],
                error="%s: %s" % (type(error).__name__, error),
            )
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

    def _health_summary(self):
        self.ensure_one()
        return {
            "id": self.id,
            "status": self.status,
            "trigger": self.trigger,
            "started_at": fields.Datetime.to_string(self.started_at),
            "finished_at": fields.Datetime.to_string(self.finished_at) or None,
            "duration_seconds": self.duration if self.finished_at else None,
            "products_processed": self.products_processed,
            "products_failed": self.products_failed,
            "message": self.message or "",
        }

    def _model_store_state(self, company):
        directory = self._get_model_dir(company)
        file_count = size = 0
        if os.path.isdir(directory):
            for entry in os.scandir(directory):
                if entry.is_file():
                    file_count += 1
                    size += entry.stat().st_size
        is_admin = self.env.user.has_group("erpconnect_ai.group_erpconnect_admin")
        return {
            "directory": directory if is_admin else None,
            "exists": os.path.isdir(directory),
            "file_count": file_count,
            "size_bytes": size,
        }

    # ------------------------------------------------------------------------------------------
    # Settings
    # ------------------------------------------------------------------------------------------
    @api.model
    def _get_settings(self):
        """The pipeline settings, typed, from ``ir.config_parameter`` (missing keys: defaults).

        :return: dict with the short keys of ``SETTINGS_SPEC``
        :raise UserError: a stored value has the wrong type or fails ``_check_settings``
        """
        params = self.env["ir.config_parameter"].sudo()
        settings = {}
        errors = []
        for key, (kind, default) in SETTINGS_SPEC.items():
            raw = params.get_param(SETTINGS_PREFIX + key)
            if raw in (None, False, ""):
                settings[key] = default
                continue
            value = self._parse_setting(kind, raw)
            if value is None:
                errors.append(
                    self.env._(
                        "%(key)s: %(value)r is not a valid value.",
                        key=SETTINGS_PREFIX + key,
                        value=raw,
                    )
                )
                settings[key] = default
            else:
                settings[key] = value
        errors += self._check_settings(settings)
        if errors:
            raise UserError(
                self.env._("The ERPConnect AI settings are not valid:\n%s", "\n".join(errors))
            )
        return settings

    @api.model
    def _parse_setting(self, kind, raw):
        """``raw`` converted to ``kind`` (int, float or a tuple of allowed values), else None."""
        if isinstance(kind, tuple):
            return raw if raw in kind else None
        try:
            number = float(raw)
        except (TypeError, ValueError):
            return None
        if kind is int:
            return int(number) if number.is_integer() else None
        return number

    @api.model
    def _check_settings(self, settings):
        """Messages for every inconsistent value of ``settings`` (short keys); [] when valid."""
        errors = []

        def check(condition, message):
            if not condition:
                errors.append(message)

        check(
            7 <= settings["lookback_days"] <= 3650,
            self.env._("The look-back must be between 7 and 3650 days."),
        )
        check(
            1 <= settings["horizon_days"] <= 365,
            self.env._("The forecast horizon must be between 1 and 365 days."),
        )
        check(
            0 <= settings["default_lead_time"] <= 365,
            self.env._("The default lead time must be between 0 and 365 days."),
        )
        check(
            0 <= settings["safety_days"] <= 365,
            self.env._("The safety days must be between 0 and 365."),
        )
        for key, label in (
            ("service_level_a", "A"),
            ("service_level_b", "B"),
            ("service_level_c", "C"),
        ):
            check(
                0.5 <= settings[key] < 1,
                self.env._(
                    "The service level of class %s must be at least 0.5 and below 1.", label
                ),
            )
        check(
            0 < settings["z_threshold"] <= 20,
            self.env._("The anomaly z threshold must be above 0 and at most 20."),
        )
        check(
            0 < settings["abc_a"] < settings["abc_b"] < 1,
            self.env._("The ABC thresholds must satisfy 0 < A < B < 1."),
        )
        check(
            0 < settings["xyz_x"] < settings["xyz_y"],
            self.env._("The XYZ thresholds must satisfy 0 < X < Y."),
        )
        for key, (kind, _default) in SETTINGS_SPEC.items():
            if isinstance(kind, tuple):
                check(
                    settings[key] in kind,
                    self.env._(
                        "%(key)s must be one of %(values)s.", key=key, values=", ".join(kind)
                    ),
                )
        return errors

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
