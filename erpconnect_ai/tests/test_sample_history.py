"""The sample company history: what the demo data loads and how the load action is guarded."""

import datetime
from unittest.mock import patch

import numpy as np
import pandas as pd
from freezegun import freeze_time

from odoo import Command, fields
from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, TransactionCase, new_test_user, tagged

from odoo.addons.erpconnect_ai.models import erpconnect_sample_history as sample_module
from odoo.addons.erpconnect_ai.tools import generate_demand

SAMPLE = sample_module.SAMPLE_PRODUCT_COUNT
SEED = sample_module.SAMPLE_SEED


@tagged("post_install", "-at_install")
class TestSampleHistory(TransactionCase):
    """Checks the history loaded with the demo data (loaded here when the demo was skipped)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True, tz="UTC"))
        Loader = cls.env["erpconnect.sample.history"]
        loaded = Loader._get_loaded_company_ids()
        if loaded:
            cls.company = cls.env["res.company"].browse(min(loaded))
        else:  # installed without demo data: load it in this test transaction
            cls.company = cls.env.company
            Loader._load_sample_history()
        cls.env = cls.env(context=dict(cls.env.context, allowed_company_ids=[cls.company.id]))
        catalogue, _history = generate_demand(SAMPLE, seed=SEED)
        cls.products = cls.env["product.product"].search(
            [
                ("default_code", "in", catalogue["default_code"].tolist()),
                ("company_id", "=", cls.company.id),
            ]
        )
        cls.code_of = dict(zip(cls.products.ids, cls.products.mapped("default_code")))
        # The history ends on the day the sample was loaded (today, or yesterday for a database
        # installed just before midnight): regenerate the same frames for that day.
        orders = cls.env["sale.order.line"]._read_group(
            [("product_id", "in", cls.products.ids)], [], ["order_id:recordset"]
        )[0][0]
        cls.orders = orders
        last = max(orders.mapped("date_order")).date()
        cls.end_date = last
        cls.catalogue, cls.history = generate_demand(SAMPLE, seed=SEED, end_date=last)
        cls.catalogue["odoo_id"] = cls.catalogue["default_code"].map(
            {code: pid for pid, code in cls.code_of.items()}
        )
        cls.daily = cls._daily_quantities()
        cls.stock, cls.delivered = cls._daily_stock()

    @classmethod
    def _by_product_and_day(cls, groups):
        """``(product, day, qty)`` groups as a product × day frame over the 730 days."""
        frame = pd.DataFrame(
            [(product.id, pd.Timestamp(day), qty) for product, day, qty in groups],
            columns=["product_id", "date", "qty"],
        )
        dates = pd.date_range(end=pd.Timestamp(cls.end_date), periods=730, freq="D")
        return (
            frame.pivot_table(
                index="product_id", columns="date", values="qty", aggfunc="sum", fill_value=0.0
            )
            .reindex(index=cls.products.ids, fill_value=0.0)
            .reindex(columns=dates, fill_value=0.0)
        )

    @classmethod
    def _moves_by_day(cls, domain):
        """Quantity of the sample products' done moves matching ``domain``, per product and day."""
        return cls._by_product_and_day(
            cls.env["stock.move"]._read_group(
                [("product_id", "in", cls.products.ids), ("state", "=", "done"), *domain],
                ["product_id", "date:day"],
                ["product_qty:sum"],
            )
        )

    @classmethod
    def _daily_stock(cls):
        """Each sample product's stock at the end of each day, rebuilt from its done moves into
        and out of internal locations since the first day; and its deliveries per day."""
        into = cls._moves_by_day(
            [("location_dest_id.usage", "=", "internal"), ("location_id.usage", "!=", "internal")]
        )
        out = cls._moves_by_day(
            [("location_id.usage", "=", "internal"), ("location_dest_id.usage", "!=", "internal")]
        )
        delivered = cls._moves_by_day([("location_dest_id.usage", "=", "customer")])
        return (into - out).cumsum(axis=1), delivered

    @classmethod
    def _daily_quantities(cls):
        """Ordered quantity per product and order day, read back from the sales analysis."""
        return cls._by_product_and_day(
            cls.env["sale.report"]._read_group(
                [("product_id", "in", cls.products.ids), ("state", "=", "sale")],
                ["product_id", "date:day"],
                ["product_uom_qty:sum"],
            )
        )

    def _ids_of(self, mask):
        return self.catalogue.loc[mask, "odoo_id"].astype(int).tolist()

    # --- catalogue -------------------------------------------------------------------------
    def test_catalogue_storable_products_with_vendor_and_lead_time(self):
        self.assertEqual(len(self.products), SAMPLE)
        self.assertGreaterEqual(len(self.products), 150)
        self.assertTrue(all(self.products.mapped("is_storable")))
        self.assertEqual(set(self.products.mapped("type")), {"consu"})
        self.assertGreaterEqual(len(self.products.categ_id), 5)
        for product in self.products:
            seller = product.seller_ids
            self.assertEqual(len(seller), 1, product.display_name)
            self.assertTrue(seller.partner_id)
            self.assertGreater(seller.delay, 0)
        row = self.catalogue.iloc[0]
        product = self.products.browse(int(row.odoo_id))
        self.assertEqual(product.seller_ids.delay, row.lead_time_days)
        self.assertAlmostEqual(product.list_price, row.list_price, places=2)

    # --- sales -----------------------------------------------------------------------------
    def test_history_spans_730_days_to_today(self):
        dates = [d.date() for d in self.orders.mapped("date_order")]
        today = fields.Date.context_today(self.env.user)
        # 730 days including today: the first day is today - 729 (± 1 around midnight).
        self.assertLessEqual(abs((min(dates) - (today - datetime.timedelta(days=729))).days), 1)
        self.assertLessEqual(abs((max(dates) - today).days), 1)
        self.assertEqual(set(self.orders.mapped("state")), {"sale"})

    def test_line_totals_per_product_match_the_generator(self):
        groups = self.env["sale.order.line"]._read_group(
            [("product_id", "in", self.products.ids)],
            ["product_id"],
            ["product_uom_qty:sum", "qty_delivered:sum", "price_subtotal:sum", "__count"],
        )
        expected = self.history.groupby("product_id").agg(
            qty=("qty", "sum"), amount=("amount", "sum"), lines=("qty", "size")
        )
        by_code = self.catalogue.set_index("default_code")["product_id"]
        self.assertEqual(len(groups), len(expected))
        for product, qty, delivered, subtotal, count in groups:
            generated = expected.loc[by_code[product.default_code]]
            self.assertEqual(qty, generated.qty, product.display_name)
            self.assertEqual(delivered, qty)
            self.assertAlmostEqual(subtotal, generated.amount, places=2)
            self.assertEqual(count, generated.lines)
        # The sales analysis report sees the same quantities and revenue.
        report = self.env["sale.report"]._read_group(
            [("product_id", "in", self.products.ids), ("state", "=", "sale")],
            [],
            ["product_uom_qty:sum", "price_subtotal:sum"],
        )[0]
        self.assertEqual(report[0], self.history["qty"].sum())
        self.assertAlmostEqual(report[1], self.history["amount"].sum(), places=1)

    def test_orders_are_delivered_with_done_pickings_and_moves(self):
        orders = self.orders.sorted("id")[:50]
        for order in orders:
            self.assertEqual(order.delivery_status, "full")
            self.assertEqual(order.picking_ids.state, "done")
            self.assertEqual(order.picking_ids.location_dest_id.usage, "customer")
            for line in order.order_line:
                self.assertEqual(line.move_ids.state, "done")
                self.assertEqual(line.move_ids.quantity, line.product_uom_qty)
                self.assertEqual(line.move_ids.move_line_ids.quantity, line.product_uom_qty)
            total = sum(order.order_line.mapped("price_subtotal"))
            self.assertAlmostEqual(order.amount_untaxed, total, places=2)
            self.assertAlmostEqual(order.amount_total, total, places=2)
        # One order per customer and day.
        keys = [(o.partner_id.id, o.date_order.date()) for o in self.orders]
        self.assertEqual(len(keys), len(set(keys)))

    def test_recomputing_stored_fields_changes_nothing(self):
        """The SQL-inserted values are what Odoo's own computations give."""
        orders = self.orders.sorted("id")[-20:] | self.orders.sorted("id")[:20]
        purchase_lines = self.env["purchase.order.line"].search(
            [("product_id", "in", self.products.ids)], order="id"
        )
        purchases = purchase_lines.order_id
        # The first and last orders, those received in two parts and those still to receive.
        purchases = (
            purchases[:20]
            | purchases[-20:]
            | purchases.filtered(lambda o: o.receipt_status in ("partial", "pending"))[:20]
            | purchases.picking_ids.filtered("backorder_id").move_ids.purchase_line_id.order_id
        )
        self.assertTrue({"full", "partial", "pending"} <= set(purchases.mapped("receipt_status")))
        opening = self.env["stock.move"].search(
            [("product_id", "in", self.products.ids), ("is_inventory", "=", True)]
        )
        quants = self.env["stock.quant"].search([("product_id", "in", self.products.ids)])
        layers = self.env["stock.valuation.layer"].search(
            [("stock_move_id", "in", (orders.picking_ids.move_ids | opening).ids)]
        )
        # Values Odoo sets at creation and its computes would not give again: an order's validity
        # (from *today*, the history keeps its own dates), an inventory move's destination (its
        # compute reads the picking or operation type, which inventory moves do not have), a
        # quant's "counted" flag (its compute sets it whenever the counted quantity is written).
        skip = {
            "sale.order": {"validity_date"},
            "stock.quant": {"inventory_quantity_set"},
        }
        opening_skip = {"location_dest_id"}
        records = [
            orders,
            orders.order_line,
            orders.picking_ids,
            orders.order_line.move_ids,
            orders.order_line.move_ids.move_line_ids,
            purchases,
            purchases.order_line,
            purchases.picking_ids,
            purchases.picking_ids.move_ids,
            purchases.picking_ids.move_line_ids,
            opening,
            opening.move_line_ids,
            quants,
            layers,
        ]
        for recordset in records:
            skipped = skip.get(recordset._name, set())
            if recordset == opening:
                skipped = opening_skip
            names = [
                name
                for name, field in recordset._fields.items()
                if field.store and field.compute and name not in skipped
            ]
            before = {name: recordset.mapped(name) for name in names}
            for name in names:
                self.env.add_to_compute(recordset._fields[name], recordset)
            recordset._recompute_recordset(names)
            for name in names:
                self.assertEqual(recordset.mapped(name), before[name], f"{recordset._name}.{name}")

    def test_order_form_opens(self):
        order = self.orders.sorted("id")[-1]
        form = Form(order)
        self.assertEqual(form.name, order.name)
        self.assertEqual(len(form.order_line), len(order.order_line))

    # --- patterns --------------------------------------------------------------------------
    def test_spare_parts_are_intermittent(self):
        spares = self._ids_of(self.catalogue["profile"] == "intermittent")
        self.assertGreaterEqual(len(spares), 10)
        zero_share = (self.daily.loc[spares] == 0).mean(axis=1)
        # 30-90 % of the 730 days without a sale for every spare part.
        self.assertTrue(zero_share.between(0.3, 0.9).all(), zero_share.describe())

    def test_new_products_sell_for_30_to_60_days(self):
        new = self._ids_of(self.catalogue["profile"] == "new")
        self.assertGreaterEqual(len(new), 5)
        for product_id in new:
            sold = self.daily.loc[product_id]
            first = sold[sold > 0].index.min().date()
            # Days from the first sale to the last day, both included.
            self.assertTrue(30 <= (self.end_date - first).days + 1 <= 60, (product_id, first))

    def test_fast_movers_sell_less_at_the_weekend(self):
        fast = self._ids_of(self.catalogue["profile"] == "fast")
        weekend = self.daily.columns.day_of_week >= 5
        for product_id in fast:
            series = self.daily.loc[product_id]
            self.assertGreater(series[~weekend].mean(), 2 * series[weekend].mean())

    def test_stock_today_has_out_of_stock_and_overstocked_items(self):
        out = self._ids_of(self.catalogue["stock_status"] == "out_of_stock")
        over = self._ids_of(self.catalogue["stock_status"] == "overstock")
        self.assertTrue(out and over)
        products = self.products.with_company(self.company)
        for product in products.browse(out):
            self.assertEqual(product.qty_available, 0)
            # It sold in the last 90 days: the shelf is empty, the demand is not.
            self.assertGreater(self.daily.loc[product.id].iloc[-90:].sum(), 0)
        for product in products.browse(over):
            recent = self.daily.loc[product.id].iloc[-28:].mean()
            # 180-400 days of cover (at least 50 units for near-dead items).
            self.assertTrue(
                product.qty_available >= 150 * recent or product.qty_available >= 50,
                (product.display_name, product.qty_available, recent),
            )
        on_hand = dict(zip(self.catalogue["odoo_id"], self.catalogue["on_hand"]))
        for product in products:
            self.assertEqual(product.qty_available, on_hand[product.id])

    # --- stock, purchases, receipts ----------------------------------------------------------
    def test_products_are_created_on_their_first_sale(self):
        for product in self.products:
            sold = self.daily.loc[product.id]
            first = sold[sold > 0].index.min().date()
            self.assertEqual(product.create_date.date(), first, product.display_name)
            self.assertEqual(product.product_tmpl_id.create_date.date(), first)
            # Nothing moves before the product exists.
            moved = self.stock.loc[product.id].ne(0) | self.delivered.loc[product.id].ne(0)
            self.assertGreaterEqual(moved[moved].index.min().date(), first)

    def test_stock_rebuilt_from_the_moves_never_goes_below_zero_and_is_todays(self):
        # Stock at the end of each day = Σ done moves into internal locations − Σ out, since the
        # first day (self.stock); it never goes below 0 and its last day is today's quants.
        self.assertEqual(len(self.stock), SAMPLE)
        negative = self.stock[(self.stock < 0).any(axis=1)]
        self.assertTrue(negative.empty, negative.index.tolist())
        products = self.products.with_company(self.company)
        layers = self.env["stock.valuation.layer"]._read_group(
            [("product_id", "in", self.products.ids)], ["product_id"], ["remaining_qty:sum"]
        )
        remaining = {product.id: qty for product, qty in layers}
        for product in products:
            self.assertEqual(self.stock.loc[product.id].iloc[-1], product.qty_available)
            # Valued at cost, one layer per move; what is left of the incoming layers is the stock.
            self.assertEqual(product.quantity_svl, product.qty_available)
            self.assertAlmostEqual(
                product.value_svl, product.qty_available * product.standard_price, delta=0.01
            )
            self.assertEqual(remaining[product.id], product.qty_available)
        # A real history: yesterday's stock is not today's, and most products were replenished.
        self.assertTrue((self.stock.iloc[:, -31] != self.stock.iloc[:, -1]).any())

    def test_stockouts_have_no_stock_and_no_deliveries(self):
        windows = self.catalogue.dropna(subset=["stockout_start"])
        self.assertGreaterEqual(len(windows), 5)
        for row in windows.itertuples():
            days = pd.date_range(row.stockout_start, row.stockout_end, freq="D")
            stock = self.stock.loc[int(row.odoo_id), days]
            self.assertTrue((stock == 0).all(), (row.default_code, stock.to_dict()))
            self.assertEqual(self.delivered.loc[int(row.odoo_id), days].sum(), 0)
            if row.stockout_end < pd.Timestamp(self.end_date):
                # The stock-out ends with a receipt: the day after, the shelf is stocked again.
                after = row.stockout_end + pd.Timedelta(days=1)
                self.assertGreater(self.stock.loc[int(row.odoo_id), after], 0, row.default_code)

    def test_purchases_are_received_around_the_vendor_delay(self):
        lines = self.env["purchase.order.line"].search([("product_id", "in", self.products.ids)])
        orders = lines.order_id
        self.assertGreater(len(orders), SAMPLE)
        self.assertEqual(set(orders.mapped("state")), {"purchase"})
        self.assertTrue(all(orders.mapped("date_approve")))
        ratios = []
        for picking in orders.picking_ids.filtered(lambda p: p.state == "done"):
            order = picking.move_ids.purchase_line_id.order_id
            self.assertEqual(len(order), 1)
            lead_days = (picking.date_done.date() - order.date_approve.date()).days
            self.assertGreaterEqual(lead_days, 1, picking.name)
            if not picking.backorder_id:
                delay = picking.move_ids.product_id.seller_ids.mapped("delay")
                ratios.append(lead_days / (sum(delay) / len(delay)))
        ratios = np.array(ratios)
        # Around the delay: half the first receipts within -20 %..+25 % of it, some early, some
        # late (an ordered delay of 7 days arrives after 6 to 8 days, weekends aside).
        self.assertTrue(0.85 <= np.median(ratios) <= 1.2, np.median(ratios))
        self.assertTrue((ratios < 1).any() and (ratios > 1.3).any())
        # Received quantities are the done moves' (backorders included); a line is bought whole.
        for line in lines[:300]:
            done = line.move_ids.filtered(lambda m: m.state == "done")
            self.assertEqual(line.qty_received, sum(done.mapped("quantity")))
            self.assertEqual(line.product_qty, sum(line.move_ids.mapped("product_uom_qty")))
        self.assertTrue(orders.picking_ids.filtered("backorder_id"), "a short receipt")

    def test_products_out_of_stock_today_wait_for_a_late_receipt(self):
        out = self._ids_of(self.catalogue["stock_status"] == "out_of_stock")
        self.assertTrue(out)
        waiting = self.env["stock.move"].search(
            [
                ("product_id", "in", out),
                ("purchase_line_id", "!=", False),
                ("state", "=", "assigned"),
            ]
        )
        self.assertEqual(set(waiting.product_id.ids), set(out))
        # Late: each was planned before today.
        today = fields.Date.context_today(self.env.user)
        self.assertTrue(all(move.date_deadline.date() <= today for move in waiting))

    def test_stock_kpis_have_a_previous_period_and_new_products_are_first_sold(self):
        viewer = new_test_user(
            self.env,
            login="erpc_sample_kpi_viewer",
            groups="base.group_user,erpconnect_ai.group_erpconnect_viewer",
            company_id=self.company.id,
            company_ids=[Command.set(self.company.ids)],
        )
        # Today is the history's last day (the day the demo data was loaded).
        today = self.end_date
        with freeze_time(datetime.datetime.combine(today, datetime.time(23, 0))):
            metrics = {
                metric["code"]: metric
                for metric in self.env["erpconnect.kpi"].with_user(viewer).get_metrics(30)
            }
        start = today - datetime.timedelta(days=29)  # first day of the 30-day period
        previous_start = start - datetime.timedelta(days=30)
        # New products: the sample products first sold in the period (their creation day), plus
        # any other sellable product of the company created in it.
        first_sold = self.daily.apply(lambda row: row[row > 0].index.min().date(), axis=1)

        def created_in(date_from, date_to):
            sample = int(((first_sold >= date_from) & (first_sold < date_to)).sum())
            others = self.env["product.product"].search_count(
                [
                    ("id", "not in", self.products.ids),
                    ("sale_ok", "=", True),
                    ("company_id", "in", [False, self.company.id]),
                    ("create_date", ">=", datetime.datetime.combine(date_from, datetime.time())),
                    ("create_date", "<", datetime.datetime.combine(date_to, datetime.time())),
                ]
            )
            return sample + others

        tomorrow = today + datetime.timedelta(days=1)
        self.assertGreater(created_in(previous_start, tomorrow), 0)
        self.assertEqual(metrics["new_product_count"]["value"], created_in(start, tomorrow))
        self.assertEqual(
            metrics["new_product_count"]["previous"], created_in(previous_start, start)
        )
        # Stock value at the end of the previous period: every product of the company, its stock
        # rebuilt from the done moves before the period × its cost.
        moves = self.env["stock.move"]._read_group(
            [
                ("company_id", "=", self.company.id),
                ("state", "=", "done"),
                ("date", "<", datetime.datetime.combine(start, datetime.time())),
            ],
            ["product_id", "location_id", "location_dest_id"],
            ["product_qty:sum"],
        )
        value = 0.0
        for product, source, destination, qty in moves:
            cost = product.with_company(self.company).standard_price
            value += qty * cost * ((destination.usage == "internal") - (source.usage == "internal"))
        self.assertGreater(value, 0)
        self.assertAlmostEqual(metrics["stock_value"]["previous"], value, delta=0.01)
        for code in ("inventory_turnover", "days_of_cover"):
            self.assertGreater(metrics[code]["previous"], 0, code)

    def test_planted_spike_stands_out_from_its_neighbours(self):
        events = self.history[self.history["event"].isin(["spike", "drop"])]
        self.assertGreaterEqual((events["event"] == "spike").sum(), 3)
        self.assertGreaterEqual((events["event"] == "drop").sum(), 1)
        odoo_id = self.catalogue.set_index("product_id")["odoo_id"]
        for row in events.itertuples():
            series = self.daily.loc[int(odoo_id[row.product_id])]
            at = series.index.get_loc(row.date)
            neighbours = [at + 7 * k for k in (-3, -2, -1, 1, 2, 3) if 0 <= at + 7 * k < 730]
            usual = float(np.median(series.iloc[neighbours]))
            if row.event == "spike":
                self.assertGreater(series.iloc[at], 3 * usual)
            else:
                self.assertLess(series.iloc[at], 0.3 * usual)


@tagged("post_install", "-at_install")
class TestSampleHistoryAction(TransactionCase):
    """The "Load Sample History" action: ERPConnect AI Administrators only, on a database with
    demo data (or the parameter set), into empty companies only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=True))
        cls.empty_company = cls.env["res.company"].create({"name": "ERPConnect Empty Co"})
        groups = "base.group_user,erpconnect_ai.group_erpconnect_%s"
        users = {}
        for role in ("viewer", "manager", "admin"):
            users[role] = new_test_user(
                cls.env,
                login=f"erpc_sample_{role}",
                groups=groups % role,
                company_id=cls.empty_company.id,
                company_ids=[Command.set(cls.empty_company.ids)],
            )
        cls.viewer, cls.manager, cls.admin = users["viewer"], users["manager"], users["admin"]

    def _loader(self, user):
        return self.env["erpconnect.sample.history"].with_user(user).with_company(user.company_id)

    def _company_state(self):
        """What a load would change: the company's products, orders and the loaded list."""
        company = [("company_id", "=", self.empty_company.id)]
        return (
            self.env["product.product"].search_count(company),
            self.env["sale.order"].search_count(company),
            self.env["purchase.order"].search_count(company),
            self.env["stock.move"].search_count(company),
            self.env["ir.config_parameter"].get_param(sample_module.LOADED_COMPANIES_PARAMETER),
        )

    def test_viewer_and_manager_cannot_load(self):
        before = self._company_state()
        action = self.env.ref("erpconnect_ai.erpconnect_sample_history_action_load")
        for user in (self.viewer, self.manager):
            with self.assertRaises(AccessError):
                self._loader(user).action_load_sample_history()
            with self.assertRaises(AccessError):
                action.with_user(user).with_company(self.empty_company).run()
        self.assertEqual(self._company_state(), before)

    def test_refusals_are_in_the_users_language(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"]._load_module_terms(["erpconnect_ai"], ["fr_FR"])
        # As a web request runs it: in the user's language.
        loader = self._loader(self.manager).with_context(lang="fr_FR")
        with self.assertRaisesRegex(AccessError, "Seuls les administrateurs ERPConnect AI"):
            loader.action_load_sample_history()

    def test_admin_loads_on_a_demo_database_once(self):
        self.assertTrue(self.env["erpconnect.sample.history"]._is_sample_history_allowed())
        with patch.object(sample_module, "SAMPLE_PRODUCT_COUNT", 12):
            result = self._loader(self.admin).action_load_sample_history()
        self.assertEqual(result["params"]["type"], "success")
        loaded = self.env["erpconnect.sample.history"]._get_loaded_company_ids()
        self.assertIn(self.empty_company.id, loaded)
        products = self.env["product.product"].search([("company_id", "=", self.empty_company.id)])
        self.assertEqual(len(products), 12)
        orders = self.env["sale.order"].search([("company_id", "=", self.empty_company.id)])
        self.assertTrue(orders)
        self.assertEqual(set(orders.mapped("state")), {"sale"})
        purchases = self.env["purchase.order"].search([("company_id", "=", self.empty_company.id)])
        self.assertTrue(purchases)
        self.assertEqual(set(purchases.mapped("state")), {"purchase"})
        with self.assertRaisesRegex(UserError, "already loaded"):
            self._loader(self.admin).action_load_sample_history()

    def test_database_without_demo_data_is_refused_unless_allowed(self):
        self.env["ir.module.module"].search([("name", "=", "base")]).demo = False
        before = self._company_state()
        with self.assertRaisesRegex(UserError, "demo data"):
            self._loader(self.admin).action_load_sample_history()
        self.assertEqual(self._company_state(), before)
        self.env["ir.config_parameter"].set_param(sample_module.ALLOW_PARAMETER, "1")
        with patch.object(sample_module, "SAMPLE_PRODUCT_COUNT", 12):
            result = self._loader(self.admin).action_load_sample_history()
        self.assertEqual(result["params"]["type"], "success")

    def test_company_with_sales_is_refused(self):
        partner = self.env["res.partner"].create({"name": "Existing customer"})
        product = self.env["product.product"].create({"name": "Existing product"})
        order = (
            self.env["sale.order"]
            .with_company(self.empty_company)
            .create(
                {
                    "partner_id": partner.id,
                    "company_id": self.empty_company.id,
                    "order_line": [Command.create({"product_id": product.id})],
                }
            )
        )
        order.action_confirm()
        with self.assertRaisesRegex(UserError, "already has confirmed sales"):
            self._loader(self.admin).action_load_sample_history()

    def test_company_without_warehouse_is_refused(self):
        self.env["stock.warehouse"].search([("company_id", "=", self.empty_company.id)]).write(
            {"active": False}
        )
        with self.assertRaisesRegex(UserError, "no warehouse"):
            self._loader(self.admin).sudo()._load_company_history(5)
