"""ABC/XYZ segmentation and its 3 × 3 matrix (issue 3, item 4).

ABC, on the revenue of each product over the window (sum of ``amount``; the quantity when the
history has no ``amount`` column, said in ``note``). Products are ranked by revenue, highest
first, ties by ascending ``product_id``; rank r is 1-based, P products in all.

- ``mode="rank"`` (default thresholds (0.2, 0.5)): A when r ≤ ceil(0.2·P), B when
  r ≤ ceil(0.5·P), else C. With 10 products: A ranks 1–2, B 3–5, C 6–10; one product is A.
- ``mode="pareto"`` (default thresholds (0.8, 0.95)): with ``before`` the revenue share of the
  products ranked above, A when before < 0.8, B when before < 0.95, else C. The product that
  crosses 80 % is therefore A (it makes part of the first 80 %).

In both modes a product without revenue (≤ 0) is C.

XYZ, on the coefficient of variation (population σ / mean) of the demand per period:
``xyz_period="W"`` sums the days into 7-day blocks counted back from ``as_of`` (a leading
incomplete block is left out when ``lookback_days`` cuts the history; without ``lookback_days``
the window starts with the history, so the first block is completed with days without sales),
``"D"`` uses the days. Periods before a product's first sale are
left out. X when cv < 0.3, Y when 0.3 ≤ cv < 0.7, Z when cv ≥ 0.7. A product without demand, or
with fewer than 2 periods since its first sale, is Z with a note and cv NaN.

Stock-outs (``unavailable``, see :mod:`engine.history`): a day the product could not be sold
is not a day of zero demand. With ``xyz_period="D"`` those days are left out; with ``"W"`` a
week's total is scaled to 7 days from its days in stock (``total x 7 / days in stock``) and a
week without any day in stock is left out. Revenue (ABC) is what was sold, stock-outs included.
"""

import math

import numpy as np
import pandas as pd

from .history import daily_matrix, first_true


def _lt(text):
    """Mark ``text`` for translation extraction; the ORM layer translates it."""
    return text


ABC_CLASSES = ("A", "B", "C")
XYZ_CLASSES = ("X", "Y", "Z")
DEFAULT_ABC_THRESHOLDS = {"rank": (0.2, 0.5), "pareto": (0.8, 0.95)}
RECOMMENDATIONS = {
    "AX": _lt("Tight control: frequent small orders, low safety stock, automatic replenishment."),
    "AY": _lt("Review weekly: forecast-driven orders with moderate safety stock."),
    "AZ": _lt(
        "High value, erratic: order to confirmed demand, watch closely, buffer critical items."
    ),
    "BX": _lt("Steady: automatic reorder points with standard safety stock."),
    "BY": _lt("Periodic review with forecast and standard safety stock."),
    "BZ": _lt("Irregular: order on demand or keep a small buffer, review monthly."),
    "CX": _lt("Low value, steady: large infrequent orders, minimal effort."),
    "CY": _lt("Low value: periodic bulk orders, simple min/max rules."),
    "CZ": _lt("Order on demand or drop from the range."),
}
SEGMENT_COLUMNS = ["product_id", "revenue", "revenue_share", "abc", "cv", "xyz", "segment", "note"]
MATRIX_COLUMNS = ["abc", "xyz", "product_count", "revenue", "revenue_share", "recommendation"]


def _thresholds(values, name, default):
    low, high = default if values is None else values
    if not 0.0 < float(low) <= float(high) <= 1.0:
        raise ValueError(
            "%s must be two increasing fractions in (0, 1], got %r" % (name, (low, high))
        )
    return float(low), float(high)


def abc_classes(revenue, product_ids, mode="rank", thresholds=None):
    """ABC class of each product (see the module docstring), object array (P,)."""
    if mode not in DEFAULT_ABC_THRESHOLDS:
        raise ValueError("mode must be 'rank' or 'pareto', got %r" % (mode,))
    low, high = _thresholds(thresholds, "abc_thresholds", DEFAULT_ABC_THRESHOLDS[mode])
    revenue = np.asarray(revenue, dtype=np.float64)
    count = len(revenue)
    order = np.lexsort((np.asarray(product_ids), -revenue))  # revenue desc, then id asc
    classes = np.full(count, "C", dtype=object)
    if count == 0:
        return classes
    if mode == "rank":
        rank = np.arange(1, count + 1)
        # round() first: 0.2 * 15 is 3.0000000000000004 in floats, whose ceil would be 4.
        a_last = math.ceil(round(low * count, 9))
        b_last = math.ceil(round(high * count, 9))
        ranked = np.where(rank <= a_last, "A", np.where(rank <= b_last, "B", "C"))
    else:
        ranked_revenue = np.maximum(revenue[order], 0.0)
        total = ranked_revenue.sum()
        before = np.concatenate([[0.0], np.cumsum(ranked_revenue)[:-1]]) / (total or 1.0)
        before = np.round(before, 12)
        ranked = np.where(before < low, "A", np.where(before < high, "B", "C"))
    classes[order] = ranked
    classes[revenue <= 0] = "C"
    return classes


def _period_totals(qty, period, complete_first_week=False, censored=None):
    """Demand per period: (P, N) array of 7-day sums counted back from the last day, or days.

    The leading incomplete week is left out, or completed with zero days before it when
    ``complete_first_week`` (the matrix starts with the history: earlier days sold nothing).
    ``censored`` (P, D) days are left out: NaN days, weeks scaled to 7 days in stock (NaN
    without any).
    """
    if period == "D":
        return qty if censored is None else np.where(censored, np.nan, qty)
    in_stock = np.ones(qty.shape) if censored is None else (~censored).astype(float)
    if complete_first_week and qty.shape[1] % 7:
        padding = np.zeros((qty.shape[0], 7 - qty.shape[1] % 7))
        qty = np.concatenate([padding, qty], axis=1)
        in_stock = np.concatenate([padding + 1.0, in_stock], axis=1)
    blocks = qty.shape[1] // 7
    if blocks == 0:
        return np.zeros((qty.shape[0], 0))

    def weekly(values):
        return values[:, values.shape[1] - blocks * 7 :].reshape(len(values), blocks, 7).sum(axis=2)

    totals = weekly(qty)
    if censored is None:
        return totals
    days = weekly(in_stock)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(days > 0, totals * 7 / np.maximum(days, 1), np.nan)


def xyz_classes(qty, period="W", thresholds=None, complete_first_week=False, censored=None):
    """Coefficient of variation and XYZ class of each row of a demand matrix.

    Args:
        qty: (P, D) daily demand, the last day is ``as_of``.
        period: ``"W"`` (7-day blocks counted back from the last day) or ``"D"``.
        thresholds: (X, Y) cut-offs, default (0.3, 0.7).
        complete_first_week: complete the leading incomplete week with zeros instead of
            leaving it out (when the matrix starts at the beginning of the history).
        censored: optional (P, D) bool, stock-out days (see the module docstring).

    Returns:
        (cv float array (P,) with NaN where undefined, xyz object array (P,), note object
        array (P,)).
    """
    if period not in ("W", "D"):
        raise ValueError("xyz_period must be 'W' (weekly) or 'D' (daily), got %r" % (period,))
    low, high = _thresholds(thresholds, "xyz_thresholds", (0.3, 0.7))
    totals = _period_totals(
        np.asarray(qty, dtype=np.float64), period, complete_first_week, censored
    )
    n_products, n_periods = totals.shape
    sold = totals > 0
    first = first_true(sold)
    active = (np.arange(n_periods)[np.newaxis, :] >= first[:, np.newaxis]) & np.isfinite(totals)
    periods = active.sum(axis=1)
    totals = np.where(active, totals, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        mean = (totals * active).sum(axis=1) / np.maximum(periods, 1)
        variance = (active * (totals - mean[:, np.newaxis]) ** 2).sum(axis=1) / np.maximum(
            periods, 1
        )
        cv = np.where((periods >= 2) & (mean > 0), np.sqrt(variance) / mean, np.nan)
    xyz = np.where(cv < low, "X", np.where(cv < high, "Y", "Z")).astype(object)
    note = np.full(n_products, "", dtype=object)
    no_demand = ~sold.any(axis=1)
    short = ~no_demand & (periods < 2)
    label = "week" if period == "W" else "day"
    note[short] = "fewer than 2 %ss since the first sale: Z" % label
    note[no_demand] = "no demand: Z"
    xyz[np.isnan(cv)] = "Z"
    return cv, xyz, note


def segment_abc_xyz(
    history,
    mode="rank",
    abc_thresholds=None,
    xyz_thresholds=(0.3, 0.7),
    xyz_period="W",
    as_of=None,
    lookback_days=None,
    unavailable=None,
):
    """ABC/XYZ segment of every product and the 3 × 3 matrix (see the module docstring).

    Args:
        history: DataFrame ``product_id, date, qty[, amount]``.
        mode: ``"rank"`` (share of products) or ``"pareto"`` (share of revenue).
        abc_thresholds: (A, A+B) cut-offs; default (0.2, 0.5) in rank mode, (0.8, 0.95) in
            pareto mode.
        xyz_thresholds: (X, Y) cv cut-offs, default (0.3, 0.7).
        xyz_period: ``"W"`` weekly (default) or ``"D"`` daily.
        as_of, lookback_days: window of the analysis (:func:`engine.daily_matrix`).
        unavailable: optional DataFrame ``product_id, date`` of stock-out days, left out of the
            variability (see the module docstring).

    Returns:
        ``(segments, matrix)``. ``segments`` per product: ``product_id, revenue,
        revenue_share, abc, cv, xyz, segment`` (e.g. "AX"), ``note``. ``matrix`` 9 rows
        AX, AY, AZ, BX, … CZ: ``abc, xyz, product_count, revenue, revenue_share,
        recommendation``. Revenue shares are fractions (0 to 1) of the total revenue.
    """
    matrix = daily_matrix(
        history, as_of=as_of, lookback_days=lookback_days, unavailable=unavailable
    )
    if matrix.revenue is not None:
        revenue = matrix.revenue.sum(axis=1)
        revenue_note = ""
    else:
        revenue = matrix.qty.sum(axis=1)
        revenue_note = "no amount column: ranked by quantity"
    total = revenue.sum()
    share = revenue / total if total > 0 else np.zeros(len(revenue))
    abc = abc_classes(revenue, matrix.product_ids, mode, abc_thresholds)
    cv, xyz, notes = xyz_classes(
        matrix.qty,
        xyz_period,
        xyz_thresholds,
        complete_first_week=lookback_days is None,
        censored=matrix.censored,
    )
    if revenue_note:
        notes = np.array(
            ["; ".join(filter(None, (revenue_note, note))) for note in notes], dtype=object
        )
    segment = (abc.astype(str).astype(object) + xyz.astype(str).astype(object)).astype(object)
    segments = pd.DataFrame(
        {
            "product_id": matrix.product_ids,
            "revenue": revenue,
            "revenue_share": share,
            "abc": abc,
            "cv": cv,
            "xyz": xyz,
            "segment": segment,
            "note": notes,
        },
        columns=SEGMENT_COLUMNS,
    )
    rows = []
    for abc_class in ABC_CLASSES:
        for xyz_class in XYZ_CLASSES:
            cell = (abc == abc_class) & (xyz == xyz_class)
            cell_revenue = float(revenue[cell].sum())
            rows.append(
                {
                    "abc": abc_class,
                    "xyz": xyz_class,
                    "product_count": int(cell.sum()),
                    "revenue": cell_revenue,
                    "revenue_share": cell_revenue / total if total > 0 else 0.0,
                    "recommendation": RECOMMENDATIONS[abc_class + xyz_class],
                }
            )
    return segments, pd.DataFrame(rows, columns=MATRIX_COLUMNS)
