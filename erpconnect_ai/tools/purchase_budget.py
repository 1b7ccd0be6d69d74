"""Which reorder suggestions to order when the money is limited ("Create RFQs within a budget").

* **Expected lost sales** of a suggestion not ordered now: the demand of its protection period
  (lead time + review period: until an order placed at the next decision can arrive) that the
  current stock position cannot serve, ``E[(D − position)⁺]`` for a demand ``D`` of mean ``μ``
  (``protection_demand``) and standard deviation ``σ``: ``σ · L((position − μ) / σ)`` with the
  standard normal loss function ``L(k) = φ(k) − k (1 − Φ(k))``; ``max(μ − position, 0)`` when
  ``σ = 0``. In money: × the product's sale price.
* **Priority**: expected lost sales (money) per unit of money the order costs
  (``lost_sales_value / order_value``): the sales an order saves for each unit spent. A free
  order (value 0) comes first.
* **Selection** (:func:`select_within_budget`): ``ORDER_NOW`` before ``WATCH`` before the
  rest, then by priority (highest first), then by id; walking in that order, a suggestion is
  ordered when its whole value fits in what is left of the budget, else it is left out and the
  walk goes on (a cheaper one further down may still fit). Quantities are never cut: a
  suggestion's quantity is what its vendor's lot sizes allow.
"""

import math
from statistics import NormalDist

import numpy as np
import pandas as pd

#: Urgencies in the order their suggestions are bought; others come after them.
URGENCY_ORDER = ("ORDER_NOW", "WATCH")
SELECTION_COLUMNS = [
    "id",
    "urgency",
    "order_value",
    "lost_sales_value",
    "priority",
    "rank",
    "selected",
    "spent",
]
_STANDARD = NormalDist()
# Budget tolerance: a line costing the remaining budget to the cent fits.
_MONEY_TOLERANCE = 1e-6


def expected_shortage(mean, sigma, position):
    """Expected units short, ``E[(D − position)⁺]`` for ``D`` normal (``mean``, ``sigma``).

    Args:
        mean, sigma, position: arrays (or scalars) of the same length: expected demand of the
            protection period, its standard deviation (≥ 0; NaN counts as 0), the stock position.

    Returns:
        float array: ``σ · (φ(k) − k (1 − Φ(k)))`` with ``k = (position − mean) / σ``; the plain
        shortfall ``max(mean − position, 0)`` where ``σ = 0``. E.g. mean 10, σ 0, position 4 → 6;
        mean 10, σ 2, position 10 → 2 φ(0) = 0.7979.
    """
    mean, sigma, position = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64),
        np.asarray(sigma, dtype=np.float64),
        np.asarray(position, dtype=np.float64),
    )
    sigma = np.where(np.isnan(sigma) | (sigma < 0), 0.0, sigma)
    shortfall = np.maximum(mean - position, 0.0)
    result = shortfall.astype(np.float64).copy()
    spread = sigma > 0
    for index in np.flatnonzero(spread):
        k = (position[index] - mean[index]) / sigma[index]
        loss = _STANDARD.pdf(k) - k * (1.0 - _STANDARD.cdf(k))
        result[index] = sigma[index] * max(loss, 0.0)
    return result


def protection_sigma(mean, upper, service_level):
    """Standard deviation of the protection period's demand implied by its value ``upper`` at
    ``service_level`` (the quantile): ``(upper − mean) / Φ⁻¹(service_level)``; 0 where the
    level is not in (0.5, 1) or ``upper`` is not above ``mean``. E.g. mean 100, upper 116.45
    at 95 % (z = 1.6449) → 10."""
    mean, upper, level = np.broadcast_arrays(
        np.asarray(mean, dtype=np.float64),
        np.asarray(upper, dtype=np.float64),
        np.asarray(service_level, dtype=np.float64),
    )
    sigma = np.zeros(mean.shape)
    for index in np.flatnonzero((level > 0.5) & (level < 1) & (upper > mean)):
        sigma[index] = (upper[index] - mean[index]) / _STANDARD.inv_cdf(level[index])
    return sigma


def budget_priority(order_value, lost_sales_value):
    """Expected lost sales (money) per unit of money spent; ``inf`` for a free order."""
    order_value = np.asarray(order_value, dtype=np.float64)
    lost_sales_value = np.asarray(lost_sales_value, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(order_value > 0, lost_sales_value / order_value, math.inf)


def select_within_budget(candidates, budget):
    """The suggestions to order within ``budget`` (see the module docstring).

    Args:
        candidates: DataFrame ``id, urgency, order_value, lost_sales_value`` (one row per
            suggestion with a quantity to order; values in one currency, ≥ 0).
        budget: money available (> 0).

    Returns:
        DataFrame ``SELECTION_COLUMNS`` in buying order: ``priority``, ``rank`` (1, 2, ...),
        ``selected`` (ordered or left out), ``spent`` (budget used once this row is decided).

    Raises:
        ValueError: budget not a positive number; missing columns, duplicated ids, negative
            or NaN values.
    """
    if (
        isinstance(budget, bool)
        or not isinstance(budget, (int, float))
        or not math.isfinite(budget)
        or budget <= 0
    ):
        raise ValueError("the budget must be a positive number, got %r" % (budget,))
    missing = [
        c for c in ("id", "urgency", "order_value", "lost_sales_value") if c not in candidates
    ]
    if missing:
        raise ValueError("candidates lack the columns %s" % ", ".join(missing))
    if candidates["id"].duplicated().any():
        raise ValueError("candidates has the same id more than once")
    values = candidates[["order_value", "lost_sales_value"]].astype(float)
    if values.isna().any().any() or (values < 0).any().any():
        raise ValueError("order and lost sales values must be numbers ≥ 0")
    frame = pd.DataFrame(
        {
            "id": candidates["id"].to_numpy(),
            "urgency": candidates["urgency"].to_numpy(),
            "order_value": values["order_value"].to_numpy(),
            "lost_sales_value": values["lost_sales_value"].to_numpy(),
        }
    )
    frame["priority"] = budget_priority(frame["order_value"], frame["lost_sales_value"])
    urgency_rank = {urgency: rank for rank, urgency in enumerate(URGENCY_ORDER)}
    frame["_urgency"] = frame["urgency"].map(urgency_rank).fillna(len(URGENCY_ORDER))
    frame = frame.sort_values(
        ["_urgency", "priority", "id"], ascending=[True, False, True], kind="mergesort"
    ).drop(columns="_urgency")
    selected, spent = [], []
    used = 0.0
    for value in frame["order_value"]:
        fits = used + value <= budget + _MONEY_TOLERANCE
        if fits:
            used += value
        selected.append(fits)
        spent.append(used)
    frame["rank"] = np.arange(1, len(frame) + 1)
    frame["selected"] = selected
    frame["spent"] = spent
    return frame[SELECTION_COLUMNS].reset_index(drop=True)
