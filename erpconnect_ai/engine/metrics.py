"""Forecast accuracy metrics.

Every function takes 1-D arrays (one series: returns a float) or 2-D arrays (products × horizon:
returns one value per row, an array (P,)). Pairs where the actual or the forecast is NaN are left
out; a row with nothing left gives NaN.
"""

import numpy as np

from .history import first_true


def _as_arrays(*arrays):
    """Return the arrays as float64 of one shape (1-D or 2-D) and whether the input was 1-D."""
    converted = [np.asarray(array, dtype=np.float64) for array in arrays]
    shape = converted[0].shape
    if len(shape) not in (1, 2):
        raise ValueError(
            "metrics take 1-D or 2-D (products × horizon) arrays, got shape %s" % (shape,)
        )
    for array in converted[1:]:
        if array.shape != shape:
            raise ValueError("array shapes differ: %s and %s" % (shape, array.shape))
    one_dim = len(shape) == 1
    if one_dim:
        converted = [array[np.newaxis, :] for array in converted]
    return converted, one_dim


def _row_mean(values, valid):
    """Mean of ``values`` over the ``valid`` cells of each row; NaN for a row without any."""
    count = valid.sum(axis=1)
    total = np.where(valid, values, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def _result(values, one_dim):
    return float(values[0]) if one_dim else values


def mae(actual, forecast):
    """Mean absolute error ``mean(|actual − forecast|)``."""
    (actual, forecast), one_dim = _as_arrays(actual, forecast)
    valid = np.isfinite(actual) & np.isfinite(forecast)
    return _result(_row_mean(np.abs(actual - forecast), valid), one_dim)


def bias(actual, forecast):
    """Mean error ``mean(forecast − actual)``: positive = over-forecast, negative = under."""
    (actual, forecast), one_dim = _as_arrays(actual, forecast)
    valid = np.isfinite(actual) & np.isfinite(forecast)
    return _result(_row_mean(forecast - actual, valid), one_dim)


def smape(actual, forecast):
    """Symmetric MAPE ``mean(2·|a − f| / (|a| + |f|))``, a fraction between 0 and 2.

    The term of a day where actual and forecast are both 0 is undefined (0/0); it is defined as 0
    here (a perfect forecast of no demand), so intermittent products are not penalised for the
    days they correctly forecast nothing. Multiply by 100 for percent.
    """
    (actual, forecast), one_dim = _as_arrays(actual, forecast)
    valid = np.isfinite(actual) & np.isfinite(forecast)
    denominator = np.abs(actual) + np.abs(forecast)
    with np.errstate(invalid="ignore", divide="ignore"):
        terms = np.where(denominator > 0, 2.0 * np.abs(actual - forecast) / denominator, 0.0)
    return _result(_row_mean(terms, valid), one_dim)


def _insample(insample, rows, one_dim):
    insample = np.asarray(insample, dtype=np.float64)
    if insample.ndim != (1 if one_dim else 2):
        raise ValueError("insample must have the same number of dimensions as actual")
    if one_dim:
        insample = insample[np.newaxis, :]
    if insample.shape[0] != rows:
        raise ValueError("insample has %d rows, actual has %d" % (insample.shape[0], rows))
    return insample


def mase(actual, forecast, insample, m=7):
    """Mean absolute scaled error: MAE / in-sample MAE of the seasonal naive forecast.

    Args:
        actual, forecast: the hold-out values and their forecast, (H,) or (P, H).
        insample: the history before the hold-out, (N,) or (P, N).
        m: season length of the naive scale, 7 (weekly) by default.

    Returns:
        MAE / mean(|y[t] − y[t−m]|) over the in-sample series. NaN when the scale is 0 or
        undefined (constant or all-zero history, fewer than m + 1 in-sample days).
    """
    (actual, forecast), one_dim = _as_arrays(actual, forecast)
    insample = _insample(insample, actual.shape[0], one_dim)
    error = _row_mean(np.abs(actual - forecast), np.isfinite(actual) & np.isfinite(forecast))
    if insample.shape[1] <= m:
        scale = np.full(actual.shape[0], np.nan)
    else:
        diffs = np.abs(insample[:, m:] - insample[:, :-m])
        scale = _row_mean(diffs, np.isfinite(diffs))
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(scale > 0, error / scale, np.nan)
    return _result(values, one_dim)


def rmsse(actual, forecast, insample):
    """Root mean squared scaled error (M5): sqrt(MSE / mean of squared one-step differences).

    The in-sample scale is counted from the first non-zero sale of the series (leading zeros of a
    product not yet on sale are left out, as in the M5 competition).

    Returns:
        NaN when the series never sold, has fewer than 2 days from its first sale, or the scale
        is 0.
    """
    (actual, forecast), one_dim = _as_arrays(actual, forecast)
    insample = _insample(insample, actual.shape[0], one_dim)
    valid = np.isfinite(actual) & np.isfinite(forecast)
    mse = _row_mean((actual - forecast) ** 2, valid)
    if insample.shape[1] < 2:
        scale = np.full(actual.shape[0], np.nan)
    else:
        first = first_true(np.nan_to_num(insample) != 0)
        diffs = np.diff(insample, axis=1) ** 2
        after_first = np.arange(diffs.shape[1])[np.newaxis, :] >= first[:, np.newaxis]
        scale = _row_mean(diffs, after_first & np.isfinite(diffs))
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(scale > 0, np.sqrt(mse / scale), np.nan)
    return _result(values, one_dim)


def interval_coverage(actual, lower, upper):
    """Share of actual values inside their interval, ``lower ≤ actual ≤ upper`` (0 to 1)."""
    (actual, lower, upper), one_dim = _as_arrays(actual, lower, upper)
    valid = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
    inside = ((actual >= lower) & (actual <= upper)).astype(np.float64)
    return _result(_row_mean(inside, valid), one_dim)
