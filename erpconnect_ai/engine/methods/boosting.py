"""One global gradient-boosting model over all products (scikit-learn HistGradientBoosting).

Direct multi-horizon model: one row per (product, origin, step k) predicts the demand of day
``origin + k - 1`` divided by the product's recent level ``s`` (mean demand of the 28 days before
the origin, since its first sale; 91 or 364 days when those were all zero). Features, all computed
from the days before the origin and scaled by ``s``:

* step ``k`` and weekday of the target day, and its day of the year when the model is trained on
  at least two years (``CALENDAR_DAYS``): with less, the day of the year only tells the days of
  the training period apart and the model over-fits them;
* means of the last 7, 28, 91 and 364 days, the last 7 days one by one;
* the last value and the mean of the last four values of the target's weekday;
* last year: mean of the 7 days around the target day 364 days earlier, and the 28-day mean
  before the origin 364 days earlier (yearly seasonality);
* share of days without demand and days since the last sale (intermittency), age of the product
  (up to 91 days), ``log(1 + s)`` and the 28-day standard deviation.

The target is capped at ``TARGET_CAP`` times the scale, and so is the prediction. Without the cap
the Poisson loss diverged: a rare big order after months of nothing is a target of thousands of
times a tiny scale; scikit-learn's Newton step for a leaf is about (sum of targets) / (sum of
predictions + l2), and with predictions near 0 in that leaf one tree moved the log-prediction by
hundreds (1e116 units a day for a product selling 9 units once a month). With the cap a leaf step
is bounded and the loss stays finite; a day selling more than 15 times the recent level is
unpredictable from these features anyway, and the cap made the benchmark forecasts better
(the long-tail catalogue's MASE 0.93 -> 0.82).

Days before a product's first sale are missing values (the model handles them natively), so new
products are not mistaken for slow ones. The model is trained on a random sample of rows whose
target day lies before the earliest origin asked for (no look-ahead in the backtest); a second
model is trained for origins more than ``RETRAIN_DAYS`` later (the final forecast). The sample has
40 rows per product, from 20,000 to ``TRAIN_ROWS`` rows: more rows did not make the forecasts
measurably better in the benchmark, and training time grows with them.

scikit-learn runs on ``_threads()`` OpenMP threads (``threadpoolctl``, a scikit-learn
dependency): all cores when the machine is idle, one when it is busy.
"""

import os

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingRegressor
from threadpoolctl import threadpool_limits

from ._common import SEASON, first_sale, with_fallback

TRAIN_ROWS = 60_000
#: Training rows per product (at least ``MIN_TRAIN_ROWS``), and at most 20 per product-day.
ROWS_PER_PRODUCT = 40
MIN_TRAIN_ROWS = 20_000
ROWS_PER_DAY = 20
PREDICT_ROWS = 250_000
RETRAIN_DAYS = 56
MIN_HISTORY_DAYS = 7
WINDOWS = (7, 28, 91, 364)
LAGS = 7
SEED = 0
#: Largest target (and prediction) in units of the product's scale ``s``: see the docstring.
TARGET_CAP = 15.0
CALENDAR_DAYS = 730
#: The age of a product counts up to this many days (launch ramp-up); beyond, ages that all grow
#: with the calendar would let the model tell the training weeks apart and over-fit them.
MAX_AGE_DAYS = 91
#: Poisson loss (non-negative, multiplicative effects). 50 trees of 63 leaves forecast as well as
#: 100 of 31 in the benchmark and are 40 % cheaper to evaluate: predicting the P x H rows at
#: every origin is most of the time of an automatic forecast.
MODEL_PARAMS = {
    "loss": "poisson",
    "learning_rate": 0.3,
    "max_iter": 50,
    "max_leaf_nodes": 63,
    "min_samples_leaf": 50,
    "l2_regularization": 1.0,
    "early_stopping": False,
    "random_state": SEED,
}


class _Frame:
    """Precomputed cumulative sums of the matrix, for fast window features of many rows."""

    def __init__(self, qty, dates, horizon):
        n_products, n_days = qty.shape
        self.qty = qty
        zero = np.zeros((n_products, 1))
        self.cumsum = np.concatenate([zero, np.cumsum(qty, axis=1)], axis=1)
        self.cumsq = np.concatenate([zero, np.cumsum(qty * qty, axis=1)], axis=1)
        self.cumzero = np.concatenate([zero, np.cumsum(qty <= 0, axis=1)], axis=1)
        sold_day = np.where(qty > 0, np.arange(n_days), -1)
        self.last_sale = np.maximum.accumulate(sold_day, axis=1)
        self.start = first_sale(qty)
        calendar = pd.date_range(dates[0], periods=n_days + horizon, freq="D")
        self.weekday = calendar.day_of_week.to_numpy()
        self.day_of_year = calendar.day_of_year.to_numpy()

    def mean(self, rows, begin, end, table=None):
        """Mean of ``table`` over days ``[max(begin, first sale), end)``; NaN when empty."""
        table = self.cumsum if table is None else table
        begin = np.maximum(begin, self.start[rows])
        end = np.maximum(end, begin)
        days = end - begin
        total = table[rows, end] - table[rows, begin]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(days > 0, total / np.maximum(days, 1), np.nan)

    def value(self, rows, day):
        """Demand on ``day``; NaN before the first sale or before the matrix."""
        valid = day >= self.start[rows]
        return np.where(valid, self.qty[rows, np.clip(day, 0, self.qty.shape[1] - 1)], np.nan)

    def features(self, rows, origin, step, repeat=1, calendar=False):
        """Feature matrix (N x F, float32) and scale (N,) of the rows (product, origin, step).

        ``rows`` and ``origin`` describe N0 (product, origin) pairs; each pair is repeated
        ``repeat`` times (consecutively) to match the N = N0 x repeat values of ``step``, so the
        origin-level features of a forecast are computed once per product, not once per step.
        ``calendar`` adds the day of the year of the target day.
        """
        means = [self.mean(rows, origin - w, origin) for w in WINDOWS]
        scale = means[1]
        for longer in means[2:]:
            scale = np.where(np.nan_to_num(scale) > 0, scale, longer)
        scale = np.nan_to_num(scale)
        safe = np.where(scale > 0, scale, 1.0)
        level_columns = [
            *(m / safe for m in means),
            *(self.value(rows, origin - lag) / safe for lag in range(1, LAGS + 1)),
            self.mean(rows, origin - 364 - 28, origin - 364) / safe,
            self.mean(rows, origin - 28, origin, self.cumzero),
            np.minimum(origin - 1 - self.last_sale[rows, origin - 1], 365),
            np.minimum(origin - self.start[rows], MAX_AGE_DAYS),
            np.log1p(scale),
            np.sqrt(np.maximum(self.mean(rows, origin - 28, origin, self.cumsq) - means[1] ** 2, 0))
            / safe,
        ]
        level = np.column_stack(level_columns).astype(np.float32)
        if repeat > 1:
            rows, origin = np.repeat(rows, repeat), np.repeat(origin, repeat)
            safe, scale = np.repeat(safe, repeat), np.repeat(scale, repeat)
            level = np.repeat(level, repeat, axis=0)
        target = origin + step - 1
        # Same weekday as the target in the last observed week, and the three weeks before.
        last_week = origin - SEASON + (step - 1) % SEASON
        same_weekday = [self.value(rows, last_week - SEASON * j) for j in range(4)]
        year = target - 364
        step_columns = [
            step,
            self.weekday[target],
            *([self.day_of_year[target]] if calendar else []),
            same_weekday[0] / safe,
            np.mean(same_weekday, axis=0) / safe,
            self.mean(rows, year - 3, year + 4) / safe,
        ]
        features = np.concatenate([np.column_stack(step_columns).astype(np.float32), level], axis=1)
        return features, scale


def _train(frame, cutoff, horizon, rng):
    """Fit the model on a row sample whose target days are all before ``cutoff``.

    Returns ``(model, calendar)`` (``model`` None when there is too little to learn from).
    """
    calendar = cutoff >= CALENDAR_DAYS
    start = frame.start
    eligible = np.flatnonzero(start + MIN_HISTORY_DAYS < cutoff)
    if not len(eligible):
        return None, calendar
    wanted = min(TRAIN_ROWS, max(MIN_TRAIN_ROWS, ROWS_PER_PRODUCT * len(eligible)))
    n_rows = int(min(wanted, ROWS_PER_DAY * np.maximum(cutoff - start[eligible], 0).sum()))
    rows = eligible[rng.integers(len(eligible), size=n_rows)]
    step = rng.integers(1, horizon + 1, size=n_rows)
    low = np.maximum(start[rows] + MIN_HISTORY_DAYS, 1)
    high = cutoff - step + 1  # origin <= cutoff - step + 1 keeps the target before the cutoff
    keep = high > low
    rows, step, low, high = rows[keep], step[keep], low[keep], high[keep]
    origin = low + (rng.random(len(rows)) * (high - low)).astype(int)
    features, scale = frame.features(rows, origin, step, calendar=calendar)
    keep = scale > 0
    if keep.sum() < 100:
        return None, calendar
    target = np.minimum(frame.qty[rows, origin + step - 1] / np.where(keep, scale, 1.0), TARGET_CAP)
    features = features[keep]
    # A feature never available in training (e.g. last year, with less than a year of history)
    # is a constant the trees ignore; scikit-learn cannot bin a column without any value.
    features[:, np.isnan(features).all(axis=0)] = 0.0
    model = HistGradientBoostingRegressor(**MODEL_PARAMS)
    return model.fit(features, target[keep]), calendar


def _predict(frame, trained, origin, horizon):
    """P x H forecast at ``origin`` (flat mean for products too new or when no model)."""
    n_products = frame.qty.shape[0]
    model, calendar = trained
    if model is None:
        nothing = np.zeros(n_products, dtype=bool)
        return with_fallback(
            np.zeros((n_products, horizon)), frame.qty, frame.start, origin, nothing
        )
    point = np.empty((n_products, horizon))
    chunk = max(PREDICT_ROWS // horizon, 1)
    for first in range(0, n_products, chunk):
        rows = np.arange(first, min(first + chunk, n_products))
        step = np.tile(np.arange(1, horizon + 1), len(rows))
        origins = np.full(len(rows), origin)
        features, scale = frame.features(rows, origins, step, repeat=horizon, calendar=calendar)
        ratio = np.clip(np.nan_to_num(model.predict(features)), 0.0, TARGET_CAP)
        point[rows] = (ratio * scale).reshape(len(rows), horizon)
    old_enough = origin - frame.start >= MIN_HISTORY_DAYS
    return with_fallback(np.maximum(point, 0.0), frame.qty, frame.start, origin, old_enough)


def _threads():
    """OpenMP threads for scikit-learn: the cores the 1-minute load average leaves free, at least
    one. OpenMP threads spin while they wait, so on a busy server two threads can be several times
    slower than one."""
    cores = os.cpu_count() or 1
    try:
        load = os.getloadavg()[0]
    except OSError:  # not available on this platform
        load = 0.0
    return max(1, min(cores, round(cores - load)))


def gbm(qty, origins, horizon, dates):
    """Global gradient-boosting forecast of every product at every origin."""
    with threadpool_limits(limits=_threads(), user_api="openmp"):
        return _gbm(qty, origins, horizon, dates)


def _gbm(qty, origins, horizon, dates):
    frame = _Frame(qty, dates, horizon)
    rng = np.random.default_rng(SEED)
    result = np.empty((len(origins), qty.shape[0], horizon))
    trained, trained_at = None, None
    for f, origin in enumerate(origins):
        if trained_at is None or origin - trained_at > RETRAIN_DAYS:
            trained, trained_at = _train(frame, origin, horizon, rng), origin
        result[f] = _predict(frame, trained, origin, horizon)
    return result
