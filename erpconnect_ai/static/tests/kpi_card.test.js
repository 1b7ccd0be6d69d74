import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { beforeEach, describe, expect, test } from "@odoo/hoot";
import { mountWithCleanup, patchTranslations, patchWithCleanup } from "@web/../tests/web_test_helpers";
import { localization } from "@web/core/l10n/localization";
import { KpiCard } from "@erpconnect_ai/dashboard/kpi_card/kpi_card";

// The web client's services of the installed addons (mail's among them) start with the card.
defineMailModels();

/**
 * What a KPI card reads for entries of ``erpconnect.kpi.get_metrics`` made by hand (issue 14,
 * items 9 to 11): the values are those the server computes for these cases
 * (tests/test_kpi_formulas.py).
 */
async function card(kpi) {
    await mountWithCleanup(KpiCard, {
        props: { kpi: { name: kpi.code, direction: "higher", ...kpi } },
    });
    const selector = `.o_erpconnect_kpi_card[data-kpi=${kpi.code}]`;
    return {
        value: `${selector} .o_erpconnect_kpi_value`,
        change: `${selector} .o_erpconnect_kpi_change`,
    };
}

describe("erpconnect_ai KPI card", () => {
    beforeEach(() => {
        patchTranslations();
        patchWithCleanup(localization, { decimalPoint: ".", thousandsSep: ",", grouping: [3, 0] });
    });

    test("a mean sMAPE of 0.9 reads 90 %, not 0.9 %", async () => {
        // the server turns the stored fraction 0.9 into the percentage 90 (item 9); no previous
        // value: the error is known for today only
        const { value, change } = await card({
            code: "forecast_accuracy_smape",
            unit: "percent",
            direction: "lower",
            value: 90,
            previous: null,
            change: null,
            change_pct: null,
        });
        expect(value).toHaveText("90.0 %");
        expect(change).toHaveText("vs no data");
    });

    test("a percentage changes in percentage points", async () => {
        // order growth from 0.3 % to 4.4 %: +4.1 points (item 10), not +1,366.7 %
        const { value, change } = await card({
            code: "order_growth",
            unit: "percent",
            value: 4.4,
            previous: 0.3,
            change: 4.1,
            change_pct: null,
        });
        expect(value).toHaveText("4.4 %");
        expect(change).toHaveText("+4.1 pp vs 0.3 %");
        expect(`${change} .o_erpconnect_change_good`).toHaveCount(1);
    });

    test("a worse rate is bad news in points too", async () => {
        const { change } = await card({
            code: "late_delivery_rate",
            unit: "percent",
            direction: "lower",
            value: 66.6667,
            previous: 50,
            change: 16.6667,
            change_pct: null,
        });
        expect(change).toHaveText("+16.7 pp vs 50.0 %");
        expect(`${change} .o_erpconnect_change_bad`).toHaveCount(1);
    });

    test("other units keep their change in %", async () => {
        const { value, change } = await card({
            code: "revenue_total",
            unit: "currency",
            value: 2920,
            previous: 1300,
            change: 1620,
            change_pct: 124.6154,
        });
        // (no currency given: the amount alone)
        expect(value).toHaveText("2,920");
        expect(change).toHaveText("+124.6 % vs 1,300");
    });

    test("a previous period without data reads 'no data', a real 0 reads 0", async () => {
        // Total products 192 vs no data: no product existed at the end of the previous period
        // (item 11)
        const first = await card({
            code: "product_count",
            unit: "count",
            value: 192,
            previous: null,
            change: null,
            change_pct: null,
        });
        expect(first.value).toHaveText("192");
        expect(first.change).toHaveText("vs no data");
        // Out of stock 1 vs 0: there was data, and nothing out of stock
        const second = await card({
            code: "out_of_stock_count",
            unit: "count",
            direction: "lower",
            value: 1,
            previous: 0,
            change: 1,
            change_pct: null,
        });
        expect(second.change).toHaveText("vs 0");
    });
});
