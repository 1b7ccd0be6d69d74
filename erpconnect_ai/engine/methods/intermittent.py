"""Intermittent-demand methods over all products at once: Croston, SBA and TSB.

* **Croston**: when a demand occurs, size ``z <- z + alpha (y - z)`` and interval
  ``p <- p + alpha (q - p)`` (``q`` days since the previous demand); forecast ``z / p``.
* **SBA** (Syntetos-Boylan approximation): Croston times ``1 - alpha / 2``, which removes its bias.
* **TSB** (Teunter-Syntetos-Babai): every day the demand probability ``d <- d + beta (1[y>0] - d)``
  and on demand days the size ``z <- z + alpha (y - z)``; forecast ``d z``. Unlike Croston it
  decays towards zero when a product stops selling.

The recursions start 14 days after the first sale (or about a year before the first origin for
longer histories), initialised from those 14 days (mean size of the demands, mean interval, share
of days with demand). The smoothing constants are chosen per product
and origin from a small grid by the one-step squared error of the year before the origin. Croston
and SBA share one pass (:func:`croston_family`).
"""

import itertools

import numpy as np

from ._common import (
    INIT_DAYS,
    Recursion,
    first_sale,
    init_window,
    recursion_start,
    with_fallback,
)

CROSTON_ALPHAS = (0.05, 0.1, 0.2, 0.3)
TSB_GRID = tuple(itertools.product((0.05, 0.15, 0.3), (0.02, 0.08, 0.2)))


def _initial(qty, start):
    """Mean demand size, mean inter-demand interval, demand share and last demand day of the
    first 14 days after the first sale."""
    window, index = init_window(qty, start)
    sold = window > 0
    demands = np.maximum(sold.sum(axis=1), 1)
    last = index[np.arange(len(start)), INIT_DAYS - 1 - sold[:, ::-1].argmax(axis=1)]
    return window.sum(axis=1) / demands, INIT_DAYS / demands, demands / INIT_DAYS, last


def _flat(qty, origins, horizon, start, active_from, states, errors, level, selections):
    """Per selection (name -> grid columns) the P x H flat forecasts at every origin."""
    products = np.arange(qty.shape[0])
    results = {}
    for name, columns in selections.items():
        columns = np.asarray(columns)
        result = np.empty((len(origins), qty.shape[0], horizon))
        for f, (origin, state, sse) in enumerate(zip(origins, states, errors)):
            best = columns[np.argmin(sse[columns], axis=0)]
            point = np.repeat(level(state)[best, products][:, None], horizon, axis=1)
            result[f] = with_fallback(point, qty, start, origin, active_from <= origin)
        results[name] = result
    return results


def croston_family(qty, origins, horizon, dates=None):
    """Croston and SBA forecasts from one recursion: ``{"croston": ..., "sba": ...}``."""
    n_alpha = len(CROSTON_ALPHAS)
    # Columns 0..n-1: Croston, n..2n-1: SBA, with the same smoothing constants.
    alpha = np.tile(np.array(CROSTON_ALPHAS), 2)[:, None]
    factor = np.concatenate([np.ones(n_alpha), 1 - np.array(CROSTON_ALPHAS) / 2])[:, None]
    start = first_sale(qty)
    begin = recursion_start(start, origins)
    active_from = begin + INIT_DAYS
    size0, interval0, _share, last_demand = _initial(qty, begin)
    size = np.repeat(size0[None, :], 2 * n_alpha, axis=0)
    interval = np.repeat(interval0[None, :], 2 * n_alpha, axis=0)

    def step(t, y, active):
        nonlocal last_demand
        error = (y - factor * size / interval) * active
        demand = (y > 0) * active
        size[:] += alpha * demand * (y - size)
        interval[:] += alpha * demand * ((t - last_demand) - interval)
        last_demand = np.where(demand > 0, t, last_demand)
        return error

    states, errors = Recursion(qty, origins, active_from).run(
        step, lambda: (size.copy(), interval.copy()), 2 * n_alpha
    )
    return _flat(
        qty,
        origins,
        horizon,
        start,
        active_from,
        states,
        errors,
        lambda state: factor * state[0] / state[1],
        {"croston": range(n_alpha), "sba": range(n_alpha, 2 * n_alpha)},
    )


def croston(qty, origins, horizon, dates=None):
    """Classic Croston forecast (biased upwards; kept for reference)."""
    return croston_family(qty, origins, horizon)["croston"]


def sba(qty, origins, horizon, dates=None):
    """Syntetos-Boylan approximation: Croston's forecast times ``1 - alpha / 2``."""
    return croston_family(qty, origins, horizon)["sba"]


def tsb(qty, origins, horizon, dates=None):
    """Teunter-Syntetos-Babai: demand probability times demand size, updated every day."""
    params = np.array(TSB_GRID)
    alpha, beta = params[:, 0, None], params[:, 1, None]
    start = first_sale(qty)
    begin = recursion_start(start, origins)
    active_from = begin + INIT_DAYS
    size0, _interval, share0, _last = _initial(qty, begin)
    size = np.repeat(size0[None, :], len(params), axis=0)
    share = np.repeat(share0[None, :], len(params), axis=0)

    def step(t, y, active):
        error = (y - share * size) * active
        demand = (y > 0) * active
        size[:] += alpha * demand * (y - size)
        share[:] += beta * (demand - share * active)
        return error

    states, errors = Recursion(qty, origins, active_from).run(
        step, lambda: (size.copy(), share.copy()), len(params)
    )
    return _flat(
        qty,
        origins,
        horizon,
        start,
        active_from,
        states,
        errors,
        lambda state: state[0] * state[1],
        {"tsb": range(len(params))},
    )["tsb"]
