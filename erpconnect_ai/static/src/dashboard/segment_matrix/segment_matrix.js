/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, linkToAction } from "../dashboard_utils";

/**
 * The ABC (revenue) × XYZ (demand variability) 3×3 matrix: product count, revenue share and
 * recommendation per cell; a cell opens its products. Props: ``section`` (server
 * ``segment_matrix``).
 */
export class SegmentMatrix extends Component {
    static template = "erpconnect_ai.SegmentMatrix";
    static components = { DashboardPanel };
    static props = { section: Object };

    setup() {
        this.action = useService("action");
    }

    get rows() {
        return ["A", "B", "C"].map((abc) => ({
            abc,
            cells: this.props.section.cells.filter((cell) => cell.abc === abc),
        }));
    }

    share(cell) {
        return formatValue(cell.revenue_share * 100, "percent");
    }

    open(cell) {
        this.action.doAction(linkToAction(cell.link));
    }

    get csv() {
        return {
            columns: [
                { name: "segment", label: _t("Segment") },
                { name: "product_count", label: _t("Products") },
                { name: "revenue", label: _t("Revenue") },
                { name: "revenue_share", label: _t("Revenue share") },
                { name: "recommendation", label: _t("Recommendation") },
            ],
            rows: this.props.section.cells,
        };
    }
}
