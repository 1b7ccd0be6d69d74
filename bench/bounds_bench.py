"""The largest call each public method accepts (issue 14.5): its time and a worker's memory.

``models/arguments.py`` bounds what every JSON-RPC method accepts (90 days of dashboard, a year
of KPIs, a year by day / two years by week / three years by month of one KPI, 1,000 rows...).
This bench makes the largest accepted call of each, as an ERPConnect AI Viewer, each in a fresh
process (a worker that served nothing yet), and prints per call:

- the wall time of the call with the cache empty (median of ``--repeat``; min and max);
- the worker's resident memory before the call, its peak during the call (sampled every 5 ms,
  and the process' ``ru_maxrss`` when the call raised it) and what stays after it;
- the entries the call left in the worker's KPI cache (only the periods the screens offer,
  ``CACHED_PERIODS``, are kept: an 89-day dashboard is computed and dropped).

Usage, from the repository root, on a copy of the 10,000-product database upgraded to the
current addon (the demand ledger is built by the upgrade, about a minute)::

    PGPASSWORD=odoo createdb -h 127.0.0.1 -U odoo -T erp_bench_10k bounds_10k
    $ODOO_PYTHON $ODOO_PATH/odoo-bin --addons-path=$ODOO_PATH/addons,$PWD \\
        --db_host=127.0.0.1 --db_user=odoo --db_password=odoo -d bounds_10k \\
        -u erpconnect_ai --stop-after-init --http-port=18199
    $ODOO_PYTHON bench/bounds_bench.py -d bounds_10k \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

The per-product stock KPIs read the days the daily cron records; the bench records them first
(``--no-snapshots`` leaves the database as it is), committing them: run it on a copy. The
results a call lists (1,000 suggestions and anomalies, a 365-day forecast) are created in each
call's transaction, which is rolled back. ``--only NAME`` runs one call (names in ``CALLS``);
options after ``--`` go to Odoo's configuration. The machine's cores and load average are
printed with the figures: on a shared machine the times grow with the load.
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import threading
import time
from datetime import timedelta

from load_company import pick_company, start_odoo  # same directory: Odoo set up the same way

#: Rows created for the list methods: more than they may return.
LISTED_ROWS = 1200
PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")


def _dashboard(days):
    return lambda env, fx: env["erpconnect.dashboard"].get_dashboard_data(days)


def _metric(code, days, interval):
    return lambda env, fx: env["erpconnect.kpi"].get_metric(code, days, interval)


#: name → (the call as a JSON-RPC caller writes it, function(viewer env, fixtures)).
CALLS = {
    "dashboard_89": ("get_dashboard_data(days=89) (not cached)", _dashboard(89)),
    "dashboard_90": ("get_dashboard_data(days=90) (a screen's period: cached)", _dashboard(90)),
    "kpi_overview_365": (
        "get_kpi_overview(days=365)",
        lambda env, fx: env["erpconnect.dashboard"].get_kpi_overview(365),
    ),
    "metrics_365": (
        "get_metrics(days=365)",
        lambda env, fx: env["erpconnect.kpi"].get_metrics(365),
    ),
    "metric_sales_day": (
        "get_metric('revenue_total', 366, 'day')",
        _metric("revenue_total", 366, "day"),
    ),
    "metric_stock_day": (
        "get_metric('out_of_stock_count', 366, 'day')",
        _metric("out_of_stock_count", 366, "day"),
    ),
    "metric_dead_day": (
        "get_metric('dead_stock_value', 366, 'day')",
        _metric("dead_stock_value", 366, "day"),
    ),
    "metric_stock_week": (
        "get_metric('out_of_stock_count', 731, 'week')",
        _metric("out_of_stock_count", 731, "week"),
    ),
    "metric_stock_month": (
        "get_metric('out_of_stock_count', 1096, 'month')",
        _metric("out_of_stock_count", 1096, "month"),
    ),
    "metric_sales_month": (
        "get_metric('revenue_total', 1096, 'month')",
        _metric("revenue_total", 1096, "month"),
    ),
    "comparison_365": (
        "get_comparison(20 products, days=365)",
        lambda env, fx: env["erpconnect.kpi"].get_comparison(fx["top_products"][:20], 365),
    ),
    "forecast_chart_366": (
        "get_product_forecast_chart(best seller, history_days=366)",
        lambda env, fx: env["erpconnect.dashboard"].get_product_forecast_chart(
            fx["top_products"][0], history_days=366
        ),
    ),
    "forecast_365": (
        "get_forecast(best seller, horizon_days=365)",
        lambda env, fx: env["erpconnect.forecast"].get_forecast(fx["top_products"][0], 365),
    ),
    "segmentation_365": (
        "get_segmentation(days=365)",
        lambda env, fx: env["product.product"].get_segmentation(365),
    ),
    "anomalies_365": (
        "get_anomalies(days=365, z=0.001)",
        lambda env, fx: env["erpconnect.anomaly"].get_anomalies(365, 0.001),
    ),
    "suggestions_1000": (
        "get_suggestions(limit=1000)",
        lambda env, fx: env["erpconnect.replenishment"].get_suggestions(1000),
    ),
}


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", help="company name or id (default: most sale lines)")
    parser.add_argument("--repeat", type=int, default=3, help="timed calls per method (3)")
    parser.add_argument("--only", choices=sorted(CALLS), action="append", help="run these calls")
    parser.add_argument(
        "--no-snapshots", action="store_true", help="do not record the stock KPIs' days first"
    )
    parser.add_argument("--child", choices=sorted(CALLS), help=argparse.SUPPRESS)
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


def rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * PAGE_SIZE


class PeakSampler(threading.Thread):
    """Samples this process' resident memory every 5 ms while it runs; ``peak`` in bytes."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak = rss_bytes()
        self._stop_event = threading.Event()

    def run(self):
        while not self._stop_event.wait(0.005):
            self.peak = max(self.peak, rss_bytes())

    def stop(self):
        self._stop_event.set()
        self.join()
        self.peak = max(self.peak, rss_bytes())
        return self.peak


def build_fixtures(env, company, name):
    """A Viewer of ``company`` and the results the call ``name`` lists (in the transaction)."""
    env.cr.execute(
        "SELECT l.product_id FROM sale_order_line l WHERE l.company_id = %s AND l.state = 'sale'"
        " AND l.product_id IS NOT NULL GROUP BY 1 ORDER BY SUM(l.product_uom_qty) DESC"
        " LIMIT %s",
        [company.id, LISTED_ROWS],
    )
    top_products = [row[0] for row in env.cr.fetchall()]
    viewer = env["res.users"].create(
        {
            "name": "Bounds bench viewer",
            "login": "bounds_bench_viewer",
            "company_id": company.id,
            "company_ids": [(6, 0, [company.id])],
            "groups_id": [(6, 0, [env.ref("erpconnect_ai.group_erpconnect_viewer").id])],
        }
    )
    if name in ("forecast_365", "forecast_chart_366", "anomalies_365", "suggestions_1000"):
        make_results(env, company, top_products)
    return viewer, {"top_products": top_products}


def make_results(env, company, product_ids):
    """A finished run with a 365-day forecast of the best seller, and ``LISTED_ROWS``
    suggestions and anomalies (one per product, dated over the last year)."""
    env = env(context=dict(env.context, tracking_disable=True, mail_create_nolog=True))
    company.erpconnect_horizon_days = 365
    today = env["erpconnect.demand.daily"]._local_today(company)
    run = env["erpconnect.run"].create(
        {"company_id": company.id, "status": "done", "as_of": today - timedelta(days=1)}
    )
    env["erpconnect.forecast"].create(
        {
            "company_id": company.id,
            "run_id": run.id,
            "product_id": product_ids[0],
            "method": "moving_average",
            "as_of": today - timedelta(days=1),
            "line_ids": [
                (
                    0,
                    0,
                    {
                        "product_id": product_ids[0],
                        "company_id": company.id,
                        "date": today + timedelta(days=offset),
                        "qty": 1.0,
                        "lower": 0.0,
                        "upper": 2.0,
                    },
                )
                for offset in range(365)
            ],
        }
    )
    env["erpconnect.replenishment"].create(
        [
            {
                "company_id": company.id,
                "run_id": run.id,
                "product_id": product_id,
                "urgency": "ORDER_NOW",
                "suggested_qty": 1.0,
            }
            for product_id in product_ids
        ]
    )
    env["erpconnect.anomaly"].create(
        [
            {
                "company_id": company.id,
                "run_id": run.id,
                "product_id": product_id,
                "date": today - timedelta(days=index % 365),
                "qty": 10.0,
                "expected": 1.0,
                "z": 5.0,
                "kind": "SPIKE",
                "severity": "HIGH",
                "activity_scheduled": True,  # no to-do for the managers
            }
            for index, product_id in enumerate(product_ids)
        ]
    )
    env.flush_all()


def size_of(result):
    """Bytes of the JSON answer."""
    return len(json.dumps(result, default=str))


def child(args, odoo_args):
    """Make the call ``args.child`` and print its figures as one JSON line."""
    odoo = start_odoo(args, odoo_args)
    from odoo.addons.erpconnect_ai.models import erpconnect_kpi_cache

    cache = erpconnect_kpi_cache.CACHE
    registry = odoo.modules.registry.Registry(args.database)
    label, call = CALLS[args.child]
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = pick_company(env, args.company)
        viewer, fixtures = build_fixtures(env, company, args.child)
        as_viewer = env(user=viewer.id, context={"allowed_company_ids": [company.id]})
        times = []
        figures = {}
        for attempt in range(args.repeat):
            cache.clear()
            as_viewer.invalidate_all()
            if attempt == 0:
                before = rss_bytes()
                max_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                sampler = PeakSampler()
                sampler.start()
            start = time.perf_counter()
            result = call(as_viewer, fixtures)
            times.append(time.perf_counter() - start)
            if attempt == 0:
                peak = sampler.stop()
                max_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
                if max_after > max_before:
                    peak = max(peak, max_after)
                figures = {
                    "rss_before": before,
                    "rss_peak": peak,
                    "rss_after": rss_bytes(),
                    "cache_entries": len(cache),
                    "answer_bytes": size_of(result),
                }
        warm = time.perf_counter()
        call(as_viewer, fixtures)
        warm = time.perf_counter() - warm
        cr.rollback()
    print(
        "RESULT " + json.dumps(dict(figures, name=args.child, label=label, times=times, warm=warm))
    )
    return 0


def record_snapshots(args, odoo_args):
    """Record the per-product stock KPIs' days as the daily cron does; returns a sentence."""
    odoo = start_odoo(args, odoo_args)
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = pick_company(env, args.company)
        name = company.name
        start = time.perf_counter()
        days = env["erpconnect.kpi.snapshot"]._record_snapshots(company)
        elapsed = time.perf_counter() - start
        cr.commit()
        cr.execute(
            "SELECT count(*) FROM product_product p JOIN product_template t"
            " ON t.id = p.product_tmpl_id WHERE t.company_id IS NULL OR t.company_id = %s",
            [company.id],
        )
        products = cr.fetchone()[0]
        cr.execute(
            "SELECT count(*) FROM sale_order_line WHERE company_id = %s AND state = 'sale'",
            [company.id],
        )
        lines = cr.fetchone()[0]
    return (
        "database %s, company %s: %s products, %s confirmed sale order lines; %d missing "
        "days of stock KPIs recorded in %.1f s"
        % (
            args.database,
            name,
            f"{products:,}",
            f"{lines:,}",
            days,
            elapsed,
        )
    )


def megabytes(value):
    return value / 1024 / 1024


def main(argv):
    args, odoo_args = parse_args(argv)
    if args.child:
        return child(args, odoo_args)
    if not args.no_snapshots:
        print(record_snapshots(args, odoo_args), flush=True)
    print(
        "%s core(s), load average %s at the start (times grow with the load of the machine)"
        % (os.cpu_count(), " ".join("%.2f" % load for load in os.getloadavg())),
        flush=True,
    )
    print(
        "%-58s %9s %9s %9s | %8s %8s %8s | %7s %9s"
        % (
            "largest accepted call (as a Viewer)",
            "median s",
            "min s",
            "max s",
            "RSS MB",
            "peak +MB",
            "kept +MB",
            "cached",
            "answer kB",
        )
    )
    failed = 0
    for name in args.only or CALLS:
        command = [sys.executable, __file__, "--child", name, *argv]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in done.stdout.splitlines() if line.startswith("RESULT ")]
        if done.returncode or not lines:
            failed += 1
            print("%-58s FAILED\n%s" % (CALLS[name][0], done.stderr[-3000:]))
            continue
        row = json.loads(lines[-1][len("RESULT ") :])
        times = row["times"]
        print(
            "%-58s %9.3f %9.3f %9.3f | %8.0f %8.1f %8.1f | %7d %9.1f"
            % (
                row["label"],
                statistics.median(times),
                min(times),
                max(times),
                megabytes(row["rss_before"]),
                megabytes(row["rss_peak"] - row["rss_before"]),
                megabytes(row["rss_after"] - row["rss_before"]),
                row["cache_entries"],
                row["answer_bytes"] / 1024,
            ),
            flush=True,
        )
    print("load average %s at the end" % " ".join("%.2f" % load for load in os.getloadavg()))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
