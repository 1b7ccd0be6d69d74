/** @odoo-module **/

import { Component, onWillStart, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { downloadFile } from "@web/core/network/download";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { buildCsv, csvFileName, formatValue } from "../dashboard_utils";
import { KpiCard } from "../kpi_card/kpi_card";
import { KpiHistoryChart } from "../kpi_history_chart/kpi_history_chart";
import { PeriodSelector } from "../period_selector/period_selector";

/**
 * The whole KPI catalogue with values and changes, grouped by category (client action
 * ``erpconnect_ai.kpis``); clicking a KPI shows its history. Reuses the dashboard's KPI card
 * and history chart.
 */
export class ErpconnectKpis extends Component {
    static template = "erpconnect_ai.Kpis";
    static components = { KpiCard, KpiHistoryChart, PeriodSelector };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        const saved = this.props.state || {};
        this.state = useState({ days: saved.days || 30, data: null, kpiCode: saved.kpiCode || null });
        useSetupAction({
            getLocalState: () => ({ days: this.state.days, kpiCode: this.state.kpiCode }),
        });
        onWillStart(() => this.load());
    }

    async load(days = this.state.days) {
        const data = await this.orm.call("erpconnect.dashboard", "get_kpi_overview", [], { days });
        Object.assign(this.state, { data, days: data.days });
    }

    onPeriodChange = (days) => this.load(days);

    onKpiClick = (kpi) => {
        this.state.kpiCode = this.state.kpiCode === kpi.code ? null : kpi.code;
    };

    closeHistory = () => {
        this.state.kpiCode = null;
    };

    /** KPIs grouped by category, in catalogue order. */
    get categories() {
        const groups = [];
        const byName = {};
        for (const kpi of this.state.data.kpis) {
            const name = kpi.category_name || kpi.category || _t("Other");
            if (!byName[name]) {
                byName[name] = { name, kpis: [] };
                groups.push(byName[name]);
            }
            byName[name].kpis.push(kpi);
        }
        return groups;
    }

    get selectedKpi() {
        return this.state.data.kpis.find((kpi) => kpi.code === this.state.kpiCode);
    }

    exportCsv() {
        const currencyId = this.state.data.currency_id;
        const rows = this.state.data.kpis.map((kpi) => ({
            ...kpi,
            value_text: formatValue(kpi.value, kpi.unit, currencyId),
        }));
        const columns = [
            { name: "code", label: _t("Code") },
            { name: "name", label: _t("Indicator") },
            { name: "category_name", label: _t("Category") },
            { name: "unit", label: _t("Unit") },
            { name: "value", label: _t("Value") },
            { name: "previous", label: _t("Previous period") },
            { name: "change", label: _t("Change (points for percentages)") },
            { name: "change_pct", label: _t("Change %") },
            { name: "value_text", label: _t("Displayed value") },
        ];
        downloadFile(buildCsv(columns, rows), csvFileName("kpis"), "text/csv");
    }
}

registry.category("actions").add("erpconnect_ai.kpis", ErpconnectKpis);
