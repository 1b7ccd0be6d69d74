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
   happens. ``moving_average`` and ``polynomial`` asked for by name keep their classic intervals
   (point ± 1.96 σ), which is part of their definition.

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
from .baseline import demand_baseline, moving_average_forecast
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
NO_SALES_WARNING = "no sales in the history used (at most 3 years): zero forecast"
Z_95 = 1.96

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
]
BACKTEST_COLUMNS = ["product_id", "method", "mae", "smape", "mase", "rmsse", "bias", "coverage"]
METRICS = ("mae", "smape", "mase", "rmsse", "bias")


class ForecastResult(NamedTuple):
    """Daily ``lines`` (``LINE_COLUMNS``), one ``summary`` row per product and the
    ``calibration`` behind the intervals (:meth:`total_quantile`)."""

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
            ``quantile`` the level-quantile of the T-day demand (>= 0). See
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


def _matrix(history, as_of):
    """Demand matrix of the last ``MAX_HISTORY_DAYS`` days, without leading days nobody sold."""
    matrix = daily_matrix(history, as_of=as_of, lookback_days=MAX_HISTORY_DAYS)
    if not len(matrix.dates):
        return matrix
    sold = (matrix.qty > 0).any(axis=0)
    first_day = int(sold.argmax()) if sold.any() else matrix.qty.shape[1] - 1
    return replace(
        matrix, dates=matrix.dates[first_day:], qty=matrix.qty[:, first_day:], revenue=None
    )


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


class _Study:
    """Point forecasts of some methods at the backtest origins and the final origin (index -1),
    with what is needed to score them: actuals, validity of each fold, scales."""

    def __init__(self, matrix, names, horizon, folds):
        self.qty = matrix.qty
        self.dates = matrix.dates
        n_products, n_days = self.qty.shape
        self.start = first_sale(self.qty)
        self.origins, self.tested = _fold_origins(n_days, horizon, folds)
        self.forecasts = run_methods(names, self.qty, [*self.origins, n_days], horizon, self.dates)
        before_first_sale = np.arange(n_days)[None, :] < self.start[:, None]
        self.insample = np.where(before_first_sale, np.nan, self.qty)
        origins = np.array(self.origins, dtype=int).reshape(-1, 1)
        self.valid = origins - self.start[None, :] >= MIN_HISTORY_DAYS
        self.actual = (
            np.stack([self.qty[:, o : o + self.tested] for o in self.origins])
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
        # Demand classes from the days before the first origin (no look-ahead in the backtest).
        known = self.origins[0] if self.origins else n_days
        self.classes = demand_classes(replace(matrix, qty=self.qty[:, :known]))
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

    def choose(self, names, folds=None):
        """Method of each product: index in ``names``, and whether the product had backtest folds.

        Per demand class (:func:`demand_classes`) the method with the lowest mean backtest MASE
        over the class's products is the class's method; a product keeps its own best method
        instead when its MASE is at most ``OVERRIDE_RATIO`` times the class method's (the MAE is
        compared when no method has a MASE, e.g. a constant history; a product that several
        methods forecast perfectly keeps the first of them in ``names``, the simplest). Products
        without folds get their class's method (``DEFAULT_METHOD`` when no product has folds).
        """
        mase = np.stack([self.mean_metric(name, "mase", folds) for name in names])
        mae = np.stack([self.mean_metric(name, "mae", folds) for name in names])
        score = np.where(np.isfinite(mase).any(axis=0), mase, mae)
        score = np.where(np.isfinite(score), score, np.inf)
        scored = np.isfinite(score).any(axis=0)
        comparable = np.isfinite(mase).all(axis=0)
        default = names.index(DEFAULT_METHOD) if DEFAULT_METHOD in names else 0
        overall = mase[:, comparable].mean(axis=1).argmin() if comparable.any() else default
        classes = self.classes
        class_method = np.full(len(classes), overall)
        for label in np.unique(classes):
            members = (classes == label) & comparable
            if members.sum() >= MIN_CLASS_PRODUCTS:
                class_method[classes == label] = mase[:, members].mean(axis=1).argmin()
        products = np.arange(len(classes))
        own = score.argmin(axis=0)
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

    def coverage(self, names, choices):
        """Cross-conformal coverage (F x P) of the 95 % interval: fold f is covered by intervals
        calibrated on the errors of the other folds. ``choices[f]`` is the method index of each
        product at fold f. Classic methods alone use their own interval."""
        n_folds = len(self.origins)
        result = np.full((n_folds, self.qty.shape[0]), np.nan)
        for f, origin in enumerate(self.origins):
            if len(names) == 1 and names[0] in CLASSIC_METHODS:
                fit, _notes = _classic_forecast(names[0], self.qty[:, :origin], self.tested)
                lower, upper = fit.lower, fit.upper
            else:
                others = [g for g in range(n_folds) if g != f]
                if not others:
                    continue
                errors = self.chosen_errors(names, choices[f])[others]
                daily, _sums = intervals.quantiles(
                    errors, self.scale[others], self.valid[others], groups=choices[f]
                )
                point = self.chosen(names, choices[f], fold=f)[:, : self.tested]
                lower, upper = intervals.apply(point, self.scale[f], daily)
            result[f] = metrics.interval_coverage(self.actual[f], lower, upper)
        return np.where(self.valid, result, np.nan)


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
    """Daily point forecast and interval (P x H), and the totals of ``TOTAL_DAYS`` with theirs."""

    def __init__(self, point, lower, upper, total_lower, total_upper):
        self.point, self.lower, self.upper = point, lower, upper
        self.totals = _totals(point)
        self.total_lower, self.total_upper = total_lower, total_upper

    @classmethod
    def classic(cls, point, lower, upper):
        """Bands of a ``point ± 1.96 sigma`` interval; a T-day total gets ± 1.96 sigma sqrt(T)."""
        sigma = (upper[:, :1] - point[:, :1]) / Z_95
        spread = Z_95 * sigma * np.sqrt(np.minimum(TOTAL_DAYS, point.shape[1]))
        totals = _totals(point)
        return cls(point, lower, upper, np.maximum(totals - spread, 0.0), totals + spread)

    @classmethod
    def spread(cls, point, sigma):
        """Bands ``point ± 1.96 sigma`` (sigma per product), lower bound clipped at 0."""
        spread = Z_95 * np.nan_to_num(sigma)[:, None]
        return cls.classic(point, np.maximum(point - spread, 0.0), point + spread)

    @classmethod
    def calibrated(cls, point, study, names, choice):
        """Bands from the backtest errors of the method chosen per product (NaN without any)."""
        if not study.origins:
            nothing = np.full((len(point), len(TOTAL_DAYS)), np.nan)
            return cls(point, point * np.nan, point * np.nan, nothing, nothing)
        errors = study.chosen_errors(names, choice)
        lengths = np.minimum(TOTAL_DAYS, point.shape[1])
        daily, sums = intervals.quantiles(
            errors, study.scale, study.valid, groups=choice, totals=lengths
        )
        # Steps beyond the backtested horizon reuse the last backtested step's quantiles.
        daily = daily[:, :, np.minimum(np.arange(point.shape[1]), study.tested - 1)]
        lower, upper = intervals.apply(point, study.final_scale, daily)
        total_lower, total_upper = intervals.apply(_totals(point), study.final_scale, sums)
        return cls(point, lower, upper, total_lower, total_upper)

    def replace_rows(self, rows, other):
        """Take the bands of ``other`` (computed for the ``rows`` mask only) for those rows."""
        for name in ("point", "lower", "upper", "totals", "total_lower", "total_upper"):
            getattr(self, name)[rows] = getattr(other, name)

    def missing(self):
        """Rows whose interval could not be calibrated (NaN somewhere)."""
        return ~(np.isfinite(self.lower).all(axis=1) & np.isfinite(self.total_lower).all(axis=1))


def forecast_products(history, horizon_days=30, method="auto", as_of=None, model_dir=None):
    """Forecast every product of ``history`` day by day, with a per-product summary.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]`` (see :mod:`engine.history`).
        horizon_days: days to forecast after ``as_of`` (1 to 730).
        method: one of ``METHOD_NAMES``; ``"auto"`` picks per product from the backtest.
        as_of: last day of history used (default: the last date in ``history``).
        model_dir: directory where ``polynomial`` models are saved per product and reloaded
            (:func:`engine.polynomial.forecast_with_models`) when that method is asked for or
            chosen; ``None`` keeps nothing on disk.

    Returns:
        :class:`ForecastResult`: ``lines`` (``product_id, date, qty, lower, upper, method``, H rows
        per product, dates ``as_of + 1 .. as_of + H``) and ``summary`` (``SUMMARY_COLUMNS``). See
        the module docstring for the method choice, the intervals, the totals and the fallbacks.

    Raises:
        ValueError: unknown method, horizon not a whole number from 1 to 730, or a history
            without the columns ``product_id, date, qty``.
    """
    horizon = _whole_number(horizon_days, "horizon_days", 1, MAX_HORIZON_DAYS)
    method = _check_method(method)
    matrix = _matrix(history, as_of)
    n_products = len(matrix.product_ids)
    if not n_products or not len(matrix.dates):
        return _empty_result()
    names = list(METHODS) if method == "auto" else [method]
    study = _Study(matrix, names, horizon, _auto_folds(horizon))
    history_days = study.qty.shape[1] - study.start
    warnings = [[] for _ in range(n_products)]

    choice, scored = study.choose(names)
    methods_used = np.array(names, dtype=object)[choice]
    bands = _Bands.calibrated(study.chosen(names, choice)[-1], study, names, choice)
    if method in CLASSIC_METHODS:
        fit, notes = _classic_forecast(method, study.qty, horizon, matrix, model_dir)
        bands = _Bands.classic(fit.point, fit.lower, fit.upper)
        for row in np.flatnonzero(notes != ""):
            warnings[row].append(notes[row])
    elif model_dir is not None and "polynomial" in names:
        _save_polynomial_models(
            matrix, study.qty, choice == names.index("polynomial"), model_dir, horizon, warnings
        )

    established = history_days >= MIN_HISTORY_DAYS
    missing = bands.missing() & established
    if missing.any():
        sigma = np.nanstd(study.insample[missing], axis=1)
        bands.replace_rows(missing, _Bands.spread(bands.point[missing], sigma))
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
        base = moving_average_forecast(study.qty[young], horizon)
        bands.replace_rows(young, _Bands.classic(base.point, base.lower, base.upper))
        methods_used[young] = "moving_average"
        for row in np.flatnonzero(young):
            # Replaces what the method said about a forecast that is not used.
            warnings[row] = [
                NO_SALES_WARNING
                if history_days[row] == 0
                else "only %d day(s) since the first sale: 7-day moving average baseline used"
                % history_days[row]
            ]
    bad_rows = _not_a_number_rows(history, matrix.product_ids)
    for row in np.flatnonzero(bad_rows):
        warnings[row].append(
            "%d history row(s) with a quantity that is not a number ignored" % bad_rows[row]
        )

    lines = _lines(matrix, bands, methods_used)
    summary = _summary(history, matrix, study, names, choice, methods_used, bands, warnings)
    normal = np.full(n_products, method in CLASSIC_METHODS) | missing | young
    calibration = TotalCalibration(study, names, choice, bands, normal, matrix.product_ids)
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


def _summary(history, matrix, study, names, choice, methods_used, bands, warnings):
    baseline = demand_baseline(history, as_of=matrix.as_of).set_index("product_id")
    baseline = baseline.reindex(matrix.product_ids)
    mase = np.full(len(choice), np.nan)
    smape = np.full(len(choice), np.nan)
    if study.origins:
        for i, name in enumerate(names):
            members = choice == i
            mase[members] = study.mean_metric(name, "mase")[members]
            smape[members] = study.mean_metric(name, "smape")[members]
    columns = {
        "product_id": matrix.product_ids,
        "method": methods_used,
        "daily_demand": baseline["daily_demand"].to_numpy(dtype=float, na_value=0.0),
        "trend": baseline["trend"].fillna("STABLE").to_numpy(dtype=object),
        "confidence": baseline["confidence"].to_numpy(dtype=float, na_value=0.0),
    }
    for j, days in enumerate(TOTAL_DAYS):
        columns["qty_%dd" % days] = bands.totals[:, j]
    for j, days in enumerate(TOTAL_DAYS):
        columns["lower_%dd" % days] = bands.total_lower[:, j]
        columns["upper_%dd" % days] = bands.total_upper[:, j]
    columns["mase"] = mase
    columns["smape"] = smape
    columns["warning"] = ["; ".join(texts) for texts in warnings]
    return pd.DataFrame(columns, columns=SUMMARY_COLUMNS)


def forecast(history, horizon_days=30, method="auto", as_of=None, model_dir=None):
    """Daily forecast lines ``product_id, date, qty, lower, upper, method`` of every product.

    Same arguments, behaviour and errors as :func:`forecast_products`, whose ``lines`` it returns.
    """
    return forecast_products(history, horizon_days, method, as_of, model_dir).lines


def backtest(history, horizon_days=28, folds=3, methods=None, as_of=None):
    """Rolling-origin backtest of forecast methods on every product.

    The ``folds`` origins are ``D - H``, ``D - H - s``, ... with ``s = min(H, 28)`` days and
    ``D`` the days of history up to ``as_of``; a fold counts for a product that had sold for at
    least ``MIN_HISTORY_DAYS`` days before its origin. Each method forecasts H days from every
    origin using only the days before it.

    Args:
        history: DataFrame ``product_id, date, qty[, amount]``.
        horizon_days: days forecast from each origin (1 to 730); shortened when the history is
            too short for it.
        folds: number of origins (1 to 52).
        methods: list of method names (default: every method and ``"auto"``). ``auto`` is scored
            honestly: on each fold it uses the methods chosen on the other folds (``ets`` with a
            single fold).
        as_of: last day of history used (default: the last date in ``history``).

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
    matrix = _matrix(history, as_of)
    if not len(matrix.product_ids) or not len(matrix.dates):
        return pd.DataFrame(columns=BACKTEST_COLUMNS)
    candidates = list(METHODS) if "auto" in names else names
    concrete = [name for name in METHODS if name in candidates]
    study = _Study(matrix, concrete, horizon, n_folds)
    n_products = len(matrix.product_ids)
    frames = []
    for name in names:
        if name == "auto":
            choices = [
                study.choose(concrete, [g for g in range(len(study.origins)) if g != f])[0]
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


# --- totals at any level (ForecastResult.total_quantile) ------------------------------------------


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


class TotalCalibration:
    """What :meth:`ForecastResult.total_quantile` needs: the final forecasts and the backtest
    errors behind their intervals.

    For a product whose interval comes from the backtest, the q-quantile of its T-day demand is
    ``total_T + Q * s``: ``Q`` the q-quantile of the scaled sums of the first T backtest errors,
    pooled as for the 95 % bands (:func:`engine.intervals.quantiles`, per chosen method), ``s``
    the product's scale. For a ``point ± 1.96 σ`` interval (classic methods asked for by name,
    young products, products without backtest errors) it is ``total_T + z_q σ sqrt(T)``.
    Never below 0.
    """

    def __init__(self, study, names, choice, bands, normal, product_ids):
        self.study, self.names, self.choice = study, names, choice
        self.point, self.product_ids = bands.point, product_ids
        self.sigma = np.where(normal, (bands.upper[:, 0] - bands.point[:, 0]) / Z_95, np.nan)

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
        rows = np.arange(len(days))
        total = np.cumsum(self.point, axis=1)[rows, days - 1] if len(days) else np.zeros(0)
        quantile = np.full(len(days), np.nan)
        study = self.study
        calibrated = ~np.isfinite(self.sigma)
        if study.origins and calibrated.any():
            errors = study.chosen_errors(self.names, self.choice)
            for length in np.unique(days[calibrated]):
                for probability in np.unique(level[calibrated & (days == length)]):
                    now = calibrated & (days == length) & (level == probability)
                    # Two-sided level whose upper (or lower) bound is the wanted probability.
                    upper = probability >= 0.5
                    _daily, sums = intervals.quantiles(
                        errors,
                        study.scale,
                        study.valid,
                        groups=self.choice,
                        level=abs(2 * probability - 1),
                        totals=[int(length)],
                    )
                    scaled = sums[:, 1 if upper else 0, 0]
                    quantile[now] = total[now] + scaled[now] * np.nan_to_num(study.final_scale[now])
        normal = ~np.isfinite(quantile)
        if normal.any():
            z = np.array([NormalDist().inv_cdf(q) for q in level[normal]])
            sigma = np.nan_to_num(self.sigma[normal])
            quantile[normal] = total[normal] + z * sigma * np.sqrt(days[normal])
        return pd.DataFrame(
            {
                "product_id": self.product_ids,
                "days": days,
                "level": level,
                "total": total,
                "quantile": np.maximum(quantile, 0.0),
            }
        )
