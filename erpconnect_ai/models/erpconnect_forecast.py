import logging
import os
import re

import numpy as np
import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, split_every

from .. import engine
from .arguments import check_record_id, check_whole_number
from .erpconnect_run import AnalysisError
from .res_company import FORECAST_METHODS

_logger = logging.getLogger(__name__)

TREND_LABELS = [("UP", "Up"), ("STABLE", "Stable"), ("DOWN", "Down")]
TOTAL_DAYS = (7, 30, 90)


class ErpconnectForecast(models.Model):
    """Latest demand forecast of a product for a company (one per product and run).

    Rows staged by a running analysis are inactive; ``_publish_run`` activates them and drops
    the previous run's rows, so the active rows are the company's current forecasts.
    """

    _name = "erpconnect.forecast"
    _inherit = ["erpconnect.result.mixin"]
    _description = "ERPConnect AI demand forecast"
    _order = "qty_30d desc, id"
    _rec_name = "product_id"
    _check_company_auto = True
    _erpconnect_step_name = "forecast"
    # The step isolates its own batches and commits between them (see erpconnect.run._call_step).
    _erpconnect_step_commits = True
    # Products forecast per engine call, savepoint and commit. The engine fits its global model
    # and picks methods per demand class within a call, so larger batches fit fewer models and
    # choose on more products (10,000 products: 78.9 s with 2,500 against 88.5 s with 500).
    _erpconnect_batch_size = 2500
    # Products of a failed batch that, failing alone with the batch's error, make it systematic.
    _erpconnect_systematic_failures = 3

    product_id = fields.Many2one(
        "product.product",
        required=True,
        index=True,
        readonly=True,
        check_company=True,
        ondelete="cascade",
    )
    categ_id = fields.Many2one(
        related="product_id.categ_id", string="Product Category", store=True, index=True
    )
    uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    method = fields.Selection(
        [(code, label) for code, label in FORECAST_METHODS if code != "auto"],
        required=True,
        readonly=True,
        index=True,
        help="Method kept for this product (the best one in the backtest when set to automatic).",
    )
    trend = fields.Selection(TREND_LABELS, readonly=True, index=True)
    confidence = fields.Float(readonly=True, help="From 0 to 1: coverage, stability, sample size.")
    daily_demand = fields.Float("Daily demand", digits="Product Unit of Measure", readonly=True)
    qty_7d = fields.Float("Forecast 7 days", digits="Product Unit of Measure", readonly=True)
    lower_7d = fields.Float("Low 7 days", digits="Product Unit of Measure", readonly=True)
    upper_7d = fields.Float("High 7 days", digits="Product Unit of Measure", readonly=True)
    qty_30d = fields.Float("Forecast 30 days", digits="Product Unit of Measure", readonly=True)
    lower_30d = fields.Float("Low 30 days", digits="Product Unit of Measure", readonly=True)
    upper_30d = fields.Float("High 30 days", digits="Product Unit of Measure", readonly=True)
    qty_90d = fields.Float("Forecast 90 days", digits="Product Unit of Measure", readonly=True)
    lower_90d = fields.Float("Low 90 days", digits="Product Unit of Measure", readonly=True)
    upper_90d = fields.Float("High 90 days", digits="Product Unit of Measure", readonly=True)
    mase = fields.Float(
        "MASE",
        readonly=True,
        help="Backtest error of the method divided by the error of a seasonal naive forecast "
        "(below 1: better than repeating last week). Empty when the history is too short.",
    )
    smape = fields.Float(
        "sMAPE",
        readonly=True,
        help="Symmetric mean absolute percentage error of the backtest (0 to 200 %).",
    )
    has_accuracy = fields.Boolean(
        "Backtested",
        readonly=True,
        help="The backtest measured the MASE and sMAPE of the method (it needs enough history "
        "and a demand that is not constant).",
    )
    trained_at = fields.Datetime("Trained at", readonly=True, index=True)
    as_of = fields.Date("Data up to", readonly=True)
    warning = fields.Char(readonly=True)
    line_ids = fields.One2many("erpconnect.forecast.line", "forecast_id", "Daily forecast")

    _sql_constraints = [
        ("run_product_uniq", "unique(run_id, product_id)", "A run forecasts a product once."),
    ]

    def unlink(self):
        """Delete the daily lines in SQL first, as ``_insert_lines`` writes them.

        Left to the ORM, dropping 10,000 forecasts (each publish drops the previous run's) marks
        their 900,000 lines' stored related fields for recomputation before the database cascade
        removes them: 40 s of the publish step instead of 1 (bench/pipeline_bench.py).
        """
        self.check_access("unlink")
        Line = self.env["erpconnect.forecast.line"]
        Line.flush_model()
        self.env.cr.execute(
            SQL("DELETE FROM erpconnect_forecast_line WHERE forecast_id = ANY(%s)", self.ids)
        )
        Line.invalidate_model()
        return super().unlink()

    # ------------------------------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------------------------------
    def action_run_analysis(self):
        """ "Run analysis now" from the forecasts: see ``erpconnect.run.action_run_analysis``."""
        return self.env["erpconnect.run"].action_run_analysis()

    @api.model
    @api.readonly
    def get_forecast(self, product_id, horizon_days=30):
        """Current forecast of a product for the current company (``self.env.company``).

        JSON-RPC: ``execute_kw(db, uid, password, "erpconnect.forecast", "get_forecast", [42],
        {"horizon_days": 30})``.

        :param int product_id: id of a ``product.product`` the user can read
        :param int horizon_days: days to return, from 1 to the ``horizon_days`` setting
        :return: dict::

            {
                "product_id": int, "product_name": str, "company_id": int, "uom": str,
                "horizon_days": int,
                "available": bool,       # False: no forecast (no sale in the look-back window,
                "message": str,          #        or no analysis yet); "message" says which.
                                         # True: "message" holds the engine's warning, if any
                # when available:
                "method": str, "trend": "UP" | "STABLE" | "DOWN", "confidence": float,
                "daily_demand": float,
                "total": float,          # forecast quantity over horizon_days
                "lower": float, "upper": float,  # its 95 % interval: the calibrated one for 7,
                                         # 30 and 90 days, else the sum of the daily bounds
                                         # (wider than a calibrated interval)
                "totals": {"7d" | "30d" | "90d": {"qty": float, "lower": float, "upper": float}},
                "mase": float | None, "smape": float | None,   # backtest accuracy (sMAPE 0-2)
                "trained_at": str, "as_of": str, "run_id": int,
                "daily": [{"date": "YYYY-MM-DD", "qty": float, "lower": float, "upper": float}],
            }
        :raise ValidationError: an argument is not a positive whole number, or the horizon is
            longer than the forecasts
        :raise UserError: the product does not exist or the user cannot read it
        """
        self.check_access("read")
        check_record_id(self.env, product_id, "product_id")
        max_horizon = self.env.company._erpconnect_settings()["horizon_days"]
        check_whole_number(self.env, horizon_days, "horizon_days", 1, max_horizon)
        product = self.env["product.product"].search([("id", "=", product_id)])
        if not product:
            raise UserError(
                self.env._(
                    "Product %s does not exist or you cannot read it (another company's?).",
                    product_id,
                )
            )
        company = self.env.company
        result = {
            "product_id": product.id,
            "product_name": product.display_name,
            "company_id": company.id,
            "uom": product.uom_id.name,
            "horizon_days": horizon_days,
        }
        forecast = self.search(
            [("product_id", "=", product.id), ("company_id", "=", company.id)], limit=1
        )
        if not forecast:
            result.update(
                available=False,
                message=self.env._(
                    "No forecast for this product: it had no confirmed sale in the look-back "
                    "window of the last analysis, or no analysis has run yet."
                ),
            )
            return result
        daily = forecast.line_ids.sorted("date")[:horizon_days]
        if len(daily) < horizon_days:
            raise ValidationError(
                self.env._(
                    "The current forecast covers %(days)s days; ask for at most that many or run "
                    "the analysis again.",
                    days=len(forecast.line_ids),
                )
            )
        total = sum(daily.mapped("qty"))
        if horizon_days in TOTAL_DAYS:
            lower = forecast["lower_%dd" % horizon_days]
            upper = forecast["upper_%dd" % horizon_days]
        else:
            lower, upper = sum(daily.mapped("lower")), sum(daily.mapped("upper"))
        result.update(
            available=True,
            message=forecast.warning or "",
            method=forecast.method,
            trend=forecast.trend,
            confidence=forecast.confidence,
            daily_demand=forecast.daily_demand,
            total=total,
            lower=lower,
            upper=upper,
            totals={
                "%dd" % days: {
                    "qty": forecast["qty_%dd" % days],
                    "lower": forecast["lower_%dd" % days],
                    "upper": forecast["upper_%dd" % days],
                }
                for days in TOTAL_DAYS
            },
            mase=forecast.mase if forecast.has_accuracy else None,
            smape=forecast.smape if forecast.has_accuracy else None,
            trained_at=fields.Datetime.to_string(forecast.trained_at),
            as_of=fields.Date.to_string(forecast.as_of),
            run_id=forecast.run_id.id,
            daily=[
                {
                    "date": fields.Date.to_string(line.date),
                    "qty": line.qty,
                    "lower": line.lower,
                    "upper": line.upper,
                }
                for line in daily
            ],
        )
        return result

    # ------------------------------------------------------------------------------------------
    # Pipeline hooks (erpconnect.run)
    # ------------------------------------------------------------------------------------------
    @api.model
    def _run_step(self, run, inputs):
        """Step 2: forecast every product of ``inputs.history`` and stage the forecasts.

        Products go to the engine in batches of ``_erpconnect_batch_size``, each in a savepoint;
        a failing batch is retried product by product and a failing product is logged, counted
        in ``run.products_failed`` and skipped. The run commits after each batch.
        Sets ``inputs.forecast_summary``; returns the number of staged forecasts.

        :raise AnalysisError: the forecast failed for every product (the error in its
            ``details``)
        """
        product_ids = inputs.product_ids
        os.makedirs(inputs.model_dir, exist_ok=True)
        # Under the company's analysis lock: a temporary file here is a killed worker's.
        engine.model_store.remove_leftovers(inputs.model_dir)
        summaries = []
        done = failed = 0
        first_error = None
        for batch in split_every(self._erpconnect_batch_size, product_ids, list):
            batch_summaries, batch_failed, error = self._forecast_batch_isolated(run, inputs, batch)
            summaries += batch_summaries
            done += len(batch)
            failed += batch_failed
            first_error = first_error or error
            run._count_products(processed=len(batch) - batch_failed, failed=batch_failed)
            run._checkpoint(done=done, remaining=len(product_ids) - done)
        if product_ids and failed == len(product_ids):
            raise AnalysisError(
                self.env._(
                    "The forecast failed for all %(count)s products: an administrator finds "
                    "the error on the run and the details in the server log.",
                    count=failed,
                ),
                details=first_error,
            )
        summary = pd.concat(summaries, ignore_index=True) if summaries else None
        inputs.forecast_summary = summary
        if summary is not None:
            self._report_warnings(run, summary)
        return 0 if summary is None else len(summary)

    # ------------------------------------------------------------------------------------------
    # Forecast step internals
    # ------------------------------------------------------------------------------------------
    def _forecast_batch_isolated(self, run, inputs, product_ids):
        """Forecast and stage ``product_ids`` in a savepoint, else one by one.

        Returns ``(summary frames, failed count, error text or None)``. When the first
        ``_erpconnect_systematic_failures`` products retried alone fail with the batch's own
        error, the error is systematic: the rest of the batch is counted failed, not retried.
        """
        try:
            with self.env.cr.savepoint():
                return [self._forecast_batch(run, inputs, product_ids)], 0, None
        except Exception as error:  # isolate the failing product(s)
            batch_error = _error_text(error)
            _logger.exception(
                "ERPConnect AI: forecast of %s product(s) failed (first id %s)",
                len(product_ids),
                product_ids[0],
            )
        if len(product_ids) == 1:
            return [], 1, batch_error
        summaries = []
        failed = same_error = 0
        for index, product_id in enumerate(product_ids):
            try:
                with self.env.cr.savepoint():
                    summaries.append(self._forecast_batch(run, inputs, [product_id]))
                continue
            except Exception as error:  # isolate the failing product
                failed += 1
                if _error_text(error) != batch_error:
                    _logger.exception("ERPConnect AI: forecast of product %s failed", product_id)
                    continue
                same_error += 1
                _logger.error("ERPConnect AI: forecast of product %s failed alone too", product_id)
            if not summaries and same_error == failed == self._erpconnect_systematic_failures:
                _logger.error(
                    "ERPConnect AI: the first %s products of the batch fail alone with the "
                    "batch's error: the %s others are counted failed without a retry",
                    failed,
                    len(product_ids) - index - 1,
                )
                return summaries, len(product_ids), batch_error
        return summaries, failed, batch_error

    def _forecast_batch(self, run, inputs, product_ids):
        """Run the engine on ``product_ids`` and stage its forecasts; returns the summary."""
        settings = inputs.settings
        ModelFile = self.env["erpconnect.model.file"]
        model_dir = ModelFile._model_directory(inputs.company_id, inputs.model_dir, product_ids)
        # The arguments were validated with the settings (res.company constraints): an
        # exception here comes from the data of these products.
        result = engine.forecast_products(
            inputs.history_of(product_ids),
            horizon_days=settings["horizon_days"],
            method=settings["forecast_method"],
            as_of=inputs.as_of,
            model_dir=model_dir,
        )
        ModelFile._record_checksums(inputs.company_id, model_dir.written)
        # For engine.plan_orders (total_quantile reads the summary and calibration only): the
        # daily lines are left out, they are stored below.
        inputs.forecast_results.append(result._replace(lines=result.lines.iloc[0:0]))
        summary = result.summary
        if summary.empty:
            return summary
        trained_at = fields.Datetime.now()
        forecasts = self.create(
            [
                self._prepare_forecast_values(run, inputs, row, trained_at)
                for row in summary.to_dict("records")
            ]
        )
        self._insert_lines(forecasts, result.lines)
        return summary

    def _prepare_forecast_values(self, run, inputs, row, trained_at):
        """Values of the staged ``erpconnect.forecast`` of one engine summary row."""
        values = {
            "active": False,
            "run_id": run.id,
            "company_id": run.company_id.id,
            "product_id": int(row["product_id"]),
            "method": row["method"],
            "trend": row["trend"] if row["trend"] in dict(TREND_LABELS) else False,
            "confidence": _number(row["confidence"]),
            "daily_demand": _number(row["daily_demand"]),
            "mase": _number(row["mase"]),
            "smape": _number(row["smape"]),
            "has_accuracy": _is_finite(row["mase"]) and _is_finite(row["smape"]),
            "trained_at": trained_at,
            "as_of": inputs.as_of,
            "warning": row["warning"] or False,
        }
        for days in TOTAL_DAYS:
            for prefix in ("qty", "lower", "upper"):
                name = "%s_%dd" % (prefix, days)
                values[name] = _number(row[name])
        return values

    def _insert_lines(self, forecasts, lines):
        """Store the engine's daily ``lines`` of ``forecasts`` in one INSERT.

        A run writes horizon × products lines (900,000 for 10,000 products over 90 days): one
        INSERT of arrays instead of the ORM's per-record work.
        """
        if lines.empty:
            return
        forecast_of = {forecast.product_id.id: forecast.id for forecast in forecasts}
        lines = lines[lines["product_id"].isin(list(forecast_of))]
        Line = self.env["erpconnect.forecast.line"]
        company = forecasts.company_id
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO erpconnect_forecast_line
                       (forecast_id, product_id, company_id, date, qty, lower, upper)
                SELECT forecast_id, product_id, %(company)s, day, qty, lower, upper
                  FROM unnest(%(forecast_ids)s::int[], %(product_ids)s::int[],
                              %(days)s::date[], %(qty)s::float8[], %(lower)s::float8[],
                              %(upper)s::float8[])
                       AS line(forecast_id, product_id, day, qty, lower, upper)
                """,
                company=company.id,
                forecast_ids=[forecast_of[int(pid)] for pid in lines["product_id"]],
                product_ids=[int(pid) for pid in lines["product_id"]],
                days=[day.date() for day in pd.to_datetime(lines["date"])],
                qty=_floats(lines["qty"]),
                lower=_floats(lines["lower"]),
                upper=_floats(lines["upper"]),
            )
        )
        Line.invalidate_model()
        forecasts.invalidate_recordset(["line_ids"])

    def _report_warnings(self, run, summary):
        """Add the engine's most frequent warnings to the run, with how many products each.

        Warnings that differ only by their numbers ("35 days of history", "40 days of
        history") count as one, shown with its first example.
        """
        groups = {}
        for texts in summary["warning"].dropna():
            for text in str(texts).split(";"):
                text = text.strip()
                if text:
                    key = re.sub(r"\d+", "#", text)
                    count, example = groups.get(key, (0, text))
                    groups[key] = (count + 1, example)
        for count, example in sorted(groups.values(), key=lambda item: -item[0])[:5]:
            run._add_warning(
                self.env._("%(count)s product(s), e.g.: %(warning)s", count=count, warning=example)
            )


def _error_text(error):
    return "%s: %s" % (type(error).__name__, error)


def _is_finite(value):
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _number(value):
    """A finite float for a Float field (NaN and None become 0)."""
    return float(value) if _is_finite(value) else 0.0


def _floats(series):
    """A list of floats with None for NaN (NULL in the database)."""
    values = series.to_numpy(dtype=float, na_value=np.nan)
    return [float(value) if np.isfinite(value) else None for value in values]
