"""Two Managers click "Create RFQs" on the same suggestions at the same moment: one RFQ.

What the Odoo test suite cannot do (its tests never commit): two real transactions on the same
suggestions.

1. Manager 1 creates the RFQs and keeps its transaction open (the suggestions stay locked);
   manager 2 clicks meanwhile and must be told at once that someone is ordering them; after
   manager 1 committed, manager 2 clicks again and must be told they were already ordered.
2. On other suggestions, manager 2's request starts (its snapshot is taken) before manager 1
   commits and asks for the lock after: PostgreSQL refuses it (serialization failure), Odoo's
   request retry (``odoo.service.model.retrying``, as for a JSON-RPC call) runs it again on fresh
   data and manager 2 is told they were already ordered.

Checks that each suggestion has exactly one RFQ line.

Needs a database with erpconnect_ai and current suggestions to order (a successful analysis
with ORDER_NOW rows that have a vendor). It commits RFQs and two users ``rfq_race_1/2``: run it
on a copy (``createdb -T <db> <copy>``).

Usage, from the repository root::

    $ODOO_PYTHON bench/rfq_race.py -d <copy> --company "My Company (San Francisco)" \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

Prints each step and OK/FAILED; exit code 0 when all pass.
"""

import argparse
import os
import sys
import threading
import time

from load_company import start_odoo  # same directory: Odoo set up the same way


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--company", required=True, help="company name or id")
    parser.add_argument("--count", type=int, default=5, help="suggestions ordered at once (5)")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


def main(argv):
    args, odoo_args = parse_args(argv)
    odoo = start_odoo(args, odoo_args)
    from odoo import SUPERUSER_ID, Command, api
    from odoo.exceptions import UserError
    from odoo.modules.registry import Registry
    from odoo.service.model import retrying

    registry = Registry(args.database)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        Company = env["res.company"]
        company = Company.browse(int(args.company)) if args.company.isdigit() else None
        company = company or Company.search([("name", "=", args.company)], limit=1)
        groups = [
            Command.link(env.ref(xmlid).id)
            for xmlid in (
                "erpconnect_ai.group_erpconnect_manager",
                "purchase.group_purchase_user",
            )
        ]
        users = []
        for login in ("rfq_race_1", "rfq_race_2"):
            user = env["res.users"].search([("login", "=", login)])
            users.append(
                user
                or env["res.users"].create(
                    {
                        "name": login,
                        "login": login,
                        "company_id": company.id,
                        "company_ids": [Command.set(company.ids)],
                        "groups_id": groups,
                    }
                )
            )
        suggestions = env["erpconnect.replenishment"].search(
            [
                ("company_id", "=", company.id),
                ("state", "=", "new"),
                ("suggested_qty", ">", 0),
                ("vendor_id", "!=", False),
                ("purchase_order_id", "=", False),
            ],
            limit=2 * args.count,
        )
        user_ids = [user.id for user in users]
        ids, late_ids = suggestions[: args.count].ids, suggestions[args.count :].ids
        vendors = len(suggestions.vendor_id)
        company_id, company_name = company.id, company.name
    if not late_ids:
        print("FAILED: fewer than %d suggestions to order in %s" % (2 * args.count, company_name))
        return 1
    print(
        "%d + %d suggestions of %s, %d vendor(s)" % (len(ids), len(late_ids), company_name, vendors)
    )

    holding, release = threading.Event(), threading.Event()
    results = {}

    def order(name, user_id, selection, hold=False, cr=None):
        """``user_id`` clicks "Create RFQs" on ``selection`` in a request of its own (or in
        ``cr``, a transaction already started), retried on concurrency errors as Odoo does."""
        start = time.perf_counter()
        try:
            with cr or registry.cursor() as cursor:
                env = api.Environment(cursor, user_id, {"allowed_company_ids": [company_id]})

                def click():
                    action = env["erpconnect.replenishment"].browse(selection).action_create_rfqs()
                    if hold:  # keep the transaction, and the suggestions' lock, open
                        holding.set()
                        release.wait(60)
                    return action

                action = retrying(click, env)
                outcome = "RFQs %s" % action["domain"][0][2]
        except UserError as error:
            outcome = "UserError: %s" % error.args[0].splitlines()[0]
        except Exception as error:  # reported: the checks below fail
            outcome = "%s: %s" % (type(error).__name__, error)
        results[name] = (outcome, time.perf_counter() - start)
        print("  %s (%.2f s): %s" % (name, results[name][1], outcome))

    print("1. manager 2 clicks while manager 1 orders, then again")
    first = threading.Thread(target=order, args=("manager 1", user_ids[0], ids, True))
    first.start()
    holding.wait(60)
    order("manager 2, while manager 1 orders", user_ids[1], ids)
    release.set()
    first.join()
    order("manager 2, after manager 1 committed", user_ids[1], ids)

    print("2. manager 2's request starts before manager 1 commits")
    late = registry.cursor()
    late.execute("SELECT 1")  # the transaction's snapshot is taken now
    order("manager 1, other suggestions", user_ids[0], late_ids)
    order("manager 2, started before that commit", user_ids[1], late_ids, cr=late)

    with registry.cursor() as cr:
        cr.execute(
            """
            SELECT count(DISTINCT r.purchase_order_id), count(l.id), count(DISTINCT l.id)
              FROM erpconnect_replenishment r
              LEFT JOIN purchase_order_line l ON l.order_id = r.purchase_order_id
                                             AND l.product_id = r.product_id
             WHERE r.id = ANY(%s)
            """,
            [ids + late_ids],
        )
        orders, lines, distinct_lines = cr.fetchone()
    checks = [
        (results["manager 1"][0].startswith("RFQs"), "manager 1 created the RFQs"),
        (
            "Another user is acting" in results["manager 2, while manager 1 orders"][0]
            and results["manager 2, while manager 1 orders"][1] < 5,
            "manager 2 was told at once that someone is ordering them",
        ),
        (
            "already ordered" in results["manager 2, after manager 1 committed"][0],
            "manager 2 was told they were already ordered",
        ),
        (
            results["manager 1, other suggestions"][0].startswith("RFQs")
            and "already ordered" in results["manager 2, started before that commit"][0],
            "a request that started before the commit was retried and told so too",
        ),
        (
            lines == distinct_lines == len(ids) + len(late_ids),
            "%d RFQ(s), %d line(s) for %d suggestions of %d vendor(s)"
            % (orders, lines, len(ids) + len(late_ids), vendors),
        ),
    ]
    for passed, text in checks:
        print("%s: %s" % ("OK" if passed else "FAILED", text))
    odoo.sql_db.close_all()
    return 0 if all(passed for passed, _text in checks) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
