import math
from collections import defaultdict

import numpy as np
import pandas as pd
from psycopg2.errors import LockNotAvailable

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.fields import Command
from odoo.tools import SQL, float_is_zero

from .. import engine
from ..tools.purchase_budget import budget_priority, expected_shortage, protection_sigma
from .analysis_input import daily_error_sigma
from .arguments import check_choice, check_limit

URGENCIES = [
    ("ORDER_NOW", "Order now"),
    ("WATCH", "Watch"),
    ("EXCESS", "Excess"),
    ("OK", "OK"),
]
# Sort key of the urgencies: the list shows what must be ordered first, then what is in excess.
URGENCY_RANK = {"ORDER_NOW": 0, "WATCH": 1, "EXCESS": 2, "OK": 3}
# A product not due now proposed to reach a vendor's minimum order value gets this many days of
# its demand above its order-up-to level (rounded to the vendor's lot sizes).
PULL_FORWARD_DAYS = 14
ABC_CLASSES = ("A", "B", "C")
# Days of coverage stored for a product without demand (its stock never runs out).
NO_DEMAND_COVERAGE_DAYS = 9999.0
# Item columns engine.plan_orders reads (stock + incoming = the inventory position).
PLAN_ITEM_COLUMNS = (
    "product_id",
    "stock",
    "incoming",
    "lead_time_days",
    "lead_time_std",
    "abc",
    "min_qty",
    "multiple",
    "rounding",
    "review_days",
)
# Item columns of the classic engine.replenishment (the seed policy, setting stock_policy).
CLASSIC_ITEM_COLUMNS = (
    "product_id",
    "avg_daily_demand",
    "stock",
    "incoming",
    "lead_time_days",
    "demand_std",
    "adi",
    "cv2",
    "abc",
    "min_qty",
    "multiple",
    "rounding",
)


class ErpconnectReplenishment(models.Model):
    """A reorder suggestion for one product in one warehouse, from one analysis run.

    Rows are staged inactive (``active=False``) under the running ``erpconnect.run`` and become
    visible when the run is published; the previous run's rows of the company are then dropped.
    Managers act on them: apply to the reorder rules, create RFQs, dismiss.
    """

    _name = "erpconnect.replenishment"
    _erpconnect_step_name = "replenishment"
    _description = "ERPConnect AI reorder suggestion"
    _inherit = ["erpconnect.result.mixin", "mail.thread"]
    _order = "urgency_rank, days_of_coverage, id"
    _rec_name = "product_id"
    _check_company_auto = True

    currency_id = fields.Many2one(related="company_id.currency_id")
    product_id = fields.Many2one(
        "product.product", required=True, index=True, ondelete="cascade", check_company=True
    )
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    warehouse_id = fields.Many2one(
        "stock.warehouse", index=True, ondelete="cascade", check_company=True
    )
    vendor_id = fields.Many2one("res.partner", index=True, help="First vendor of the product.")
    on_hand_qty = fields.Float("On hand", digits="Product Unit of Measure")
    incoming_qty = fields.Float(
        "Incoming", digits="Product Unit of Measure", help="Quantity already on its way in."
    )
    rfq_qty = fields.Float(
        "In draft RFQs",
        digits="Product Unit of Measure",
        help="Quantity in requests for quotation not confirmed yet: counted as ordered, so that "
        "an RFQ made from a suggestion is not suggested again.",
    )
    avg_daily_demand = fields.Float(
        "Avg daily demand", digits="Product Unit of Measure", help="Forecast demand per day."
    )
    lead_time_days = fields.Float("Lead time (days)", digits=(16, 1))
    safety_stock = fields.Float(digits="Product Unit of Measure")
    reorder_point = fields.Float(
        digits="Product Unit of Measure",
        help="Demand over the lead time plus the safety stock: order when stock falls below it.",
    )
    order_up_to = fields.Float(
        "Order-up-to",
        digits="Product Unit of Measure",
        help="Level an order refills the stock to (max of the reorder rule).",
    )
    suggested_qty = fields.Float(
        "Suggested qty", digits="Product Unit of Measure", help="Quantity to order now."
    )
    suggested_value = fields.Monetary(
        "Suggested value",
        currency_field="currency_id",
        help="Suggested quantity at the product's cost.",
    )
    days_of_coverage = fields.Float(
        "Days of coverage",
        digits=(16, 1),
        help="Days the stock lasts at the average daily demand (9999 when there is no demand).",
    )
    urgency = fields.Selection(URGENCIES, required=True, index=True)
    policy = fields.Selection(
        [
            ("forecast", "Forecast of the protection period"),
            ("days", "Days of cover"),
            ("service", "Service level"),
            ("intermittent", "Service level, intermittent demand"),
        ],
        string="Safety stock policy",
        help="Forecast: reorder point = order-up-to = the calibrated quantile, at the ABC "
        "class's service level, of the forecast demand over the lead time plus the review "
        "period (lead-time variability included). Days of cover: safety stock = demand × "
        "safety days. Service level: z × spread of the forecast errors over the lead time, z "
        "from the ABC class's service level. Intermittent: reorder point = a whole-unit "
        "quantile of that demand at that service level.",
    )
    service_level = fields.Float(digits=(16, 3), help="Target probability of no stock-out.")
    warning = fields.Char(help="Fallbacks the computation used (missing lead time, stock...).")
    urgency_rank = fields.Integer(compute="_compute_urgency_rank", store=True, index=True)
    state = fields.Selection(
        [("new", "New"), ("applied", "Applied"), ("dismissed", "Dismissed")],
        required=True,
        default="new",
        index=True,
        tracking=True,
    )
    orderpoint_id = fields.Many2one(
        "stock.warehouse.orderpoint",
        string="Reorder rule",
        readonly=True,
        ondelete="set null",
    )
    purchase_order_id = fields.Many2one(
        "purchase.order",
        string="Request for quotation",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    purchase_line_id = fields.Many2one(
        "purchase.order.line",
        string="RFQ line",
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
        help="Line of the request for quotation made from this suggestion: a suggestion is "
        "ordered once.",
    )

    # Purchase facts (erpconnect.purchase.facts): the vendor line, lot sizes and lead time.
    supplierinfo_id = fields.Many2one(
        "product.supplierinfo",
        string="Vendor price line",
        ondelete="set null",
        help="The vendor line Odoo's purchase rule picks for the quantity to order.",
    )
    purchase_price = fields.Float(
        "Unit price",
        digits="Product Price",
        help="Price of one unit (product unit) in the company currency: the vendor line's "
        "discounted price, else the product's cost.",
    )
    min_qty = fields.Float(
        "Vendor minimum",
        digits="Product Unit of Measure",
        help="Minimum quantity of the vendor line, in the product unit.",
    )
    packaging_id = fields.Many2one(
        "product.packaging",
        string="Purchase packaging",
        ondelete="set null",
        help="First packaging of the product usable in purchase: orders are multiples of it.",
    )
    order_multiple = fields.Float(
        "Order multiple",
        digits="Product Unit of Measure",
        help="Quantity of the purchase packaging (product unit); 0 without packaging.",
    )
    purchase_uom_id = fields.Many2one("uom.uom", string="Purchase unit", ondelete="set null")
    order_rounding = fields.Float(
        "Order rounding",
        digits="Product Unit of Measure",
        help="Rounding of the purchase unit, in the product unit.",
    )
    suggested_purchase_qty = fields.Float(
        "Suggested qty (purchase unit)",
        digits="Product Unit of Measure",
        help="The suggested quantity in the purchase unit: the RFQ line's quantity.",
    )
    vendor_delay = fields.Float(
        "Vendor lead time (days)", digits=(16, 1), help="Delivery lead time of the vendor line."
    )
    purchase_lead_days = fields.Float(
        "Purchase lead days",
        digits=(16, 1),
        help="The company's purchase security lead time plus its days to purchase, added to "
        "the vendor's lead time as Odoo's reorder rules do.",
    )
    lead_time_source = fields.Selection(
        string="Lead time source",
        selection=[
            ("vendor", "Vendor lead time"),
            ("measured", "Measured (vendor later than announced)"),
            ("default", "Default lead time"),
        ],
        help="Where the lead time comes from: the vendor line's delay, the measured delay of "
        "the vendor's receipts when longer, or the settings' default (no vendor).",
    )
    lead_time_std = fields.Float(
        "Lead time σ (days)",
        digits=(16, 2),
        help="Standard deviation of the measured lead times (0 when not measured): safety "
        "stock grows with it.",
    )
    measured_lead_time = fields.Float(
        "Measured lead time (days)",
        digits=(16, 1),
        help="Mean days from the confirmation of a purchase order to its receipt, over the "
        "vendor's last receipts of this product (else of all its products).",
    )
    measured_lead_time_std = fields.Float("Measured lead time σ (days)", digits=(16, 2))
    measured_receipts = fields.Integer(
        "Receipts measured", help="Receipts the measured lead time is computed from."
    )
    review_days = fields.Float(
        "Review period (days)",
        digits=(16, 1),
        help="The vendor's review period: days until the next purchase decision.",
    )
    protection_days = fields.Float(
        "Protection period (days)",
        digits=(16, 1),
        help="Lead time plus review period: the days an order placed now must cover.",
    )
    protection_demand = fields.Float(
        "Protection demand",
        digits="Product Unit of Measure",
        help="Expected demand over the protection period.",
    )
    protection_upper = fields.Float(
        "Protection demand at the service level",
        digits="Product Unit of Measure",
        help="Demand over the protection period that is not exceeded with the target service "
        "level's probability.",
    )
    excess_qty = fields.Float(
        "Excess qty",
        digits="Product Unit of Measure",
        help="Stock, incoming and ordered quantity above the order-up-to level plus 30 days of "
        "demand and one minimum order: what open purchases could be reduced or postponed by.",
    )
    excess_value = fields.Monetary(
        "Excess value", currency_field="currency_id", help="Excess quantity at the product's cost."
    )
    expected_lost_sales = fields.Monetary(
        "Expected lost sales",
        currency_field="currency_id",
        help="Sales value of the protection period's demand the current stock position is "
        "expected not to serve if nothing is ordered now (normal loss function), at the "
        "product's sale price.",
    )
    budget_priority = fields.Float(
        "Lost sales per unit spent",
        digits=(16, 2),
        help="Expected lost sales divided by the suggested value: what ordering saves per unit "
        "of money (order within a budget: highest first after urgency).",
    )
    open_purchase_line_ids = fields.Many2many(
        "purchase.order.line",
        string="Open purchase lines",
        compute="_compute_open_purchase_line_ids",
        groups="purchase.group_purchase_user",
        help="RFQs and purchase orders of this product still to receive: for an excess, the "
        "lines that could be reduced or postponed.",
    )

    _sql_constraints = [
        (
            "run_product_warehouse_uniq",
            "unique(run_id, product_id, warehouse_id)",
            "A run suggests once per product and warehouse.",
        ),
    ]

    @api.depends("urgency")
    def _compute_urgency_rank(self):
        for suggestion in self:
            suggestion.urgency_rank = URGENCY_RANK.get(suggestion.urgency, len(URGENCY_RANK))

    @api.depends("product_id", "company_id")
    def _compute_open_purchase_line_ids(self):
        lines = self.env["purchase.order.line"]
        for company in self.company_id:
            lines |= self.env["erpconnect.purchase.facts"]._open_purchase_lines(
                company.id, self.filtered(lambda s, c=company: s.company_id == c).product_id.ids
            )
        for suggestion in self:
            suggestion.open_purchase_line_ids = lines.filtered(
                lambda line, s=suggestion: (
                    line.product_id == s.product_id and line.company_id == s.company_id
                )
            )

    # ------------------------------------------------------------------ actions (Managers)

    def action_apply_to_reorder_rules(self):
        """Set min = reorder point and max = order-up-to on the reorder rules of the selected
        suggestions (the rule of the product on its warehouse's stock location, created when
        missing, reactivated when archived) and mark the suggestions applied.

        Applying suggestions is the ERPConnect Manager's job (write access on suggestions,
        checked first); the rules are then written as superuser, as Odoo's replenishment
        report creates them for Inventory users, so that a Manager needs no Inventory right.
        The values are those the analysis computed: nobody can change a suggestion's figures
        (``erpconnect.result.mixin``), and only current suggestions (of the company's published
        analysis) are applied. Returns the rules' list action (or True for a user who cannot
        read rules).

        :raises UserError: a selected suggestion is dismissed, not current, or has no warehouse
        """
        self.check_access("write")
        suggestions = self._actionable()
        without_warehouse = suggestions.filtered(lambda s: not s.warehouse_id)
        if without_warehouse:
            raise UserError(
                self.env._(
                    "These suggestions have no warehouse, so no reorder rule can be set:\n%(list)s",
                    list=without_warehouse._product_list(),
                )
            )
        Orderpoint = self.env["stock.warehouse.orderpoint"].sudo()
        existing = Orderpoint.with_context(active_test=False).search(
            [
                ("product_id", "in", suggestions.product_id.ids),
                ("location_id", "in", suggestions.warehouse_id.lot_stock_id.ids),
            ]
        )
        rule_by_key = {(rule.product_id.id, rule.location_id.id): rule for rule in existing}
        suggestion_by_key = {s._orderpoint_key(): s for s in suggestions}
        new_keys = []
        create_vals = []
        for key, suggestion in suggestion_by_key.items():
            values = suggestion._orderpoint_values()
            rule = rule_by_key.get(key)
            if rule:
                rule.write(dict(values, active=True))
            else:
                new_keys.append(key)
                create_vals.append(
                    dict(
                        values,
                        product_id=suggestion.product_id.id,
                        warehouse_id=suggestion.warehouse_id.id,
                        location_id=suggestion.warehouse_id.lot_stock_id.id,
                        company_id=suggestion.company_id.id,
                    )
                )
        rule_by_key.update(zip(new_keys, Orderpoint.create(create_vals)))
        bodies = {}
        for suggestion in suggestions:
            rule = rule_by_key[suggestion._orderpoint_key()]
            suggestion.sudo().write({"state": "applied", "orderpoint_id": rule.id})
            bodies[suggestion.id] = self.env._(
                "Applied to the reorder rule %(rule)s: min %(min)s, max %(max)s.",
                rule=rule._get_html_link(),
                min=rule.product_min_qty,
                max=rule.product_max_qty,
            )
        suggestions._message_log_batch(bodies)
        if not self.env["stock.warehouse.orderpoint"].has_access("read"):
            return True
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Reorder rules"),
            "res_model": "stock.warehouse.orderpoint",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", [rule_by_key[key].id for key in suggestion_by_key])],
        }

    def action_create_rfqs(self):
        """Create draft purchase orders for the selected suggestions with a quantity to order:
        one RFQ per vendor (and company and warehouse), one line per product with the suggested
        quantity in the product's purchase unit (orderable: at least the vendor's minimum, a
        multiple of the purchase packaging, rounded to the purchase unit); each suggestion is
        linked to its RFQ and line. Suggestions without a vendor, or already ordered (linked to
        an RFQ that is not cancelled), stop the whole action with a UserError listing them;
        nothing is created then. The suggestions are locked while their RFQs are made: a second
        caller (a double click, another Manager) is told so instead of ordering them twice.

        When a vendor's RFQ would stay below the vendor's minimum order value
        (``res.partner.erpconnect_min_order_value``) and other open suggestions of that vendor
        could fill it, nothing is created yet: the wizard "Vendor minimum order value" opens
        with those suggestions, the most useful first, ticked up to the minimum
        (``erpconnect.vendor.minimum.wizard``); the context key
        ``erpconnect_skip_vendor_minimum`` skips it.

        Orders are created with the user's own Purchase rights (Purchase / User): they are
        documents of the purchasing workflow. Returns the RFQs' list action, or the wizard's.
        """
        self._check_can_order()
        if not self.env.context.get("erpconnect_skip_vendor_minimum"):
            action = self.env["erpconnect.vendor.minimum.wizard"]._action_for(self._orderable())
            if action:
                return action
        return self._create_rfqs()

    def _check_can_order(self):
        """AccessError unless the user may act on suggestions and create RFQs."""
        self.check_access("write")
        if not self.env["purchase.order"].has_access("create"):
            raise AccessError(
                self.env._("Creating requests for quotation needs the Purchase / User right.")
            )

    def _orderable(self, quantities=None):
        """The suggestions of ``self`` to order (quantity > 0: ``quantities[id]`` when given,
        else the suggested quantity); UserError when there is none, when one is already
        ordered or has no vendor (naming them)."""
        quantities = quantities or {}
        suggestions = self._actionable().filtered(
            lambda s: (
                not float_is_zero(
                    quantities.get(s.id, s.suggested_qty),
                    precision_rounding=s.product_id.uom_id.rounding,
                )
                and quantities.get(s.id, s.suggested_qty) > 0
            )
        )
        if not suggestions:
            raise UserError(self.env._("None of the selected suggestions has a quantity to order."))
        ordered = suggestions.filtered(
            lambda s: s.purchase_order_id and s.sudo().purchase_order_id.state != "cancel"
        )
        if ordered:
            raise UserError(
                self.env._(
                    "These suggestions were already ordered; a suggestion is ordered once (the "
                    "next analysis counts its RFQ as ordered):\n%(list)s",
                    list="\n".join(
                        "- %s (%s)" % (s.product_id.display_name, s.sudo().purchase_order_id.name)
                        for s in ordered
                    ),
                )
            )
        without_vendor = suggestions.filtered(lambda s: not s.vendor_id)
        if without_vendor:
            raise UserError(
                self.env._(
                    "These products have no vendor, so no request for quotation can be made. "
                    "Add a vendor on the product (Purchase tab) or leave them out:\n%(list)s",
                    list=without_vendor._product_list(),
                )
            )
        return suggestions

    def _create_rfqs(self, quantities=None):
        """Create the RFQs of ``self`` (see :meth:`action_create_rfqs`), without the vendor
        minimum check; ``quantities`` (``{suggestion id: qty in the product unit}``) orders
        another quantity than the suggested one (a product pulled forward to reach a vendor's
        minimum). Returns the RFQs' list action."""
        self._check_can_order()
        self._lock_for_ordering()
        quantities = quantities or {}
        suggestions = self._orderable(quantities)
        groups = defaultdict(lambda: self.browse())
        for suggestion in suggestions:
            groups[(suggestion.company_id, suggestion.vendor_id, suggestion.warehouse_id)] |= (
                suggestion
            )
        orders = self.env["purchase.order"]
        for (company, vendor, warehouse), group in groups.items():
            order = (
                self.env["purchase.order"]
                .with_company(company)
                .create(group._purchase_order_values(company, vendor, warehouse, quantities))
            )
            line_by_product = {line.product_id: line for line in order.sudo().order_line}
            decided = group.sudo()
            decided.write({"state": "applied", "purchase_order_id": order.id})
            for suggestion in decided:
                suggestion.purchase_line_id = line_by_product[suggestion.product_id]
            group._message_log_batch(
                dict.fromkeys(
                    group.ids,
                    self.env._(
                        "Request for quotation %(order)s created.", order=order._get_html_link()
                    ),
                )
            )
            orders |= order
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Requests for quotation"),
            "res_model": "purchase.order",
            "views": [(False, "list"), (False, "form")],
            "domain": [("id", "in", orders.ids)],
        }

    def _order_quantity(self, quantities=None):
        """Quantity (product unit) this suggestion orders: ``quantities[id]`` or suggested."""
        self.ensure_one()
        return (quantities or {}).get(self.id, self.suggested_qty)

    def _order_value(self, quantities=None):
        """Value of the order of this suggestion at its unit price (company currency)."""
        self.ensure_one()
        return self._order_quantity(quantities) * self.purchase_price

    def _pull_forward_quantity(self):
        """Quantity (product unit) worth ordering now for a suggestion that is not due: its
        demand over ``PULL_FORWARD_DAYS`` days above its order-up-to level, less its stock
        position, rounded to the vendor's lot sizes (0 when the position covers it)."""
        self.ensure_one()
        position = self.on_hand_qty + self.incoming_qty + self.rfq_qty
        need = self.order_up_to + self.avg_daily_demand * PULL_FORWARD_DAYS - position
        return float(
            engine.order_quantity(need, self.min_qty, self.order_multiple, self.order_rounding)
        )

    def _lock_for_ordering(self):
        """Lock the rows of ``self`` until the transaction ends (``FOR UPDATE NOWAIT``) and
        re-read their decision fields; UserError when another transaction holds them.

        A transaction that committed an RFQ for them after this one started makes PostgreSQL
        refuse the lock with a serialization failure: Odoo then retries the request, which
        sees the suggestions ordered.
        """
        if not self:
            return
        try:
            with self.env.cr.savepoint(flush=False):
                self.env.cr.execute(
                    SQL(
                        "SELECT id FROM %s WHERE id = ANY(%s) FOR UPDATE NOWAIT",
                        SQL.identifier(self._table),
                        self.ids,
                    ),
                    log_exceptions=False,  # an expected refusal, not a server error
                )
        except LockNotAvailable:
            raise UserError(
                self.env._(
                    "Another user is acting on these suggestions right now (creating their "
                    "requests for quotation). Reload the list in a moment: what they ordered "
                    "will show."
                )
            ) from None
        self.invalidate_recordset(["state", "purchase_order_id", "purchase_line_id"])

    def action_dismiss(self):
        """Mark the selected suggestions dismissed: nobody acts on them until the next run.

        :raises UserError: a selected suggestion is not current
        """
        self.check_access("write")
        self._check_current()
        self.sudo().write({"state": "dismissed"})
        return True

    def _actionable(self):
        """The suggestions of ``self`` that are not dismissed; UserError when there is none or
        when one of them is not current."""
        self._check_current()
        suggestions = self.filtered(lambda s: s.state != "dismissed")
        if not suggestions:
            raise UserError(self.env._("Select at least one suggestion that is not dismissed."))
        return suggestions

    def _product_list(self):
        """One line per suggestion naming its product, for error messages."""
        return "\n".join("- %s" % name for name in self.mapped("product_id.display_name"))

    def _orderpoint_key(self):
        """(product id, stock location id) of the reorder rule this suggestion applies to."""
        self.ensure_one()
        return (self.product_id.id, self.warehouse_id.lot_stock_id.id)

    def _orderpoint_values(self):
        """Min/max written on the reorder rule: min = reorder point, max = order-up-to (never
        below the min, which the rule forbids); the purchase packaging as the rule's multiple
        when the product has one, so that Odoo's own replenishment orders whole packs too."""
        self.ensure_one()
        values = {
            "product_min_qty": self.reorder_point,
            "product_max_qty": max(self.order_up_to, self.reorder_point),
        }
        if self.order_multiple > 0:
            values["qty_multiple"] = self.order_multiple
        return values

    def _purchase_order_values(self, company, vendor, warehouse, quantities=None):
        """Values of the draft purchase order for the suggestions in ``self``: each line in the
        product's purchase unit (the orderable quantity converted, rounded up to the unit's
        rounding); Odoo sets the line's packaging when the quantity is a multiple of one."""
        lines = []
        for suggestion in self:
            product = suggestion.product_id
            values = {
                "product_id": product.id,
                "product_qty": product.uom_id._compute_quantity(
                    suggestion._order_quantity(quantities),
                    product.uom_po_id,
                    rounding_method="UP",
                ),
                "product_uom": product.uom_po_id.id,
            }
            lines.append(Command.create(values))
        values = {
            "partner_id": vendor.id,
            "company_id": company.id,
            "user_id": self.env.uid,
            "origin": self.env._("ERPConnect AI"),
            "order_line": lines,
        }
        if warehouse.in_type_id:
            values["picking_type_id"] = warehouse.in_type_id.id
        return values

    # ------------------------------------------------------------------ public API (JSON-RPC)

    @api.model
    @api.readonly
    def get_suggestions(self, limit=200):
        """Open reorder suggestions of the current results, most urgent first.

        :param int limit: at most this many suggestions (1 to 1000, default 200).
        :returns: list of dicts, ordered ORDER_NOW, WATCH, OK, then by days of coverage::

            {"id", "product_id", "product_name", "default_code", "company_id", "warehouse_id",
             "warehouse_name", "vendor_id", "vendor_name", "uom", "on_hand", "incoming",
             "in_draft_rfqs", "avg_daily_demand", "lead_time_days", "lead_time_std",
             "measured_lead_time", "measured_lead_time_std", "measured_receipts",
             "review_days", "protection_days", "protection_demand", "safety_stock",
             "reorder_point", "order_up_to", "suggested_qty", "purchase_uom",
             "suggested_purchase_qty", "min_qty", "order_multiple", "unit_price",
             "suggested_value", "excess_qty", "excess_value", "expected_lost_sales",
             "days_of_coverage", "urgency", "state"}

            ``vendor_id``/``warehouse_id`` are ``False`` when unknown; only suggestions in state
            ``new`` are listed (applied and dismissed ones are decided). Stock counted as ordered
            is ``incoming`` (receipts) plus ``in_draft_rfqs`` (RFQs not confirmed yet);
            ``days_of_coverage`` is 9999 for a product without demand. Quantities are in the
            product unit (``uom``) except ``suggested_purchase_qty`` (``purchase_uom``, the RFQ
            line's quantity); ``suggested_qty`` is orderable (≥ ``min_qty``, a multiple of
            ``order_multiple``, rounded to the purchase unit). ``measured_*`` are 0 without
            ``measured_receipts``; ``urgency`` is ``ORDER_NOW``, ``WATCH``, ``EXCESS`` (stock
            and open purchases above the order-up-to level by ``excess_qty``) or ``OK``;
            money in the company currency.
        :raises ValidationError: when ``limit`` is not an integer between 1 and 1000.
        """
        check_limit(self.env, limit)
        suggestions = self.search(
            [("state", "=", "new"), ("company_id", "in", self.env.companies.ids)], limit=limit
        )
        return [
            {
                "id": s.id,
                "product_id": s.product_id.id,
                "product_name": s.product_id.display_name,
                "default_code": s.product_id.default_code or False,
                "company_id": s.company_id.id,
                "warehouse_id": s.warehouse_id.id,
                "warehouse_name": s.warehouse_id.name or False,
                "vendor_id": s.vendor_id.id,
                "vendor_name": s.vendor_id.display_name or False,
                "uom": s.product_uom_id.name,
                "on_hand": s.on_hand_qty,
                "incoming": s.incoming_qty,
                "in_draft_rfqs": s.rfq_qty,
                "avg_daily_demand": s.avg_daily_demand,
                "lead_time_days": s.lead_time_days,
                "lead_time_std": s.lead_time_std,
                "measured_lead_time": s.measured_lead_time,
                "measured_lead_time_std": s.measured_lead_time_std,
                "measured_receipts": s.measured_receipts,
                "review_days": s.review_days,
                "protection_days": s.protection_days,
                "protection_demand": s.protection_demand,
                "safety_stock": s.safety_stock,
                "reorder_point": s.reorder_point,
                "order_up_to": s.order_up_to,
                "suggested_qty": s.suggested_qty,
                "purchase_uom": s.purchase_uom_id.name or s.product_uom_id.name,
                "suggested_purchase_qty": s.suggested_purchase_qty,
                "min_qty": s.min_qty,
                "order_multiple": s.order_multiple,
                "unit_price": s.purchase_price,
                "suggested_value": s.suggested_value,
                "excess_qty": s.excess_qty,
                "excess_value": s.excess_value,
                "expected_lost_sales": s.expected_lost_sales,
                "days_of_coverage": s.days_of_coverage,
                "urgency": s.urgency,
                "state": s.state,
            }
            for s in suggestions
        ]

    @api.model
    @api.readonly
    def get_policy_curve(self, classes=None):
        """The "Service level vs stock" curves of the current company (Viewers): per ABC class,
        what each target service level delivered and cost in a replay of the ordering policy
        on the past, as the last analysis run computed them (a sample of each class; see
        ``engine.policy_curve``).

        :param list classes: ABC classes to return, e.g. ``["A"]`` (default: A, B and C)
        :returns: dict::

            {"available": bool, "message": str (why not available),
             "company_id": int, "currency_id": int, "run_id": int | False,
             "computed_at": str | False (UTC), "window_start": str | False,
             "window_end": str | False, "review_days": int, "can_apply": bool,
             "classes": [{"abc": "A", "current_level": 0.98, "products": int,
                          "sampled": int,
                          "points": [{"service_level", "fill_rate", "cycle_service_level",
                                      "avg_stock_value", "avg_on_hand", "lost_value",
                                      "stockout_days", "is_current"}, ...]}, ...]}

            Points by increasing service level; rates are fractions (0.95), values in the
            company currency, stock values and lost sales are class totals. ``current_level``
            is the class's level in the settings now (it may differ from the curve's
            ``is_current`` point until the next run); ``can_apply``: the user may apply a point
            (:meth:`apply_policy_point`).
        :raises ValidationError: ``classes`` is not a list of "A", "B", "C"
        """
        wanted = _check_classes(self.env, classes)
        company = self.env.company
        Curve = self.env["erpconnect.policy.curve"]
        points = Curve.search([("company_id", "=", company.id), ("abc", "in", wanted)])
        settings = self._current_settings()
        result = {
            "available": bool(points),
            "message": ""
            if points
            else self.env._(
                "No curve yet: the analysis computes it after the suggestions, from the sales "
                "history of at least 56 days."
            ),
            "company_id": company.id,
            "currency_id": company.currency_id.id,
            "run_id": points[:1].run_id.id,
            "computed_at": fields.Datetime.to_string(points[:1].create_date) or False,
            "window_start": fields.Date.to_string(points[:1].window_start) or False,
            "window_end": fields.Date.to_string(points[:1].window_end) or False,
            "review_days": points[:1].review_days or 1,
            "can_apply": self.env.user.has_group("erpconnect_ai.group_erpconnect_admin"),
            "classes": [],
        }
        for abc in wanted:
            rows = points.filtered(lambda p, c=abc: p.abc == c)
            if not rows:
                continue
            result["classes"].append(
                {
                    "abc": abc,
                    "current_level": settings["service_level_" + abc.lower()],
                    "products": rows[0].product_count,
                    "sampled": rows[0].sampled_count,
                    "points": [
                        {
                            "service_level": p.service_level,
                            "fill_rate": p.fill_rate,
                            "cycle_service_level": p.cycle_service_level,
                            "avg_stock_value": p.avg_stock_value,
                            "avg_on_hand": p.avg_on_hand,
                            "lost_value": p.lost_value,
                            "stockout_days": p.stockout_days,
                            "is_current": p.is_current,
                        }
                        for p in rows.sorted("service_level")
                    ],
                }
            )
        return result

    @api.model
    def apply_policy_point(self, abc, service_level):
        """Set the target service level of ABC class ``abc`` to ``service_level`` in the
        current company's ERPConnect AI settings (Administrators): the next analysis orders
        for it.

        :param str abc: "A", "B" or "C"
        :param float service_level: the level, at least 0.5 and below 1 (e.g. a point of
            :meth:`get_policy_curve`)
        :returns: the settings' service levels now, ``{"A": float, "B": float, "C": float}``
        :raises AccessError: the user is not an ERPConnect AI administrator
        :raises ValidationError: a bad class or level
        """
        if not self.env.user.has_group("erpconnect_ai.group_erpconnect_admin"):
            raise AccessError(
                self.env._("Only ERPConnect AI administrators can change the service levels.")
            )
        check_choice(self.env, abc, "abc", ABC_CLASSES)
        if (
            isinstance(service_level, bool)
            or not isinstance(service_level, (int, float))
            or not 0.5 <= service_level < 1
        ):
            raise ValidationError(
                self.env._(
                    "The service level must be a number of at least 0.5 and below 1, got "
                    "%(value)r.",
                    value=service_level,
                )
            )
        # The company's settings are written by ERPConnect AI administrators (checked above),
        # who need no right on companies.
        self.env.company.sudo().write({"erpconnect_service_level_" + abc.lower(): service_level})
        settings = self._current_settings()
        return {c: settings["service_level_" + c.lower()] for c in ABC_CLASSES}

    @api.model
    def _current_settings(self):
        """The analysis settings of the current company (short keys)."""
        return self.env.company.sudo()._erpconnect_settings()

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Stage the suggestions of ``run`` for ``inputs.company_id`` (inactive until published).

        Setting ``stock_policy`` ``forecast`` (default): engine ``plan_orders`` on the history
        (the forecast step's forecasts reused), protection period = lead time + the vendor's
        review period, service levels ``service_level_a/b/c`` per ABC class; ``service`` or
        ``days``: the classic engine ``replenishment`` (protection = lead time, the forecast's
        daily demand, ``safety_days``), its excess by the same rule as ``plan_orders``. Both
        with Odoo's purchase facts (:meth:`_replenishment_items`): quantities orderable (vendor
        minimum, packaging, purchase unit rounding); then the vendor line Odoo's purchase rule
        picks for each quantity, whose minimum may raise it. Storable products with sales
        history only. Sets ``inputs.order_items`` (the items, for the policy curve step);
        returns the number of suggestions staged.
        """
        items = self._replenishment_items(inputs)
        if items.empty:
            return 0
        if inputs.settings["stock_policy"] == "forecast":
            result = self._plan_orders(inputs, items)
        else:
            result = self._classic_orders(inputs, items)
        items = self._vendor_for_quantities(inputs, items, result)
        inputs.order_items = items
        # The engine's figures (lead time and review period as used) win over the items'.
        overlap = [c for c in items.columns if c in result.columns and c != "product_id"]
        frame = result.merge(items.drop(columns=overlap), on="product_id")
        frame["suggested_qty"] = frame["order_qty"]
        return len(
            self.with_context(tracking_disable=True).create(self._staged_values(run, inputs, frame))
        )

    @api.model
    def _plan_orders(self, inputs, items):
        """``engine.plan_orders`` of ``items`` (see :meth:`_run_step`)."""
        settings = inputs.settings
        forecast = inputs.forecast_results or None
        protection = items["lead_time_days"].fillna(settings["default_lead_time"]) + items[
            "review_days"
        ].fillna(0)
        if forecast is not None and protection.max() > settings["horizon_days"]:
            # A protection period beyond the forecast horizon: forecast again, further.
            forecast = None
        return engine.plan_orders(
            inputs.history_of(items["product_id"]),
            items[list(PLAN_ITEM_COLUMNS)],
            as_of=inputs.as_of,
            service_levels=self._service_levels(settings),
            method=settings["forecast_method"],
            forecast=forecast,
            default_lead_time=settings["default_lead_time"],
            **self._censoring(inputs),
        )

    @api.model
    def _censoring(self, inputs):
        """``holidays`` and ``unavailable`` (stock-out days) of ``inputs`` for the engine,
        those that are known."""
        options = {}
        if inputs.holidays:
            options["holidays"] = inputs.holidays
        if inputs.unavailable is not None and not inputs.unavailable.empty:
            options["unavailable"] = inputs.unavailable
        return options

    @api.model
    def _classic_orders(self, inputs, items):
        """The classic ``engine.replenishment`` of ``items`` (setting ``stock_policy``
        ``service`` or ``days``), with the columns of ``plan_orders``: protection = lead time,
        protection demand = daily demand × lead time, its upper value the reorder point."""
        settings = inputs.settings
        result = engine.replenishment(
            items[list(CLASSIC_ITEM_COLUMNS)],
            safety_days=settings["safety_days"],
            mode=settings["stock_policy"],
            service_levels=self._service_levels(settings),
            default_lead_time=settings["default_lead_time"],
        )
        lots = items.set_index("product_id").reindex(result["product_id"])
        position = (lots["stock"] + lots["incoming"]).to_numpy()
        result["position"] = position
        result["protection_days"] = result["lead_time_days"]
        result["protection_demand"] = result["avg_daily_demand"] * result["lead_time_days"]
        result["protection_upper"] = result["reorder_point"]
        result["excess_qty"] = engine.ordering.excess_quantity(
            position,
            result["order_up_to"].to_numpy(),
            result["avg_daily_demand"].to_numpy(),
            lots["min_qty"].to_numpy(),
            lots["multiple"].to_numpy(),
            engine.ordering.EXCESS_DAYS,
        )
        excess = (result["urgency"] != "ORDER_NOW") & (result["excess_qty"] > 0)
        result.loc[excess, "urgency"] = "EXCESS"
        return result

    @api.model
    def _service_levels(self, settings):
        return {
            "A": settings["service_level_a"],
            "B": settings["service_level_b"],
            "C": settings["service_level_c"],
        }

    @api.model
    def _vendor_for_quantities(self, inputs, items, result):
        """``items`` with the vendor line Odoo's purchase rule picks for each quantity to order
        (``erpconnect.purchase.facts._reselect_for_quantities``); sets ``result["order_qty"]``:
        the suggested quantity, raised to the new line's minimum where the line changed."""
        need = (result["order_up_to"] - result["position"]).clip(lower=0)
        need = need.where(result["suggested_qty"] > 0, 0.0)
        wanted = dict(zip(result["product_id"].astype(int), need))
        facts = self.env["erpconnect.purchase.facts"]._reselect_for_quantities(
            self.env["res.company"].browse(inputs.company_id), items, wanted
        )
        by_product = facts.set_index("product_id").reindex(result["product_id"])
        before = items.set_index("product_id").reindex(result["product_id"])
        changed = (by_product["min_qty"].to_numpy() != before["min_qty"].to_numpy()) & (
            result["suggested_qty"].to_numpy() > 0
        )
        order_qty = result["suggested_qty"].to_numpy(dtype=float).copy()
        if changed.any():
            order_qty[changed] = engine.order_quantity(
                need.to_numpy()[changed],
                by_product["min_qty"].to_numpy()[changed],
                by_product["multiple"].to_numpy()[changed],
                by_product["rounding"].to_numpy()[changed],
            )
        result["order_qty"] = order_qty
        return facts

    @api.model
    def _staged_values(self, run, inputs, frame):
        """Values of the staged suggestions of one row of ``frame`` each (engine result merged
        with its items)."""
        price = frame["vendor_price"].where(frame["vendor_price"].notna(), frame["unit_cost"])
        position = frame["stock"] + frame["incoming"]
        levels = frame["service_level"].astype(float).fillna(0.0)
        sigma = protection_sigma(frame["protection_demand"], frame["protection_upper"], levels)
        shortage = expected_shortage(frame["protection_demand"], sigma, position)
        lost_sales = shortage * frame["list_price"].to_numpy(dtype=float)
        value = frame["suggested_qty"] * price
        priority = budget_priority(value, lost_sales)
        frame = frame.assign(
            purchase_price=price,
            suggested_value=value,
            expected_lost_sales=lost_sales,
            budget_priority=np.where(np.isfinite(priority) & (value > 0), priority, 0.0),
            excess_value=frame["excess_qty"] * frame["unit_cost"],
        )
        return [
            {
                "active": False,
                "run_id": run.id,
                "company_id": inputs.company_id,
                "product_id": int(row.product_id),
                "warehouse_id": int(row.warehouse_id) or False,
                "vendor_id": int(row.vendor_id) or False,
                "supplierinfo_id": int(row.supplierinfo_id) or False,
                "packaging_id": int(row.packaging_id) or False,
                "purchase_uom_id": int(row.purchase_uom_id) or False,
                "on_hand_qty": row.stock,
                "incoming_qty": row.incoming_moves,
                "rfq_qty": row.rfq_qty,
                "avg_daily_demand": row.avg_daily_demand,
                "lead_time_days": row.lead_time_days,
                "lead_time_std": row.lead_time_std,
                "lead_time_source": row.lead_time_source or "default",
                "vendor_delay": _number(row.vendor_delay),
                "purchase_lead_days": row.purchase_lead_days,
                "measured_lead_time": _number(row.measured_lead_time),
                "measured_lead_time_std": _number(row.measured_lead_time_std),
                "measured_receipts": int(row.measured_receipts),
                "review_days": row.review_days,
                "protection_days": row.protection_days,
                "protection_demand": row.protection_demand,
                "protection_upper": row.protection_upper,
                "safety_stock": row.safety_stock,
                "reorder_point": row.reorder_point,
                "order_up_to": row.order_up_to,
                "suggested_qty": row.suggested_qty,
                "suggested_purchase_qty": row.suggested_qty / row.purchase_uom_ratio,
                "min_qty": row.min_qty,
                "order_multiple": row.multiple,
                "order_rounding": row.rounding,
                "purchase_price": row.purchase_price,
                "suggested_value": row.suggested_value,
                "excess_qty": row.excess_qty,
                "excess_value": row.excess_value,
                "expected_lost_sales": row.expected_lost_sales,
                "budget_priority": row.budget_priority,
                "days_of_coverage": _coverage_days(row.days_of_coverage),
                "urgency": row.urgency,
                "policy": row.policy,
                "service_level": 0.0 if pd.isna(row.service_level) else row.service_level,
                "warning": row.warning or False,
            }
            for row in frame.itertuples(index=False)
        ]

    @api.model
    def _replenishment_items(self, inputs):
        """Engine input for ``inputs``: one row per storable product with sales history.

        Columns ``product_id, warehouse_id, stock`` (on hand), ``incoming_moves, rfq_qty,
        incoming`` (= incoming moves + draft RFQs, what the engine counts as ordered),
        ``unit_cost, list_price, avg_daily_demand, demand_std, adi, cv2, abc`` and the
        purchase facts (``erpconnect.purchase.facts.FACT_COLUMNS``: vendor, ``lead_time_days``
        as Odoo's reorder rules count it, ``lead_time_std``, ``review_days``, lot sizes
        ``min_qty, multiple, rounding`` in the product unit, ...).
        """
        products = inputs.products
        if inputs.history.empty or products.empty:
            return pd.DataFrame()
        if "is_storable" in products.columns:
            products = products[products["is_storable"].astype(bool)]
        items = products.drop_duplicates("product_id").merge(
            self._demand_frame(inputs), on="product_id", how="inner"
        )
        if items.empty:
            return pd.DataFrame()
        segments = inputs.segments
        if segments is not None and not segments.empty:
            items = items.merge(segments[["product_id", "abc"]], on="product_id", how="left")
        else:
            items["abc"] = None
        company = self.env["res.company"].browse(inputs.company_id)
        Facts = self.env["erpconnect.purchase.facts"]
        product_ids = items["product_id"].astype(int).tolist()
        rfq = Facts._draft_rfq_quantities(inputs.company_id, product_ids)
        rfq_qty = items["product_id"].map(rfq).fillna(0.0).astype(float)
        incoming_moves = items["incoming"].fillna(0.0).astype(float)
        warehouse = self.env["stock.warehouse"].browse(inputs.warehouse_id or [])
        facts = Facts._get_purchase_facts(company, product_ids, warehouse=warehouse or None)
        base = pd.DataFrame(
            {
                "product_id": items["product_id"].astype("int64"),
                "warehouse_id": items["warehouse_id"].fillna(0).astype("int64"),
                "stock": items["on_hand"].astype(float),
                "incoming_moves": incoming_moves,
                "rfq_qty": rfq_qty,
                "incoming": incoming_moves + rfq_qty,
                "unit_cost": items["standard_price"].fillna(0.0).astype(float),
                "list_price": items["list_price"].fillna(0.0).astype(float),
                "avg_daily_demand": items["avg_daily_demand"].astype(float),
                "demand_std": items["demand_std"].astype(float),
                "adi": items["adi"].astype(float),
                "cv2": items["cv2"].astype(float),
                "abc": items["abc"].astype(object).where(items["abc"].notna(), None),
            }
        )
        return base.merge(facts, on="product_id", how="left")

    @api.model
    def _demand_frame(self, inputs):
        """``product_id, avg_daily_demand, demand_std, adi, cv2`` of the products of
        ``inputs.history``.

        The average is the forecast step's ``daily_demand`` (the engine's moving-average baseline
        when there is no forecast summary). The spread is that of the forecast errors, from the
        summary (``analysis_input.daily_error_sigma``); the spread of the daily
        demand over the look-back where the summary has no interval. ``adi`` and ``cv2`` (for
        intermittent demand) come from the daily history over the look-back.
        """
        statistics = engine.demand_statistics(
            engine.daily_matrix(
                inputs.history,
                as_of=inputs.as_of,
                lookback_days=inputs.settings["lookback_days"],
            )
        )
        summary = inputs.forecast_summary
        if summary is None:
            summary = engine.demand_baseline(inputs.history, as_of=inputs.as_of)
        error = pd.DataFrame(
            {"product_id": summary["product_id"], "error_std": daily_error_sigma(summary)}
        )
        frame = (
            statistics[["product_id", "demand_std", "adi", "cv2"]]
            .merge(summary[["product_id", "daily_demand"]], on="product_id", how="inner")
            .merge(error, on="product_id", how="left")
        )
        demand_std = frame["error_std"].where(frame["error_std"].notna(), frame["demand_std"])
        return pd.DataFrame(
            {
                "product_id": frame["product_id"].astype("int64"),
                "avg_daily_demand": frame["daily_demand"].fillna(0.0).clip(lower=0).astype(float),
                "demand_std": demand_std.astype(float),
                "adi": frame["adi"],
                "cv2": frame["cv2"],
            }
        )


def _check_classes(env, classes):
    """``classes`` (None: all) as a sorted list of "A"/"B"/"C"; ValidationError otherwise."""
    if classes is None:
        return list(ABC_CLASSES)
    if not isinstance(classes, (list, tuple)) or not classes:
        raise ValidationError(
            env._(
                'classes must be a list of ABC classes ("A", "B", "C"), got %(value)r.',
                value=classes,
            )
        )
    for abc in classes:
        check_choice(env, abc, "classes", ABC_CLASSES)
    return sorted(set(classes))


def _number(value):
    """A float for a stored field: 0.0 for NaN/None (not measured, no vendor)."""
    return 0.0 if value is None or pd.isna(value) else float(value)


def _coverage_days(value):
    """Days of coverage as stored: a finite float, NO_DEMAND_COVERAGE_DAYS for 'forever'."""
    if value is None or not math.isfinite(value):
        return NO_DEMAND_COVERAGE_DAYS
    return min(float(value), NO_DEMAND_COVERAGE_DAYS)
