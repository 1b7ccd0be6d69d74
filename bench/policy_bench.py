"""Replay benchmark of the stock policies (issue 12 acceptance figures).

Setting of the issue: the last 365 days of a history are replayed with ``engine.simulate_policy``
(lead time 7 days, lost sales when the shelf is empty, service levels A 98 % / B 95 % / C 90 %,
ABC classes from the revenue of the 365 days before the window, ``rank`` mode as in the
pipeline; products without sales then are C). Catalogues: the seeded generator
``tools.generate_demand`` (730 days, demo profile mix, several seeds) and the real SID data set
(500 store x item daily series 2013-2017 from the ``ddop`` source archive, downloaded once into
``bench/data/`` by ``bench/engine_bench.py``'s helper; it has no prices: figures in units).

For each catalogue:

1. **before**: the classic policy as the analysis pipeline used it (``engine.replenishment``
   ``mode="service"``, protection = lead time only), reviewed weekly; once with the review
   period passed to the order-up-to level (the issue's diagnosis) and once as the pipeline
   called it (no review period at all);
2. **plan, weekly reviews**: ``engine.plan_orders`` decisions; per class the fill rate (must be
   >= target - 2 points), the cycle service level, stock-out days, average stock (units, value,
   days of demand) and orders; then the classic days-of-cover policy (review period passed),
   its safety days tuned per class by bisection until it reaches at least the plan's fill rate,
   and its average stock: the plan must not need more;
3. the same with **daily reviews**;
4. **speed**: wall time of the weekly plan replay of the first catalogue (1,000 products x one
   year by default; must be <= 60 s), with ``nproc`` and the load average.

``--exact N`` adds, on N products of the first seed, the replay with a full forecast at every
review (``refit_days=7``: the decisions of ``plan_orders`` exactly) against the default replay
(full forecast every 91 days, updated forecasts in between), and the exact replay with another
random sample of the gradient-boosting training rows (``boosting.SEED = 1``): the noise floor of
the exact decisions themselves.

Usage::

    python bench/policy_bench.py                          # 1,000 products, seeds 1 2 3, SID
    python bench/policy_bench.py --products 300 --seeds 1 --no-real --no-daily
    python bench/policy_bench.py --exact 200              # + exact vs updated forecasts
"""

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR.parent / "erpconnect_ai"))
sys.path.insert(0, str(BENCH_DIR))

import engine  # noqa: E402
from engine.methods import boosting  # noqa: E402
from tools import generate_demand  # noqa: E402

LEAD_TIME = 7
SERVICE_LEVELS = {"A": 0.98, "B": 0.95, "C": 0.90}
TOLERANCE = 0.02
MAX_SAFETY_DAYS = 120.0
BISECTION_STEPS = 11
SPEED_LIMIT_SECONDS = 60.0


def machine():
    load = " ".join("%.2f" % value for value in os.getloadavg())
    return "nproc %d, load average %s" % (os.cpu_count() or 1, load)


def catalogue_items(history, products=None):
    """Items of the replay: lead time 7, ABC class of the 365 days before the window."""
    end = pd.Timestamp(history["date"].max())
    before = end - pd.Timedelta(days=365)
    segments, _cells = engine.segment_abc_xyz(history, as_of=before, lookback_days=365)
    ids = np.sort(history["product_id"].unique())
    items = pd.DataFrame({"product_id": ids, "lead_time_days": float(LEAD_TIME)})
    items = items.merge(segments[["product_id", "abc"]], on="product_id", how="left")
    items["abc"] = items["abc"].fillna("C")
    if products is not None:
        costs = products.set_index("product_id")
        items["unit_cost"] = costs["standard_price"].reindex(ids).to_numpy()
        items["price"] = costs["list_price"].reindex(ids).to_numpy()
    return items


def replay(history, items, **kwargs):
    return engine.simulate_policy(history, items, service_levels=SERVICE_LEVELS, **kwargs)


def tune_classic(history, items, wanted, review_days):
    """The classic days-of-cover policy (review period passed) with the fewest safety days whose
    fill rate reaches ``wanted``: ``(safety_days, classes row)``."""

    def run(safety_days):
        result = replay(
            history,
            items,
            review_days=review_days,
            policy="classic",
            classic={"mode": "days", "safety_days": safety_days, "review_days": review_days},
        )
        return result.classes.iloc[-1]

    low, high = 0.0, MAX_SAFETY_DAYS
    best = run(high)
    if best["fill_rate"] < wanted:
        return high, best
    for _ in range(BISECTION_STEPS):
        middle = (low + high) / 2
        row = run(middle)
        if row["fill_rate"] >= wanted:
            high, best = middle, row
        else:
            low = middle
    return high, best


def print_classes(title, classes, value):
    print("  %s" % title)
    print(
        "    class  products  target  fill rate  cycle SL  stock-out days  lost units"
        "   avg on hand%s  days of demand  orders" % ("  avg stock value" if value else "")
    )
    for row in classes.itertuples(index=False):
        target = "" if np.isnan(row.target) else "%.0f %%" % (100 * row.target)
        print(
            "    %-5s  %8d  %6s  %9.3f  %8.3f  %14d  %10.0f  %12.0f%s  %14.1f  %6d"
            % (
                row.abc,
                row.products,
                target,
                row.fill_rate,
                row.cycle_service_level,
                row.stockout_days,
                row.lost_units,
                row.avg_on_hand,
                "  %16.0f" % row.avg_on_hand_value if value else "",
                row.days_of_demand,
                row.orders,
            )
        )


def check_plan(classes):
    """Fill rate >= target - 2 points in every class: list of failures."""
    failures = []
    for row in classes.itertuples(index=False):
        if row.abc != "ALL" and row.fill_rate < row.target - TOLERANCE:
            failures.append(
                "class %s fill rate %.3f < %.3f" % (row.abc, row.fill_rate, row.target - TOLERANCE)
            )
    return failures


def compare_with_classic(history, items, plan, review_days, value):
    """Per class, the classic policy tuned to the plan's fill rate, and the stock comparison."""
    stock = "avg_on_hand_value" if value else "avg_on_hand"
    print("  classic days-of-cover policy tuned per class to the plan's fill rate:")
    print(
        "    class  plan fill  plan stock  plan orders  classic safety days  classic fill"
        "  classic stock  classic orders  plan / classic stock"
    )
    failures = []
    for row in plan.classes.itertuples(index=False):
        if row.abc == "ALL":
            continue
        members = items[items["abc"] == row.abc]
        safety, classic = tune_classic(history, members, row.fill_rate, review_days)
        ratio = getattr(row, stock) / classic[stock] if classic[stock] > 0 else np.nan
        verdict = "ok" if classic["fill_rate"] >= row.fill_rate and ratio <= 1.0 else "MORE"
        if verdict != "ok":
            failures.append(
                "class %s: plan stock %.0f, classic %.0f at fill %.3f"
                % (row.abc, getattr(row, stock), classic[stock], classic["fill_rate"])
            )
        print(
            "    %-5s  %9.3f  %10.0f  %11d  %19.1f  %12.3f  %13.0f  %14d  %20.2f  %s"
            % (
                row.abc,
                row.fill_rate,
                getattr(row, stock),
                row.orders,
                safety,
                classic["fill_rate"],
                classic[stock],
                classic["orders"],
                ratio,
                verdict,
            )
        )
    return failures


def bench_catalogue(label, history, items, args, value):
    """Sections 1-3 for one catalogue; returns (failures, weekly plan replay, seconds)."""
    print(
        "\n== %s: %d products, window %s .. %s"
        % (
            label,
            len(items),
            (pd.Timestamp(history["date"].max()) - pd.Timedelta(days=364)).date(),
            pd.Timestamp(history["date"].max()).date(),
        )
    )
    failures = []
    before = replay(
        history,
        items,
        review_days=7,
        policy="classic",
        classic={"mode": "service", "review_days": 7},
    )
    print_classes(
        "before: classic service policy, reorder point = lead time only, order-up-to + 7 days,"
        " weekly reviews",
        before.classes,
        value,
    )
    as_called = replay(history, items, review_days=7, policy="classic")
    print_classes(
        "before, as the pipeline called it (no review period at all), weekly reviews",
        as_called.classes,
        value,
    )
    started = time.perf_counter()
    weekly = replay(history, items, review_days=7)
    seconds = time.perf_counter() - started
    print_classes(
        "plan_orders, weekly reviews (%.1f s, %s)" % (seconds, machine()), weekly.classes, value
    )
    failures += ["weekly: " + text for text in check_plan(weekly.classes)]
    failures += [
        "weekly: " + text for text in compare_with_classic(history, items, weekly, 7, value)
    ]
    if not args.no_daily:
        started = time.perf_counter()
        daily = replay(history, items, review_days=1)
        print_classes(
            "plan_orders, daily reviews (%.1f s, %s)" % (time.perf_counter() - started, machine()),
            daily.classes,
            value,
        )
        failures += ["daily: " + text for text in check_plan(daily.classes)]
        failures += [
            "daily: " + text for text in compare_with_classic(history, items, daily, 1, value)
        ]
    return failures, weekly, seconds


def bench_exact(history, items, size):
    """Exact replay (full forecast at every review) against the default one."""
    chosen = items.iloc[:size]
    history = history[history["product_id"].isin(chosen["product_id"])]
    print("\n== exact vs updated forecasts: %d products, weekly reviews" % size)
    runs = {}
    for label, refit_days, seed in (
        ("default (full forecast every 91 days)", 91, 0),
        ("exact (full forecast every review)", 7, 0),
        ("exact, other gbm training sample", 7, 1),
    ):
        boosting.SEED = seed
        started = time.perf_counter()
        runs[label] = replay(history, chosen, review_days=7, refit_days=refit_days)
        print_classes(
            "%s (%.1f s)" % (label, time.perf_counter() - started), runs[label].classes, False
        )
    boosting.SEED = 0
    labels = list(runs)
    exact = runs[labels[1]].decisions

    def differences(other):
        relative = (other["order_up_to"] - exact["order_up_to"]).abs() / exact["order_up_to"].clip(
            lower=1.0
        )
        return relative.median(), relative.quantile(0.9)

    print("  order-up-to level at each review and product, relative difference to the exact one:")
    for label in (labels[0], labels[2]):
        median, p90 = differences(runs[label].decisions)
        print("    %-40s median %.3f, 90th percentile %.3f" % (label, median, p90))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--no-real", action="store_true", help="skip the SID real data")
    parser.add_argument("--no-daily", action="store_true", help="skip the daily reviews")
    parser.add_argument(
        "--exact",
        type=int,
        default=0,
        metavar="N",
        help="compare with the exact replay on N products",
    )
    args = parser.parse_args()
    print(
        "policy replay bench: lead time %d, lost sales, targets %s; %s"
        % (LEAD_TIME, SERVICE_LEVELS, machine())
    )
    failures, speed = [], None
    for seed in args.seeds:
        products, history = generate_demand(args.products, n_days=730, seed=seed)
        items = catalogue_items(history, products)
        found, _weekly, seconds = bench_catalogue(
            "generated, seed %d" % seed, history, items, args, True
        )
        failures += ["seed %d %s" % (seed, text) for text in found]
        speed = seconds if speed is None else speed
        if args.exact and seed == args.seeds[0]:
            bench_exact(history, items, args.exact)
    if not args.no_real:
        from engine_bench import sid_history

        history = sid_history()
        found, _weekly, _seconds = bench_catalogue(
            "SID real data", history, catalogue_items(history), args, False
        )
        failures += ["SID " + text for text in found]
    if speed is not None:
        verdict = "ok" if speed <= SPEED_LIMIT_SECONDS else "TOO SLOW"
        print(
            "\nspeed: %d products x 1 year, weekly plan replay: %.1f s (limit %.0f s) %s; %s"
            % (args.products, speed, SPEED_LIMIT_SECONDS, verdict, machine())
        )
        if speed > SPEED_LIMIT_SECONDS:
            failures.append("weekly replay %.1f s" % speed)
    print("\n%s" % ("all checks passed" if not failures else "FAILED:\n  " + "\n  ".join(failures)))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
