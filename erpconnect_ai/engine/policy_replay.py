"""Replay of a stock policy over a past window: does it deliver the service level it promises?

:func:`simulate_policy` walks day by day through a window of the history (default: its last 365
days) for every item at once. Each morning the orders due that day arrive; on a review day (every
``review_days`` days from the first day of the window) the policy decides, on the history known
that day (up to the day before), what to order; the order arrives ``lead_time_days`` later
(rounded up to whole days; with ``random_lead_times``, a normal draw of mean ``lead_time_days``
and σ ``lead_time_std``, rounded, at least 0 days, seeded). Then the day's demand — the history's
quantity that day — is served from stock; what the stock cannot serve is lost (lost sales, no
backorders). The replay starts with the stock at the policy's order-up-to level of the first
review and nothing on order.

Policies:

* ``"plan"``: the decisions of :func:`engine.plan_orders` (protection period = lead time +
  ``review_days``, the service level of each item's ABC class, lot sizes).
* ``"classic"``: :func:`engine.replenishment` with the keyword arguments ``classic`` (default:
  ``{"mode": "service"}``, i.e. the analysis pipeline before issue 12: protection = lead time only,
  review period not passed). Its inputs are those the pipeline gives it: the 7-day moving average
  of demand (``avg_daily_demand``), the σ of daily forecast errors implied by the forecast's 95 %
  interval of the 7-day total (``demand_std``, only in ``service`` mode), ``adi``/``cv2`` over the
  last 365 days.

What is refitted, and when. Forecasting every product from scratch at every review
(:func:`engine.forecast_products`: nine methods, a backtest, a gradient-boosting model) costs a
few seconds per 1,000 products, too much for 52 or 365 reviews. The replay therefore:

* **refits** — a full :func:`engine.forecast_products` on the history known that day, exactly as
  :func:`engine.plan_orders` does — on the first review and then on the first review at least
  ``refit_days`` (91) days after the previous refit, except in the last ``refit_days / 2`` days
  of the window (a year of weekly reviews: 4 refits). A refit review's decisions are exactly
  those of :func:`engine.plan_orders`. A refit fixes, until the next one, each item's forecast
  method and the calibrated spread of its protection-period total in units of the item's error
  scale (``(q_P − μ_P) / s``, ``s`` the in-sample MAE of the weekly naive forecast over the 91
  days before, :func:`engine.intervals.error_scale`).
* **updates** at every other review: each item's point forecast by its chosen method at that day
  (:func:`engine.methods.run_methods`, all review days of the window in one pass over the
  history: the same recursions and parameter choice as a refit that day; the gradient-boosting
  model is retrained every 56 days within that pass), and its quantile
  ``μ_P + spread × s`` with the item's scale that day (items without a scale at the refit, no
  sale in its 91 days, keep the refit's spread in units). Items without sales before the refit
  use the 7-day moving average and ``q_P = μ_P + z σ √P`` (σ the RMS deviation of the last 28
  days from it), the forecast :func:`engine.forecast_products` itself gives products with fewer
  than 14 days of history.

With ``refit_days ≤ review_days`` every review is a refit: the exact (slow) replay of
:func:`engine.plan_orders`; ``bench/policy_bench.py`` compares both. ``holidays`` and
``unavailable`` reach the refits only. Only the items' products are forecast (history rows of
other products are ignored). The demand the forecasts learn from is the history itself, lost
sales included: the replay does not censor it.

**Launches.** A product whose first sale in the history falls inside the window had nothing for
a decision to learn from before that sale: the first decision that knows it is the first review
after it, and its order arrives a lead time later. The demand from the window's start until that
first possible arrival (the **launch period**) is demand no reorder policy can serve (it needs a
launch stock bought before the first sale, a buyer's decision outside the policy): it is not
counted in the policy's fill rate, lost units, stock-out days or cycles, and is reported apart
(``launch_demand``, ``launch_lost``). Products sold before the window start it with the stock
of the first review's order-up-to level; a launched product's equivalent is its first possible
receipt. (On the 10,000-product benchmark company, daily decisions over the last 182 days: the
188 class-B products launched in the window, 7 % of the class's demand, vendor lead times up to
47 days, served 65 % of it, nearly all lost before any order could arrive; counted, they took
the class's fill rate to 0.958 at a 95 % target, while its other products reached 0.981.)

Results (:class:`PolicyReplay`), per product and per ABC class (plus ``ALL``): fill rate (units
served / demand, launch periods left out), cycle service level (share of replenishment cycles —
from one receipt to the next, the first starting on the window's first day — without a lost
sale), stock-out days (days with a lost sale), lost units and value (at ``price``, else
``unit_cost``), average on hand at the end of the day (units, value at ``unit_cost``, days of
average demand, launch periods' demand included), orders placed.
"""

import math
import time
from dataclasses import replace
from typing import NamedTuple

import numpy as np
import pandas as pd

from .baseline import baseline_arrays, moving_average_forecast
from .forecasting import SCALE_DAYS, forecast_products
from .history import DemandMatrix, daily_matrix, to_day
from .intervals import error_scale
from .methods import run_methods
from .methods._common import first_sale
from .ordering import (
    DEFAULT_LEAD_TIME,
    INTERMITTENT_LOOKBACK_DAYS,
    OrderItems,
    demand_dispersion,
    forecast_horizon,
    forecast_options,
    plan_levels,
    protection_from_forecast,
)
from .replenishment import (
    ADI_LIMIT,
    check_days,
    check_items,
    demand_statistics,
    item_column,
    order_quantity,
    replenishment,
    z_value,
)

POLICIES = ("plan", "classic")
WINDOW_DAYS = 365
REFIT_DAYS = 91
#: Methods fitted on all products together: run on the whole catalogue in the update pass.
GLOBAL_METHODS = ("gbm",)
#: The classic pipeline's demand spread: the 95 % interval of the first week's total.
CLASSIC_SPREAD_DAYS = 7
CLASSIC_SPREAD_LEVEL = 0.975
CLASSIC_BASELINE_DAYS = 60
YOUNG_METHOD = "moving_average"
#: Outcome columns of both the product and the class tables.
OUTCOME_COLUMNS = [
    "demand",
    "sold",
    "lost_units",
    "lost_value",
    "fill_rate",
    "cycle_service_level",
    "stockout_days",
    "avg_on_hand",
    "avg_on_hand_value",
    "days_of_demand",
    "orders",
]
#: Demand of the launch periods (units) and what of it was lost: outside the outcome columns.
LAUNCH_COLUMNS = ["launch_demand", "launch_lost"]
PRODUCT_COLUMNS = [
    "product_id",
    "abc",
    *OUTCOME_COLUMNS,
    "cycles",
    "ordered_units",
    *LAUNCH_COLUMNS,
]
CLASS_COLUMNS = ["abc", "products", "target", *OUTCOME_COLUMNS, *LAUNCH_COLUMNS]
DECISION_COLUMNS = [
    "date",
    "product_id",
    "position",
    "reorder_point",
    "order_up_to",
    "qty",
    "arrival",
]


class PolicyReplay(NamedTuple):
    """Result of :func:`simulate_policy`: ``products`` (``PRODUCT_COLUMNS``), ``classes``
    (``CLASS_COLUMNS``, one row per ABC class and ``ALL``), ``decisions`` (``DECISION_COLUMNS``,
    one row per review and product: position before ordering, levels, quantity ordered and its
    arrival day, NaT without order) and ``info`` (dict: ``start``, ``end``, ``days``,
    ``reviews``, ``refits``, ``seconds`` per stage)."""

    products: pd.DataFrame
    classes: pd.DataFrame
    decisions: pd.DataFrame
    info: dict


# --- forecasts at every review --------------------------------------------------------------------


class _ReviewForecasts:
    """Protection demand (mean and quantile of each item's P-day total) at every review: refits
    with :func:`engine.forecast_products`, updates in between (see the module docstring)."""

    def __init__(self, history, matrix, origins, refits, method, options, memo=None):
        self.history, self.matrix, self.origins = history, matrix, origins
        self.refits, self.method, self.options = refits, method, options
        # Forecasts do not depend on the service levels: replays that differ only by them
        # share this dict (simulate_policy(memo=...)) and forecast once.
        self.memo = {} if memo is None else memo
        self.insample = np.where(
            np.arange(matrix.qty.shape[1])[None, :] < first_sale(matrix.qty)[:, None],
            np.nan,
            matrix.qty,
        )
        self.seconds = {"refits": 0.0, "updates": 0.0}

    def scale(self, origin):
        """Error scale of each item on the ``SCALE_DAYS`` days before ``origin`` (NaN: none)."""
        return error_scale(self.insample[:, max(origin - SCALE_DAYS, 0) : origin])

    def protection(self, days, levels):
        """``(mean, quantile)`` arrays (reviews x items) of the ``days``-day totals at ``levels``
        (arrays (P,))."""
        n_reviews, n_items = len(self.origins), len(days)
        mean, quantile = np.zeros((n_reviews, n_items)), np.zeros((n_reviews, n_items))
        horizon = forecast_horizon(days)
        ids = self.matrix.product_ids
        governing = np.maximum.accumulate(np.where(self.refits, np.arange(n_reviews), 0))
        chosen = {}
        for r in np.flatnonzero(self.refits):
            started = time.perf_counter()
            as_of = self.matrix.dates[self.origins[r] - 1]
            key = ("refit", as_of, horizon)
            if key not in self.memo:
                self.memo[key] = forecast_products(
                    self.history, horizon, self.method, as_of=as_of, **self.options
                )
            forecast = self.memo[key]
            mean[r], quantile[r], known, methods, _warning = protection_from_forecast(
                forecast, ids, days, levels
            )
            # The spread in units of the item's error scale; in units when it has no scale.
            scale = self.scale(self.origins[r])
            scaled = scale > 0
            with np.errstate(invalid="ignore", divide="ignore"):
                spread = (quantile[r] - mean[r]) / np.where(scaled, scale, 1.0)
            young = ~known
            chosen[r] = (np.where(young, YOUNG_METHOD, methods), spread, scaled, young)
            self.seconds["refits"] += time.perf_counter() - started
        started = time.perf_counter()
        updates = np.flatnonzero(~self.refits)
        if len(updates):
            self._update(updates, governing, chosen, days, levels, horizon, mean, quantile)
        self.seconds["updates"] += time.perf_counter() - started
        return mean, quantile

    def _update(self, updates, governing, chosen, days, levels, horizon, mean, quantile):
        """Fill ``mean``/``quantile`` of the update reviews (see the module docstring)."""
        qty = self.matrix.qty
        names = sorted({name for r in updates for name in chosen[governing[r]][0]})
        for name in names:
            users = np.zeros((len(updates), len(days)), dtype=bool)
            for i, r in enumerate(updates):
                users[i] = chosen[governing[r]][0] == name
            reviews = users.any(axis=1)
            rows = np.flatnonzero(users.any(axis=0))
            if name in GLOBAL_METHODS:
                rows = np.arange(len(days))
            origins = [self.origins[r] for r in updates[reviews]]
            key = ("update", name, tuple(rows), tuple(origins), horizon)
            if key not in self.memo:
                self.memo[key] = run_methods(
                    [name], qty[rows], origins, horizon, self.matrix.dates
                )[name]
            point = self.memo[key]
            sums = _interpolated_sums(np.cumsum(point, axis=2), days[rows])
            for j, i in enumerate(np.flatnonzero(reviews)):
                take = users[i, rows]
                mean[updates[i], rows[take]] = sums[j, take]
        z = np.array([z_value(level) for level in levels])
        for r in updates:
            _names, spread, scaled, young = chosen[governing[r]]
            origin = self.origins[r]
            scale = np.where(scaled, np.nan_to_num(self.scale(origin)), 1.0)
            quantile[r] = mean[r] + spread * scale
            if young.any():
                fit = moving_average_forecast(qty[young, :origin], 1)
                sigma = (fit.upper[:, 0] - fit.point[:, 0]) / 1.96
                quantile[r, young] = mean[r, young] + z[young] * sigma * np.sqrt(days[young])
            quantile[r] = np.maximum(quantile[r], 0.0)


def _interpolated_sums(cumulative, days):
    """Totals of the first ``days`` (P,) days of forecasts whose cumulative sums along the last
    axis are ``cumulative`` (R x P x H); fractional days interpolate, 0 days → 0."""
    low, high = np.floor(days).astype(int), np.ceil(days).astype(int)
    padded = np.concatenate([np.zeros((*cumulative.shape[:2], 1)), cumulative], axis=2)
    rows = np.arange(len(days))
    at_low, at_high = padded[:, rows, low], padded[:, rows, high]
    return at_low + (days - low) * (at_high - at_low)


# --- policies -------------------------------------------------------------------------------------


class _PlanPolicy:
    """Reorder point (= order-up-to level) of :func:`engine.plan_orders` at every review."""

    def __init__(self, forecasts, cleaned, qty, origins):
        days, levels = cleaned.protection, cleaned.service
        self.mean, self.quantile = forecasts.protection(days, levels)
        self.cleaned, self.qty, self.origins = cleaned, qty, origins

    def levels(self, r):
        origin = self.origins[r]
        window = self.qty[:, max(origin - INTERMITTENT_LOOKBACK_DAYS, 0) : origin]
        statistics = _statistics(window)
        adi = statistics["adi"].to_numpy(dtype=np.float64, na_value=np.nan)
        _daily, _safety, reorder = plan_levels(
            self.mean[r],
            self.quantile[r],
            self.cleaned,
            adi > ADI_LIMIT,
            demand_dispersion(statistics),
        )
        return reorder, reorder


class _ClassicPolicy:
    """Reorder point and order-up-to level of :func:`engine.replenishment` at every review, on
    the inputs the analysis pipeline gives it."""

    def __init__(self, forecasts, items, cleaned, qty, origins, options):
        self.items, self.qty, self.origins, self.options = items, qty, origins, options
        self.sigma = None
        if options.get("mode", "days") == "service":
            spread_days = np.full(len(cleaned.product_ids), float(CLASSIC_SPREAD_DAYS))
            level = np.full(len(spread_days), CLASSIC_SPREAD_LEVEL)
            mean, upper = forecasts.protection(spread_days, level)
            self.sigma = np.maximum(upper - mean, 0.0) / (1.96 * math.sqrt(CLASSIC_SPREAD_DAYS))

    def levels(self, r):
        origin = self.origins[r]
        frame = self.items.copy()
        recent = self.qty[:, max(origin - CLASSIC_BASELINE_DAYS, 0) : origin]
        frame["avg_daily_demand"] = baseline_arrays(recent)["daily_demand"]
        frame["stock"] = 0.0
        frame["incoming"] = 0.0
        if self.sigma is not None:
            window = self.qty[:, max(origin - INTERMITTENT_LOOKBACK_DAYS, 0) : origin]
            statistics = _statistics(window)
            frame["demand_std"] = self.sigma[r]
            frame["adi"] = statistics["adi"].to_numpy()
            frame["cv2"] = statistics["cv2"].to_numpy()
        result = replenishment(frame, **self.options)
        return result["reorder_point"].to_numpy(), result["order_up_to"].to_numpy()


def _statistics(window):
    """:func:`engine.demand_statistics` of a P x D window of daily demand."""
    n_items, n_days = window.shape
    dates = pd.date_range("2000-01-01", periods=n_days, freq="D")
    return demand_statistics(DemandMatrix(np.arange(n_items), dates, window))


# --- the replay -----------------------------------------------------------------------------------


def _window(matrix, start):
    """Day indexes ``[first, last]`` of the window in the matrix (default: its last 365 days)."""
    last = len(matrix.dates) - 1
    if start is None:
        return max(last - WINDOW_DAYS + 1, 1), last
    first = int(matrix.dates.get_indexer([pd.Timestamp(to_day(start))])[0])
    if first < 1:
        raise ValueError(
            "start must be a day of the history, after its first day and not after end"
        )
    return first, last


def _check_arguments(items, review_days, policy, refit_days, classic):
    if policy not in POLICIES:
        raise ValueError("policy must be 'plan' or 'classic', got %r" % (policy,))
    if (
        isinstance(review_days, bool)
        or not isinstance(review_days, (int, np.integer))
        or review_days < 1
    ):
        raise ValueError("review_days must be a whole number of days ≥ 1, got %r" % (review_days,))
    check_days(refit_days=refit_days)
    if classic is not None and not isinstance(classic, dict):
        raise ValueError("classic must be a dict of engine.replenishment arguments")
    check_items(items, ("product_id", "lead_time_days"))


def simulate_policy(
    history,
    items,
    start=None,
    end=None,
    review_days=7,
    service_levels=None,
    policy="plan",
    method="auto",
    holidays=None,
    unavailable=None,
    *,
    classic=None,
    refit_days=REFIT_DAYS,
    random_lead_times=False,
    seed=0,
    default_lead_time=DEFAULT_LEAD_TIME,
    memo=None,
):
    """Replay a stock policy on a past window of ``history`` (see the module docstring).

    Args:
        history: sales history ``product_id, date, qty[, amount]``; its quantities are the
            demand of the window, and what the decisions learn from (up to the day before each).
        items: DataFrame, one row per product: ``product_id``, ``lead_time_days``; optional
            ``lead_time_std``, ``abc``, ``min_qty``, ``multiple``, ``rounding`` (as in
            :func:`engine.plan_orders`), ``unit_cost`` (value of stock), ``price`` (value of a
            lost sale; default ``unit_cost``). A ``stock`` column is ignored.
        start, end: first and last day of the window (default: ``end`` the last day of the
            history, ``start`` 364 days before; ``start`` must come after the history's first
            day).
        review_days: days between two reviews (whole number ≥ 1; 1 = daily decisions).
        service_levels: dict ABC class → probability (default A 98 %, B 95 %, C 90 %).
        policy: ``"plan"`` (:func:`engine.plan_orders`) or ``"classic"``
            (:func:`engine.replenishment`).
        method: forecast method of the refits (``"auto"``).
        holidays, unavailable: passed to the refits' :func:`engine.forecast_products`.
        classic: keyword arguments of :func:`engine.replenishment` for ``policy="classic"``
            (default ``{"mode": "service"}``: the pipeline before issue 12).
        refit_days: days between two full forecasts (default 91; ≤ ``review_days``: every
            review).
        random_lead_times: draw each order's lead time (normal, σ ``lead_time_std``).
        seed: seed of the lead-time draws.
        default_lead_time: lead time of items without one.
        memo: a dict shared by replays that differ only by ``service_levels`` (same history,
            items, window, reviews and method): the forecasts of the reviews are made by the
            first and reused by the others (``engine.policy_curve``: one replay per level).

    Returns:
        :class:`PolicyReplay` (``products``, ``classes``, ``info``).

    Raises:
        ValueError: unknown policy, review_days not a whole number ≥ 1, negative refit_days, a
            window outside the history, bad items or service levels (as :func:`plan_orders`).
    """
    _check_arguments(items, review_days, policy, refit_days, classic)
    options = forecast_options(holidays, unavailable)
    frame = items.copy()
    frame["stock"] = 0.0
    cleaned = OrderItems.from_frame(frame, review_days, service_levels, default_lead_time)
    ids = cleaned.product_ids
    if isinstance(history, pd.DataFrame) and "product_id" in history.columns:
        history = history[history["product_id"].isin(ids)]
    matrix = daily_matrix(history, as_of=end, product_ids=ids)
    if not len(matrix.dates):
        raise ValueError("the history has no day to replay")
    first, last = _window(matrix, start)
    # Row of each item in the matrix (sorted ids) → work in the items' order.
    order = np.searchsorted(matrix.product_ids, ids)
    matrix = replace(matrix, product_ids=ids, qty=matrix.qty[order], revenue=None)
    origins = list(range(first, last + 1, review_days))
    refits = _refit_reviews(origins, review_days, refit_days, last)
    forecasts = _ReviewForecasts(history, matrix, origins, refits, method, options, memo)
    if policy == "plan":
        decide = _PlanPolicy(forecasts, cleaned, matrix.qty, origins)
    else:
        classic_frame = items[["product_id"]].copy()
        classic_frame["lead_time_days"] = cleaned.lead
        classic_frame["lead_time_std"] = cleaned.lead_std
        if "abc" in items.columns:
            classic_frame["abc"] = items["abc"].to_numpy()
        arguments = {"mode": "service", "service_levels": service_levels, **(classic or {})}
        decide = _ClassicPolicy(forecasts, classic_frame, cleaned, matrix.qty, origins, arguments)
    started = time.perf_counter()
    rng = np.random.default_rng(seed)
    measured_from = launch_ends(first_sale(matrix.qty), origins, cleaned.lead) - first
    stats, log = _simulate(
        matrix.qty[:, first : last + 1],
        origins,
        first,
        decide,
        cleaned,
        (rng, random_lead_times),
        measured_from,
    )
    decisions = _decision_table(log, matrix.dates, origins, first, ids)
    simulate_seconds = time.perf_counter() - started
    products = _product_table(items, cleaned, stats, last - first + 1)
    info = {
        "start": matrix.dates[first],
        "end": matrix.dates[last],
        "days": last - first + 1,
        "reviews": len(origins),
        "refits": int(refits.sum()),
        "seconds": {**forecasts.seconds, "simulation": simulate_seconds},
    }
    classes = _class_table(products, cleaned, info["days"])
    return PolicyReplay(products, classes, decisions, info)


def _refit_reviews(origins, review_days, refit_days, last):
    """Which reviews refit (bool array): the first, then the first one at least ``refit_days``
    after the previous refit, unless it is in the last ``refit_days / 2`` days of the window
    (every review when ``refit_days ≤ review_days``)."""
    refits = np.zeros(len(origins), dtype=bool)
    last_refit = None
    for r, origin in enumerate(origins):
        due = last_refit is None or origin - last_refit >= refit_days
        late = refit_days > review_days and last - origin < refit_days / 2
        if due and not (late and last_refit is not None):
            refits[r], last_refit = True, origin
    return refits


def launch_ends(first_sales, origins, lead):
    """Day index (in the history) from which each item's outcome is measured: its first possible
    receipt, ``o + ⌈L⌉`` with ``o`` the first review knowing its first sale (``o > f``, the
    decision of review ``o`` reads the days before ``o``), for items whose first sale ``f`` is at
    or after the first review; the first review for the others (and ``o`` past the last review
    + 1 plus the lead time when no review knows the first sale: never measured).

    Args:
        first_sales: array (N,) of the items' first-sale day indexes (``D`` when none).
        origins: sorted day indexes of the reviews.
        lead: array (N,) of lead times (days).
    """
    origins = np.asarray(origins)
    first_review = origins[0]
    delay = np.ceil(lead - 1e-9).astype(int)
    knowing = np.searchsorted(origins, first_sales, side="right")
    after_last = origins[-1] + (origins[1] - origins[0] if len(origins) > 1 else 1)
    informed = np.where(
        knowing < len(origins), origins[np.minimum(knowing, len(origins) - 1)], after_last
    )
    return np.where(first_sales >= first_review, informed + delay, first_review)


def _simulate(demand, origins, first, decide, cleaned, draws, measured_from):
    """Day-by-day simulation of all items at once; returns a dict of per-item arrays.

    ``draws``: ``(rng, random_lead_times)``; ``measured_from``: array (N,) of the first day
    (index in ``demand``) counted in each item's outcome (:func:`launch_ends`); the demand of the
    days before goes to ``launch_demand``/``launch_lost``."""
    rng, random_lead_times = draws
    n_items, n_days = demand.shape
    lead = np.ceil(cleaned.lead - 1e-9).astype(int)
    longest = int(lead.max() + 6 * cleaned.lead_std.max() + 2) if n_items else 1
    arrivals = np.zeros((n_items, n_days + longest + 1))
    on_hand = np.zeros(n_items)
    on_order = np.zeros(n_items)
    review_at = {origin - first: r for r, origin in enumerate(origins)}
    names = (
        "sold",
        "lost",
        "stockout_days",
        "on_hand",
        "orders",
        "ordered",
        "cycles",
        "bad_cycles",
        "launch_demand",
        "launch_lost",
    )
    stats = {name: np.zeros(n_items) for name in names}
    shape = (len(origins), n_items)
    log = {name: np.zeros(shape) for name in ("position", "reorder_point", "order_up_to", "qty")}
    log["arrival"] = np.full(shape, -1)
    cycle_loss = np.zeros(n_items, dtype=bool)
    lots = cleaned.lots()
    for day in range(n_days):
        received = arrivals[:, day]
        arrived = received > 0
        if arrived.any():
            on_hand += received
            on_order -= received
            # A receipt closes a cycle; the one closed by a launched item's first possible
            # receipt began before its outcome is measured.
            closing = arrived & (day > measured_from)
            stats["cycles"] += closing
            stats["bad_cycles"] += closing & cycle_loss
            cycle_loss &= ~arrived
        r = review_at.get(day)
        if r is not None:
            reorder, up_to = decide.levels(r)
            if r == 0:
                on_hand = up_to.copy()
            position = on_hand + on_order
            qty = order_quantity(np.where(position < reorder, up_to - position, 0.0), *lots)
            ordered = qty > 0
            if ordered.any():
                delay = lead
                if random_lead_times:
                    drawn = rng.normal(cleaned.lead, cleaned.lead_std)
                    drawn = np.clip(np.rint(drawn), 0, longest).astype(int)
                    delay = np.where(cleaned.lead_std > 0, drawn, lead)
                rows = np.flatnonzero(ordered)
                arrive = day + delay[rows]
                now = arrive == day
                on_hand[rows[now]] += qty[rows[now]]
                np.add.at(arrivals, (rows[~now], arrive[~now]), qty[rows[~now]])
                on_order[rows[~now]] += qty[rows[~now]]
                stats["orders"] += ordered
                stats["ordered"] += qty
                log["arrival"][r, rows] = arrive
            log["position"][r], log["qty"][r] = position, qty
            log["reorder_point"][r], log["order_up_to"][r] = reorder, up_to
        sold = np.minimum(on_hand, demand[:, day])
        lost = demand[:, day] - sold
        on_hand -= sold
        measured = day >= measured_from
        stats["sold"] += np.where(measured, sold, 0.0)
        stats["lost"] += np.where(measured, lost, 0.0)
        stats["launch_demand"] += np.where(measured, 0.0, demand[:, day])
        stats["launch_lost"] += np.where(measured, 0.0, lost)
        short = measured & (lost > 1e-9)
        stats["stockout_days"] += short
        cycle_loss |= short
        stats["on_hand"] += on_hand
    ended = measured_from < n_days
    stats["cycles"] += ended
    stats["bad_cycles"] += cycle_loss & ended
    stats["demand"] = demand.sum(axis=1) - stats["launch_demand"]
    return stats, log


def _decision_table(log, dates, origins, first, product_ids):
    """``decisions`` of :class:`PolicyReplay` from the review log of :func:`_simulate`."""
    n_reviews, n_items = log["qty"].shape
    arrival = log["arrival"].ravel()
    arrival_dates = pd.Series(dates[first] + pd.to_timedelta(arrival, unit="D")).where(arrival >= 0)
    return pd.DataFrame(
        {
            "date": np.repeat(dates[origins], n_items),
            "product_id": np.tile(product_ids, n_reviews),
            "position": log["position"].ravel(),
            "reorder_point": log["reorder_point"].ravel(),
            "order_up_to": log["order_up_to"].ravel(),
            "qty": log["qty"].ravel(),
            "arrival": arrival_dates.to_numpy(),
        },
        columns=DECISION_COLUMNS,
    )


def _product_table(items, cleaned, stats, n_days):
    cost = item_column(items, "unit_cost")
    price = item_column(items, "price")
    price = np.where(np.isnan(price), cost, price)
    demand = stats["demand"]
    every_day = demand + stats["launch_demand"]
    avg_on_hand = stats["on_hand"] / n_days
    with np.errstate(invalid="ignore", divide="ignore"):
        fill = np.where(demand > 0, stats["sold"] / demand, np.nan)
        days_of_demand = np.where(every_day > 0, avg_on_hand / (every_day / n_days), np.nan)
    return pd.DataFrame(
        {
            "product_id": cleaned.product_ids,
            "abc": _classes(items),
            "demand": demand,
            "sold": stats["sold"],
            "lost_units": stats["lost"],
            "lost_value": stats["lost"] * price,
            "fill_rate": fill,
            "cycles": stats["cycles"].astype(int),
            "cycle_service_level": np.where(
                stats["cycles"] > 0,
                1.0 - stats["bad_cycles"] / np.maximum(stats["cycles"], 1),
                np.nan,
            ),
            "stockout_days": stats["stockout_days"].astype(int),
            "avg_on_hand": avg_on_hand,
            "avg_on_hand_value": avg_on_hand * cost,
            "days_of_demand": days_of_demand,
            "orders": stats["orders"].astype(int),
            "ordered_units": stats["ordered"],
            "launch_demand": stats["launch_demand"],
            "launch_lost": stats["launch_lost"],
        },
        columns=PRODUCT_COLUMNS,
    )


def _classes(items):
    if "abc" not in items.columns:
        return np.full(len(items), "", dtype=object)
    classes = items["abc"].astype(object).where(items["abc"].notna(), "").astype(str)
    return classes.str.upper().to_numpy(dtype=object)


def _class_table(products, cleaned, n_days):
    """Totals per ABC class and ``ALL`` (see ``CLASS_COLUMNS``)."""
    rows = []
    target = pd.Series(cleaned.service, index=products.index)
    groups = [(label, products["abc"] == label) for label in sorted(products["abc"].unique())]
    groups.append(("ALL", np.ones(len(products), dtype=bool)))
    for label, members in groups:
        part = products[members]
        demand, cycles = part["demand"].sum(), part["cycles"].sum()
        bad_cycles = (part["cycles"] * (1.0 - part["cycle_service_level"].fillna(1.0))).sum()
        on_hand = part["avg_on_hand"].sum()
        every_day = demand + part["launch_demand"].sum()
        rows.append(
            {
                "abc": label,
                "products": len(part),
                "target": target[members].mean() if label != "ALL" else np.nan,
                "demand": demand,
                "sold": part["sold"].sum(),
                "lost_units": part["lost_units"].sum(),
                "lost_value": part["lost_value"].sum(min_count=1),
                "fill_rate": part["sold"].sum() / demand if demand > 0 else np.nan,
                "cycle_service_level": 1.0 - bad_cycles / cycles if cycles else np.nan,
                "stockout_days": int(part["stockout_days"].sum()),
                "avg_on_hand": on_hand,
                "avg_on_hand_value": part["avg_on_hand_value"].sum(min_count=1),
                "days_of_demand": on_hand / (every_day / n_days) if every_day > 0 else np.nan,
                "orders": int(part["orders"].sum()),
                "launch_demand": part["launch_demand"].sum(),
                "launch_lost": part["launch_lost"].sum(),
            }
        )
    return pd.DataFrame(rows, columns=CLASS_COLUMNS)
