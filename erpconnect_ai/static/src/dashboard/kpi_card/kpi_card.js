/** @odoo-module **/

import { Component } from "@odoo/owl";
import { describeChange, formatValue } from "../dashboard_utils";

/**
 * One KPI: name, value, change versus the previous period coloured by whether it is good news.
 * Props: ``kpi`` (catalogue entry merged with its metric: code, name, unit, direction,
 * description, value, previous, change_pct), ``currencyId``, optional ``onClick(kpi)`` and
 * ``active`` (highlighted when its history is open).
 */
export class KpiCard extends Component {
    static template = "erpconnect_ai.KpiCard";
    static props = {
        kpi: Object,
        currencyId: { type: Number, optional: true },
        onClick: { type: Function, optional: true },
        active: { type: Boolean, optional: true },
    };

    get value() {
        return formatValue(this.props.kpi.value, this.props.kpi.unit, this.props.currencyId, {
            compact: true,
        });
    }

    get previous() {
        return formatValue(this.props.kpi.previous, this.props.kpi.unit, this.props.currencyId, {
            compact: true,
        });
    }

    get change() {
        return describeChange(this.props.kpi.change_pct, this.props.kpi.direction);
    }

    onClick() {
        this.props.onClick?.(this.props.kpi);
    }
}
