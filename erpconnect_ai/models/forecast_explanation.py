"""'Why this forecast': sentences in the reader's language from a stored forecast (issue 11,
item 6). The figures are the engine's explanation columns (``engine.forecasting.EXPLAIN_COLUMNS``)
stored on ``erpconnect.forecast``, its adjustments and its accuracy measured after the fact."""

from odoo.tools.misc import format_date, formatLang

from .. import engine

#: Relative trend per 28 days below which the forecast is called flat.
FLAT_TREND = 0.02
#: Spread of the weekday factors (highest - lowest open day) that makes a weekly pattern.
WEEKLY_PATTERN_SPREAD = 0.2


def explain_forecast(forecast):
    """Sentences (list of str) that say why ``forecast`` (one ``erpconnect.forecast``) is what it
    is: the method and its backtest error against the seasonal naive, the level, the trend, the
    weekly pattern and closed weekdays, the holiday and stock-out effects, the cap, the planner's
    adjustments and the accuracy measured after the fact. Empty for an empty record."""
    if not forecast.method:
        return []
    env = forecast.env
    digits = env["decimal.precision"].precision_get("Product Unit of Measure")

    def qty(value):
        return formatLang(env, value, digits=digits)

    def ratio(value):
        return formatLang(env, value, digits=2)

    method = dict(forecast._fields["method"]._description_selection(env))[forecast.method]
    sentences = [_method_sentence(forecast, method, ratio)]
    sentences.append(
        env._(
            "Level: %(level)s a day forecast over the next 28 days, against %(recent)s a day "
            "sold over the last 28 days (stock-out days and holidays left out).",
            level=qty(forecast.level),
            recent=qty(forecast.recent_level),
        )
    )
    if abs(forecast.trend_28d) >= FLAT_TREND:
        sentences.append(
            env._(
                "Forecast trend: %(trend)s %% per 28 days.",
                trend="%+.0f" % (100 * forecast.trend_28d),
            )
        )
    else:
        sentences.append(env._("No trend: the forecast is flat over the coming weeks."))
    sentences += _weekly_sentences(forecast, ratio)
    sentences += _calendar_sentences(forecast, qty, ratio)
    sentences += _adjustment_sentences(forecast, qty, ratio)
    sentences.append(_accuracy_sentence(forecast, ratio))
    return sentences


def _method_sentence(forecast, method, ratio):
    env = forecast.env
    if not forecast.has_accuracy:
        return env._(
            "Method: %(method)s, not backtested (%(days)s days of history: too short or "
            "constant demand).",
            method=method,
            days=forecast.history_days,
        )
    if forecast.naive_mase > 0:
        return env._(
            "Method: %(method)s. Its backtest error (MASE) is %(mase)s, against %(naive)s for "
            "repeating last week (seasonal naive): %(change)s %%.",
            method=method,
            mase=ratio(forecast.mase),
            naive=ratio(forecast.naive_mase),
            change="%+.0f" % (100 * (forecast.mase / forecast.naive_mase - 1)),
        )
    return env._(
        "Method: %(method)s. Its backtest error (MASE) is %(mase)s.",
        method=method,
        mase=ratio(forecast.mase),
    )


def _weekly_sentences(forecast, ratio):
    env = forecast.env
    sentences = []
    closed = [day for day in (forecast.closed_weekdays or "").split(",") if day]
    names = {
        day: forecast._fields["weekday_%s" % day]._description_string(env)
        for day in engine.forecasting.WEEKDAYS
    }
    if closed:
        sentences.append(
            env._(
                "Closed on %(days)s: no sale on these weekdays for months, forecast 0.",
                days=", ".join(names[day] for day in closed),
            )
        )
    factors = {
        day: forecast["weekday_%s" % day]
        for day in engine.forecasting.WEEKDAYS
        if day not in closed and forecast["weekday_%s" % day] > 0
    }
    if forecast.level > 0 and len(factors) >= 2:
        high = max(factors, key=factors.get)
        low = min(factors, key=factors.get)
        if factors[high] - factors[low] >= WEEKLY_PATTERN_SPREAD:
            sentences.append(
                env._(
                    "Weekly pattern: busiest on %(high)s (%(high_factor)s × the mean day), "
                    "quietest on %(low)s (%(low_factor)s ×).",
                    high=names[high],
                    high_factor=ratio(factors[high]),
                    low=names[low],
                    low_factor=ratio(factors[low]),
                )
            )
    return sentences


def _calendar_sentences(forecast, qty, ratio):
    env = forecast.env
    sentences = []
    if forecast.holiday_effect:
        effect = dict(forecast._fields["holiday_effect"]._description_selection(env))[
            forecast.holiday_effect
        ]
        if forecast.holiday_days:
            sentences.append(
                env._(
                    "Public holidays: %(count)s in the forecast horizon. A holiday sells "
                    "%(factor)s × a normal day (%(effect)s), learnt from the past holidays.",
                    count=forecast.holiday_days,
                    factor=ratio(forecast.holiday_factor),
                    effect=effect.lower(),
                )
            )
        else:
            sentences.append(
                env._(
                    "No public holiday in the forecast horizon (a holiday sells %(factor)s × a "
                    "normal day).",
                    factor=ratio(forecast.holiday_factor),
                )
            )
    if forecast.censored_days:
        sentences.append(
            env._(
                "Stock-outs: %(days)s day(s) out of stock in the history were not read as zero "
                "demand; the forecast used a normal day's demand instead.",
                days=forecast.censored_days,
            )
        )
    if forecast.capped:
        sentences.append(
            env._(
                "Capped: the method forecast more than %(multiple)s × the largest daily demand "
                "ever sold; the forecast was cut to that.",
                multiple=engine.forecasting.CAP_MULTIPLE,
            )
        )
    return sentences


def _adjustment_sentences(forecast, qty, ratio):
    env = forecast.env
    sentences = []
    reasons = dict(forecast.adjustment_ids._fields["reason"]._description_selection(env))
    for adjustment in forecast.adjustment_ids:
        values = {
            "user": adjustment.user_id.name,
            "start": format_date(env, adjustment.date_from),
            "end": format_date(env, adjustment.date_to),
            "reason": reasons[adjustment.reason],
        }
        if adjustment.kind == "factor":
            sentences.append(
                env._(
                    "Adjusted by %(user)s from %(start)s to %(end)s: %(factor)s × the "
                    "statistical forecast (%(reason)s).",
                    factor=ratio(adjustment.factor),
                    **values,
                )
            )
        else:
            sentences.append(
                env._(
                    "Adjusted by %(user)s from %(start)s to %(end)s: %(quantity)s a day "
                    "(%(reason)s).",
                    quantity=qty(adjustment.quantity),
                    **values,
                )
            )
    if forecast.adjusted_days:
        sentences.append(
            env._(
                "Adjusted forecast: %(adjusted)s over 30 days instead of %(statistical)s "
                "(%(days)s day(s) adjusted). Suggestions order for the adjusted forecast.",
                adjusted=qty(forecast.adjusted_qty_30d),
                statistical=qty(forecast.qty_30d),
                days=forecast.adjusted_days,
            )
        )
    return sentences


def _accuracy_sentence(forecast, ratio):
    env = forecast.env
    expected = ratio(forecast.mase) if forecast.has_accuracy else env._("unknown (not backtested)")
    if forecast.has_measured_accuracy:
        return env._(
            "Measured after the fact: MASE %(mase)s over %(days)s forecast day(s) of the last "
            "13 weeks, sales within the 95 %% interval on %(coverage)s %% of them (expected "
            "from the backtest: %(expected)s).",
            mase=ratio(forecast.measured_mase),
            days=forecast.measured_days,
            coverage="%.0f" % (100 * forecast.measured_coverage),
            expected=expected,
        )
    return env._(
        "Not measured yet: the forecasts are scored against what sold once their days have "
        "passed (expected from the backtest: %(expected)s).",
        expected=expected,
    )
