"""Baseline demand (``method="moving_average"``): 7-day moving average, trend and confidence.

Definitions (issue 3, item 1), for each product over a look-back window of L days ending at
``as_of``:

- smoothed series: trailing 7-day mean of the daily net demand, full windows only (L − 6 values;
  with L < 7, the mean of the L days);
- ``daily_demand`` = last smoothed value; ``forecast_30d`` = ``daily_demand`` × 30;
- ``trend_change`` = (last − first) / max(first, ε) where first/last are the means of the first and
  the last 7 smoothed values and ε = 1e-9; ``trend`` UP if > 0.2, DOWN if < −0.2, else STABLE
  (exactly ±0.2 is STABLE). A product that did not sell in its first smoothed week and sells now
  gets a very large ``trend_change`` (last / ε) and UP;
- ``coverage`` = days with demand > 0 / L; ``variability`` = min(1, std / mean of the L daily
  values) with the population std (ddof 0), 1 when the mean is 0;
  ``sample_boost`` = min(1, order lines / 30);
- ``confidence`` = 0.4·coverage + 0.3·(1 − variability) + 0.3·sample_boost, in [0, 1].
"""

import numpy as np
import pandas as pd

from .history import MatrixForecast, daily_matrix, trailing_mean

SMOOTHING_DAYS = 7
#: Default look-back window L of :func:`demand_baseline`, in days.
LOOKBACK_DAYS = 60
TREND_THRESHOLD = 0.2
TREND_EPSILON = 1e-9
FULL_SAMPLE_LINES = 30
BASELINE_COLUMNS = [
    "product_id",
    "daily_demand",
    "forecast_30d",
    "trend",
    "trend_change",
    "confidence",
    "coverage",
    "variability",
    "sample_boost",
    "order_lines",
    "warning",
]


def trend_labels(change):
    """Map relative changes to ``"UP"`` (> 0.2), ``"DOWN"`` (< −0.2) or ``"STABLE"``, array (P,)."""
    change = np.asarray(change, dtype=np.float64)
    return np.where(
        change > TREND_THRESHOLD, "UP", np.where(change < -TREND_THRESHOLD, "DOWN", "STABLE")
    ).astype(object)


def baseline_arrays(qty, order_lines=None):
    """Baseline statistics of every row of a demand matrix.

    Args:
        qty: array (P, L), daily net demand over the look-back window.
        order_lines: array (P,) of order lines in the window; default: days with demand.

    Returns:
        dict of arrays (P,): ``daily_demand, trend_change, trend, coverage, variability,
        sample_boost, confidence``.
    """
    qty = np.asarray(qty, dtype=np.float64)
    n_products, n_days = qty.shape
    if order_lines is None:
        order_lines = (qty > 0).sum(axis=1)
    if n_days == 0:
        zeros = np.zeros(n_products)
        return {
            "daily_demand": zeros,
            "trend_change": zeros,
            "trend": trend_labels(zeros),
            "coverage": zeros,
            "variability": np.ones(n_products),
            "sample_boost": zeros,
            "confidence": zeros,
        }
    smoothed = trailing_mean(qty, SMOOTHING_DAYS)
    first = smoothed[:, :SMOOTHING_DAYS].mean(axis=1)
    last = smoothed[:, -SMOOTHING_DAYS:].mean(axis=1)
    change = (last - first) / np.maximum(first, TREND_EPSILON)
    coverage = (qty > 0).sum(axis=1) / n_days
    mean = qty.mean(axis=1)
    std = qty.std(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        variability = np.where(mean > 0, np.minimum(1.0, std / np.where(mean > 0, mean, 1.0)), 1.0)
    sample_boost = np.minimum(1.0, np.asarray(order_lines, dtype=np.float64) / FULL_SAMPLE_LINES)
    confidence = 0.4 * coverage + 0.3 * (1.0 - variability) + 0.3 * sample_boost
    return {
        "daily_demand": smoothed[:, -1].copy(),
        "trend_change": change,
        "trend": trend_labels(change),
        "coverage": coverage,
        "variability": variability,
        "sample_boost": sample_boost,
        "confidence": np.clip(confidence, 0.0, 1.0),
    }


def demand_baseline(history, lookback_days=LOOKBACK_DAYS, as_of=None):
    """Baseline demand of every product of ``history`` (see the module docstring).

    Args:
        history: DataFrame ``product_id, date, qty[, amount]`` (:func:`engine.daily_matrix`).
        lookback_days: look-back window L in days (default 60), ending at ``as_of``.
        as_of: last day of the window; default the last date in ``history``.

    Returns:
        DataFrame, one row per product (sorted by ``product_id``): ``product_id``,
        ``daily_demand``, ``forecast_30d``, ``trend`` (UP/DOWN/STABLE), ``trend_change``,
        ``confidence``, ``coverage``, ``variability``, ``sample_boost``, ``order_lines``,
        ``warning`` ("" or why the numbers are weak: no sales in the window, window shorter
        than 7 days).
    """
    matrix = daily_matrix(history, as_of=as_of, lookback_days=lookback_days)
    stats = baseline_arrays(matrix.qty, matrix.order_lines)
    warning = np.full(len(matrix.product_ids), "", dtype=object)
    if len(matrix.dates) < SMOOTHING_DAYS:
        warning[:] = "window of %d day(s), shorter than 7: plain mean used" % len(matrix.dates)
    no_sales = ~(matrix.qty > 0).any(axis=1)
    warning[no_sales] = "no sales in the last %d day(s)" % len(matrix.dates)
    return pd.DataFrame(
        {
            "product_id": matrix.product_ids,
            "daily_demand": stats["daily_demand"],
            "forecast_30d": stats["daily_demand"] * 30.0,
            "trend": stats["trend"],
            "trend_change": stats["trend_change"],
            "confidence": stats["confidence"],
            "coverage": stats["coverage"],
            "variability": stats["variability"],
            "sample_boost": stats["sample_boost"],
            "order_lines": matrix.order_lines,
            "warning": warning,
        },
        columns=BASELINE_COLUMNS,
    )


def moving_average_forecast(qty, horizon_days=30, z=1.96, error_days=28):
    """Flat daily forecast = last 7-day moving average, with a symmetric interval.

    Args:
        qty: array (P, D) of daily net demand up to the forecast origin.
        horizon_days: number of days H to forecast (≥ 1).
        z: interval width in standard errors (1.96 ≈ 95 %).
        error_days: the interval's σ is the root mean squared difference between the flat
            forecast and the last ``error_days`` daily values (the spread of daily demand around
            its current level).

    Returns:
        :class:`~engine.history.MatrixForecast` with arrays (P, H): point = daily demand every
        day, lower = max(0, point − z·σ), upper = point + z·σ.
    """
    if int(horizon_days) < 1:
        raise ValueError("horizon_days must be at least 1, got %r" % (horizon_days,))
    qty = np.asarray(qty, dtype=np.float64)
    n_products = qty.shape[0]
    if qty.shape[1] == 0:
        level = np.zeros(n_products)
        sigma = np.zeros(n_products)
    else:
        level = trailing_mean(qty, SMOOTHING_DAYS)[:, -1]
        recent = qty[:, -error_days:]
        sigma = np.sqrt(((recent - level[:, np.newaxis]) ** 2).mean(axis=1))
    point = np.repeat(level[:, np.newaxis], int(horizon_days), axis=1)
    spread = (z * sigma)[:, np.newaxis]
    return MatrixForecast(point, np.maximum(point - spread, 0.0), point + spread)
