/** @odoo-module **/

import { registry } from "@web/core/registry";

const SCREEN = ".o_erpconnect_policy_curve";

registry.category("web_tour.tours").add("erpconnect_policy_curve_admin_tour", {
    steps: () => [
        {
            content: "Each class has its chart drawn",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='A'] canvas`,
        },
        {
            content: "Class B has its chart too",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='B'] canvas`,
        },
        {
            content: "Pick the 90 % point of class A",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='A'] .o_erpconnect_curve_point[data-level='0.9']`,
            run: "click",
        },
        {
            content: "What it changes against the current setting is said",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='A'] .o_erpconnect_curve_change`,
        },
        {
            content: "Apply it",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='A'] .o_erpconnect_curve_apply:enabled`,
            run: "click",
        },
        {
            content: "The settings say so",
            trigger: ".o_notification:contains('Class A now targets 90 %')",
        },
    ],
});

registry.category("web_tour.tours").add("erpconnect_policy_curve_viewer_tour", {
    steps: () => [
        {
            content: "The viewer sees the curves",
            trigger: `${SCREEN} .o_erpconnect_curve_class[data-abc='A'] canvas`,
        },
        {
            content: "but cannot apply a point",
            trigger: `${SCREEN}:not(:has(.o_erpconnect_curve_apply))`,
        },
    ],
});
