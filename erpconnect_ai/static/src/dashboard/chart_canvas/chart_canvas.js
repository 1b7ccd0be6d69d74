/** @odoo-module **/

import { Component, onWillStart, onWillUnmount, useEffect, useRef } from "@odoo/owl";
import { loadBundle } from "@web/core/assets";

/**
 * A Chart.js canvas. Chart.js is the library Odoo ships, loaded lazily on first use.
 * Props: ``type`` (line, bar…), ``data`` (Chart.js data) and ``options`` (Chart.js options).
 * The chart is rebuilt whenever ``data`` or ``options`` change.
 */
export class ChartCanvas extends Component {
    static template = "erpconnect_ai.ChartCanvas";
    static props = {
        type: { type: String, optional: true },
        data: Object,
        options: { type: Object, optional: true },
        height: { type: Number, optional: true },
    };
    static defaultProps = { type: "line", options: {}, height: 260 };

    setup() {
        this.canvasRef = useRef("canvas");
        this.chart = null;
        onWillStart(() => loadBundle("web.chartjs_lib"));
        useEffect(
            () => {
                this.renderChart();
            },
            () => [this.props.data, this.props.options, this.props.type]
        );
        onWillUnmount(() => this.chart?.destroy());
    }

    renderChart() {
        this.chart?.destroy();
        this.chart = new window.Chart(this.canvasRef.el, {
            type: this.props.type,
            data: this.props.data,
            options: {
                maintainAspectRatio: false,
                responsive: true,
                animation: false,
                interaction: { mode: "index", intersect: false },
                ...this.props.options,
            },
        });
    }
}
