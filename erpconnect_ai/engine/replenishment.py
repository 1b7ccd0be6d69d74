"""Reorder points, safety stock, order-up-to levels and urgency (issue 3, item 3).

Two policies, chosen by ``mode``:

``"days"`` (classic, days of cover)::

    safety_stock  = d · safety_days
    reorder_point = d · L + safety_stock                   (d avg daily demand, L lead time days)

``"service"`` (service level per ABC class, A 98 %, B 95 %, C 90 %, z = Φ⁻¹(service))::

    safety_stock  = z · sqrt(L · σ_D² + d² · σ_L²)    (σ_D ``demand_std``, σ_L ``lead_time_std``)
    reorder_point = d · L + safety_stock

  Intermittent items (``adi`` > 1.32 or ``cv2`` > 0.49, Syntetos–Boylan) get instead an integer
  quantile at the service level of the lead-time demand, modelled as a negative binomial with
  mean d·L and variance L·σ_D² + d²·σ_L² (Poisson when the variance does not exceed the mean);
  then safety_stock = reorder_point − d·L, which can be negative for very skewed demand.
  Items without ``demand_std`` fall back to the days policy (said in ``warning``).

In both modes, with ``position = stock + incoming``::

    order_up_to   = reorder_point + d · review_days        (review_days 0 → order_up_to = ROP;
                                                           service mode: the same formulas over
                                                           L + review_days days)
    suggested_qty = order_up_to − position if position < reorder_point, else 0  (never < 0),
                    then raised to the item's lot sizes (:func:`order_quantity`)
    days_of_coverage = max(position, 0) / d                (inf when d = 0)

Urgency, in this order:

- ``ORDER_NOW``: position < reorder_point and suggested_qty > 0;
- ``WATCH``: otherwise, when days_of_coverage ≤ ``watch_days`` (14): the stock covers at most two
  weeks. With the defaults (L 7, 3 safety days) an item that is not ORDER_NOW covers ≥ 10 days,
  so WATCH is "covers 10–14 days"; with a short lead time, items covering fewer than 7 days are
  WATCH too rather than OK;
- ``OK``: days_of_coverage > 14 (including items without demand, coverage inf).

Lot sizes (optional item columns, in the product's unit; NaN or absent = none): ``min_qty`` (the
vendor's minimum), ``multiple`` (purchase packaging) and ``rounding`` (the purchase unit's
rounding, e.g. 12 for a unit of dozens rounded to whole dozens). A quantity to order is raised to
the minimum, then rounded up to the multiple (at or above the minimum: need 41, minimum 50,
multiple 12 → 60), then up to the rounding. :mod:`engine.ordering` (``plan_orders``) shares these
helpers, the urgency rules and the input fallbacks with this classic policy.

Bad values are not errors: a missing lead time (NaN or < 0) uses ``default_lead_time``, a missing
stock counts as 0, a missing or negative demand as 0, a negative lot size is ignored, and each is
said in ``warning``. Negative stock (backorders) is kept: it raises the suggested quantity and
gives 0 days of coverage.
"""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

from .history import first_true

DEFAULT_SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}
#: Service level of items without an ABC class (or with a class missing from service_levels).
DEFAULT_SERVICE_LEVEL = 0.95
ADI_LIMIT = 1.32
CV2_LIMIT = 0.49
WATCH_DAYS = 14
#: Optional item columns with the lot sizes of the purchase (see :func:`order_quantity`).
LOT_COLUMNS = ("min_qty", "multiple", "rounding")
_ROUND_TOLERANCE = 1e-9
#: Lead-time demand means above this use the normal approximation of the quantile.
_EXACT_QUANTILE_MAX_MEAN = 1000.0
REPLENISHMENT_COLUMNS = [
    "product_id",
    "avg_daily_demand",
    "lead_time_days",
    "safety_stock",
    "reorder_point",
    "order_up_to",
    "suggested_qty",
    "days_of_coverage",
    "urgency",
    "policy",
    "service_level",
    "warning",
]


def z_value(service_level):
    """Standard normal quantile of a service level in (0, 1), e.g. 0.95 → 1.645."""
    if not 0.0 < float(service_level) < 1.0:
        raise ValueError("a service level must be between 0 and 1, got %r" % (service_level,))
    return NormalDist().inv_cdf(float(service_level))


def item_column(items, name, default=np.nan):
    """Column ``name`` of ``items`` as floats (non-numbers → NaN); ``default`` when absent."""
    if name not in items.columns:
        return np.full(len(items), default, dtype=np.float64)
    return pd.to_numeric(items[name], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


class Notes:
    """Warning texts per item, joined with "; " in the ``warning`` column."""

    def __init__(self, size):
        self.rows = [[] for _ in range(size)]

    def flag(self, mask, text):
        """Add ``text`` to the items where ``mask`` is true."""
        for row in np.flatnonzero(mask):
            self.rows[row].append(text)

    def add(self, texts):
        """Add a per-item text (array of str, "" = nothing)."""
        for row, text in enumerate(texts):
            if text:
                self.rows[row].append(text)

    def texts(self):
        """The ``warning`` column: a list of str."""
        return ["; ".join(row) for row in self.rows]


def check_days(**values):
    """Raise ValueError unless every keyword value is a finite number ≥ 0."""
    for name, value in values.items():
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float, np.integer, np.floating))
            or not np.isfinite(value)
            or value < 0
        ):
            raise ValueError("%s must be a number ≥ 0, got %r" % (name, value))


def check_items(items, required):
    """Raise ValueError unless ``items`` is a DataFrame with the ``required`` columns."""
    if not isinstance(items, pd.DataFrame):
        raise ValueError("items must be a pandas DataFrame")
    missing = [name for name in required if name not in items.columns]
    if missing:
        raise ValueError("items is missing the column(s) %s" % ", ".join(missing))


def lead_times(items, default_lead_time, notes):
    """``lead_time_days`` of the items; NaN, negative or absent → ``default_lead_time`` (noted)."""
    lead = item_column(items, "lead_time_days")
    bad_lead = np.isnan(lead) | (lead < 0)
    notes.flag(bad_lead, "no lead time: default %g days used" % default_lead_time)
    return np.where(bad_lead, float(default_lead_time), lead)


def stock_figures(items, notes):
    """``stock`` of the items (NaN or absent → 0, noted; negative kept) and the position
    ``stock + incoming`` (``incoming`` NaN or absent → 0)."""
    stock = item_column(items, "stock")
    notes.flag(np.isnan(stock), "no stock figure: 0 used")
    stock = np.nan_to_num(stock, nan=0.0)
    return stock, stock + np.nan_to_num(item_column(items, "incoming", 0.0), nan=0.0)


def service_levels_of(items, service_levels):
    """Service level and z of each item from its ``abc`` class (upper-cased; unknown or absent
    class → ``DEFAULT_SERVICE_LEVEL``). Raises ValueError for a level outside (0, 1)."""
    levels = DEFAULT_SERVICE_LEVELS if service_levels is None else service_levels
    if not isinstance(levels, dict):
        raise ValueError("service_levels must be a dict such as {'A': 0.98, 'B': 0.95, 'C': 0.9}")
    level_by_class = {str(key).upper(): float(value) for key, value in levels.items()}
    z_by_class = {key: z_value(value) for key, value in level_by_class.items()}
    if "abc" in items.columns:
        classes = items["abc"].astype(object).where(items["abc"].notna(), "").astype(str)
        classes = classes.str.upper().to_numpy()
    else:
        classes = np.full(len(items), "")
    default_z = z_value(DEFAULT_SERVICE_LEVEL)
    service = np.array(
        [level_by_class.get(value, DEFAULT_SERVICE_LEVEL) for value in classes], dtype=np.float64
    )
    z = np.array([z_by_class.get(value, default_z) for value in classes], dtype=np.float64)
    return service, z


def lot_sizes(items, notes):
    """``(min_qty, multiple, rounding)`` of the items: NaN or absent → 0 (none); a negative value
    is ignored and noted."""
    sizes = []
    for name in LOT_COLUMNS:
        values = item_column(items, name)
        notes.flag(values < 0, "negative %s ignored" % name)
        sizes.append(np.where(np.isnan(values) | (values < 0), 0.0, values))
    return tuple(sizes)


def _round_up(qty, step):
    """``qty`` rounded up to a multiple of ``step`` where step > 0 (float noise tolerated)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        steps = np.ceil(qty / np.where(step > 0, step, 1.0) - _ROUND_TOLERANCE)
    return np.where(step > 0, steps * step, qty)


def order_quantity(need, min_qty=0.0, multiple=0.0, rounding=0.0):
    """Quantity to order for a ``need`` (arrays, or scalars broadcast): 0 when need ≤ 0; else
    ``max(need, min_qty)`` rounded up to a multiple of ``multiple``, then of ``rounding``
    (each ignored when ≤ 0). Need 41, minimum 50, multiple 12 → 60."""
    need = np.asarray(need, dtype=np.float64)
    qty = np.maximum(need, min_qty)
    qty = _round_up(_round_up(qty, np.broadcast_to(multiple, qty.shape)), rounding)
    return np.where(need > 0, qty, 0.0)


def coverage_days(position, daily_demand):
    """Days the position covers at the daily demand: ``max(position, 0) / d``, inf when d = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            daily_demand > 0,
            np.maximum(position, 0.0) / np.where(daily_demand > 0, daily_demand, 1),
            np.inf,
        )


def urgencies(below, suggested, coverage, watch_days, excess_qty=None):
    """``ORDER_NOW`` (below the reorder point with something to order), else ``EXCESS`` (when
    ``excess_qty`` is given and > 0), else ``WATCH`` (coverage ≤ ``watch_days``), else ``OK``."""
    order_now = below & (suggested > 0)
    result = np.where(order_now, "ORDER_NOW", np.where(coverage <= watch_days, "WATCH", "OK"))
    if excess_qty is not None:
        result = np.where(~order_now & (excess_qty > 0), "EXCESS", result)
    return result.astype(object)


def demand_quantile(mean, variance, level):
    """Smallest integer k with P(X ≤ k) ≥ level, X negative binomial (or Poisson), per item.

    Args:
        mean, variance: arrays (N,) of the demand's mean and variance; variance ≤ mean gives a
            Poisson(mean), mean ≤ 0 gives 0.
        level: array (N,) or scalar in (0, 1).

    Returns:
        float array (N,) of integers. Means above 1000 use the normal approximation
        ceil(mean + z·sqrt(variance)).
    """
    mean = np.asarray(mean, dtype=np.float64)
    variance = np.maximum(np.asarray(variance, dtype=np.float64), 0.0)
    level = np.broadcast_to(np.asarray(level, dtype=np.float64), mean.shape)
    result = np.zeros(mean.shape)
    large = mean > _EXACT_QUANTILE_MAX_MEAN
    if large.any():
        z = np.array([z_value(value) for value in level[large]])
        result[large] = np.ceil(mean[large] + z * np.sqrt(np.maximum(variance[large], mean[large])))
    todo = (mean > 0) & ~large
    if not todo.any():
        return result
    mu, var, target = mean[todo], variance[todo], level[todo] - 1e-12
    poisson = var <= mu
    # Negative binomial with success probability p and size r: mean r(1-p)/p, var r(1-p)/p².
    p = np.where(poisson, 1.0, mu / np.where(poisson, 1.0, var))
    r = np.where(poisson, 1.0, mu * mu / np.where(poisson, 1.0, var - mu))
    log_q = np.log1p(-np.where(poisson, 0.0, p))
    log_pmf = np.where(poisson, -mu, r * np.log(p))
    cdf = np.exp(log_pmf)
    quantile = np.zeros(mu.shape)
    open_rows = cdf < target
    k = 0
    limit = int(np.ceil((mu + 12.0 * np.sqrt(np.maximum(var, mu)) + 20.0).max()))
    while open_rows.any() and k < limit:
        step = np.where(
            poisson, np.log(mu) - math.log(k + 1), np.log(k + r) - math.log(k + 1) + log_q
        )
        log_pmf = log_pmf + step
        cdf = cdf + np.exp(log_pmf)
        k += 1
        quantile[open_rows] = k
        open_rows &= cdf < target
    result[todo] = quantile
    return result


def replenishment(
    items,
    safety_days=3,
    mode="days",
    service_levels=None,
    default_lead_time=7,
    review_days=0,
    watch_days=WATCH_DAYS,
):
    """Reorder point, safety stock, suggested quantity and urgency per product.

    Args:
        items: DataFrame with ``product_id``, ``avg_daily_demand`` and (NaN or absent → fallback)
            ``stock``, ``lead_time_days``; optional ``demand_std`` (σ of daily demand or, better,
            of daily forecast errors), ``lead_time_std`` (days), ``abc`` (A/B/C), ``incoming``
            (quantity already ordered), ``adi`` and ``cv2`` (see :func:`demand_statistics`),
            lot sizes ``min_qty``, ``multiple``, ``rounding`` (see :func:`order_quantity`).
        safety_days: days of cover of the safety stock in ``"days"`` mode (default 3).
        mode: ``"days"`` or ``"service"`` (see the module docstring).
        service_levels: dict ABC class → service level, default {"A": .98, "B": .95, "C": .90};
            items without a known class use 0.95.
        default_lead_time: lead time (days) of items without one (default 7).
        review_days: days between orders added to the order-up-to level (default 0).
        watch_days: coverage (days) up to which an item not to order now is WATCH (default 14).

    Returns:
        DataFrame, one row per item in input order: ``product_id, avg_daily_demand,
        lead_time_days, safety_stock, reorder_point, order_up_to, suggested_qty,
        days_of_coverage, urgency`` (ORDER_NOW/WATCH/OK), ``policy`` ("days", "service" or
        "intermittent"), ``service_level`` (NaN in days policy), ``warning``.

    Raises:
        ValueError: unknown mode, negative safety/review/default lead time days, service level
            outside (0, 1), or ``items`` without ``product_id``/``avg_daily_demand``.
    """
    if mode not in ("days", "service"):
        raise ValueError("mode must be 'days' or 'service', got %r" % (mode,))
    check_days(
        safety_days=safety_days,
        default_lead_time=default_lead_time,
        review_days=review_days,
        watch_days=watch_days,
    )
    check_items(items, ("product_id", "avg_daily_demand"))
    service, z = service_levels_of(items, service_levels)
    size = len(items)
    notes = Notes(size)

    demand = item_column(items, "avg_daily_demand")
    notes.flag(np.isnan(demand), "no demand figure: 0 used")
    notes.flag(demand < 0, "negative demand: 0 used")
    demand = np.where(np.isnan(demand) | (demand < 0), 0.0, demand)
    lead = lead_times(items, default_lead_time, notes)
    _stock, position = stock_figures(items, notes)
    lots = lot_sizes(items, notes)

    days_policy = np.full(size, mode == "days")
    if mode == "service":
        sigma_demand = item_column(items, "demand_std")
        no_sigma = np.isnan(sigma_demand)
        notes.flag(no_sigma, "no demand_std: days-of-cover safety stock used")
        days_policy |= no_sigma
        sigma_demand = np.maximum(np.nan_to_num(sigma_demand), 0.0)
        sigma_lead = np.maximum(np.nan_to_num(item_column(items, "lead_time_std", 0.0)), 0.0)
        adi, cv2 = item_column(items, "adi"), item_column(items, "cv2")
        intermittent = ((adi > ADI_LIMIT) | (cv2 > CV2_LIMIT)) & ~days_policy

        def normal_level(days):
            return demand * days + z * np.sqrt(days * sigma_demand**2 + demand**2 * sigma_lead**2)

        def intermittent_level(days):
            rows = intermittent
            days = np.broadcast_to(days, demand.shape)[rows]
            variance = days * sigma_demand[rows] ** 2 + demand[rows] ** 2 * sigma_lead[rows] ** 2
            return demand_quantile(demand[rows] * days, variance, service[rows])

        reorder = normal_level(lead)
        up_to = normal_level(lead + review_days)
        if intermittent.any():
            reorder[intermittent] = intermittent_level(lead)
            up_to[intermittent] = intermittent_level(lead + review_days)
        policy = np.where(intermittent, "intermittent", "service").astype(object)
    else:
        reorder = up_to = np.zeros(size)
        policy = np.full(size, "days", dtype=object)

    days_reorder = demand * lead + demand * safety_days
    reorder = np.where(days_policy, days_reorder, reorder)
    up_to = np.where(days_policy, days_reorder + demand * review_days, up_to)
    up_to = np.maximum(up_to, reorder)
    policy[days_policy] = "days"
    service = np.where(days_policy, np.nan, service)
    safety = reorder - demand * lead

    below = position < reorder
    suggested = order_quantity(np.where(below, up_to - position, 0.0), *lots)
    coverage = coverage_days(position, demand)
    return pd.DataFrame(
        {
            "product_id": items["product_id"].to_numpy(),
            "avg_daily_demand": demand,
            "lead_time_days": lead,
            "safety_stock": safety,
            "reorder_point": reorder,
            "order_up_to": up_to,
            "suggested_qty": suggested,
            "days_of_coverage": coverage,
            "urgency": urgencies(below, suggested, coverage, watch_days),
            "policy": policy,
            "service_level": service,
            "warning": notes.texts(),
        },
        columns=REPLENISHMENT_COLUMNS,
    )


def demand_statistics(matrix):
    """Demand figures :func:`replenishment` needs, from a :class:`~engine.history.DemandMatrix`.

    Per product, over the days from its first sale in the matrix to the end, stock-out days
    (``matrix.censored``) left out: ``avg_daily_demand`` (mean), ``demand_std`` (population σ
    of daily demand), ``adi`` (average inter-demand interval = days / days with demand), ``cv2``
    (squared coefficient of variation of the non-zero daily demands), ``demand_days`` (days
    with demand). A product that never sold gets 0, 0, NaN, NaN, 0.

    Returns:
        DataFrame ``product_id, avg_daily_demand, demand_std, adi, cv2, demand_days``.
    """
    qty = matrix.qty
    sold = qty > 0
    n_days = qty.shape[1]
    first = first_true(sold)
    active = np.arange(n_days)[np.newaxis, :] >= first[:, np.newaxis]
    if matrix.censored is not None:
        active &= ~matrix.censored
    days = active.sum(axis=1)
    demand_days = sold.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = np.where(days > 0, qty.sum(axis=1) / np.maximum(days, 1), 0.0)
        variance = np.where(
            days > 0,
            (active * (qty - mean[:, np.newaxis]) ** 2).sum(axis=1) / np.maximum(days, 1),
            0.0,
        )
        size_mean = np.where(demand_days > 0, qty.sum(axis=1) / np.maximum(demand_days, 1), np.nan)
        size_var = (sold * (qty - np.nan_to_num(size_mean)[:, np.newaxis]) ** 2).sum(
            axis=1
        ) / np.maximum(demand_days, 1)
        cv2 = np.where(demand_days > 0, size_var / size_mean**2, np.nan)
        adi = np.where(demand_days > 0, days / np.maximum(demand_days, 1), np.nan)
    return pd.DataFrame(
        {
            "product_id": matrix.product_ids,
            "avg_daily_demand": mean,
            "demand_std": np.sqrt(variance),
            "adi": adi,
            "cv2": cv2,
            "demand_days": demand_days,
        }
    )
