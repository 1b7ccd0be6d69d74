/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, linkToAction, urgencyClass } from "../dashboard_utils";

/**
 * The most urgent reorder suggestions. Managers get Apply (set the reorder rule) and RFQ
 * (draft purchase order) buttons, which call the ``erpconnect.replenishment`` actions.
 * Props: ``section`` (server ``replenishment``), ``isManager``, ``onSelectProduct(id)``,
 * ``onChanged()`` (reload after an action).
 */
export class ReplenishmentTable extends Component {
    static template = "erpconnect_ai.ReplenishmentTable";
    static components = { DashboardPanel };
    static props = {
        section: Object,
        isManager: Boolean,
        onSelectProduct: Function,
        onChanged: Function,
    };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.notification = useService("notification");
    }

    format(value, unit) {
        return formatValue(value, unit);
    }

    urgencyClass(row) {
        return urgencyClass(row.urgency);
    }

    open(row) {
        this.action.doAction(linkToAction(row.link));
    }

    async apply(row) {
        await this.orm.call("erpconnect.replenishment", "action_apply_to_reorder_rules", [[row.id]]);
        this.notification.add(
            _t("Reorder rule of %(product)s updated.", { product: row.product_name }),
            { type: "success" }
        );
        await this.props.onChanged();
    }

    async createRfq(row) {
        const result = await this.orm.call("erpconnect.replenishment", "action_create_rfqs", [
            [row.id],
        ]);
        if (result && typeof result === "object" && result.type) {
            await this.action.doAction(result);
        } else {
            this.notification.add(_t("Request for quotation created."), { type: "success" });
            await this.props.onChanged();
        }
    }

    get csv() {
        return {
            columns: [
                { name: "product_name", label: _t("Product") },
                { name: "warehouse_name", label: _t("Warehouse") },
                { name: "vendor_name", label: _t("Vendor") },
                { name: "on_hand", label: _t("On hand") },
                { name: "reorder_point", label: _t("Reorder point") },
                { name: "suggested_qty", label: _t("Suggested quantity") },
                { name: "days_of_coverage", label: _t("Days of coverage") },
                { name: "urgency_label", label: _t("Urgency") },
            ],
            rows: this.props.section.rows,
        };
    }
}
