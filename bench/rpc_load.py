"""Bounded JSON-RPC load test of the dashboard and KPI methods.

Sends a fixed number of ``execute_kw`` calls through Odoo's standard ``/jsonrpc`` endpoint, with
N concurrent callers logged in as several users, and prints p50/p95/p99 latency and the error
count. Loopback only: the URL must point at 127.0.0.1/localhost/[::1]. Standard library only.

Run Odoo with workers first, e.g.::

    $ODOO_PYTHON $ODOO_PATH/odoo-bin --addons-path=$ODOO_PATH/addons,$PWD -d erp_bench_10k \\
        --db_host=127.0.0.1 --db_user=odoo --db_password=odoo --http-port=8069 --workers=2 \\
        --max-cron-threads=0

then::

    python bench/rpc_load.py --url http://127.0.0.1:8069 --db erp_bench_10k \\
        --users admin:admin,manager@erp.com:manager123,viewer@erp.com:viewer123 \\
        --concurrency 100 --requests 400 --time-limit 120
"""

import argparse
import json
import statistics
import sys
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}

# (model, method, args, kwargs): what the dashboard and KPI screens call.
CALLS = [
    ("erpconnect.kpi", "get_metrics", [], {"days": 30}),
    ("erpconnect.kpi", "get_metrics", [], {"days": 7}),
    ("erpconnect.kpi", "get_metric", ["revenue_total"], {"days": 90, "interval": "week"}),
    ("erpconnect.dashboard", "get_dashboard_data", [], {"days": 30}),
    ("erpconnect.replenishment", "get_suggestions", [], {"limit": 50}),
    ("erpconnect.anomaly", "get_anomalies", [], {"days": 30}),
    ("erpconnect.run", "get_health", [], {}),
]


def jsonrpc(url, service, method, *args, timeout=60):
    payload = {
        "jsonrpc": "2.0",
        "method": "call",
        "params": {"service": service, "method": method, "args": list(args)},
        "id": 1,
    }
    request = urllib.request.Request(
        url + "/jsonrpc",
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        answer = json.loads(response.read())
    if answer.get("error"):
        raise RuntimeError(answer["error"].get("data", {}).get("message") or answer["error"])
    return answer["result"]


def percentile(values, q):
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8069")
    parser.add_argument("--db", required=True)
    parser.add_argument("--users", default="admin:admin", help="login:password,...")
    parser.add_argument("--concurrency", type=int, default=100)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--time-limit", type=float, default=120.0, help="seconds, hard stop")
    options = parser.parse_args()

    host = urllib.parse.urlparse(options.url).hostname
    if host not in LOOPBACK_HOSTS:
        sys.exit("refusing to load a non-loopback host: %s" % host)
    if not (1 <= options.requests <= 10000 and 1 <= options.concurrency <= 500):
        sys.exit("requests must be 1..10000 and concurrency 1..500")

    users = []
    for pair in options.users.split(","):
        login, password = pair.split(":", 1)
        uid = jsonrpc(options.url, "common", "login", options.db, login, password)
        if not uid:
            sys.exit("login failed for %s" % login)
        users.append((uid, password, login))

    deadline = time.monotonic() + options.time_limit
    latencies, errors = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(min(options.concurrency, options.requests))

    def one_call(index):
        uid, password, login = users[index % len(users)]
        model, method, args, kwargs = CALLS[index % len(CALLS)]
        if index < barrier.parties:
            try:  # the first wave starts together: real concurrency, not a trickle
                barrier.wait(timeout=30)
            except threading.BrokenBarrierError:
                pass
        if time.monotonic() > deadline:
            return
        started = time.perf_counter()
        try:
            jsonrpc(
                options.url,
                "object",
                "execute_kw",
                options.db,
                uid,
                password,
                model,
                method,
                args,
                kwargs,
            )
        except Exception as error:  # counted and reported below
            with lock:
                errors.append("%s %s.%s: %s" % (login, model, method, error))
            return
        with lock:
            latencies.append(time.perf_counter() - started)

    wall = time.perf_counter()
    with ThreadPoolExecutor(max_workers=options.concurrency) as pool:
        list(pool.map(one_call, range(options.requests)))
    wall = time.perf_counter() - wall

    print(
        "requests: %d sent, %d ok, %d errors, concurrency %d, users %d, wall %.1f s"
        % (options.requests, len(latencies), len(errors), options.concurrency, len(users), wall)
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
    for line in errors[:10]:
        print("error:", line)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
