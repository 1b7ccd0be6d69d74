import logging
import time
from datetime import timedelta

from odoo import api, fields, models

from .. import engine
from .erpconnect_forecast import _number

_logger = logging.getLogger(__name__)

#: Days of the replayed window: at most a year, and at most half the look-back window (the
#: forecasts of the window's first days learn from the half before it).
MAX_WINDOW_DAYS = 365


class ErpconnectPolicyCurve(models.Model):
    """One point of the "Service level vs stock" curve of a company: for an ABC class and a
    target service level, what a replay of the ordering policy on the past delivered (fill
    rate) and cost (average stock value).

    Computed by the analysis run (its own step, ``policy_curve``, after the suggestions) with
    ``engine.policy_curve`` on a sample of each class; read by
    ``erpconnect.replenishment.get_policy_curve()``. A run that computes no curve (too little
    history, a failure: said in the run's warnings) keeps the previous one.
    """

    _name = "erpconnect.policy.curve"
    _erpconnect_step_name = "policy_curve"
    _description = "ERPConnect AI service level vs stock point"
    _inherit = ["erpconnect.result.mixin"]
    _order = "company_id, abc, service_level"

    currency_id = fields.Many2one(related="company_id.currency_id")
    abc = fields.Selection(
        [("A", "A"), ("B", "B"), ("C", "C")], "ABC class", required=True, index=True
    )
    service_level = fields.Float(
        "Target service level", digits=(16, 4), required=True, help="Target of the replay."
    )
    fill_rate = fields.Float(
        "Fill rate", digits=(16, 4), help="Share of the demand served from stock in the replay."
    )
    cycle_service_level = fields.Float(
        "Cycle service level",
        digits=(16, 4),
        help="Share of replenishment cycles without a lost sale.",
    )
    avg_stock_value = fields.Monetary(
        "Average stock value",
        currency_field="currency_id",
        help="Average stock of the class at cost over the replay (estimated from the sample).",
    )
    avg_on_hand = fields.Float("Average stock (units)", digits=(16, 1))
    lost_value = fields.Monetary(
        "Lost sales", currency_field="currency_id", help="Demand the stock could not serve."
    )
    stockout_days = fields.Float("Stock-out days per product", digits=(16, 1))
    product_count = fields.Integer("Products in the class")
    sampled_count = fields.Integer("Products replayed")
    is_current = fields.Boolean("Current setting")
    window_start = fields.Date("Replayed from")
    window_end = fields.Date("Replayed to")
    review_days = fields.Integer("Days between decisions")

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Stage the curve of ``inputs`` (the replenishment step's ``order_items``): returns the
        number of points staged; 0, with a warning on the run, when it cannot be computed."""
        items = inputs.order_items
        window = self._window(inputs)
        if items is None or items.empty or window is None:
            run._add_warning(
                self.env._(
                    "Service level vs stock: not computed (it needs suggestions and at least "
                    "%(days)s days of history); the previous curve is kept.",
                    days=2 * 28,
                )
            )
            return 0
        settings = inputs.settings
        start, end = window
        started = time.perf_counter()
        try:
            curve, info = engine.policy_curve(
                inputs.history_of(items["product_id"]),
                self._replay_items(items, settings),
                self.env["erpconnect.replenishment"]._service_levels(settings),
                start=start,
                end=end,
                method=settings["forecast_method"],
                default_lead_time=settings["default_lead_time"],
                **self.env["erpconnect.replenishment"]._censoring(inputs),
            )
        except ValueError as error:
            _logger.warning("ERPConnect AI: policy curve not computed: %s", error)
            run._add_warning(
                self.env._(
                    "Service level vs stock: not computed (%(error)s); the previous curve is kept.",
                    error=error,
                )
            )
            return 0
        _logger.info(
            "ERPConnect AI: policy curve of %s points in %.1f s (%s replays)",
            len(curve),
            time.perf_counter() - started,
            info.get("replays"),
        )
        values = [
            {
                "active": False,
                "run_id": run.id,
                "company_id": inputs.company_id,
                "abc": row.abc,
                "service_level": row.service_level,
                "fill_rate": _number(row.fill_rate),
                "cycle_service_level": _number(row.cycle_service_level),
                "avg_stock_value": _number(row.avg_stock_value),
                "avg_on_hand": _number(row.avg_on_hand),
                "lost_value": _number(row.lost_value),
                "stockout_days": _number(row.stockout_days),
                "product_count": int(row.products),
                "sampled_count": int(row.sampled),
                "is_current": bool(row.is_current),
                "window_start": start,
                "window_end": end,
                "review_days": 1,
            }
            for row in curve.itertuples(index=False)
        ]
        return len(self.create(values))

    @api.model
    def _window(self, inputs):
        """``(start, end)`` days of the replay: the last half of the look-back window, at most
        ``MAX_WINDOW_DAYS``, ending on ``inputs.as_of``; None when shorter than 28 days."""
        days = min(MAX_WINDOW_DAYS, inputs.settings["lookback_days"] // 2)
        if days < 28:
            return None
        return inputs.as_of - timedelta(days=days - 1), inputs.as_of

    @api.model
    def _replay_items(self, items, settings):
        """The columns of ``items`` ``engine.simulate_policy`` reads: lead times (the default
        where unknown), lot sizes, the vendor's review period, ABC class, cost and price."""
        frame = items[
            [
                "product_id",
                "abc",
                "lead_time_std",
                "review_days",
                "min_qty",
                "multiple",
                "rounding",
                "unit_cost",
            ]
        ].copy()
        frame["lead_time_days"] = items["lead_time_days"].fillna(settings["default_lead_time"])
        frame["price"] = items["list_price"]
        return frame

    @api.model
    def _publish_run(self, run):
        """Make the staged curve current; without a staged curve, keep the previous one."""
        staged = self.with_context(active_test=False).search_count(
            [("company_id", "=", run.company_id.id), ("run_id", "=", run.id)]
        )
        if staged:
            return super()._publish_run(run)
        return None
