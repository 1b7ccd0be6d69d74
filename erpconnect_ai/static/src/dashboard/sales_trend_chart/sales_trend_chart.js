/** @odoo-module **/

import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { ChartCanvas } from "../chart_canvas/chart_canvas";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { formatValue, salesTrendChartData } from "../dashboard_utils";

/**
 * Quantity (bars) and revenue (line) sold per day, week or month of the period.
 * Props: ``section`` (server ``sales_trend``: series.day/week/month, totals, link), ``currencyId``.
 */
export class SalesTrendChart extends Component {
    static template = "erpconnect_ai.SalesTrendChart";
    static components = { ChartCanvas, DashboardPanel };
    static props = { section: Object, currencyId: Number };

    setup() {
        this.state = useState({ interval: "day" });
        this.cache = { key: null, data: null };
        this.chartOptions = {
            plugins: { legend: { position: "bottom" } },
            scales: {
                y: {
                    position: "left",
                    beginAtZero: true,
                    title: { display: true, text: _t("Quantity") },
                },
                y1: {
                    position: "right",
                    beginAtZero: true,
                    grid: { drawOnChartArea: false },
                    title: { display: true, text: _t("Revenue") },
                },
            },
        };
    }

    get intervals() {
        return [
            { key: "day", label: _t("Daily") },
            { key: "week", label: _t("Weekly") },
            { key: "month", label: _t("Monthly") },
        ];
    }

    get buckets() {
        return this.props.section.series?.[this.state.interval] || [];
    }

    /** Chart data, rebuilt only when the section or the interval changes. */
    get chartData() {
        const key = [this.props.section, this.state.interval];
        if (this.cache.key?.[0] !== key[0] || this.cache.key?.[1] !== key[1]) {
            this.cache = { key, data: salesTrendChartData(this.buckets) };
        }
        return this.cache.data;
    }

    get totals() {
        return {
            qty: formatValue(this.props.section.total_qty, "number"),
            revenue: formatValue(this.props.section.total_revenue, "currency", this.props.currencyId),
        };
    }

    get csv() {
        return {
            columns: [
                { name: "label", label: _t("Period") },
                { name: "date_from", label: _t("From") },
                { name: "date_to", label: _t("To") },
                { name: "qty", label: _t("Quantity") },
                { name: "revenue", label: _t("Revenue") },
            ],
            rows: this.buckets,
        };
    }
}
