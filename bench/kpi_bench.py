"""Server-side timings of the KPI service (``erpconnect.kpi``) on a big database.

Runs inside Odoo (no HTTP): opens the database, then times ``get_metrics(30)`` with the cache
cleared and served from the cache, ``get_metric`` over 365 days by day for every KPI of the
catalogue (and by week and month for a few), and ``get_comparison`` of 20 products, each
``--repeat`` times, and prints the median (and min/max) of each against its target (issues 5 and
13: uncached ``get_metrics(30)`` ≤ 500 ms, cached ≤ 10 ms, a 365-day history ≤ 300 ms).

The per-product stock KPIs (``STOCK_PRODUCT_CODES``) read the days the daily cron recorded
(``erpconnect.kpi.snapshot``) and compute the other points live. The bench first deletes the
recorded days and times everything live (what a database gets before the cron's first run), then
records the last 400 days as the cron does (timed: the cron's first run), and times again (every
later day: only today's point is computed). The targets apply to the second pass. Everything runs
in one transaction that is rolled back: nothing is written to the database.

Usage, from the repository root, on a database filled by ``bench/load_company.py`` (10,000
products; its long-tail catalogue gives ~1.9 million sale order lines in two years)::

    $ODOO_PYTHON bench/kpi_bench.py -d erp_bench_10k \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

The issue's own size (10,000 products, ~100,000 lines over the same two years) is a copy of that
database keeping one order in 19 with its deliveries::

    createdb -h 127.0.0.1 -U odoo -T erp_bench_10k erp_bench_100k
    psql -h 127.0.0.1 -U odoo erp_bench_100k <<'SQL'
    BEGIN;
    SET LOCAL session_replication_role = replica;  -- whole orders go, with their deliveries
    CREATE TEMP TABLE gone AS SELECT id FROM sale_order WHERE id % 19 <> 0;
    CREATE TEMP TABLE gone_pickings AS
        SELECT id FROM stock_picking WHERE sale_id IN (SELECT id FROM gone);
    DELETE FROM stock_move_line WHERE picking_id IN (SELECT id FROM gone_pickings);
    DELETE FROM stock_move WHERE picking_id IN (SELECT id FROM gone_pickings);
    DELETE FROM stock_picking WHERE id IN (SELECT id FROM gone_pickings);
    DELETE FROM sale_order_line WHERE order_id IN (SELECT id FROM gone);
    DELETE FROM sale_order WHERE id IN (SELECT id FROM gone);
    COMMIT;
    VACUUM FULL ANALYZE;
    SQL

``--company`` picks the company (name or id; default: the one with the most confirmed sale order
lines), ``--repeat`` the runs per figure (default 5), ``--profile`` adds the time of each data
loader of one uncached ``get_metrics(30)``. Options after ``--`` go to Odoo's configuration. The
exit code is 1 when a median misses its target. The machine's load average is printed with the
figures: on a shared machine the times grow with it.
"""

import argparse
import os
import statistics
import sys
import time

from load_company import pick_company, start_odoo  # same directory: Odoo set up the same way

#: get_metric histories over 365 days by week and month, besides every KPI by day. Sales and
#: company-level stock KPIs are aggregated in SQL; the per-product stock KPIs (counts, dead stock)
#: rebuild every product's stock at every point not recorded by the daily cron.
HISTORIES = (
    ("revenue_total", "week"),
    ("revenue_total", "month"),
    ("out_of_stock_count", "month"),
    ("dead_stock_value", "month"),
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", help="company name or id (default: most sale lines)")
    parser.add_argument("--repeat", type=int, default=5, help="runs per figure (5)")
    parser.add_argument("--profile", action="store_true", help="time each data loader")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


def describe(env, company):
    cr = env.cr
    figures = {}
    for label, query in (
        (
            "products",
            "SELECT COUNT(*) FROM product_product pp JOIN product_template pt "
            "ON pt.id = pp.product_tmpl_id WHERE pt.company_id IS NULL OR pt.company_id = %s",
        ),
        (
            "confirmed sale order lines",
            "SELECT COUNT(*) FROM sale_order_line l JOIN sale_order so ON so.id = l.order_id "
            "WHERE so.company_id = %s AND so.state = 'sale'",
        ),
        (
            "done stock moves",
            "SELECT COUNT(*) FROM stock_move WHERE company_id = %s AND state = 'done'",
        ),
        ("quants", "SELECT COUNT(*) FROM stock_quant WHERE company_id = %s"),
    ):
        cr.execute(query, [company.id])
        figures[label] = cr.fetchone()[0]
    return figures


def measure(call, repeat, before=None):
    """Wall times in ms of ``repeat`` calls; ``before()`` runs untimed before each."""
    times = []
    for _ in range(repeat):
        if before:
            before()
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1000.0)
    return times


def report(label, times, target=None):
    median = statistics.median(times)
    verdict = ""
    if target is not None:
        verdict = "target ≤ %g ms  %s" % (target, "OK" if median <= target else "OVER")
    print(
        "%-46s median %8.2f ms  (min %8.2f, max %8.2f)  %s"
        % (label, median, min(times), max(times), verdict)
    )
    return target is None or median <= target


def profile_loaders(kpi, clear):
    """Time each data loader during one uncached get_metrics(30)."""
    from odoo.addons.erpconnect_ai.models import erpconnect_kpi_data

    model_class = type(kpi.env["erpconnect.kpi.data"])
    timings = {}
    originals = {}
    for _source, loader in erpconnect_kpi_data.SOURCE_LOADERS:
        original = getattr(model_class, loader)
        originals[loader] = original

        def timed(self, scope, _original=original, _name=loader):
            start = time.perf_counter()
            result = _original(self, scope)
            timings[_name] = (time.perf_counter() - start) * 1000.0
            return result

        setattr(model_class, loader, timed)
    try:
        clear()
        start = time.perf_counter()
        kpi.get_metrics(days=30)
        total = (time.perf_counter() - start) * 1000.0
    finally:
        for loader, original in originals.items():
            setattr(model_class, loader, original)
    for loader, elapsed in timings.items():
        print("    %-28s %8.2f ms" % (loader, elapsed))
    print("    %-28s %8.2f ms" % ("rest (formulas, response)", total - sum(timings.values())))


def time_service(kpi, clear, repeat, with_targets):
    """Time get_metrics and the histories; returns whether every target is met."""

    def target(ms):
        return ms if with_targets else None

    ok = report(
        "get_metrics(30) uncached",
        measure(lambda: kpi.get_metrics(days=30), repeat, clear),
        target(500),
    )
    ok &= report(
        "get_metrics(30) cached", measure(lambda: kpi.get_metrics(days=30), repeat), target(10)
    )
    for days in (7, 90):
        report(
            "get_metrics(%d) uncached" % days,
            measure(lambda days=days: kpi.get_metrics(days=days), repeat, clear),
        )
    from odoo.addons.erpconnect_ai.engine import kpi_catalog

    daily = [(kpi_def.code, "day") for kpi_def in kpi_catalog.KPI_CATALOG]
    slowest = 0.0
    for code, interval in daily + list(HISTORIES):
        times = measure(
            lambda code=code, interval=interval: kpi.get_metric(code, 365, interval),
            repeat,
            clear,
        )
        slowest = max(slowest, statistics.median(times))
        ok &= report("get_metric(%s, 365, %s) uncached" % (code, interval), times, target(300))
    print("slowest 365-day history: median %.2f ms" % slowest)
    return ok


def main(argv):
    args, odoo_args = parse_args(argv)
    odoo = start_odoo(args, odoo_args)
    from odoo.addons.erpconnect_ai.models import erpconnect_kpi_cache

    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = pick_company(env, args.company)
        kpi = env["erpconnect.kpi"].with_context(allowed_company_ids=[company.id])
        figures = describe(env, company)
        print(
            "database %s, company %s (id %s): %s"
            % (
                args.database,
                company.name,
                company.id,
                ", ".join("%s %s" % (f"{count:,}", label) for label, count in figures.items()),
            )
        )
        print(
            "%s core(s), load average %s (times grow with the load of the machine)"
            % (os.cpu_count(), " ".join("%.2f" % load for load in os.getloadavg()))
        )

        def clear():
            erpconnect_kpi_cache.clear_cache(cr.dbname)

        snapshots = env["erpconnect.kpi.snapshot"]
        cr.execute("DELETE FROM erpconnect_kpi_snapshot WHERE company_id = %s", [company.id])
        print("-- live: no recorded day (before the daily cron's first run); no target")
        time_service(kpi, clear, args.repeat, with_targets=False)
        start = time.perf_counter()
        days = snapshots._record_snapshots(company)
        print(
            "-- recorded %d days of the per-product stock KPIs in %.1f s (the cron's first run); "
            "then only today's point is computed live" % (days, time.perf_counter() - start)
        )
        ok = time_service(kpi, clear, args.repeat, with_targets=True)
        env.cr.execute(
            "SELECT l.product_id FROM sale_order_line l JOIN sale_order so ON so.id = l.order_id "
            "WHERE so.company_id = %s AND so.state = 'sale' AND l.product_id IS NOT NULL "
            "GROUP BY 1 ORDER BY SUM(l.price_subtotal) DESC LIMIT 20",
            [company.id],
        )
        product_ids = [row[0] for row in env.cr.fetchall()]
        if product_ids:
            report(
                "get_comparison(%d products, 30)" % len(product_ids),
                measure(lambda: kpi.get_comparison(product_ids, days=30), args.repeat),
            )
        if args.profile:
            print("  data loaders of one uncached get_metrics(30):")
            profile_loaders(kpi, clear)
        cr.rollback()
    print("all targets met" if ok else "SOME TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
