/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, linkToAction } from "../dashboard_utils";

/**
 * Storable products counted as out of stock, low, adequate and overstock; each count opens
 * its products. Props: ``section`` (server ``stock_status``).
 */
export class StockStatus extends Component {
    static template = "erpconnect_ai.StockStatus";
    static components = { DashboardPanel };
    static props = { section: Object };

    setup() {
        this.action = useService("action");
    }

    share(row) {
        const total = this.props.section.total || 0;
        return total ? (100 * row.count) / total : 0;
    }

    format(value) {
        return formatValue(value, "count");
    }

    open(row) {
        if (row.link) {
            this.action.doAction(linkToAction(row.link));
        }
    }

    get csv() {
        return {
            columns: [
                { name: "label", label: _t("Status") },
                { name: "count", label: _t("Products") },
            ],
            rows: this.props.section.rows,
        };
    }
}
