import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL

from .. import engine
from .arguments import check_record_id, check_whole_number
from .forecast_explanation import explain_forecast
from .res_company import FORECAST_METHODS

TREND_LABELS = [("UP", "Up"), ("STABLE", "Stable"), ("DOWN", "Down")]
TOTAL_DAYS = (7, 30, 90)
HOLIDAY_EFFECTS = [
    ("closed", "Closed"),
    ("reduced", "Reduced"),
    ("normal", "Normal"),
    ("boosted", "Boosted"),
]
#: Summary columns of the engine stored as they are (docs/architecture.md, EXPLAIN_COLUMNS).
EXPLAIN_FLOATS = (
    "sigma_daily",
    "mase_scale",
    "naive_mase",
    "recent_level",
    "level",
    "trend_28d",
    *("weekday_%s" % day for day in engine.forecasting.WEEKDAYS),
    "holiday_factor",
)
EXPLAIN_INTEGERS = ("history_days", "holiday_days", "censored_days")


class ErpconnectForecast(models.Model):
    """Latest demand forecast of a product for a company (one per product and run).

    Rows staged by a running analysis are inactive; ``_publish_run`` activates them and drops
    the previous run's rows, so the active rows are the company's current forecasts. Each holds
    the statistical figures, the adjusted ones (``erpconnect.forecast.adjustment``), the
    engine's explanation figures (``explanation``, ``forecast_explanation.py``), the expected
    (backtest) and the measured accuracy (``erpconnect.forecast.accuracy``). The pipeline step
    that writes them is in ``erpconnect_forecast_step.py``.
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
    trend = fields.Selection(
        TREND_LABELS,
        string="Sales trend",
        readonly=True,
        index=True,
        help="Direction of the sales of the last 60 days: the mean of the last 7 days against "
        "the first 7, Up above +20 %, Down below -20 % (stock-out days and holidays read as "
        "normal days). The forecast's own slope is the forecast trend per 28 days.",
    )
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
        "Expected MASE",
        readonly=True,
        help="Backtest error of the method divided by the error of a seasonal naive forecast "
        "(below 1: better than repeating last week): what to expect, measured on the same "
        "history that chose the method. Empty when the history is too short.",
    )
    smape = fields.Float(
        "Expected sMAPE",
        readonly=True,
        help="Symmetric mean absolute percentage error of the backtest (0 to 200 %): what to "
        "expect.",
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

    # Adjusted forecast (erpconnect.forecast.adjustment): the statistical figures above stay.
    adjusted_qty_7d = fields.Float(
        "Adjusted 7 days", digits="Product Unit of Measure", readonly=True
    )
    adjusted_qty_30d = fields.Float(
        "Adjusted 30 days", digits="Product Unit of Measure", readonly=True
    )
    adjusted_qty_90d = fields.Float(
        "Adjusted 90 days", digits="Product Unit of Measure", readonly=True
    )
    adjusted_days = fields.Integer(
        readonly=True, help="Days of the forecast horizon changed by a planner's adjustment."
    )
    is_adjusted = fields.Boolean("Adjusted", compute="_compute_is_adjusted", store=True, index=True)
    adjustment_ids = fields.Many2many(
        "erpconnect.forecast.adjustment",
        compute="_compute_adjustment_ids",
        string="Adjustments",
        help="The active adjustments of this product that touch the forecast horizon.",
    )

    # Why this forecast (the engine's explanation columns).
    sigma_daily = fields.Float(
        "Daily error σ",
        digits="Product Unit of Measure",
        readonly=True,
        help="Spread of the daily forecast error that the 95 % interval implies.",
    )
    mase_scale = fields.Float(
        "Error scale",
        readonly=True,
        help="Mean absolute error of repeating last week's same day over the last 91 days: "
        "the unit of the MASE.",
    )
    naive_mase = fields.Float(
        "Seasonal naive MASE",
        readonly=True,
        help="Backtest MASE of the seasonal naive forecast (repeat last week), to compare with "
        "the method kept.",
    )
    history_days = fields.Integer("Days of history", readonly=True)
    recent_level = fields.Float(
        "Sold a day (last 28 days)",
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean daily demand of the last 28 days, stock-out days and holidays left out.",
    )
    level = fields.Float(
        "Forecast a day (next 28 days)",
        digits="Product Unit of Measure",
        readonly=True,
        help="Mean daily forecast of the next 28 days, holidays left out.",
    )
    trend_28d = fields.Float(
        "Forecast trend per 28 days",
        readonly=True,
        help="Relative change of the forecast per 28 days (0.1 = +10 %).",
    )
    weekday_mon = fields.Float("Monday", digits=(16, 2), readonly=True)
    weekday_tue = fields.Float("Tuesday", digits=(16, 2), readonly=True)
    weekday_wed = fields.Float("Wednesday", digits=(16, 2), readonly=True)
    weekday_thu = fields.Float("Thursday", digits=(16, 2), readonly=True)
    weekday_fri = fields.Float("Friday", digits=(16, 2), readonly=True)
    weekday_sat = fields.Float("Saturday", digits=(16, 2), readonly=True)
    weekday_sun = fields.Float("Sunday", digits=(16, 2), readonly=True)
    closed_weekdays = fields.Char(
        readonly=True, help="Weekdays without any sale for months: forecast 0 (e.g. sat,sun)."
    )
    holiday_factor = fields.Float(
        digits=(16, 2),
        readonly=True,
        help="Demand of a public holiday / demand of a normal day, learnt from the past "
        "holidays and applied to those ahead.",
    )
    holiday_effect = fields.Selection(HOLIDAY_EFFECTS, readonly=True)
    holiday_days = fields.Integer("Holidays ahead", readonly=True)
    censored_days = fields.Integer(
        "Stock-out days left out",
        readonly=True,
        help="Days out of stock in the history used: not counted as zero demand.",
    )
    capped = fields.Boolean(
        readonly=True,
        help="The method's forecast went above 3 × the largest daily demand and was cut.",
    )
    explanation = fields.Text(
        "Why this forecast", compute="_compute_explanation", help="In words and figures."
    )

    # Accuracy measured after the fact (erpconnect.forecast.accuracy).
    has_measured_accuracy = fields.Boolean("Measured", readonly=True)
    measured_mase = fields.Float(
        "Measured MASE",
        readonly=True,
        help="Error of the forecasts made for this product over the last 13 weeks, scored "
        "against what then sold, divided by the error scale (below 1: better than repeating "
        "last week).",
    )
    measured_smape = fields.Float("Measured sMAPE", readonly=True)
    measured_mae = fields.Float(
        "Measured error a day", digits="Product Unit of Measure", readonly=True
    )
    measured_coverage = fields.Float(
        "Measured coverage",
        readonly=True,
        help="Share of the scored days whose sales fell in the 95 % interval.",
    )
    measured_days = fields.Integer(
        "Days scored", readonly=True, help="Forecast days scored over the last 13 weeks."
    )

    _sql_constraints = [
        ("run_product_uniq", "unique(run_id, product_id)", "A run forecasts a product once."),
    ]

    @api.depends("adjusted_days")
    def _compute_is_adjusted(self):
        for forecast in self:
            forecast.is_adjusted = forecast.adjusted_days > 0

    @api.depends("product_id", "company_id", "as_of")
    def _compute_adjustment_ids(self):
        """Active adjustments of the product that end after the forecast's first day (one
        search for all the forecasts)."""
        dated = self.filtered("as_of")
        adjustments = self.env["erpconnect.forecast.adjustment"].browse()
        if dated:
            adjustments = self.env["erpconnect.forecast.adjustment"].search(
                [
                    ("company_id", "in", dated.company_id.ids),
                    ("product_id", "in", dated.product_id.ids),
                    ("date_to", ">", min(dated.mapped("as_of"))),
                ],
                order="date_from, id",
            )
        for forecast in self:
            forecast.adjustment_ids = adjustments.filtered(
                lambda a, f=forecast: (
                    a.company_id == f.company_id
                    and a.product_id == f.product_id
                    and f.as_of
                    and a.date_to > f.as_of
                )
            )

    @api.depends_context("lang")
    @api.depends(
        "method",
        "mase",
        "naive_mase",
        "level",
        "recent_level",
        "trend_28d",
        "closed_weekdays",
        "holiday_effect",
        "censored_days",
        "capped",
        "adjusted_days",
        "measured_days",
    )
    def _compute_explanation(self):
        for forecast in self:
            forecast.explanation = "\n".join(explain_forecast(forecast))

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
                "mase": float | None, "smape": float | None,   # backtest accuracy (sMAPE 0-2):
                                         # what to expect
                "measured": None | {"mase": float | None, "smape": float, "mae": float,
                             "coverage": float, "days": int},  # measured after the fact,
                                         # last 13 weeks (erpconnect.forecast.accuracy)
                "adjusted_total": float,  # the same total with the planners' adjustments
                "adjusted_totals": {"7d" | "30d" | "90d": float},
                "adjusted_days": int,     # days of the horizon adjusted (0: not adjusted)
                "explanation": [str],     # why this forecast, in the user's language
                "trained_at": str, "as_of": str, "run_id": int,
                "daily": [{"date": "YYYY-MM-DD", "qty": float, "lower": float, "upper": float,
                           "adjusted": float, "is_adjusted": bool}],
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
            measured={
                "mase": forecast.measured_mase,
                "smape": forecast.measured_smape,
                "mae": forecast.measured_mae,
                "coverage": forecast.measured_coverage,
                "days": forecast.measured_days,
            }
            if forecast.has_measured_accuracy
            else None,
            adjusted_total=sum(daily.mapped("qty_adjusted")),
            adjusted_totals={
                "%dd" % days: forecast["adjusted_qty_%dd" % days] for days in TOTAL_DAYS
            },
            adjusted_days=forecast.adjusted_days,
            explanation=explain_forecast(forecast),
            trained_at=fields.Datetime.to_string(forecast.trained_at),
            as_of=fields.Date.to_string(forecast.as_of),
            run_id=forecast.run_id.id,
            daily=[
                {
                    "date": fields.Date.to_string(line.date),
                    "qty": line.qty,
                    "lower": line.lower,
                    "upper": line.upper,
                    "adjusted": line.qty_adjusted,
                    "is_adjusted": line.is_adjusted,
                }
                for line in daily
            ],
        )
        return result


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
