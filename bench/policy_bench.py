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

Launch periods (``engine.simulate_policy``): the demand of a product launched inside the window,
before its first possible receipt, is demand no reorder policy can serve; it is left out of the
policy's fill rate and printed apart ("launch units", and "fill incl. launch" with it).

``--shapes`` adds one catalogue per demand shape (weekly reviews, the classic comparison):
smooth, seasonal, trending (growing and declining), intermittent, lumpy (rare big orders: a
1-8 % chance of an order a day, sizes lognormal around 5-50 units), new products (30-90 days
of history), and promotions, each of ``--shape-products`` products.

``--ledger-db NAME`` adds the real-shaped history of an Odoo database with the demand ledger
(``erpconnect_demand_daily`` of company 1, read-only; vendor delays as lead times, stock-out
days as ``unavailable``): the nightly service-level curve as the analysis computes it (last 182
days, daily decisions, 100 products per class) and the daily and weekly replays of every
product.

``--exact N`` adds, on N products of the first seed, the replay with a full forecast at every
review (``refit_days=7``: the decisions of ``plan_orders`` exactly) against the default replay
(full forecast every 91 days, updated forecasts in between), and the exact replay with another
random sample of the gradient-boosting training rows (``boosting.SEED = 1``): the noise floor of
the exact decisions themselves.

Usage::

    python bench/policy_bench.py                          # 1,000 products, seeds 1 2 3, SID
    python bench/policy_bench.py --products 300 --seeds 1 --no-real --no-daily
    python bench/policy_bench.py --exact 200              # + exact vs updated forecasts
    python bench/policy_bench.py --shapes --ledger-db erp_bench_10k_ledger
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
#: Generator profiles of each demand shape of ``--shapes`` ("lumpy" is drawn by the bench).
SHAPES = {
    "smooth": {"fast": 1.0},
    "seasonal": {"seasonal": 1.0},
    "trending": {"growing": 0.5, "declining": 0.5},
    "intermittent": {"intermittent": 0.7, "slow": 0.3},
    "lumpy": None,
    "new products": {"new": 1.0},
    "promotions": {"promo": 1.0},
}
NEW_PRODUCT_DAYS = (30, 90)
NIGHTLY_WINDOW_DAYS = 182


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


def lumpy_history(n_products, n_days=730, seed=0, end_date=None):
    """Lumpy demand: each product has an order on a day with probability 1-8 %, of a size drawn
    from a lognormal around 5-50 units (σ 0.8), whole units; history rows of the days with an
    order (``product_id, date, qty, amount``; price 10)."""
    rng = np.random.default_rng(seed)
    end = pd.Timestamp(end_date or pd.Timestamp.today()).normalize()
    dates = pd.date_range(end=end, periods=n_days, freq="D")
    chance = rng.uniform(0.01, 0.08, n_products)[:, None]
    median = rng.uniform(5.0, 50.0, n_products)[:, None]
    ordered = rng.random((n_products, n_days)) < chance
    size = np.maximum(np.rint(median * rng.lognormal(0.0, 0.8, (n_products, n_days))), 1.0)
    rows, days = np.nonzero(ordered)
    qty = size[rows, days]
    history = pd.DataFrame(
        {"product_id": rows + 1, "date": dates[days], "qty": qty, "amount": 10.0 * qty}
    )
    products = pd.DataFrame(
        {
            "product_id": np.arange(1, n_products + 1),
            "standard_price": 6.0,
            "list_price": 10.0,
        }
    )
    return products, history


def fill_with_launch(row):
    """Fill rate with the launch periods' demand counted as well."""
    demand = row.demand + row.launch_demand
    return (row.sold + row.launch_demand - row.launch_lost) / demand if demand > 0 else np.nan


def print_classes(title, classes, value):
    print("  %s" % title)
    print(
        "    class  products  target  fill rate  cycle SL  stock-out days  lost units"
        "   avg on hand%s  days of demand  orders  launch units  fill incl. launch"
        % ("  avg stock value" if value else "")
    )
    for row in classes.itertuples(index=False):
        target = "" if np.isnan(row.target) else "%.0f %%" % (100 * row.target)
        print(
            "    %-5s  %8d  %6s  %9.3f  %8.3f  %14d  %10.0f  %12.0f%s  %14.1f  %6d  %12.0f  %17.3f"
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
                row.launch_demand,
                fill_with_launch(row),
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
        if classic["fill_rate"] < row.fill_rate:
            # Even MAX_SAFETY_DAYS of safety stock do not reach the plan's fill rate.
            verdict = "ok, classic cannot reach it" if ratio <= 1.0 else "MORE"
        else:
            verdict = "ok" if ratio <= 1.0 else "MORE"
        if verdict == "MORE":
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


def shape_catalogue(shape, size, seed):
    """``(products, history)`` of one demand shape of ``SHAPES``."""
    if SHAPES[shape] is None:
        return lumpy_history(size, seed=seed)
    return generate_demand(
        size, n_days=730, seed=seed, profile_weights=SHAPES[shape], new_days=NEW_PRODUCT_DAYS
    )


def bench_shapes(args):
    """Weekly plan replay and classic comparison of one catalogue per demand shape."""
    failures = []
    seed = args.seeds[0] if args.seeds else 1
    for shape in SHAPES:
        products, history = shape_catalogue(shape, args.shape_products, seed)
        items = catalogue_items(history, products)
        shape_args = argparse.Namespace(**{**vars(args), "no_daily": True})
        found, _weekly, _seconds = bench_catalogue(
            "shape %s, seed %d" % (shape, seed), history, items, shape_args, True
        )
        failures += ["shape %s %s" % (shape, text) for text in found]
    return failures


def ledger_history(args):
    """``(history, unavailable, items)`` of company 1 of ``args.ledger_db``: the demand ledger
    (ordered quantities per product and day), its stock-out days, the vendor delays."""
    import psycopg2  # bench-only dependency, only for --ledger-db

    connection = psycopg2.connect(
        host=args.db_host, user=args.db_user, password=args.db_password, dbname=args.ledger_db
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT product_id, date, SUM(qty_ordered), SUM(revenue), BOOL_AND(NOT available)"
                " FROM erpconnect_demand_daily WHERE company_id = 1 GROUP BY product_id, date"
            )
            ledger = pd.DataFrame(
                cursor.fetchall(), columns=["product_id", "date", "qty", "amount", "out"]
            )
            cursor.execute(
                "SELECT product.id, MIN(seller.delay), MAX(template.list_price)"
                " FROM product_product product"
                " JOIN product_template template ON template.id = product.product_tmpl_id"
                " LEFT JOIN product_supplierinfo seller"
                " ON seller.product_tmpl_id = template.id"
                " GROUP BY product.id"
            )
            vendors = pd.DataFrame(
                cursor.fetchall(), columns=["product_id", "lead_time_days", "price"]
            )
    finally:
        connection.close()
    ledger["date"] = pd.to_datetime(ledger["date"])
    ledger[["qty", "amount"]] = ledger[["qty", "amount"]].astype(float)
    end = ledger["date"].max()
    ledger = ledger[ledger["date"] > end - pd.Timedelta(days=365)]
    unavailable = ledger.loc[ledger["out"].fillna(False), ["product_id", "date"]]
    history = ledger[["product_id", "date", "qty", "amount"]]
    segments, _cells = engine.segment_abc_xyz(history, as_of=end, lookback_days=365)
    items = vendors[vendors["product_id"].isin(history["product_id"].unique())]
    items = items.merge(segments[["product_id", "abc"]], on="product_id", how="left")
    items["lead_time_days"] = pd.to_numeric(items["lead_time_days"]).fillna(LEAD_TIME)
    items["price"] = pd.to_numeric(items["price"]).astype(float)
    return history, unavailable, items.reset_index(drop=True)


def bench_ledger(args):
    """The nightly curve's replay (sample, daily decisions, last 182 days) and the full daily and
    weekly replays of a ledger database's company."""
    history, unavailable, items = ledger_history(args)
    end = history["date"].max()
    start = end - pd.Timedelta(days=NIGHTLY_WINDOW_DAYS - 1)
    print(
        "\n== %s (ledger, company 1): %d products (%s), lead times %d-%d days, window %s .. %s"
        % (
            args.ledger_db,
            len(items),
            items["abc"].value_counts().to_dict(),
            items["lead_time_days"].min(),
            items["lead_time_days"].max(),
            start.date(),
            end.date(),
        )
    )
    started = time.perf_counter()
    curve, _info = engine.policy_curve(
        history,
        items,
        SERVICE_LEVELS,
        levels=(),
        start=start,
        end=end,
        unavailable=unavailable,
    )
    print(
        "  nightly curve at the levels of the settings, each for every class (100 products per"
        " class, daily decisions, %.1f s, %s):" % (time.perf_counter() - started, machine())
    )
    print("    class  target  fill rate  cycle SL")
    for row in curve.itertuples(index=False):
        print(
            "    %-5s  %5.0f %%  %9.3f  %8.3f"
            % (row.abc, 100 * row.service_level, row.fill_rate, row.cycle_service_level)
        )
    failures = []
    for review_days in (1, 7):
        started = time.perf_counter()
        result = replay(
            history, items, start=start, end=end, review_days=review_days, unavailable=unavailable
        )
        print_classes(
            "plan_orders, every product, reviews every %d day(s) (%.1f s, %s)"
            % (review_days, time.perf_counter() - started, machine()),
            result.classes,
            False,
        )
        failures += [
            "%s every %d day(s): %s" % (args.ledger_db, review_days, text)
            for text in check_plan(result.classes)
        ]
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=int, default=1000)
    parser.add_argument("--seeds", type=int, nargs="*", default=[1, 2, 3])
    parser.add_argument("--no-real", action="store_true", help="skip the SID real data")
    parser.add_argument("--no-daily", action="store_true", help="skip the daily reviews")
    parser.add_argument(
        "--shapes", action="store_true", help="one catalogue per demand shape (the first seed)"
    )
    parser.add_argument("--shape-products", type=int, default=300)
    parser.add_argument("--ledger-db", help="an Odoo database with the demand ledger (read-only)")
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-user", default="odoo")
    parser.add_argument("--db-password", default="odoo")
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
    if args.shapes:
        failures += bench_shapes(args)
    if not args.no_real:
        from engine_bench import sid_history

        history = sid_history()
        found, _weekly, _seconds = bench_catalogue(
            "SID real data", history, catalogue_items(history), args, False
        )
        failures += ["SID " + text for text in found]
    if args.ledger_db:
        failures += bench_ledger(args)
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
