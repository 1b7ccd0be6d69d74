"""Stock-outs: the demand a product could not meet because it had nothing on hand.

A stock-out day is a day in ``unavailable`` (DataFrame ``product_id, date``: nothing on hand
during the day and no sale; see :mod:`engine.history`). The demand it lost is estimated as the
demand of a normal day: the recent level of the same weekday over the days in stock before it
(:func:`engine.demand_calendar.weekday_level`: exponentially weighted, about the last four same
weekdays), the value the forecast imputes for that day.

* :func:`lost_sales` gives, per stock-out day, the expected quantity and its value at the
  product's price: the figures of a "Lost sales (estimated)" KPI (sum of ``lost_amount`` over
  the days of a period).
* :func:`stockout_runs` groups consecutive stock-out days of a product into one stock-out, with
  the units it lost (``engine.detect_anomalies`` reports them as ``STOCKOUT``).
"""

import numpy as np
import pandas as pd

from .demand_calendar import weekday_level
from .history import daily_matrix, first_true

#: Days of history used to estimate the demand of a stock-out day.
LOOKBACK_DAYS = 365
LOST_SALES_COLUMNS = ["product_id", "date", "expected_qty", "price", "lost_amount"]
RUN_COLUMNS = ["product_id", "date", "end_date", "days", "expected", "lost_units", "ongoing"]


def expected_demand(matrix):
    """Expected demand (P x D) of every stock-out day of a matrix with ``censored``, NaN on the
    other days: the same-weekday level of the days in stock before it (0 before any sale)."""
    qty, censored = matrix.qty, matrix.censored
    expected = np.full(qty.shape, np.nan)
    if censored is None or not censored.any():
        return expected
    rows = np.flatnonzero(censored.any(axis=1))
    started = np.arange(qty.shape[1])[None, :] >= first_true(qty[rows] > 0)[:, None]
    level = weekday_level(qty[rows], started & ~censored[rows])
    expected[rows] = np.where(censored[rows], level, np.nan)
    return expected


def _prices(matrix, prices):
    """Unit price per product: ``prices`` (Series by product id, or DataFrame ``product_id,
    price``), else the average price sold in the matrix (revenue / quantity), NaN without."""
    if prices is not None:
        if isinstance(prices, pd.DataFrame):
            prices = prices.set_index("product_id")["price"]
        return pd.to_numeric(prices, errors="coerce").reindex(matrix.product_ids).to_numpy(float)
    if matrix.revenue is None:
        return np.full(len(matrix.product_ids), np.nan)
    sold = matrix.qty.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(sold > 0, matrix.revenue.sum(axis=1) / sold, np.nan)


def lost_sales(history, unavailable, as_of=None, lookback_days=LOOKBACK_DAYS, prices=None):
    """Estimated demand lost on every stock-out day of the last ``lookback_days`` up to ``as_of``.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]``.
        unavailable: DataFrame ``product_id, date`` of the stock-out days.
        as_of: last day (default: the last date in ``history``).
        lookback_days: days of the window (default 365), which also give the normal levels.
        prices: optional unit prices, a Series indexed by product id or a DataFrame
            ``product_id, price``; default the average price sold in the window (``amount /
            qty``, NaN without ``amount``).

    Returns:
        DataFrame ``product_id, date, expected_qty, price, lost_amount`` (``expected_qty x
        price``), one row per stock-out day (days that sold something are not stock-outs),
        sorted by product and date.
    """
    matrix = daily_matrix(
        history, as_of=as_of, lookback_days=lookback_days, unavailable=unavailable
    )
    if not len(matrix.product_ids) or not len(matrix.dates):
        return pd.DataFrame(columns=LOST_SALES_COLUMNS)
    expected = expected_demand(matrix)
    rows, days = np.nonzero(np.isfinite(expected))
    price = _prices(matrix, prices)[rows]
    quantity = expected[rows, days]
    return pd.DataFrame(
        {
            "product_id": matrix.product_ids[rows],
            "date": matrix.dates[days],
            "expected_qty": quantity,
            "price": price,
            "lost_amount": quantity * price,
        },
        columns=LOST_SALES_COLUMNS,
    )


def stockout_runs(matrix, first_day=0):
    """Stock-outs (runs of consecutive censored days) of a matrix that reach day ``first_day``
    or later.

    Returns:
        DataFrame ``product_id, date`` (first day of the run, as far as the matrix goes back),
        ``end_date``, ``days``, ``expected`` (mean expected demand a day), ``lost_units`` (sum
        of the expected demand of its days), ``ongoing`` (the run reaches the last day).
    """
    censored = matrix.censored
    if censored is None or not censored[:, first_day:].any():
        return pd.DataFrame(columns=RUN_COLUMNS)
    expected = expected_demand(matrix)
    n_days = censored.shape[1]
    edges = np.diff(
        np.concatenate(
            [np.zeros((len(censored), 1)), censored, np.zeros((len(censored), 1))], 1
        ).astype(np.int8),
        axis=1,
    )
    starts_row, starts = np.nonzero(edges == 1)
    _ends_row, ends = np.nonzero(edges == -1)  # exclusive; same order as the starts
    keep = ends - 1 >= first_day
    starts_row, starts, ends = starts_row[keep], starts[keep], ends[keep]
    cumulative = np.concatenate(
        [np.zeros((len(censored), 1)), np.cumsum(np.nan_to_num(expected), axis=1)], axis=1
    )
    lost = cumulative[starts_row, ends] - cumulative[starts_row, starts]
    days = ends - starts
    return pd.DataFrame(
        {
            "product_id": matrix.product_ids[starts_row],
            "date": matrix.dates[starts],
            "end_date": matrix.dates[ends - 1],
            "days": days,
            "expected": lost / days,
            "lost_units": lost,
            "ongoing": ends == n_days,
        },
        columns=RUN_COLUMNS,
    )
