"""Prediction intervals from backtest errors (split conformal, pooled over products).

The backtest gives, per fold f, product p and horizon step k, the error ``e = actual - forecast``.
Each error is divided by the product's scale at that fold's origin: the in-sample mean absolute
error of the weekly seasonal naive forecast over the 91 days before it (the MASE denominator on
recent history; the mean demand when it is 0, see :func:`error_scale`).
The 2.5 % and 97.5 % quantiles of these scaled errors, pooled over products and folds (and over
the three steps on each side of k, to have enough of them), give per step ``q_low(k)`` and
``q_high(k)``; the interval of a forecast ``f`` is ``[max(0, f + q_low(k) s), f + q_high(k) s]``
with ``s`` the product's scale at the forecast origin. Totals over the first T days use the
quantiles of the scaled sums of the first T errors in the same way (a total longer than the
backtested horizon K uses the K-day sum times T / K).

When products are split into groups (one per chosen method), each group with enough errors gets
its own quantiles; smaller groups use the quantiles of all products.

:func:`sum_quantile` gives, the same way, one quantile at any probability of the sum of the
first T days of each product (e.g. the demand over a lead time at a service level): what a
planner needs beyond the 95 % bands (:meth:`engine.forecasting.ForecastResult.total_quantile`).
"""

import numpy as np

from . import metrics
from .methods._common import SEASON

LEVEL = 0.95
NEIGHBOUR_STEPS = 3
MIN_GROUP_ERRORS = 200


def error_scale(insample):
    """Scale of each product's forecast errors, from its history (P x N, NaN before first sale).

    The in-sample MAE of the weekly seasonal naive forecast; when that is 0 or undefined (a
    perfectly weekly or constant history, fewer than 8 days) the mean daily demand instead; NaN
    for a product without any sale.
    """
    insample = np.asarray(insample, dtype=np.float64)
    n_products = insample.shape[0]
    naive = (
        metrics.mae(insample[:, SEASON:], insample[:, :-SEASON])
        if insample.shape[1] > SEASON
        else np.full(n_products, np.nan)
    )
    observed = np.isfinite(insample)
    days = observed.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.where(days > 0, np.where(observed, insample, 0.0).sum(axis=1) / days, np.nan)
    scale = np.where(np.nan_to_num(naive) > 0, naive, level)
    return np.where(scale > 0, scale, np.nan)


def _bounds(level):
    return [(1 - level) / 2, (1 + level) / 2]


def scaled_errors(errors, scale, valid):
    """Errors (F x P x K) divided by the scale (F x P); NaN where the fold is not usable."""
    usable = valid & np.isfinite(scale) & (scale > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(
            usable[:, :, None], errors / np.where(usable, scale, 1.0)[:, :, None], np.nan
        )


def _pooled(scaled, level, neighbours=NEIGHBOUR_STEPS, probabilities=None):
    """(2, K) quantiles per column over the first two axes, pooling neighbouring columns
    (``len(probabilities)`` rows instead of 2 when the probabilities are given)."""
    probabilities = _bounds(level) if probabilities is None else list(probabilities)
    steps = scaled.shape[-1]
    result = np.full((len(probabilities), steps), np.nan)
    if not steps or not scaled.size:
        return result
    by_step = np.moveaxis(scaled, -1, 0).reshape(steps, -1)
    for k in range(steps):
        sample = by_step[max(k - neighbours, 0) : k + neighbours + 1].ravel()
        sample = sample[np.isfinite(sample)]
        if len(sample):
            result[:, k] = np.quantile(sample, probabilities)
    return result


def _sums(scaled_daily, lengths):
    """Scaled sums of the first T errors (F x P x len(lengths)).

    A total longer than the K backtested days is extrapolated as the K-day sum times T / K.
    """
    if not len(lengths):
        return np.zeros((*scaled_daily.shape[:2], 0))
    cumulative = np.cumsum(scaled_daily, axis=2)
    steps = scaled_daily.shape[2]
    columns = [cumulative[:, :, min(t, steps) - 1] * max(t / steps, 1.0) for t in lengths]
    return np.stack(columns, axis=2)


def quantiles(errors, scale, valid, groups=None, level=LEVEL, totals=()):
    """Quantiles of the scaled backtest errors, per group.

    Args:
        errors: F x P x K backtest errors (actual - forecast) of the method used per product.
        scale: F x P scale of each product at each fold origin (:func:`error_scale`).
        valid: F x P bool, folds that count for the product.
        groups: optional (P,) labels; default one group.
        level: nominal coverage (0.95).
        totals: lengths T of the totals (sums over the first T days) to calibrate too.

    Returns:
        ``(daily, sums)``: arrays (P, 2, K) and (P, 2, len(totals)) of the lower and upper scaled
        error quantile of each product's group; NaN where no error at all was available.
    """
    n_products = errors.shape[1]
    groups = np.zeros(n_products, dtype=int) if groups is None else np.asarray(groups)
    scaled = scaled_errors(errors, scale, valid)
    totals_scaled = _sums(scaled, totals)
    daily = np.empty((n_products, 2, errors.shape[2]))
    sums = np.empty((n_products, 2, len(totals)))
    daily[:] = _pooled(scaled, level)
    sums[:] = _pooled(totals_scaled, level, neighbours=0)
    for members in _own_groups(scaled, groups):
        daily[members] = _pooled(scaled[:, members], level)
        sums[members] = _pooled(totals_scaled[:, members], level, neighbours=0)
    return daily, sums


def _own_groups(scaled, groups):
    """Member masks of the groups with enough scaled errors for quantiles of their own."""
    steps = scaled.shape[2]
    for label in np.unique(groups):
        members = groups == label
        if np.isfinite(scaled[:, members]).sum() >= MIN_GROUP_ERRORS * steps:
            yield members


def sum_quantile(errors, scale, valid, days, probability, groups=None):
    """Scaled quantile at ``probability`` of the sum of the first ``days`` errors, per product.

    Same pooling as :func:`quantiles` (per group when it has enough errors, else all products);
    ``days`` beyond the K backtested days extrapolate the K-day sum times days / K.

    Args:
        errors, scale, valid, groups: as in :func:`quantiles`.
        days: length T of the sum (>= 1).
        probability: in (0, 1), e.g. 0.95 for the demand a 95 % service level covers.

    Returns:
        (P,) scaled quantiles (NaN where no error was available); the quantile of the T-day
        total of a forecast ``f`` is ``f + q * s``.
    """
    n_products = errors.shape[1]
    groups = np.zeros(n_products, dtype=int) if groups is None else np.asarray(groups)
    scaled = scaled_errors(errors, scale, valid)
    sums = _sums(scaled, [days])
    result = np.full(n_products, _pooled(sums, 0, 0, [probability])[0, 0])
    for members in _own_groups(scaled, groups):
        result[members] = _pooled(sums[:, members], 0, 0, [probability])[0, 0]
    return result


def apply(point, scale, quantile):
    """``(lower, upper)`` around ``point`` (P x K) from scaled quantiles (P x 2 x K).

    The lower bound is clipped at 0 and never above the point, the upper never below it.
    """
    scale = np.nan_to_num(np.asarray(scale, dtype=np.float64))[:, None]
    lower = np.maximum(np.minimum(point + quantile[:, 0] * scale, point), 0.0)
    upper = np.maximum(point + quantile[:, 1] * scale, point)
    return lower, upper
