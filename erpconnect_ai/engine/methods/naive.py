"""Seasonal naive (weekly): each future day repeats the same weekday of the last observed week."""

import numpy as np

from ._common import SEASON, first_sale, with_fallback


def seasonal_naive(qty, origins, horizon, dates=None):
    """Forecast day ``o + k - 1`` with the demand of day ``o - 7 + (k - 1) % 7``.

    Products with less than a week since their first sale get the flat mean of what they have.
    """
    start = first_sale(qty)
    steps = np.arange(horizon)
    result = np.empty((len(origins), qty.shape[0], horizon))
    for f, origin in enumerate(origins):
        if origin < SEASON:
            point, week_old = np.zeros((qty.shape[0], horizon)), np.zeros(qty.shape[0], dtype=bool)
        else:
            point, week_old = qty[:, origin - SEASON + steps % SEASON], origin - start >= SEASON
        result[f] = with_fallback(point, qty, start, origin, week_old)
    return result
