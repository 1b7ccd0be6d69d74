from datetime import timedelta

import pandas as pd

from odoo import api, fields, models
from odoo.tools import SQL

from .. import engine
from .erpconnect_forecast import _floats
from .res_company import FORECAST_METHODS

#: Forecast days of a run kept for scoring: four horizon weeks.
SNAPSHOT_DAYS = 28
#: A company keeps at most one run's forecast in this many days (one snapshot a week).
SNAPSHOT_EVERY_DAYS = 7
#: The accuracy shown on a forecast: the weeks scored over this many days up to the run's day.
MEASURED_DAYS = 91
#: Scored weeks older than this are deleted (the KPIs look back at most a year).
RETENTION_DAYS = 400
SCORE_KEYS = ("product_id", "method", "week", "origin")


class ErpconnectForecastAccuracy(models.Model):
    """Accuracy measured after the fact (issue 11, item 7): one horizon week of one product's
    forecast made by one run, scored against what then sold.

    The nightly analysis keeps the first 28 days of its forecasts once a week
    (``erpconnect.forecast.snapshot``). Each run scores the horizon weeks of those snapshots whose
    days have passed with ``engine.score_forecasts`` (stock-out days are not scored): week 1 is the
    first 7 days after the run's last day of history, week 4 days 22-28. The days the planner
    adjusted are scored twice, with the statistical and with the adjusted forecast: the
    difference of their errors is the value the adjustment added. The current forecasts show the
    weeks of the last 13 weeks (``measured_*``); the backtest figures are only what to expect.
    Staged rows are inactive until the run is published; older scored weeks stay (a year).
    """

    _name = "erpconnect.forecast.accuracy"
    _inherit = ["erpconnect.result.mixin"]
    _description = "ERPConnect AI forecast accuracy measured after the fact"
    _erpconnect_step_name = "accuracy"
    _order = "date_to desc, product_id, week"
    _rec_name = "product_id"
    _check_company_auto = True
    # Written in bulk SQL by the analysis only.
    _log_access = False

    # Kept when old runs are cleaned up: the history of the accuracy outlives them.
    run_id = fields.Many2one(required=False, ondelete="set null", help="Run that scored it.")
    product_id = fields.Many2one(
        "product.product", required=True, index=True, readonly=True, ondelete="cascade"
    )
    method = fields.Selection(
        [(code, label) for code, label in FORECAST_METHODS if code != "auto"],
        readonly=True,
        index=True,
    )
    origin = fields.Date(
        "Forecast made on", required=True, readonly=True, help="Last day of history of the run."
    )
    week = fields.Integer(
        "Horizon week", readonly=True, help="1: the first 7 forecast days, 4: days 22 to 28."
    )
    date_from = fields.Date("From", readonly=True)
    date_to = fields.Date("To", readonly=True, index=True)
    days = fields.Integer("Days scored", readonly=True, help="Days of the week in stock.")
    mae = fields.Float(
        "Error a day",
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean |forecast − sold|.",
    )
    mase = fields.Float(
        "MASE",
        readonly=True,
        help="Error a day / the forecast's error scale (below 1 beats repeating last week).",
    )
    smape = fields.Float("sMAPE", readonly=True, help="0 to 2 (200 %).")
    bias = fields.Float(
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean forecast − sold: above 0 the forecast was too high.",
    )
    coverage = fields.Float(readonly=True, help="Share of the days sold within the 95 % interval.")
    adjusted_days = fields.Integer(readonly=True, help="Days of the week a planner adjusted.")
    statistical_adjusted_mae = fields.Float(
        "Statistical error on adjusted days",
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean |statistical forecast − sold| over the adjusted days.",
    )
    adjusted_mae = fields.Float(
        "Adjusted error",
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean |adjusted forecast − sold| over the adjusted days.",
    )
    value_added = fields.Float(
        "Value added",
        digits="Product Unit of Measure",
        readonly=True,
        help="Statistical error − adjusted error on the adjusted days (units a day): above 0 "
        "the adjustment helped.",
    )

    _sql_constraints = [
        (
            "week_uniq",
            "unique(company_id, product_id, origin, week)",
            "A horizon week of a forecast is scored once.",
        ),
    ]

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Score the snapshots' horizon weeks that have passed (staged), keep this run's
        forecast as the week's snapshot when the company has none of the last 7 days, and give
        the run's staged forecasts their accuracy measured over the last 13 weeks. Returns the
        number of weeks scored."""
        scored = self._score_passed_weeks(run, inputs)
        self._take_snapshot(run, inputs)
        self._write_measured_accuracy(run, inputs)
        return scored

    @api.model
    def _publish_run(self, run):
        """Make the run's scored weeks current, delete the snapshot days it scored and the
        scored weeks older than ``RETENTION_DAYS``."""
        company = run.company_id
        everything = self.with_context(active_test=False)
        everything.search(
            [("company_id", "=", company.id), ("run_id", "=", run.id), ("active", "=", False)]
        ).write({"active": True})
        self.env["erpconnect.forecast.snapshot"].flush_model()
        self.env.cr.execute(self._passed_snapshot_days_sql("DELETE", company.id, run.as_of))
        self.env["erpconnect.forecast.snapshot"].invalidate_model()
        everything.search(
            [
                ("company_id", "=", company.id),
                ("date_to", "<", run.as_of - timedelta(days=RETENTION_DAYS)),
            ]
        ).unlink()

    @api.model
    def _discard_run(self, run):
        """Remove the weeks ``run`` scored and the snapshot it took."""
        result = super()._discard_run(run)
        self.env["erpconnect.forecast.snapshot"].search([("run_id", "=", run.id)]).unlink()
        return result

    # ------------------------------------------------------------------ internals

    @api.model
    def _passed_snapshot_days_sql(self, verb, company_id, as_of):
        """``SELECT <columns>``/``DELETE`` of the snapshot days of ``company_id`` whose horizon
        week has passed by ``as_of`` (a week of origin ``o`` ends on ``o + 7 w``)."""
        columns = SQL(
            "product_id, origin, date, method, qty, lower, upper, qty_adjusted, is_adjusted, scale"
        )
        return SQL(
            """
            %(verb)s FROM erpconnect_forecast_snapshot
             WHERE company_id = %(company)s
               AND date <= origin + 7 * ((%(as_of)s::date - origin) / 7)
            """,
            verb=SQL("SELECT %s", columns) if verb == "SELECT" else SQL("DELETE"),
            company=company_id,
            as_of=as_of,
        )

    @api.model
    def _score_passed_weeks(self, run, inputs):
        """Stage the scores (``engine.score_forecasts``) of the horizon weeks that have passed;
        days before the look-back window (no sales known) are not scored."""
        self.env["erpconnect.forecast.snapshot"].flush_model()
        self.env.cr.execute(
            self._passed_snapshot_days_sql("SELECT", inputs.company_id, inputs.as_of)
        )
        lines = pd.DataFrame(
            self.env.cr.fetchall(),
            columns=[
                "product_id",
                "origin",
                "date",
                "method",
                "qty",
                "lower",
                "upper",
                "qty_adjusted",
                "is_adjusted",
                "scale",
            ],
        )
        first_day = inputs.as_of - timedelta(days=inputs.settings["lookback_days"] - 1)
        lines = lines[lines["date"] >= first_day]
        if lines.empty:
            return 0
        scores = self._score(lines, inputs)
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO erpconnect_forecast_accuracy
                       (active, run_id, company_id, product_id, method, origin, week, date_from,
                        date_to, days, mae, mase, smape, bias, coverage, adjusted_days,
                        statistical_adjusted_mae, adjusted_mae, value_added)
                SELECT false, %(run)s, %(company)s, product_id, method, origin, week,
                       origin + 7 * week - 6, origin + 7 * week, days, mae, mase, smape, bias,
                       coverage, adjusted_days, statistical_mae, adjusted_mae,
                       statistical_mae - adjusted_mae
                  FROM unnest(%(products)s::int[], %(methods)s::varchar[], %(origins)s::date[],
                              %(weeks)s::int[], %(days)s::int[], %(mae)s::float8[],
                              %(mase)s::float8[], %(smape)s::float8[], %(bias)s::float8[],
                              %(coverage)s::float8[], %(adjusted_days)s::int[],
                              %(statistical_mae)s::float8[], %(adjusted_mae)s::float8[])
                       AS score(product_id, method, origin, week, days, mae, mase, smape, bias,
                                coverage, adjusted_days, statistical_mae, adjusted_mae)
                """,
                run=run.id,
                company=inputs.company_id,
                products=scores["product_id"].astype(int).tolist(),
                methods=scores["method"].tolist(),
                origins=[day.date() for day in pd.to_datetime(scores["origin"])],
                weeks=scores["week"].astype(int).tolist(),
                days=scores["days"].astype(int).tolist(),
                mae=_floats(scores["mae"]),
                mase=_floats(scores["mase"]),
                smape=_floats(scores["smape"]),
                bias=_floats(scores["bias"]),
                coverage=_floats(scores["coverage"]),
                adjusted_days=scores["adjusted_days"].astype(int).tolist(),
                statistical_mae=_floats(scores["statistical_mae"]),
                adjusted_mae=_floats(scores["adjusted_mae"]),
            )
        )
        self.invalidate_model()
        return len(scores)

    @api.model
    def _score(self, lines, inputs):
        """Scores per product, method, horizon week and origin of the snapshot ``lines``, with
        the statistical and adjusted MAE over the adjusted days (``adjusted_days`` 0 and NaN
        errors for a week without any)."""
        keys = list(SCORE_KEYS)

        def score(frame):
            return engine.score_forecasts(
                frame, inputs.history, as_of=inputs.as_of, unavailable=inputs.unavailable, by=keys
            )

        scores = score(lines)
        adjusted = lines[lines["is_adjusted"].astype(bool)]
        statistical = score(adjusted)[[*keys, "days", "mae"]]
        planner = score(adjusted.assign(qty=adjusted["qty_adjusted"]))[[*keys, "mae"]]
        both = statistical.merge(planner, on=keys, suffixes=("_statistical", "_adjusted"))
        both = both.rename(
            columns={
                "days": "adjusted_days",
                "mae_statistical": "statistical_mae",
                "mae_adjusted": "adjusted_mae",
            }
        )
        scores = scores.merge(both, on=keys, how="left")
        scores["adjusted_days"] = scores["adjusted_days"].fillna(0)
        return scores

    @api.model
    def _take_snapshot(self, run, inputs):
        """Keep the first ``SNAPSHOT_DAYS`` days of the run's staged forecasts (one INSERT ...
        SELECT) unless the company has a snapshot of the last ``SNAPSHOT_EVERY_DAYS`` days."""
        Snapshot = self.env["erpconnect.forecast.snapshot"]
        recent = Snapshot.search_count(
            [
                ("company_id", "=", inputs.company_id),
                ("origin", ">", inputs.as_of - timedelta(days=SNAPSHOT_EVERY_DAYS)),
            ],
            limit=1,
        )
        if recent:
            return
        self.env["erpconnect.forecast"].flush_model()
        self.env["erpconnect.forecast.line"].flush_model()
        self.env.cr.execute(
            SQL(
                """
                INSERT INTO erpconnect_forecast_snapshot
                       (run_id, company_id, product_id, origin, date, method, qty, lower, upper,
                        qty_adjusted, is_adjusted, scale)
                SELECT forecast.run_id, forecast.company_id, forecast.product_id,
                       forecast.as_of, line.date, forecast.method, line.qty, line.lower,
                       line.upper, line.qty_adjusted, line.is_adjusted, forecast.mase_scale
                  FROM erpconnect_forecast_line AS line
                  JOIN erpconnect_forecast AS forecast ON forecast.id = line.forecast_id
                 WHERE forecast.run_id = %(run)s
                   AND forecast.company_id = %(company)s
                   AND line.date <= forecast.as_of + %(days)s
                """,
                run=run.id,
                company=inputs.company_id,
                days=SNAPSHOT_DAYS,
            )
        )
        Snapshot.invalidate_model()

    @api.model
    def _write_measured_accuracy(self, run, inputs):
        """Give the run's staged forecasts the accuracy of their product's weeks scored over the
        last ``MEASURED_DAYS`` days (current and just staged), weighted by the days scored."""
        self.flush_model()
        Forecast = self.env["erpconnect.forecast"]
        Forecast.flush_model()
        self.env.cr.execute(
            SQL(
                """
                WITH measured AS (
                    SELECT product_id,
                           SUM(days) AS days,
                           SUM(mae * days) / SUM(days) AS mae,
                           SUM(smape * days) / SUM(days) AS smape,
                           SUM(coverage * days) / SUM(days) AS coverage,
                           SUM(mase * days) FILTER (WHERE mase IS NOT NULL)
                               / NULLIF(SUM(days) FILTER (WHERE mase IS NOT NULL), 0) AS mase
                      FROM erpconnect_forecast_accuracy
                     WHERE company_id = %(company)s
                       AND date_to > %(since)s
                       AND days > 0
                       AND (active OR run_id = %(run)s)
                  GROUP BY product_id
                )
                UPDATE erpconnect_forecast AS forecast
                   SET has_measured_accuracy = true,
                       measured_days = measured.days,
                       measured_mae = measured.mae,
                       measured_smape = measured.smape,
                       measured_coverage = measured.coverage,
                       measured_mase = measured.mase
                  FROM measured
                 WHERE forecast.run_id = %(run)s
                   AND forecast.company_id = %(company)s
                   AND forecast.product_id = measured.product_id
                """,
                company=inputs.company_id,
                since=inputs.as_of - timedelta(days=MEASURED_DAYS),
                run=run.id,
            )
        )
        Forecast.invalidate_model(
            [
                "has_measured_accuracy",
                "measured_days",
                "measured_mae",
                "measured_smape",
                "measured_coverage",
                "measured_mase",
            ]
        )
