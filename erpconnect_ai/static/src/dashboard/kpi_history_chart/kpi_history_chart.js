/** @odoo-module **/

import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { ChartCanvas } from "../chart_canvas/chart_canvas";
import { kpiHistoryChartData, metricHistoryPoints } from "../dashboard_utils";

/**
 * History of one KPI (``erpconnect.kpi.get_metric``) by day, week or month.
 * Props: ``kpi`` (catalogue entry: code, name, unit), ``days`` (length of the history).
 */
export class KpiHistoryChart extends Component {
    static template = "erpconnect_ai.KpiHistoryChart";
    static components = { ChartCanvas };
    static props = { kpi: Object, days: Number, onClose: { type: Function, optional: true } };

    setup() {
        this.orm = useService("orm");
        this.state = useState({ interval: this.defaultInterval(this.props.days), data: null, empty: false });
        this.chartOptions = { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true } } };
        onWillStart(() => this.load(this.props));
        onWillUpdateProps((next) => {
            if (next.kpi.code !== this.props.kpi.code || next.days !== this.props.days) {
                this.state.interval = this.defaultInterval(next.days);
                return this.load(next);
            }
        });
    }

    defaultInterval(days) {
        return days > 90 ? "month" : days > 30 ? "week" : "day";
    }

    get intervals() {
        return [
            { key: "day", label: _t("Daily") },
            { key: "week", label: _t("Weekly") },
            { key: "month", label: _t("Monthly") },
        ];
    }

    async load({ kpi, days }) {
        const result = await this.orm.call("erpconnect.kpi", "get_metric", [kpi.code], {
            days,
            interval: this.state.interval,
        });
        const points = metricHistoryPoints(result);
        this.state.empty = !points.length;
        this.state.data = kpiHistoryChartData(points, kpi.name);
    }

    async setInterval(interval) {
        this.state.interval = interval;
        await this.load(this.props);
    }
}
