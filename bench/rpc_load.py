"""Bounded JSON-RPC load test of the dashboard and KPI methods.

Sends a fixed number of calls (``CALLS``: what the dashboard and KPIs screens call, plus the KPI
API; ``--api`` adds the other read APIs) with N concurrent callers logged in as several users,
and prints p50/p95/p99 latency (overall and per method) and the error count. ``--transport web``
calls as the dashboard does (a web session, ``/web/dataset/call_kw``); ``--transport jsonrpc``
(default) as an external program does (``/jsonrpc`` ``execute_kw`` with the password). Loopback
only: the URL must point at 127.0.0.1/localhost/[::1]. Standard library only.

Run Odoo with workers first, e.g.::

    $ODOO_PYTHON $ODOO_PATH/odoo-bin --addons-path=$ODOO_PATH/addons,$PWD -d erp_bench_10k \\
        --db_host=127.0.0.1 --db_user=odoo --db_password=odoo --http-port=8069 --workers=2 \\
        --max-cron-threads=0

then::

    python bench/rpc_load.py --url http://127.0.0.1:8069 --db erp_bench_10k \\
        --users admin:admin,manager@erp.com:manager123,viewer@erp.com:viewer123 \\
        --concurrency 100 --requests 400 --time-limit 120

(``-d`` alone, without ``--db-filter``: with a filter every ``/jsonrpc`` call first lists the
server's databases, about 10 ms more each.)

Odoo's prefork server listens with a backlog of 8 connections per worker: 100 simultaneous
connections straight to 2 workers overflow it, Linux answers with SYN cookies and resets the
connections it cannot accept in time (errors; ``nstat`` counts them in ``TcpExtSyncookiesFailed``).
In production a queue holds the connections and hands the workers a few requests at a time:
``bench/deploy_bench.py`` starts the deployment of ``docker-compose.yml`` (nginx, the HAProxy
queue of ``deploy/haproxy.cfg``, the workers, a cron process, optionally a read replica) and runs
this load through it (``run_wave``).

The demo users exist only in a database installed with demo data. ``--create-users
ADMIN_LOGIN:PASSWORD`` first creates (if missing) two bench users through the same JSON-RPC API,
logged in as that administrator: ``bench_viewer`` (ERPConnect AI Viewer) and ``bench_manager``
(ERPConnect AI Manager), each with its login as password, in the administrator's company, and
adds them to ``--users``. Use it on benchmark databases only.

A request still waiting when ``--time-limit`` is reached is not sent and is counted as
skipped; latencies are measured by the client (queueing in the proxy and in Odoo included). The
KPI and dashboard caches last 120 s in each worker and are dropped when a sale is confirmed: run
twice to see a cold and a warm wave, or advance the cache generation as a confirmed sale does
(``psql -c "SELECT setval('erpconnect_kpi_cache_generation',
nextval('erpconnect_kpi_cache_generation'))" DB``: setval, so that a replica sees it too) before
a run to measure the first wave after a sale lands.
"""

import argparse
import json
import os
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# (model, method, args, kwargs): what the dashboard and KPIs screens call (static/src/dashboard)
# and the KPI JSON-RPC API.
CALLS = [
    ("erpconnect.dashboard", "get_dashboard_data", [], {"days": 30}),
    ("erpconnect.dashboard", "get_kpi_overview", [], {"days": 30}),
    ("erpconnect.kpi", "get_metrics", [], {"days": 30}),
    ("erpconnect.kpi", "get_metrics", [], {"days": 7}),
    ("erpconnect.kpi", "get_metric", ["revenue_total"], {"days": 90, "interval": "week"}),
    ("erpconnect.kpi", "get_metric", ["order_count"], {"days": 365, "interval": "month"}),
]
# Other read APIs of the addon (``--api`` adds them to the mix).
API_CALLS = [
    ("erpconnect.replenishment", "get_suggestions", [], {"limit": 50}),
    ("erpconnect.anomaly", "get_anomalies", [], {"days": 30}),
    ("erpconnect.run", "get_health", [], {}),
]


def post(url, params, cookie=None, timeout=60):
    """POST a JSON-RPC 2.0 ``call`` to ``url``; returns ``(result, response headers)``."""
    payload = {"jsonrpc": "2.0", "method": "call", "params": params, "id": 1}
    headers = {"Content-Type": "application/json"}
    if cookie:
        headers["Cookie"] = cookie
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
        response_headers = response.headers
    if answer.get("error"):
        raise RuntimeError(answer["error"].get("data", {}).get("message") or answer["error"])
    return answer["result"], response_headers


def jsonrpc(url, service, method, *args, timeout=60):
    """A call of Odoo's external API (``/jsonrpc``: the password is checked on every call)."""
    params = {"service": service, "method": method, "args": list(args)}
    return post(url + "/jsonrpc", params, timeout=timeout)[0]


def web_session(url, db, login, password):
    """Log in as the web client does; returns the ``session_id`` cookie."""
    result, headers = post(
        url + "/web/session/authenticate", {"db": db, "login": login, "password": password}
    )
    cookie = headers.get("Set-Cookie", "").split(";", 1)[0]
    if not result.get("uid") or not cookie.startswith("session_id="):
        sys.exit("web login failed for %s" % login)
    return cookie


def call_kw(url, cookie, model, method, args, kwargs):
    """A call as the dashboard makes it (``orm.call``: ``/web/dataset/call_kw``, session)."""
    params = {"model": model, "method": method, "args": args, "kwargs": kwargs}
    return post("%s/web/dataset/call_kw/%s/%s" % (url, model, method), params, cookie)[0]


BENCH_USERS = (
    ("bench_viewer", "erpconnect_ai.group_erpconnect_viewer"),
    ("bench_manager", "erpconnect_ai.group_erpconnect_manager"),
)


def create_bench_users(url, db, admin):
    """Create the bench users (login = password) if missing; returns their ``login:password``."""
    login, password = admin.split(":", 1)
    uid = jsonrpc(url, "common", "login", db, login, password)
    if not uid:
        sys.exit("login failed for %s" % login)

    def execute(model, method, *args, **kwargs):
        return jsonrpc(
            url, "object", "execute_kw", db, uid, password, model, method, list(args), kwargs
        )

    company_id = execute("res.users", "read", [uid], ["company_id"])[0]["company_id"][0]
    pairs = []
    for bench_login, group_xmlid in BENCH_USERS:
        if not execute("res.users", "search", [("login", "=", bench_login)]):
            module, name = group_xmlid.split(".")
            group_id = execute(
                "ir.model.data",
                "search_read",
                [("module", "=", module), ("name", "=", name)],
                fields=["res_id"],
            )[0]["res_id"]
            execute(
                "res.users",
                "create",
                {
                    "name": bench_login.replace("_", " ").title(),
                    "login": bench_login,
                    "password": bench_login,
                    "company_id": company_id,
                    "company_ids": [(6, 0, [company_id])],
                    "groups_id": [(4, group_id)],
                },
            )
            print("created user %s" % bench_login)
        pairs.append("%s:%s" % (bench_login, bench_login))
    return pairs


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def run_wave(url, db, users, calls, concurrency, requests, time_limit, transport="web"):
    """Send ``requests`` calls (``calls`` in turn) with ``concurrency`` callers, the first wave
    together; ``users`` as :func:`log_in` returns them. Returns a dict: ``latencies`` (s),
    ``by_method`` (name: latencies), ``errors`` (messages), ``skipped`` (not sent before
    ``time_limit``), ``wall`` (s)."""
    deadline = time.monotonic() + time_limit
    latencies, errors, skipped = [], [], []
    by_method = {}
    lock = threading.Lock()
    barrier = threading.Barrier(min(concurrency, requests))

    def one_call(index):
        uid, password, login = users[index % len(users)]
        model, method, args, kwargs = calls[index % len(calls)]
        if index < barrier.parties:
            try:  # the first wave starts together: real concurrency, not a trickle
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
        if time.monotonic() > deadline:
            with lock:
                skipped.append(index)
            return
        started = time.perf_counter()
        try:
            if transport == "web":
                call_kw(url, uid, model, method, args, kwargs)
            else:
                jsonrpc(url, "object", "execute_kw", db, uid, password, model, method, args, kwargs)
        except Exception as error:  # counted and reported
            with lock:
                errors.append("%s %s.%s: %s" % (login, model, method, error))
            return
        with lock:
            latencies.append(time.perf_counter() - started)
            by_method.setdefault("%s.%s" % (model, method), []).append(latencies[-1])

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(one_call, range(requests)))
    return {
        "latencies": latencies,
        "by_method": by_method,
        "errors": errors,
        "skipped": skipped,
        "wall": time.perf_counter() - wall,
    }


def print_wave(wave, requests, concurrency, users, transport):
    """Print a wave's counts, latency percentiles (overall and per method) and first errors."""
    latencies = wave["latencies"]
    print(
        "requests: %d planned (%s), %d ok, %d errors, %d skipped (time limit), concurrency %d, "
        "users %d, wall %.1f s"
        % (
            requests,
            transport,
            len(latencies),
            len(wave["errors"]),
            len(wave["skipped"]),
            concurrency,
            users,
            wave["wall"],
        )
    )
    if latencies:
        print(
            "latency ms: p50 %.0f  p95 %.0f  p99 %.0f  max %.0f  mean %.0f"
            % (
                percentile(latencies, 50) * 1000,
                percentile(latencies, 95) * 1000,
                percentile(latencies, 99) * 1000,
                max(latencies) * 1000,
                statistics.mean(latencies) * 1000,
            )
        )
        for name, values in sorted(wave["by_method"].items()):
            print(
                "  %-42s n %4d  p50 %6.0f  p95 %6.0f ms"
                % (name, len(values), percentile(values, 50) * 1000, percentile(values, 95) * 1000)
            )
    for line in wave["errors"][:10]:
        print("error:", line)


def log_in(url, db, pairs, transport="web"):
    """``[(session cookie or uid, password or None, login)]`` of the ``login:password`` pairs."""
    users = []
    for pair in pairs:
        login, password = pair.split(":", 1)
        if transport == "web":
            users.append((web_session(url, db, login, password), None, login))
            continue
        uid = jsonrpc(url, "common", "login", db, login, password)
        if not uid:
            sys.exit("login failed for %s" % login)
        users.append((uid, password, login))
    return users


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--users", default="admin:admin", help="login:password,...")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, hard stop")
    parser.add_argument(
        "--create-users",
        metavar="ADMIN:PASSWORD",
        help="create bench_viewer and bench_manager (if missing) as this administrator",
    )
    parser.add_argument(
        "--transport",
        choices=("jsonrpc", "web"),
        default="jsonrpc",
        help="jsonrpc: external API, /jsonrpc execute_kw with the password (default); "
        "web: as the dashboard, a web session and /web/dataset/call_kw",
    )
    parser.add_argument("--api", action="store_true", help="add API_CALLS to the mix")
    parser.add_argument("--only", help="comma-separated model.method names: only these calls")
    options = parser.parse_args()
    known = CALLS + API_CALLS
    wanted = options.only.split(",") if options.only else None
    calls = [
        call
        for call in (known if wanted or options.api else CALLS)
        if not wanted or "%s.%s" % call[:2] in wanted
    ]
    if not calls:
        sys.exit("--only matches none of: %s" % ", ".join("%s.%s" % c[:2] for c in known))

    host = urllib.parse.urlparse(options.url).hostname
    if host not in LOOPBACK_HOSTS:
        sys.exit("refusing to load a non-loopback host: %s" % host)
    if not (1 <= options.requests <= 10000 and 1 <= options.concurrency <= 500):
        sys.exit("requests must be 1..10000 and concurrency 1..500")

    pairs = options.users.split(",")
    if options.create_users:
        pairs += create_bench_users(options.url, options.db, options.create_users)
    users = log_in(options.url, options.db, pairs, options.transport)

    print("%s core(s), load average %.2f %.2f %.2f (start)" % (os.cpu_count(), *os.getloadavg()))
    wave = run_wave(
        options.url,
        options.db,
        users,
        calls,
        options.concurrency,
        options.requests,
        options.time_limit,
        options.transport,
    )
    print_wave(wave, options.requests, options.concurrency, len(users), options.transport)
    print("load average %.2f %.2f %.2f (end)" % os.getloadavg())
    return 1 if wave["errors"] or wave["skipped"] else 0


if __name__ == "__main__":
    sys.exit(main())
