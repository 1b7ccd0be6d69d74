"""The cron's worker killed mid-run (SIGKILL), then the next run: a fault test on a real database.

What the Odoo test suite cannot do: kill the process that runs the analysis for real, after it
committed its first batch of forecasts, and look at the database from outside.

1. Needs previous results: the company must have a successful run (run ``bench/pipeline_bench.py``
   once first). Notes their fingerprint: the current forecasts (count, run, sum of 30-day
   quantities), replenishment suggestions, anomalies and segment cells.
2. Starts ``bench/pipeline_bench.py`` (the cron's code path) in a subprocess, waits until the new
   run has committed at least ``--kill-after`` forecast products, and sends SIGKILL.
3. Checks: the previous results are unchanged and still current, the killed run is left
   ``running`` with its staged (inactive) rows, and PostgreSQL released the analysis lock.
4. Runs ``bench/pipeline_bench.py`` again to the end and checks: the new run is done, its results
   are the current ones, and the killed run is marked failed ("Interrupted") with no staged rows
   left.

Usage, from the repository root (about two run times)::

    $ODOO_PYTHON bench/fault_bench.py -d erp_bench_1k --company "Bench 1k" \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

Options after ``--`` go to Odoo's configuration (and to the subprocesses). Prints each check with
OK/FAILED; exit code 0 when all pass.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from load_company import start_odoo  # same directory: Odoo set up the same way

HERE = Path(__file__).resolve().parent
LOCK_NAMESPACE = 0x45524331  # erpconnect_ai.models.erpconnect_run.LOCK_NAMESPACE


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", required=True, help="company name or id")
    parser.add_argument(
        "--kill-after", type=int, default=1, help="kill once this many products are committed (1)"
    )
    parser.add_argument("--timeout", type=float, default=900, help="seconds per run (900)")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


def query(odoo, database, sql, params=None):
    """Rows of ``sql`` in a fresh transaction (what other workers see now)."""
    with odoo.sql_db.db_connect(database).cursor() as cr:
        cr.execute(sql, params or {})
        return cr.fetchall()


def company_id(odoo, database, wanted):
    if wanted.isdigit():
        return int(wanted)
    rows = query(odoo, database, "SELECT id FROM res_company WHERE name = %(n)s", {"n": wanted})
    if not rows:
        sys.exit("no company %r" % wanted)
    return rows[0][0]


def current_results(odoo, database, company):
    """Fingerprint of the company's current (published) results."""
    params = {"c": company}
    forecasts = query(
        odoo,
        database,
        "SELECT COUNT(*), array_agg(DISTINCT run_id), ROUND(SUM(qty_30d)::numeric, 3)"
        " FROM erpconnect_forecast WHERE company_id = %(c)s AND active",
        params,
    )[0]
    counts = {
        "forecasts": (forecasts[0], forecasts[1], float(forecasts[2] or 0)),
    }
    for label, table in (
        ("replenishment", "erpconnect_replenishment"),
        ("anomalies", "erpconnect_anomaly"),
        ("segment cells", "erpconnect_segment_matrix"),
    ):
        counts[label] = query(
            odoo,
            database,
            "SELECT COUNT(*) FROM %s WHERE company_id = %%(c)s AND active" % table,
            params,
        )[0][0]
    return counts


def staged_rows(odoo, database, run_id):
    return query(
        odoo,
        database,
        "SELECT (SELECT COUNT(*) FROM erpconnect_forecast WHERE run_id = %(r)s),"
        " (SELECT COUNT(*) FROM erpconnect_forecast_line line JOIN erpconnect_forecast f"
        "   ON f.id = line.forecast_id WHERE f.run_id = %(r)s)",
        {"r": run_id},
    )[0]


def wait_and_kill(odoo, args, process, company, newest, started):
    """SIGKILL ``process`` once its run (id above ``newest``) committed ``--kill-after``
    products; the run id."""
    while time.monotonic() - started < args.timeout and process.poll() is None:
        rows = query(
            odoo,
            args.database,
            "SELECT id, COALESCE(products_processed, 0) FROM erpconnect_run"
            " WHERE company_id = %(c)s AND status = 'running' AND id > %(last)s"
            " ORDER BY id DESC LIMIT 1",
            {"c": company, "last": newest},
        )
        if rows and rows[0][1] >= args.kill_after:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
            return rows[0][0]
        time.sleep(0.2)
    return None


def bench_command(args, odoo_args):
    return [
        sys.executable,
        str(HERE / "pipeline_bench.py"),
        "-d",
        args.database,
        "--company",
        args.company,
        "--",
        *[a for a in odoo_args if a != "--"],
    ]


def main(argv):
    args, odoo_args = parse_args(argv)
    odoo = start_odoo(args, odoo_args)
    company = company_id(odoo, args.database, args.company)
    checks = []

    def check(label, condition, detail=""):
        checks.append(bool(condition))
        print("  %-62s %s %s" % (label, "OK" if condition else "FAILED", detail))

    last_done = query(
        odoo,
        args.database,
        "SELECT MAX(id) FROM erpconnect_run WHERE company_id = %(c)s AND status = 'done'",
        {"c": company},
    )[0][0]
    if not last_done:
        sys.exit(
            "no successful run for company %s yet: run bench/pipeline_bench.py first" % company
        )
    before = current_results(odoo, args.database, company)
    print("%s core(s), load average %.2f %.2f %.2f" % (os.cpu_count(), *os.getloadavg()))
    print("previous results (run %s): %s" % (last_done, before))

    # 2. Start a run and kill it after its first committed batch.
    newest = query(odoo, args.database, "SELECT COALESCE(MAX(id), 0) FROM erpconnect_run")[0][0]
    started = time.monotonic()
    process = subprocess.Popen(
        bench_command(args, odoo_args),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    killed_run = None
    try:
        killed_run = wait_and_kill(odoo, args, process, company, newest, started)
    finally:
        if process.poll() is None:  # never leave the run behind
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    if killed_run is None:
        sys.exit("the run did not commit %d products in time (or ended first)" % args.kill_after)
    processed = query(
        odoo,
        args.database,
        "SELECT products_processed, products_total FROM erpconnect_run WHERE id = %(r)s",
        {"r": killed_run},
    )[0]
    print(
        "killed the worker (SIGKILL) %.1f s after start, run %s at %s of %s products"
        % (time.monotonic() - started, killed_run, *processed)
    )

    # 3. The database as the next worker finds it.
    after_kill = current_results(odoo, args.database, company)
    check("previous results unchanged and current", after_kill == before, str(after_kill))
    status = query(
        odoo, args.database, "SELECT status FROM erpconnect_run WHERE id = %(r)s", {"r": killed_run}
    )[0][0]
    check("killed run left 'running'", status == "running", status)
    staged = staged_rows(odoo, args.database, killed_run)
    check("its committed batches are staged, inactive", staged[0] > 0, "%s forecasts" % staged[0])
    locks = query(
        odoo,
        args.database,
        "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND classid = %(ns)s"
        " AND objid = %(c)s",
        {"ns": LOCK_NAMESPACE, "c": company},
    )[0][0]
    check("analysis lock released by PostgreSQL", locks == 0)

    # 4. The next run.
    rerun_started = time.monotonic()
    result = subprocess.run(
        bench_command(args, odoo_args),
        capture_output=True,
        text=True,
        timeout=args.timeout,
        check=False,
    )
    summary = [line for line in result.stdout.splitlines() if not line.startswith("20")]
    print("next run (%.1f s):" % (time.monotonic() - rerun_started))
    for line in summary:
        print("    " + line)
    new_run, new_status = query(
        odoo,
        args.database,
        "SELECT id, status FROM erpconnect_run WHERE company_id = %(c)s ORDER BY id DESC LIMIT 1",
        {"c": company},
    )[0]
    check("next run completes", new_status == "done" and new_run > killed_run, new_status)
    final = current_results(odoo, args.database, company)
    check(
        "its results are the current ones",
        final["forecasts"][1] == [new_run] and final["forecasts"][0] > 0,
        str(final),
    )
    status, message = query(
        odoo,
        args.database,
        "SELECT status, message FROM erpconnect_run WHERE id = %(r)s",
        {"r": killed_run},
    )[0]
    check("killed run marked failed", status == "failed", (message or "")[:60])
    check("its staged rows are gone", staged_rows(odoo, args.database, killed_run) == (0, 0))
    print("all checks passed" if all(checks) else "SOME CHECKS FAILED")
    return 0 if all(checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
