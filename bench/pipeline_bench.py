"""End-to-end timing of the nightly analysis on a real database (issue 7).

Runs the analysis of one company through the cron's own code path
(``erpconnect.run._cron_run_analysis()``, restricted to that company): extract, forecast (fit,
backtest, model files), segments, replenishment, anomalies, publish, with the commits per batch a
cron worker does. Then prints, from the run's step records, the wall time and record count of each
step, the rows the run left per result model, the total wall time, and the peak memory of this
process (it is the worker: RSS and virtual size sampled every 0.1 s with psutil, plus
``ru_maxrss``), next to the core count and the load average, against the targets of issue 7
(10,000 products: ≤ 5 min and ≤ 2 GB; 1,000 products: ≤ 60 s).

Usage, from the repository root, on a database filled by ``bench/load_company.py`` (update the
addon first when the database is older than the code: ``odoo-bin ... -u erpconnect_ai
--stop-after-init``)::

    $ODOO_PYTHON bench/pipeline_bench.py -d erp_bench_10k \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

``--company`` picks the company (name or id; default: the one with the most confirmed sale order
lines). ``--profile FILE`` writes a cProfile of the run (``python -m pstats FILE``).
``--trigger manual`` runs ``action_run_analysis()`` as the administrator instead (the "Run
analysis now" button): a catalogue above ``erpconnect_ai.inline_run_max_products`` is queued and
then run by ``_cron_run_queued_analyses()``, as the cron worker would. The run is committed: its
results become the company's current ones, as after a real night. Options after ``--`` go to Odoo's
configuration. Exit code 0 when the run is done and the targets for its size are met.
"""

import argparse
import logging
import os
import resource
import sys
import threading
import time

from load_company import pick_company, start_odoo  # same directory: Odoo set up the same way

# (products at least, wall seconds, peak RSS bytes or None): the targets by size.
TARGETS = ((10000, 300, 2 * 1024**3), (1000, 60, None))

RESULT_TABLES = (
    ("erpconnect.forecast", "SELECT COUNT(*) FROM erpconnect_forecast WHERE run_id = %(run)s"),
    (
        "erpconnect.forecast.line",
        "SELECT COUNT(*) FROM erpconnect_forecast_line line JOIN erpconnect_forecast f"
        " ON f.id = line.forecast_id WHERE f.run_id = %(run)s",
    ),
    (
        "erpconnect.replenishment",
        "SELECT COUNT(*) FROM erpconnect_replenishment WHERE run_id = %(run)s",
    ),
    ("erpconnect.anomaly", "SELECT COUNT(*) FROM erpconnect_anomaly WHERE run_id = %(run)s"),
    (
        "erpconnect.segment.matrix",
        "SELECT COUNT(*) FROM erpconnect_segment_matrix WHERE run_id = %(run)s",
    ),
    (
        "erpconnect.policy.curve",
        "SELECT COUNT(*) FROM erpconnect_policy_curve WHERE run_id = %(run)s",
    ),
)


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", help="company name or id (default: most sale lines)")
    parser.add_argument("--trigger", choices=("cron", "manual"), default="cron")
    parser.add_argument("--profile", metavar="FILE", help="write a cProfile of the run to FILE")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


class MemorySampler(threading.Thread):
    """Peak RSS and virtual size of this process, sampled in the background."""

    def __init__(self, interval=0.1):
        super().__init__(daemon=True)
        import psutil

        self.process = psutil.Process(os.getpid())
        self.interval = interval
        self.peak_rss = self.peak_vms = 0
        self.stopped = threading.Event()

    def sample(self):
        info = self.process.memory_info()
        self.peak_rss = max(self.peak_rss, info.rss)
        self.peak_vms = max(self.peak_vms, info.vms)
        return info

    def run(self):
        while not self.stopped.wait(self.interval):
            self.sample()

    def stop(self):
        self.stopped.set()
        self.join()
        self.sample()


def describe(cr, company_id):
    cr.execute(
        "SELECT COUNT(*) FROM product_product pp JOIN product_template pt"
        " ON pt.id = pp.product_tmpl_id WHERE pp.active AND pt.type = 'consu'"
        " AND (pt.company_id IS NULL OR pt.company_id = %s)",
        [company_id],
    )
    products = cr.fetchone()[0]
    cr.execute(
        "SELECT COUNT(*) FROM sale_order_line WHERE company_id = %s AND state = 'sale'",
        [company_id],
    )
    return products, cr.fetchone()[0]


def load_text():
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def run_pipeline(env, company, trigger):
    """Run the analysis of ``company`` as the cron (or the button) does; returns the run id."""
    Run = env["erpconnect.run"]
    env.cr.execute("SELECT COALESCE(MAX(id), 0) FROM erpconnect_run")
    last_id = env.cr.fetchone()[0]
    env.cr.commit()
    if trigger == "cron":
        # The cron's entry point, limited to this company (it covers every company).
        original = type(Run)._get_cron_companies
        type(Run)._get_cron_companies = lambda self: company
        try:
            Run._cron_run_analysis()
        finally:
            type(Run)._get_cron_companies = original
    else:
        # "Run analysis now" as the administrator; a big catalogue is queued, then run by the
        # queue's cron job as a cron worker would.
        admin = env.ref("base.user_admin")
        action = (
            Run.with_user(admin)
            .with_context(allowed_company_ids=[company.id])
            .action_run_analysis()
        )
        env.cr.commit()
        if action.get("tag") == "display_notification":
            print("queued: %s" % action["params"]["message"])
            Run._cron_run_queued_analyses()
    env.cr.commit()
    env.cr.execute(
        "SELECT MAX(id) FROM erpconnect_run WHERE company_id = %s AND id > %s",
        [company.id, last_id],
    )
    return env.cr.fetchone()[0]


def report_run(env, run_id):
    run = env["erpconnect.run"].browse(run_id)
    print(
        "run %s: %s, %s products with demand, %s forecast, %s failed"
        % (run.id, run.status, run.products_total, run.products_processed, run.products_failed)
    )
    if run.message:
        print("  message: %s" % run.message)
    for line in (run.warnings or "").splitlines()[:5]:
        print("  warning: %s" % line)
    print("  %-16s %10s %12s  %s" % ("step", "wall s", "records", "status"))
    for step in run.step_ids.sorted("sequence"):
        print(
            "  %-16s %10.2f %12s  %s"
            % (step.name, step.duration, f"{step.record_count:,}", step.status)
        )
    print("  rows of the run per model:")
    for model, query in RESULT_TABLES:
        env.cr.execute(query, {"run": run.id})
        print("    %-28s %10s" % (model, f"{env.cr.fetchone()[0]:,}"))
    return run


def check_targets(products, wall, peak_rss):
    for minimum, max_wall, max_rss in TARGETS:
        if products >= minimum * 0.9:
            ok = wall <= max_wall and (max_rss is None or peak_rss <= max_rss)
            print(
                "targets for %s products: wall ≤ %d s%s -> %s"
                % (
                    f"{minimum:,}",
                    max_wall,
                    ", peak ≤ %d MB" % (max_rss // 2**20) if max_rss else "",
                    "OK" if ok else "MISSED",
                )
            )
            return ok
    return True


def main(argv):
    args, odoo_args = parse_args(argv)
    odoo = start_odoo(args, odoo_args)
    # The publish step deletes the previous run's rows: Odoo logs every id at INFO.
    logging.getLogger("odoo.models.unlink").setLevel(logging.WARNING)
    registry = odoo.modules.registry.Registry(args.database)
    sampler = MemorySampler()
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = pick_company(env, args.company)
        products, lines = describe(cr, company.id)
        print(
            "database %s, company %s (id %s): %s active goods, %s confirmed sale order lines; "
            "%s core(s), %s"
            % (
                args.database,
                company.name,
                company.id,
                f"{products:,}",
                f"{lines:,}",
                os.cpu_count(),
                load_text(),
            )
        )
        base = sampler.sample()
        sampler.start()
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        run_id = run_pipeline(env, company, args.trigger)
        wall = time.perf_counter() - started
        if profiler:
            profiler.disable()
            profiler.dump_stats(args.profile)
        sampler.stop()
        if not run_id:
            print("no run was created (queued for the cron, or refused)")
            return 1
        run = report_run(env, run_id)
        print(
            "total wall %.1f s; memory: RSS %d MB before the run, peak RSS %d MB, peak virtual "
            "%d MB, ru_maxrss %d MB; %s"
            % (
                wall,
                base.rss // 2**20,
                sampler.peak_rss // 2**20,
                sampler.peak_vms // 2**20,
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                load_text(),
            )
        )
        ok = check_targets(run.products_total, wall, sampler.peak_rss) and run.status == "done"
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
