"""Accuracy measured after the fact: stored forecasts against what then sold (issue 11, item 7).

The backtest error that chooses a method (``summary.mase``) flatters it: the same folds chose it.
:func:`score_forecasts` scores what a run really forecast, once the days have passed, out of
sample: each stored daily line (``product_id, date, qty, lower, upper, method, origin``) is
compared with the demand of its day (``history``: days without a row sold nothing; stock-out
days in ``unavailable`` are not scored; days after ``as_of`` are not known yet).

Per line: error ``e = qty - actual``; the horizon week is ``(date - origin - 1 day) // 7 + 1``
(the first 7 forecast days are week 1; lines dated on or before their origin are
ignored). Per group (by default product, method and week):

* ``mae`` = mean |e|, ``bias`` = mean e (positive: over-forecast);
* ``mase`` = mean |e| / ``scale`` (the line's ``scale``, e.g. the ``mase_scale`` of the forecast
  summary of that run: the in-sample MAE of the weekly seasonal naive at its origin; NaN without
  a scale or when it is 0);
* ``smape`` = mean 2 |e| / (|qty| + |actual|), 0 for a day where both are 0 (a fraction 0-2);
* ``coverage`` = share of the days with ``lower <= actual <= upper``;
* ``days`` = lines scored.
"""

import numpy as np
import pandas as pd

from .history import daily_matrix, to_day

SCORE_KEYS = ("product_id", "method", "week", "origin")
SCORE_COLUMNS = ["days", "mae", "mase", "smape", "bias", "coverage"]
FORECAST_COLUMNS = ("product_id", "date", "qty", "lower", "upper", "method", "origin")


def score_forecasts(
    forecasts, history, as_of=None, unavailable=None, by=("product_id", "method", "week")
):
    """Out-of-sample error of stored forecast lines (see the module docstring).

    Args:
        forecasts: DataFrame ``product_id, date, qty, lower, upper, method, origin`` (the last
            day of history of the run that made the line) and optionally ``scale``.
        history: DataFrame ``product_id, date, qty`` of the sales (:mod:`engine.history`).
        as_of: last day whose sales are known (default: the last date in ``history``); later
            lines are not scored.
        unavailable: optional DataFrame ``product_id, date`` of stock-out days (not scored).
        by: the grouping, a subset of ``product_id, method, week, origin`` (in that order).

    Returns:
        DataFrame ``*by, days, mae, mase, smape, bias, coverage``, one row per group with at
        least one scored day, sorted by the keys.

    Raises:
        ValueError: a missing column or an unknown grouping key.
    """
    missing = [name for name in FORECAST_COLUMNS if name not in forecasts.columns]
    if missing:
        raise ValueError("forecasts is missing the column(s) %s" % ", ".join(missing))
    keys = [key for key in SCORE_KEYS if key in by]
    if not keys or len(keys) != len(tuple(by)):
        raise ValueError("by must name some of %s" % ", ".join(SCORE_KEYS))
    empty = pd.DataFrame(columns=[*keys, *SCORE_COLUMNS])
    if forecasts.empty:
        return empty
    lines = forecasts.copy()
    lines["date"] = pd.to_datetime(lines["date"]).dt.normalize()
    lines["origin"] = pd.to_datetime(lines["origin"]).dt.normalize()
    end = to_day(as_of) if as_of is not None else None
    if end is None:
        dates = pd.to_datetime(history["date"], errors="coerce")
        if dates.isna().all():
            return empty
        end = to_day(dates.max())
    end = pd.Timestamp(end)
    offset = (lines["date"] - lines["origin"]).dt.days
    lines = lines[(lines["date"] <= end) & (offset >= 1)]
    if lines.empty:
        return empty
    start = lines["date"].min()
    matrix = daily_matrix(
        history,
        as_of=end,
        lookback_days=(end - start).days + 1,
        product_ids=lines["product_id"].unique(),
        unavailable=unavailable,
    )
    row = np.searchsorted(matrix.product_ids, lines["product_id"].to_numpy())
    day = (lines["date"] - start).dt.days.to_numpy()
    actual = matrix.qty[row, day]
    if matrix.censored is not None:
        actual = np.where(matrix.censored[row, day], np.nan, actual)
    predicted = lines["qty"].to_numpy(dtype=float)
    error = predicted - actual
    total = np.abs(predicted) + np.abs(actual)
    scale = (
        lines["scale"].to_numpy(dtype=float)
        if "scale" in lines.columns
        else np.full(len(lines), np.nan)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        scaled = np.where(scale > 0, np.abs(error) / scale, np.nan)
        smape = np.where(total > 0, 2 * np.abs(error) / np.where(total > 0, total, 1.0), 0.0)
    inside = (lines["lower"].to_numpy(dtype=float) <= actual) & (
        actual <= lines["upper"].to_numpy(dtype=float)
    )
    scored = np.isfinite(actual)
    table = pd.DataFrame(
        {
            "product_id": lines["product_id"].to_numpy(),
            "method": lines["method"].to_numpy(),
            "week": ((lines["date"] - lines["origin"]).dt.days.to_numpy() - 1) // 7 + 1,
            "origin": lines["origin"].to_numpy(),
            "days": 1,
            "mae": np.abs(error),
            "mase": scaled,
            "smape": smape,
            "bias": error,
            "coverage": inside.astype(float),
        }
    )[scored]
    if table.empty:
        return empty
    grouped = table.groupby(keys, sort=True)
    result = grouped[["mae", "mase", "smape", "bias", "coverage"]].mean()
    result.insert(0, "days", grouped["days"].sum())
    return result.reset_index()[[*keys, *SCORE_COLUMNS]]
