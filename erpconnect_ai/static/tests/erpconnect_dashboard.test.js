import { defineMailModels } from "@mail/../tests/mail_test_helpers";
import { describe, expect, test } from "@odoo/hoot";
import { animationFrame } from "@odoo/hoot-mock";
import {
    contains,
    getService,
    mountWithCleanup,
    onRpc,
    patchWithCleanup,
} from "@web/../tests/web_test_helpers";
import { WebClient } from "@web/webclient/webclient";

defineMailModels();

/** A dashboard answer with the panels that need no chart. */
function dashboardData({ isManager }) {
    const cell = (abc, xyz) => ({
        id: 1,
        abc,
        xyz,
        segment: abc + xyz,
        product_count: abc === "A" && xyz === "X" ? 4 : 1,
        revenue: 10,
        revenue_share: abc === "A" && xyz === "X" ? 0.5 : 0.0625,
        recommendation: "Keep in stock",
        link: {
            type: "ir.actions.act_window",
            res_model: "product.product",
            domain: [["erpconnect_segment_cell_ids", "in", [1]]],
            views: [[false, "list"]],
        },
    });
    return {
        days: 30,
        period: { date_from: "2026-02-14", date_to: "2026-03-15" },
        company_id: 1,
        currency_id: 1,
        is_manager: isManager,
        layout: {
            kpis: ["order_count", "late_delivery_rate"],
            panels: ["replenishment", "segment_matrix", "stock_status", "anomalies"],
            refresh_interval: 0,
            is_default: true,
        },
        kpi_catalog: [
            { code: "order_count", name: "Orders", category_name: "Orders" },
            { code: "late_delivery_rate", name: "Late deliveries", category_name: "Orders" },
            { code: "stock_value", name: "Stock value", category_name: "Inventory" },
        ],
        panel_catalog: ["replenishment", "segment_matrix", "stock_status", "anomalies"].map(
            (name) => ({ name, label: name })
        ),
        analysis: {
            available: true,
            has_results: true,
            message: "",
            last_run: { date: "2026-03-15 02:00:00", status: "done", message: "" },
            health: {},
        },
        kpis: [
            {
                code: "order_count",
                name: "Orders",
                unit: "count",
                direction: "higher",
                value: 10,
                previous: 8,
                change: 2,
                change_pct: 25,
            },
            {
                code: "late_delivery_rate",
                name: "Late deliveries",
                unit: "percent",
                direction: "lower",
                value: 12,
                previous: 8,
                change: 4,
                change_pct: null, // a percentage changes in points (get_metrics)
            },
        ],
        sales_trend: { available: false, message: "", series: {} },
        top_products: { available: false, message: "", by_qty: [], by_revenue: [] },
        stock_status: {
            available: true,
            message: "",
            total: 4,
            rows: ["out", "low", "adequate", "overstock"].map((key) => ({
                key,
                label: key,
                count: 1,
                link: null,
            })),
        },
        forecast: { available: false, message: "", products: [] },
        replenishment: {
            available: true,
            message: "",
            total: 1,
            counts: [{ urgency: "ORDER_NOW", label: "Order now", count: 1 }],
            link: null,
            rows: [
                {
                    id: 7,
                    product_id: 3,
                    product_name: "Desk",
                    vendor_name: "Wood Corp",
                    on_hand: 2,
                    reorder_point: 10,
                    suggested_qty: 18,
                    days_of_coverage: 1.5,
                    urgency: "ORDER_NOW",
                    urgency_label: "Order now",
                    link: null,
                },
            ],
        },
        segment_matrix: {
            available: true,
            message: "",
            cells: ["A", "B", "C"].flatMap((abc) => ["X", "Y", "Z"].map((xyz) => cell(abc, xyz))),
        },
        anomalies: { available: false, message: "No abnormal sales day.", rows: [], total: 0 },
    };
}

describe("erpconnect_ai dashboard", () => {
    test("manager sees Apply/RFQ and applying calls the model", async () => {
        onRpc("erpconnect.dashboard", "get_dashboard_data", ({ kwargs }) => {
            expect.step(`load ${kwargs.days}`);
            return dashboardData({ isManager: true });
        });
        onRpc("erpconnect.replenishment", "action_apply_to_reorder_rules", ({ args }) => {
            expect.step(`apply ${args[0]}`);
            return true;
        });
        await mountWithCleanup(WebClient);
        await getService("action").doAction("erpconnect_ai.dashboard");
        expect(".o_erpconnect_dashboard").toHaveCount(1);
        expect(".o_erpconnect_apply").toHaveCount(1);
        expect(".o_erpconnect_rfq").toHaveCount(1);
        expect(".o_erpconnect_run_analysis").toHaveCount(1);
        expect(".o_erpconnect_replenishment_row .badge.o_erpconnect_urgency_now").toHaveText(
            "Order now"
        );
        // Panels follow the layout's order.
        expect(
            [...document.querySelectorAll(".o_erpconnect_panel")].map((el) => el.dataset.panel)
        ).toEqual(["replenishment", "segment_matrix", "stock_status", "anomalies"]);
        await contains(".o_erpconnect_apply").click();
        await animationFrame();
        expect.verifySteps(["load 30", "apply 7", "load 30"]);
    });

    test("viewer sees no action buttons; the period switch reloads", async () => {
        onRpc("erpconnect.dashboard", "get_dashboard_data", ({ kwargs }) => {
            expect.step(`load ${kwargs.days}`);
            return { ...dashboardData({ isManager: false }), days: kwargs.days };
        });
        await mountWithCleanup(WebClient);
        await getService("action").doAction("erpconnect_ai.dashboard");
        expect(".o_erpconnect_apply").toHaveCount(0);
        expect(".o_erpconnect_rfq").toHaveCount(0);
        expect(".o_erpconnect_run_analysis").toHaveCount(0);
        // KPI cards: value, change, coloured by whether the change is good news.
        expect(".o_erpconnect_kpi_card[data-kpi=order_count] .o_erpconnect_kpi_value").toHaveText(
            "10"
        );
        expect(".o_erpconnect_kpi_card[data-kpi=order_count] .o_erpconnect_change_good").toHaveText(
            "+25.0 %"
        );
        // 8 % → 12 % late deliveries: 4 percentage points worse, not "+50 %"
        expect(
            ".o_erpconnect_kpi_card[data-kpi=late_delivery_rate] .o_erpconnect_change_bad"
        ).toHaveText("+4.0 pp");
        expect(".o_erpconnect_panel_anomalies .o_erpconnect_panel_empty").toHaveText(
            "No abnormal sales day."
        );
        await contains(".o_erpconnect_period_selector button[data-days='90']").click();
        expect(".o_erpconnect_dashboard").toHaveAttribute("data-days", "90");
        expect.verifySteps(["load 30", "load 90"]);
    });

    test("a matrix cell opens its products", async () => {
        onRpc("erpconnect.dashboard", "get_dashboard_data", () =>
            dashboardData({ isManager: false })
        );
        await mountWithCleanup(WebClient);
        const actionService = getService("action");
        patchWithCleanup(actionService, {
            doAction(action, options) {
                if (action.res_model === "product.product") {
                    expect.step(JSON.stringify(action.domain));
                    return;
                }
                return super.doAction(action, options);
            },
        });
        await actionService.doAction("erpconnect_ai.dashboard");
        expect(".o_erpconnect_matrix_cell").toHaveCount(9);
        expect(".o_erpconnect_matrix_cell[data-segment='AX'] .o_erpconnect_matrix_count").toHaveText(
            "4"
        );
        await contains(".o_erpconnect_matrix_cell[data-segment='AX']").click();
        expect.verifySteps(['[["erpconnect_segment_cell_ids","in",[1]]]']);
    });

    test("the layout editor saves the chosen cards and panels", async () => {
        onRpc("erpconnect.dashboard", "get_dashboard_data", () =>
            dashboardData({ isManager: false })
        );
        onRpc("erpconnect.dashboard.layout", "save_layout", ({ args }) => {
            expect.step(JSON.stringify(args[0]));
            return { ...args[0], is_default: false };
        });
        await mountWithCleanup(WebClient);
        await getService("action").doAction("erpconnect_ai.dashboard");
        await contains(".o_erpconnect_customize").click();
        // Hide the replenishment panel, add the stock value card, move it first, refresh 5 min.
        await contains(
            "[data-kind=panels] li[data-name=replenishment] .o_erpconnect_layout_hide"
        ).click();
        await contains("[data-kind=kpis] .o_erpconnect_layout_add[data-name=stock_value]").click();
        await contains("[data-kind=kpis] li[data-name=stock_value] button[title='Move up']").click();
        await contains(".o_erpconnect_refresh").select("300");
        await contains(".o_erpconnect_layout_save").click();
        expect.verifySteps([
            JSON.stringify({
                kpis: ["order_count", "stock_value", "late_delivery_rate"],
                panels: ["segment_matrix", "stock_status", "anomalies"],
                refresh_interval: 300,
            }),
        ]);
    });

    test("the layout editor orders by drag and drop, within a list only", async () => {
        onRpc("erpconnect.dashboard", "get_dashboard_data", () =>
            dashboardData({ isManager: false })
        );
        onRpc("erpconnect.dashboard.layout", "save_layout", ({ args }) => {
            expect.step(JSON.stringify(args[0]));
            return { ...args[0], is_default: false };
        });
        await mountWithCleanup(WebClient);
        await getService("action").doAction("erpconnect_ai.dashboard");
        await contains(".o_erpconnect_customize").click();
        // A panel dropped on the next one goes after it; a card dropped on a panel stays among
        // the cards, where it was.
        await contains(
            "[data-kind=panels] li[data-name=segment_matrix] .o_erpconnect_layout_handle"
        ).dragAndDrop("[data-kind=panels] li[data-name=stock_status]");
        await contains(
            "[data-kind=kpis] li[data-name=order_count] .o_erpconnect_layout_handle"
        ).dragAndDrop("[data-kind=panels] li[data-name=anomalies]");
        await contains(".o_erpconnect_layout_save").click();
        expect.verifySteps([
            JSON.stringify({
                kpis: ["order_count", "late_delivery_rate"],
                panels: ["replenishment", "stock_status", "segment_matrix", "anomalies"],
                refresh_interval: 0,
            }),
        ]);
    });
});
