import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { patchTranslations, patchWithCleanup } from "@web/../tests/web_test_helpers";
import { localization } from "@web/core/l10n/localization";
import {
    buildCsv,
    csvFileName,
    describeChange,
    forecastChartData,
    formatValue,
    LayoutDraft,
    linkToAction,
    metricHistoryPoints,
    salesTrendChartData,
} from "@erpconnect_ai/dashboard/dashboard_utils";

describe("erpconnect_ai dashboard utils", () => {
    beforeEach(() => {
        patchTranslations();
        patchWithCleanup(localization, { decimalPoint: ".", thousandsSep: ",", grouping: [3, 0] });
    });

    test("formatValue by unit", () => {
        expect(formatValue(12.345, "percent")).toBe("12.3 %");
        expect(formatValue(1234, "count")).toBe("1,234");
        expect(formatValue(9999, "days")).toBe("∞");
        expect(formatValue(4.25, "days")).toBe("4.3 d");
        expect(formatValue(null, "count")).toBe("—");
        expect(formatValue(undefined, "currency", 1)).toBe("—");
        expect(formatValue("no data", "count")).toBe("no data");
        expect(formatValue(2.5, "number")).toBe("2.50");
        expect(formatValue(3, "number")).toBe("3");
    });

    test("describeChange colours by direction", () => {
        expect(describeChange(12.34, "higher")).toEqual({
            text: "+12.3 %",
            trend: "up",
            tone: "good",
        });
        expect(describeChange(12.34, "lower")).toEqual({
            text: "+12.3 %",
            trend: "up",
            tone: "bad",
        });
        expect(describeChange(-5, "lower")).toEqual({ text: "−5.0 %", trend: "down", tone: "good" });
        expect(describeChange(0.01, "higher").trend).toBe("flat");
        expect(describeChange(null).trend).toBe("none");
    });

    test("buildCsv quotes what needs quoting", () => {
        const csv = buildCsv(
            [
                { name: "name", label: "Product" },
                { name: "qty", label: "Quantity" },
                { name: "vendor", label: "Vendor" },
            ],
            [
                { name: 'Desk "XL", oak', qty: 3, vendor: [7, "Wood Corp"] },
                { name: "Lamp", qty: 0, vendor: false },
            ]
        );
        expect(csv).toBe(
            'Product,Quantity,Vendor\r\n"Desk ""XL"", oak",3,Wood Corp\r\nLamp,0,\r\n'
        );
        expect(csvFileName("anomalies", new Date("2026-03-15T10:00:00Z"))).toBe(
            "erpconnect_anomalies_2026-03-15.csv"
        );
    });

    test("LayoutDraft toggles, moves and serialises", () => {
        const draft = new LayoutDraft(
            { kpis: ["a", "gone"], panels: ["p1", "p2"], refresh_interval: 42 },
            { kpis: ["a", "b", "c"], panels: ["p1", "p2", "p3"] }
        );
        // Unknown codes are dropped, an invalid interval falls back to "off".
        expect(draft.toJSON()).toEqual({ kpis: ["a"], panels: ["p1", "p2"], refresh_interval: 0 });
        expect(draft.hidden("kpis")).toEqual(["b", "c"]);
        draft.toggle("kpis", "c");
        draft.toggle("kpis", "b");
        expect(draft.kpis).toEqual(["a", "c", "b"]);
        expect(draft.move("kpis", "b", -1)).toBe(true);
        expect(draft.kpis).toEqual(["a", "b", "c"]);
        expect(draft.move("kpis", "a", -1)).toBe(false);
        // Dropped before another item, or last
        expect(draft.place("kpis", "c", "a")).toBe(true);
        expect(draft.kpis).toEqual(["c", "a", "b"]);
        expect(draft.place("kpis", "c", null)).toBe(true);
        expect(draft.kpis).toEqual(["a", "b", "c"]);
        expect(draft.place("kpis", "a", "b")).toBe(false); // already just before it
        expect(draft.place("kpis", "b", "nope")).toBe(false);
        expect(draft.kpis).toEqual(["a", "b", "c"]);
        draft.toggle("panels", "p1");
        expect(draft.panels).toEqual(["p2"]);
        expect(draft.isShown("panels", "p1")).toBe(false);
        expect(() => draft.toggle("panels", "nope")).toThrow();
        draft.refreshInterval = 300;
        expect(draft.toJSON().refresh_interval).toBe(300);
    });

    test("forecastChartData joins history and forecast with a band", () => {
        const data = forecastChartData({
            history: [
                { date: "2026-03-14", qty: 4 },
                { date: "2026-03-15", qty: 6 },
            ],
            forecast: [
                { date: "2026-03-16", qty: 5, lower: 2, upper: 8 },
                { date: "2026-03-17", qty: 5, lower: 1, upper: 9 },
            ],
        });
        expect(data.labels).toEqual(["2026-03-14", "2026-03-15", "2026-03-16", "2026-03-17"]);
        const [low, high, history, forecast] = data.datasets;
        expect(history.data).toEqual([4, 6, null, null]);
        // The forecast and its band start at the last history point.
        expect(forecast.data).toEqual([null, 6, 5, 5]);
        expect(low.data).toEqual([null, 6, 2, 1]);
        expect(high.data).toEqual([null, 6, 8, 9]);
        expect(high.fill).toBe("-1");
        expect(history.borderColor).not.toBe(forecast.borderColor);
        expect(data.datasets.length).toBe(4);
    });

    test("forecastChartData draws the adjusted forecast only where a planner adjusted it", () => {
        const forecast = [
            { date: "2026-03-16", qty: 5, lower: 2, upper: 8, adjusted: 10, is_adjusted: true },
            { date: "2026-03-17", qty: 5, lower: 1, upper: 9, adjusted: 5, is_adjusted: false },
        ];
        const history = [{ date: "2026-03-15", qty: 6 }];
        const data = forecastChartData({ history, forecast });
        expect(data.datasets.length).toBe(5);
        const adjusted = data.datasets[4];
        // it starts at the last history point, like the statistical forecast
        expect(adjusted.data).toEqual([6, 10, 5]);
        expect(adjusted.borderDash).toEqual([6, 4]);
        const plain = forecast.map((p) => ({ ...p, adjusted: p.qty, is_adjusted: false }));
        expect(forecastChartData({ history, forecast: plain }).datasets.length).toBe(4);
    });

    test("forecastChartData shows today's partial sales apart", () => {
        const chart = {
            history: [{ date: "2026-03-14", qty: 4 }],
            forecast: [
                { date: "2026-03-15", qty: 5, lower: 2, upper: 8 },
                { date: "2026-03-16", qty: 5, lower: 1, upper: 9 },
            ],
            today: { date: "2026-03-15", qty: 2 },
        };
        const data = forecastChartData(chart);
        // no date twice: today is the forecast's first day, its sales a point of their own
        expect(data.labels).toEqual(["2026-03-14", "2026-03-15", "2026-03-16"]);
        const [, , history, , today] = data.datasets;
        expect(history.data).toEqual([4, null, null]);
        expect(today.data).toEqual([null, 2, null]);
        expect(today.showLine).toBe(false);
        // without a forecast, today comes after the history
        const alone = forecastChartData({ history: chart.history, forecast: [], today: chart.today });
        expect(alone.labels).toEqual(["2026-03-14", "2026-03-15"]);
        expect(alone.datasets[2].data).toEqual([4, null]);
        expect(alone.datasets[4].data).toEqual([null, 2]);
    });

    test("salesTrendChartData and metricHistoryPoints", () => {
        const data = salesTrendChartData([
            { label: "2026-W10", qty: 3, revenue: 30 },
            { label: "2026-W11", qty: 5, revenue: 80 },
        ]);
        expect(data.labels).toEqual(["2026-W10", "2026-W11"]);
        expect(data.datasets.map((d) => d.data)).toEqual([
            [3, 5],
            [30, 80],
        ]);
        expect(metricHistoryPoints([{ date: "2026-03-01", value: 2 }])).toEqual([
            { label: "2026-03-01", value: 2 },
        ]);
        expect(metricHistoryPoints({ history: [{ label: "W1", value: 1 }] })).toEqual([
            { label: "W1", value: 1 },
        ]);
    });

    test("linkToAction", () => {
        expect(linkToAction(null)).toBe(null);
        const action = { type: "ir.actions.act_window", res_model: "x" };
        expect(linkToAction(action)).toBe(action);
        expect(
            linkToAction({ res_model: "product.product", domain: [["id", "in", [1]]], name: "P" })
        ).toEqual({
            type: "ir.actions.act_window",
            name: "P",
            res_model: "product.product",
            domain: [["id", "in", [1]]],
            context: {},
            views: [
                [false, "list"],
                [false, "form"],
            ],
            target: "current",
        });
    });
});
