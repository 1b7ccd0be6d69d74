import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { patchTranslations, patchWithCleanup } from "@web/../tests/web_test_helpers";
import { localization } from "@web/core/l10n/localization";
import {
    changeFromCurrent,
    formatLevel,
    pointAt,
    policyCurveChartData,
} from "@erpconnect_ai/policy_curve/policy_curve_utils";

const curveClass = {
    abc: "A",
    points: [
        { service_level: 0.9, fill_rate: 0.912, avg_stock_value: 1000, is_current: false },
        { service_level: 0.98, fill_rate: 0.975, avg_stock_value: 1600, is_current: true },
        { service_level: 0.995, fill_rate: 0.991, avg_stock_value: 2500, is_current: false },
    ],
};

describe("erpconnect_ai policy curve utils", () => {
    beforeEach(() => {
        patchTranslations();
        patchWithCleanup(localization, { decimalPoint: ".", thousandsSep: ",", grouping: [3, 0] });
    });

    test("formatLevel", () => {
        expect(formatLevel(0.98)).toBe("98 %");
        expect(formatLevel(0.995)).toBe("99.5 %");
        expect(formatLevel(0.925)).toBe("92.5 %");
    });

    test("chart data: fill rate and target in %, stock value, current point marked", () => {
        const data = policyCurveChartData(curveClass, 0.995);
        expect(data.labels).toEqual(["90 %", "98 %", "99.5 %"]);
        const [fill, target, stock] = data.datasets;
        expect(fill.data).toEqual([91.2, 97.5, 99.1]);
        expect(target.data).toEqual([90, 98, 99.5]);
        expect(stock.data).toEqual([1000, 1600, 2500]);
        expect(fill.pointStyle).toEqual(["circle", "rectRot", "circle"]);
        // Current point 7, selected 6, others 3.
        expect(fill.pointRadius).toEqual([3, 7, 6]);
        expect(stock.yAxisID).toBe("y1");
    });

    test("pointAt and changeFromCurrent", () => {
        expect(pointAt(curveClass, 0.9).service_level).toBe(0.9);
        expect(pointAt(curveClass, null).service_level).toBe(0.98);
        // 99.1 - 97.5 = +1.6 points of fill rate, 2500 - 1600 = +900 of stock.
        expect(changeFromCurrent(curveClass, curveClass.points[2])).toEqual({
            fillRate: 1.6,
            stockValue: 900,
        });
        expect(changeFromCurrent({ points: [curveClass.points[0]] }, curveClass.points[0])).toBe(
            null
        );
    });
});
