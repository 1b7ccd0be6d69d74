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

    get windowText() {
        const data = this.state.data;
        return _t(
            "What each target service level delivered (fill rate: share of the demand served from stock) and the average stock it took, in a replay of the ordering policy on the sales from %(start)s to %(end)s (decisions every day, lost sales when out of stock; a sample of each class, stock values scaled to the class; a new product's sales before its first order could arrive are left out, as no policy can serve them). ◆ marks the current setting.",
            { start: data.window_start, end: data.window_end }
        );
    }

    classTitle(curveClass) {
        return _t("Class %(abc)s", { abc: curveClass.abc });
    }

    classSubtitle(curveClass) {
        return _t("%(products)s products, %(sampled)s replayed; setting now %(level)s", {
            products: curveClass.products,
            sampled: curveClass.sampled,
            level: formatLevel(curveClass.current_level),
        });
    }

    /** What the selected point changes against the current one ("" on the current point). */
    changeText(curveClass) {
        const point = this.selectedPoint(curveClass);
        const delta = changeFromCurrent(curveClass, point);
        if (!delta || point.is_current) {
            return "";
        }
        return _t(
            "%(level)s instead of the current setting: fill rate %(fill)s, average stock %(stock)s",
            {
                level: formatLevel(point.service_level),
                fill: this.signedPoints(delta.fillRate),
                stock: this.signedMoney(delta.stockValue),
            }
        );
    }

    applyText(curveClass) {
        return _t("Use %(level)s for class %(abc)s", {
            level: formatLevel(this.selectedPoint(curveClass).service_level),
            abc: curveClass.abc,
        });
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
