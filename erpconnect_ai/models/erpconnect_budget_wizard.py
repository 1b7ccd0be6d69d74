import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools.purchase_budget import select_within_budget


class ErpconnectBudgetWizard(models.TransientModel):
    """ "Create RFQs within a budget" (Managers): given an amount, orders the most urgent and most
    valuable suggestions first and shows what is left out.

    The candidates are the selected suggestions (from the list), else every open suggestion of
    the company with a quantity to order and a vendor. "Preview" ranks them with
    ``tools.purchase_budget.select_within_budget``: ``ORDER_NOW`` before ``WATCH``, then by
    expected lost sales per unit of money (the suggestion's ``budget_priority``), each ordered
    when its whole value fits in what is left of the budget. "Create RFQs" orders the lines
    marked to order (the Manager may change the marks); the vendors' minimum order values are
    not enforced here (the budget decides), their shortfalls are listed in the preview.
    """

    _name = "erpconnect.budget.wizard"
    _description = "ERPConnect AI: create RFQs within a budget"

    budget = fields.Monetary(currency_field="currency_id", required=True)
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, readonly=True
    )
    suggestion_ids = fields.Many2many(
        "erpconnect.replenishment",
        string="Candidates",
        default=lambda self: self._default_suggestions(),
    )
    line_ids = fields.One2many("erpconnect.budget.wizard.line", "wizard_id")
    selected_value = fields.Monetary(
        "To order", currency_field="currency_id", compute="_compute_totals"
    )
    left_out_value = fields.Monetary(
        "Left out", currency_field="currency_id", compute="_compute_totals"
    )
    left_out_count = fields.Integer("Suggestions left out", compute="_compute_totals")
    vendor_note = fields.Text(
        "Below vendor minimums",
        readonly=True,
        help="Vendors whose order, within this budget, stays below their minimum order value.",
    )

    @api.model
    def _default_suggestions(self):
        """The suggestions selected in the list (``active_ids``), else every open suggestion
        of the current company with a quantity to order and a vendor."""
        Suggestion = self.env["erpconnect.replenishment"]
        if self.env.context.get("active_model") == Suggestion._name and self.env.context.get(
            "active_ids"
        ):
            return Suggestion.browse(self.env.context["active_ids"])
        return Suggestion.search(
            [
                ("company_id", "=", self.env.company.id),
                ("state", "=", "new"),
                ("suggested_qty", ">", 0),
                ("vendor_id", "!=", False),
            ]
        )

    @api.depends("line_ids.selected", "line_ids.value")
    def _compute_totals(self):
        for wizard in self:
            selected = wizard.line_ids.filtered("selected")
            left_out = wizard.line_ids - selected
            wizard.selected_value = sum(selected.mapped("value"))
            wizard.left_out_value = sum(left_out.mapped("value"))
            wizard.left_out_count = len(left_out)

    def action_preview(self):
        """Rank the candidates and mark those that fit in the budget; reopens the wizard.

        :raises UserError: no candidate with a quantity to order, or a budget ≤ 0
        """
        self.ensure_one()
        self.env["erpconnect.replenishment"].check_access("write")
        if self.currency_id.compare_amounts(self.budget, 0) <= 0:
            raise UserError(self.env._("Enter a budget above zero."))
        candidates = self.suggestion_ids.filtered(
            lambda s: s.active and s.state == "new" and s.suggested_qty > 0 and s.vendor_id
        )
        if not candidates:
            raise UserError(
                self.env._("No open suggestion with a quantity to order and a vendor to rank.")
            )
        frame = pd.DataFrame(
            {
                "id": candidates.ids,
                "urgency": candidates.mapped("urgency"),
                "order_value": candidates.mapped("suggested_value"),
                "lost_sales_value": candidates.mapped("expected_lost_sales"),
            }
        )
        ranking = select_within_budget(frame, float(self.budget))
        self.line_ids = [
            fields.Command.clear(),
            *(
                fields.Command.create(
                    {
                        "suggestion_id": int(row.id),
                        "rank": int(row.rank),
                        "value": row.order_value,
                        "expected_lost_sales": row.lost_sales_value,
                        "priority": row.priority if row.order_value > 0 else 0.0,
                        "selected": bool(row.selected),
                    }
                )
                for row in ranking.itertuples(index=False)
            ),
        ]
        shortfalls = self.env["erpconnect.vendor.minimum.wizard"]._shortfalls(
            self.line_ids.filtered("selected").suggestion_id
        )
        self.vendor_note = "\n".join(
            self.env._(
                "%(vendor)s: %(value)s of %(minimum)s",
                vendor=vendor.display_name,
                value=company.currency_id.format(value),
                minimum=company.currency_id.format(minimum),
            )
            for (company, vendor, _warehouse), (value, minimum) in shortfalls.items()
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Create RFQs within a budget"),
            "res_model": self._name,
            "res_id": self.id,
            "views": [(False, "form")],
            "target": "new",
        }

    def action_create_rfqs(self):
        """Create the RFQs of the lines marked to order; returns the RFQs' list action.

        :raises UserError: nothing previewed or marked
        """
        self.ensure_one()
        suggestions = self.line_ids.filtered("selected").suggestion_id
        if not suggestions:
            raise UserError(self.env._("Preview the budget and mark at least one suggestion."))
        return suggestions._create_rfqs()
