/** @odoo-module **/

import { registry } from "@web/core/registry";

const DASHBOARD = ".o_erpconnect_dashboard";

function switchPeriod(days) {
    return [
        {
            content: `Show the last ${days} days`,
            trigger: `.o_erpconnect_period_selector button[data-days='${days}']`,
            run: "click",
        },
        {
            content: `The dashboard shows ${days} days`,
            trigger: `${DASHBOARD}[data-days='${days}'] .o_erpconnect_panel_sales_trend canvas`,
        },
    ];
}

registry.category("web_tour.tours").add("erpconnect_dashboard_manager_tour", {
    steps: () => [
        {
            content: "The dashboard is open with its last analysis",
            trigger: `${DASHBOARD} .o_erpconnect_last_run_status`,
        },
        ...switchPeriod(7),
        ...switchPeriod(90),
        ...switchPeriod(30),
        {
            content: "Pick a product for the forecast chart",
            trigger: ".o_erpconnect_product_picker",
            run: "selectByIndex 2",
        },
        {
            content: "Its history and forecast are drawn",
            trigger: ".o_erpconnect_panel_forecast .o_erpconnect_chart canvas",
        },
        {
            content: "Open a segment of the ABC/XYZ matrix",
            trigger: ".o_erpconnect_matrix_cell:not([data-count='0'])",
            run() {
                window.erpconnectTourSegment = this.anchor.dataset.segment;
                this.anchor.click();
            },
        },
        {
            content: "The product list shows the products of that segment only",
            trigger: ".o_list_view .o_data_row td[name=erpconnect_segment]",
            run() {
                const segments = [
                    ...document.querySelectorAll(".o_data_row td[name=erpconnect_segment]"),
                ].map((td) => td.textContent.trim());
                const expected = window.erpconnectTourSegment;
                if (!segments.length || segments.some((segment) => segment !== expected)) {
                    throw new Error(`Expected only segment ${expected}, got ${segments}`);
                }
            },
        },
        {
            content: "Back to the dashboard",
            trigger: ".o_breadcrumb .breadcrumb-item a",
            run: "click",
        },
        {
            content: "Apply the most urgent suggestion",
            trigger: `${DASHBOARD} .o_erpconnect_replenishment_row:first .o_erpconnect_apply`,
            run: "click",
        },
        {
            content: "The reorder rule is updated",
            trigger: ".o_notification .o_notification_bar.bg-success",
        },
    ],
});

registry.category("web_tour.tours").add("erpconnect_dashboard_viewer_tour", {
    steps: () => [
        {
            content: "The dashboard shows the suggestions",
            trigger: `${DASHBOARD} .o_erpconnect_replenishment_row`,
        },
        {
            content: "A viewer has no action buttons",
            trigger: `${DASHBOARD}:not(:has(.o_erpconnect_apply, .o_erpconnect_rfq, .o_erpconnect_run_analysis))`,
        },
        ...switchPeriod(90),
    ],
});
