from collections import defaultdict

from odoo import api, fields, models
from odoo.exceptions import UserError


class ErpconnectVendorMinimumWizard(models.TransientModel):
    """ "Vendor minimum order value": opened by "Create RFQs" when a vendor's request for
    quotation would stay below the vendor's minimum order value.

    It lists, per such vendor, its other open suggestions that could fill the order, the most
    useful first: those due now (``ORDER_NOW`` before ``WATCH``, then by expected lost sales per
    unit of money) with their suggested quantity, then the products not due by the days their
    stock lasts, each with ``PULL_FORWARD_DAYS`` days of demand above its order-up-to level
    (rounded to the vendor's lots). The lines needed to reach the minimum are ticked; the
    Manager keeps or changes the ticks and creates the RFQs, or creates them as selected.
    (A wizard rather than a notification: the Manager decides which lines to add before
    anything is ordered, in one step.)
    """

    _name = "erpconnect.vendor.minimum.wizard"
    _description = "ERPConnect AI: reach vendor minimum order values"

    suggestion_ids = fields.Many2many(
        "erpconnect.replenishment", string="Selected suggestions", readonly=True
    )
    line_ids = fields.One2many("erpconnect.vendor.minimum.wizard.line", "wizard_id")
    currency_id = fields.Many2one(
        "res.currency", default=lambda self: self.env.company.currency_id, readonly=True
    )
    summary = fields.Text(readonly=True, help="Vendors whose order is below their minimum.")

    @api.model
    def _action_for(self, suggestions):
        """The wizard's action when an RFQ of ``suggestions`` (orderable, see
        ``erpconnect.replenishment._orderable``) would stay below its vendor's minimum order
        value; False when none would."""
        shortfalls = self._shortfalls(suggestions)
        if not shortfalls:
            return False
        summary = []
        line_values = []
        for (company, vendor, warehouse), (value, minimum) in shortfalls.items():
            summary.append(
                self.env._(
                    "%(vendor)s: order of %(value)s, minimum %(minimum)s (%(company)s)",
                    vendor=vendor.display_name,
                    value=company.currency_id.format(value),
                    minimum=company.currency_id.format(minimum),
                    company=company.name,
                )
            )
            missing = minimum - value
            for suggestion, quantity, reason in self._proposals(
                suggestions, company, vendor, warehouse
            ):
                order_value = quantity * suggestion.purchase_price
                line_values.append(
                    {
                        "vendor_id": vendor.id,
                        "suggestion_id": suggestion.id,
                        "quantity": quantity,
                        "value": order_value,
                        "reason": reason,
                        "include": missing > 0,
                    }
                )
                missing -= order_value
        wizard = self.create(
            {
                "suggestion_ids": [fields.Command.set(suggestions.ids)],
                "summary": "\n".join(summary),
                "line_ids": [fields.Command.create(values) for values in line_values],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Vendor minimum order value"),
            "res_model": self._name,
            "res_id": wizard.id,
            "views": [(False, "form")],
            "target": "new",
        }

    @api.model
    def _shortfalls(self, suggestions):
        """``{(company, vendor, warehouse): (order value, minimum)}`` of the RFQs of
        ``suggestions`` below their vendor's minimum order value."""
        values = defaultdict(float)
        for suggestion in suggestions:
            key = (suggestion.company_id, suggestion.vendor_id, suggestion.warehouse_id)
            values[key] += suggestion._order_value()
        shortfalls = {}
        for (company, vendor, warehouse), value in values.items():
            minimum = vendor.with_company(company).erpconnect_min_order_value
            if minimum and company.currency_id.compare_amounts(value, minimum) < 0:
                shortfalls[(company, vendor, warehouse)] = (value, minimum)
        return shortfalls

    @api.model
    def _proposals(self, selected, company, vendor, warehouse):
        """``[(suggestion, quantity, reason)]``: the vendor's other open suggestions worth
        ordering now, the most useful first (see the class docstring)."""
        candidates = self.env["erpconnect.replenishment"].search(
            [
                ("company_id", "=", company.id),
                ("vendor_id", "=", vendor.id),
                ("warehouse_id", "=", warehouse.id),
                ("state", "=", "new"),
                ("id", "not in", selected.ids),
                "|",
                ("purchase_order_id", "=", False),
                ("purchase_order_id.state", "=", "cancel"),
            ]
        )
        due = candidates.filtered(lambda s: s.suggested_qty > 0).sorted(
            lambda s: (s.urgency_rank, -s.budget_priority, s.id)
        )
        proposals = [
            (
                suggestion,
                suggestion.suggested_qty,
                self.env._("Due now (%(urgency)s)", urgency=suggestion.urgency),
            )
            for suggestion in due
        ]
        for suggestion in (candidates - due).sorted(lambda s: (s.days_of_coverage, s.id)):
            quantity = suggestion._pull_forward_quantity()
            if quantity > 0:
                proposals.append(
                    (
                        suggestion,
                        quantity,
                        self.env._(
                            "Stock lasts %(days)s days",
                            days=round(suggestion.days_of_coverage, 1),
                        ),
                    )
                )
        return proposals

    def action_create_with_additions(self):
        """Create the RFQs of the selected suggestions and of the ticked lines (with their
        proposed quantities). Returns the RFQs' list action."""
        self.ensure_one()
        added = self.line_ids.filtered("include")
        quantities = {line.suggestion_id.id: line.quantity for line in added}
        suggestions = self.suggestion_ids | added.suggestion_id
        if not suggestions:
            raise UserError(self.env._("Nothing to order."))
        return suggestions._create_rfqs(quantities)

    def action_create_as_selected(self):
        """Create the RFQs of the selected suggestions only, below the vendors' minimums."""
        self.ensure_one()
        return self.suggestion_ids._create_rfqs()
