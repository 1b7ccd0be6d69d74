"""Benchmark of the irregular days of demand (issue 11): stock-outs, holidays, new products.

On catalogues of ``tools.generate_demand`` (1,000 products x 730 days, several seeds), each
forecast (``engine.forecast_products``, ``auto``) covers a 28-day hold-out after ``as_of`` and is
scored with ``engine.metrics`` against what customers wanted:

* **stock-outs** (``extra_stockouts=3``: three more 3-21-day windows per product, on top of the
  generator's own): the history has no sale on those days. MASE (scale: in-sample seasonal naive
  MAE of the true demand) and 95 % coverage against the *true* (uncensored) demand of the
  hold-out, of the forecast that reads stock-outs as zero demand and of the one given
  ``unavailable``; also for the products with a stock-out in the 56 days before ``as_of``.
  Then ``engine.detect_anomalies`` (robust mode, the settings default) over the last 90 days:
  DROP alerts on stock-out days, without
  and with ``unavailable`` (acceptance: none with it);
* **holidays** (Easter-like moving holidays: Good Friday, Easter Monday, Ascension, Whit Monday,
  plus 1 January, 1 May, 25-26 December; ``holidays=`` of the generator: each product closed,
  reduced, boosted or unaffected on them): the hold-out holds Good Friday, Easter Monday and
  1 May 2025. MASE on the hold-out and on the weeks (Monday-Sunday) that hold a holiday, 95 %
  coverage on all days and on the holidays, without and with ``holidays`` (acceptance: holiday
  coverage >= 0.85 and a better holiday-week MASE with it);
* **new products** (``new_days=(42, 118)`` and a catalogue with 30 % new products: 14-90 days of
  history at ``as_of``): 95 % coverage of the products with 14-90 days of history (acceptance:
  0.90-0.98), and of the others.

``--engine DIR`` imports ``engine`` from another checkout's ``erpconnect_ai`` (the generator
stays this one): run it on main's code for the "before" figures (it then runs only what that
engine supports: no ``unavailable``/``holidays``).

Usage::

    python bench/calendar_bench.py [--seeds 1,2,3] [--products 1000] [--engine DIR]
"""

import argparse
import datetime
import inspect
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "erpconnect_ai"))

from tools import generate_demand  # noqa: E402

HOLDOUT_DAYS = 28
END_DATE = pd.Timestamp("2025-06-30")
HOLIDAY_END_DATE = pd.Timestamp("2025-05-08")  # hold-out 11 April - 8 May 2025
NEW_PRODUCT_WEIGHTS = {
    "fast": 0.15,
    "seasonal": 0.1,
    "growing": 0.05,
    "declining": 0.05,
    "intermittent": 0.15,
    "slow": 0.1,
    "new": 0.3,
    "promo": 0.1,
}


def easter(year):
    """Easter Sunday of a Gregorian year (anonymous Gregorian algorithm)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    g = (8 * b + 13) // 25
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return datetime.date(year, month, day + 1)


def moving_holidays(years):
    """Good Friday, Easter Monday, Ascension, Whit Monday, 1 Jan, 1 May, 25 and 26 Dec."""
    days = []
    for year in years:
        sunday = easter(year)
        days += [sunday + datetime.timedelta(days=k) for k in (-2, 1, 39, 50)]
        days += [datetime.date(year, m, d) for m, d in ((1, 1), (5, 1), (12, 25), (12, 26))]
    return sorted(days)


def _scale_insample(demand):
    """In-sample matrix (NaN before the first sale) for the MASE scale."""
    insample = demand.copy()
    sold = insample > 0
    first = np.where(sold.any(axis=1), sold.argmax(axis=1), insample.shape[1])
    insample[np.arange(insample.shape[1])[None, :] < first[:, None]] = np.nan
    return insample


def _run(engine, train, as_of, **kwargs):
    """(P x 28 point, lower, upper, product_ids, seconds) of an auto forecast."""
    start = time.perf_counter()
    result = engine.forecast_products(train, HOLDOUT_DAYS, as_of=as_of, **kwargs)
    elapsed = time.perf_counter() - start
    matrices = (
        result.lines[column].to_numpy(dtype=float).reshape(-1, HOLDOUT_DAYS)
        for column in ("qty", "lower", "upper")
    )
    return (*matrices, result.summary["product_id"].to_numpy(), elapsed)


def _supports(engine, name):
    return name in inspect.signature(engine.forecast_products).parameters


def stockouts(engine, seed, n_products):
    from engine import metrics

    _products, history, truth = generate_demand(
        n_products, 730, seed=seed, end_date=END_DATE, extra_stockouts=3, with_truth=True
    )
    as_of = END_DATE - pd.Timedelta(days=HOLDOUT_DAYS)
    train = history[history["date"] <= as_of]
    unavailable = truth.loc[truth["unavailable"], ["product_id", "date"]]
    demand = truth["demand"].to_numpy().reshape(n_products, -1)
    actual = demand[:, -HOLDOUT_DAYS:]
    insample = _scale_insample(demand[:, :-HOLDOUT_DAYS])
    recent_window = truth["date"].between(as_of - pd.Timedelta(days=55), as_of)
    recent = np.isin(
        np.arange(1, n_products + 1),
        truth.loc[truth["unavailable"] & recent_window, "product_id"].unique(),
    )
    runs = [("stock-outs read as zero", {})]
    if _supports(engine, "unavailable"):
        past = unavailable[unavailable["date"] <= as_of]
        runs.append(("with unavailable", {"unavailable": past}))
    figures = {}
    for label, kwargs in runs:
        point, lower, upper, ids, elapsed = _run(engine, train, as_of, **kwargs)
        rows = ids - 1
        mase = metrics.mase(actual[rows], point, insample[rows])
        coverage = metrics.interval_coverage(actual[rows], lower, upper)
        hit = recent[rows]
        bias = point[hit].sum() / actual[rows][hit].sum() - 1
        figures[label] = np.nanmean(mase)
        print(
            "    %-24s MASE %.4f  coverage %.4f | %d products out of stock in the 56 days "
            "before: MASE %.4f  coverage %.4f  bias %+.3f  (%.1f s)"
            % (
                label,
                np.nanmean(mase),
                np.nanmean(coverage),
                hit.sum(),
                np.nanmean(mase[hit]),
                np.nanmean(coverage[hit]),
                bias,
                elapsed,
            )
        )
    out_of_stock = set(zip(unavailable["product_id"], unavailable["date"]))
    scans = [("anomalies, stock-outs read as zero", {})]
    if "unavailable" in inspect.signature(engine.detect_anomalies).parameters:
        scans.append(("anomalies with unavailable", {"unavailable": unavailable}))
    for label, kwargs in scans:
        found = engine.detect_anomalies(history, mode="robust", scan_days=90, **kwargs)
        drops = found[found["kind"] == "DROP"]
        on_stockout = sum(
            (p, d) in out_of_stock for p, d in zip(drops["product_id"], drops["date"])
        )
        stockout_rows = (found["kind"] == "STOCKOUT").sum() if len(found) else 0
        print(
            "    %-36s DROP alerts %d, on out-of-stock days %d; STOCKOUT rows %d"
            % (label, len(drops), on_stockout, stockout_rows)
        )
    return figures


def holidays(engine, seed, n_products):
    from engine import metrics

    days = moving_holidays(range(2022, 2027))
    _products, history, truth = generate_demand(
        n_products, 730, seed=seed, end_date=HOLIDAY_END_DATE, holidays=days, with_truth=True
    )
    as_of = HOLIDAY_END_DATE - pd.Timedelta(days=HOLDOUT_DAYS)
    train = history[history["date"] <= as_of]
    demand = truth["demand"].to_numpy().reshape(n_products, -1)
    actual = demand[:, -HOLDOUT_DAYS:]
    insample = _scale_insample(demand[:, :-HOLDOUT_DAYS])
    dates = pd.date_range(end=HOLIDAY_END_DATE, periods=HOLDOUT_DAYS, freq="D")
    is_holiday = dates.isin(pd.to_datetime(days))
    weeks = dates.to_period("W")
    holiday_weeks = np.isin(weeks, weeks[is_holiday])
    runs = [("without holidays", {})]
    if _supports(engine, "holidays"):
        runs.append(("with holidays", {"holidays": days}))
    figures = {}
    for label, kwargs in runs:
        point, lower, upper, ids, elapsed = _run(engine, train, as_of, **kwargs)
        rows = ids - 1
        truth_rows = actual[rows]
        mase = metrics.mase(truth_rows, point, insample[rows])
        mase_weeks = metrics.mase(
            truth_rows[:, holiday_weeks], point[:, holiday_weeks], insample[rows]
        )
        coverage = metrics.interval_coverage(truth_rows, lower, upper)
        inside = (truth_rows >= lower) & (truth_rows <= upper)
        figures[label] = (np.nanmean(mase_weeks), inside[:, is_holiday].mean())
        print(
            "    %-18s MASE %.4f, holiday weeks %.4f; coverage %.4f, holiday days %.4f (%.1f s)"
            % (
                label,
                np.nanmean(mase),
                np.nanmean(mase_weeks),
                np.nanmean(coverage),
                inside[:, is_holiday].mean(),
                elapsed,
            )
        )
    return figures


def new_products(engine, seed, n_products):
    products, history = generate_demand(
        n_products,
        730,
        seed=seed,
        end_date=END_DATE,
        profile_weights=NEW_PRODUCT_WEIGHTS,
        new_days=(42, 118),
    )
    as_of = END_DATE - pd.Timedelta(days=HOLDOUT_DAYS)
    train = history[history["date"] <= as_of]
    matrix = engine.daily_matrix(history)
    _point, lower, upper, ids, elapsed = _run(engine, train, as_of)
    rows = np.searchsorted(matrix.product_ids, ids)
    actual = matrix.qty[rows, -HOLDOUT_DAYS:]
    first = products.set_index("product_id")["first_sale_date"].reindex(ids).to_numpy()
    age = (np.datetime64(as_of) - first) / np.timedelta64(1, "D") + 1
    inside = (actual >= lower) & (actual <= upper)
    young = (age >= 14) & (age <= 90)
    print(
        "    products with 14-90 days of history: %d, coverage %.4f; older: %d, coverage %.4f"
        " (%.1f s)"
        % (young.sum(), inside[young].mean(), (~young).sum(), inside[~young].mean(), elapsed)
    )
    return inside[young].mean()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--engine", help="erpconnect_ai directory whose engine to run")
    parser.add_argument("--only", default="stockouts,holidays,new", help="sections to run")
    args = parser.parse_args()
    if args.engine:
        sys.path.insert(0, str(Path(args.engine).resolve()))
    import engine

    warnings.simplefilter("ignore", RuntimeWarning)
    load = " ".join("%.2f" % x for x in os.getloadavg())
    print(
        "calendar bench: engine %s, %d cores, load average %s"
        % (Path(engine.__file__).parent, os.cpu_count(), load)
    )
    seeds = [int(seed) for seed in args.seeds.split(",")]
    sections = args.only.split(",")
    for seed in seeds:
        print("\nseed %d, %d products x 730 days" % (seed, args.products))
        if "stockouts" in sections:
            print("  stock-outs (hold-out after %s)" % (END_DATE - pd.Timedelta(days=28)).date())
            stockouts(engine, seed, args.products)
        if "holidays" in sections:
            print(
                "  holidays (hold-out 2025-04-11 - 2025-05-08: Good Friday, Easter Monday, 1 May)"
            )
            holidays(engine, seed, args.products)
        if "new" in sections:
            print("  new products (30 % of the catalogue, 14-90 days of history at the cut)")
            new_products(engine, seed, args.products)
    print("\nload average at the end: %s" % " ".join("%.2f" % x for x in os.getloadavg()))


if __name__ == "__main__":
    main()
