"""Base class of the ERPConnect AI Odoo tests: a small company built by hand.

Today is frozen at ``TODAY`` (a Monday); the analysis reads the ``LOOKBACK_DAYS`` days up to
``AS_OF`` (yesterday). The company sells, on known dates (one confirmed order a day at 10:00 UTC,
noon in the company's Brussels time zone):

=============  ==========================================  ========  =========  ============
product        demand in the window                        on hand   incoming   first vendor
=============  ==========================================  ========  =========  ============
``steady``     4 units every day (63 days: 252 units)      40        20         A, 5 days
``weekly``     14 units every Monday (9 Mondays: 126)      0         0          none (default)
``dozen``      sold by the dozen: 1 dz on 06-10, 2 dz      100       0          B, 12 days
               on 06-20 (12 and 24 units)                                       (A is second)
``unsold``     nothing                                     5         0          A, 5 days
=============  ==========================================  ========  =========  ============

Sales that must be ignored: a quotation (draft) and a cancelled order of ``steady``, an order
before the window, a service product. ``company_b`` sells ``product_b`` (3 a day).
"""

from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import Command
from odoo.tests import HttpCase, TransactionCase, new_test_user

TODAY = date(2024, 7, 1)
NOW = datetime(2024, 7, 1, 10, 0, 0)
AS_OF = date(2024, 6, 30)
LOOKBACK_DAYS = 63
FIRST_DAY = AS_OF - timedelta(days=LOOKBACK_DAYS - 1)  # 2024-04-29, a Monday

STEADY_DAILY = 4.0
STEADY_PRICE = 10.0
WEEKLY_QTY = 14.0
WEEKLY_PRICE = 25.0
DOZEN_PRICE = 60.0  # per dozen


def confirmed_receipt(env, company, warehouse, product, qty, name):
    """A confirmed stock move of ``qty`` ``product`` from the vendor location into
    ``warehouse``'s stock, in ``company``."""
    move = (
        env["stock.move"]
        .with_company(company)
        .create(
            {
                "name": name,
                "product_id": product.id,
                "product_uom_qty": qty,
                "product_uom": product.uom_id.id,
                "location_id": env.ref("stock.stock_location_suppliers").id,
                "location_dest_id": warehouse.lot_stock_id.id,
                "company_id": company.id,
            }
        )
    )
    move._action_confirm()
    return move


class ErpconnectCase(TransactionCase):
    """A company with known sales, stock and vendors, users per role, and helpers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.company = cls._create_company("ERPConnect Test Company")
        cls.company_b = cls._create_company("ERPConnect Test Company B")
        cls._set_settings(
            lookback_days=LOOKBACK_DAYS, horizon_days=90, forecast_method="moving_average"
        )
        cls.warehouse = cls.env["stock.warehouse"].search(
            [("company_id", "=", cls.company.id)], limit=1
        )
        env = cls.env["res.partner"].with_company(cls.company)
        cls.customer = env.create({"name": "ERPConnect Customer", "company_id": cls.company.id})
        cls.vendor_a = env.create({"name": "ERPConnect Vendor A", "company_id": cls.company.id})
        cls.vendor_b = env.create({"name": "ERPConnect Vendor B", "company_id": cls.company.id})
        cls.uom_unit = cls.env.ref("uom.product_uom_unit")
        cls.uom_dozen = cls.env.ref("uom.product_uom_dozen")

        cls.steady = cls._create_product("ERPC Steady", STEADY_PRICE, [(cls.vendor_a, 5)])
        cls.weekly = cls._create_product("ERPC Weekly", WEEKLY_PRICE, [])
        cls.dozen = cls._create_product(
            "ERPC Dozen", DOZEN_PRICE / 12, [(cls.vendor_b, 12), (cls.vendor_a, 5)]
        )
        cls.unsold = cls._create_product("ERPC Unsold", 3.0, [(cls.vendor_a, 5)])
        cls.service = cls.env["product.product"].create(
            {"name": "ERPC Service", "type": "service", "company_id": cls.company.id}
        )

        rows = []
        for offset in range(LOOKBACK_DAYS):
            day = FIRST_DAY + timedelta(days=offset)
            lines = [(cls.steady, STEADY_DAILY, cls.uom_unit, STEADY_PRICE)]
            if day.weekday() == 0:
                lines.append((cls.weekly, WEEKLY_QTY, cls.uom_unit, WEEKLY_PRICE))
            if day == date(2024, 6, 10):
                lines.append((cls.dozen, 1.0, cls.uom_dozen, DOZEN_PRICE))
            if day == date(2024, 6, 20):
                lines.append((cls.dozen, 2.0, cls.uom_dozen, DOZEN_PRICE))
                lines.append((cls.service, 1.0, cls.uom_unit, 500.0))
            rows.append((day, lines))
        cls.orders = cls._create_sale_orders(rows)
        # Ignored: before the window, a quotation, a cancelled order.
        cls._create_sale_orders([(FIRST_DAY - timedelta(days=1), [(cls.steady, 1000.0)])])
        cls._create_sale_orders([(date(2024, 6, 15), [(cls.steady, 100.0)])], state="draft")
        cls._create_sale_orders([(date(2024, 6, 16), [(cls.steady, 50.0)])], state="cancel")

        cls._set_stock(cls.steady, 40.0)
        cls._set_stock(cls.dozen, 100.0)
        cls._set_stock(cls.unsold, 5.0)
        confirmed_receipt(cls.env, cls.company, cls.warehouse, cls.steady, 20.0, "Incoming")

        cls.product_b = cls._create_product("ERPC B Product", 7.0, [], company=cls.company_b)
        cls._create_sale_orders(
            [
                (FIRST_DAY + timedelta(days=offset), [(cls.product_b, 3.0)])
                for offset in range(LOOKBACK_DAYS)
            ],
            company=cls.company_b,
        )

        users = {"company_id": cls.company.id, "company_ids": [cls.company.id], "tz": "UTC"}
        cls.user_viewer = new_test_user(
            cls.env, "erpc_viewer", groups="erpconnect_ai.group_erpconnect_viewer", **users
        )
        cls.user_manager = new_test_user(
            cls.env, "erpc_manager", groups="erpconnect_ai.group_erpconnect_manager", **users
        )
        cls.user_admin = new_test_user(
            cls.env,
            "erpc_admin",
            groups="erpconnect_ai.group_erpconnect_admin,base.group_system",
            **users,
        )
        cls.user_b = new_test_user(
            cls.env,
            "erpc_manager_b",
            groups="erpconnect_ai.group_erpconnect_manager",
            company_id=cls.company_b.id,
            company_ids=[cls.company_b.id],
            tz="UTC",
        )

    # ------------------------------------------------------------------ builders

    @classmethod
    def _create_company(cls, name):
        company = cls.env["res.company"].create({"name": name})
        company.partner_id.tz = "Europe/Brussels"
        return company

    @classmethod
    def _create_product(cls, name, price, sellers, company=None):
        """A storable product of ``company`` (default: the test company); ``sellers`` is a list
        of ``(vendor, delay)`` in vendor order."""
        company = company or cls.company
        return (
            cls.env["product.product"]
            .with_company(company)
            .create(
                {
                    "name": name,
                    "type": "consu",
                    "is_storable": True,
                    "list_price": price,
                    "standard_price": price / 2,
                    "company_id": company.id,
                    "seller_ids": [
                        Command.create(
                            {
                                "partner_id": vendor.id,
                                "delay": delay,
                                "sequence": sequence,
                                "price": price / 2,
                                "company_id": company.id,
                            }
                        )
                        for sequence, (vendor, delay) in enumerate(sellers, start=1)
                    ],
                }
            )
        )

    @classmethod
    def _create_sale_orders(cls, rows, company=None, state="sale", hour=10):
        """One order per ``(day, lines)``, dated ``day`` at ``hour``:00 UTC, in ``state``.

        A line is ``(product, qty)`` or ``(product, qty, uom, unit_price)``. Orders are marked
        confirmed by writing their state, which keeps their date and creates no delivery.
        """
        company = company or cls.company
        partner = cls.env["res.partner"].create(
            {"name": "Customer of %s" % company.name, "company_id": company.id}
        )
        order_values = []
        for day, lines in rows:
            line_commands = []
            for product, qty, *rest in lines:
                uom, price = rest if rest else (product.uom_id, product.list_price)
                line_commands.append(
                    Command.create(
                        {
                            "product_id": product.id,
                            "product_uom_qty": qty,
                            "product_uom": uom.id,
                            "price_unit": price,
                            "tax_id": [Command.clear()],
                        }
                    )
                )
            order_values.append(
                {
                    "partner_id": partner.id,
                    "company_id": company.id,
                    "date_order": datetime.combine(day, datetime.min.time())
                    + timedelta(hours=hour),
                    "order_line": line_commands,
                }
            )
        orders = cls.env["sale.order"].with_company(company).create(order_values)
        if state != "draft":
            orders.write({"state": state})
        return orders

    @classmethod
    def _set_stock(cls, product, qty, company=None):
        company = company or product.company_id or cls.company
        warehouse = cls.env["stock.warehouse"].search([("company_id", "=", company.id)], limit=1)
        cls.env["stock.quant"].with_company(company)._update_available_quantity(
            product, warehouse.lot_stock_id, qty
        )

    @classmethod
    def _set_settings(cls, **values):
        """Store ERPConnect AI settings (short keys) on both test companies; the database-wide
        ``inline_run_max_products`` as its ``ir.config_parameter``."""
        if "inline_run_max_products" in values:
            cls.env["ir.config_parameter"].sudo().set_param(
                "erpconnect_ai.inline_run_max_products", values.pop("inline_run_max_products")
            )
        if values:
            (cls.company | cls.company_b).write(
                {"erpconnect_" + key: value for key, value in values.items()}
            )

    # ------------------------------------------------------------------ running

    @classmethod
    def run_analysis(cls, user=None, company=None):
        """Run the analysis as ``user`` (default: the manager) for ``company`` (default: the
        test company) at ``NOW`` ("Run analysis now"). Returns the new run (as superuser)."""
        user = user or cls.user_manager
        company = company or cls.company
        Run = (
            cls.env["erpconnect.run"].with_user(user).with_context(allowed_company_ids=[company.id])
        )
        with freeze_time(NOW, tick=True):
            action = Run.action_run_analysis()
        return cls.env["erpconnect.run"].sudo().browse(action["res_id"])

    @classmethod
    def current_forecasts(cls, company=None):
        """The published forecasts of ``company`` (default: the test company)."""
        company = company or cls.company
        return cls.env["erpconnect.forecast"].search([("company_id", "=", company.id)])


class SampleHistoryHttpCase(HttpCase):
    """The current company with its sample history (demo data), a Manager (``manager``, groups
    ``MANAGER_GROUPS``), a Viewer (``viewer``) and one finished analysis run (``analysis_run``)."""

    MANAGER_GROUPS = "erpconnect_ai.group_erpconnect_manager"

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        company = cls.env.company
        sample = cls.env["erpconnect.sample.history"]
        if company.id not in sample._get_loaded_company_ids():
            sample._load_sample_history()
        users = {"company_id": company.id, "company_ids": [company.id]}
        cls.manager = new_test_user(
            cls.env, "sample_history_manager", groups=cls.MANAGER_GROUPS, **users
        )
        cls.viewer = new_test_user(
            cls.env,
            "sample_history_viewer",
            groups="erpconnect_ai.group_erpconnect_viewer",
            **users,
        )
        cls.env["erpconnect.run"].with_user(cls.manager).action_run_analysis()
        cls.analysis_run = cls.env["erpconnect.run"].search(
            [("company_id", "=", company.id)], order="id desc", limit=1
        )
        if cls.analysis_run.status != "done":
            raise AssertionError(
                "The analysis of the sample history failed: %s" % cls.analysis_run.message
            )
