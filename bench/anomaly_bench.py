"""Benchmark of the abnormal-day alerts on planted anomalies (issue 11, item 8).

Catalogues of ``tools.generate_demand`` (default mix, 730 days, several seeds) without the
generator's own anomalies (``anomalies=False``); in the last ``SCAN_DAYS`` days this script
plants, with its own random stream:

* spikes: one day at ``ceil(k x expected)``, ``k`` uniform in 3-8, on a busy day (``expected``,
  the generator's mean of that day, at least 5 units: see ``SPIKE_MIN``), on 30 % of the
  products;
* drops to zero on busy days (expected at least 10 units) that are *not* stock-outs (the shelf
  was full, customers did not buy), on 15 % of the products;
* stock-outs: 3-10 days without any sale, given in ``unavailable``, on 10 % of the products.

That is about 7 planted days per 1,000 scanned product-days. Precision depends on that density
(the false alerts per 1,000 product-days do not): with 2 false alerts per 1,000 product-days it
would be about 0.75, with 1 about 0.85.

``engine.detect_anomalies(history, scan_days=SCAN_DAYS, unavailable=...)`` then scans those
days; every HIGH or MEDIUM SPIKE/DROP alert is matched with the planted days:

* precision = alerts on a planted day of their kind / all HIGH+MEDIUM alerts (promotion days of
  the generator, marked ``promo``, are explained demand: counted neither way, shown apart);
* recall of the spikes of x4 or more, of all spikes (x3+), of the drops;
* false HIGH+MEDIUM alerts per 1,000 scanned product-days (days from the first sale on).

Acceptance (issue 11): precision >= 0.80, recall >= 0.80 on spikes of x4 or more, <= 2 false
alerts per 1,000 product-days. ``--sid`` plants the same way in the real SID series (500 store x
item series, see ``bench/engine_bench.py``; ``expected`` = mean of the same weekday over the 4
weeks before, the data having no truth; every alert on a day not planted counts as false).
The defaults were tuned on seeds 1-3 (``--grid`` prints the other settings tried); check them on
other seeds: ``--seeds 4,5,6,7``.

Usage::

    python bench/anomaly_bench.py [--seeds 1,2,3] [--products 1000] [--grid]
        [--mode robust] [--z 3.0] [--engine DIR]
"""

import argparse
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
sys.path.insert(1, str(BENCH_DIR))

from tools import generate_demand  # noqa: E402

END_DATE = pd.Timestamp("2025-06-30")
SCAN_DAYS = 60
#: Spikes are planted on busy days: expected at least 5 units. Below that no detector can tell a
#: x4 day from noise without false alerts: under the generator's noise (gamma-Poisson, rate CV
#: 0.35) a day of 8 units on a product expected to sell 2 happens once in 240 days (1 in 900 for
#: 12 units at 3 a day), more often than the 2 false alerts per 1,000 product-days allowed.
SPIKE_MIN = 5.0
DROP_MIN = 10.0
GRID = [
    ("zscore", 3.0),
    ("zscore", 3.5),
    ("zscore", 4.0),
    ("robust", 3.0),
    ("robust", 3.2),
    ("robust", 3.4),
    ("robust", 3.5),
    ("robust", 3.6),
    ("robust", 3.7),
    ("robust", 3.8),
    ("robust", 4.0),
]


def planted_catalogue(seed, n_products):
    """Generated history with planted anomalies and stock-outs (see :func:`plant`)."""
    _products, history, truth = generate_demand(
        n_products, 730, seed=seed, end_date=END_DATE, anomalies=False, with_truth=True
    )
    n_days = 730
    qty = truth["demand"].to_numpy().reshape(n_products, n_days).copy()
    expected = truth["expected"].to_numpy().reshape(n_products, n_days)
    unavailable = truth["unavailable"].to_numpy().reshape(n_products, n_days).copy()
    dates = pd.date_range(end=END_DATE, periods=n_days, freq="D")
    promo = np.zeros((n_products, n_days), dtype=bool)
    promo_rows = history[history["event"] == "promo"]
    promo[promo_rows["product_id"] - 1, dates.get_indexer(promo_rows["date"])] = True
    qty[unavailable] = 0.0
    return plant(qty, expected, unavailable, promo, dates, np.random.default_rng([seed, 7]))


def planted_sid(seed):
    """The real SID series (500, 2013-2017) with planted anomalies and stock-outs; ``expected``
    of a day = mean of the same weekday over the 4 weeks before it (the data has no truth)."""
    from engine_bench import sid_history  # bench-only, downloads the data

    sid = sid_history()
    table = sid.pivot_table(index="product_id", columns="date", values="qty", aggfunc="sum")
    qty = table.fillna(0.0).to_numpy().copy()
    expected = np.full(qty.shape, np.nan)
    for day in range(28, qty.shape[1]):
        expected[:, day] = qty[:, day - 28 : day : 7].mean(axis=1)
    no = np.zeros(qty.shape, dtype=bool)
    dates = pd.DatetimeIndex(table.columns)
    return plant(
        qty, np.nan_to_num(expected), no.copy(), no, dates, np.random.default_rng([seed, 7])
    )


def plant(qty, expected, unavailable, promo, dates, rng):
    """Plant spikes, drops and stock-outs in the last ``SCAN_DAYS`` days (in place).

    Returns ``(history, unavailable, planted, scanned product-days, promotion days, dates)``.
    """
    n_products, n_days = qty.shape
    scan = np.arange(n_days - SCAN_DAYS, n_days)
    planted = []
    order = rng.permutation(n_products)
    spikes, drops, outs = np.array_split(order, [n_products * 3 // 10, n_products * 45 // 100])
    outs = outs[: n_products // 10]
    for p in spikes:
        days = scan[(expected[p, scan] >= SPIKE_MIN) & ~unavailable[p, scan] & ~promo[p, scan]]
        if len(days):
            day, factor = int(rng.choice(days)), rng.uniform(3, 8)
            qty[p, day] = np.ceil(factor * expected[p, day])
            planted.append((p + 1, dates[day], "SPIKE", factor))
    for p in drops:
        days = scan[(expected[p, scan] >= DROP_MIN) & ~unavailable[p, scan] & ~promo[p, scan]]
        if len(days):
            day = int(rng.choice(days))
            qty[p, day] = 0.0
            planted.append((p + 1, dates[day], "DROP", 0.0))
    for p in outs:
        length = int(rng.integers(3, 11))
        start = int(rng.integers(scan[0], n_days - length + 1))
        qty[p, start : start + length] = 0.0
        unavailable[p, start : start + length] = True
    first = np.where((qty > 0).any(axis=1), (qty > 0).argmax(axis=1), n_days)
    scanned_days = int(np.clip(n_days - np.maximum(first, scan[0]), 0, SCAN_DAYS).sum())
    rows, cols = np.nonzero(qty > 0)
    planted_history = pd.DataFrame(
        {"product_id": rows + 1, "date": dates[cols], "qty": qty[rows, cols]}
    )
    rows, cols = np.nonzero(unavailable)
    stockouts = pd.DataFrame({"product_id": rows + 1, "date": dates[cols]})
    planted = pd.DataFrame(planted, columns=["product_id", "date", "kind", "factor"])
    promo_days = set(zip(*np.nonzero(promo)))
    return planted_history, stockouts, planted, scanned_days, promo_days, dates


def score(found, planted, scanned_days, promo_days, dates):
    """Precision, recalls and false alerts per 1,000 product-days of HIGH+MEDIUM alerts."""
    alerts = found[
        found["severity"].isin(["HIGH", "MEDIUM"]) & found["kind"].isin(["SPIKE", "DROP"])
    ]
    truth = {(p, d): (kind, factor) for p, d, kind, factor in planted.itertuples(index=False)}
    day_index = {d: i for i, d in enumerate(dates)}
    hits, false, explained = set(), 0, 0
    for p, d, kind in zip(alerts["product_id"], alerts["date"], alerts["kind"]):
        if truth.get((p, d), ("",))[0] == kind:
            hits.add((p, d))
        elif (p - 1, day_index[pd.Timestamp(d)]) in promo_days:
            explained += 1
        else:
            false += 1
    counted = len(hits) + false

    def recall(mask):
        keys = list(zip(planted.loc[mask, "product_id"], planted.loc[mask, "date"]))
        return sum(key in hits for key in keys) / max(len(keys), 1), len(keys)

    return {
        "alerts": counted,
        "precision": len(hits) / counted if counted else float("nan"),
        "recall_x4": recall((planted["kind"] == "SPIKE") & (planted["factor"] >= 4)),
        "recall_spikes": recall(planted["kind"] == "SPIKE"),
        "recall_drops": recall(planted["kind"] == "DROP"),
        "false_per_1000": 1000 * false / scanned_days,
        "promo_alerts": explained,
    }


def run(engine, seeds, n_products, settings, sid=False):
    """Scores per setting (mode, z) summed over the seeds."""
    totals = {setting: [] for setting in settings}
    has_unavailable = "unavailable" in inspect.signature(engine.detect_anomalies).parameters
    for seed in seeds:
        if sid:
            history, stockouts, planted, scanned, promo_days, dates = planted_sid(seed)
        else:
            history, stockouts, planted, scanned, promo_days, dates = planted_catalogue(
                seed, n_products
            )
        print(
            "\n%s seed %d: %d products, %d scanned product-days, %d planted spikes (%d of x4+), "
            "%d drops, %d stock-out days"
            % (
                "SID" if sid else "generated",
                seed,
                history["product_id"].nunique(),
                scanned,
                (planted["kind"] == "SPIKE").sum(),
                ((planted["kind"] == "SPIKE") & (planted["factor"] >= 4)).sum(),
                (planted["kind"] == "DROP").sum(),
                len(stockouts[stockouts["date"] > dates[-SCAN_DAYS - 1]]),
            )
        )
        for mode, z in settings:
            kwargs = {"unavailable": stockouts} if has_unavailable else {}
            start = time.perf_counter()
            found = engine.detect_anomalies(
                history,
                mode=mode,
                z_threshold=z,
                low_threshold=min(2.5, z),
                scan_days=SCAN_DAYS,
                **kwargs,
            )
            figures = score(found, planted, scanned, promo_days, dates)
            totals[(mode, z)].append(figures)
            _print(mode, z, figures, time.perf_counter() - start)
    if len(seeds) > 1:
        print("\nall seeds %s" % ",".join(map(str, seeds)))
        for setting, rows in totals.items():
            merged = {
                key: np.mean(
                    [row[key][0] if isinstance(row[key], tuple) else row[key] for row in rows]
                )
                for key in rows[0]
            }
            merged = {k: (v, 0) if k.startswith("recall") else v for k, v in merged.items()}
            _print(*setting, merged, None)


def _print(mode, z, figures, elapsed):
    verdict = (
        figures["precision"] >= 0.8
        and figures["recall_x4"][0] >= 0.8
        and figures["false_per_1000"] <= 2
    )
    print(
        "  %-6s z %.1f: %5d alerts  precision %.3f  recall x4+ %.3f  x3+ %.3f  drops %.3f  "
        "false/1000 days %.2f  (promotion days %d)%s  %s"
        % (
            mode,
            z,
            figures["alerts"],
            figures["precision"],
            figures["recall_x4"][0],
            figures["recall_spikes"][0],
            figures["recall_drops"][0],
            figures["false_per_1000"],
            figures["promo_alerts"],
            "" if elapsed is None else " %.1f s" % elapsed,
            "PASS" if verdict else "FAIL",
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--grid", action="store_true", help="try the settings of GRID")
    parser.add_argument("--mode", help="anomaly mode (default: the engine's default)")
    parser.add_argument("--z", type=float, help="z threshold (default: the engine's default)")
    parser.add_argument("--engine", help="erpconnect_ai directory whose engine to run")
    parser.add_argument("--sid", action="store_true", help="plant in the real SID series")
    args = parser.parse_args()
    if args.engine:
        sys.path.insert(0, str(Path(args.engine).resolve()))
    import engine

    warnings.simplefilter("ignore", RuntimeWarning)
    defaults = inspect.signature(engine.detect_anomalies).parameters
    setting = (
        args.mode or defaults["mode"].default,
        args.z if args.z is not None else defaults["z_threshold"].default,
    )
    print(
        "anomaly bench: engine %s, %d cores, load average %s"
        % (
            Path(engine.__file__).parent,
            os.cpu_count(),
            " ".join("%.2f" % x for x in os.getloadavg()),
        )
    )
    seeds = [int(seed) for seed in args.seeds.split(",")]
    run(engine, seeds, args.products, GRID if args.grid else [setting], sid=args.sid)


if __name__ == "__main__":
    main()
