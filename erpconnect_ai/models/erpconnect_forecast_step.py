"""The forecast step of the analysis pipeline (``erpconnect.forecast``, see
``erpconnect_forecast.py``): the engine's forecasts of every product in isolated batches, staged
with their explanation figures, daily lines and adjusted figures, and the refresh of the adjusted
figures after a planner changes an adjustment."""

import logging
import os
import re
from datetime import timedelta

import numpy as np
import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL, split_every

from .. import engine
from .erpconnect_forecast import (
    EXPLAIN_FLOATS,
    EXPLAIN_INTEGERS,
    TOTAL_DAYS,
    TREND_LABELS,
    _error_text,
    _floats,
    _is_finite,
    _number,
)
from .erpconnect_run import AnalysisError

_logger = logging.getLogger(__name__)


class ErpconnectForecastStep(models.Model):
    _inherit = "erpconnect.forecast"

    # ------------------------------------------------------------------------------------------
    # Pipeline hooks (erpconnect.run)
    # ------------------------------------------------------------------------------------------
    @api.model
    def _run_step(self, run, inputs):
        """Step 2: forecast every product of ``inputs.history`` and stage the forecasts.

        Products go to the engine in batches of ``_erpconnect_batch_size``, each in a savepoint;
        a failing batch is retried product by product and a failing product is logged, counted
        in ``run.products_failed`` and skipped. The run commits after each batch.
        Sets ``inputs.forecast_summary`` (the adjusted summaries); returns the number of staged
        forecasts.

        :raise AnalysisError: the forecast failed for every product (the error in its
            ``details``)
        """
        product_ids = inputs.product_ids
        adjustments = self.env["erpconnect.forecast.adjustment"]._adjustments_frame(
            inputs.company_id,
            inputs.as_of + timedelta(days=1),
            inputs.as_of + timedelta(days=inputs.settings["horizon_days"]),
        )
        os.makedirs(inputs.model_dir, exist_ok=True)
        # Under the company's analysis lock: a temporary file here is a killed worker's.
        engine.model_store.remove_leftovers(inputs.model_dir)
        summaries = []
        done = failed = 0
        first_error = None
        for batch in split_every(self._erpconnect_batch_size, product_ids, list):
            batch_summaries, batch_failed, error = self._forecast_batch_isolated(
                run, inputs, batch, adjustments
            )
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
    def _forecast_batch_isolated(self, run, inputs, product_ids, adjustments):
        """Forecast and stage ``product_ids`` in a savepoint, else one by one (``adjustments``:
        see :meth:`_forecast_batch`).

        Returns ``(summary frames, failed count, error text or None)``. When the first
        ``_erpconnect_systematic_failures`` products retried alone fail with the batch's own
        error, the error is systematic: the rest of the batch is counted failed, not retried.
        """
        try:
            with self.env.cr.savepoint():
                return [self._forecast_batch(run, inputs, product_ids, adjustments)], 0, None
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
                    summaries.append(self._forecast_batch(run, inputs, [product_id], adjustments))
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

    def _forecast_batch(self, run, inputs, product_ids, adjustments):
        """Run the engine on ``product_ids`` and stage its forecasts with their adjusted figures
        (``adjustments``: the company's, ``engine.adjustments.ADJUSTMENT_COLUMNS``); returns the
        adjusted summary.

        The adjusted forecast (``engine.adjust_forecast``: points, totals, ``daily_demand``,
        ``sigma_daily`` and the quantiles of ``total_quantile``) is what suggestions order for,
        whatever the stock policy: it is the ``planned`` result below (the statistical one
        where nothing is adjusted), handed to ``plan_orders`` and, as the summary returned, to
        the classic policies (``inputs.forecast_summary``)."""
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
            unavailable=inputs.unavailable,
            holidays=inputs.holidays,
        )
        ModelFile._record_checksums(inputs.company_id, model_dir.written)
        planned, qty_adjusted = engine.adjust_forecast(
            result, adjustments[adjustments["product_id"].isin(list(product_ids))]
        )
        # For engine.plan_orders: the ADJUSTED forecast (what suggestions order for; its
        # total_quantile reads the summary and calibration only), without its daily lines
        # (stored below).
        inputs.forecast_results.append(planned._replace(lines=planned.lines.iloc[0:0]))
        summary = result.summary
        if summary.empty:
            return planned.summary
        trained_at = fields.Datetime.now()
        forecasts = self.create(
            [
                self._prepare_forecast_values(run, inputs, row, trained_at, adjusted_row)
                for row, adjusted_row in zip(
                    summary.to_dict("records"), planned.summary.to_dict("records"), strict=True
                )
            ]
        )
        self._insert_lines(forecasts, result.lines, qty_adjusted)
        return planned.summary

    def _prepare_forecast_values(self, run, inputs, row, trained_at, adjusted_row):
        """Values of the staged ``erpconnect.forecast`` of one engine summary row (and of the
        same product's row of the adjusted summary)."""
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
            values["adjusted_qty_%dd" % days] = _number(adjusted_row["qty_%dd" % days])
        values["adjusted_days"] = int(adjusted_row.get("adjusted_days", 0))
        values.update({name: _number(row[name]) for name in EXPLAIN_FLOATS})
        values.update({name: int(_number(row[name])) for name in EXPLAIN_INTEGERS})
        values["closed_weekdays"] = row["closed_weekdays"] or False
        values["holiday_effect"] = row["holiday_effect"] or False
        values["capped"] = bool(row["capped"])
        return values

    def _insert_lines(self, forecasts, lines, qty_adjusted):
        """Store the engine's daily ``lines`` of ``forecasts`` in one INSERT, with their adjusted
        quantities (``qty_adjusted``, aligned with ``lines``, NaN where not adjusted: NULL).

        A run writes horizon × products lines (900,000 for 10,000 products over 90 days): one
        INSERT of arrays instead of the ORM's per-record work.
        """
        if lines.empty:
            return
        forecast_of = {forecast.product_id.id: forecast.id for forecast in forecasts}
        kept = lines["product_id"].isin(list(forecast_of)).to_numpy()
        lines = lines[kept].assign(qty_adjusted=np.asarray(qty_adjusted, dtype=float)[kept])
        Line = self.env["erpconnect.forecast.line"]
        company = forecasts.company_id
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO erpconnect_forecast_line
                       (forecast_id, product_id, company_id, date, qty, lower, upper,
                        qty_adjusted, is_adjusted)
                SELECT forecast_id, product_id, %(company)s, day, qty, lower, upper,
                       COALESCE(adjusted, qty), adjusted IS NOT NULL
                  FROM unnest(%(forecast_ids)s::int[], %(product_ids)s::int[],
                              %(days)s::date[], %(qty)s::float8[], %(lower)s::float8[],
                              %(upper)s::float8[], %(adjusted)s::float8[])
                       AS line(forecast_id, product_id, day, qty, lower, upper, adjusted)
                """,
                company=company.id,
                forecast_ids=[forecast_of[int(pid)] for pid in lines["product_id"]],
                product_ids=[int(pid) for pid in lines["product_id"]],
                days=[day.date() for day in pd.to_datetime(lines["date"])],
                qty=_floats(lines["qty"]),
                lower=_floats(lines["lower"]),
                upper=_floats(lines["upper"]),
                adjusted=_floats(lines["qty_adjusted"]),
            )
        )
        Line.invalidate_model()
        forecasts.invalidate_recordset(["line_ids"])

    @api.model
    def _refresh_adjusted(self, keys):
        """Recompute the adjusted figures of the forecasts (current and staged) of the
        ``(company id, product id)`` pairs ``keys`` from their daily lines and the active
        adjustments, after a planner changed adjustments: per company one read of the lines,
        one UPDATE of them and one write per forecast."""
        everything = self.sudo().with_context(active_test=False)
        Adjustment = self.env["erpconnect.forecast.adjustment"]
        Line = self.env["erpconnect.forecast.line"]
        for company_id in sorted({company for company, _product in keys}):
            product_ids = sorted({product for company, product in keys if company == company_id})
            forecasts = everything.search(
                [("company_id", "=", company_id), ("product_id", "in", product_ids)]
            )
            if not forecasts:
                continue
            Line.flush_model()
            self.env.cr.execute(
                SQL(
                    """
                    SELECT id, forecast_id, product_id, date, qty
                      FROM erpconnect_forecast_line
                     WHERE forecast_id = ANY(%s)
                  ORDER BY forecast_id, date
                    """,
                    forecasts.ids,
                )
            )
            lines = pd.DataFrame(
                self.env.cr.fetchall(), columns=["id", "forecast_id", "product_id", "date", "qty"]
            )
            if lines.empty:
                continue
            adjusted = engine.adjust_lines(
                lines,
                Adjustment._adjustments_frame(
                    company_id, lines["date"].min(), lines["date"].max(), product_ids
                ),
            )
            flags = np.isfinite(adjusted)
            lines["planned"] = np.where(flags, adjusted, lines["qty"].to_numpy(dtype=float))
            self.env.cr.execute(
                SQL(
                    """
                    UPDATE erpconnect_forecast_line AS line
                       SET qty_adjusted = new.qty, is_adjusted = new.flag
                      FROM unnest(%s::int[], %s::float8[], %s::bool[]) AS new(id, qty, flag)
                     WHERE line.id = new.id
                    """,
                    lines["id"].tolist(),
                    lines["planned"].tolist(),
                    flags.tolist(),
                )
            )
            Line.invalidate_model(["qty_adjusted", "is_adjusted"])
            lines["day"] = lines.groupby("forecast_id").cumcount()
            lines["flag"] = flags
            for forecast in forecasts:
                rows = lines[lines["forecast_id"] == forecast.id]
                values = {
                    "adjusted_qty_%dd" % days: float(rows.loc[rows["day"] < days, "planned"].sum())
                    for days in TOTAL_DAYS
                }
                values["adjusted_days"] = int(rows["flag"].sum())
                forecast.write(values)

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
