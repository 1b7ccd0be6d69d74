/** @odoo-module **/

import { Component, useRef, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { Dialog } from "@web/core/dialog/dialog";
import { useService } from "@web/core/utils/hooks";
import { useSortable } from "@web/core/utils/sortable_owl";
import { LayoutDraft, REFRESH_INTERVALS } from "../dashboard_utils";

/**
 * Dialog where a user picks and orders the KPI cards and panels of their dashboard (from the
 * KPI catalogue and the panel list; drag an item by its handle, or use its arrows), sets the
 * auto-refresh, and saves or resets the layout server-side. Props: ``layout``, ``kpiCatalog``,
 * ``panelCatalog``, ``onSaved(layout)``, ``close``.
 */
export class LayoutEditor extends Component {
    static template = "erpconnect_ai.LayoutEditor";
    static components = { Dialog };
    static props = {
        layout: Object,
        kpiCatalog: Array,
        panelCatalog: Array,
        onSaved: Function,
        close: Function,
    };

    setup() {
        this.orm = useService("orm");
        this.draft = useState(
            new LayoutDraft(this.props.layout, {
                kpis: this.props.kpiCatalog.map((entry) => entry.code),
                panels: this.props.panelCatalog.map((entry) => entry.name),
            })
        );
        this.labels = {
            kpis: Object.fromEntries(this.props.kpiCatalog.map((e) => [e.code, e.name])),
            panels: Object.fromEntries(this.props.panelCatalog.map((e) => [e.name, e.label])),
        };
        this.categories = Object.fromEntries(
            this.props.kpiCatalog.map((e) => [e.code, e.category_name || e.category || ""])
        );
        // Drag and drop within each list (panels, KPI cards), never from one to the other.
        useSortable({
            ref: useRef("lists"),
            groups: ".o_erpconnect_layout_shown",
            elements: ".o_erpconnect_layout_item",
            handle: ".o_erpconnect_layout_handle",
            cursor: "grabbing",
            onDrop: ({ element, next }) => {
                const kind = element.closest("[data-kind]").dataset.kind;
                this.draft.place(kind, element.dataset.name, next ? next.dataset.name : null);
            },
        });
    }

    get sections() {
        return [
            { kind: "panels", title: _t("Panels") },
            { kind: "kpis", title: _t("KPI cards") },
        ];
    }

    get refreshChoices() {
        return REFRESH_INTERVALS.map((seconds) => ({
            seconds,
            label: seconds ? _t("Every %(minutes)s min", { minutes: seconds / 60 }) : _t("Off"),
        }));
    }

    setRefresh(ev) {
        this.draft.refreshInterval = parseInt(ev.target.value, 10) || 0;
    }

    async save() {
        const layout = await this.orm.call("erpconnect.dashboard.layout", "save_layout", [
            this.draft.toJSON(),
        ]);
        await this.props.onSaved(layout);
        this.props.close();
    }

    async reset() {
        const layout = await this.orm.call("erpconnect.dashboard.layout", "reset_layout", []);
        await this.props.onSaved(layout);
        this.props.close();
    }
}
