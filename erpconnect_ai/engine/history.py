"""Sales history → products × days demand matrix, the input of every engine algorithm.

The history is a DataFrame with the columns ``product_id`` (int), ``date`` (datetime64, date or
ISO string), ``qty`` (float) and optionally ``amount`` (revenue of the line). Rows may be
transaction lines or daily totals. Per product and day the quantities are summed, so returns
(negative ``qty``) are netted against the sales of the same day; the net daily demand is then
floored at 0. Days without rows are zero demand.

Stock-outs: ``unavailable`` (DataFrame ``product_id, date``) lists the days a product could not be
sold (nothing on hand during the day and no sale). Those days are *censored*: their zero is not a
demand of zero. :func:`daily_matrix` marks them in ``DemandMatrix.censored`` (only days without a
sale: a day that sold something is an observation whatever the stock said); every engine
function that takes ``unavailable`` leaves them out of what it measures or imputes them (see
:mod:`engine.demand_calendar`).
"""

from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
import pandas as pd

REQUIRED_COLUMNS = ("product_id", "date", "qty")

# Net daily quantities closer to zero than this are set to 0 (0.1 + 0.2 - 0.3 is not 0 in floats).
_NET_ZERO = 1e-9


@dataclass(frozen=True)
class DemandMatrix:
    """Daily demand of P products over D consecutive days.

    Attributes:
        product_ids: ``int64`` array (P,), sorted ascending.
        dates: ``pd.DatetimeIndex`` (D,), consecutive days, the last one is ``as_of``.
        qty: ``float64`` array (P, D), net demand per product and day, floored at 0.
        revenue: ``float64`` array (P, D) of the net ``amount`` per day floored at 0, or ``None``
            when the history has no ``amount`` column.
        order_lines: ``int64`` array (P,), number of history rows with ``qty > 0`` inside the
            window (order lines for transaction input, days with sales for daily input).
        first_sale: ``datetime64[D]`` array (P,), first day with a row ``qty > 0`` on or before
            ``as_of`` (looking at the whole history, not only the window); ``NaT`` when never.
        dropped_rows: number of input rows ignored because ``product_id``, ``date`` or ``qty``
            was missing or not a finite number.
        censored: ``bool`` array (P, D), days the product could not be sold (stock-outs from
            ``unavailable``, only days without a sale), or ``None`` when no ``unavailable`` was
            given.
    """

    product_ids: np.ndarray
    dates: pd.DatetimeIndex
    qty: np.ndarray
    revenue: np.ndarray | None = None
    order_lines: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    first_sale: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="datetime64[D]"))
    dropped_rows: int = 0
    censored: np.ndarray | None = None

    @property
    def as_of(self):
        """Last day of the matrix (``pd.Timestamp``), ``None`` for an empty matrix."""
        return self.dates[-1] if len(self.dates) else None

    def history_days(self):
        """Days from each product's first sale to ``as_of`` inclusive (P,); 0 = never sold."""
        if not len(self.dates):
            return np.zeros(len(self.product_ids), dtype=np.int64)
        end = np.datetime64(self.dates[-1].date(), "D")
        days = (end - self.first_sale).astype(np.int64) + 1
        return np.where(np.isnat(self.first_sale), 0, days)


class MatrixForecast(NamedTuple):
    """Daily forecast of P products over H days: ``point``, ``lower``, ``upper``, each (P, H)."""

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray


def to_day(value):
    """Return ``value`` (date, datetime, Timestamp or ISO string) as a ``numpy.datetime64[D]``."""
    stamp = pd.Timestamp(value)
    if stamp is pd.NaT:
        raise ValueError("as_of must be a date, got %r" % (value,))
    if stamp.tzinfo is not None:
        stamp = stamp.tz_localize(None)
    return np.datetime64(stamp.date(), "D")


def _ids_and_days(frame):
    """``product_id`` (float64, NaN where unreadable) and ``date`` (datetime64[D], NaT where
    unreadable; time zones dropped) of a frame's rows."""
    products = pd.to_numeric(frame["product_id"], errors="coerce").to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    dates = pd.to_datetime(frame["date"], errors="coerce")
    if isinstance(dates.dtype, pd.DatetimeTZDtype):
        dates = dates.dt.tz_localize(None)
    return products, dates.to_numpy().astype("datetime64[D]")


def _clean_rows(history):
    """Validate ``history`` and return its usable rows as numpy arrays.

    Returns:
        (product_id int64, day datetime64[D], qty float64, amount float64 or None, dropped count)
    """
    if not isinstance(history, pd.DataFrame):
        raise ValueError("history must be a pandas DataFrame, got %s" % type(history).__name__)
    missing = [name for name in REQUIRED_COLUMNS if name not in history.columns]
    if missing:
        raise ValueError(
            "history is missing the column(s) %s; expected product_id, date, qty and optionally "
            "amount" % ", ".join(missing)
        )
    products, days = _ids_and_days(history)
    qty = pd.to_numeric(history["qty"], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    keep = np.isfinite(products) & ~np.isnat(days) & np.isfinite(qty)
    dropped = int(len(keep) - np.count_nonzero(keep))
    products = products[keep]
    if len(products) and not np.array_equal(products, np.floor(products)):
        raise ValueError("history.product_id must hold integer product ids")
    amount = None
    if "amount" in history.columns:
        amount = pd.to_numeric(history["amount"], errors="coerce").to_numpy(
            dtype=np.float64, na_value=np.nan
        )[keep]
        amount = np.where(np.isfinite(amount), amount, 0.0)
    return products.astype(np.int64), days[keep], qty[keep], amount, dropped


def daily_matrix(history, as_of=None, lookback_days=None, *, product_ids=None, unavailable=None):
    """Build the products × days demand matrix of ``history``.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]`` (see the module docstring). Rows
            with a missing or non-numeric ``product_id``/``date``/``qty`` are dropped and counted
            in ``dropped_rows``; a missing ``amount`` counts as 0 revenue.
        as_of: last day of the matrix (inclusive). Default: the last date in ``history``. Rows
            after ``as_of`` are ignored.
        lookback_days: number of days of the matrix, ending at ``as_of``. Default: from the first
            date in ``history`` (on or before ``as_of``) to ``as_of``.
        product_ids: optional list of the products to return, in that set (sorted); products
            without rows get zero rows, rows of other products are ignored. Default: every
            product with a row on or before ``as_of``.
        unavailable: optional DataFrame ``product_id, date`` of the days each product could not
            be sold (stock-outs); sets ``censored``. Rows of other products or days, and
            unreadable rows, are ignored.

    Returns:
        :class:`DemandMatrix`. With an empty history and no ``as_of`` it has zero days.

    Raises:
        ValueError: ``history`` is not a DataFrame, misses a column, has non-integer product
            ids, or ``lookback_days`` is not a positive integer.
    """
    if lookback_days is not None and (
        isinstance(lookback_days, bool)
        or not float(lookback_days).is_integer()
        or lookback_days < 1
    ):
        raise ValueError("lookback_days must be a positive whole number, got %r" % (lookback_days,))
    products, days, qty, amount, dropped = _clean_rows(history)
    day = days.astype(np.int64)  # days since 1970-01-01

    end = int(to_day(as_of).astype(np.int64)) if as_of is not None else None
    if end is None and len(day):
        end = int(day.max())
    past = day <= end if end is not None else np.ones(len(day), dtype=bool)
    if not past.all():
        products, day, qty = products[past], day[past], qty[past]
        amount = amount[past] if amount is not None else None
    ids, code = _product_codes(products, product_ids)
    known = code >= 0
    if not known.all():
        code, day, qty = code[known], day[known], qty[known]
        amount = amount[known] if amount is not None else None

    if end is None:
        start = None
    elif lookback_days is not None:
        start = end - int(lookback_days) + 1
    else:
        start = int(day.min()) if len(day) else end

    n_products = len(ids)
    first_sale = np.full(n_products, np.datetime64("NaT"), dtype="datetime64[D]")
    sold = qty > 0
    if sold.any():
        never = np.iinfo(np.int64).max
        first = np.full(n_products, never)
        np.minimum.at(first, code[sold], day[sold])
        has_sale = first != never
        first_sale[has_sale] = first[has_sale].astype("datetime64[D]")

    if start is None:
        n_days = 0
        dates = pd.DatetimeIndex([], dtype="datetime64[ns]")
    else:
        n_days = end - start + 1
        first_day = pd.Timestamp(np.datetime64(start, "D"))
        dates = pd.date_range(first_day, periods=n_days, freq="D").as_unit("ns")
        inside = day >= start
        if not inside.all():
            code, day, qty = code[inside], day[inside], qty[inside]
            amount = amount[inside] if amount is not None else None
    flat = code * n_days + (day - (start or 0))
    size = n_products * n_days

    def _net(weights):
        matrix = np.bincount(flat, weights=weights, minlength=size).reshape(n_products, n_days)
        matrix[matrix < _NET_ZERO] = 0.0
        return matrix

    net_qty = _net(qty)
    censored = None
    if unavailable is not None:
        censored = censored_days(unavailable, ids, start or 0, n_days) & (net_qty <= 0)
    return DemandMatrix(
        product_ids=ids,
        dates=dates,
        qty=net_qty,
        revenue=_net(amount) if amount is not None else None,
        order_lines=np.bincount(code[qty > 0], minlength=n_products).astype(np.int64),
        first_sale=first_sale,
        dropped_rows=dropped,
        censored=censored,
    )


def censored_days(unavailable, product_ids, start, n_days):
    """Boolean (P, D) mask of the ``unavailable`` days of ``product_ids`` (sorted) over the
    ``n_days`` days from ``start`` (days since 1970-01-01).

    Raises:
        ValueError: ``unavailable`` is not a DataFrame with the columns ``product_id, date``.
    """
    if not isinstance(unavailable, pd.DataFrame) or not {"product_id", "date"} <= set(
        unavailable.columns
    ):
        raise ValueError("unavailable must be a DataFrame with the columns product_id, date")
    mask = np.zeros((len(product_ids), n_days), dtype=bool)
    if not len(unavailable) or not len(product_ids) or not n_days:
        return mask
    products, day = _ids_and_days(unavailable)
    keep = np.isfinite(products) & ~np.isnat(day)
    products, offset = products[keep].astype(np.int64), day[keep].astype(np.int64) - start
    row = np.minimum(np.searchsorted(product_ids, products), len(product_ids) - 1)
    inside = (product_ids[row] == products) & (offset >= 0) & (offset < n_days)
    mask[row[inside], offset[inside]] = True
    return mask


def _product_codes(products, wanted=None):
    """Sorted product ids and, per history row, its row in the matrix (-1: not wanted).

    Ids spanning a moderate range use a lookup table (linear time), others a sorted search.
    """
    ids = None if wanted is None else np.unique(np.asarray(list(wanted), dtype=np.int64))
    if not len(products):
        return (np.zeros(0, dtype=np.int64) if ids is None else ids), np.zeros(0, dtype=np.int64)
    low, high = int(products.min()), int(products.max())
    if high - low <= 4 * len(products) + 1_000_000:
        if ids is None:
            ids = np.flatnonzero(np.bincount(products - low) > 0).astype(np.int64) + low
        lookup = np.full(high - low + 1, -1, dtype=np.int64)
        known = ids[(ids >= low) & (ids <= high)]
        lookup[known - low] = np.searchsorted(ids, known)
        return ids, lookup[products - low]
    if ids is None:
        ids = np.unique(products)
    if not len(ids):
        return ids, np.full(len(products), -1, dtype=np.int64)
    position = np.minimum(np.searchsorted(ids, products), len(ids) - 1)
    return ids, np.where(ids[position] == products, position, -1)


def first_true(mask):
    """Index of the first True per row of a 2-D boolean array; the row length when none."""
    mask = np.asarray(mask, dtype=bool)
    if mask.shape[1] == 0:
        return np.zeros(mask.shape[0], dtype=np.int64)
    return np.where(mask.any(axis=1), mask.argmax(axis=1), mask.shape[1])


def trailing_mean(values, window=7):
    """Trailing moving average over the last axis, full windows only.

    Args:
        values: array (..., D).
        window: window length in days; when D < window the mean of all D values is returned as
            the single smoothed value.

    Returns:
        array (..., max(D - window + 1, 1)); element ``t`` is the mean of days ``t .. t+window-1``
        (the value belongs to the last day of its window). Exact: zeros stay exactly 0.
    """
    values = np.asarray(values, dtype=np.float64)
    if values.shape[-1] == 0:
        return np.zeros((*values.shape[:-1], 0))
    if values.shape[-1] < window:
        return values.mean(axis=-1, keepdims=True)
    windows = np.lib.stride_tricks.sliding_window_view(values, window, axis=-1)
    return windows.sum(axis=-1) / window
