"""Service level against stock: what each target service level delivers and costs, per ABC class.

:func:`policy_curve` replays :func:`engine.plan_orders` (:func:`engine.simulate_policy`,
``policy="plan"``, lost sales) on a past window of the history once per target service level —
the same level for every class in one replay, classes being independent — and reports per ABC
class the replayed fill rate and the average stock value it took. The grid is ``LEVELS`` plus
the current settings' levels (each class's current point is on its curve, ``is_current``).

The replays of one curve differ only by their service levels: they share their forecasts
(:func:`engine.simulate_policy` ``memo``), made by the first replay. A replay of every product
would still cost minutes per thousand products (the forecasts at every review); the curve
replays a **sample** of at most ``sample_per_class`` products per class (seeded, so the same
products are drawn every night for the same catalogue) and scales the class totals (average
stock value, lost sales value) by ``products in the class / products sampled``. Rates (fill
rate, cycle service level) are the sample's.
"""

import numpy as np
import pandas as pd

from .policy_replay import simulate_policy

#: Target service levels of the curve (80 % to 99.5 %).
LEVELS = (0.80, 0.85, 0.90, 0.925, 0.95, 0.97, 0.98, 0.99, 0.995)
CLASSES = ("A", "B", "C")
SAMPLE_PER_CLASS = 100
CURVE_COLUMNS = [
    "abc",
    "service_level",
    "fill_rate",
    "cycle_service_level",
    "avg_stock_value",
    "avg_on_hand",
    "lost_value",
    "stockout_days",
    "products",
    "sampled",
    "is_current",
]


def sample_items(items, sample_per_class=SAMPLE_PER_CLASS, seed=0):
    """At most ``sample_per_class`` items of each ABC class of ``items`` (column ``abc``; items
    without a class are left out), drawn with ``seed`` from the items sorted by product id.

    Returns ``(sample, counts)``: the sampled rows (sorted by product id) and ``{class: number
    of items of the class}``.
    """
    if sample_per_class < 1:
        raise ValueError("sample_per_class must be at least 1, got %r" % (sample_per_class,))
    frame = items[items["abc"].isin(CLASSES)].sort_values("product_id", kind="mergesort")
    rng = np.random.default_rng(seed)
    parts, counts = [], {}
    for abc in CLASSES:
        rows = frame[frame["abc"] == abc]
        counts[abc] = len(rows)
        if len(rows) > sample_per_class:
            rows = rows.iloc[np.sort(rng.choice(len(rows), sample_per_class, replace=False))]
        parts.append(rows)
    sample = pd.concat(parts).sort_values("product_id", kind="mergesort")
    return sample.reset_index(drop=True), counts


def curve_levels(current_levels, levels=LEVELS):
    """Sorted grid of the curve: ``levels`` plus each class's current level."""
    grid = {round(float(level), 6) for level in levels}
    grid.update(round(float(level), 6) for level in current_levels.values())
    for level in grid:
        if not 0.0 < level < 1.0:
            raise ValueError("a service level must be between 0 and 1, got %r" % (level,))
    return sorted(grid)


def policy_curve(
    history,
    items,
    current_levels,
    levels=LEVELS,
    start=None,
    end=None,
    review_days=1,
    sample_per_class=SAMPLE_PER_CLASS,
    seed=0,
    **replay_options,
):
    """Per ABC class, the replayed outcome of each target service level.

    Args:
        history: sales history ``product_id, date, qty[, amount]``.
        items: DataFrame, one row per product: ``product_id``, ``abc``, ``lead_time_days``,
            optional ``lead_time_std``, ``review_days``, ``min_qty``, ``multiple``,
            ``rounding``, ``unit_cost`` (stock value), ``price`` (lost sales value), as
            :func:`engine.simulate_policy` reads them.
        current_levels: ``{"A": 0.98, "B": 0.95, "C": 0.90}``: the settings' levels, marked
            ``is_current`` and added to the grid.
        levels: the grid of target levels (default ``LEVELS``, 80 % to 99.5 %).
        start, end: the replayed window (default: the last 365 days of the history).
        review_days: days between two decisions of the replay (1: daily, as the nightly run).
        sample_per_class, seed: see :func:`sample_items`.
        replay_options: passed to :func:`engine.simulate_policy` (``method``,
            ``default_lead_time``, ``refit_days``...).

    Returns:
        ``(curve, info)``: ``curve`` a DataFrame ``CURVE_COLUMNS``, one row per class with
        products and level, by class then level: ``fill_rate``, ``cycle_service_level`` (the
        sample's), ``avg_stock_value``, ``avg_on_hand``, ``lost_value`` (class totals
        estimated from the sample), ``stockout_days`` (average per product), ``products``
        (items of the class), ``sampled``, ``is_current``; ``info`` the first replay's
        ``info`` (window ``start``, ``end``, ``days``) with ``replays`` and ``seconds``.

    Raises:
        ValueError: bad levels, sample size or replay arguments (see
            :func:`engine.simulate_policy`).
    """
    grid = curve_levels(current_levels, levels)
    sample, counts = sample_items(items, sample_per_class, seed)
    if sample.empty:
        return pd.DataFrame(columns=CURVE_COLUMNS), {"replays": 0, "seconds": 0.0}
    rows, info, seconds = [], None, 0.0
    memo = {}  # the replays differ only by their service levels: they forecast once
    for level in grid:
        replay = simulate_policy(
            history,
            sample,
            start=start,
            end=end,
            review_days=review_days,
            service_levels=dict.fromkeys(CLASSES, level),
            policy="plan",
            memo=memo,
            **replay_options,
        )
        info = info or dict(replay.info)
        seconds += sum(replay.info["seconds"].values())
        classes = replay.classes.set_index("abc")
        for abc in CLASSES:
            if abc not in classes.index or not counts[abc]:
                continue
            outcome = classes.loc[abc]
            scale = counts[abc] / outcome["products"]
            rows.append(
                {
                    "abc": abc,
                    "service_level": level,
                    "fill_rate": float(outcome["fill_rate"]),
                    "cycle_service_level": float(outcome["cycle_service_level"]),
                    "avg_stock_value": float(outcome["avg_on_hand_value"]) * scale,
                    "avg_on_hand": float(outcome["avg_on_hand"]) * scale,
                    "lost_value": float(outcome["lost_value"]) * scale,
                    "stockout_days": float(outcome["stockout_days"]) / outcome["products"],
                    "products": counts[abc],
                    "sampled": int(outcome["products"]),
                    "is_current": abs(level - round(float(current_levels.get(abc, -1)), 6)) < 1e-9,
                }
            )
    info.update(replays=len(grid), seconds=seconds)
    curve = pd.DataFrame(rows, columns=CURVE_COLUMNS)
    return curve.sort_values(["abc", "service_level"]).reset_index(drop=True), info
