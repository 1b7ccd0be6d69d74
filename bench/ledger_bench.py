"""Timings of the daily demand ledger's upkeep on a big database (issue 13).

Runs inside Odoo (no HTTP) on a database filled by ``bench/load_company.py`` and prints:

- confirming a 20-line sale order (20 products that sell) with ``action_confirm()`` and the
  flush a commit does (``cr.flush()``: the ORM's writes, then the ledger refresh registered by
  ``_defer``): the wall time with the ledger upkeep, the time of the upkeep inside it (``_defer``,
  the ``_keys_of_*`` queries, ``_refresh_keys`` and the daily deliveries' ``_refresh_orders``,
  timed as they run), and the wall time with the upkeep switched off, each the median of
  ``--repeat`` orders (target: the upkeep adds ≤ 20 ms);
- validating the delivery of such an order (moves done), the upkeep inside it likewise;
- the nightly reconcile of the last 7 days (``_reconcile``);
- with ``--rebuild``, the full rebuild of the company's daily deliveries alone
  (``erpconnect.delivery.daily._rebuild``), then of the company (``_rebuild``, the daily
  deliveries included: what installing or upgrading the addon does) and the rows it writes.

Everything runs in one transaction that is rolled back: nothing is written to the database.
The machine's core count and load average are printed with the figures.

Usage, from the repository root (update the addon first when the database is older than the
code: ``odoo-bin ... -u erpconnect_ai --stop-after-init``)::

    $ODOO_PYTHON bench/ledger_bench.py -d erp_bench_10k \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo
"""

import argparse
import contextlib
import os
import statistics
import sys
import time
from unittest.mock import patch

from load_company import pick_company, start_odoo  # same directory: Odoo set up the same way

LINES = 20
TARGET_MS = 20.0


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", help="company name or id (default: most sale lines)")
    parser.add_argument("--repeat", type=int, default=7, help="orders per figure (default 7)")
    parser.add_argument("--rebuild", action="store_true", help="also time a full rebuild")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


class UpkeepClock:
    """Patches the upkeep's entry points to time them (or to switch them off)."""

    NAMES = ("_defer", "_keys_of_orders", "_keys_of_lines", "_keys_of_moves", "_refresh_keys")
    #: Entry points of the daily deliveries' upkeep (``erpconnect.delivery.daily``).
    DELIVERY_NAMES = ("_refresh_orders",)

    def __init__(self, upkeep_class, delivery_class, enabled=True):
        self.upkeep_class = upkeep_class
        self.delivery_class = delivery_class
        self.enabled = enabled
        self.seconds = 0.0

    @contextlib.contextmanager
    def active(self):
        patches = []
        for owner, names in (
            (self.upkeep_class, self.NAMES),
            (self.delivery_class, self.DELIVERY_NAMES),
        ):
            for name in names:
                patches.append(patch.object(owner, name, self._wrap(getattr(owner, name))))
        with contextlib.ExitStack() as stack:
            for one in patches:
                stack.enter_context(one)
            yield self

    def _wrap(self, original):
        clock = self

        def timed(model, *args, **kwargs):
            if not clock.enabled:
                return set()
            start = time.perf_counter()
            try:
                return original(model, *args, **kwargs)
            finally:
                clock.seconds += time.perf_counter() - start

        return timed


def top_products(env, company, count):
    """``count`` goods of ``company`` with the most ledger rows of sales."""
    env.cr.execute(
        """
        SELECT d.product_id FROM erpconnect_demand_daily d
          JOIN product_product pp ON pp.id = d.product_id
          JOIN product_template pt ON pt.id = pp.product_tmpl_id
         WHERE d.company_id = %s AND d.order_line_count > 0 AND pt.type = 'consu' AND pp.active
         GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT %s
        """,
        [company.id, count],
    )
    return env["product.product"].browse([row[0] for row in env.cr.fetchall()])


def new_order(env, company, partner, products):
    return (
        env["sale.order"]
        .with_company(company)
        .create(
            {
                "partner_id": partner.id,
                "company_id": company.id,
                "order_line": [
                    (0, 0, {"product_id": product.id, "product_uom_qty": 1, "price_unit": 10.0})
                    for product in products
                ],
            }
        )
    )


def deliver(order):
    picking = order.picking_ids
    picking.action_assign()
    for move in picking.move_ids:
        move.quantity = move.product_uom_qty
        move.picked = True
    picking.with_context(skip_backorder=True, skip_sms=True).button_validate()


def time_event(env, make, event, classes, enabled):
    """Wall ms of ``event(record)`` for a fresh ``make()``, and the upkeep's ms inside it."""
    with env.cr.savepoint() as savepoint:
        record = make()
        env.flush_all()
        clock = UpkeepClock(*classes, enabled)
        with clock.active():
            start = time.perf_counter()
            event(record)
            env.cr.flush()  # as the commit does: the ORM's writes, then the ledger's refresh
            wall = time.perf_counter() - start
        env.flush_all()
        savepoint.close(rollback=True)  # nothing of it stays
    env.invalidate_all()
    return wall * 1000, clock.seconds * 1000


def report(label, values, target=None):
    median = statistics.median(values)
    line = "%-58s median %8.2f ms  (min %8.2f, max %8.2f)" % (
        label,
        median,
        min(values),
        max(values),
    )
    if target is not None:
        line += "  target ≤ %s ms  %s" % (target, "OK" if median <= target else "OVER")
    print(line, flush=True)
    return median


def main(argv):
    args, odoo_args = parse_args(argv)
    odoo = start_odoo(args, odoo_args)
    from odoo import SUPERUSER_ID, api
    from odoo.modules.registry import Registry

    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = pick_company(env, args.company)
        env = env(context=dict(env.context, allowed_company_ids=[company.id]))
        classes = (type(env["erpconnect.demand.upkeep"]), type(env["erpconnect.delivery.daily"]))
        products = top_products(env, company, LINES)
        partner = env["res.partner"].create({"name": "Ledger bench customer"})
        env.cr.execute(
            "SELECT count(*) FROM erpconnect_demand_daily WHERE company_id = %s", [company.id]
        )
        print(
            "database %s, company %s (id %s): %s ledger rows; %s core(s), load average %s"
            % (
                args.database,
                company.name,
                company.id,
                f"{env.cr.fetchone()[0]:,}",
                os.cpu_count(),
                " ".join("%.2f" % load for load in os.getloadavg()),
            ),
            flush=True,
        )

        def make_order():
            return new_order(env, company, partner, products)

        def make_confirmed():
            order = make_order()
            order.action_confirm()
            return order

        results = {}
        for label, make, event in (
            ("confirm a %d-line order" % LINES, make_order, lambda order: order.action_confirm()),
            ("validate the delivery of a %d-line order" % LINES, make_confirmed, deliver),
        ):
            with_upkeep, inside, without = [], [], []
            for _repeat in range(args.repeat):
                wall, upkeep_ms = time_event(env, make, event, classes, True)
                with_upkeep.append(wall)
                inside.append(upkeep_ms)
                without.append(time_event(env, make, event, classes, False)[0])
            report(label + ", with the ledger upkeep", with_upkeep)
            report(label + ", upkeep switched off", without)
            results[label] = report(label + ": the upkeep inside it", inside, TARGET_MS)
        upkeep = env["erpconnect.demand.upkeep"]
        start = time.perf_counter()
        rows = upkeep._reconcile(company)
        print(
            "reconcile of the last 7 days (before each analysis): %.2f s, %s rows"
            % (time.perf_counter() - start, f"{rows:,}"),
            flush=True,
        )
        if args.rebuild:
            start = time.perf_counter()
            rows = env["erpconnect.delivery.daily"]._rebuild(company)
            print(
                "full rebuild of the daily deliveries alone: %.2f s, %s rows"
                % (time.perf_counter() - start, f"{rows:,}"),
                flush=True,
            )
            start = time.perf_counter()
            rows = upkeep._rebuild(company)
            print(
                "full rebuild (installation, upgrade, action Rebuild): %.1f s, %s rows"
                % (time.perf_counter() - start, f"{rows:,}"),
                flush=True,
            )
        print("load average %s" % " ".join("%.2f" % load for load in os.getloadavg()))
        cr.rollback()
    del odoo
    return 0 if all(value <= TARGET_MS for value in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
