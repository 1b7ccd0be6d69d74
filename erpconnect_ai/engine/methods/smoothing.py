"""Exponential smoothing over all products at once: SES and Holt-Winters (damped trend, weekly).

Additive error-correction form, season length m = 7, for every product and every parameter set of
a small grid at the same time (arrays G x P)::

    fit_t = l + phi * b            e_t = y_t - fit_t - s_(t-m)
    l <- fit_t + alpha * e_t       b <- phi * b + beta * e_t       s_t = s_(t-m) + gamma * e_t
    forecast(k) = l + (phi + ... + phi^k) * b + s  (s: last seasonal value of that weekday)

The recursion starts 14 days after a product's first sale (or about a year before the first
origin for longer histories), from the mean of those 14 days (level), their weekday deviations
(season) and a zero trend. At each origin every product keeps the
parameter set with the smallest one-step squared error over the year before the origin (no
optimiser loop per series). SES is the same recursion with no trend and no season: its forecasts
come from the same pass, choosing only among those parameter sets (:func:`smoothing_family`).
"""

import itertools

import numpy as np

from ._common import (
    INIT_DAYS,
    SEASON,
    Recursion,
    first_sale,
    init_window,
    recursion_start,
    with_fallback,
)

ALPHAS = (0.03, 0.1, 0.2, 0.4)
#: (beta, phi): no trend, or a slowly learnt damped trend.
TRENDS = ((0.0, 1.0), (0.005, 0.95))
GAMMAS = (0.0, 0.05, 0.15)

ETS_GRID = tuple(
    (alpha, beta, gamma, phi)
    for alpha, (beta, phi), gamma in itertools.product(ALPHAS, TRENDS, GAMMAS)
)
#: SES is the part of the grid without trend and season.
SES_COLUMNS = tuple(
    i for i, (_a, beta, gamma, _p) in enumerate(ETS_GRID) if beta == 0 and gamma == 0
)


def _smooth(qty, origins, horizon, grid, selections):
    """Holt-Winters recursion for a parameter grid; per selection (name -> grid columns) the
    chosen forecasts at every origin, arrays (len(origins), P, H)."""
    n_products = qty.shape[0]
    params = np.array(grid, dtype=float)
    alpha, beta, gamma, phi = (params[:, i, None] for i in range(4))
    trended = bool((params[:, 1] > 0).any())
    seasonal = bool((params[:, 2] > 0).any())
    start = first_sale(qty)
    begin = recursion_start(start, origins)
    active_from = begin + INIT_DAYS

    window, index = init_window(qty, begin)
    level = np.broadcast_to(window.mean(axis=1), (len(grid), n_products)).copy()
    trend = np.zeros_like(level)
    season = np.zeros((SEASON, len(grid), n_products))
    if seasonal:
        weekly = (window[:, :SEASON] + window[:, SEASON : 2 * SEASON]) / 2 - window.mean(axis=1)[
            :, None
        ]
        positions = index[:, :SEASON] % SEASON
        for i in range(SEASON):
            season[positions[:, i], :, np.arange(n_products)] = weekly[:, i, None]
        season *= (params[:, 2] > 0)[None, :, None]

    def step(t, y, active):
        nonlocal level, trend
        position = t % SEASON
        fit = level + phi * trend if trended else level
        error = (y - fit - season[position]) * active
        level = fit + alpha * error
        if trended:
            trend = phi * trend + beta * error
        if seasonal:
            season[position] += gamma * error
        return error

    def snapshot():
        return level.copy(), trend.copy(), season.copy()

    states, errors = Recursion(qty, origins, active_from).run(step, snapshot, len(grid))
    steps = np.arange(1, horizon + 1)
    damping = np.cumsum(phi ** steps[None, :], axis=1)  # G x H: phi + ... + phi^k
    products = np.arange(n_products)
    results = {}
    for name, columns in selections.items():
        columns = np.asarray(columns)
        result = np.empty((len(origins), n_products, horizon))
        for f, (origin, (lvl, trd, sea), sse) in enumerate(zip(origins, states, errors)):
            best = columns[np.argmin(sse[columns], axis=0)]
            positions = (origin + steps - 1) % SEASON
            point = (
                lvl[best, products][:, None]
                + damping[best] * trd[best, products][:, None]
                + sea[positions[None, :], best[:, None], products[:, None]]
            )
            ready = active_from <= origin
            result[f] = with_fallback(np.maximum(point, 0.0), qty, start, origin, ready)
        results[name] = result
    return results


def smoothing_family(qty, origins, horizon, dates=None):
    """ETS and SES forecasts from one recursion: ``{"ets": ..., "ses": ...}``."""
    return _smooth(
        qty, origins, horizon, ETS_GRID, {"ets": range(len(ETS_GRID)), "ses": SES_COLUMNS}
    )


def ets(qty, origins, horizon, dates=None):
    """Holt-Winters with optional damped trend and weekly seasonality, parameters per product."""
    return smoothing_family(qty, origins, horizon)["ets"]


def ses(qty, origins, horizon, dates=None):
    """Simple exponential smoothing (flat forecast), smoothing constant per product."""
    return smoothing_family(qty, origins, horizon)["ses"]
