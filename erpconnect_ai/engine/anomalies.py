"""Abnormal sales days (issue 3, item 5).

Each of the last ``scan_days`` days up to ``as_of`` is compared with a reference window made of
the days *before* it (the scanned day is excluded, so a spike cannot inflate its own σ and hide):

- ``mode="zscore"``: the ``window_days`` (30) days before; expected = their mean μ,
  z = (x − μ) / σ with σ their sample standard deviation (ddof 1). At least
  min(7, window_days) observed days are needed.
- ``mode="robust"`` (day-of-week aware): the same weekday in the ``max(ceil(window_days / 7), 8)``
  whole weeks before; expected = their median. Quantities are treated as counts and compared on
  the Anscombe scale a(x) = 2·√(x + 3/8), where Poisson noise has a standard deviation of about 1
  at any level (a busy Monday is not noisier than a quiet Tuesday there):
  z = (a(x) − median a) / max(1.4826 · MAD, q90 / 1.645, 1). The residuals are pooled over the
  7 weekdays of the window, each day measured against the median of the *other* same-weekday
  days (leave one out, so the scale is that of a new day against a median, not shrunk by the
  fit); MAD is their median, q90 their 90th percentile (linear interpolation), each turned into a
  σ as for normal noise. A weekly pattern is part of the reference, so busy Mondays are not
  flagged; the floor of 1 (Poisson noise) keeps a single extra sale of a slow product from being
  flagged; q90 keeps zero-inflated demand (a spare part selling 1-10 units on one day in four:
  MAD 0) from flagging its ordinary orders. At least 4 reference days are needed. The expected
  quantity of a scanned day is then multiplied by that day's market factor
  (:func:`market_factors`: the median, over the products expected to sell at least 2 units, of
  actual / expected, with at least 20 such products; else 1), so that a day when the whole
  catalogue sells less or more (an unannounced holiday, a month-end shift: 81 % of the false
  alerts on the real SID data) is not an anomaly of every product.

Defaults (``mode="robust"``, ``z_threshold=3.7``) were tuned with ``bench/anomaly_bench.py``
(planted spikes x3-x8 and drops to zero on busy days, planted stock-outs): on seeds 1-3, and
checked on seeds 4-7, precision 0.83 and recall 0.82-0.83 of the spikes of x4 or more, with 0.6
false alerts per 1,000 product-days (real SID series with planted anomalies: precision 0.98,
recall 1.0, 0.16 false alerts per 1,000 product-days); the z-score mode flags 4-13 false alerts
per 1,000 product-days at thresholds that keep that recall.

In z-score mode, when σ is 0 (every reference day equal) it is replaced by max(1, √μ), the
Poisson standard deviation of the level floored at one unit: 10 units every day then 11 is
z = (11 − 10) / √10 = 0.32, not infinite. Days before a product's first sale are neither
scanned nor used as reference (a launch is not a spike).

A day is reported when |z| ≥ min(z_threshold, low_threshold); ``kind`` is SPIKE (z > 0) or DROP
(z < 0); ``severity``: HIGH when |z| ≥ 4 (and ≥ z_threshold), MEDIUM when z_threshold ≤ |z| < 4,
LOW when low_threshold ≤ |z| < z_threshold (below the anomaly threshold, reported only when
low_threshold < z_threshold). Boundaries are inclusive at the lower end: with z_threshold 3.0,
|z| = 3.0 is MEDIUM; |z| = 4.0 is HIGH.

Stock-outs (``unavailable``: days a product could not be sold, see :mod:`engine.history`) are
not demand: they are neither scanned (a zero-sales day while out of stock is never a DROP) nor
used as reference days. They are reported apart, one row of kind ``STOCKOUT`` per run of
consecutive stock-out days that reaches the scanned days: ``date`` its first day (looking back
up to a year), ``end_date`` its last, ``qty`` 0, ``expected`` the mean demand a day it lost and
``lost_units`` the total (:mod:`engine.stockouts`: the recent level of the same weekday),
``z`` NaN, severity MEDIUM while it lasts (it reaches ``as_of``) and has lost at least
``STOCKOUT_ALERT_UNITS`` (one unit of expected demand), LOW otherwise (ended, or a product
expected to sell less than a unit over those days: not yet worth a to-do). A stock-out that
lost nothing (days its product was not expected to sell, e.g. between the Mondays of a weekly
product) is not reported. Other rows have ``end_date = date`` and ``lost_units`` 0.
"""

import math

import numpy as np
import pandas as pd

from .history import daily_matrix
from .stockouts import LOOKBACK_DAYS, stockout_runs

HIGH_Z = 4.0
MAD_TO_SIGMA = 1.4826
#: Smallest robust scale in Anscombe units: the standard deviation of 2·√(X + 3/8) for Poisson X.
MIN_ROOT_SCALE = 1.0
#: Robust scale from the 90th percentile of the absolute residuals too (zero-inflated demand).
TAIL_QUANTILE = 0.9
#: 90th percentile of |N(0, 1)|: Φ⁻¹(0.95).
TAIL_TO_SIGMA = 1.6448536269514722
DEFAULT_MODE = "robust"
#: Market factor of a day (:func:`market_factors`): products expected to sell at least this
#: many units, at least this many of them.
MARKET_MIN_EXPECTED = 2.0
MARKET_MIN_PRODUCTS = 20
DEFAULT_Z_THRESHOLD = 3.7
ROBUST_MIN_WEEKS = 8
#: A running stock-out is a MEDIUM alert once it has lost at least this much expected demand.
STOCKOUT_ALERT_UNITS = 1.0
ROBUST_MIN_REFERENCES = 4
ZSCORE_MIN_REFERENCES = 7
_BLOCK_PRODUCTS = 2000
ANOMALY_COLUMNS = [
    "product_id",
    "date",
    "qty",
    "expected",
    "z",
    "kind",
    "severity",
    "end_date",
    "lost_units",
]


def _anscombe(values):
    """Anscombe transform 2·√(x + 3/8): Poisson counts get a variance of about 1 at any level."""
    return 2.0 * np.sqrt(values + 0.375)


def _from_anscombe(values):
    return (values / 2.0) ** 2 - 0.375


def _zero_scale(expected):
    return np.maximum(np.sqrt(np.maximum(expected, 0.0)), 1.0)


def _zscore_block(windows, values, min_references):
    """Expected level and z of the scanned values against their windows (NaN = not observed)."""
    observed = ~np.isnan(windows)
    count = observed.sum(axis=2)
    filled = np.where(observed, windows, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = filled.sum(axis=2) / np.maximum(count, 1)
        squares = (np.where(observed, windows - mean[..., np.newaxis], 0.0) ** 2).sum(axis=2)
        sigma = np.sqrt(squares / np.maximum(count - 1, 1))
    scale = np.where(sigma > 1e-12, sigma, _zero_scale(mean))
    z = (values - mean) / scale
    return mean, np.where(count >= min_references, z, np.nan)


def _robust_block(windows, values):
    """Weekday median and leave-one-out MAD z, on the Anscombe scale (see the module docstring).

    Args:
        windows: (N, S, 7·W) Anscombe-transformed reference days of each scanned day (NaN where
            not observed): the W whole weeks before it, index 0, 7, 14, … the same weekday.
        values: (N, S) Anscombe-transformed scanned days.

    Returns:
        (expected quantity in units = weekday median, center, scale), all (N, S): z is
        ``(value - center) / scale``; NaN center where fewer than 4 reference days.
    """
    n_rows, n_scanned, width = windows.shape
    weeks = width // 7
    ordered = np.sort(windows.reshape(n_rows, n_scanned, weeks, 7), axis=2)  # NaNs last
    count = (~np.isnan(ordered)).sum(axis=2, keepdims=True)  # (N, S, 1, 7)

    def at(index):
        return np.take_along_axis(ordered, np.clip(index, 0, weeks - 1), axis=2)

    low_middle, high_middle = at((count - 1) // 2), at(count // 2)
    center = (low_middle[..., 0, 0] + high_middle[..., 0, 0]) / 2.0
    expected = (_from_anscombe(low_middle[..., 0, 0]) + _from_anscombe(high_middle[..., 0, 0])) / 2

    # Median of the other values of the group for the value of rank r: the j-th smallest of the
    # others is the j-th of the group when j < r, else the (j+1)-th.
    rank = np.arange(weeks).reshape(1, 1, weeks, 1)
    others = count - 1
    lower, upper = (others - 1) // 2, others // 2

    def other(index):
        return np.where(index < rank, at(index), at(index + 1))

    leave_one_out = (other(lower) + other(upper)) / 2.0
    usable = (rank < count) & (others >= 1)
    residuals = np.where(usable, np.abs(ordered - leave_one_out), np.inf)
    residuals = np.sort(residuals.reshape(n_rows, n_scanned, width), axis=2)
    n_residuals = usable.sum(axis=(2, 3))[..., np.newaxis]
    middle = np.take_along_axis(residuals, np.maximum(n_residuals - 1, 0) // 2, axis=2)
    middle_high = np.take_along_axis(residuals, n_residuals // 2, axis=2)
    mad = np.where(n_residuals > 0, (middle + middle_high) / 2.0, 0.0)[..., 0]
    position = TAIL_QUANTILE * np.maximum(n_residuals - 1, 0)
    below = np.take_along_axis(residuals, np.floor(position).astype(int), axis=2)
    above = np.take_along_axis(residuals, np.ceil(position).astype(int), axis=2)
    with np.errstate(invalid="ignore"):  # inf - inf where fewer residuals than weeks x 7
        tail = below + (position - np.floor(position)) * (above - below)
    tail = np.where((n_residuals > 0) & np.isfinite(tail), tail, 0.0)[..., 0]
    scale = np.maximum(np.maximum(MAD_TO_SIGMA * mad, tail / TAIL_TO_SIGMA), MIN_ROOT_SCALE)
    return expected, np.where(count[..., 0, 0] >= ROBUST_MIN_REFERENCES, center, np.nan), scale


def market_factors(qty, expected):
    """Per scanned day (S,), the catalogue's demand relative to what each product expected:
    the median over the products expected to sell at least ``MARKET_MIN_EXPECTED`` units of
    actual / expected, when at least ``MARKET_MIN_PRODUCTS`` of them were observed; else 1.
    A day when the whole catalogue sells less (a holiday without calendar, a store closed, a
    month-end shift) is not an anomaly of each product."""
    usable = (expected >= MARKET_MIN_EXPECTED) & np.isfinite(qty)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(usable, qty / np.where(usable, expected, 1.0), np.nan)
    factors = np.ones(qty.shape[1])
    enough = usable.sum(axis=0) >= MARKET_MIN_PRODUCTS
    if enough.any():
        factors[enough] = np.nanmedian(ratio[:, enough], axis=0)
    return factors


def severity_labels(z, z_threshold=3.0, low_threshold=2.5):
    """Severity of |z| values: "HIGH", "MEDIUM", "LOW" or "" (not reported), object array."""
    magnitude = np.abs(np.asarray(z, dtype=np.float64))
    report = magnitude >= min(z_threshold, low_threshold)
    labels = np.where(
        magnitude < z_threshold, "LOW", np.where(magnitude >= HIGH_Z, "HIGH", "MEDIUM")
    )
    return np.where(report, labels, "").astype(object)


def detect_anomalies(
    history,
    window_days=30,
    z_threshold=DEFAULT_Z_THRESHOLD,
    low_threshold=2.5,
    mode=DEFAULT_MODE,
    as_of=None,
    scan_days=30,
    unavailable=None,
):
    """Abnormal sales days of every product (see the module docstring).

    Args:
        history: DataFrame ``product_id, date, qty[, amount]``.
        window_days: reference window (days before the scanned day), default 30.
        z_threshold: |z| from which a day is an anomaly (MEDIUM/HIGH), default 3.7.
        low_threshold: |z| from which a day below ``z_threshold`` is reported as LOW, default
            2.5; set it ≥ ``z_threshold`` to report anomalies only.
        mode: ``"robust"`` (default) or ``"zscore"``.
        as_of: last scanned day, default the last date in ``history``.
        scan_days: number of days scanned, ending at ``as_of``, default 30.
        unavailable: optional DataFrame ``product_id, date`` of the stock-out days.

    Returns:
        DataFrame ``product_id, date, qty, expected, z, kind, severity, end_date, lost_units``
        sorted by product and date (empty when nothing is abnormal); ``kind`` SPIKE, DROP or
        STOCKOUT (only with ``unavailable``).

    Raises:
        ValueError: unknown mode, window_days < 2, scan_days < 1, thresholds ≤ 0.
    """
    if mode not in ("zscore", "robust"):
        raise ValueError("mode must be 'zscore' or 'robust', got %r" % (mode,))
    if int(window_days) < 2:
        raise ValueError("window_days must be at least 2, got %r" % (window_days,))
    if int(scan_days) < 1:
        raise ValueError("scan_days must be at least 1, got %r" % (scan_days,))
    if not (z_threshold > 0 and low_threshold > 0):
        raise ValueError("z_threshold and low_threshold must be positive")
    window_days, scan_days = int(window_days), int(scan_days)
    if mode == "robust":
        reference_days = 7 * max(math.ceil(window_days / 7), ROBUST_MIN_WEEKS)
    else:
        reference_days = window_days
    lookback = scan_days + reference_days
    if unavailable is not None:
        lookback = max(lookback, LOOKBACK_DAYS)
    matrix = daily_matrix(history, as_of=as_of, lookback_days=lookback, unavailable=unavailable)
    n_products, n_days = matrix.qty.shape
    if n_products == 0 or n_days == 0:
        return pd.DataFrame(columns=ANOMALY_COLUMNS)
    start = np.datetime64(matrix.dates[0].date(), "D")
    first = np.where(
        np.isnat(matrix.first_sale), n_days, (matrix.first_sale - start).astype(np.int64)
    )
    first = np.clip(first, 0, n_days)
    observed = np.arange(n_days)[np.newaxis, :] >= first[:, np.newaxis]
    if matrix.censored is not None:
        observed &= ~matrix.censored
    qty = np.where(observed, matrix.qty, np.nan)
    padded = np.concatenate([np.full((n_products, reference_days), np.nan), qty], axis=1)
    scanned = min(scan_days, n_days)
    day_index = np.arange(n_days - scanned, n_days)
    min_references = min(ZSCORE_MIN_REFERENCES, window_days)
    expected = np.empty((n_products, scanned))
    z = np.empty((n_products, scanned))
    center, scale = np.empty((n_products, scanned)), np.empty((n_products, scanned))
    if mode == "robust":
        padded = _anscombe(padded)
    for block in range(0, n_products, _BLOCK_PRODUCTS):
        rows = slice(block, block + _BLOCK_PRODUCTS)
        windows = np.lib.stride_tricks.sliding_window_view(padded[rows], reference_days, axis=1)
        windows = windows[:, day_index, :]
        values = padded[rows][:, reference_days + day_index]
        if mode == "robust":
            expected[rows], center[rows], scale[rows] = _robust_block(windows, values)
        else:
            expected[rows], z[rows] = _zscore_block(windows, values, min_references)
    if mode == "robust":
        factors = market_factors(qty[:, day_index], np.where(np.isfinite(center), expected, 0.0))
        expected = expected * factors[None, :]
        center = _anscombe(np.maximum(_from_anscombe(center) * factors[None, :], 0.0))
        with np.errstate(invalid="ignore"):
            z = (padded[:, reference_days + day_index] - center) / scale
    z = np.where(np.isnan(qty[:, day_index]), np.nan, z)
    severity = severity_labels(np.nan_to_num(z), z_threshold, low_threshold)
    rows, columns = np.nonzero((severity != "") & ~np.isnan(z))
    found_z = z[rows, columns]
    found = pd.DataFrame(
        {
            "product_id": matrix.product_ids[rows],
            "date": matrix.dates[day_index[columns]],
            "qty": matrix.qty[rows, day_index[columns]],
            "expected": expected[rows, columns],
            "z": found_z,
            "kind": np.where(found_z > 0, "SPIKE", "DROP").astype(object),
            "severity": severity[rows, columns],
            "end_date": matrix.dates[day_index[columns]],
            "lost_units": 0.0,
        },
        columns=ANOMALY_COLUMNS,
    )
    runs = stockout_runs(matrix, first_day=n_days - scanned)
    runs = runs[runs["lost_units"] > 0]
    if runs.empty:
        return found
    stockouts = pd.DataFrame(
        {
            "product_id": runs["product_id"],
            "date": runs["date"],
            "qty": 0.0,
            "expected": runs["expected"],
            "z": np.nan,
            "kind": "STOCKOUT",
            "severity": np.where(
                runs["ongoing"] & (runs["lost_units"] >= STOCKOUT_ALERT_UNITS), "MEDIUM", "LOW"
            ).astype(object),
            "end_date": runs["end_date"],
            "lost_units": runs["lost_units"],
        },
        columns=ANOMALY_COLUMNS,
    )
    both = pd.concat([found, stockouts], ignore_index=True) if len(found) else stockouts
    return both.sort_values(["product_id", "date"], kind="stable", ignore_index=True)
