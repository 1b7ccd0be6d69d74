"""Sample company history: a realistic, deterministic two-year trading history for demos and tests.

The catalogue, the sales and the purchases come from :mod:`erpconnect_ai.tools` (pure Python,
seeded): ``generate_demand`` (products and daily sales), ``layout_orders`` (customer orders and
their deliveries) and ``plan_replenishment`` (purchase orders, receipts and stock, simulated day
by day so that the stock never goes below zero and is empty during the planted stock-outs).

Partners and products go through the ORM, each product then dated from its first sale. The history
itself is written with bulk SQL, every stored and required column filled with the value Odoo's own
computations give: each product's opening stock counted in on its first day, confirmed purchase
orders with their receipts (backorders for short receipts, receipts still to come), confirmed sale
orders delivered and not invoiced, today's quants and the valuation layer of every done move (no
taxes on the sample products). The ORM cache is invalidated afterwards so the records read back
normally.

Loading is an ERPConnect AI Administrator's action, in a database with demo data (or where the
system parameter ``erpconnect_ai.allow_sample_history`` is set) and a company without sales. The
loader never touches the tables' constraints: every foreign key is checked row by row.
``bench/load_company.py`` drops and adds back the keys of :data:`HISTORY_TABLES` around its own
10,000-product load, where checking each key once is much faster.

Why one file of about 1,350 lines: the loader is one transaction that writes a dozen core tables
(orders, lines, pickings, moves, move lines, quants, valuation layers, purchase orders) which
must agree with each other row for row; each ``_insert_*`` method fills one of those groups with
every column Odoo would, and splitting them across files would separate the column lists from
the ids they share through the ``_HistoryContext``.
"""

import logging
import time

import numpy as np
import pandas as pd

from odoo import Command, api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL, str2bool

from ..tools import (
    customer_count,
    customer_names,
    generate_demand,
    layout_orders,
    plan_sales_history,
    vendor_count,
    vendor_names,
)

_logger = logging.getLogger(__name__)

SAMPLE_PRODUCT_COUNT = 150
SAMPLE_SEED = 2024
SAMPLE_DAYS = 730
LOADED_COMPANIES_PARAMETER = "erpconnect_ai.sample_history_company_ids"
#: System parameter that allows loading the sample history in a database without demo data.
ALLOW_PARAMETER = "erpconnect_ai.allow_sample_history"
INSERT_BATCH = 50000
#: The tables the history is written into with bulk SQL, in the order they are written: every
#: table a foreign key references is complete before the first row that references it (each key's
#: check is planned once per session, for the size its table has then).
HISTORY_TABLES = (
    "procurement_group",
    "purchase_order",
    "sale_order",
    "purchase_order_line",
    "sale_order_line",
    "stock_picking",
    "purchase_order_stock_picking_rel",
    "stock_move",
    "stock_move_line",
    "stock_quant",
    "stock_valuation_layer",
)
SQL_TYPES = {
    "int": "integer",
    "float": "numeric",
    "bool": "boolean",
    "text": "varchar",
    "datetime": "timestamp",
    "date": "date",
}
# Times of day (minutes after midnight) of the documents of one day: products are created and
# their opening stock counted at 07:00, receipts arrive between 07:00 and 08:00 (before the first
# delivery, at 10:00), purchase orders are placed between 09:00 and 16:00.
CREATION_MINUTE = 7 * 60
RECEIPT_MINUTES = (7 * 60, 8 * 60)
PURCHASE_MINUTES = (9 * 60, 16 * 60)
CONFIRMATION_DELAY_MINUTES = (5, 120)


def _array_literal(values, kind):
    """PostgreSQL array literal of ``values`` (``kind``: a key of :data:`SQL_TYPES`).

    Passing one literal per column is much faster than letting the driver adapt each element,
    which matters for the millions of rows of the benchmark company.
    """
    if kind == "int":
        values = np.asarray(values)
        if values.dtype == object:  # None is NULL
            items = ("NULL" if value is None else str(int(value)) for value in values)
        else:
            items = map(str, values.astype(np.int64).tolist())
    elif kind == "float":
        values = np.asarray(values)
        if values.dtype == object:  # None is NULL
            items = ("NULL" if value is None else repr(float(value)) for value in values)
        else:
            items = map(repr, values.astype(float).tolist())
    elif kind == "bool":
        items = ("t" if value else "f" for value in values)
    elif kind in ("datetime", "date"):
        stamps = pd.DatetimeIndex(values)
        text = stamps.strftime("%Y-%m-%d %H:%M:%S" if kind == "datetime" else "%Y-%m-%d")
        items = ("NULL" if stamp is pd.NaT else f'"{item}"' for stamp, item in zip(stamps, text))
    else:
        items = (
            '"{}"'.format(str(value).replace("\\", "\\\\").replace('"', '\\"')) for value in values
        )
    return "{" + ",".join(items) + "}"


def _times(dates, days, minutes, now):
    """Timestamps on the days ``days`` (indexes in ``dates``) at ``minutes`` after midnight, in
    chronological order within each day and never after ``now``."""
    days = np.asarray(days, dtype=np.int64)
    minutes = np.broadcast_to(np.asarray(minutes, dtype=np.int64), days.shape)
    ordered = np.empty_like(minutes)
    ordered[np.argsort(days, kind="stable")] = minutes[np.lexsort((minutes, days))]
    start = np.datetime64(pd.Timestamp(dates[0]).normalize().to_datetime64(), "ns")
    stamps = start + days.astype("timedelta64[D]") + ordered.astype("timedelta64[m]")
    return np.minimum(stamps, np.datetime64(pd.Timestamp(now).to_datetime64(), "ns"))


class ErpconnectSampleHistory(models.AbstractModel):
    _name = "erpconnect.sample.history"
    _description = "ERPConnect AI sample company history"

    # ------------------------------------------------------------------------------------------
    # Entry points
    # ------------------------------------------------------------------------------------------
    @api.model
    def action_load_sample_history(self):
        """Load the sample history into the current company (ERPConnect AI Administrators only).

        Demo data: allowed in a database installed with demo data, or where the system parameter
        ``erpconnect_ai.allow_sample_history`` is set to 1. Meant for an empty company: refused
        when the sample is already loaded in it, when it already has confirmed sales, or while
        another user is loading it.

        :return: a client action showing a notification with the loaded counts.
        :raises AccessError: when the user is not an ERPConnect AI Administrator.
        :raises UserError: in a database without demo data (and without the parameter), when the
            sample is already loaded or being loaded, or when the company has sales.
        """
        if not self.env.user.has_group("erpconnect_ai.group_erpconnect_admin"):
            raise AccessError(
                self.env._("Only ERPConnect AI administrators can load the sample company history.")
            )
        if not self._is_sample_history_allowed():
            raise UserError(
                self.env._(
                    "The sample company history is demo data: it can only be loaded in a "
                    "database installed with demo data, or where the system parameter "
                    "%(parameter)s is set to 1.",
                    parameter=ALLOW_PARAMETER,
                )
            )
        company = self.env.company
        # One load at a time: a second click (or a second administrator) is told so at once.
        self.env.cr.execute(
            SQL("SELECT pg_try_advisory_xact_lock(hashtext(%s))", LOADED_COMPANIES_PARAMETER)
        )
        if not self.env.cr.fetchone()[0]:
            raise UserError(
                self.env._("The sample company history is being loaded: try again in a minute.")
            )
        if company.id in self._get_loaded_company_ids():
            raise UserError(
                self.env._(
                    "The sample company history is already loaded in %(company)s.",
                    company=company.display_name,
                )
            )
        sales = (
            self.env["sale.order"]
            .sudo()
            .search_count([("company_id", "=", company.id), ("state", "=", "sale")], limit=1)
        )
        if sales:
            raise UserError(
                self.env._(
                    "%(company)s already has confirmed sales orders. The sample company history "
                    "is meant for an empty database: load it in a new database or company.",
                    company=company.display_name,
                )
            )
        # An administrator of this addon, not necessarily of sales, purchases and inventory: the
        # demo data (products, partners, orders, stock) is created as superuser in their company.
        stats = self.sudo()._load_sample_history()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": self.env._("Sample history loaded"),
                "message": self.env._(
                    "%(products)s products, %(orders)s sales orders, %(lines)s order lines and "
                    "%(purchases)s purchase orders over %(days)s days.",
                    products=stats["products"],
                    orders=stats["orders"],
                    lines=stats["lines"],
                    purchases=stats["purchase_orders"],
                    days=stats["days"],
                ),
                "type": "success",
                "sticky": False,
                "next": {"type": "ir.actions.client", "tag": "reload"},
            },
        }

    @api.model
    def _is_sample_history_allowed(self):
        """Whether this database may receive the sample history: installed with demo data, or
        the system parameter :data:`ALLOW_PARAMETER` set to a true value."""
        allowed = self.env["ir.config_parameter"].sudo().get_param(ALLOW_PARAMETER, "")
        if str2bool(allowed or "0", False):
            return True
        return bool(
            self.env["ir.module.module"]
            .sudo()
            .search_count([("name", "=", "base"), ("demo", "=", True)], limit=1)
        )

    @api.model
    def _load_sample_history(self):
        """Demo data entry point: the sample history in the current company (no checks)."""
        return self._load_company_history(SAMPLE_PRODUCT_COUNT, seed=SAMPLE_SEED)

    @api.model
    def _load_company_history(
        self,
        n_products,
        seed=0,
        n_days=SAMPLE_DAYS,
        profile_weights=None,
        n_customers=None,
        code_prefix="",
    ):
        """Create a synthetic company history in ``self.env.company``.

        Shared by the demo data (150 products) and ``bench/load_company.py`` (10,000 products).

        :param int n_products: catalogue size.
        :param int seed: random seed of the catalogue, the demand, the orders and the purchases.
        :param int n_days: days of history ending today.
        :param dict profile_weights: demand profile mix (see ``tools.generate_demand``).
        :param int n_customers: number of customers (default grows with the catalogue).
        :param str code_prefix: put before the products' internal references.
        :return: dict of counts (``products``, ``customers``, ``vendors``, ``orders``, ``lines``,
            ``purchase_orders``, ``purchase_lines``, ``receipts``, ``days``), ``seconds`` and
            ``timings`` (seconds per step).
        :raises UserError: when the company has no warehouse.
        """
        company = self.env.company
        loader = self.with_context(tracking_disable=True, mail_create_nolog=True, mail_notrack=True)
        warehouse = self.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        if not warehouse:
            raise UserError(
                self.env._(
                    "%(company)s has no warehouse: create one in Inventory > Configuration > "
                    "Warehouses, then load the sample history.",
                    company=company.display_name,
                )
            )
        timings = {}
        clock = [time.monotonic()]

        def lap(step):
            now = time.monotonic()
            timings[step] = round(now - clock[0], 2)
            clock[0] = now

        now = fields.Datetime.now()
        products_df, history = generate_demand(
            n_products,
            n_days=n_days,
            seed=seed,
            end_date=fields.Date.context_today(self),
            profile_weights=profile_weights,
            code_prefix=code_prefix,
        )
        dates = pd.date_range(end=fields.Date.context_today(self), periods=n_days, freq="D")
        n_customers = n_customers or customer_count(n_products)
        orders_df, lines_df = layout_orders(history, n_customers, seed=seed, now=now)
        orders_df, plan = plan_sales_history(
            products_df, orders_df, lines_df, dates[0], n_days, seed
        )
        lap("generate")
        vendors = loader._create_partners(vendor_names(vendor_count(n_products)), supplier=True)
        customers = loader._create_partners(customer_names(n_customers), supplier=False)
        products = loader._create_products(products_df, vendors)
        self.env.flush_all()
        first_day = (products_df["first_sale_date"].fillna(dates[0]) - dates[0]).dt.days
        created = _times(dates, first_day, CREATION_MINUTE, now)
        loader._date_records(products, created)
        loader._date_partners(vendors, products_df["vendor_index"], created)
        loader._date_partners(customers, orders_df["customer_index"], orders_df["date_order"])
        lap("products")
        context = _HistoryContext(loader, warehouse, products, dates, now, seed)
        opening = loader._insert_opening_stock(context, plan)
        purchases = loader._insert_purchases(context, plan, vendors)
        deliveries = loader._insert_sales(context, customers, orders_df, lines_df)
        lap("documents")
        loader._insert_quants(context, opening, purchases["moves"], deliveries)
        loader._insert_valuation_layers(context, [opening, purchases["moves"], deliveries])
        loader._write_history(context)
        loader._mark_loaded(company)
        self.env.invalidate_all()
        self.env.flush_all()
        lap("write")
        # The sales and moves were inserted in SQL: build the company's demand ledger from them.
        self.env["erpconnect.demand.upkeep"].sudo()._rebuild(company)
        lap("ledger")
        stats = {
            "products": len(products),
            "customers": len(customers),
            "vendors": len(vendors),
            "orders": len(orders_df),
            "lines": len(lines_df),
            "purchase_orders": len(plan.orders),
            "purchase_lines": len(plan.lines),
            "receipts": purchases["pickings"],
            "days": n_days,
            "seconds": round(sum(timings.values()), 1),
            "timings": timings,
        }
        _logger.info("Sample history loaded in %s: %s", company.display_name, stats)
        return stats

    # ------------------------------------------------------------------------------------------
    # Master data (ORM)
    # ------------------------------------------------------------------------------------------
    def _get_loaded_company_ids(self):
        value = self.env["ir.config_parameter"].sudo().get_param(LOADED_COMPANIES_PARAMETER, "")
        return {int(part) for part in value.split(",") if part.strip().isdigit()}

    def _mark_loaded(self, company):
        loaded = self._get_loaded_company_ids() | {company.id}
        self.env["ir.config_parameter"].sudo().set_param(
            LOADED_COMPANIES_PARAMETER, ",".join(map(str, sorted(loaded)))
        )

    def _create_partners(self, names, supplier):
        rank = "supplier_rank" if supplier else "customer_rank"
        return self.env["res.partner"].create(
            [
                {
                    "name": name,
                    "is_company": True,
                    rank: 1,
                    "company_id": self.env.company.id,
                }
                for name in names
            ]
        )

    def _get_categories(self, names):
        """Product categories by name under "All", reusing existing ones; new ones are valued at
        standard cost without accounting entries (the valuation layers are written in bulk)."""
        parent = self.env.ref("product.product_category_all", raise_if_not_found=False)
        Category = self.env["product.category"]
        existing = Category.search(
            [("name", "in", list(names)), ("parent_id", "=", parent.id if parent else False)]
        )
        by_name = {category.name: category for category in existing}
        missing = [name for name in names if name not in by_name]
        for category in Category.with_company(self.env.company).create(
            [
                {
                    "name": name,
                    "parent_id": parent.id if parent else False,
                    "property_cost_method": "standard",
                    "property_valuation": "manual_periodic",
                }
                for name in missing
            ]
        ):
            by_name[category.name] = category
        return by_name

    def _create_products(self, products_df, vendors):
        """Storable products with their vendor and lead time, in ``products_df`` order."""
        categories = self._get_categories(sorted(products_df["category"].unique()))
        buy_route = self.env.ref("purchase_stock.route_warehouse0_buy", raise_if_not_found=False)
        company = self.env.company
        values = []
        for row in products_df.itertuples():
            values.append(
                {
                    "name": row.name,
                    "default_code": row.default_code,
                    "categ_id": categories[row.category].id,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": row.list_price,
                    "standard_price": row.standard_price,
                    "company_id": company.id,
                    "taxes_id": [Command.clear()],
                    "supplier_taxes_id": [Command.clear()],
                    "route_ids": [Command.set(buy_route.ids)] if buy_route else [],
                    "seller_ids": [
                        Command.create(
                            {
                                "partner_id": vendors[int(row.vendor_index)].id,
                                "delay": int(row.lead_time_days),
                                "price": row.standard_price,
                                "min_qty": 1.0,
                                "company_id": company.id,
                            }
                        )
                    ],
                }
            )
        # New products hold no stock: no valuation layer to adjust for their cost (and
        # stock_account would read quantities without sudo for a non-inventory user).
        templates = self.env["product.template"].with_context(disable_auto_svl=True).create(values)
        return templates.product_variant_id

    def _date_records(self, products, created):
        """Date the products (variant, template, vendor price) from their first day."""
        templates = products.product_tmpl_id
        for table, ids in (
            ("product_product", products.ids),
            ("product_template", templates.ids),
        ):
            self._set_create_dates(table, ids, created)
        sellers = templates.seller_ids
        created_by_template = dict(zip(templates.ids, created))
        self._set_create_dates(
            "product_supplierinfo",
            sellers.ids,
            [created_by_template[seller.product_tmpl_id.id] for seller in sellers],
        )

    def _date_partners(self, partners, partner_rows, dates):
        """Date each partner from its first document (``partner_rows``: its row in ``partners``
        for each document dated ``dates``)."""
        first = pd.Series(np.asarray(dates)).groupby(np.asarray(partner_rows)).min()
        ids = [partners[int(row)].id for row in first.index]
        self._set_create_dates("res_partner", ids, first.to_numpy())

    def _set_create_dates(self, table, ids, dates):
        if not len(ids):
            return
        self.env.cr.execute(
            SQL(
                "UPDATE %s AS t SET create_date = u.created"
                " FROM unnest(%s::integer[], %s::timestamp[]) AS u(id, created)"
                " WHERE t.id = u.id",
                SQL.identifier(table),
                _array_literal(ids, "int"),
                _array_literal(dates, "datetime"),
            )
        )

    # ------------------------------------------------------------------------------------------
    # Bulk SQL helpers
    # ------------------------------------------------------------------------------------------
    def _reserve_ids(self, table, count):
        """``count`` new ids from the table's own sequence."""
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                f"{table}_id_seq",
                int(count),
            )
        )
        return np.array([row[0] for row in self.env.cr.fetchall()], dtype=np.int64)

    def _sequence_names(self, sequence, dates):
        """Names from ``sequence`` for documents dated ``dates``, reserved in one query."""
        if not len(dates):
            return []
        if sequence.implementation != "standard" or sequence.use_date_range:
            return [sequence.with_context(ir_sequence_date=str(date))._next() for date in dates]
        self.env.cr.execute(
            SQL(
                "SELECT nextval(%s) FROM generate_series(1, %s)",
                "ir_sequence_%03d" % sequence.id,
                len(dates),
            )
        )
        numbers = [row[0] for row in self.env.cr.fetchall()]
        if "%" not in (sequence.prefix or "") + (sequence.suffix or ""):
            prefix, suffix = sequence._get_prefix_suffix()
            return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for number in numbers]
        return [
            sequence.with_context(ir_sequence_date=str(date)).get_next_char(number)
            for date, number in zip(dates, numbers)
        ]

    def _bulk_insert(self, table, columns, constants=None):
        """INSERT one row per element of the ``columns`` arrays, in batches.

        :param str table: table name.
        :param dict columns: column -> (kind, sequence), kind in ``SQL_TYPES``; equal lengths.
        :param dict constants: column -> (kind, value) repeated on every row (``None`` is NULL).
        """
        started = time.monotonic()
        constants = constants or {}
        names = list(columns)
        total = len(next(iter(columns.values()))[1])
        for start in range(0, total, INSERT_BATCH):
            stop = min(start + INSERT_BATCH, total)
            arrays = [
                SQL(
                    "%s::%s[]",
                    _array_literal(columns[name][1][start:stop], columns[name][0]),
                    SQL(SQL_TYPES[columns[name][0]]),
                )
                for name in names
            ]
            self.env.cr.execute(
                SQL(
                    "INSERT INTO %(table)s (%(columns)s) SELECT %(values)s FROM unnest(%(arrays)s)"
                    " AS u(%(aliases)s)",
                    table=SQL.identifier(table),
                    columns=SQL(", ").join(
                        SQL.identifier(name) for name in names + list(constants)
                    ),
                    values=SQL(", ").join(
                        [SQL.identifier("u", name) for name in names]
                        + [
                            SQL("%s::%s", value, SQL(SQL_TYPES[kind]))
                            for kind, value in constants.values()
                        ]
                    ),
                    arrays=SQL(", ").join(arrays),
                    aliases=SQL(", ").join(SQL.identifier(name) for name in names),
                )
            )
        _logger.info("Inserted %s rows into %s in %.1f s", total, table, time.monotonic() - started)

    def _write_history(self, context):
        """Write the rows the ``_insert_*`` steps queued, table by table in
        :data:`HISTORY_TABLES` order, then link the sale orders' procurement groups to their
        orders (the two reference each other)."""
        for table in HISTORY_TABLES:
            for columns, constants in context.queued.pop(table, ()):
                self._bulk_insert(table, columns, constants)
        if context.queued:  # pragma: no cover - a step wrote into an unlisted table
            raise ValueError("Tables missing from HISTORY_TABLES: %s" % ", ".join(context.queued))
        if len(context.sale_order_ids):
            self.env.cr.execute(
                SQL(
                    "UPDATE procurement_group g SET sale_id = o.id FROM sale_order o"
                    " WHERE o.procurement_group_id = g.id AND o.id = ANY(%s::integer[])",
                    _array_literal(context.sale_order_ids, "int"),
                )
            )

    def _insert_moves(self, context, moves, move_columns, move_constants):
        """Stock moves with one move line each (queued, as every ``_insert_*`` step's rows).

        :param dict moves: arrays ``ids``, ``rows`` (product rows), ``qty`` (product unit),
            ``date``, ``created``, ``reference``, ``state``, ``picked``, and ``line_date`` when a
            move line is dated otherwise than its move (a receipt still to come: its creation).
        :param dict move_columns: the moves' other columns (``picking_id`` is copied to the lines).
        :param dict move_constants: their constant columns (the locations, company and users are
            copied to the lines).
        """
        rows = moves["rows"]
        shared = {
            "product_id": ("int", context.product_ids[rows]),
            "state": ("text", moves["state"]),
            "picked": ("bool", moves["picked"]),
            "reference": ("text", moves["reference"]),
            "create_date": ("datetime", moves["created"]),
            "write_date": ("datetime", np.maximum(moves["date"], moves["created"])),
            "quantity": ("float", moves["qty"]),
        }
        context.queue(
            "stock_move",
            {
                "name": ("text", context.labels[rows]),
                **shared,
                **move_columns,
                "id": ("int", moves["ids"]),
                "date": ("datetime", moves["date"]),
                "product_uom": ("int", context.uom_ids[rows]),
                "product_uom_qty": ("float", moves["qty"]),
                "product_qty": ("float", moves["qty"]),
            },
            {**move_constants, "company_id": ("int", context.company.id)},
        )
        picking = {key: move_columns[key] for key in ("picking_id",) if key in move_columns}
        context.queue(
            "stock_move_line",
            {
                **shared,
                **picking,
                "move_id": ("int", moves["ids"]),
                "date": ("datetime", moves.get("line_date", moves["date"])),
                "product_uom_id": ("int", context.uom_ids[rows]),
                "quantity_product_uom": ("float", moves["qty"]),
            },
            {
                **{
                    key: move_constants[key]
                    for key in ("location_id", "location_dest_id", "create_uid", "write_uid")
                },
                "company_id": ("int", context.company.id),
            },
        )

    def _code_sequence(self, code, company):
        """The company's (or the shared) ``ir.sequence`` of ``code``."""
        return self.env["ir.sequence"].search(
            [("code", "=", code), ("company_id", "in", [company.id, False])],
            order="company_id",
            limit=1,
        )

    # ------------------------------------------------------------------------------------------
    # History (bulk SQL)
    # ------------------------------------------------------------------------------------------
    def _insert_purchases(self, context, plan, vendors):
        """Confirmed purchase orders of ``plan`` with their procurement groups, lines, receipts
        (done on their arrival day, a backorder for each later arrival, one picking still to
        receive for what arrives after today), moves and move lines.

        :return: dict ``moves`` (the done receipt moves, as :meth:`_insert_valuation_layers`
            takes them) and ``pickings`` (their count).
        """
        env = self.env
        company, dates, now = context.company, context.dates, context.now
        n_days = len(dates)
        orders, lines, receipts = plan.orders, plan.lines, plan.receipts
        n_orders, n_lines = len(orders), len(lines)
        rng = context.rng(3)
        in_type = context.warehouse.in_type_id
        stock_location = in_type.default_location_dest_id or context.warehouse.lot_stock_id
        supplier_location = in_type.default_location_src_id or env.ref(
            "stock.stock_location_suppliers"
        )

        # Per vendor, as the order's partner onchange sets them.
        vendors = vendors.with_company(company)
        FiscalPosition = env["account.fiscal.position"].with_company(company)
        vendor_ids = np.array(vendors.ids)
        fiscal_ids = np.array([FiscalPosition._get_fiscal_position(v).id or 0 for v in vendors])
        term_ids = np.array([v.property_supplier_payment_term_id.id or 0 for v in vendors])

        # Orders: placed on their day, confirmed a few minutes later.
        order_vendor = orders["vendor"].to_numpy()
        now64 = np.datetime64(pd.Timestamp(now).to_datetime64(), "ns")
        date_order = _times(dates, orders["day"], rng.integers(*PURCHASE_MINUTES, n_orders), now)
        delay = rng.integers(*CONFIRMATION_DELAY_MINUTES, n_orders).astype("timedelta64[m]")
        date_approve = np.minimum(date_order + delay, now64)
        order_ids = self._reserve_ids("purchase_order", n_orders)
        group_ids = self._reserve_ids("procurement_group", n_orders)
        order_names = np.array(
            self._sequence_names(
                self._code_sequence("purchase.order", company),
                pd.DatetimeIndex(date_order).date,
            ),
            dtype=object,
        )

        # Lines: the vendor's price, planned after the product's vendor delay.
        line_order = lines["order"].to_numpy()
        line_rows = lines["product"].to_numpy()
        line_qty = lines["qty"].to_numpy(dtype=float)
        line_price = context.vendor_prices[line_rows]
        line_subtotal = np.round(line_qty * line_price, 2)
        line_planned = date_order[line_order] + (
            lines["planned_day"].to_numpy() - lines["day"].to_numpy()
        ).astype("timedelta64[D]")
        line_ids = self._reserve_ids("purchase_order_line", n_lines)

        # Receipts: one picking per order and arrival day; what is still to come, in one.
        receipt_line = receipts["line"].to_numpy()
        receipt_rows = receipts["product"].to_numpy()
        receipt_qty = receipts["qty"].to_numpy(dtype=float)
        done = receipts["done"].to_numpy()
        keys = pd.DataFrame(
            {
                "order": receipts["order"].to_numpy(),
                "day": np.where(done, receipts["day"].to_numpy(), n_days),
            }
        )
        receipt_picking = keys.groupby(["order", "day"], sort=True).ngroup().to_numpy()
        pickings = keys.drop_duplicates().sort_values(["order", "day"]).reset_index(drop=True)
        picking_order = pickings["order"].to_numpy()
        picking_done = pickings["day"].to_numpy() < n_days
        n_pickings = len(pickings)
        date_done = np.full(n_pickings, np.datetime64("NaT"), dtype="datetime64[ns]")
        date_done[picking_done] = np.maximum(
            _times(
                dates,
                pickings["day"].to_numpy()[picking_done],
                rng.integers(*RECEIPT_MINUTES, int(picking_done.sum())),
                now,
            ),
            date_approve[picking_order[picking_done]],
        )
        # The first picking of an order is created when the order is confirmed, a backorder when
        # the picking before it is validated (backorders chain to the first picking).
        first = np.flatnonzero(pickings.groupby("order").cumcount().to_numpy() == 0)
        first_of_order = np.zeros(n_orders, dtype=np.int64)
        first_of_order[picking_order[first]] = first
        is_backorder = np.ones(n_pickings, dtype=bool)
        is_backorder[first] = False
        created = date_approve[picking_order].copy()
        original = first_of_order[picking_order]
        created[is_backorder] = date_done[original[is_backorder]]
        picking_ids = np.empty(n_pickings, dtype=np.int64)
        by_creation = np.argsort(created, kind="stable")
        picking_ids[by_creation] = self._reserve_ids("stock_picking", n_pickings)
        picking_names = np.empty(n_pickings, dtype=object)
        picking_names[by_creation] = self._sequence_names(
            in_type.sequence_id, pd.DatetimeIndex(created[by_creation]).date
        )
        backorder_ids = np.where(is_backorder, picking_ids[original], 0)
        receipt_deadline = line_planned[receipt_line]
        receipt_date = np.where(done, date_done[receipt_picking], receipt_deadline)
        scheduled = self._per_group(receipt_picking, receipt_date, n_pickings)
        deadline = self._per_group(receipt_picking, receipt_deadline, n_pickings)

        # Order and line figures from the receipts, as purchase_stock computes them.
        line_received = np.bincount(receipt_line[done], receipt_qty[done], minlength=n_lines)
        to_invoice = np.where(
            context.purchase_methods[line_rows] == "purchase", line_qty, line_received
        )
        amount = np.round(np.bincount(line_order, line_subtotal, minlength=n_orders), 2)
        done_pickings = np.bincount(picking_order, picking_done, minlength=n_orders)
        all_pickings = np.bincount(picking_order, minlength=n_orders)
        receipt_status = np.where(
            done_pickings == all_pickings,
            "full",
            np.where(done_pickings > 0, "partial", "pending"),
        )
        effective = self._per_group(picking_order, date_done, n_orders)
        last_done = self._per_group(picking_order, date_done, n_orders, "max")
        invoice_status = np.where(
            np.bincount(line_order, to_invoice > 0, minlength=n_orders) > 0, "to invoice", "no"
        )

        def per_vendor(values):
            """Vendor values spread over their orders, 0 becoming NULL."""
            return np.array([int(v) or None for v in values], dtype=object)[order_vendor]

        uids = {"create_uid": ("int", context.uid), "write_uid": ("int", context.uid)}
        context.queue(
            "procurement_group",
            {
                "id": ("int", group_ids),
                "name": ("text", order_names),
                "partner_id": ("int", vendor_ids[order_vendor]),
                "create_date": ("datetime", date_approve),
                "write_date": ("datetime", date_approve),
            },
            {"move_type": ("text", "direct"), **uids},
        )
        context.queue(
            "purchase_order",
            {
                "id": ("int", order_ids),
                "name": ("text", order_names),
                "partner_id": ("int", vendor_ids[order_vendor]),
                "date_order": ("datetime", date_order),
                "date_approve": ("datetime", date_approve),
                "date_calendar_start": ("datetime", date_approve),
                "date_planned": ("datetime", self._per_group(line_order, line_planned, n_orders)),
                "effective_date": ("datetime", effective),
                "create_date": ("datetime", date_order),
                "write_date": ("datetime", np.fmax(last_done, date_approve)),
                "amount_untaxed": ("float", amount),
                "amount_total": ("float", amount),
                "amount_total_cc": ("float", amount),
                "group_id": ("int", group_ids),
                "fiscal_position_id": ("int", per_vendor(fiscal_ids)),
                "payment_term_id": ("int", per_vendor(term_ids)),
                "invoice_status": ("text", invoice_status),
                "receipt_status": ("text", receipt_status),
            },
            {
                "company_id": ("int", company.id),
                "currency_id": ("int", company.currency_id.id),
                "currency_rate": ("float", 1.0),
                "user_id": ("int", context.user.id),
                "state": ("text", "purchase"),
                "priority": ("text", "0"),
                "amount_tax": ("float", 0.0),
                "picking_type_id": ("int", in_type.id),
                "invoice_count": ("int", 0),
                "mail_reminder_confirmed": ("bool", False),
                "mail_reception_confirmed": ("bool", False),
                **uids,
            },
        )
        context.queue(
            "purchase_order_line",
            {
                "id": ("int", line_ids),
                "order_id": ("int", order_ids[line_order]),
                "sequence": ("int", lines.groupby("order").cumcount().to_numpy() + 10),
                "product_id": ("int", context.product_ids[line_rows]),
                "product_uom": ("int", context.uom_ids[line_rows]),
                "name": ("text", context.labels[line_rows]),
                "partner_id": ("int", vendor_ids[order_vendor[line_order]]),
                "product_qty": ("float", line_qty),
                "product_uom_qty": ("float", line_qty),
                "price_unit": ("float", line_price),
                "price_subtotal": ("float", line_subtotal),
                "price_total": ("float", line_subtotal),
                "qty_received": ("float", line_received),
                "qty_to_invoice": ("float", to_invoice),
                "date_planned": ("datetime", line_planned),
                "create_date": ("datetime", date_order[line_order]),
                "write_date": ("datetime", np.fmax(last_done, date_approve)[line_order]),
            },
            {
                "company_id": ("int", company.id),
                "currency_id": ("int", company.currency_id.id),
                "state": ("text", "purchase"),
                "qty_received_method": ("text", "stock_moves"),
                "qty_invoiced": ("float", 0.0),
                "price_tax": ("float", 0.0),
                "product_packaging_qty": ("float", 0.0),
                "propagate_cancel": ("bool", True),
                **uids,
            },
        )
        context.queue(
            "stock_picking",
            {
                "id": ("int", picking_ids),
                "name": ("text", picking_names),
                "origin": ("text", order_names[picking_order]),
                "partner_id": ("int", vendor_ids[order_vendor[picking_order]]),
                "group_id": ("int", group_ids[picking_order]),
                "backorder_id": (
                    "int",
                    np.array([int(v) or None for v in backorder_ids], dtype=object),
                ),
                "scheduled_date": ("datetime", scheduled),
                "date_deadline": ("datetime", deadline),
                "has_deadline_issue": ("bool", deadline < scheduled),
                "date": ("datetime", created),
                "date_done": ("datetime", date_done),
                "create_date": ("datetime", created),
                "write_date": ("datetime", np.fmax(date_done, created)),
                "state": ("text", np.where(picking_done, "done", "assigned")),
            },
            {
                "location_id": ("int", supplier_location.id),
                "location_dest_id": ("int", stock_location.id),
                "picking_type_id": ("int", in_type.id),
                "company_id": ("int", company.id),
                "move_type": ("text", "direct"),
                "priority": ("text", "0"),
                "is_locked": ("bool", True),
                **uids,
            },
        )
        # The orders' receipts (stored many2many of purchase_stock).
        context.queue(
            "purchase_order_stock_picking_rel",
            {
                "purchase_order_id": ("int", order_ids[picking_order]),
                "stock_picking_id": ("int", picking_ids),
            },
        )
        moves = {
            "ids": self._reserve_ids("stock_move", len(receipts)),
            "rows": receipt_rows,
            "qty": receipt_qty,
            "date": receipt_date,
            "created": created[receipt_picking],
            "line_date": np.where(done, receipt_date, created[receipt_picking]),
            "reference": picking_names[receipt_picking],
            "state": np.where(done, "done", "assigned"),
            "picked": done,
        }
        self._insert_moves(
            context,
            moves,
            {
                "picking_id": ("int", picking_ids[receipt_picking]),
                "partner_id": ("int", vendor_ids[order_vendor[receipts["order"].to_numpy()]]),
                "group_id": ("int", group_ids[receipts["order"].to_numpy()]),
                "origin": ("text", order_names[receipts["order"].to_numpy()]),
                "purchase_line_id": ("int", line_ids[receipt_line]),
                "price_unit": ("float", line_price[receipt_line]),
                "date_deadline": ("datetime", receipt_deadline),
                "reservation_date": ("date", created[receipt_picking]),
                "description_picking": ("text", context.labels[receipt_rows]),
                "sequence": ("int", np.full(len(receipts), 10)),
            },
            {
                "location_id": ("int", supplier_location.id),
                "location_dest_id": ("int", stock_location.id),
                "location_final_id": ("int", stock_location.id),
                "picking_type_id": ("int", in_type.id),
                "warehouse_id": ("int", context.warehouse.id),
                "procure_method": ("text", "make_to_stock"),
                "priority": ("text", "0"),
                "scrapped": ("bool", False),
                "propagate_cancel": ("bool", True),
                "additional": ("bool", False),
                "is_inventory": ("bool", False),
                **uids,
            },
        )
        done_moves = {key: moves[key][done] for key in ("ids", "rows", "qty", "date", "reference")}
        return {
            "moves": dict(done_moves, incoming=True),
            "pickings": n_pickings,
        }

    def _insert_opening_stock(self, context, plan):
        """Each product's opening stock, counted in on its first day (inventory moves).

        :return: the moves, as :meth:`_insert_valuation_layers` takes them.
        """
        opening = plan.opening
        rows = opening["product"].to_numpy()
        stock_location = context.warehouse.lot_stock_id
        inventory_location = context.products[:1].property_stock_inventory
        name = self.env._("Sample opening stock")
        date = _times(context.dates, opening["day"], CREATION_MINUTE + 5, context.now)
        moves = {
            "ids": self._reserve_ids("stock_move", len(opening)),
            "rows": rows,
            "qty": opening["qty"].to_numpy(dtype=float),
            "date": date,
            "created": date,
            "reference": np.full(len(opening), name, dtype=object),
            "state": np.full(len(opening), "done", dtype=object),
            "picked": np.ones(len(opening), dtype=bool),
        }
        self._insert_moves(
            context,
            moves,
            {
                "name": ("text", moves["reference"]),
                "sequence": ("int", np.full(len(opening), 10)),
            },
            {
                "location_id": ("int", inventory_location.id),
                "location_dest_id": ("int", stock_location.id),
                "procure_method": ("text", "make_to_stock"),
                "priority": ("text", "0"),
                "scrapped": ("bool", False),
                "propagate_cancel": ("bool", True),
                "additional": ("bool", False),
                "is_inventory": ("bool", True),
                "create_uid": ("int", context.uid),
                "write_uid": ("int", context.uid),
            },
        )
        return {key: moves[key] for key in ("ids", "rows", "qty", "date", "reference")} | {
            "incoming": True
        }

    @staticmethod
    def _per_group(groups, values, size, how="min"):
        """Per group ``0 .. size - 1`` the ``how`` ("min"/"max") of its datetime64 ``values``
        (NaT ignored; NaT for a group without any)."""
        result = np.full(size, np.datetime64("NaT"), dtype="datetime64[ns]")
        frame = pd.DataFrame({"group": groups, "value": values}).dropna()
        extreme = frame.groupby("group")["value"].agg(how)
        result[extreme.index.to_numpy()] = extreme.to_numpy()
        return result

    def _insert_sales(self, context, customers, orders_df, lines_df):
        """Confirmed, fully delivered sale orders with their pickings, moves and move lines.

        :return: the delivery moves, as :meth:`_insert_valuation_layers` takes them.
        """
        env = self.env
        company, user = context.company, context.user
        warehouse = context.warehouse
        team = env["crm.team"].with_company(company)._get_default_team_id(user_id=user.id)
        out_type = warehouse.out_type_id
        customer_location = env.ref("stock.stock_location_customers")
        stock_location = out_type.default_location_src_id or warehouse.lot_stock_id
        delivery_rule = env["stock.rule"].search(
            [
                ("route_id", "=", warehouse.delivery_route_id.id),
                ("picking_type_id", "=", out_type.id),
            ],
            limit=1,
        )
        n_orders, n_lines = len(orders_df), len(lines_df)

        # Per customer: pricelist, payment terms, fiscal position as the order onchanges set them.
        customers = customers.with_company(company)
        FiscalPosition = env["account.fiscal.position"].with_company(company)
        customer_ids = np.array(customers.ids)
        pricelist_ids = np.array([c.property_product_pricelist.id or 0 for c in customers])
        term_ids = np.array([c.property_payment_term_id.id or 0 for c in customers])
        fiscal_ids = np.array([FiscalPosition._get_fiscal_position(c).id or 0 for c in customers])

        # Per product: customer lead time.
        leads = np.array(context.products.mapped("sale_delay"), dtype=float)

        # Orders: ids, names, amounts.
        order_ids = self._reserve_ids("sale_order", n_orders)
        group_ids = self._reserve_ids("procurement_group", n_orders)
        picking_ids = self._reserve_ids("stock_picking", n_orders)
        order_dates = orders_df["date_order"]
        order_names = self._sequence_names(
            self._code_sequence("sale.order", company), order_dates.dt.date
        )
        picking_names = self._sequence_names(out_type.sequence_id, orders_df["date_done"].dt.date)

        line_order = lines_df["order_index"].to_numpy()
        line_product = lines_df["product_id"].to_numpy() - 1  # row in products
        qty = lines_df["qty"].to_numpy(dtype=float)
        subtotal = lines_df["amount"].to_numpy(dtype=float)
        price_unit = np.round(subtotal / qty, 6)
        list_price = np.array(context.products.mapped("list_price"), dtype=float)[line_product]
        amount_untaxed = np.round(np.bincount(line_order, weights=subtotal, minlength=n_orders), 2)
        customer_of_order = orders_df["customer_index"].to_numpy()
        order_partner = customer_ids[customer_of_order]
        validity_days = company.quotation_validity_days

        def per_order(per_customer):
            """Customer values spread over their orders, 0 becoming NULL."""
            return np.array([int(v) or None for v in per_customer], dtype=object)[customer_of_order]

        date_done = orders_df["date_done"]
        uids = {"create_uid": ("int", context.uid), "write_uid": ("int", context.uid)}
        # Groups and orders point at each other: the group's order is set once both exist.
        context.queue(
            "procurement_group",
            {
                "id": ("int", group_ids),
                "name": ("text", order_names),
                "partner_id": ("int", order_partner),
                "create_date": ("datetime", order_dates),
                "write_date": ("datetime", order_dates),
            },
            {"move_type": ("text", "direct"), **uids},
        )
        context.queue(
            "sale_order",
            {
                "id": ("int", order_ids),
                "name": ("text", order_names),
                "partner_id": ("int", order_partner),
                "partner_invoice_id": ("int", order_partner),
                "partner_shipping_id": ("int", order_partner),
                "date_order": ("datetime", order_dates),
                "create_date": ("datetime", order_dates),
                "write_date": ("datetime", date_done),
                "validity_date": (
                    "datetime",
                    order_dates.dt.normalize() + pd.Timedelta(days=validity_days or 0),
                ),
                "amount_untaxed": ("float", amount_untaxed),
                "amount_total": ("float", amount_untaxed),
                "effective_date": ("datetime", date_done),
                "procurement_group_id": ("int", group_ids),
                # As the customer onchange sets them.
                "pricelist_id": ("int", per_order(pricelist_ids)),
                "payment_term_id": ("int", per_order(term_ids)),
                "fiscal_position_id": ("int", per_order(fiscal_ids)),
            },
            {
                "company_id": ("int", company.id),
                "currency_id": ("int", company.currency_id.id),
                "currency_rate": ("float", 1.0),
                "user_id": ("int", user.id),
                "team_id": ("int", team.id or None),
                "state": ("text", "sale"),
                "invoice_status": ("text", "to invoice"),
                "delivery_status": ("text", "full"),
                "amount_tax": ("float", 0.0),
                "locked": ("bool", user.has_group("sale.group_auto_done_setting")),
                "require_signature": ("bool", company.portal_confirmation_sign),
                "require_payment": ("bool", company.portal_confirmation_pay),
                "prepayment_percent": ("float", company.prepayment_percent),
                "picking_policy": ("text", "direct"),
                "warehouse_id": ("int", warehouse.id),
                **uids,
            },
        )
        context.sale_order_ids = order_ids
        context.queue(
            "stock_picking",
            {
                "id": ("int", picking_ids),
                "name": ("text", picking_names),
                "origin": ("text", order_names),
                "partner_id": ("int", order_partner),
                "group_id": ("int", group_ids),
                "sale_id": ("int", order_ids),
                "scheduled_date": ("datetime", order_dates),
                "date": ("datetime", order_dates),
                "date_done": ("datetime", date_done),
                "create_date": ("datetime", order_dates),
                "write_date": ("datetime", date_done),
            },
            {
                "location_id": ("int", stock_location.id),
                "location_dest_id": ("int", customer_location.id),
                "picking_type_id": ("int", out_type.id),
                "company_id": ("int", company.id),
                "user_id": ("int", user.id),
                "move_type": ("text", "direct"),
                "state": ("text", "done"),
                "priority": ("text", "0"),
                "printed": ("bool", True),
                "is_locked": ("bool", True),
                "has_deadline_issue": ("bool", False),
                **uids,
            },
        )

        # Lines, moves and move lines: one of each per history row.
        line_ids = self._reserve_ids("sale_order_line", n_lines)
        line_dates = order_dates.to_numpy()[line_order]
        line_done = date_done.to_numpy()[line_order]
        line_partner = order_partner[line_order]
        line_names = np.array(order_names, dtype=object)[line_order]
        context.queue(
            "sale_order_line",
            {
                "id": ("int", line_ids),
                "order_id": ("int", order_ids[line_order]),
                "sequence": ("int", lines_df["sequence"].to_numpy()),
                "order_partner_id": ("int", line_partner),
                "product_id": ("int", context.product_ids[line_product]),
                "product_uom": ("int", context.uom_ids[line_product]),
                "name": ("text", context.labels[line_product]),
                "product_uom_qty": ("float", qty),
                "qty_delivered": ("float", qty),
                "qty_to_invoice": ("float", qty),
                "price_unit": ("float", price_unit),
                "technical_price_unit": ("float", list_price),
                "price_subtotal": ("float", subtotal),
                "price_total": ("float", subtotal),
                "price_reduce_taxexcl": ("float", price_unit),
                "price_reduce_taxinc": ("float", price_unit),
                "untaxed_amount_to_invoice": ("float", subtotal),
                "customer_lead": ("float", leads[line_product]),
                "create_date": ("datetime", line_dates),
                "write_date": ("datetime", line_done),
            },
            {
                "company_id": ("int", company.id),
                "currency_id": ("int", company.currency_id.id),
                "salesman_id": ("int", user.id),
                "state": ("text", "sale"),
                "qty_delivered_method": ("text", "stock_move"),
                "invoice_status": ("text", "to invoice"),
                "discount": ("float", 0.0),
                "price_tax": ("float", 0.0),
                "qty_invoiced": ("float", 0.0),
                "untaxed_amount_invoiced": ("float", 0.0),
                "product_packaging_qty": ("float", 0.0),
                "is_downpayment": ("bool", False),
                "is_expense": ("bool", False),
                "warehouse_id": ("int", warehouse.id),
                **uids,
            },
        )
        moves = {
            "ids": self._reserve_ids("stock_move", n_lines),
            "rows": line_product,
            "qty": qty,
            "date": line_done,
            "created": line_dates,
            "reference": np.array(picking_names, dtype=object)[line_order],
            "state": np.full(n_lines, "done", dtype=object),
            "picked": np.ones(n_lines, dtype=bool),
        }
        self._insert_moves(
            context,
            moves,
            {
                "picking_id": ("int", picking_ids[line_order]),
                "sequence": ("int", lines_df["sequence"].to_numpy()),
                "description_picking": ("text", context.labels[line_product]),
                "partner_id": ("int", line_partner),
                "group_id": ("int", group_ids[line_order]),
                "origin": ("text", line_names),
                "sale_line_id": ("int", line_ids),
            },
            {
                "location_id": ("int", stock_location.id),
                "location_dest_id": ("int", customer_location.id),
                "location_final_id": ("int", customer_location.id),
                "picking_type_id": ("int", out_type.id),
                "warehouse_id": ("int", warehouse.id),
                "rule_id": ("int", delivery_rule.id or None),
                "procure_method": ("text", "make_to_stock"),
                "priority": ("text", "0"),
                "scrapped": ("bool", False),
                "propagate_cancel": ("bool", False),
                "is_inventory": ("bool", False),
                "additional": ("bool", False),
                "to_refund": ("bool", False),
                "price_unit": ("float", 0.0),
                **uids,
            },
        )
        return {key: moves[key] for key in ("ids", "rows", "qty", "date", "reference")} | {
            "incoming": False
        }

    def _insert_quants(self, context, opening, receipts, deliveries):
        """Today's quants: each product's stock in the warehouse, and what the history moved out
        of the inventory adjustment and vendor locations and into the customers' one."""
        n_products = len(context.product_ids)
        stock_location = context.warehouse.lot_stock_id

        def moved(moves):
            """Quantity moved per product, and the date of its last move."""
            return (
                np.bincount(moves["rows"], moves["qty"], minlength=n_products),
                self._per_group(moves["rows"], moves["date"], n_products, "max"),
            )

        counted, counted_at = moved(opening)
        received, received_at = moved(receipts)
        delivered, delivered_at = moved(deliveries)
        next_count = stock_location._get_next_inventory_date()
        for location, quantity, in_date in (
            (stock_location, counted + received - delivered, np.fmax(counted_at, received_at)),
            (
                context.products[:1].property_stock_inventory,
                -counted,
                counted_at,
            ),
            (context.warehouse.in_type_id.default_location_src_id, -received, received_at),
            (self.env.ref("stock.stock_location_customers"), delivered, delivered_at),
        ):
            rows = np.flatnonzero(quantity != 0)
            if not len(rows):
                continue
            context.queue(
                "stock_quant",
                {
                    "product_id": ("int", context.product_ids[rows]),
                    "quantity": ("float", quantity[rows]),
                    # As computed when the quant was created (nothing counted).
                    "inventory_diff_quantity": ("float", -quantity[rows]),
                    "in_date": ("datetime", in_date[rows]),
                    "create_date": ("datetime", in_date[rows]),
                    "write_date": ("datetime", in_date[rows]),
                },
                {
                    "location_id": ("int", location.id),
                    "company_id": ("int", location.company_id.id or None),
                    "reserved_quantity": ("float", 0.0),
                    "inventory_quantity_set": ("bool", False),
                    "inventory_date": (
                        "date",
                        next_count if location.usage in ("internal", "transit") else None,
                    ),
                    "create_uid": ("int", context.uid),
                    "write_uid": ("int", context.uid),
                },
            )

    def _insert_valuation_layers(self, context, move_sets):
        """One valuation layer per done move, at the product's standard cost, as stock_account
        writes them: incoming layers keep what first-in, first-out consumption left of them."""
        ids = np.concatenate([moves["ids"] for moves in move_sets])
        rows = np.concatenate([moves["rows"] for moves in move_sets])
        qty = np.concatenate([moves["qty"] for moves in move_sets])
        date = np.concatenate([moves["date"] for moves in move_sets])
        reference = np.concatenate([moves["reference"] for moves in move_sets])
        incoming = np.concatenate(
            [np.full(len(moves["ids"]), moves["incoming"]) for moves in move_sets]
        )
        n_products = len(context.product_ids)
        cost = context.costs[rows]
        signed = np.where(incoming, qty, -qty)
        # FIFO: the deliveries consume the incoming layers oldest first.
        consumed = np.bincount(rows[~incoming], qty[~incoming], minlength=n_products)
        order = np.lexsort((ids, date, rows))
        cumulated = np.zeros(len(ids))
        in_order = order[incoming[order]]
        in_rows = rows[in_order]
        running = np.cumsum(qty[in_order])
        starts = np.searchsorted(in_rows, in_rows, side="left")
        before_product = np.concatenate([[0.0], running])[starts]
        cumulated[in_order] = running - before_product
        remaining = np.where(incoming, np.clip(cumulated - consumed[rows], 0.0, qty), 0.0)
        context.queue(
            "stock_valuation_layer",
            {
                "product_id": ("int", context.product_ids[rows]),
                "categ_id": ("int", context.categ_ids[rows]),
                "stock_move_id": ("int", ids),
                "description": (
                    "text",
                    [f"{ref} - {label}" for ref, label in zip(reference, context.labels[rows])],
                ),
                "quantity": ("float", signed),
                "unit_cost": ("float", cost),
                "value": ("float", np.round(signed * cost, 2)),
                "remaining_qty": ("float", remaining),
                "remaining_value": (
                    "float",
                    np.where(incoming, np.round(remaining * cost, 2), None),
                ),
                "create_date": ("datetime", date),
                "write_date": ("datetime", date),
            },
            {
                "company_id": ("int", context.company.id),
                "create_uid": ("int", context.uid),
                "write_uid": ("int", context.uid),
            },
        )


class _HistoryContext:
    """What the steps of one load share: company, warehouse, user, calendar and product arrays
    (rows in the catalogue's order)."""

    def __init__(self, loader, warehouse, products, dates, now, seed):
        env = loader.env
        self.company = warehouse.company_id
        self.warehouse = warehouse
        self.dates = dates
        self.now = now
        self.seed = seed
        self.uid = env.uid
        user = env.user
        if user._is_superuser():
            user = env.ref("base.user_admin", raise_if_not_found=False) or user
        self.user = user
        self.products = products.with_company(self.company)
        self.product_ids = np.array(products.ids)
        self.uom_ids = np.array([product.uom_id.id for product in products])
        self.labels = np.array(products.mapped("display_name"), dtype=object)
        self.costs = np.array(self.products.mapped("standard_price"), dtype=float)
        self.categ_ids = np.array([product.categ_id.id for product in products])
        self.vendor_prices = np.array([product.seller_ids[:1].price for product in products])
        self.purchase_methods = np.array(products.mapped("purchase_method"), dtype=object)
        self.queued = {}  # table -> [(columns, constants)]
        self.sale_order_ids = np.zeros(0, dtype=np.int64)

    def queue(self, table, columns, constants=None):
        """Queue an insert (as ``_bulk_insert`` takes it) for ``_write_history``."""
        self.queued.setdefault(table, []).append((columns, constants))

    def rng(self, stream):
        """A random generator of its own for each use of the seed."""
        return np.random.default_rng([self.seed, stream])
