"""Days that are not ordinary sales days: stock-outs, public holidays, weekly closing days.

Three kinds of irregular days distort a demand history; the forecast treats each one explicitly.

**Stock-outs** (censored days, ``DemandMatrix.censored``): the product could not be sold, so its
zero says nothing about demand. For the forecasting methods a censored day is *imputed* with the
expected demand of a normal day (:func:`centered_level`: the same weekday one and two weeks
around it, never after the next forecast origin; else :func:`weekday_level`, the recent level of
the same weekday); it is left out of every score (backtest errors, MASE scale, interval
calibration), of the demand statistics and of the anomaly references. The demand a stock-out day
lost (:mod:`engine.stockouts`) is :func:`weekday_level`: what was expected before it.

**Public holidays and closing days** (``holidays``, dates, past and future): past holidays are
imputed like stock-outs for the methods (a closed Easter Monday must not drag the level down nor
repeat itself a week later). Each product's *holiday factor* is learnt from the past holidays of
its history (:func:`holiday_factors`): actual demand / expected demand of a normal day
(the imputed value), summed over the past holidays, shrunk towards the factor of the products
of its demand class (pooled over them; all products when the class has too few holidays) with
the weight of ``HOLIDAY_PRIOR`` holidays: ``f = (n * r + 2 * f_class) / (n + 2)`` for a product
with ``n`` past holidays and ratio ``r``. A holiday ahead gets ``factor x`` the forecast of a
normal day, and an interval ``sqrt(factor)`` times as wide around it (Poisson-like noise: the
spread of a count grows with the square root of its mean; a closed day, factor 0, gets [0, 0]).
The factor is ``closed`` below 0.1, ``reduced`` below 0.8, ``boosted`` from 1.25, else ``normal``
(:func:`holiday_effect`); without any past holiday before the origin it is 1. A product whose
holidays, all of its history together, are ``normal`` has no holiday effect: its holidays are
neither imputed nor adjusted (factor 1; on the real SID data, where holidays sell like other
days, imputing and adjusting them cost 1-2 % of MASE).

**Weekly closing days** are learnt without a calendar (:func:`closed_weekdays`): a weekday is
closed for a product when its last ``n >= CLOSED_MIN_WEEKS`` (8) occurrences (ordinary days only)
sold nothing while the product sold on a share ``pi`` of its days of the last 26 weeks such that
``(1 - pi) ** n < CLOSED_P`` (0.001: not a chance run of a slow product); or when the same holds
for all products together (their total: a shop closed on Sundays, whatever each product sells). A
closed weekday is forecast 0, with a [0, 0] interval when the shop is closed and, when it is
closed for one product only, with an ordinary day's upper distance (it may still sell now and
then: on the generated benchmark such rare sales fell outside [0, 0]); the forecast of that
week's closed days is moved to its open days in proportion (a flat forecast of 6 a day on a shop
closed on Sundays becomes 7 on the six open days: the week still sells 42).

Every origin of the backtest learns these effects from the days before it only, and the same
adjustments are applied to every method at every origin (:class:`Calendar`), so the backtest
scores the forecasts that would have been made.
"""

import numpy as np
import pandas as pd

from .history import to_day

#: Weight of the newest same-weekday day in :func:`weekday_level` (about the last 4 weeks).
LEVEL_ALPHA = 0.25
#: Same-weekday days around a past irregular day that give its normal-day demand.
CENTRED_OFFSETS = (-14, -7, 7, 14)
#: Pseudo-holidays of the class factor in a product's holiday factor.
HOLIDAY_PRIOR = 2.0
#: Holidays (product x holiday pairs with an expected demand) a class needs for its own factor.
MIN_CLASS_HOLIDAYS = 20
CLOSED_MIN_WEEKS = 8
CLOSED_WEEKS = 26
CLOSED_P = 0.001
#: Thresholds of :func:`holiday_effect` labels.
EFFECT_LIMITS = (("closed", 0.1), ("reduced", 0.8), ("normal", 1.25))
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def weekday_level(qty, usable):
    """Expected demand of a normal day, per product and day, from the days strictly before it.

    The exponentially weighted mean (newest weight ``LEVEL_ALPHA``, bias-corrected so the first
    values are not pulled to 0) of the *usable* days of the same weekday before each day; where
    no same weekday was usable yet, the mean of the usable days before; 0 without any.

    Args:
        qty: (P, D) daily demand.
        usable: (P, D) bool, ordinary observed days (not censored, not holidays, on or after the
            first sale).

    Returns:
        (P, D) float array.
    """
    qty = np.asarray(qty, dtype=np.float64)
    n_products, n_days = qty.shape
    level = np.zeros((n_products, n_days))
    weighted = np.zeros((7, n_products))
    weights = np.zeros((7, n_products))
    total = np.zeros(n_products)
    count = np.zeros(n_products)
    keep = 1.0 - LEVEL_ALPHA
    for t in range(n_days):
        r = t % 7
        with np.errstate(invalid="ignore", divide="ignore"):
            fallback = np.where(count > 0, total / np.maximum(count, 1), 0.0)
            level[:, t] = np.where(weights[r] > 0, weighted[r] / weights[r], fallback)
        seen = usable[:, t]
        value = np.where(seen, qty[:, t], 0.0)
        weighted[r] = np.where(seen, keep * weighted[r] + LEVEL_ALPHA * value, weighted[r])
        weights[r] = np.where(seen, keep * weights[r] + LEVEL_ALPHA, weights[r])
        total += value
        count += seen
    return level


def centered_level(qty, usable, trailing, limit):
    """Expected demand of a normal day for past irregular days: the mean of the usable same
    weekdays one and two weeks before and after (those after only before ``limit``, the next
    forecast origin of each day, so that no origin sees its future); ``trailing``
    (:func:`weekday_level`) where none is usable. A trailing level lags a trend or a season
    (imputed Easters 10-25 % low on the real SID data, Christmases 13 % high), a centred one
    does not."""
    n_days = qty.shape[1]
    total = np.zeros(qty.shape)
    count = np.zeros(qty.shape)
    days = np.arange(n_days)
    for offset in CENTRED_OFFSETS:
        source = days + offset
        inside = (source >= 0) & (source < limit)
        columns = np.clip(source, 0, n_days - 1)
        seen = usable[:, columns] & inside[None, :]
        total += np.where(seen, qty[:, columns], 0.0)
        count += seen
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), trailing)


def _next_origin(n_days, origins):
    """(D,) the first origin after each day (``n_days`` after the last one)."""
    stops = np.sort(np.unique(np.r_[np.asarray(origins, dtype=np.int64), n_days]))
    return stops[np.searchsorted(stops, np.arange(n_days), side="right").clip(max=len(stops) - 1)]


def holiday_days(holidays, dates, horizon):
    """Boolean mask (D + H,) of the ``holidays`` over the matrix ``dates`` and ``horizon`` days
    after them. ``holidays``: iterable of dates (``date``, ``datetime``, ``Timestamp``, ISO text).

    Raises:
        ValueError: a holiday that is not a date.
    """
    n_days = len(dates)
    mask = np.zeros(n_days + horizon, dtype=bool)
    if holidays is None or not n_days:
        return mask
    if isinstance(holidays, str | bytes):
        raise ValueError("holidays must be an iterable of dates, got a string")
    try:
        days = np.array([to_day(value) for value in holidays], dtype="datetime64[D]")
    except (TypeError, ValueError) as error:
        raise ValueError("holidays must be an iterable of dates: %s" % error) from None
    offset = (days - np.datetime64(dates[0].date(), "D")).astype(np.int64)
    offset = offset[(offset >= 0) & (offset < n_days + horizon)]
    mask[offset] = True
    return mask


def holiday_effect(factor):
    """Label of holiday factors: ``closed``, ``reduced``, ``normal``, ``boosted`` ("" for NaN)."""
    factor = np.asarray(factor, dtype=np.float64)
    labels = np.full(factor.shape, "boosted", dtype=object)
    for name, limit in reversed(EFFECT_LIMITS):
        labels[factor < limit] = name
    labels[~np.isfinite(factor)] = ""
    return labels


def holiday_factors(qty, base, usable_holiday, origins, classes):
    """Holiday factor of each product at each origin, from the holidays before it.

    Args:
        qty: (P, D) actual demand.
        base: (P, D) expected demand of a normal day (:func:`weekday_level`).
        usable_holiday: (P, D) bool, past holidays that count (not censored, after the first
            sale, with an expected demand above 0).
        origins: day indexes.
        classes: (P,) demand class of each product (pooling groups).

    Returns:
        ``(factors, counts)``: arrays (len(origins), P), the factor (1 without any holiday
        before the origin) and the number of the product's holidays it was learnt from.
    """
    actual = np.where(usable_holiday, qty, 0.0)
    expected = np.where(usable_holiday, base, 0.0)
    cum_actual = np.concatenate([np.zeros((len(qty), 1)), np.cumsum(actual, axis=1)], axis=1)
    cum_expected = np.concatenate([np.zeros((len(qty), 1)), np.cumsum(expected, axis=1)], axis=1)
    cum_count = np.concatenate([np.zeros((len(qty), 1)), np.cumsum(usable_holiday, axis=1)], axis=1)
    factors = np.ones((len(origins), len(qty)))
    counts = np.zeros((len(origins), len(qty)), dtype=np.int64)
    for f, origin in enumerate(origins):
        a, e, n = cum_actual[:, origin], cum_expected[:, origin], cum_count[:, origin]
        if not n.any():
            continue
        overall = a.sum() / e.sum()
        pooled = np.full(len(qty), overall)
        for label in np.unique(classes):
            members = classes == label
            if n[members].sum() >= MIN_CLASS_HOLIDAYS and e[members].sum() > 0:
                pooled[members] = a[members].sum() / e[members].sum()
        with np.errstate(invalid="ignore", divide="ignore"):
            own = np.where(e > 0, a / np.where(e > 0, e, 1.0), pooled)
        factors[f] = (n * own + HOLIDAY_PRIOR * pooled) / (n + HOLIDAY_PRIOR)
        counts[f] = n
    return factors, counts


def _trailing_zero_weeks(qty, usable, days, weekday):
    """Per product and weekday (P, 7): usable occurrences of that weekday since its last sale,
    over ``days`` (day indexes, ascending), and the sale share of the product's usable days
    (all weekdays: a closed weekday lowers it, which only makes the rule stricter)."""
    n_products = qty.shape[0]
    runs = np.zeros((n_products, 7))
    window_qty, window_usable = qty[:, days], usable[:, days]
    sold = (window_qty > 0) & window_usable
    for w in range(7):
        columns = np.flatnonzero(weekday[days] == w)[::-1]  # newest first
        if not len(columns):
            continue
        sold_w, usable_w = sold[:, columns], window_usable[:, columns]
        first_sold = np.where(sold_w.any(axis=1), sold_w.argmax(axis=1), len(columns))
        before = np.cumsum(usable_w, axis=1)
        runs[:, w] = np.where(
            first_sold > 0, before[np.arange(n_products), np.maximum(first_sold - 1, 0)], 0
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        share = sold.sum(axis=1) / np.maximum(window_usable.sum(axis=1), 1)
    return runs, share


def _closed(qty, usable, days, weekday):
    """(rows, 7) bool: weekdays without a sale for long enough not to be chance (see the module
    docstring) over ``days``."""
    runs, share = _trailing_zero_weeks(qty, usable, days, weekday)
    with np.errstate(divide="ignore", invalid="ignore"):
        chance = np.where(runs > 0, runs * np.log1p(-np.minimum(share, 1.0))[:, None], 0.0)
    return (runs >= CLOSED_MIN_WEEKS) & (chance < np.log(CLOSED_P))


def closed_weekdays(qty, usable, origin, weekday):
    """Weekdays each product is closed at ``origin`` (P, 7 bool, Monday first): see the module
    docstring. ``weekday`` gives the weekday (0 Monday) of every day index."""
    own, shop = closed_weekday_parts(qty, usable, origin, weekday)
    return own | shop


def closed_weekday_parts(qty, usable, origin, weekday):
    """``(own, shop)``: the weekdays closed for each product by its own sales (P, 7) and those
    closed for the whole catalogue (1, 7) at ``origin`` (:func:`closed_weekdays` is their union).
    """
    n_products = qty.shape[0]
    days = np.arange(max(origin - 7 * CLOSED_WEEKS, 0), origin)
    if len(days) < 7 * CLOSED_MIN_WEEKS or not n_products:
        return np.zeros((n_products, 7), dtype=bool), np.zeros((1, 7), dtype=bool)
    own = _closed(qty, usable, days, weekday)
    # The whole catalogue as one product: a weekday nothing sold on, while other days sold.
    total = qty[:, : days[-1] + 1].sum(axis=0, keepdims=True)
    ordinary = usable[:, : days[-1] + 1].any(axis=0, keepdims=True)
    return own, _closed(total, ordinary, days, weekday)


class Calendar:
    """Irregular days of a demand matrix and the adjustments they make to forecasts.

    Built once per forecast (:meth:`build`); :meth:`fit_qty` is the matrix the methods see,
    :meth:`adjust` turns the forecasts of normal days made at an origin into the forecasts of
    the actual days (holidays, closed weekdays), with the interval width factor of each day.
    """

    def __init__(self, qty, censored, holidays, weekday, n_days):
        self.qty = qty
        self.censored = censored
        self.holidays = holidays  # (D + H,) bool
        self.weekday = weekday  # (D + H,) weekday of every day index
        self.n_days = n_days
        self.base = None
        self.factors = None

    @classmethod
    def build(cls, qty, censored, dates, holidays, horizon, start, origins=()):
        """Calendar of a matrix: ``censored`` (P, D bool or None), ``holidays`` (iterable of
        dates or None), ``start`` (P,) first sale day of each product, ``origins`` the forecast
        origins (day indexes) whose future an imputation must not use."""
        n_products, n_days = qty.shape
        censored = (
            np.zeros((n_products, n_days), dtype=bool) if censored is None else censored & True
        )
        calendar = pd.date_range(dates[0], periods=n_days + horizon, freq="D")
        mask = holiday_days(holidays, dates, horizon)
        self = cls(qty, censored, mask, calendar.day_of_week.to_numpy(), n_days)
        started = np.arange(n_days)[None, :] >= start[:, None]
        self.past_holidays = np.broadcast_to(mask[:n_days], qty.shape) & started
        self.usable = started & ~censored & ~self.past_holidays
        irregular = (censored | self.past_holidays) & started
        self.rows = np.flatnonzero(irregular.any(axis=1))
        if len(self.rows):
            rows = self.rows
            self.base = np.zeros_like(qty)
            self.base[rows] = centered_level(
                qty[rows],
                self.usable[rows],
                weekday_level(qty[rows], self.usable[rows]),
                _next_origin(n_days, origins),
            )
        self.no_effect = np.zeros(n_products, dtype=bool)
        if len(self.rows) and self.past_holidays.any():
            # Products whose holidays sell like normal days keep them as they are.
            counted = self.past_holidays & ~censored & (self.base > 0)
            factor = holiday_factors(qty, self.base, counted, [n_days], np.zeros(n_products))[0]
            self.no_effect = holiday_effect(factor[0]) == "normal"
            irregular &= ~(self.past_holidays & self.no_effect[:, None])
        self.irregular = irregular
        return self

    def fit_qty(self):
        """The matrix the methods forecast from: irregular days replaced by a normal day's
        expected demand (the same array when there is none)."""
        if not len(self.rows):
            return self.qty
        return np.where(self.irregular, self.base, self.qty)

    def prepare(self, origins, classes):
        """Learn, for each origin (day indexes), the closed weekdays and the holiday factors
        from the days before it; ``classes`` (P,) pools the holiday factors."""
        self.origins = list(origins)
        parts = [closed_weekday_parts(self.qty, self.usable, o, self.weekday) for o in origins]
        self.closed = [own | shop for own, shop in parts]
        self.shop_closed = [np.broadcast_to(shop, own.shape) for own, shop in parts]
        if self.base is None or not self.past_holidays.any():
            self.factors = np.ones((len(self.origins), len(self.qty)))
            return
        usable = self.past_holidays & ~self.censored & (self.base > 0)
        self.factors, _counts = holiday_factors(self.qty, self.base, usable, self.origins, classes)
        self.factors[:, self.no_effect] = 1.0

    def holidays_ahead(self, fold, horizon):
        """(H,) bool: the holidays of the ``horizon`` days after origin number ``fold``."""
        origin = self.origins[fold]
        return self.holidays[origin : origin + horizon]

    def adjust(self, point, fold, rows=None):
        """``(point, width)`` of forecasts (..., P, H) made at origin number ``fold`` (of the
        products ``rows``, all by default): closed weekdays to 0 (their forecast moved to the
        open days of the week), holidays times the product's factor. ``width`` (P, H) multiplies
        the interval's distance to the point: 0 on a closed day, sqrt(factor) on a holiday, 1
        otherwise; ``None`` when no day is adjusted (``point`` is then returned as it is)."""
        origin = self.origins[fold]
        horizon = point.shape[-1]
        weekday = self.weekday[origin : origin + horizon]
        closed = self.closed[fold] if rows is None else self.closed[fold][rows]
        shop = self.shop_closed[fold] if rows is None else self.shop_closed[fold][rows]
        closed_days = closed[:, weekday]
        holiday = self.holidays_ahead(fold, horizon)
        if not closed_days.any() and not holiday.any():
            return point, None
        width = np.ones(closed_days.shape)
        if closed_days.any():
            week = point[..., : min(7, horizon)]
            open_week = np.where(closed_days[:, : week.shape[-1]], 0.0, week).sum(axis=-1)
            with np.errstate(invalid="ignore", divide="ignore"):
                spread = np.where(open_week > 0, week.sum(axis=-1) / open_week, 1.0)
            point = np.where(closed_days, 0.0, point * spread[..., None])
            # A closed shop sells nothing: [0, 0]. A weekday closed for one product only keeps
            # an open day's upper distance (a rare sale still falls inside), from a point of 0.
            width[closed_days & shop[:, weekday]] = 0.0
        if holiday.any():
            factors = self.factors[fold] if rows is None else self.factors[fold][rows]
            factor = np.broadcast_to(factors[:, None], closed_days.shape)
            on_holiday = holiday[None, :] & ~closed_days
            point = np.where(on_holiday, point * factor, point)
            width = np.where(on_holiday, np.sqrt(np.maximum(factor, 0.0)), width)
        return point, width
