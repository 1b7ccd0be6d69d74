/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, linkToAction, severityClass } from "../dashboard_utils";

/**
 * The latest abnormal sales days with their severity; a row opens the anomaly.
 * Props: ``section`` (server ``anomalies``), ``onSelectProduct(id)``.
 */
export class AnomalyList extends Component {
    static template = "erpconnect_ai.AnomalyList";
    static components = { DashboardPanel };
    static props = { section: Object, onSelectProduct: Function };

    setup() {
        this.action = useService("action");
    }

    format(value) {
        return formatValue(value, "number");
    }

    severityClass(row) {
        return severityClass(row.severity);
    }

    open(row) {
        this.action.doAction(linkToAction(row.link));
    }

    get csv() {
        return {
            columns: [
                { name: "date", label: _t("Date") },
                { name: "product_name", label: _t("Product") },
                { name: "kind_label", label: _t("Kind") },
                { name: "qty", label: _t("Quantity") },
                { name: "expected", label: _t("Expected") },
                { name: "z", label: _t("z-score") },
                { name: "severity_label", label: _t("Severity") },
            ],
            rows: this.props.section.rows,
        };
    }
}
