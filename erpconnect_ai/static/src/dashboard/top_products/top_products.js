/** @odoo-module **/

import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, linkToAction } from "../dashboard_utils";

/**
 * Best sellers of the period, ranked by quantity or by revenue. A figure opens the order lines
 * behind it; a product name shows its forecast.
 * Props: ``section`` (server ``top_products``), ``currencyId``, ``onSelectProduct(id)``.
 */
export class TopProducts extends Component {
    static template = "erpconnect_ai.TopProducts";
    static components = { DashboardPanel };
    static props = { section: Object, currencyId: Number, onSelectProduct: Function };

    setup() {
        this.action = useService("action");
        this.state = useState({ measure: "revenue" });
    }

    get rows() {
        return this.state.measure === "qty" ? this.props.section.by_qty : this.props.section.by_revenue;
    }

    get measures() {
        return [
            { key: "revenue", label: _t("Revenue") },
            { key: "qty", label: _t("Quantity") },
        ];
    }

    format(value, unit) {
        return formatValue(value, unit, this.props.currencyId);
    }

    open(row) {
        if (row.link) {
            this.action.doAction(linkToAction(row.link));
        }
    }

    get csv() {
        return {
            columns: [
                { name: "name", label: _t("Product") },
                { name: "qty", label: _t("Quantity") },
                { name: "revenue", label: _t("Revenue") },
            ],
            rows: this.rows,
        };
    }
}
