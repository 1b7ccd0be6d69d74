"""Daily demand forecasts of every product at once, with a backtest, automatic method choice and
prediction intervals that cover what they promise.

Methods (``method=``): ``moving_average`` and ``polynomial`` (the classic ones, exactly as in
:mod:`engine.baseline` and :mod:`engine.polynomial`), ``seasonal_naive``, ``ets``, ``ses``,
``croston``, ``sba``, ``tsb``, ``gbm`` (:mod:`engine.methods`) and ``auto``.

How a forecast is made (:func:`forecast_products`):

1. The history becomes a products x days matrix (:func:`engine.history.daily_matrix`), at most
   the last ``MAX_HISTORY_DAYS`` days (3 years) up to ``as_of``.
2. Rolling-origin backtest: the forecast horizon H is forecast from origins ``D - H``,
   ``D - H - s``, ... (``s = min(H, 28)`` days apart, at least 3 origins and 84 days of origins)
   and compared with what was sold. A fold counts for a product when it had at least
   ``MIN_HISTORY_DAYS`` days since its first sale before the origin. All methods run on the whole
   matrix at all origins at once, the final forecast being one more origin.
3. ``auto`` evaluates every method and keeps, per product, the method of its demand class
   (smooth, erratic, intermittent, lumpy: :func:`demand_classes`) with the lowest mean backtest
   MASE over the class's products, unless the product's own best method has a MASE at most 0.6
   times that one (``OVERRIDE_RATIO``). Three folds per product are too few to choose among nine
   methods reliably: in the benchmark the per-product argmin was worse than this pooled choice.
4. Intervals (95 %) come from the backtest errors of the method kept for each product
   (:mod:`engine.intervals`: quantiles of the errors scaled by each product's seasonal-naive MAE,
   pooled over the products that kept the same method), so that they cover about 95 % of what
   happens; products with 14-90 days of history get the wider of those and of the errors of
   products that young (:meth:`_Study.quantiles`). ``moving_average`` and ``polynomial`` asked
   for by name keep their classic intervals (point ± 1.96 σ), which is part of their definition.
5. Irregular days (:mod:`engine.demand_calendar`): stock-out days (``unavailable``) and past
   holidays are imputed for the methods with a normal day's demand and not scored; holidays
   ahead get each product's learnt holiday factor, weekly closing days 0. Every forecast, at every
   origin, is then guarded: finite, >= 0 and at most ``CAP_MULTIPLE`` (3) times the product's
   largest daily demand in the history before its origin; ``auto`` never keeps a method whose
   final forecast had to be cut (a warning says so), and a cut forecast says ``capped``.
6. The summary explains the forecast (``EXPLAIN_COLUMNS``: the seasonal naive's backtest MASE,
   level, trend, weekday factors, closed weekdays, holiday factor, censored days, cap, and
   ``sigma_daily``); :meth:`ForecastResult.total_quantile` gives any quantile of the demand over
   the first T days (lead time + review) from the same calibration as the bands.

Fallbacks, reported in ``warning`` (never an exception):

* no sale in the (at most 3 years of) history up to ``as_of``: zero forecast and interval,
  method ``moving_average``;
* fewer than ``MIN_HISTORY_DAYS`` days since the first sale: the classic 7-day moving average
  with its interval (method ``moving_average``);
* too little history for any backtest fold: ``auto`` uses the method of the product's demand class
  (``ets``, ``DEFAULT_METHOD``, when no product has folds) and intervals pooled from the products
  that have folds, or point ± 1.96 σ of the daily demand since the first sale when no product
  has any;
* history rows whose quantity is not a number are ignored (the product's warning says how many).

Summary totals: ``qty_7d``, ``qty_30d``, ``qty_90d`` (and their bounds) are the sums of the first
7, 30 and 90 forecast days; when the horizon is shorter they are the totals of the whole horizon
(``qty_90d`` of a 30-day forecast is its 30-day total). Their intervals are calibrated on the
backtest sums of the first T days, not summed from the daily bounds.
"""

import math
import numbers
from dataclasses import replace
from statistics import NormalDist
from typing import NamedTuple

import numpy as np
import pandas as pd

from . import intervals, metrics
from .baseline import LOOKBACK_DAYS, baseline_arrays, demand_baseline, moving_average_forecast
from .demand_calendar import WEEKDAYS, Calendar, holiday_effect
from .history import daily_matrix
from .methods import METHODS, run_methods
from .methods._common import first_sale
from .polynomial import forecast_with_models, polynomial_forecast
from .replenishment import ADI_LIMIT, CV2_LIMIT, demand_statistics

METHOD_NAMES = (*METHODS, "auto")
#: Classic methods whose own interval (point ± 1.96 σ) is kept when they are asked for by name.
CLASSIC_METHODS = ("moving_average", "polynomial")
DEFAULT_METHOD = "ets"
MAX_HISTORY_DAYS = 1096
MAX_HORIZON_DAYS = 730
MIN_HISTORY_DAYS = 14
FOLD_STEP_DAYS = 28
MIN_CLASS_PRODUCTS = 20
OVERRIDE_RATIO = 0.6
SCALE_DAYS = 91
BACKTEST_DAYS = 84
MIN_BACKTEST_HORIZON = 7
TOTAL_DAYS = (7, 30, 90)
#: A forecast (point or bound) is at most this multiple of the largest daily demand of the
#: product in the history used (up to 3 years, before the forecast origin).
CAP_MULTIPLE = 3.0
#: Products with at most this many days of history get intervals from the errors of products
#: that were as young at a backtest origin.
YOUNG_DAYS = 90
NAIVE_METHOD = "seasonal_naive"
#: Days of forecast (and of history) that describe it in the summary.
EXPLAIN_DAYS = 28
NO_SALES_WARNING = "no sales in the history used (at most 3 years): zero forecast"
Z_95 = 1.96

#: Summary columns that say why the forecast is what it is (docs/architecture.md).
EXPLAIN_COLUMNS = [
    "sigma_daily",
    "mase_scale",
    "naive_mase",
    "history_days",
    "recent_level",
    "level",
    "trend_28d",
    *("weekday_%s" % day for day in WEEKDAYS),
    "closed_weekdays",
    "holiday_factor",
    "holiday_effect",
    "holiday_days",
    "censored_days",
    "capped",
]
LINE_COLUMNS = ["product_id", "date", "qty", "lower", "upper", "method"]
SUMMARY_COLUMNS = [
    "product_id",
    "method",
    "daily_demand",
    "trend",
    "confidence",
    "qty_7d",
    "qty_30d",
    "qty_90d",
    "lower_7d",
    "upper_7d",
    "lower_30d",
    "upper_30d",
    "lower_90d",
    "upper_90d",
    "mase",
    "smape",
    "warning",
    *EXPLAIN_COLUMNS,
]
BACKTEST_COLUMNS = ["product_id", "method", "mae", "smape", "mase", "rmsse", "bias", "coverage"]
METRICS = ("mae", "smape", "mase", "rmsse", "bias")


class ForecastResult(NamedTuple):
    """Daily ``lines`` (``LINE_COLUMNS``), one ``summary`` row per product (``SUMMARY_COLUMNS``)
    and the ``calibration`` behind the intervals (:meth:`total_quantile`)."""

    lines: pd.DataFrame
    summary: pd.DataFrame
    calibration: "TotalCalibration | None" = None

    def total_quantile(self, days, level):
        """Quantile at ``level`` of each product's total demand over its first ``days`` forecast
        days: the calibrated distribution of the sum, as the 95 % bands of the totals but at any
        probability and length (e.g. the demand over lead time + review period at a service
        level).

        Args:
            days: whole number of days T (1 to the horizon), or one per product: an array
                aligned with ``summary`` rows, or a Series indexed by ``product_id``.
            level: probability in (0, 1), one for all or one per product (same forms).

        Returns:
            DataFrame ``product_id, days, level, total, quantile`` (one row per summary
            product, in its order): ``total`` the sum of the first T daily forecasts,
            ``quantile`` the level-quantile of the T-day demand, in [0, T x cap]. See
            :class:`TotalCalibration`.

        Raises:
            ValueError: days outside 1..horizon, a level outside (0, 1), or sizes that do not
                match the summary.
        """
        if self.calibration is None:
            return pd.DataFrame(columns=["product_id", "days", "level", "total", "quantile"])
        ids = self.summary["product_id"].to_numpy()
        return self.calibration.total_quantile(
            _per_product(days, ids, "days"), _per_product(level, ids, "level")
        )


# --- arguments ------------------------------------------------------------------------------------


def _whole_number(value, name, low, high):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError("%s must be a whole number, got %r" % (name, value))
    if not float(value).is_integer() or not low <= value <= high:
        raise ValueError(
            "%s must be a whole number from %d to %d, got %r" % (name, low, high, value)
        )
    return int(value)


def _check_method(method):
    if not isinstance(method, str) or method not in METHOD_NAMES:
        raise ValueError(
            "unknown forecast method %r; expected one of: %s" % (method, ", ".join(METHOD_NAMES))
        )
    return method


# --- data -----------------------------------------------------------------------------------------


def _matrix(history, as_of, unavailable=None):
    """Demand matrix of the last ``MAX_HISTORY_DAYS`` days, without leading days nobody sold."""
    matrix = daily_matrix(
        history, as_of=as_of, lookback_days=MAX_HISTORY_DAYS, unavailable=unavailable
    )
    if not len(matrix.dates):
        return matrix
    sold = (matrix.qty > 0).any(axis=0)
    first_day = int(sold.argmax()) if sold.any() else matrix.qty.shape[1] - 1
    censored = matrix.censored[:, first_day:] if matrix.censored is not None else None
    return replace(
        matrix,
        dates=matrix.dates[first_day:],
        qty=matrix.qty[:, first_day:],
        revenue=None,
        censored=censored,
    )


def _per_product(values, product_ids, name):
    """``values`` as a float array aligned with ``product_ids``: a scalar, an array of the same
    length, or a Series indexed by product id (every product must be in it)."""
    if isinstance(values, pd.Series):
        aligned = values.reindex(product_ids)
        if aligned.isna().any():
            raise ValueError("%s has no value for some products" % name)
        return aligned.to_numpy(dtype=np.float64)
    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 0:
        return np.full(len(product_ids), float(array))
    if array.shape != (len(product_ids),):
        raise ValueError("%s must have one value per product (%d)" % (name, len(product_ids)))
    return array


def _not_a_number_rows(history, product_ids):
    """Per product of ``product_ids``, the number of history rows whose qty is not a number."""
    qty = pd.to_numeric(history["qty"], errors="coerce")
    bad = pd.to_numeric(
        history.loc[~np.isfinite(qty.to_numpy(dtype=float, na_value=np.nan)), "product_id"],
        errors="coerce",
    )
    counts = bad.value_counts()
    return np.array([int(counts.get(pid, 0)) for pid in product_ids], dtype=np.int64)


# --- backtest -------------------------------------------------------------------------------------


def demand_classes(matrix):
    """Syntetos-Boylan-Croston class of each product of a demand matrix: 0 smooth, 1 erratic,
    2 intermittent, 3 lumpy (intermittent: average inter-demand interval above 1.32 days; erratic:
    squared coefficient of variation of the non-zero demands above 0.49, as computed by
    :func:`engine.replenishment.demand_statistics`). Products without a sale are smooth."""
    stats = demand_statistics(matrix)
    intermittent = stats["adi"].to_numpy(dtype=float, na_value=0.0) > ADI_LIMIT
    erratic = stats["cv2"].to_numpy(dtype=float, na_value=0.0) > CV2_LIMIT
    return 2 * intermittent + erratic


def _fold_origins(n_days, horizon, folds):
    """Backtest origins (ascending) and the backtested horizon (<= H when history is short)."""
    step = min(horizon, FOLD_STEP_DAYS)
    tested = min(horizon, n_days - MIN_HISTORY_DAYS)
    if tested < MIN_BACKTEST_HORIZON:
        return [], 0
    last = n_days - tested
    origins = [last - step * i for i in range(folds)]
    return sorted(o for o in origins if o >= MIN_HISTORY_DAYS), tested


def _auto_folds(horizon):
    return max(3, math.ceil(BACKTEST_DAYS / min(horizon, FOLD_STEP_DAYS)))


def _guard(point, cap):
    """``(point, capped)``: forecasts (P, H) made finite, >= 0 and <= ``cap`` (P,); ``capped``
    (P,) marks the rows that were not finite or above the cap (NaN counts as 0, +inf as the cap).
    """
    limit = cap[:, None]
    over = ~np.isfinite(point) | (point > limit * (1 + 1e-9) + 1e-9)
    capped = over.any(axis=1)
    if capped.any() or (point < 0).any():
        point = np.clip(np.nan_to_num(point, nan=0.0, posinf=np.inf, neginf=0.0), 0.0, limit)
    return point, capped


def _wider(quantiles, others):
    """The wider of two (rows, 2, K) lower/upper quantile sets, element by element."""
    return np.stack(
        [np.fmin(quantiles[:, 0], others[:, 0]), np.fmax(quantiles[:, 1], others[:, 1])], axis=1
    )


def _interval(point, scale, daily, width, cap):
    """``(lower, upper)`` around ``point`` (P x K) from scaled quantiles (P x 2 x K) times
    ``width`` (P x K or None, see :meth:`engine.demand_calendar.Calendar.adjust`), the upper
    bound at most ``cap`` (P,)."""
    if width is not None:
        daily = daily * width[:, None, :]
    lower, upper = intervals.apply(point, scale, daily)
    return lower, np.maximum(np.minimum(upper, cap[:, None]), point)


class _Study:
    """Point forecasts of some methods at the backtest origins and the final origin (index -1),
    with what is needed to score them: actuals, validity of each fold, scales.

    The methods forecast from the history with its irregular days (stock-outs, holidays)
    imputed (:class:`engine.demand_calendar.Calendar`); every forecast is then adjusted for the
    holidays and closed weekdays ahead and guarded (:func:`_guard`: finite, >= 0, at most
    ``CAP_MULTIPLE`` times the largest daily demand before its origin), at every origin alike.
    Stock-out days are not scored (NaN actuals) and left out of the scales.
    """

    def __init__(self, matrix, names, horizon, folds, holidays=None):
        self.qty = qty = matrix.qty
        self.dates = matrix.dates
        n_products, n_days = qty.shape
        self.horizon = horizon
        self.start = first_sale(qty)
        self.origins, self.tested = _fold_origins(n_days, horizon, folds)
        every = [*self.origins, n_days]
        self.calendar = Calendar.build(
            qty, matrix.censored, self.dates, holidays, horizon, self.start, every
        )
        self.fit = self.calendar.fit_qty()
        # Demand classes from the days before the first origin (no look-ahead in the backtest).
        known = self.origins[0] if self.origins else n_days
        self.classes = demand_classes(replace(matrix, qty=self.fit[:, :known], censored=None))
        self.calendar.prepare(every, self.classes)
        peak = np.maximum.accumulate(qty, axis=1)
        self.cap = CAP_MULTIPLE * np.stack([peak[:, o - 1] for o in every])
        wanted = list(dict.fromkeys([*names, NAIVE_METHOD]))
        self.forecasts = run_methods(wanted, self.fit, every, horizon, self.dates)
        self.capped = {}
        self.width = [None] * len(every)
        for name, values in self.forecasts.items():
            capped = np.zeros((len(every), n_products), dtype=bool)
            for f in range(len(every)):
                point, self.width[f] = self.calendar.adjust(values[f], f)
                values[f], capped[f] = _guard(point, self.cap[f])
            self.capped[name] = capped
        days = np.arange(n_days)[None, :]
        unscored = (days < self.start[:, None]) | self.calendar.censored
        # Holidays with an effect are not ordinary days: left out of the scales too.
        unscored_scale = unscored | (self.calendar.irregular & self.calendar.past_holidays)
        observed = np.where(unscored, np.nan, qty)
        self.insample = np.where(unscored_scale, np.nan, qty)
        origins = np.array(self.origins, dtype=int).reshape(-1, 1)
        self.valid = origins - self.start[None, :] >= MIN_HISTORY_DAYS
        self.young = origins - self.start[None, :] <= YOUNG_DAYS
        self.actual = (
            np.stack([observed[:, o : o + self.tested] for o in self.origins])
            if self.origins
            else np.zeros((0, n_products, 0))
        )
        self.scale = (
            np.stack(
                [intervals.error_scale(self.insample[:, :o][:, -SCALE_DAYS:]) for o in self.origins]
            )
            if self.origins
            else np.zeros((0, n_products))
        )
        self.final_scale = intervals.error_scale(self.insample[:, -SCALE_DAYS:])
        self._metrics = {}

    def metric(self, name, metric):
        """F x P values of one metric (``METRICS``), NaN on folds that do not count."""
        key = (name, metric)
        if key not in self._metrics:
            rows = []
            for f, origin in enumerate(self.origins):
                actual = self.actual[f]
                predicted = self.forecasts[name][f, :, : self.tested]
                if metric in ("mase", "rmsse"):
                    values = getattr(metrics, metric)(actual, predicted, self.insample[:, :origin])
                else:
                    values = getattr(metrics, metric)(actual, predicted)
                rows.append(values)
            table = np.array(rows).reshape(len(self.origins), self.qty.shape[0])
            self._metrics[key] = np.where(self.valid, table, np.nan)
        return self._metrics[key]

    def mean_metric(self, name, metric, folds=None):
        """Mean of a metric over the product's valid folds (optionally only some folds)."""
        table = self.metric(name, metric)
        return _fold_mean(table if folds is None else table[folds])

    def excluded(self, names, fold):
        """(len(names), P) bool: methods whose forecast at origin number ``fold`` was capped."""
        return np.stack([self.capped[name][fold] for name in names])

    def choose(self, names, folds=None, excluded=None):
        """Method of each product: index in ``names``, and whether the product had backtest folds.

        Per demand class (:func:`demand_classes`) the method with the lowest mean backtest MASE
        over the class's products is the class's method; a product keeps its own best method
        instead when its MASE is at most ``OVERRIDE_RATIO`` times the class method's (the MAE is
        compared when no method has a MASE, e.g. a constant history; a product that several
        methods forecast perfectly keeps the first of them in ``names``, the simplest). Products
        without folds get their class's method (``DEFAULT_METHOD`` when no product has folds).
        ``excluded`` (len(names) x P bool, e.g. methods whose forecast was capped) are never
        chosen for that product, unless every method is.
        """
        mase = np.stack([self.mean_metric(name, "mase", folds) for name in names])
        mae = np.stack([self.mean_metric(name, "mae", folds) for name in names])
        score = np.where(np.isfinite(mase).any(axis=0), mase, mae)
        score = np.where(np.isfinite(score), score, np.inf)
        scored = np.isfinite(score).any(axis=0)
        comparable = np.isfinite(mase).all(axis=0)
        classes = self.classes
        n_products = len(classes)
        if comparable.any():
            overall = mase[:, comparable].mean(axis=1)
        else:
            default = names.index(DEFAULT_METHOD) if DEFAULT_METHOD in names else 0
            overall = np.where(np.arange(len(names)) == default, 0.0, 1.0)
        class_score = np.repeat(overall[:, None], n_products, axis=1)
        for label in np.unique(classes):
            members = (classes == label) & comparable
            if members.sum() >= MIN_CLASS_PRODUCTS:
                class_score[:, classes == label] = mase[:, members].mean(axis=1)[:, None]
        blocked = np.zeros(score.shape, dtype=bool) if excluded is None else excluded.copy()
        blocked[:, blocked.all(axis=0)] = False
        class_method = np.where(blocked, np.inf, class_score).argmin(axis=0)
        own = np.where(blocked, np.inf, score).argmin(axis=0)
        products = np.arange(n_products)
        with np.errstate(invalid="ignore"):
            better = score[own, products] <= OVERRIDE_RATIO * score[class_method, products]
        return np.where(scored & better, own, class_method), scored

    def chosen(self, names, choice, fold=None):
        """Forecasts of the method chosen per product (index in ``names``): at all origins
        (F + 1 x P x H), or at one origin (P x H) when ``fold`` is given."""
        shape = self.forecasts[names[0]].shape
        result = np.empty(shape[1:] if fold is not None else shape)
        for i, name in enumerate(names):
            members = choice == i
            if members.any():
                values = self.forecasts[name] if fold is None else self.forecasts[name][fold]
                result[..., members, :] = values[..., members, :]
        return result

    def chosen_errors(self, names, choice):
        """Backtest errors (F x P x tested) of the method chosen per product."""
        return self.actual - self.chosen(names, choice)[:-1, :, : self.tested]

    def quantiles(self, errors, folds, groups, young, totals=()):
        """Scaled error quantiles (:func:`engine.intervals.quantiles`) from the errors of the
        backtest folds ``folds`` (F' x P x K): per group (method) from the folds where the
        product had more than ``YOUNG_DAYS`` days of history (all folds for a group without
        any); the ``young`` products (P,) get the wider of those and of the quantiles pooled over
        the folds where products were that young, when there are at least
        ``MIN_GROUP_ERRORS`` such errors per step (measured, bench/calendar_bench.py: the young
        pool alone gave 0.93 coverage to products with 14-90 days of history, the method's
        alone 0.956, the wider of both 0.96).

        Returns ``(daily, sums)`` as :func:`engine.intervals.quantiles`.
        """
        valid, scale, early = self.valid[folds], self.scale[folds], self.young[folds]
        daily, sums = intervals.quantiles(
            errors, scale, valid & ~early, groups=groups, totals=totals
        )
        empty = ~np.isfinite(daily).all(axis=(1, 2))
        if empty.any():
            every_daily, every_sums = intervals.quantiles(
                errors, scale, valid, groups=groups, totals=totals
            )
            daily[empty], sums[empty] = every_daily[empty], every_sums[empty]
        if young.any():
            pool = valid & early
            count = np.isfinite(intervals.scaled_errors(errors, scale, pool)).sum()
            if count >= intervals.MIN_GROUP_ERRORS * errors.shape[2]:
                young_daily, young_sums = intervals.quantiles(
                    errors, scale, pool, groups=groups, totals=totals
                )
                daily[young] = _wider(daily[young], young_daily[young])
                sums[young] = _wider(sums[young], young_sums[young])
        return daily, sums

    def young_products(self, fold):
        """(P,) bool: products with ``MIN_HISTORY_DAYS`` to ``YOUNG_DAYS`` days of history at
        origin number ``fold`` (the final origin for ``len(self.origins)``)."""
        origin = ([*self.origins, self.qty.shape[1]])[fold]
        age = origin - self.start
        return (age >= MIN_HISTORY_DAYS) & (age <= YOUNG_DAYS)

    def coverage(self, names, choices):
        """Cross-conformal coverage (F x P) of the 95 % interval: fold f is covered by intervals
        calibrated on the errors of the other folds. ``choices[f]`` is the method index of each
        product at fold f. Classic methods alone use their own interval."""
        n_folds = len(self.origins)
        result = np.full((n_folds, self.qty.shape[0]), np.nan)
        for f, origin in enumerate(self.origins):
            if len(names) == 1 and names[0] in CLASSIC_METHODS:
                fit, _notes = _classic_forecast(names[0], self.fit[:, :origin], self.tested)
                bands = self.classic_bands(fit, f)
                lower, upper = bands.lower, bands.upper
            else:
                others = [g for g in range(n_folds) if g != f]
                if not others:
                    continue
                errors = self.chosen_errors(names, choices[f])[others]
                daily, _sums = self.quantiles(errors, others, choices[f], self.young_products(f))
                point = self.chosen(names, choices[f], fold=f)[:, : self.tested]
                width = self.width[f][:, : self.tested] if self.width[f] is not None else None
                lower, upper = _interval(point, self.scale[f], daily, width, self.cap[f])
            result[f] = metrics.interval_coverage(self.actual[f], lower, upper)
        return np.where(self.valid, result, np.nan)

    def classic_bands(self, fit, fold, rows=None):
        """:class:`_Bands` of a classic fit (``point``, ``lower``, ``upper`` for ``rows``, all
        products by default) made at origin number ``fold``, adjusted for the holidays and closed
        weekdays ahead and guarded like every forecast."""
        rows = np.arange(self.qty.shape[0]) if rows is None else rows
        sigma = (fit.upper[:, 0] - fit.point[:, 0]) / Z_95
        point, width = self.calendar.adjust(fit.point, fold, rows)
        point, capped = _guard(point, self.cap[fold][rows])
        bands = _Bands.spread(point, sigma, width)
        bands.capped = capped
        return bands


def _classic_forecast(name, qty, horizon, matrix=None, model_dir=None):
    """``(fit, warnings)`` of a classic method at the end of ``qty``, with its own interval:
    ``fit`` has ``point``, ``lower``, ``upper`` (P x H). ``polynomial`` counts the history of each
    product from ``matrix`` when given and saves/reloads its models in ``model_dir``."""
    if name == "moving_average":
        return moving_average_forecast(qty, horizon), np.full(len(qty), "", dtype=object)
    if model_dir is not None:
        fit = forecast_with_models(replace(matrix, qty=qty), model_dir, horizon)
    else:
        available = matrix.history_days() if matrix is not None else None
        fit = polynomial_forecast(qty, horizon, available_days=available)
    return fit, fit.warning


# --- forecast -------------------------------------------------------------------------------------


def _empty_result():
    return ForecastResult(pd.DataFrame(columns=LINE_COLUMNS), pd.DataFrame(columns=SUMMARY_COLUMNS))


def _totals(point):
    """Sums of the first 7, 30, 90 days of each row (the whole horizon when it is shorter)."""
    lengths = np.minimum(TOTAL_DAYS, point.shape[1])
    return np.stack([point[:, :days].sum(axis=1) for days in lengths], axis=1)


class _Bands:
    """Daily point forecast and interval (P x H), and the totals of ``TOTAL_DAYS`` with theirs.

    ``sigma`` (P,) is the daily σ of a ``point ± 1.96 σ`` interval, NaN for rows whose
    interval comes from the backtest errors; ``capped`` (P,) marks the rows whose point forecast
    went above the cap (or was not finite) and was cut to it.
    """

    def __init__(self, point, lower, upper, total_lower, total_upper, sigma=None):
        self.point, self.lower, self.upper = point, lower, upper
        self.totals = _totals(point)
        self.total_lower, self.total_upper = total_lower, total_upper
        self.sigma = np.full(len(point), np.nan) if sigma is None else sigma
        self.capped = np.zeros(len(point), dtype=bool)

    @classmethod
    def classic(cls, point, lower, upper, sigma=None):
        """Bands of a ``point ± 1.96 sigma`` interval; a T-day total gets ± 1.96 sigma sqrt(T).
        ``sigma`` defaults to the half-width of the first day's interval / 1.96."""
        if sigma is None:
            sigma = (upper[:, 0] - point[:, 0]) / Z_95
        spread = Z_95 * sigma[:, None] * np.sqrt(np.minimum(TOTAL_DAYS, point.shape[1]))
        totals = _totals(point)
        lower = np.minimum(np.maximum(lower, 0.0), point)
        upper = np.maximum(upper, point)
        return cls(point, lower, upper, np.maximum(totals - spread, 0.0), totals + spread, sigma)

    @classmethod
    def spread(cls, point, sigma, width=None):
        """Bands ``point ± 1.96 sigma`` (sigma per product, its distance times ``width``)."""
        sigma = np.nan_to_num(sigma)
        spread = Z_95 * sigma[:, None] * (1.0 if width is None else width)
        return cls.classic(point, point - spread, point + spread, sigma)

    @classmethod
    def calibrated(cls, point, study, names, choice):
        """Bands from the backtest errors of the method chosen per product (NaN without any)."""
        if not study.origins:
            nothing = np.full((len(point), len(TOTAL_DAYS)), np.nan)
            return cls(point, point * np.nan, point * np.nan, nothing, nothing)
        errors = study.chosen_errors(names, choice)
        lengths = np.minimum(TOTAL_DAYS, point.shape[1])
        final = len(study.origins)
        folds = np.arange(final)
        daily, sums = study.quantiles(
            errors, folds, choice, study.young_products(final), totals=lengths
        )
        # Steps beyond the backtested horizon reuse the last backtested step's quantiles.
        daily = daily[:, :, np.minimum(np.arange(point.shape[1]), study.tested - 1)]
        lower, upper = _interval(
            point, study.final_scale, daily, study.width[final], study.cap[final]
        )
        total_lower, total_upper = intervals.apply(_totals(point), study.final_scale, sums)
        bands = cls(point, lower, upper, total_lower, total_upper)
        bands.capped = study.excluded(names, final)[choice, np.arange(len(choice))]
        return bands

    def replace_rows(self, rows, other):
        """Take the bands of ``other`` (computed for the ``rows`` mask only) for those rows."""
        names = ("point", "lower", "upper", "totals", "total_lower", "total_upper", "sigma")
        for name in (*names, "capped"):
            getattr(self, name)[rows] = getattr(other, name)

    def missing(self):
        """Rows whose interval could not be calibrated (NaN somewhere)."""
        return ~(np.isfinite(self.lower).all(axis=1) & np.isfinite(self.total_lower).all(axis=1))

    def limit(self, cap):
        """Guard every value (:func:`_guard`): points and bounds finite, >= 0 and <= ``cap``
        (P,) a day (totals <= T x cap), lower <= point <= upper. Returns the capped rows."""
        self.point, capped = _guard(self.point, cap)
        self.capped |= capped
        self.totals = _totals(self.point)
        self.lower = np.minimum(np.clip(np.nan_to_num(self.lower), 0.0, None), self.point)
        self.upper = np.clip(np.nan_to_num(self.upper, nan=np.inf), self.point, cap[:, None])
        limit = cap[:, None] * np.minimum(TOTAL_DAYS, self.point.shape[1])[None, :]
        self.total_lower = np.minimum(np.clip(np.nan_to_num(self.total_lower), 0.0, None), limit)
        self.total_lower = np.minimum(self.total_lower, self.totals)
        self.total_upper = np.clip(np.nan_to_num(self.total_upper, nan=np.inf), self.totals, limit)
        return self.capped

    def sigma_daily(self):
        """σ of the daily forecast error that the interval of the first-week total implies:
        (upper_7d - qty_7d) / (1.96 sqrt(7)) (7 = the horizon when shorter); the σ itself for a
        ``point ± 1.96 σ`` interval."""
        days = min(TOTAL_DAYS[0], self.point.shape[1])
        implied = (self.total_upper[:, 0] - self.totals[:, 0]) / (Z_95 * math.sqrt(days))
        return np.where(np.isfinite(self.sigma), self.sigma, implied)


class TotalCalibration:
    """What :meth:`ForecastResult.total_quantile` needs: the final forecasts and the backtest
    errors behind their intervals.

    For a product whose interval comes from the backtest (the usual case), the q-quantile of
    its T-day demand is ``total_T + Q * s``: ``Q`` the q-quantile of the scaled sums of the
    first T backtest errors pooled as for the 95 % bands (:meth:`_Study.quantiles`: per
    method, young products apart; :func:`engine.intervals.sum_quantile`), ``s`` the product's
    scale. For a ``point ± 1.96 σ`` interval (classic methods asked for by name, products with
    fewer than 14 days of history, products without backtest errors) it is
    ``total_T + z_q σ sqrt(T)``. Always within [0, T x cap].
    """

    def __init__(self, study, names, choice, bands, product_ids):
        final = len(study.origins)
        self.choice, self.product_ids = choice, product_ids
        self.point, self.sigma, self.cap = bands.point, bands.sigma, study.cap[final]
        # Only the arrays the quantiles need: the study (every method's forecasts) is freed.
        self.errors = study.chosen_errors(names, choice) if final else None
        self.scale, self.valid, self.early = study.scale, study.valid, study.young
        self.final_scale, self.young = study.final_scale, study.young_products(final)

    def total_quantile(self, days, level):
        """See :meth:`ForecastResult.total_quantile` (``days``, ``level``: arrays (P,))."""
        horizon = self.point.shape[1]
        if not (np.isfinite(days).all() and (days == np.floor(days)).all()):
            raise ValueError("days must be whole numbers")
        if len(days) and (days.min() < 1 or days.max() > horizon):
            raise ValueError("days must be from 1 to the forecast horizon (%d)" % horizon)
        if not ((level > 0) & (level < 1)).all():
            raise ValueError("level must be a probability strictly between 0 and 1")
        days = days.astype(np.int64)
        cumulative = np.cumsum(self.point, axis=1)
        rows = np.arange(len(days))
        total = cumulative[rows, days - 1] if len(days) else np.zeros(0)
        quantile = np.full(len(days), np.nan)
        calibrated = ~np.isfinite(self.sigma)
        if self.errors is not None and calibrated.any():
            for length in np.unique(days[calibrated]):
                for probability in np.unique(level[calibrated & (days == length)]):
                    rows_now = calibrated & (days == length) & (level == probability)
                    scaled = self._scaled_sum(int(length), probability)
                    quantile[rows_now] = total[rows_now] + scaled[rows_now] * np.nan_to_num(
                        self.final_scale[rows_now]
                    )
        normal = ~np.isfinite(quantile)
        if normal.any():
            z = np.array([NormalDist().inv_cdf(q) for q in level[normal]])
            sigma = np.nan_to_num(self.sigma[normal])
            quantile[normal] = total[normal] + z * sigma * np.sqrt(days[normal])
        quantile = np.clip(quantile, 0.0, days * self.cap)
        return pd.DataFrame(
            {
                "product_id": self.product_ids,
                "days": days,
                "level": level,
                "total": total,
                "quantile": quantile,
            }
        )

    def _scaled_sum(self, days, probability):
        """(P,) scaled quantile of the ``days``-day error sums, pooled as the 95 % bands."""
        errors, valid, scale, early, young = (
            self.errors,
            self.valid,
            self.scale,
            self.early,
            self.young,
        )
        result = intervals.sum_quantile(
            errors, scale, valid & ~early, days, probability, groups=self.choice
        )
        empty = ~np.isfinite(result)
        if empty.any():
            every = intervals.sum_quantile(errors, scale, valid, days, probability, self.choice)
            result[empty] = every[empty]
        if young.any():
            pool = valid & early
            count = np.isfinite(intervals.scaled_errors(errors, scale, pool)).sum()
            if count >= intervals.MIN_GROUP_ERRORS * errors.shape[2]:
                pooled = intervals.sum_quantile(errors, scale, pool, days, probability, self.choice)
                wider = np.fmax if probability >= 0.5 else np.fmin
                result[young] = wider(result[young], pooled[young])
        return result


def forecast_products(
    history,
    horizon_days=30,
    method="auto",
    as_of=None,
    model_dir=None,
    *,
    unavailable=None,
    holidays=None,
):
    """Forecast every product of ``history`` day by day, with a per-product summary.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]`` (see :mod:`engine.history`).
        horizon_days: days to forecast after ``as_of`` (1 to 730).
        method: one of ``METHOD_NAMES``; ``"auto"`` picks per product from the backtest.
        as_of: last day of history used (default: the last date in ``history``).
        model_dir: directory where ``polynomial`` models are saved per product and reloaded
            (:func:`engine.polynomial.forecast_with_models`) when that method is asked for or
            chosen; ``None`` keeps nothing on disk.
        unavailable: optional DataFrame ``product_id, date`` of the days a product could not be
            sold (stock-outs): censored, see :mod:`engine.demand_calendar`.
        holidays: optional iterable of dates (past and future) of public holidays and closing
            days: their effect is learnt from the past ones and applied to those ahead, see
            :mod:`engine.demand_calendar`. ``None``: no calendar (weekly closing days are still
            learnt from the history).

    Returns:
        :class:`ForecastResult`: ``lines`` (``product_id, date, qty, lower, upper, method``, H rows
        per product, dates ``as_of + 1 .. as_of + H``), ``summary`` (``SUMMARY_COLUMNS``) and
        ``calibration`` (:meth:`ForecastResult.total_quantile`). See the module docstring for
        the method choice, the intervals, the cap, the totals and the fallbacks.

    Raises:
        ValueError: unknown method, horizon not a whole number from 1 to 730, a history without
            the columns ``product_id, date, qty``, an ``unavailable`` without ``product_id,
            date`` or holidays that are not dates.
    """
    horizon = _whole_number(horizon_days, "horizon_days", 1, MAX_HORIZON_DAYS)
    method = _check_method(method)
    matrix = _matrix(history, as_of, unavailable)
    n_products = len(matrix.product_ids)
    if not n_products or not len(matrix.dates):
        return _empty_result()
    names = list(METHODS) if method == "auto" else [method]
    study = _Study(matrix, names, horizon, _auto_folds(horizon), holidays)
    final = len(study.origins)
    cap = study.cap[final]
    history_days = study.qty.shape[1] - study.start
    warnings = [[] for _ in range(n_products)]

    if method == "auto":
        choice, scored = study.choose(names, excluded=study.excluded(names, final))
        unguarded, _scored = study.choose(names)
        for row in np.flatnonzero(unguarded != choice):
            warnings[row].append(
                "%s forecast above %g a day (%g x the largest daily demand): not used"
                % (names[unguarded[row]], cap[row], CAP_MULTIPLE)
            )
    else:
        choice, scored = study.choose(names)
    methods_used = np.array(names, dtype=object)[choice]
    bands = _Bands.calibrated(study.chosen(names, choice)[-1], study, names, choice)
    if method in CLASSIC_METHODS:
        fit, notes = _classic_forecast(method, study.fit, horizon, matrix, model_dir)
        bands = study.classic_bands(fit, final)
        for row in np.flatnonzero(notes != ""):
            warnings[row].append(notes[row])
    elif model_dir is not None and "polynomial" in names:
        _save_polynomial_models(
            matrix, study.fit, choice == names.index("polynomial"), model_dir, horizon, warnings
        )

    established = history_days >= MIN_HISTORY_DAYS
    missing = bands.missing() & established
    if missing.any():
        sigma = np.nanstd(study.insample[missing], axis=1)
        width = study.width[final]
        bands.replace_rows(
            missing,
            _Bands.spread(bands.point[missing], sigma, None if width is None else width[missing]),
        )
        for row in np.flatnonzero(missing):
            warnings[row].append("interval from the spread of daily demand (no backtest errors)")
    if method == "auto":
        for row in np.flatnonzero(~scored & established):
            warnings[row].append(
                "%d days of history: too short to compare methods, %s used"
                % (history_days[row], methods_used[row])
            )

    young = ~established
    if young.any():
        rows = np.flatnonzero(young)
        base = moving_average_forecast(study.fit[young], horizon)
        bands.replace_rows(young, study.classic_bands(base, final, rows))
        methods_used[young] = "moving_average"
        for row in rows:
            # Replaces what the method said about a forecast that is not used.
            warnings[row] = [
                NO_SALES_WARNING
                if history_days[row] == 0
                else "only %d day(s) since the first sale: 7-day moving average baseline used"
                % history_days[row]
            ]
    capped = bands.limit(cap)
    for row in np.flatnonzero(capped):
        warnings[row].append(
            "forecast capped at %g a day (%g x the largest daily demand)" % (cap[row], CAP_MULTIPLE)
        )
    bad_rows = _not_a_number_rows(history, matrix.product_ids)
    for row in np.flatnonzero(bad_rows):
        warnings[row].append(
            "%d history row(s) with a quantity that is not a number ignored" % bad_rows[row]
        )

    lines = _lines(matrix, bands, methods_used)
    summary = _summary(
        history, matrix, study, names, choice, methods_used, bands, warnings, capped, holidays
    )
    calibration = TotalCalibration(study, names, choice, bands, matrix.product_ids)
    return ForecastResult(lines, summary, calibration)


def _save_polynomial_models(matrix, qty, members, model_dir, horizon, warnings):
    """Persist the polynomial models of the products that chose that method (``model_dir``)."""
    if not members.any():
        return
    chosen = replace(
        matrix,
        product_ids=matrix.product_ids[members],
        qty=qty[members],
        order_lines=matrix.order_lines[members],
        first_sale=matrix.first_sale[members],
        censored=None,
    )
    saved = forecast_with_models(chosen, model_dir, horizon)
    for row, text in zip(np.flatnonzero(members), saved.warning):
        if text:
            warnings[row].append(text)


def _lines(matrix, bands, methods_used):
    n_products, horizon = bands.point.shape
    days = matrix.dates[-1] + pd.to_timedelta(np.arange(1, horizon + 1), unit="D")
    return pd.DataFrame(
        {
            "product_id": np.repeat(matrix.product_ids, horizon),
            "date": np.tile(days.to_numpy(), n_products),
            "qty": bands.point.ravel(),
            "lower": bands.lower.ravel(),
            "upper": bands.upper.ravel(),
            "method": np.repeat(methods_used, horizon),
        },
        columns=LINE_COLUMNS,
    )


def _explain(study, bands, holidays):
    """The columns of ``EXPLAIN_COLUMNS`` that describe the forecast itself (see the docs)."""
    point = bands.point
    n_products, horizon = point.shape
    final = len(study.origins)
    calendar = study.calendar
    ahead = calendar.holidays_ahead(final, horizon)
    days = min(EXPLAIN_DAYS, horizon)
    ordinary = ~ahead[:days]
    normal = np.where(ordinary[None, :], point[:, :days], np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        level = np.nanmean(normal, axis=1) if ordinary.any() else point[:, :days].mean(axis=1)
        weekday = calendar.weekday[study.qty.shape[1] : study.qty.shape[1] + days]
        factors = {}
        for w, name in enumerate(WEEKDAYS):
            on_day = ordinary & (weekday == w)
            factors["weekday_" + name] = (
                np.nanmean(normal[:, on_day], axis=1) / level
                if on_day.any()
                else np.full(n_products, np.nan)
            )
        weeks = min(horizon, 91) // 7
        trend = np.zeros(n_products)
        if weeks >= 2:
            weekly = point[:, : weeks * 7].reshape(n_products, weeks, 7).mean(axis=2)
            x = np.arange(weeks) - (weeks - 1) / 2
            slope = (weekly * x).sum(axis=1) / (x * x).sum()
            trend = np.where(weekly.mean(axis=1) > 0, 4 * slope / weekly.mean(axis=1), 0.0)
    level = np.nan_to_num(level)
    factors = {key: np.where(level > 0, value, np.nan) for key, value in factors.items()}
    closed = calendar.closed[final]
    patterns, which = np.unique(closed, axis=0, return_inverse=True)
    labels = np.array([",".join(np.array(WEEKDAYS)[row]) for row in patterns], dtype=object)
    closed_names = labels[which.ravel()]
    if holidays is None:
        holiday_factor = np.full(n_products, np.nan)
    else:
        holiday_factor = calendar.factors[final]
    recent = np.nan_to_num(_fold_mean(study.insample[:, -EXPLAIN_DAYS:].T))
    started = np.arange(study.qty.shape[1])[None, :] >= study.start[:, None]
    return {
        "recent_level": recent,
        "level": level,
        "trend_28d": trend,
        **factors,
        "closed_weekdays": closed_names,
        "holiday_factor": holiday_factor,
        "holiday_effect": holiday_effect(holiday_factor),
        "holiday_days": np.full(n_products, int(ahead.sum())),
        "censored_days": (calendar.censored & started).sum(axis=1),
    }


def _summary(
    history, matrix, study, names, choice, methods_used, bands, warnings, capped, holidays
):
    baseline = demand_baseline(history, as_of=matrix.as_of).set_index("product_id")
    baseline = baseline.reindex(matrix.product_ids)
    daily_demand = baseline["daily_demand"].to_numpy(dtype=float, na_value=0.0)
    trend = baseline["trend"].fillna("STABLE").to_numpy(dtype=object)
    confidence = baseline["confidence"].to_numpy(dtype=float, na_value=0.0)
    if study.fit is not study.qty:
        # Stock-out days and holidays imputed for the methods: the baseline reads the same
        # series (an empty shelf last week is not a daily demand of 0 nor a downward trend).
        days = min(LOOKBACK_DAYS, study.fit.shape[1])
        lines = baseline["order_lines"].to_numpy(dtype=float, na_value=0.0)
        stats = baseline_arrays(study.fit[:, -days:], lines)
        daily_demand, trend, confidence = stats["daily_demand"], stats["trend"], stats["confidence"]
    mase = np.full(len(choice), np.nan)
    smape = np.full(len(choice), np.nan)
    naive = np.full(len(choice), np.nan)
    if study.origins:
        for i, name in enumerate(names):
            members = choice == i
            mase[members] = study.mean_metric(name, "mase")[members]
            smape[members] = study.mean_metric(name, "smape")[members]
        naive = study.mean_metric(NAIVE_METHOD, "mase")
    columns = {
        "product_id": matrix.product_ids,
        "method": methods_used,
        "daily_demand": daily_demand,
        "trend": trend,
        "confidence": confidence,
    }
    for j, days in enumerate(TOTAL_DAYS):
        columns["qty_%dd" % days] = bands.totals[:, j]
    for j, days in enumerate(TOTAL_DAYS):
        columns["lower_%dd" % days] = bands.total_lower[:, j]
        columns["upper_%dd" % days] = bands.total_upper[:, j]
    columns["mase"] = mase
    columns["smape"] = smape
    columns["warning"] = ["; ".join(texts) for texts in warnings]
    columns["sigma_daily"] = bands.sigma_daily()
    columns["mase_scale"] = study.final_scale
    columns["naive_mase"] = naive
    columns["history_days"] = study.qty.shape[1] - study.start
    columns.update(_explain(study, bands, holidays))
    columns["capped"] = capped
    return pd.DataFrame(columns, columns=SUMMARY_COLUMNS)


def forecast(
    history,
    horizon_days=30,
    method="auto",
    as_of=None,
    model_dir=None,
    *,
    unavailable=None,
    holidays=None,
):
    """Daily forecast lines ``product_id, date, qty, lower, upper, method`` of every product.

    Same arguments, behaviour and errors as :func:`forecast_products`, whose ``lines`` it returns.
    """
    return forecast_products(
        history,
        horizon_days,
        method,
        as_of,
        model_dir,
        unavailable=unavailable,
        holidays=holidays,
    ).lines


def backtest(
    history,
    horizon_days=28,
    folds=3,
    methods=None,
    as_of=None,
    *,
    unavailable=None,
    holidays=None,
):
    """Rolling-origin backtest of forecast methods on every product.

    The ``folds`` origins are ``D - H``, ``D - H - s``, ... with ``s = min(H, 28)`` days and
    ``D`` the days of history up to ``as_of``; a fold counts for a product that had sold for at
    least ``MIN_HISTORY_DAYS`` days before its origin. Each method forecasts H days from every
    origin using only the days before it, adjusted and guarded as a final forecast would be.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]``.
        horizon_days: days forecast from each origin (1 to 730); shortened when the history is
            too short for it.
        folds: number of origins (1 to 52).
        methods: list of method names (default: every method and ``"auto"``). ``auto`` is scored
            honestly: on each fold it uses the methods chosen on the other folds (``ets`` with a
            single fold), never one whose forecast at that fold was capped.
        as_of: last day of history used (default: the last date in ``history``).
        unavailable, holidays: as in :func:`forecast_products`; stock-out days are not scored.

    Returns:
        DataFrame ``product_id, method, mae, smape, mase, rmsse, bias, coverage``: one row per
        product and method, the metrics of :mod:`engine.metrics` averaged over the product's folds
        (NaN when no fold counts). ``coverage`` is the share of actual days inside the 95 %
        interval, calibrated on the other folds' errors (NaN with one fold); the classic
        ``moving_average`` and ``polynomial`` are scored with their own interval.

    Raises:
        ValueError: unknown method, horizon or folds out of range, or a malformed history.
    """
    horizon = _whole_number(horizon_days, "horizon_days", 1, MAX_HORIZON_DAYS)
    n_folds = _whole_number(folds, "folds", 1, 52)
    if methods is None:
        names = list(METHOD_NAMES)
    else:
        names = [methods] if isinstance(methods, str) else list(methods)
        if not names:
            raise ValueError("methods must name at least one forecast method")
        names = list(dict.fromkeys(_check_method(name) for name in names))
    matrix = _matrix(history, as_of, unavailable)
    if not len(matrix.product_ids) or not len(matrix.dates):
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    candidates = list(METHODS) if "auto" in names else names
    concrete = [name for name in METHODS if name in candidates]
    study = _Study(matrix, concrete, horizon, n_folds, holidays)
    n_products = len(matrix.product_ids)
    frames = []
    for name in names:
        if name == "auto":
            choices = [
                study.choose(
                    concrete,
                    [g for g in range(len(study.origins)) if g != f],
                    excluded=study.excluded(concrete, f),
                )[0]
                for f in range(len(study.origins))
            ]
            table = {}
            for metric in METRICS:
                per_fold = np.full((len(study.origins), n_products), np.nan)
                for f, choice in enumerate(choices):
                    for i, candidate in enumerate(concrete):
                        members = choice == i
                        per_fold[f, members] = study.metric(candidate, metric)[f, members]
                table[metric] = per_fold
            coverage = study.coverage(concrete, choices)
        else:
            table = {metric: study.metric(name, metric) for metric in METRICS}
            only = np.zeros(n_products, dtype=int)
            coverage = study.coverage([name], [only] * len(study.origins))
        row = {"product_id": matrix.product_ids, "method": name}
        for metric in METRICS:
            row[metric] = _fold_mean(table[metric])
        row["coverage"] = _fold_mean(coverage)
        frames.append(pd.DataFrame(row, columns=BACKTEST_COLUMNS))
    result = pd.concat(frames, ignore_index=True)
    return result.sort_values(["product_id", "method"], kind="stable", ignore_index=True)


def _fold_mean(table):
    """Mean over folds (axis 0) of the finite values; NaN where there is none."""
    count = np.isfinite(table).sum(axis=0)
    total = np.where(np.isfinite(table), table, 0.0).sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)
