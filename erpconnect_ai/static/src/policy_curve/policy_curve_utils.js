/** @odoo-module **/
/**
 * Non-UI logic of the "Service level vs stock" screen: chart data of one ABC class's curve and
 * the texts of its points. Plain functions, unit-tested by static/tests/policy_curve_utils.test.js.
 */

import { _t } from "@web/core/l10n/translation";
import { formatValue } from "../dashboard/dashboard_utils";

export const CURVE_COLORS = {
    fillRate: "#1f77b4",
    stock: "#ff7f0e",
    target: "#7f7f7f",
};

/** "98 %" / "99.5 %": a fraction as a percentage with as many decimals as it needs. */
export function formatLevel(level) {
    return formatValue(Math.round(level * 1000) / 10, "percent").replace(".0 %", " %");
}

/**
 * Chart.js data of one class of ``get_policy_curve()``: the replayed fill rate (left axis, %),
 * the target itself (dashed, where a fill rate on target would be) and the average stock value
 * (right axis), one point per target level; the current setting's point is drawn bigger and
 * ``selected`` (a service level) is ringed.
 *
 * @param {{points: Array<{service_level: number, fill_rate: number, avg_stock_value: number,
 *   is_current: boolean}>}} curveClass
 * @param {number|null} [selected] the service level the user picked
 * @returns {{labels: string[], datasets: object[]}}
 */
export function policyCurveChartData(curveClass, selected = null) {
    const points = curveClass.points;
    const radius = points.map((p) => (p.is_current ? 7 : p.service_level === selected ? 6 : 3));
    const border = points.map((p) => (p.service_level === selected ? 3 : 1));
    return {
        labels: points.map((p) => formatLevel(p.service_level)),
        datasets: [
            {
                label: _t("Replayed fill rate"),
                data: points.map((p) => Math.round(p.fill_rate * 1000) / 10),
                borderColor: CURVE_COLORS.fillRate,
                backgroundColor: CURVE_COLORS.fillRate,
                pointRadius: radius,
                pointBorderWidth: border,
                pointStyle: points.map((p) => (p.is_current ? "rectRot" : "circle")),
                yAxisID: "y",
                order: 1,
            },
            {
                label: _t("Target"),
                data: points.map((p) => Math.round(p.service_level * 1000) / 10),
                borderColor: CURVE_COLORS.target,
                borderDash: [4, 4],
                borderWidth: 1,
                pointRadius: 0,
                yAxisID: "y",
                order: 3,
            },
            {
                label: _t("Average stock value"),
                data: points.map((p) => p.avg_stock_value),
                borderColor: CURVE_COLORS.stock,
                backgroundColor: CURVE_COLORS.stock,
                pointRadius: radius,
                pointBorderWidth: border,
                pointStyle: points.map((p) => (p.is_current ? "rectRot" : "circle")),
                yAxisID: "y1",
                order: 2,
            },
        ],
    };
}

/**
 * Chart.js options of a curve: fill rate in % on the left, stock value on the right.
 *
 * @param {number} currencyId
 */
export function policyCurveChartOptions(currencyId) {
    return {
        plugins: { legend: { position: "bottom" } },
        scales: {
            x: { title: { display: true, text: _t("Target service level") } },
            y: {
                position: "left",
                title: { display: true, text: _t("Fill rate (%)") },
                suggestedMax: 100,
            },
            y1: {
                position: "right",
                beginAtZero: true,
                grid: { drawOnChartArea: false },
                title: { display: true, text: _t("Average stock value") },
                ticks: { callback: (value) => formatValue(value, "currency", currencyId, { compact: true }) },
            },
        },
    };
}

/** The point of ``curveClass`` at ``level``, else its current point, else its last. */
export function pointAt(curveClass, level) {
    const points = curveClass.points;
    return (
        points.find((p) => p.service_level === level) ||
        points.find((p) => p.is_current) ||
        points[points.length - 1]
    );
}

/**
 * What moving from the current point to ``point`` changes, for the summary under a chart.
 *
 * @returns {{fillRate: number, stockValue: number}|null} differences in points of fill rate
 *   and in money; null without a current point
 */
export function changeFromCurrent(curveClass, point) {
    const current = curveClass.points.find((p) => p.is_current);
    if (!current || !point) {
        return null;
    }
    return {
        fillRate: Math.round((point.fill_rate - current.fill_rate) * 1000) / 10,
        stockValue: point.avg_stock_value - current.avg_stock_value,
    };
}
