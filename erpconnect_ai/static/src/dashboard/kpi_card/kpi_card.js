/** @odoo-module **/

import { Component } from "@odoo/owl";
import { useService } from "@web/core/utils/hooks";
import { formatPrevious, formatValue, kpiChange, linkToAction } from "../dashboard_utils";

/**
 * One KPI: name, value, change versus the previous period coloured by whether it is good news
 * (percentage points for percentages, "no data" for a previous period without data), and a
 * button opening the records behind it when the KPI counts records (``kpi.link``).
 * Props: ``kpi`` (catalogue entry merged with its metric: code, name, unit, direction,
 * description, value, previous, change, change_pct), ``currencyId``, optional
 * ``onClick(kpi)`` and ``active`` (highlighted when its history is open).
 */
export class KpiCard extends Component {
    static template = "erpconnect_ai.KpiCard";
    static props = {
        kpi: Object,
        currencyId: { type: Number, optional: true },
        onClick: { type: Function, optional: true },
        active: { type: Boolean, optional: true },
    };

    setup() {
        this.action = useService("action");
    }

    get value() {
        return formatValue(this.props.kpi.value, this.props.kpi.unit, this.props.currencyId, {
            compact: true,
        });
    }

    get previous() {
        return formatPrevious(this.props.kpi, this.props.currencyId);
    }

    get change() {
        return kpiChange(this.props.kpi);
    }

    onClick() {
        this.props.onClick?.(this.props.kpi);
    }

    openRecords() {
        this.action.doAction(linkToAction(this.props.kpi.link));
    }
}
