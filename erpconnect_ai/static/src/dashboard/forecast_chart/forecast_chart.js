/** @odoo-module **/

import { Component, onWillStart, onWillUpdateProps, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { ChartCanvas } from "../chart_canvas/chart_canvas";
import { DashboardPanel } from "../dashboard_panel/dashboard_panel";
import { forecastChartData, linkToAction } from "../dashboard_utils";

/**
 * Sales history (blue) and forecast (orange) of one product with the forecast's 95 % interval
 * shaded, the planners' adjusted forecast (purple, dashed) where they adjusted it, and why the
 * forecast is what it is (sentences from the server). Props: ``section`` (server ``forecast``: products offered in the picker), ``productId``
 * (the product shown, or 0 for none) and ``onSelectProduct(id)``.
 */
export class ForecastChart extends Component {
    static template = "erpconnect_ai.ForecastChart";
    static components = { ChartCanvas, DashboardPanel };
    static props = { section: Object, productId: Number, onSelectProduct: Function };

    setup() {
        this.orm = useService("orm");
        this.action = useService("action");
        this.state = useState({ chart: null, data: null, loading: false });
        this.chartOptions = {
            plugins: {
                legend: {
                    position: "bottom",
                    labels: { filter: (item) => item.text !== _t("95% interval (low)") },
                },
            },
            scales: { y: { beginAtZero: true, title: { display: true, text: _t("Quantity") } } },
        };
        onWillStart(() => this.load(this.props.productId));
        onWillUpdateProps((next) => {
            if (next.productId !== this.props.productId) {
                return this.load(next.productId);
            }
        });
    }

    async load(productId) {
        if (!productId) {
            Object.assign(this.state, { chart: null, data: null });
            return;
        }
        this.state.loading = true;
        const chart = await this.orm.call("erpconnect.dashboard", "get_product_forecast_chart", [
            productId,
        ]);
        Object.assign(this.state, { chart, data: forecastChartData(chart), loading: false });
    }

    get products() {
        const products = [...this.props.section.products];
        const current = this.state.chart?.product;
        if (current && !products.some((p) => p.id === current.id)) {
            products.unshift(current);
        }
        return products;
    }

    onChange(ev) {
        this.props.onSelectProduct(parseInt(ev.target.value, 10) || 0);
    }

    open(link) {
        this.action.doAction(linkToAction(link));
    }

    get csv() {
        const chart = this.state.chart;
        const rows = chart
            ? [
                  ...chart.history.map((p) => ({ date: p.date, history: p.qty })),
                  ...chart.forecast.map((p) => ({
                      date: p.date,
                      forecast: p.qty,
                      adjusted: p.adjusted,
                      lower: p.lower,
                      upper: p.upper,
                  })),
              ]
            : [];
        return {
            columns: [
                { name: "date", label: _t("Date") },
                { name: "history", label: _t("Sold") },
                { name: "forecast", label: _t("Forecast") },
                { name: "adjusted", label: _t("Adjusted forecast") },
                { name: "lower", label: _t("Lower (95%)") },
                { name: "upper", label: _t("Upper (95%)") },
            ],
            rows,
        };
    }
}
