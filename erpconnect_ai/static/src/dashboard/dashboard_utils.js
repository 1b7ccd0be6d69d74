/** @odoo-module **/
/**
 * Non-UI logic of the ERPConnect AI dashboard: number formatting, change colours, layout
 * operations, CSV building and chart data. Plain functions and one plain class, unit-tested by
 * static/tests/dashboard_utils.test.js.
 */

import { _t } from "@web/core/l10n/translation";
import { formatCurrency } from "@web/core/currency";
import { formatFloat } from "@web/core/utils/numbers";

export const PERIODS = [7, 30, 90];
// Days of coverage the analysis stores for a product without demand.
export const NO_DEMAND_DAYS = 9999;
export const REFRESH_INTERVALS = [0, 60, 300, 900, 1800];

export const COLORS = {
    history: "#1f77b4",
    forecast: "#ff7f0e",
    band: "rgba(255, 127, 14, 0.18)",
    adjusted: "#9467bd",
    partial: "#7f7f7f",
    qty: "#1f77b4",
    revenue: "#2ca02c",
};

/**
 * Format a KPI or table value by its unit.
 *
 * @param {number|string|null|undefined} value
 * @param {string} unit "currency" | "percent" | "days" | "count" | "ratio" | "date" | other
 * @param {number} [currencyId]
 * @param {{compact?: boolean}} [options] compact: short amounts for cards ("$ 1.83M"); tables
 *   show whole amounts from 1,000 up
 * @returns {string}
 */
export function formatValue(value, unit, currencyId, { compact = false } = {}) {
    if (value === null || value === undefined || value === false || Number.isNaN(value)) {
        return "—";
    }
    if (typeof value === "string") {
        return value;
    }
    switch (unit) {
        case "currency":
            if (compact && Math.abs(value) >= 1e4) {
                return formatCurrency(value, currencyId, { humanReadable: true });
            }
            return formatCurrency(
                value,
                currencyId,
                Math.abs(value) >= 1000 ? { digits: [false, 0] } : {}
            );
        case "percent":
            return `${formatFloat(value, { digits: [false, 1] })} %`;
        case "days":
            if (value >= NO_DEMAND_DAYS) {
                return "∞";
            }
            return _t("%(days)s d", { days: formatFloat(value, { digits: [false, 1] }) });
        case "count":
            return formatFloat(value, { digits: [false, 0] });
        default:
            return formatFloat(value, { digits: [false, Number.isInteger(value) ? 0 : 2] });
    }
}

/**
 * Describe a change between two periods for display.
 *
 * @param {number|null|undefined} change relative change in percent (e.g. 12.5 for +12.5 %), or
 *   with ``inPoints`` a difference of two percentages in percentage points
 * @param {string} direction "higher" when a higher value is better, "lower" otherwise
 * @param {{inPoints?: boolean}} [options] inPoints: the text says "pp" (percentage points)
 * @returns {{text: string, trend: "up"|"down"|"flat"|"none", tone: "good"|"bad"|"neutral"}}
 */
export function describeChange(change, direction = "higher", { inPoints = false } = {}) {
    if (change === null || change === undefined || Number.isNaN(change)) {
        return { text: "", trend: "none", tone: "neutral" };
    }
    const rounded = Math.round(change * 10) / 10;
    const label = (number) =>
        inPoints ? _t("%(points)s pp", { points: number }) : `${number} %`;
    if (rounded === 0) {
        return { text: label("0"), trend: "flat", tone: "neutral" };
    }
    const trend = rounded > 0 ? "up" : "down";
    const better = direction === "lower" ? rounded < 0 : rounded > 0;
    const sign = rounded > 0 ? "+" : "−";
    return {
        text: sign + label(formatFloat(Math.abs(rounded), { digits: [false, 1] })),
        trend,
        tone: better ? "good" : "bad",
    };
}

/**
 * The change of a KPI (an entry of ``erpconnect.kpi.get_metrics``) against its previous
 * period: in percentage points for the KPIs that are percentages (their ``change``; "Order
 * growth 4.4 % +4.2 pp", not "+1,495.3 %"), in % of the previous value for the others
 * (``change_pct``); nothing when the previous period has no data.
 *
 * @param {{unit: string, direction?: string, change?: number|null, change_pct?: number|null}} kpi
 */
export function kpiChange(kpi) {
    if (kpi.unit === "percent") {
        return describeChange(kpi.change, kpi.direction, { inPoints: true });
    }
    return describeChange(kpi.change_pct, kpi.direction);
}

/**
 * The previous period's value of a KPI as a card shows it: "no data" when that period has none
 * (a previous value of 0 is a real 0).
 */
export function formatPrevious(kpi, currencyId) {
    if (kpi.previous === null || kpi.previous === undefined) {
        return _t("no data");
    }
    return formatValue(kpi.previous, kpi.unit, currencyId, { compact: true });
}

/** CSS modifier of an urgency (ORDER_NOW / WATCH / OK). */
export function urgencyClass(urgency) {
    return (
        { ORDER_NOW: "o_erpconnect_urgency_now", WATCH: "o_erpconnect_urgency_watch" }[urgency] ||
        "o_erpconnect_urgency_ok"
    );
}

/** CSS modifier of an anomaly severity (HIGH / MEDIUM / LOW). */
export function severityClass(severity) {
    return (
        {
            HIGH: "o_erpconnect_severity_high",
            MEDIUM: "o_erpconnect_severity_medium",
        }[severity] || "o_erpconnect_severity_low"
    );
}

/**
 * Turn a server ``link`` (res_model, domain, name, views, context) into an act_window action.
 *
 * @param {Object|null} link
 * @returns {Object|null}
 */
export function linkToAction(link) {
    if (!link) {
        return null;
    }
    if (link.type) {
        return link; // already an action (e.g. returned by a model's action_* method)
    }
    return {
        type: "ir.actions.act_window",
        name: link.name,
        res_model: link.res_model,
        domain: link.domain || [],
        context: link.context || {},
        views: (link.views || ["list", "form"]).map((view) => [false, view]),
        target: "current",
    };
}

// ---------------------------------------------------------------------------------- CSV

const QUOTE = String.fromCharCode(34);
const CSV_SPECIAL = [QUOTE, ",", ";", "\n", "\r"];

function csvCell(value) {
    if (value === null || value === undefined || value === false) {
        return "";
    }
    const text = Array.isArray(value) ? String(value[1] ?? "") : String(value);
    // No regular expression literal here: the translation extractor misreads quotes in them.
    const needsQuotes = CSV_SPECIAL.some((char) => text.includes(char));
    return needsQuotes ? `"${text.split(QUOTE).join(QUOTE + QUOTE)}"` : text;
}

/**
 * Build a CSV text (RFC 4180, comma separated, CRLF line ends).
 *
 * @param {Array<{name: string, label: string}>} columns
 * @param {Array<Object>} rows values are read with ``row[column.name]``; many2one pairs
 *   ``[id, name]`` give their name
 * @returns {string}
 */
export function buildCsv(columns, rows) {
    const lines = [columns.map((column) => csvCell(column.label)).join(",")];
    for (const row of rows) {
        lines.push(columns.map((column) => csvCell(row[column.name])).join(","));
    }
    return lines.join("\r\n") + "\r\n";
}

/** File name of a CSV export: ``erpconnect_<name>_<yyyy-mm-dd>.csv``. */
export function csvFileName(name, date = new Date()) {
    const day = date.toISOString().slice(0, 10);
    return `erpconnect_${name}_${day}.csv`;
}

// ---------------------------------------------------------------------------------- layout

/**
 * An editable copy of a dashboard layout: KPI cards and panels, each an ordered list of names
 * chosen from a catalogue, plus the auto-refresh interval.
 */
export class LayoutDraft {
    /**
     * @param {{kpis: string[], panels: string[], refresh_interval: number}} layout
     * @param {{kpis: string[], panels: string[]}} catalogue names that may be chosen
     */
    constructor(layout, catalogue) {
        this.catalogue = { kpis: [...catalogue.kpis], panels: [...catalogue.panels] };
        this.kpis = layout.kpis.filter((code) => this.catalogue.kpis.includes(code));
        this.panels = layout.panels.filter((name) => this.catalogue.panels.includes(name));
        this.refreshInterval = REFRESH_INTERVALS.includes(layout.refresh_interval)
            ? layout.refresh_interval
            : 0;
    }

    /** @param {"kpis"|"panels"} kind */
    isShown(kind, name) {
        return this[kind].includes(name);
    }

    /** Show a hidden item (at the end) or hide a shown one. */
    toggle(kind, name) {
        if (!this.catalogue[kind].includes(name)) {
            throw new Error(`Unknown ${kind} entry: ${name}`);
        }
        const list = this[kind];
        const index = list.indexOf(name);
        if (index >= 0) {
            list.splice(index, 1);
        } else {
            list.push(name);
        }
    }

    /** Move a shown item by ``offset`` places (-1 up, +1 down), clamped to the list. */
    move(kind, name, offset) {
        const list = this[kind];
        const from = list.indexOf(name);
        if (from < 0) {
            return false;
        }
        const to = Math.min(Math.max(from + offset, 0), list.length - 1);
        if (to === from) {
            return false;
        }
        list.splice(from, 1);
        list.splice(to, 0, name);
        return true;
    }

    /**
     * Move a shown item just before ``before`` (another shown item), or last when ``before`` is
     * null: where it was dropped by drag and drop.
     */
    place(kind, name, before) {
        const list = this[kind];
        const from = list.indexOf(name);
        if (from < 0 || name === before || (before !== null && !list.includes(before))) {
            return false;
        }
        const order = list.filter((item) => item !== name);
        order.splice(before === null ? order.length : order.indexOf(before), 0, name);
        if (order.every((item, index) => item === list[index])) {
            return false;
        }
        list.splice(0, list.length, ...order);
        return true;
    }

    /** Items of the catalogue not shown, in catalogue order. */
    hidden(kind) {
        return this.catalogue[kind].filter((name) => !this[kind].includes(name));
    }

    /** The layout as ``save_layout`` expects it. */
    toJSON() {
        return {
            kpis: [...this.kpis],
            panels: [...this.panels],
            refresh_interval: this.refreshInterval,
        };
    }
}

// ---------------------------------------------------------------------------------- charts

/**
 * Chart.js data of the forecast chart: history (blue), forecast (orange) and its 95 % band.
 * The band is two datasets, the upper one filled down to the lower one. The history ends on the
 * forecast's last day of data and the forecast starts the next day: each date is one label.
 * Today's sales so far (``chart.today``, a partial day) are a separate grey point, never a history
 * point; its date is added after the others when no forecast covers it.
 *
 * @param {{history: Array<{date, qty}>, forecast: Array<{date, qty, lower, upper}>,
 *          today?: {date, qty}}} chart
 * @returns {{labels: string[], datasets: Object[]}}
 */
export function forecastChartData(chart) {
    const labels = [...chart.history.map((p) => p.date), ...chart.forecast.map((p) => p.date)];
    const today = chart.today && !labels.includes(chart.today.date) ? [chart.today.date] : [];
    labels.push(...today);
    const pad = (count) => new Array(count).fill(null);
    const nHistory = chart.history.length;
    const nForecast = chart.forecast.length;
    // The forecast line starts at the last history point so that the two lines join.
    const joint = nHistory && nForecast ? [chart.history[nHistory - 1].qty] : [];
    const forecastPad = pad(Math.max(nHistory - joint.length, 0));
    return {
        labels,
        datasets: [
            {
                label: _t("95% interval (low)"),
                data: [...forecastPad, ...joint, ...chart.forecast.map((p) => p.lower)],
                borderColor: "transparent",
                backgroundColor: COLORS.band,
                pointRadius: 0,
                fill: false,
                order: 3,
            },
            {
                label: _t("95% interval"),
                data: [...forecastPad, ...joint, ...chart.forecast.map((p) => p.upper)],
                borderColor: "transparent",
                backgroundColor: COLORS.band,
                pointRadius: 0,
                fill: "-1",
                order: 2,
            },
            {
                label: _t("History"),
                data: [...chart.history.map((p) => p.qty), ...pad(labels.length - nHistory)],
                borderColor: COLORS.history,
                backgroundColor: COLORS.history,
                pointRadius: 0,
                borderWidth: 2,
                fill: false,
                order: 1,
            },
            {
                label: _t("Forecast"),
                data: [...forecastPad, ...joint, ...chart.forecast.map((p) => p.qty)],
                borderColor: COLORS.forecast,
                backgroundColor: COLORS.forecast,
                pointRadius: 0,
                borderWidth: 2,
                fill: false,
                order: 0,
            },
            // The planners' adjusted forecast, only when some day of it is adjusted.
            ...(chart.forecast.some((p) => p.is_adjusted)
                ? [
                      {
                          label: _t("Adjusted forecast"),
                          data: [...forecastPad, ...joint, ...chart.forecast.map((p) => p.adjusted)],
                          borderColor: COLORS.adjusted,
                          backgroundColor: COLORS.adjusted,
                          borderDash: [6, 4],
                          pointRadius: 0,
                          borderWidth: 2,
                          fill: false,
                          order: 0,
                      },
                  ]
                : []),
            ...(chart.today
                ? [
                      {
                          label: _t("Today so far"),
                          data: labels.map((label) =>
                              label === chart.today.date ? chart.today.qty : null
                          ),
                          borderColor: COLORS.partial,
                          backgroundColor: COLORS.partial,
                          pointRadius: 4,
                          showLine: false,
                          order: -1,
                      },
                  ]
                : []),
        ],
    };
}

/**
 * Chart.js data of the sales trend for one interval: quantity (bars, left axis) and revenue
 * (line, right axis).
 *
 * @param {Array<{label: string, qty: number, revenue: number}>} buckets
 */
export function salesTrendChartData(buckets) {
    return {
        labels: buckets.map((b) => b.label),
        datasets: [
            {
                type: "bar",
                label: _t("Quantity"),
                data: buckets.map((b) => b.qty),
                backgroundColor: COLORS.qty,
                yAxisID: "y",
                order: 1,
            },
            {
                type: "line",
                label: _t("Revenue"),
                data: buckets.map((b) => b.revenue),
                borderColor: COLORS.revenue,
                backgroundColor: COLORS.revenue,
                pointRadius: buckets.length > 40 ? 0 : 2,
                yAxisID: "y1",
                order: 0,
            },
        ],
    };
}

/**
 * Chart.js data of one KPI's history.
 *
 * @param {Array<{label?: string, date?: string, value: number}>} points
 * @param {string} label
 */
export function kpiHistoryChartData(points, label) {
    return {
        labels: points.map((p) => p.label || p.date),
        datasets: [
            {
                label,
                data: points.map((p) => p.value),
                borderColor: COLORS.history,
                backgroundColor: COLORS.history,
                pointRadius: points.length > 40 ? 0 : 2,
                fill: false,
            },
        ],
    };
}

/**
 * Points of a KPI history as returned by ``erpconnect.kpi.get_metric``: either a list of points
 * or an object holding them under ``history``/``points``/``series``. Each point gives a date (or
 * label) and a value.
 *
 * @returns {Array<{label: string, value: number}>}
 */
export function metricHistoryPoints(result) {
    const points = Array.isArray(result)
        ? result
        : result?.history || result?.points || result?.series || [];
    return points.map((point) => ({
        label: point.label || point.date || point.period || "",
        value: point.value ?? null,
    }));
}
