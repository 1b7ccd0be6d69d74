"""The planner's adjustments of a statistical forecast (issue 11, item 5).

An adjustment (DataFrame ``ADJUSTMENT_COLUMNS``) changes a product's daily forecast from
``date_from`` to ``date_to`` (both included):

* ``kind = "factor"``: the day's forecast × ``value`` (a promotion ×2, a phase-out ×0);
* ``kind = "quantity"``: the day's forecast is ``value`` units, whatever the statistics said
  (a new customer's known orders).

``value`` is a number ≥ 0. When adjustments of a product overlap, the last row wins on the days
they share (the Odoo model forbids overlaps).

The interval of an adjusted day or total follows the point: with a statistical point ``s > 0``
and an adjusted point ``a``, a bound ``b`` becomes ``b × a / s`` (the uncertainty grows with the
demand the planner expects); with ``s = 0`` it is shifted, ``max(b + a, 0)``. The same rule gives
:meth:`AdjustedCalibration.total_quantile` (the demand over lead time + review period that
``engine.plan_orders`` orders for): the quantile of the statistical T-day total scaled by the
adjusted total over the statistical one (shifted by the adjusted total when the statistical one
is 0).
"""

import numpy as np
import pandas as pd

from .forecasting import TOTAL_DAYS, ForecastResult

ADJUSTMENT_COLUMNS = ("product_id", "date_from", "date_to", "kind", "value")
KINDS = ("factor", "quantity")


def check_adjustments(adjustments):
    """``adjustments`` as a clean DataFrame (``ADJUSTMENT_COLUMNS``, dates as datetime64, values
    as floats, in input order); ``None`` gives an empty frame.

    Raises:
        ValueError: a missing column, an unknown kind, a value that is not a number ≥ 0, or a
            ``date_to`` before its ``date_from``.
    """
    if adjustments is None:
        return pd.DataFrame({name: pd.Series(dtype=object) for name in ADJUSTMENT_COLUMNS})
    missing = [name for name in ADJUSTMENT_COLUMNS if name not in adjustments.columns]
    if missing:
        raise ValueError("adjustments is missing the column(s) %s" % ", ".join(missing))
    frame = adjustments[list(ADJUSTMENT_COLUMNS)].reset_index(drop=True).copy()
    frame["product_id"] = frame["product_id"].astype(np.int64)
    frame["date_from"] = pd.to_datetime(frame["date_from"]).dt.normalize()
    frame["date_to"] = pd.to_datetime(frame["date_to"]).dt.normalize()
    frame["value"] = pd.to_numeric(frame["value"], errors="coerce").astype(float)
    unknown = sorted(set(frame["kind"]) - set(KINDS))
    if unknown:
        raise ValueError("unknown adjustment kind(s): %s" % ", ".join(map(str, unknown)))
    if not (np.isfinite(frame["value"]) & (frame["value"] >= 0)).all():
        raise ValueError("an adjustment value must be a number >= 0")
    if (frame["date_to"] < frame["date_from"]).any():
        raise ValueError("an adjustment ends before it starts")
    return frame


def adjust_lines(lines, adjustments):
    """The adjusted quantity of every daily forecast line.

    Args:
        lines: DataFrame ``product_id, date, qty`` (e.g. ``ForecastResult.lines``).
        adjustments: DataFrame ``ADJUSTMENT_COLUMNS`` or ``None``.

    Returns:
        ``numpy`` array aligned with ``lines``: the adjusted quantity of each line, NaN where no
        adjustment covers it (the statistical ``qty`` then stands).
    """
    adjusted = np.full(len(lines), np.nan)
    adjustments = check_adjustments(adjustments)
    if adjustments.empty or lines.empty:
        return adjusted
    days = pd.to_datetime(lines["date"]).dt.normalize().to_numpy()
    products = lines["product_id"].to_numpy(dtype=np.int64)
    qty = lines["qty"].to_numpy(dtype=float)
    for row in adjustments.itertuples(index=False):
        covered = (
            (products == row.product_id)
            & (days >= np.datetime64(row.date_from))
            & (days <= np.datetime64(row.date_to))
        )
        if covered.any():
            adjusted[covered] = qty[covered] * row.value if row.kind == "factor" else row.value
    return adjusted


def follow_point(bound, statistical, adjusted):
    """A bound of the statistical point ``statistical`` moved to follow the ``adjusted`` one
    (arrays): scaled by ``adjusted / statistical``, shifted by ``adjusted`` where the statistical
    point is 0 (see the module docstring); NaN ``adjusted`` leaves the bound as it is."""
    bound, statistical, adjusted = (
        np.asarray(x, dtype=float) for x in (bound, statistical, adjusted)
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        moved = np.where(
            statistical > 0,
            bound * adjusted / np.where(statistical > 0, statistical, 1.0),
            np.maximum(bound + adjusted, 0.0),
        )
    return np.where(np.isfinite(adjusted), moved, bound)


class AdjustedCalibration:
    """:meth:`engine.ForecastResult.total_quantile` of an adjusted forecast: the statistical
    calibration's quantile moved by :func:`follow_point` from the statistical T-day total to the
    adjusted one (``point``: the adjusted daily points, aligned with the summary)."""

    def __init__(self, calibration, point):
        self.calibration, self.point = calibration, point

    def total_quantile(self, days, level):
        """See :meth:`engine.ForecastResult.total_quantile` (``days``, ``level``: arrays (P,))."""
        table = self.calibration.total_quantile(days, level)
        if table.empty:
            return table
        cumulative = np.cumsum(self.point, axis=1)
        total = cumulative[np.arange(len(table)), table["days"].to_numpy(dtype=np.int64) - 1]
        quantile = follow_point(table["quantile"], table["total"], total)
        return table.assign(total=total, quantile=np.maximum(quantile, 0.0))


def adjust_forecast(result, adjustments):
    """The forecast the planner's adjustments make of a statistical ``result``.

    Args:
        result: :class:`engine.ForecastResult` of :func:`engine.forecast_products`.
        adjustments: DataFrame ``ADJUSTMENT_COLUMNS`` or ``None``.

    Returns:
        ``(adjusted, qty_adjusted)``: ``adjusted`` a :class:`engine.ForecastResult` whose daily
        points and bounds, totals (``qty_7d`` …, with their bounds), ``daily_demand`` (moved by
        the first week's adjusted units a day) and ``sigma_daily`` follow the adjustments, with
        a summary column ``adjusted_days`` (days of the horizon adjusted) and a calibration
        whose :meth:`total_quantile` follows them too (:class:`AdjustedCalibration`);
        ``qty_adjusted`` the array of :func:`adjust_lines` for ``result.lines``. Without any
        adjustment on its products ``adjusted`` is ``result`` itself.
    """
    qty_adjusted = adjust_lines(result.lines, adjustments)
    if not np.isfinite(qty_adjusted).any():
        return result, qty_adjusted
    lines = result.lines
    statistical = lines["qty"].to_numpy(dtype=float)
    point = np.where(np.isfinite(qty_adjusted), qty_adjusted, statistical)
    adjusted_lines = lines.assign(
        qty=point,
        lower=follow_point(lines["lower"], statistical, qty_adjusted),
        upper=follow_point(lines["upper"], statistical, qty_adjusted),
    )
    summary = result.summary.copy()
    ids = summary["product_id"].to_numpy(dtype=np.int64)
    matrix = _per_day(lines, ids, point)
    flags = _per_day(lines, ids, np.isfinite(qty_adjusted).astype(float))
    horizon = matrix.shape[1]
    cumulative = np.cumsum(matrix, axis=1)
    for days in TOTAL_DAYS:
        length = min(days, horizon)
        before = summary["qty_%dd" % days].to_numpy(dtype=float)
        after = cumulative[:, length - 1]
        for bound in ("lower", "upper"):
            name = "%s_%dd" % (bound, days)
            summary[name] = follow_point(summary[name], before, after)
        summary["qty_%dd" % days] = after
    week = min(TOTAL_DAYS[0], horizon)
    before_week = result.summary["qty_%dd" % TOTAL_DAYS[0]].to_numpy(dtype=float)
    after_week = summary["qty_%dd" % TOTAL_DAYS[0]].to_numpy(dtype=float)
    summary["daily_demand"] = np.maximum(
        summary["daily_demand"].to_numpy(dtype=float) + (after_week - before_week) / week, 0.0
    )
    if "sigma_daily" in summary.columns:
        sigma = summary["sigma_daily"].to_numpy(dtype=float)
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = np.where(
                before_week > 0, after_week / np.where(before_week > 0, before_week, 1), 1
            )
        summary["sigma_daily"] = sigma * ratio
    summary["adjusted_days"] = flags.sum(axis=1).astype(np.int64)
    calibration = None
    if result.calibration is not None:
        calibration = AdjustedCalibration(result.calibration, matrix)
    return ForecastResult(adjusted_lines, summary, calibration), qty_adjusted


def _per_day(lines, product_ids, values):
    """(P, H) matrix of the ``values`` of ``lines`` (``product_id, date``; the same H days for
    every product), rows in the order of ``product_ids``."""
    days = pd.to_datetime(lines["date"]).dt.normalize()
    position = (days - days.min()).dt.days.to_numpy() if len(days) else np.zeros(0, np.int64)
    horizon = int(position.max()) + 1 if len(position) else 0
    rows = pd.Index(product_ids).get_indexer(lines["product_id"].to_numpy(dtype=np.int64))
    matrix = np.zeros((len(product_ids), horizon))
    matrix[rows, position] = values
    return matrix
