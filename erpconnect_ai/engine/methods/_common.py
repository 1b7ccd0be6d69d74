"""Helpers shared by the forecasting methods: first sale, initial windows, one-pass recursions.

Every method in this package has the same signature::

    method(qty, origins, horizon, dates) -> ndarray (len(origins), P, horizon)

``qty`` is the P x D daily demand matrix (finite, >= 0), ``origins`` are sorted day indexes in
``1..D``: the forecast at origin ``o`` uses the days ``0..o-1`` only and covers the days
``o..o+horizon-1``. ``dates`` are the D calendar days (a ``DatetimeIndex``). Computing all origins
in one call lets the rolling-origin backtest and the final forecast share a single pass over the
matrix.
"""

import numpy as np

from ..history import first_true

#: Weekly season length in days.
SEASON = 7
#: Days after the first sale used to initialise the recursive smoothers (two weekly seasons).
INIT_DAYS = 14
#: Days before an origin whose one-step errors choose a smoother's parameters.
SELECTION_DAYS = 364


def first_sale(qty):
    """Index of the first day with demand per product; ``D`` for a product that never sold."""
    return first_true(qty > 0)


def mean_since_first_sale(qty, start, origin):
    """Mean daily demand of the days ``start..origin-1`` per row (0 when that range is empty)."""
    days = np.arange(qty.shape[1])[None, :]
    inside = (days >= start[:, None]) & (days < origin)
    count = inside.sum(axis=1)
    return np.where(count > 0, (qty * inside).sum(axis=1) / np.maximum(count, 1), 0.0)


def recursion_start(start, origins):
    """Day each product's recursion starts from: its first sale, or later when the history is
    longer than the recursions need (the ``SELECTION_DAYS`` of errors before the first origin,
    after the ``INIT_DAYS`` of initialisation): older days would not change the forecasts."""
    return np.maximum(start, min(origins) - SELECTION_DAYS - INIT_DAYS)


def init_window(qty, start):
    """The ``INIT_DAYS`` days from each product's ``start`` day (P x INIT_DAYS), and their indexes
    (clipped to the last day of the matrix)."""
    index = np.minimum(start[:, None] + np.arange(INIT_DAYS), qty.shape[1] - 1)
    return qty[np.arange(qty.shape[0])[:, None], index], index


class Recursion:
    """Run a vectorised recursion over the days of a matrix and snapshot it at the origins.

    ``step(t, y, active)`` updates the state for day ``t`` (``y`` the demand of that day, ``active``
    the 0/1 mask of products whose recursion has started) and returns the one-step-ahead error
    (G x P, already multiplied by ``active``). ``snapshot()`` returns a copy of the state.
    The squared errors are accumulated, so that the parameters of each product can be chosen at
    each origin on the errors of the ``SELECTION_DAYS`` days before it.
    """

    def __init__(self, qty, origins, active_from):
        self.qty = qty
        self.origins = list(origins)
        self.active_from = active_from
        self.stops = set(self.origins) | {max(o - SELECTION_DAYS, 0) for o in self.origins}

    def run(self, step, snapshot, n_params):
        """Return ``(states, errors)``: per origin the state snapshot and the G x P error sums."""
        qty = self.qty
        last = max(self.origins)
        first = int(min(self.active_from.min(), last))
        sse = np.zeros((n_params, qty.shape[0]))
        cumulative = {}
        states = {}
        for t in range(0, last + 1):
            if t in self.stops or t == last:
                cumulative[t] = sse.copy()
                if t in self.origins:
                    states[t] = snapshot()
            if t == last:
                break
            if t < first:
                continue
            active = (t >= self.active_from).astype(float)
            error = step(t, qty[:, t], active)
            sse += error * error
        errors = [cumulative[o] - cumulative[max(o - SELECTION_DAYS, 0)] for o in self.origins]
        return [states[o] for o in self.origins], errors


def with_fallback(point, qty, start, origin, usable_rows):
    """``point`` (P x H) where ``usable_rows``, elsewhere a flat forecast at the mean demand since
    the first sale before ``origin`` (products too new for the method; 0 if nothing sold)."""
    young = np.flatnonzero(~usable_rows)
    if len(young):
        level = mean_since_first_sale(qty[young, :origin], start[young], origin)
        point[young] = level[:, None]
    return point
