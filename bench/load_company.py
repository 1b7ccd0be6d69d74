"""Fill an Odoo 18 database with a synthetic company for the benchmarks (bulk, seeded).

Loads a catalogue of N storable products (default 10,000) with vendors and lead times, two years
of confirmed and delivered sales (one order per customer and day; ~1.9 million order lines with
their pickings, stock moves and move lines for 10,000 products), the purchase orders and receipts
that brought the stock in (about 170,000 purchase order lines), today's stock and the valuation
layers, through the same code as the addon's sample history
(``erpconnect.sample.history._load_company_history``), so the benchmark data has the same shape and
patterns as the demo. The demand comes from
``erpconnect_ai/tools/demand_generator.py`` with a long-tail profile mix
(``CATALOGUE_PROFILE_WEIGHTS``: mostly spare parts and slow movers, some fast, seasonal,
trending, promoted and new items, planted anomalies, stock-outs). Same seed, same data.

The products' internal references start with ``BENCH-`` so they do not clash with the 150-product
sample history that the addon's demo data already put in the main company. The data goes into the
main company by default (the demo users' company), or into ``--company NAME`` (created when it
does not exist, with its warehouse).

Usage, from the repository root (about 11 minutes for 10,000 products on 2 busy cores, load 5.5;
1.7 GB peak memory)::

    PGPASSWORD=odoo createdb -h 127.0.0.1 -U odoo -T erp_base erp_bench_10k
    $ODOO_PYTHON $ODOO_PATH/odoo-bin --addons-path=$ODOO_PATH/addons,$PWD \\
        --db_host=127.0.0.1 --db_user=odoo --db_password=odoo -d erp_bench_10k \\
        -i erpconnect_ai --stop-after-init --http-port=18199
    $ODOO_PYTHON bench/load_company.py -d erp_bench_10k --products 10000 \\
        -- --db_host=127.0.0.1 --db_user=odoo --db_password=odoo

Options after ``--`` go to Odoo's configuration (database host, user, password...). The Odoo
source tree is ``--odoo-path`` (default ``$ODOO_PATH`` or ``/opt/odoo18``); the addons path is that
tree's ``addons`` plus this repository. The script commits once at the end and prints the counts
per table, the time per step and the total wall time.

Unlike the addon's loader, this script drops the foreign keys of the tables the history is written
into (``HISTORY_TABLES`` of ``erpconnect_sample_history.py``) before the load and adds them back
after it, in the same transaction: PostgreSQL then checks each key once over the whole table
instead of row by row, several times faster for millions of rows. The tables stay locked until the
commit: run it on a database nobody else uses.
"""

import argparse
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CODE_PREFIX = "BENCH-"


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "-d", "--database", required=True, help="existing database with erpconnect_ai"
    )
    parser.add_argument("--products", type=int, default=10000, help="catalogue size (10000)")
    parser.add_argument("--days", type=int, default=730, help="days of history (730)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument(
        "--mix",
        choices=("catalogue", "sample"),
        default="catalogue",
        help="demand profile mix: long-tail catalogue (default) or the demo sample's mix",
    )
    parser.add_argument("--company", help="load into this company (created if missing)")
    parser.add_argument(
        "--odoo-path", default=os.environ.get("ODOO_PATH", "/opt/odoo18"), help="Odoo source tree"
    )
    return parser.parse_known_args(argv)


def pick_company(env, wanted):
    """The company named or numbered ``wanted``, else the one with the most confirmed lines."""
    if wanted:
        domain = [("id", "=", int(wanted))] if wanted.isdigit() else [("name", "=", wanted)]
        company = env["res.company"].search(domain, limit=1)
        if not company:
            sys.exit("no company %r" % wanted)
        return company
    env.cr.execute(
        "SELECT company_id FROM sale_order_line WHERE state = 'sale' "
        "GROUP BY company_id ORDER BY COUNT(*) DESC LIMIT 1"
    )
    row = env.cr.fetchone()
    return env["res.company"].browse(row[0] if row else env.company.id)


def start_odoo(args, odoo_args):
    """Import Odoo from the source tree and configure it for ``args.database``."""
    sys.path.insert(0, args.odoo_path)
    import odoo
    from odoo.tools import config

    addons_path = f"{Path(args.odoo_path) / 'addons'},{REPO}"
    config.parse_config(
        [f"--addons-path={addons_path}", "-d", args.database, *[a for a in odoo_args if a != "--"]]
    )
    return odoo


def table_counts(cr, company_id):
    """Rows of the main tables for the company."""
    counts = {}
    for label, query in (
        (
            "products",
            "SELECT count(*) FROM product_product p JOIN product_template t"
            " ON t.id = p.product_tmpl_id WHERE t.company_id = %(c)s AND t.default_code LIKE %(p)s",
        ),
        ("vendor prices", "SELECT count(*) FROM product_supplierinfo WHERE company_id = %(c)s"),
        (
            "sale orders",
            "SELECT count(*) FROM sale_order WHERE company_id = %(c)s AND state = 'sale'",
        ),
        (
            "sale order lines",
            "SELECT count(*) FROM sale_order_line WHERE company_id = %(c)s AND state = 'sale'",
        ),
        (
            "purchase orders",
            "SELECT count(*) FROM purchase_order WHERE company_id = %(c)s AND state = 'purchase'",
        ),
        (
            "purchase order lines",
            "SELECT count(*) FROM purchase_order_line WHERE company_id = %(c)s"
            " AND state = 'purchase'",
        ),
        (
            "done pickings",
            "SELECT count(*) FROM stock_picking WHERE company_id = %(c)s AND state = 'done'",
        ),
        (
            "pickings to receive",
            "SELECT count(*) FROM stock_picking WHERE company_id = %(c)s AND state = 'assigned'",
        ),
        (
            "done stock moves",
            "SELECT count(*) FROM stock_move WHERE company_id = %(c)s AND state = 'done'",
        ),
        (
            "stock quants",
            "SELECT count(*) FROM stock_quant WHERE company_id = %(c)s AND quantity > 0",
        ),
        (
            "valuation layers",
            "SELECT count(*) FROM stock_valuation_layer WHERE company_id = %(c)s",
        ),
    ):
        cr.execute(query, {"c": company_id, "p": CODE_PREFIX + "%"})
        counts[label] = cr.fetchone()[0]
    return counts


def drop_foreign_keys(cr, tables):
    """Drop the foreign keys of ``tables``; returns ``(table, name, definition)`` to add back."""
    cr.execute(
        "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
        " FROM pg_constraint WHERE contype = 'f' AND conrelid = ANY(%s::regclass[])"
        " ORDER BY conrelid::regclass::text, conname",
        [list(tables)],
    )
    foreign_keys = cr.fetchall()
    for table, name, _definition in foreign_keys:
        cr.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
    return foreign_keys


def add_foreign_keys(cr, foreign_keys):
    """Add back (and so check, once per key) what :func:`drop_foreign_keys` dropped."""
    for table, name, definition in foreign_keys:
        cr.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')


def get_company(env, name):
    """The main company, or the company called ``name`` (created with its warehouse)."""
    if not name:
        return env.ref("base.main_company")
    company = env["res.company"].search([("name", "=", name)], limit=1)
    if not company:
        company = env["res.company"].create({"name": name})
    if not env["stock.warehouse"].search_count([("company_id", "=", company.id)]):
        env["stock.warehouse"].create({"company_id": company.id})
    return company


def main(argv=None):
    args, odoo_args = parse_args(sys.argv[1:] if argv is None else argv)
    odoo = start_odoo(args, odoo_args)
    from odoo.addons.erpconnect_ai.models.erpconnect_sample_history import HISTORY_TABLES
    from odoo.addons.erpconnect_ai.tools import CATALOGUE_PROFILE_WEIGHTS, DEFAULT_PROFILE_WEIGHTS

    weights = CATALOGUE_PROFILE_WEIGHTS if args.mix == "catalogue" else DEFAULT_PROFILE_WEIGHTS
    started = time.monotonic()
    registry = odoo.modules.registry.Registry(args.database)
    with registry.cursor() as cr:
        env = odoo.api.Environment(cr, odoo.SUPERUSER_ID, {})
        company = get_company(env, args.company)
        existing = env["product.product"].search_count(
            [("company_id", "=", company.id), ("default_code", "=like", CODE_PREFIX + "%")]
        )
        if existing:
            print(
                f"{company.name} already holds {existing} {CODE_PREFIX}* products: load into a "
                "fresh database (see the module docstring) or another --company.",
                file=sys.stderr,
            )
            return 2
        print(
            f"Loading {args.products} products x {args.days} days (seed {args.seed}, "
            f"{args.mix} mix) into {company.name} (id {company.id}) of {args.database}..."
        )
        loader = env["erpconnect.sample.history"].with_company(company)
        keys_started = time.monotonic()
        foreign_keys = drop_foreign_keys(cr, HISTORY_TABLES)
        dropped = time.monotonic() - keys_started
        stats = loader._load_company_history(
            args.products,
            seed=args.seed,
            n_days=args.days,
            profile_weights=weights,
            code_prefix=CODE_PREFIX,
        )
        keys_started = time.monotonic()
        add_foreign_keys(cr, foreign_keys)
        stats["timings"]["foreign keys"] = round(dropped + time.monotonic() - keys_started, 2)
        cr.commit()
        analyze_started = time.monotonic()
        # Fresh planner statistics for the benchmarks that read these tables next.
        cr.execute(
            "ANALYZE sale_order, sale_order_line, purchase_order, purchase_order_line,"
            " stock_picking, stock_move, stock_move_line, stock_quant, stock_valuation_layer,"
            " product_product, product_template"
        )
        cr.commit()
        stats["timings"]["analyze"] = round(time.monotonic() - analyze_started, 2)
        counts = table_counts(cr, company.id)
        cr.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
        size = cr.fetchone()[0]
        company_label = f"{company.name} (id {company.id})"
    total = time.monotonic() - started
    print(f"Company: {company_label}, database {args.database} ({size})")
    for label, value in counts.items():
        print(f"  {label:<20} {value:>10,}")
    print(f"  {'customers':<20} {stats['customers']:>10,}")
    print(f"  {'vendors':<20} {stats['vendors']:>10,}")
    print("Time per step (s): " + ", ".join(f"{k} {v}" for k, v in stats["timings"].items()))
    print(f"Total wall time: {total:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
