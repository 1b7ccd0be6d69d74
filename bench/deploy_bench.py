"""docker-compose.yml's deployment, with real parts on this machine, under the dashboard's load.

Starts Debian's nginx with ``deploy/nginx.conf`` and HAProxy with ``deploy/haproxy.cfg`` (the queue;
their upstreams ``queue:8069``, ``web:8069`` and ``web:8072`` rewritten to this machine's ports,
logs in a work directory) in front of Odoo's HTTP workers
(``--workers=2 --max-cron-threads=0``, the limits of ``odoo.conf``) and a separate cron process
(``--no-http --workers=1 --max-cron-threads=1`` and the cron limits of ``docker-compose.yml``),
with ``--replica`` a second PostgreSQL 15 cluster made a streaming replica of the first
(``--db_replica_host``: the calls of ``@api.readonly`` methods go to it). Then, through nginx, with
web sessions and ``/web/dataset/call_kw`` as the dashboard calls (``rpc_load.CALLS``, users
admin, manager and viewer of the demo data):

1. a cold wave (caches empty), then a warm wave: ``--requests`` calls, ``--concurrency`` callers;
2. a sale confirmed on the primary (``/jsonrpc``, as admin), then the first wave after it landed
   (with the replica: once the replica replayed it), when every worker recomputes its figures;
3. a second sale, and the time until the dashboard (``get_dashboard_data``, revenue card) shows
   it, beside the time the replica took to replay it;
4. where the waves' reads ran: table scans and rows read on the primary and on the replica
   (``pg_stat_user_tables``, ``pg_stat_database``), the replica's ``pg_stat_statements``.

It prints each figure with ``nproc`` and the load average, and PASS/FAIL against the targets
(0 errors; p95 <= 2 s warm and after a sale; with the replica, the dashboard reads on the replica
and the sale visible once replayed). Exit code 1 when a target is missed.

The replica (as root): ``pg_createcluster 15 replica --port 5433``, its data replaced by
``pg_basebackup -R -C -S deploy_bench_replica`` of the main cluster (whose configuration needs
nothing: Debian's ``pg_hba.conf`` accepts replication logins from 127.0.0.1, ``wal_level`` is
``replica`` and ``max_wal_senders`` 10 by default), ``pg_stat_statements`` preloaded on the replica
only, started as a hot standby. The replication slot makes the primary keep the WAL the replica
has not received (without it, other databases' writes recycled that WAL within a minute here);
so the bench drops the replica and its slot at the end (about a minute to make again), unless
``--keep-replica`` (then ``--drop-replica`` later: a stopped replica with a slot makes the primary
keep WAL without bound).

Needs, as root, Debian's ``nginx`` (``nginx-light``), ``haproxy`` and PostgreSQL 15 with its
``pg_createcluster``. Usage, from the repository root, on a copy of a benchmark database (it
confirms sales: never on ``erp_bench_*`` itself)::

    createdb -h 127.0.0.1 -U odoo -T erp_bench_100k deploy_100k
    $ODOO_PYTHON bench/deploy_bench.py --db deploy_100k --replica
    $ODOO_PYTHON bench/deploy_bench.py --db deploy_100k            # no replica

The database needs ``erpconnect_ai`` installed and the demo users; a database without a finished
analysis gets one from the cron process first (``--analyse``: its nightly cron is set due).
Ports: nginx ``--port``, Odoo HTTP ``--port`` + 1, gevent ``--port`` + 2, HAProxy ``--port`` + 3.
"""

import argparse
import configparser
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psycopg2
import rpc_load  # same directory

ROOT = Path(__file__).resolve().parent.parent
PG_VERSION = "15"
P95_TARGET = 2.0
USERS = ("admin:admin", "manager@erp.com:manager123", "viewer@erp.com:viewer123")


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--db", required=True, help="a copy of a benchmark database")
    parser.add_argument("--replica", action="store_true", help="read-only calls on the replica")
    parser.add_argument("--setup-replica", action="store_true", help="make the replica anew")
    parser.add_argument("--keep-replica", action="store_true", help="leave the replica running")
    parser.add_argument("--drop-replica", action="store_true", help="drop the replica and exit")
    parser.add_argument("--replica-cluster", default="replica")
    parser.add_argument("--replica-port", type=int, default=5433)
    parser.add_argument("--analyse", action="store_true", help="let the cron analyse first")
    parser.add_argument(
        "--port", type=int, default=18250, help="nginx; Odoo +1, gevent +2, HAProxy +3"
    )
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"))
    parser.add_argument("--db-host", default="127.0.0.1")
    parser.add_argument("--db-port", type=int, default=5432)
    parser.add_argument("--db-user", default="odoo")
    parser.add_argument("--db-password", default="odoo")
    parser.add_argument("--keep-workdir", action="store_true")
    options = parser.parse_args(argv)
    if options.db.startswith("erp_bench"):
        parser.error("the bench confirms sales: run it on a copy (createdb -T %s ...)" % options.db)
    return options


def say(message):
    print("[deploy_bench] %s" % message, flush=True)


def load_average():
    return "nproc %d, load %.2f %.2f %.2f" % (os.cpu_count(), *os.getloadavg())


# ----------------------------------------------------------------------------------- PostgreSQL
def connect(options, port=None, db=None):
    connection = psycopg2.connect(
        host=options.db_host,
        port=port or options.db_port,
        user=options.db_user,
        password=options.db_password,
        dbname=db or options.db,
    )
    connection.autocommit = True
    return connection


def query(connection, sql, params=None):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else None


def as_postgres(*command):
    """Run a command as the postgres system user (the clusters' owner)."""
    subprocess.run(["runuser", "-u", "postgres", "--", *command], check=True)


def replica_data_dir(options):
    return Path("/var/lib/postgresql") / PG_VERSION / options.replica_cluster


def cluster_status(options):
    """ "online", "down" or None (no such cluster)."""
    for line in subprocess.run(
        ["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True
    ).stdout.splitlines():
        fields = line.split()
        if fields[:2] == [PG_VERSION, options.replica_cluster]:
            return fields[3]
    return None


def pg_ctl(options, action):
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", PG_VERSION, options.replica_cluster, action],
        check=True,
    )


def slot_name(options):
    return "deploy_bench_%s" % options.replica_cluster


def drop_replica(options):
    """Drop the replica cluster and its replication slot on the primary (which then keeps no
    WAL for it)."""
    if cluster_status(options):
        subprocess.run(
            ["pg_dropcluster", "--stop", PG_VERSION, options.replica_cluster], check=True
        )
    with connect(options, db="postgres") as primary:
        query(
            primary,
            "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots"
            " WHERE slot_name = %s",
            [slot_name(options)],
        )
    say("replica cluster %s and slot %s dropped" % (options.replica_cluster, slot_name(options)))


def setup_replica(options):
    """(Re)make the replica cluster from a base backup of the main one, with a replication slot
    (the primary keeps the WAL the replica has not received yet)."""
    drop_replica(options)
    as_postgres(
        "pg_createcluster", PG_VERSION, options.replica_cluster, "--port", str(options.replica_port)
    )
    with connect(options, db="postgres") as primary:
        max_connections = query(primary, "SHOW max_connections")[0][0]
    conf_d = Path("/etc/postgresql") / PG_VERSION / options.replica_cluster / "conf.d"
    conf_d.mkdir(exist_ok=True)
    (conf_d / "deploy_bench.conf").write_text(
        "# bench/deploy_bench.py: hot standby of the main cluster\n"
        "hot_standby = on\n"
        "max_connections = %s  # at least the primary's\n"
        "shared_preload_libraries = 'pg_stat_statements'\n" % max_connections
    )
    data = replica_data_dir(options)
    shutil.rmtree(data)
    say("pg_basebackup of the main cluster into %s (%s)" % (data, load_average()))
    started = time.monotonic()
    as_postgres(
        "env",
        "PGPASSWORD=%s" % options.db_password,
        "pg_basebackup",
        "-h",
        options.db_host,
        "-p",
        str(options.db_port),
        "-U",
        options.db_user,
        "-D",
        str(data),
        "-R",
        "-X",
        "stream",
        "-c",
        "fast",
        "-C",
        "-S",
        slot_name(options),
    )
    say("base backup done in %.0f s" % (time.monotonic() - started))


def start_replica(options):
    """Start the replica if it is down and wait until it streams from the primary; returns
    whether this call started it, None when it does not stream (the primary recycled the WAL it
    needs: the replica must be made again)."""
    status = cluster_status(options)
    if status is None:
        sys.exit("no cluster %s: run with --setup-replica" % options.replica_cluster)
    started = not status.startswith("online")
    if started:
        pg_ctl(options, "start")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with connect(options, port=options.replica_port, db="postgres") as replica:
                receiver = query(replica, "SELECT status FROM pg_stat_wal_receiver")
                if query(replica, "SELECT pg_is_in_recovery()")[0][0] and receiver == [
                    ("streaming",)
                ]:
                    return started
        except psycopg2.OperationalError:
            pass
        time.sleep(1)
    return None


def ensure_replica(options):
    """A replica streaming from the primary: the running one, or a new one."""
    if not options.setup_replica and cluster_status(options):
        if start_replica(options) is not None:
            return
        say("the replica does not stream from the primary: making it again")
    setup_replica(options)
    if start_replica(options) is None:
        sys.exit("the new replica does not stream from the primary: see its log")


def wait_replayed(options, replica, lsn, timeout=30.0):
    """Seconds until the replica has replayed the primary's WAL up to ``lsn``."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        if query(replica, "SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn])[0][0]:
            return time.perf_counter() - started
        time.sleep(0.002)
    raise RuntimeError("the replica did not replay %s within %s s" % (lsn, timeout))


def table_reads(connection, db):
    """Cumulated reads of database ``db`` on one server: table scans, rows, transactions."""
    query(connection, "SELECT pg_stat_clear_snapshot()")
    scans = query(
        connection,
        "SELECT COALESCE(SUM(seq_scan + COALESCE(idx_scan, 0)), 0),"
        " COALESCE(SUM(seq_tup_read + COALESCE(idx_tup_fetch, 0)), 0) FROM pg_stat_user_tables",
    )[0]
    xacts = query(
        connection,
        "SELECT xact_commit + xact_rollback FROM pg_stat_database WHERE datname = %s",
        [db],
    )[0]
    return {"scans": int(scans[0]), "rows": int(scans[1]), "transactions": int(xacts[0])}


#: Odoo's request log line: ... "POST /web/dataset/call_kw/<model>/<method> ..." status - queries
#: sql-seconds other-seconds [cursor-mode, logged when a replica is set: ro the replica, rw the
#: primary, ro->rw a write refused on the replica and retried on the primary].
REQUEST_LINE = re.compile(
    r'"POST /web/dataset/call_kw/(\S+?) HTTP[^"]*" \d+ - (\d+) ([\d.]+) ([\d.]+)(?: (\S+))?\s*$'
)


def server_times(log_path):
    """Per method: calls, mean queries, mean SQL and other seconds, and calls per cursor mode,
    from the web server's log."""
    methods = {}
    for line in Path(log_path).read_text().splitlines():
        match = REQUEST_LINE.search(line)
        if match:
            name, queries, sql, other, mode = match.groups()
            entry = methods.setdefault(name, {"calls": 0, "queries": 0, "sql": 0.0, "other": 0.0})
            entry["calls"] += 1
            entry["queries"] += int(queries)
            entry["sql"] += float(sql)
            entry["other"] += float(other)
            if mode:
                entry[mode] = entry.get(mode, 0) + 1
    return methods


def delta(after, before):
    return {key: after[key] - before[key] for key in after}


# ----------------------------------------------------------------------------------- processes
def odoo_settings():
    """odoo.conf's web options, and the cron service's options of docker-compose.yml."""
    conf = configparser.ConfigParser()
    conf.read(ROOT / "odoo.conf")
    web = conf["options"]
    compose = (ROOT / "docker-compose.yml").read_text()
    cron_block = compose[compose.index("\n  cron:") :]
    cron_block = cron_block[: cron_block.index("\n  proxy:")]
    cron_flags = re.findall(
        r'"(--(?:no-http|workers|max-cron-threads|limit-[a-z-]+)[^"]*)"', cron_block
    )
    web_flags = [
        "--%s=%s" % (name.replace("_", "-"), web[name])
        for name in ("limit_time_cpu", "limit_time_real", "limit_memory_soft", "limit_memory_hard")
    ]
    return web_flags, cron_flags


class Deployment:
    """nginx, HAProxy, the Odoo web server and the cron process, started and stopped here."""

    def __init__(self, options, workdir):
        self.options = options
        self.workdir = workdir
        self.processes = {}
        self.pid_files = {"nginx": workdir / "nginx.pid", "haproxy": workdir / "haproxy.pid"}
        self.url = "http://127.0.0.1:%d" % options.port

    def odoo_command(self, *flags):
        options = self.options
        python = os.environ.get("ODOO_PYTHON") or sys.executable
        return [
            python,
            str(Path(options.odoo_path) / "odoo-bin"),
            "--addons-path=%s/addons,%s" % (options.odoo_path, ROOT),
            "--db_host=%s" % options.db_host,
            "--db_port=%s" % options.db_port,
            "--db_user=%s" % options.db_user,
            "--db_password=%s" % options.db_password,
            "-d",
            options.db,
            "--data-dir=%s" % (self.workdir / "data"),
            *flags,
        ]

    def spawn(self, name, command):
        log = open(self.workdir / ("%s.out" % name), "w")  # the child writes to it
        self.processes[name] = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )

    def start(self, replica):
        options = self.options
        web_flags, cron_flags = odoo_settings()
        replica_flags = (
            [
                "--db_replica_host=%s" % options.db_host,
                "--db_replica_port=%d" % options.replica_port,
            ]
            if replica
            else []
        )
        self.spawn(
            "web",
            self.odoo_command(
                "--http-interface=127.0.0.1",
                "--http-port=%d" % (options.port + 1),
                "--gevent-port=%d" % (options.port + 2),
                "--workers=%d" % options.workers,
                "--max-cron-threads=0",
                "--proxy-mode",
                *web_flags,
                *replica_flags,
                "--logfile=%s" % (self.workdir / "web.log"),
            ),
        )
        self.spawn(
            "cron",
            self.odoo_command(*cron_flags, "--logfile=%s" % (self.workdir / "cron.log")),
        )
        say("web: %s" % " ".join(self.processes["web"].args[2:]))
        say("cron: %s" % " ".join(cron_flags))
        haproxy = ["haproxy", "-D", "-f", str(self.haproxy_conf())]
        subprocess.run([*haproxy, "-p", str(self.pid_files["haproxy"])], check=True)
        nginx = ["nginx", "-c", str(self.nginx_conf()), "-e", str(self.workdir / "nginx-error.log")]
        subprocess.run([*nginx, "-g", "pid %s;" % self.pid_files["nginx"]], check=True)
        self.wait_http()

    def haproxy_conf(self):
        """deploy/haproxy.cfg listening on 127.0.0.1, queueing for this machine's Odoo."""
        options = self.options
        text = (ROOT / "deploy" / "haproxy.cfg").read_text()
        text = text.replace("bind :8069", "bind 127.0.0.1:%d" % (options.port + 3))
        text = text.replace(" web:8069 ", " 127.0.0.1:%d " % (options.port + 1))
        path = self.workdir / "haproxy.cfg"
        path.write_text(text)
        return path

    def nginx_conf(self):
        """deploy/nginx.conf with the upstreams on this machine's ports, files in the workdir."""
        options = self.options
        text = (ROOT / "deploy" / "nginx.conf").read_text()
        text = text.replace("server queue:8069", "server 127.0.0.1:%d" % (options.port + 3))
        text = text.replace("server web:8072", "server 127.0.0.1:%d" % (options.port + 2))
        text = text.replace("listen 80;", "listen 127.0.0.1:%d;" % options.port)
        text = text.replace("/var/log/nginx/", "%s/" % self.workdir)
        text = text.replace("/var/run/", "%s/" % self.workdir)
        temp_paths = "".join(
            "\n    %s_temp_path %s;" % (kind, self.workdir / kind)
            for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
        )
        text = text.replace("\nhttp {", "\nhttp {" + temp_paths, 1)
        path = self.workdir / "nginx.conf"
        path.write_text(text)
        return path

    def wait_http(self, timeout=120):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for name, process in self.processes.items():
                if process.poll() is not None:
                    sys.exit("%s exited (%s): see %s" % (name, process.returncode, self.workdir))
            try:
                with urllib.request.urlopen(self.url + "/web/health", timeout=5) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(1)
        sys.exit("Odoo did not answer through nginx within %s s" % timeout)

    def stop(self):
        for pid_file in self.pid_files.values():
            if pid_file.exists():
                try:
                    os.kill(int(pid_file.read_text().split()[0]), 15)
                except (ProcessLookupError, ValueError, IndexError):
                    pass
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, 15)
        for process in self.processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, 9)


# ----------------------------------------------------------------------------------- the bench
def wait_crons_idle(primary, timeout=900):
    """Wait until no active cron is due (the cron process ran what the copy had pending)."""
    deadline = time.monotonic() + timeout
    started = time.monotonic()
    while time.monotonic() < deadline:
        due = query(
            primary,
            "SELECT cron_name FROM ir_cron WHERE active AND nextcall <= (now() at time"
            " zone 'UTC') ORDER BY nextcall",
        )
        if not due:
            say("crons idle after %.0f s" % (time.monotonic() - started))
            return
        time.sleep(2)
    say("crons still due after %s s: %s" % (timeout, ", ".join(row[0] for row in due)))


def analyse_if_needed(options, primary):
    done = query(primary, "SELECT count(*) FROM erpconnect_run WHERE status = 'done'")[0][0]
    if done:
        say("%d finished analysis run(s) in %s" % (done, options.db))
        return
    if not options.analyse:
        say("no finished analysis in %s: the dashboard's panels are empty (--analyse)" % options.db)
        return
    say("setting the nightly analysis cron due: the cron process runs it (%s)" % load_average())
    query(
        primary,
        "UPDATE ir_cron SET nextcall = now() at time zone 'UTC' WHERE id = ("
        "SELECT res_id FROM ir_model_data WHERE module = 'erpconnect_ai'"
        " AND name = 'ir_cron_erpconnect_run_analysis')",
    )
    due = query(primary, "SELECT now() at time zone 'UTC'")[0][0]
    started = time.monotonic()
    while time.monotonic() - started < 1800:
        runs = query(
            primary,
            "SELECT company_id, status, products_total, finished_at - started_at FROM"
            " erpconnect_run WHERE trigger = 'cron' AND create_date >= %s ORDER BY id",
            [due],
        )
        busy = query(primary, "SELECT count(*) FROM erpconnect_run WHERE status = 'running'")
        if runs and not busy[0][0]:
            say(
                "cron analysis finished after %.0f s (%s)"
                % (time.monotonic() - started, load_average())
            )
            for company_id, status, products, duration in runs:
                say("  company %s: %s, %s products, %s" % (company_id, status, products, duration))
            return
        time.sleep(5)
    sys.exit("the cron analysis did not finish within 30 minutes")


def wave(deployment, options, users, name):
    say("%s wave (%s)" % (name, load_average()))
    result = rpc_load.run_wave(
        deployment.url,
        options.db,
        users,
        rpc_load.CALLS,
        options.concurrency,
        options.requests,
        180.0,
    )
    rpc_load.print_wave(result, options.requests, options.concurrency, len(users), "web")
    p95 = rpc_load.percentile(result["latencies"], 95)
    ok = not result["errors"] and not result["skipped"] and p95 <= P95_TARGET
    return {
        "name": name,
        "p95": p95,
        "errors": len(result["errors"]) + len(result["skipped"]),
        "ok": ok,
        "load": load_average(),
    }


def confirm_sale(deployment, options, amount=1000.0):
    """Confirm a sale of ``amount`` (untaxed) through the proxy, as admin; returns its total."""
    url, db = deployment.url, options.db
    uid = rpc_load.jsonrpc(url, "common", "login", db, "admin", "admin")

    def execute(model, method, *args, **kwargs):
        return rpc_load.jsonrpc(
            url, "object", "execute_kw", db, uid, "admin", model, method, list(args), kwargs
        )

    line = execute(
        "sale.order.line",
        "search_read",
        [("state", "=", "sale")],
        fields=["order_partner_id", "product_id"],
        limit=1,
        order="id desc",
    )[0]
    order_id = execute(
        "sale.order",
        "create",
        {
            "partner_id": line["order_partner_id"][0],
            "order_line": [
                (
                    0,
                    0,
                    {
                        "product_id": line["product_id"][0],
                        "product_uom_qty": 1,
                        "price_unit": amount,
                        "tax_id": [(5, 0, 0)],
                    },
                )
            ],
        },
    )
    execute("sale.order", "action_confirm", [order_id])
    return execute("sale.order", "read", [order_id], ["amount_untaxed"])[0]["amount_untaxed"]


def dashboard_revenue(deployment, cookie):
    data = rpc_load.call_kw(
        deployment.url, cookie, "erpconnect.dashboard", "get_dashboard_data", [], {"days": 30}
    )
    return next(card["value"] for card in data["kpis"] if card["code"] == "revenue_total")


def main(argv=None):
    options = parse_args(argv if argv is not None else sys.argv[1:])
    say(load_average())
    if options.setup_replica:
        setup_replica(options)
    if options.drop_replica:
        drop_replica(options)
        return 0
    replica = None
    if options.replica:
        ensure_replica(options)
        say("replica %s streaming on port %d" % (options.replica_cluster, options.replica_port))
    primary = connect(options)
    lines = query(primary, "SELECT count(*) FROM sale_order_line")[0][0]
    say("database %s: %d sale order lines" % (options.db, lines))
    if options.replica:
        query(primary, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        wait_replayed(
            options,
            connect(options, port=options.replica_port),
            query(primary, "SELECT pg_current_wal_lsn()::text")[0][0],
        )
        replica = connect(options, port=options.replica_port)
    workdir = Path(tempfile.mkdtemp(prefix="deploy_bench."))
    deployment = Deployment(options, workdir)
    results, checks = [], []
    try:
        deployment.start(options.replica)
        say(
            "nginx on %s -> Odoo %d workers (replica: %s); logs in %s"
            % (deployment.url, options.workers, "yes" if options.replica else "no", workdir)
        )
        analyse_if_needed(options, primary)
        wait_crons_idle(primary)
        users = rpc_load.log_in(deployment.url, options.db, USERS)
        before = {"primary": table_reads(primary, options.db)}
        if replica:
            query(replica, "SELECT pg_stat_statements_reset()")
            before["replica"] = table_reads(replica, options.db)

        wave(deployment, options, users, "cold")
        results.append(wave(deployment, options, users, "warm"))
        total = confirm_sale(deployment, options)
        lsn = query(primary, "SELECT pg_current_wal_lsn()::text")[0][0]
        if replica:
            say(
                "sale of %.2f confirmed; replica replayed it %.0f ms later"
                % (total, wait_replayed(options, replica, lsn) * 1000)
            )
        results.append(wave(deployment, options, users, "first after a sale"))

        for name, entry in sorted(server_times(workdir / "web.log").items()):
            modes = ", ".join(
                "%s %d" % (mode, entry[mode]) for mode in ("ro", "rw", "ro->rw") if mode in entry
            )
            say(
                "server %-40s %4d calls, %5.1f queries, SQL %4.0f ms + other %4.0f ms; cursor: %s"
                % (
                    name,
                    entry["calls"],
                    entry["queries"] / entry["calls"],
                    1000 * entry["sql"] / entry["calls"],
                    1000 * entry["other"] / entry["calls"],
                    modes or "(not logged without a replica)",
                )
            )
        say("waiting 12 s for the servers to publish their statistics")
        time.sleep(12)
        after = {"primary": table_reads(primary, options.db)}
        reads = {"primary": delta(after["primary"], before["primary"])}
        if replica:
            after["replica"] = table_reads(replica, options.db)
            reads["replica"] = delta(after["replica"], before["replica"])
        for server, figures in reads.items():
            say(
                "%-7s during the 3 waves: %d table scans, %d rows read, %d transactions"
                % (server, figures["scans"], figures["rows"], figures["transactions"])
            )
        if replica:
            scans = reads["replica"]["scans"] + reads["primary"]["scans"]
            rows = reads["replica"]["rows"] + reads["primary"]["rows"]
            share = reads["replica"]["scans"] / scans if scans else 0.0
            say(
                "share on the replica: %.1f %% of the table scans, %.1f %% of the rows read"
                % (100 * share, 100 * reads["replica"]["rows"] / rows if rows else 0.0)
            )
            statements = query(
                replica,
                "SELECT sum(calls), count(*) FROM pg_stat_statements s JOIN pg_database d"
                " ON d.oid = s.dbid WHERE d.datname = %s",
                [options.db],
            )[0]
            say("replica pg_stat_statements: %s statements executed, %s distinct" % statements)
            for calls, mean_ms, text in query(
                replica,
                "SELECT calls, round(mean_exec_time::numeric, 1), left(regexp_replace(query,"
                " '\\s+', ' ', 'g'), 90) FROM pg_stat_statements s JOIN pg_database d"
                " ON d.oid = s.dbid WHERE d.datname = %s ORDER BY total_exec_time DESC LIMIT 5",
                [options.db],
            ):
                say("  replica: %6d calls, %7s ms  %s" % (calls, mean_ms, text))
            checks.append(
                ("dashboard reads on the replica (>= 99 % of table scans)", share >= 0.99)
            )

            cookie = users[0][0]
            previous = dashboard_revenue(deployment, cookie)
            total = confirm_sale(deployment, options, amount=777.0)
            confirmed = time.perf_counter()
            lsn = query(primary, "SELECT pg_current_wal_lsn()::text")[0][0]
            replayed = wait_replayed(options, replica, lsn)
            polls, seen = 0, None
            while time.perf_counter() - confirmed < 10 and seen is None:
                call_started = time.perf_counter() - confirmed
                polls += 1
                if abs(dashboard_revenue(deployment, cookie) - previous - total) < 0.01:
                    seen = call_started
            say(
                "sale of %.2f: replayed on the replica after %.0f ms; the dashboard showed it in "
                "the call started %s ms after the confirmation (%d call(s))"
                % (
                    total,
                    replayed * 1000,
                    "%.0f" % (seen * 1000) if seen is not None else "never",
                    polls,
                )
            )
            checks.append(
                (
                    "a confirmed sale shows in the dashboard once replayed",
                    seen is not None and seen <= replayed + 0.5,
                )
            )
    finally:
        deployment.stop()
        if options.replica and not options.keep_replica:
            drop_replica(options)
        if not options.keep_workdir:
            shutil.rmtree(workdir, ignore_errors=True)

    say(
        "summary (%s, %d order lines, %d workers, replica %s):"
        % (options.db, lines, options.workers, "yes" if options.replica else "no")
    )
    for result in results:
        checks.append(
            (
                "%s wave: 0 errors, p95 %.2f s <= %.1f s (%s)"
                % (result["name"], result["p95"], P95_TARGET, result["load"]),
                result["ok"],
            )
        )
    for label, ok in checks:
        say("  %s  %s" % ("PASS" if ok else "FAIL", label))
    return 0 if all(ok for _label, ok in checks) else 1


if __name__ == "__main__":
    sys.exit(main())
