"""Orders a buyer can place, from the engine's own forecast of the protection period (issue 12).

:func:`plan_orders` is the one entry point from history to suggested orders. Per item:

* **Protection period** ``P = L + R`` days: ``L`` the lead time, ``R`` the review period (days
  until the next decision; 0 = decisions taken continuously). What is decided now must cover the
  demand until the next order can arrive, ``R + L`` days away.
* **Protection demand** ``μ_P`` (``protection_demand``): the sum of the first P daily forecasts of
  :func:`engine.forecast_products`; its **quantile** ``q_P`` at the item's service level ``α``
  (``protection_upper``): the calibrated distribution of that P-day sum
  (:meth:`engine.ForecastResult.total_quantile`: the backtest errors of the chosen method, summed
  over P days, scaled and pooled per method). A fractional P interpolates linearly between
  ``⌊P⌋`` and ``⌈P⌉`` days (0 days → 0). One forecast serves all items; its horizon is the longest
  P, at least 7 days (the shortest horizon the forecast backtests, so that it chooses methods and
  calibrates its intervals).
* **Safety stock**, lead-time variability included (``σ_L`` = ``lead_time_std`` days): with
  ``SS_D = q_P − μ_P``, ``μ_D = μ_P / P`` (``avg_daily_demand``) and ``z = Φ⁻¹(α)``::

      SS = sqrt(max(SS_D, 0)² + z² · μ_D² · σ_L²) + min(SS_D, 0)

  For normally distributed demand ``q_P = μ_P + z σ_D √P`` and this is the textbook
  ``z · sqrt(P σ_D² + μ_D² σ_L²)``; with ``σ_L = 0`` the reorder point is the calibrated
  quantile itself.
* **Reorder point = order-up-to level** ``S = max(μ_P + SS, 0)``: an (R, S) policy; at a decision,
  an item whose position is below S is ordered up to S (an order covers the demand since the last
  one, and the stock carried is the safety stock plus half a review period of demand).
* **Intermittent and lumpy items** (average inter-demand interval ADI > 1.32 over the last
  ``lookback_days``): the service level is a **fill rate** (share of demand served), not the
  chance of no stock-out in a cycle, which rare big orders make far apart. ``S`` is the smallest
  level whose expected units short per review cycle are at most ``1 − α`` of the cycle's
  demand, the protection total taken as a gamma variable with the calibrated quantile ``μ_P +
  SS`` and the scale (size of an order) of the item's daily demand (:func:`fill_rate_level`),
  rounded up to the next whole unit.
* **Position** = ``stock`` (+ ``incoming`` when given); ``suggested_qty`` =
  :func:`engine.replenishment.order_quantity` of ``S − position`` when the position is below the
  reorder point (minimum, multiple, rounding); ``days_of_coverage = position / μ_D``.
* **Excess**: ``excess_qty = position − S − margin`` when positive (else 0), with
  ``margin = μ_D × excess_days + max(min_qty, multiple)``: more than ``excess_days`` (30) days
  of demand and one minimum order above the order-up-to level. Without demand the margin is one
  minimum order, so dead stock is excess.
* **Urgency**: ``ORDER_NOW`` (position below the reorder point), else ``EXCESS``, else ``WATCH``
  (coverage ≤ ``watch_days``), else ``OK`` (:func:`engine.replenishment.urgencies`).

Fallbacks, said in ``warning`` (with the forecast's own warning): no lead time (NaN, negative,
absent) → ``default_lead_time``; no stock → 0; negative stock is kept (a backorder: it raises the
order); an item without sales history gets a reorder point of 0; a negative ``lead_time_std``,
``review_days`` or lot size is ignored; a protection period over the forecast's longest horizon
(730 days) is cut to it.
"""

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.special import gammainc, gammaincc

from .forecasting import MAX_HORIZON_DAYS, MIN_BACKTEST_HORIZON, forecast_products
from .history import daily_matrix
from .replenishment import (
    ADI_LIMIT,
    WATCH_DAYS,
    Notes,
    check_days,
    check_items,
    coverage_days,
    demand_statistics,
    item_column,
    lead_times,
    lot_sizes,
    order_quantity,
    service_levels_of,
    stock_figures,
    urgencies,
)

DEFAULT_LEAD_TIME = 7
EXCESS_DAYS = 30
#: Days of history whose inter-demand interval classifies an item as intermittent.
INTERMITTENT_LOOKBACK_DAYS = 365
_WHOLE_UNIT_TOLERANCE = 1e-9
#: Bisection steps of the fill-rate order-up-to level (precision: its bracket / 2⁴⁰).
_FILL_RATE_STEPS = 40
PLAN_COLUMNS = [
    "product_id",
    "lead_time_days",
    "lead_time_std",
    "review_days",
    "protection_days",
    "service_level",
    "avg_daily_demand",
    "protection_demand",
    "protection_upper",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "position",
    "suggested_qty",
    "days_of_coverage",
    "excess_qty",
    "urgency",
    "policy",
    "method",
    "warning",
]
NO_HISTORY_WARNING = "no forecast (no sales history): nothing to protect, reorder point 0"


@dataclass
class OrderItems:
    """Items of :func:`plan_orders` cleaned into arrays (N,), with their warnings."""

    product_ids: np.ndarray
    position: np.ndarray
    lead: np.ndarray
    lead_std: np.ndarray
    review: np.ndarray
    protection: np.ndarray
    service: np.ndarray
    z: np.ndarray
    min_qty: np.ndarray
    multiple: np.ndarray
    rounding: np.ndarray
    notes: Notes

    @classmethod
    def from_frame(cls, items, review_days, service_levels, default_lead_time):
        """Validate and clean ``items`` (see :func:`plan_orders`). Raises ValueError."""
        check_items(items, ("product_id", "stock", "lead_time_days"))
        product_ids = pd.to_numeric(items["product_id"], errors="coerce")
        if product_ids.isna().any() or (product_ids != np.floor(product_ids)).any():
            raise ValueError("items.product_id must hold integer product ids")
        if product_ids.duplicated().any():
            raise ValueError("items has the same product_id more than once")
        service, z = service_levels_of(items, service_levels)
        notes = Notes(len(items))
        lead = lead_times(items, default_lead_time, notes)
        stock, position = stock_figures(items, notes)
        notes.flag(stock < 0, "negative stock counted as a backorder")
        lead_std = item_column(items, "lead_time_std", 0.0)
        notes.flag(lead_std < 0, "negative lead_time_std ignored")
        lead_std = np.where(np.isnan(lead_std) | (lead_std < 0), 0.0, lead_std)
        review = item_column(items, "review_days")
        notes.flag(review < 0, "negative review_days: %g used" % review_days)
        review = np.where(np.isnan(review) | (review < 0), float(review_days), review)
        protection = lead + review
        too_long = protection > MAX_HORIZON_DAYS
        notes.flag(too_long, "protection period cut to %d days" % MAX_HORIZON_DAYS)
        protection = np.minimum(protection, MAX_HORIZON_DAYS)
        min_qty, multiple, rounding = lot_sizes(items, notes)
        return cls(
            product_ids.to_numpy(dtype=np.int64),
            position,
            lead,
            lead_std,
            review,
            protection,
            service,
            z,
            min_qty,
            multiple,
            rounding,
            notes,
        )

    def lots(self):
        """``(min_qty, multiple, rounding)`` for :func:`engine.replenishment.order_quantity`."""
        return self.min_qty, self.multiple, self.rounding


def forecast_horizon(protection):
    """Horizon of the forecast behind protection periods (array of days): the longest one, and
    at least the shortest horizon :func:`engine.forecast_products` backtests (7 days)."""
    return max(MIN_BACKTEST_HORIZON, math.ceil(protection.max()) if len(protection) else 1)


def forecast_options(holidays=None, unavailable=None):
    """Keyword arguments for :func:`engine.forecast_products`: the given ones (not None)."""
    return {
        name: value
        for name, value in (("holidays", holidays), ("unavailable", unavailable))
        if value is not None
    }


def protection_from_forecast(forecast, product_ids, days, levels):
    """Protection demand of the items from :class:`engine.ForecastResult` (one, or a list of
    them for products forecast in batches; a product in several takes the last).

    Args:
        forecast: result(s) of :func:`engine.forecast_products` with a horizon ≥ ``ceil(days)``.
        product_ids, days, levels: arrays (N,): items, protection periods (days ≥ 0, may be
            fractional) and service levels.

    Returns:
        ``(mean, quantile, known, method, warning)`` arrays (N,): the forecast's P-day total and
        its quantile at the level (fractional days interpolated, 0 days → 0), whether the item
        has a forecast (False → mean and quantile 0), the forecast method and warning.

    Raises:
        ValueError: a protection period longer than the forecast's horizon.
    """
    size = len(product_ids)
    mean, quantile = np.zeros(size), np.zeros(size)
    method = np.full(size, "", dtype=object)
    warning = np.full(size, "", dtype=object)
    known = np.zeros(size, dtype=bool)
    # A ForecastResult is itself a (named) tuple.
    for result in [forecast] if hasattr(forecast, "summary") else forecast:
        _fill_protection(
            result, product_ids, days, levels, (mean, quantile, known, method, warning)
        )
    return mean, quantile, known, method, warning


def _fill_protection(forecast, product_ids, days, levels, arrays):
    """Fill ``arrays`` (mean, quantile, known, method, warning) for the items in ``forecast``."""
    mean, quantile, known_items, method, warning = arrays
    summary = forecast.summary
    ids = summary["product_id"].to_numpy(dtype=np.int64)
    where = pd.Index(ids).get_indexer(product_ids)
    known = where >= 0
    if not known.any():
        return
    known_items |= known
    rows = where[known]
    method[known] = summary["method"].to_numpy(dtype=object)[rows]
    warning[known] = summary["warning"].fillna("").to_numpy(dtype=object)[rows]
    low, high = np.floor(days[known]), np.ceil(days[known])

    def totals(length):
        """(total, quantile) of ``length`` days (array of whole days ≥ 0) for the known items."""
        per_product = np.ones(len(ids))
        per_product[rows] = np.maximum(length, 1)
        level = np.full(len(ids), 0.5)
        level[rows] = levels[known]
        table = forecast.total_quantile(per_product, level)
        zero = length == 0
        return (
            np.where(zero, 0.0, table["total"].to_numpy(dtype=np.float64)[rows]),
            np.where(zero, 0.0, table["quantile"].to_numpy(dtype=np.float64)[rows]),
        )

    total_high, quantile_high = totals(high)
    fraction = days[known] - low
    if (fraction > 0).any():
        total_low, quantile_low = totals(low)
        total_high = total_low + fraction * (total_high - total_low)
        quantile_high = quantile_low + fraction * (quantile_high - quantile_low)
    mean[known], quantile[known] = total_high, quantile_high


def intermittency(
    history, product_ids, as_of=None, unavailable=None, lookback_days=INTERMITTENT_LOOKBACK_DAYS
):
    """``(intermittent, dispersion)`` arrays of the items (array of product ids) over the last
    ``lookback_days`` up to ``as_of``, the ``unavailable`` (stock-out) days left out: whether the
    average inter-demand interval is above 1.32 days (intermittent or lumpy demand) and the
    dispersion of daily demand (:func:`demand_dispersion`)."""
    matrix = daily_matrix(
        history,
        as_of=as_of,
        lookback_days=lookback_days,
        product_ids=product_ids,
        unavailable=unavailable,
    )
    statistics = demand_statistics(matrix).set_index("product_id").reindex(product_ids)
    adi = statistics["adi"].to_numpy(dtype=np.float64, na_value=np.nan)
    return adi > ADI_LIMIT, demand_dispersion(statistics)


def demand_dispersion(statistics):
    """Variance-to-mean ratio ``σ_d² / μ_d`` of daily demand (units; 0 without sales) from
    :func:`engine.replenishment.demand_statistics` rows: the scale of the demand's gamma
    process, about the mean order size squared over the mean order size for lumpy demand."""
    mean = statistics["avg_daily_demand"].to_numpy(dtype=np.float64, na_value=np.nan)
    std = statistics["demand_std"].to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.nan_to_num(np.where(mean > 0, std**2 / mean, 0.0))


def expected_shortage(level, shape, scale):
    """``E[(X − level)⁺]`` for ``X ~ Gamma(shape, scale)`` (arrays; ``shape`` 0 → X = 0)::

        E[(X − S)⁺] = k θ Q(k + 1, S/θ) − S Q(k, S/θ)

    ``Q`` the regularized upper incomplete gamma function."""
    with np.errstate(divide="ignore", invalid="ignore"):
        x = np.maximum(level, 0.0) / np.where(scale > 0, scale, 1.0)
        value = shape * scale * gammaincc(shape + 1.0, x) - level * gammaincc(
            np.maximum(shape, 1e-300), x
        )
    return np.where((shape > 0) & (scale > 0), np.maximum(value, 0.0), np.maximum(-level, 0.0))


def gamma_shape(quantile, level, scale):
    """Shape ``k`` of the gamma variable of scale ``scale`` whose ``level``-quantile is
    ``quantile`` (arrays; the quantile grows with k at a fixed scale: bisection on
    ``P(k, quantile/θ) = level`` in log k, ``P`` the regularized lower incomplete gamma)."""
    x = quantile / scale
    low, high = np.full(len(x), -30.0), np.log(np.maximum(x, 1.0)) + np.log(50.0)
    for _step in range(_FILL_RATE_STEPS):
        middle = (low + high) / 2.0
        # P(k, x) falls as k grows: above the level, the shape is still too small.
        small = gammainc(np.exp(middle), x) > level
        low, high = np.where(small, middle, low), np.where(small, high, middle)
    return np.exp((low + high) / 2.0)


def fill_rate_level(quantile, level, scale, protection, review, fill):
    """Smallest order-up-to level S of an (R, S) policy whose expected units short per review
    cycle are at most ``1 − fill`` of the cycle's expected demand (arrays (N,)).

    The protection-period total ``D_P`` (``P`` = ``protection`` days) is a gamma variable of
    scale ``θ`` = ``scale`` (the demand's dispersion, :func:`demand_dispersion`: the size of
    its orders) whose ``level``-quantile is the forecast's calibrated ``quantile``
    (:func:`gamma_shape`): the calibrated cycle service, with the tail of rare big orders.
    A cycle is ``c = min(max(R, 1), P)`` days (``R`` = ``review``; daily decisions when
    ``R`` = 0); its shortage is that of the protection period minus what was already short at
    its start, the first ``P − c`` days (``Gamma(k (P − c)/P, θ)``)::

        ESC(S) = E[(D_P − S)⁺] − E[(D_{P−c} − S)⁺] ≤ (1 − fill) · k θ · c / P

    ESC falls with S from ``k θ c / P`` at S = 0; S is found by bisection. Items without a
    positive quantile, scale or period keep the quantile.
    """
    random = (quantile > 0) & (scale > 0) & (protection > 0)
    scale = np.where(random, scale, 1.0)
    shape = np.where(random, gamma_shape(np.where(random, quantile, 1.0), level, scale), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cycle = np.minimum(np.maximum(review, 1.0), protection)
        before = np.where(random, np.maximum(protection - cycle, 0.0) / protection, 0.0)
        allowed = (1.0 - fill) * shape * scale * np.where(random, cycle / protection, 0.0)

    def cycle_shortage(level):
        return expected_shortage(level, shape, scale) - expected_shortage(
            level, shape * before, scale
        )

    low, high = np.zeros(len(quantile)), np.where(random, quantile, 0.0)
    while (too_low := random & (cycle_shortage(high) > allowed)).any():
        high = np.where(too_low, 2.0 * high, high)
    for _step in range(_FILL_RATE_STEPS):
        middle = (low + high) / 2.0
        enough = cycle_shortage(middle) <= allowed
        low, high = np.where(enough, low, middle), np.where(enough, middle, high)
    return np.where(random, high, quantile)


def plan_levels(mean, quantile, cleaned, intermittent, dispersion):
    """``(avg_daily_demand, safety_stock, reorder_point)`` arrays from the protection demand (see
    the module docstring) of the items ``cleaned`` (:class:`OrderItems`); the reorder point is
    also the order-up-to level."""
    protection, z = cleaned.protection, cleaned.z
    with np.errstate(divide="ignore", invalid="ignore"):
        daily = np.where(protection > 0, mean / np.where(protection > 0, protection, 1.0), 0.0)
    demand_safety = quantile - mean
    lead_part = z * daily * cleaned.lead_std
    safety = np.sqrt(np.maximum(demand_safety, 0.0) ** 2 + lead_part**2) + np.minimum(
        demand_safety, 0.0
    )
    reorder = mean + safety
    if intermittent.any():
        fill = fill_rate_level(
            reorder, cleaned.service, dispersion, protection, cleaned.review, cleaned.service
        )
        reorder = np.where(intermittent, np.ceil(fill - _WHOLE_UNIT_TOLERANCE), reorder)
    reorder = np.maximum(reorder, 0.0)
    return daily, reorder - mean, reorder


def excess_quantity(position, order_up_to, daily_demand, min_qty, multiple, excess_days):
    """Quantity above ``order_up_to + daily_demand × excess_days + max(min_qty, multiple)``
    (0 when not above)."""
    margin = daily_demand * excess_days + np.maximum(min_qty, multiple)
    return np.maximum(position - order_up_to - margin, 0.0)


def plan_orders(
    history,
    items,
    as_of=None,
    review_days=0,
    service_levels=None,
    holidays=None,
    unavailable=None,
    method="auto",
    *,
    forecast=None,
    default_lead_time=DEFAULT_LEAD_TIME,
    watch_days=WATCH_DAYS,
    excess_days=EXCESS_DAYS,
):
    """Reorder point, order-up-to level and the quantity to order now, per item, from the
    forecast of each item's protection period (see the module docstring for every formula).

    Args:
        history: sales history ``product_id, date, qty[, amount]`` (:func:`engine.daily_matrix`).
        items: DataFrame, one row per product: ``product_id``, ``stock`` (the inventory position:
            on hand + incoming + draft RFQs; an optional ``incoming`` column is added to it),
            ``lead_time_days``; optional ``lead_time_std`` (days), ``abc`` (class of the service
            level), ``review_days`` (per item, e.g. per vendor; NaN → the argument), lot sizes
            ``min_qty``, ``multiple``, ``rounding`` in the product's unit
            (:func:`engine.replenishment.order_quantity`).
        as_of: last day of history used (default: the last date in ``history``).
        review_days: days between two decisions (default 0: decided continuously).
        service_levels: dict ABC class → probability, default ``{"A": .98, "B": .95, "C": .90}``;
            items without a known class use 0.95.
        holidays, unavailable: passed on to :func:`engine.forecast_products` when given
            (holidays: dates; unavailable: DataFrame ``product_id, date`` of stock-out days,
            also left out of the intermittency figure ADI).
        method: forecast method (``"auto"`` or one of ``engine.forecasting.METHOD_NAMES``).
        forecast: optional :class:`engine.ForecastResult` of this history and ``as_of`` (or a
            list of them, e.g. the batches of the analysis pipeline's forecast step) reused
            instead of forecasting again (``method``, ``holidays``, ``unavailable`` are then not
            used); its horizon must cover the longest protection period. Items it does not
            forecast get a reorder point of 0 (said in ``warning``).
        default_lead_time: lead time of items without one (days, default 7).
        watch_days: coverage (days) up to which an item not to order now is ``WATCH`` (14).
        excess_days: days of demand above the order-up-to level before stock is ``EXCESS`` (30).

    Returns:
        DataFrame (``PLAN_COLUMNS``), one row per item in input order: ``product_id,
        lead_time_days, lead_time_std, review_days, protection_days, service_level,
        avg_daily_demand, protection_demand, protection_upper, safety_stock, reorder_point,
        order_up_to, position, suggested_qty, days_of_coverage`` (inf without demand),
        ``excess_qty, urgency`` (``ORDER_NOW``/``EXCESS``/``WATCH``/``OK``), ``policy``
        (``forecast``, or ``intermittent`` for an integer quantile), ``method`` (forecast
        method, "" without history), ``warning``.

    Raises:
        ValueError: ``items`` not a DataFrame or without ``product_id``, ``stock``,
            ``lead_time_days``, duplicated or non-integer product ids; negative
            ``review_days``/``default_lead_time``/``watch_days``/``excess_days``; a service level
            outside (0, 1); an unknown forecast method; a malformed history, ``holidays`` or
            ``unavailable``; a protection period beyond a given ``forecast``'s horizon.
    """
    check_days(
        review_days=review_days,
        default_lead_time=default_lead_time,
        watch_days=watch_days,
        excess_days=excess_days,
    )
    options = forecast_options(holidays, unavailable)
    cleaned = OrderItems.from_frame(items, review_days, service_levels, default_lead_time)
    ids = cleaned.product_ids
    if not len(ids):
        return pd.DataFrame(columns=PLAN_COLUMNS)
    if forecast is None:
        forecast = forecast_products(
            history,
            horizon_days=forecast_horizon(cleaned.protection),
            method=method,
            as_of=as_of,
            **options,
        )
    mean, quantile, known, methods, forecast_warning = protection_from_forecast(
        forecast, ids, cleaned.protection, cleaned.service
    )
    cleaned.notes.flag(~known, NO_HISTORY_WARNING)
    cleaned.notes.add(forecast_warning)
    intermittent, dispersion = intermittency(history, ids, as_of, unavailable)
    daily, safety, reorder = plan_levels(mean, quantile, cleaned, intermittent & known, dispersion)
    position = cleaned.position
    below = position < reorder
    suggested = order_quantity(np.where(below, reorder - position, 0.0), *cleaned.lots())
    coverage = coverage_days(position, daily)
    excess = excess_quantity(
        position, reorder, daily, cleaned.min_qty, cleaned.multiple, excess_days
    )
    return pd.DataFrame(
        {
            "product_id": ids,
            "lead_time_days": cleaned.lead,
            "lead_time_std": cleaned.lead_std,
            "review_days": cleaned.review,
            "protection_days": cleaned.protection,
            "service_level": cleaned.service,
            "avg_daily_demand": daily,
            "protection_demand": mean,
            "protection_upper": quantile,
            "safety_stock": safety,
            "reorder_point": reorder,
            "order_up_to": reorder,
            "position": position,
            "suggested_qty": suggested,
            "days_of_coverage": coverage,
            "excess_qty": excess,
            "urgency": urgencies(below, suggested, coverage, watch_days, excess),
            "policy": np.where(intermittent, "intermittent", "forecast").astype(object),
            "method": methods,
            "warning": cleaned.notes.texts(),
        },
        columns=PLAN_COLUMNS,
    )
