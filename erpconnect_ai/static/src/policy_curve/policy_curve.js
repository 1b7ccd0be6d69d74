/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { ChartCanvas } from "../dashboard/chart_canvas/chart_canvas";
import { formatValue } from "../dashboard/dashboard_utils";
import {
    changeFromCurrent,
    formatLevel,
    pointAt,
    policyCurveChartData,
    policyCurveChartOptions,
} from "./policy_curve_utils";

/**
 * "Service level vs stock" (client action ``erpconnect_ai.policy_curve``): per ABC class, the
 * replayed fill rate and average stock value of each target service level, as the last
 * analysis computed them (``erpconnect.replenishment.get_policy_curve``), the current setting
 * marked. Clicking a point (or a row) selects it; an Administrator applies it to the settings
 * (``apply_policy_point``).
 */
export class PolicyCurve extends Component {
    static template = "erpconnect_ai.PolicyCurve";
    static components = { ChartCanvas };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.notification = useService("notification");
        this.state = useState({ data: null, selected: {}, applying: false });
        this.formatLevel = formatLevel;
        onWillStart(() => this.load());
    }

    async load() {
        const data = await this.orm.call("erpconnect.replenishment", "get_policy_curve", []);
        const selected = {};
        for (const curveClass of data.classes) {
            selected[curveClass.abc] = pointAt(curveClass, null).service_level;
        }
        Object.assign(this.state, { data, selected });
        this.charts = {};
    }

    chartData(curveClass) {
        return policyCurveChartData(curveClass, this.state.selected[curveClass.abc]);
    }

    chartOptions(curveClass) {
        return {
            ...policyCurveChartOptions(this.state.data.currency_id),
            onClick: (_event, elements) => {
                if (elements.length) {
                    this.select(curveClass, curveClass.points[elements[0].index]);
                }
            },
        };
    }

    select(curveClass, point) {
        this.state.selected[curveClass.abc] = point.service_level;
    }

    selectedPoint(curveClass) {
        return pointAt(curveClass, this.state.selected[curveClass.abc]);
    }

    change(curveClass) {
        return changeFromCurrent(curveClass, this.selectedPoint(curveClass));
    }

    money(value) {
        return formatValue(value, "currency", this.state.data.currency_id);
    }

    percent(fraction) {
        return formatValue(fraction * 100, "percent");
    }

    signedPoints(value) {
        return `${value > 0 ? "+" : ""}${formatValue(value, "percent").replace(" %", " pt")}`;
    }

    signedMoney(value) {
        return `${value > 0 ? "+" : ""}${this.money(value)}`;
    }

    async apply(curveClass) {
        const point = this.selectedPoint(curveClass);
        this.state.applying = true;
        try {
            await this.orm.call("erpconnect.replenishment", "apply_policy_point", [
                curveClass.abc,
                point.service_level,
            ]);
        } finally {
            this.state.applying = false;
        }
        this.notification.add(
            _t("Class %(abc)s now targets %(level)s: the next analysis orders for it.", {
                abc: curveClass.abc,
                level: formatLevel(point.service_level),
            }),
            { type: "success" }
        );
        await this.load();
    }
}

registry.category("actions").add("erpconnect_ai.policy_curve", PolicyCurve);
