import math
from collections import defaultdict

import pandas as pd
from psycopg2.errors import LockNotAvailable

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.fields import Command
from odoo.tools import SQL, float_is_zero

from .. import engine
from .analysis_input import daily_error_sigma
from .arguments import check_limit

URGENCIES = [("ORDER_NOW", "Order now"), ("WATCH", "Watch"), ("OK", "OK")]
# Sort key of the urgencies: the list shows what must be ordered first.
URGENCY_RANK = {"ORDER_NOW": 0, "WATCH": 1, "OK": 2}
# Days of coverage stored for a product without demand (its stock never runs out).
NO_DEMAND_COVERAGE_DAYS = 9999.0


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
            ("days", "Days of cover"),
            ("service", "Service level"),
            ("intermittent", "Service level, intermittent demand"),
        ],
        string="Safety stock policy",
        help="Days of cover: safety stock = demand × safety days. Service level: z × spread of "
        "the forecast errors over the lead time, z from the ABC class's service level. "
        "Intermittent: reorder point = quantile of the lead-time demand at that service level.",
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
        one RFQ per vendor (and company and warehouse), one line per product, quantities in the
        product's purchase unit rounded up; each suggestion is linked to its RFQ and line.
        Suggestions without a vendor, or already ordered (linked to an RFQ that is not
        cancelled), stop the whole action with a UserError listing them; nothing is created
        then. The suggestions are locked while their RFQs are made: a second caller (a double
        click, another Manager) is told so instead of ordering them twice.

        Orders are created with the user's own Purchase rights (Purchase / User): they are
        documents of the purchasing workflow. Returns the RFQs' list action.
        """
        self.check_access("write")
        if not self.env["purchase.order"].has_access("create"):
            raise AccessError(
                self.env._("Creating requests for quotation needs the Purchase / User right.")
            )
        self._lock_for_ordering()
        suggestions = self._actionable().filtered(
            lambda s: (
                not float_is_zero(s.suggested_qty, precision_rounding=s.product_id.uom_id.rounding)
                and s.suggested_qty > 0
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
                .create(group._purchase_order_values(company, vendor, warehouse))
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
        below the min, which the rule forbids)."""
        self.ensure_one()
        return {
            "product_min_qty": self.reorder_point,
            "product_max_qty": max(self.order_up_to, self.reorder_point),
        }

    def _purchase_order_values(self, company, vendor, warehouse):
        """Values of the draft purchase order for the suggestions in ``self``."""
        lines = []
        for suggestion in self:
            product = suggestion.product_id
            lines.append(
                Command.create(
                    {
                        "product_id": product.id,
                        "product_qty": product.uom_id._compute_quantity(
                            suggestion.suggested_qty, product.uom_po_id, rounding_method="UP"
                        ),
                        "product_uom": product.uom_po_id.id,
                    }
                )
            )
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
             "in_draft_rfqs", "avg_daily_demand", "lead_time_days", "safety_stock",
             "reorder_point", "order_up_to", "suggested_qty", "suggested_value",
             "days_of_coverage", "urgency", "state"}

            ``vendor_id``/``warehouse_id`` are ``False`` when unknown; only suggestions in state
            ``new`` are listed (applied and dismissed ones are decided). Stock counted as ordered
            is ``incoming`` (receipts) plus ``in_draft_rfqs`` (RFQs not confirmed yet);
            ``days_of_coverage`` is 9999 for a product without demand.
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
                "safety_stock": s.safety_stock,
                "reorder_point": s.reorder_point,
                "order_up_to": s.order_up_to,
                "suggested_qty": s.suggested_qty,
                "suggested_value": s.suggested_value,
                "days_of_coverage": s.days_of_coverage,
                "urgency": s.urgency,
                "state": s.state,
            }
            for s in suggestions
        ]

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Stage the suggestions of ``run`` for ``inputs.company_id`` (inactive until published):
        engine ``replenishment`` with the settings ``stock_policy``, ``safety_days``,
        ``service_level_a/b/c`` and ``default_lead_time``, demand from :meth:`_demand_frame`,
        the ABC class of ``inputs.segments`` for the service level. Storable products with
        sales history only. Returns the number of suggestions staged.
        """
        items = self._replenishment_items(inputs)
        if items.empty:
            return 0
        settings = inputs.settings
        result = engine.replenishment(
            items[
                [
                    "product_id",
                    "avg_daily_demand",
                    "stock",
                    "incoming",
                    "lead_time_days",
                    "demand_std",
                    "adi",
                    "cv2",
                    "abc",
                ]
            ],
            safety_days=settings["safety_days"],
            mode=settings["stock_policy"],
            service_levels={
                "A": settings["service_level_a"],
                "B": settings["service_level_b"],
                "C": settings["service_level_c"],
            },
            default_lead_time=settings["default_lead_time"],
        )
        result = result.merge(
            items[
                [
                    "product_id",
                    "warehouse_id",
                    "vendor_id",
                    "stock",
                    "incoming_moves",
                    "rfq_qty",
                    "unit_cost",
                ]
            ],
            on="product_id",
            how="left",
        )
        vals_list = [
            {
                "active": False,
                "run_id": run.id,
                "company_id": inputs.company_id,
                "product_id": int(row.product_id),
                "warehouse_id": int(row.warehouse_id) or False,
                "vendor_id": int(row.vendor_id) or False,
                "on_hand_qty": row.stock,
                "incoming_qty": row.incoming_moves,
                "rfq_qty": row.rfq_qty,
                "avg_daily_demand": row.avg_daily_demand,
                "lead_time_days": row.lead_time_days,
                "safety_stock": row.safety_stock,
                "reorder_point": row.reorder_point,
                "order_up_to": row.order_up_to,
                "suggested_qty": row.suggested_qty,
                "suggested_value": row.suggested_qty * row.unit_cost,
                "days_of_coverage": _coverage_days(row.days_of_coverage),
                "urgency": row.urgency,
                "policy": row.policy,
                "service_level": 0.0 if pd.isna(row.service_level) else row.service_level,
                "warning": row.warning or False,
            }
            for row in result.itertuples(index=False)
        ]
        return len(self.with_context(tracking_disable=True).create(vals_list))

    @api.model
    def _replenishment_items(self, inputs):
        """Engine input for ``inputs``: one row per storable product with sales history.

        Columns ``product_id, warehouse_id, vendor_id, stock, incoming_moves, rfq_qty,
        incoming`` (= incoming moves + draft RFQs, what the engine counts as ordered),
        ``lead_time_days, unit_cost, avg_daily_demand, demand_std, adi, cv2, abc``.
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
        rfq = self._draft_rfq_quantities(inputs.company_id, items["product_id"].tolist())
        rfq_qty = items["product_id"].map(rfq).fillna(0.0).astype(float)
        incoming_moves = items["incoming"].fillna(0.0).astype(float)
        return pd.DataFrame(
            {
                "product_id": items["product_id"].astype("int64"),
                "warehouse_id": items["warehouse_id"].fillna(0).astype("int64"),
                "vendor_id": items["vendor_id"].fillna(0).astype("int64"),
                "stock": items["on_hand"].astype(float),
                "incoming_moves": incoming_moves,
                "rfq_qty": rfq_qty,
                "incoming": incoming_moves + rfq_qty,
                "lead_time_days": items["lead_time_days"].astype(float),
                "unit_cost": items["standard_price"].fillna(0.0).astype(float),
                "avg_daily_demand": items["avg_daily_demand"].astype(float),
                "demand_std": items["demand_std"].astype(float),
                "adi": items["adi"].astype(float),
                "cv2": items["cv2"].astype(float),
                "abc": items["abc"].astype(object).where(items["abc"].notna(), None),
            }
        )

    @api.model
    def _draft_rfq_quantities(self, company_id, product_ids):
        """``{product_id: qty}`` (product unit) in the company's RFQs not confirmed yet (draft,
        sent, to approve): one grouped read for all products."""
        groups = self.env["purchase.order.line"]._read_group(
            [
                ("company_id", "=", company_id),
                ("state", "in", ("draft", "sent", "to approve")),
                ("product_id", "in", product_ids),
            ],
            ["product_id"],
            ["product_uom_qty:sum"],
        )
        return {product.id: qty for product, qty in groups}

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


def _coverage_days(value):
    """Days of coverage as stored: a finite float, NO_DEMAND_COVERAGE_DAYS for 'forever'."""
    if value is None or not math.isfinite(value):
        return NO_DEMAND_COVERAGE_DAYS
    return min(float(value), NO_DEMAND_COVERAGE_DAYS)
