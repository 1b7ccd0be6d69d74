"""Vectorised forecasting methods over a products x days demand matrix.

Every method has the signature ``method(qty, origins, horizon, dates)`` and returns the point
forecasts of all products at all origins, an array ``(len(origins), P, horizon)`` (see
:mod:`engine.methods._common`). :data:`METHODS` maps the public method names of
``engine.forecast`` to them; the two classic methods come from :mod:`engine.baseline` and
:mod:`engine.polynomial`. :func:`run_methods` computes several at once, sharing the recursions of
methods that come from the same pass (ETS and SES, Croston and SBA).
"""

import numpy as np

from ..baseline import moving_average_forecast
from ..polynomial import polynomial_method
from .boosting import gbm
from .intermittent import croston, croston_family, sba, tsb
from .naive import seasonal_naive
from .smoothing import ets, ses, smoothing_family


def moving_average(qty, origins, horizon, dates=None):
    """Classic baseline: flat forecast at the last 7-day moving average, at every origin."""
    return np.stack([moving_average_forecast(qty[:, :origin], horizon).point for origin in origins])


METHODS = {
    "moving_average": moving_average,
    "polynomial": polynomial_method,
    "seasonal_naive": seasonal_naive,
    "ets": ets,
    "ses": ses,
    "croston": croston,
    "sba": sba,
    "tsb": tsb,
    "gbm": gbm,
}

#: Methods computed together by one function returning ``{name: forecasts}``.
FAMILIES = {"ets": smoothing_family, "ses": smoothing_family, "croston": croston_family}
FAMILIES["sba"] = croston_family


def run_methods(names, qty, origins, horizon, dates):
    """``{name: forecasts (len(origins), P, horizon)}`` for the given method names."""
    results = {}
    for name in names:
        if name in results:
            continue
        if name in FAMILIES:
            family = FAMILIES[name](qty, origins, horizon, dates)
            results.update({key: value for key, value in family.items() if key in names})
        else:
            results[name] = METHODS[name](qty, origins, horizon, dates)
    return {name: results[name] for name in names}
