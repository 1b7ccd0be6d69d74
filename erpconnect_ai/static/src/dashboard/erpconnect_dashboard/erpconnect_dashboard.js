/** @odoo-module **/

import { Component, onWillStart, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { registry } from "@web/core/registry";
import { useService } from "@web/core/utils/hooks";
import { useSetupAction } from "@web/search/action_hook";
import { standardActionServiceProps } from "@web/webclient/actions/action_service";
import { AnalysisStatus } from "../analysis_status/analysis_status";
import { AnomalyList } from "../anomaly_list/anomaly_list";
import { ForecastChart } from "../forecast_chart/forecast_chart";
import { KpiCard } from "../kpi_card/kpi_card";
import { KpiHistoryChart } from "../kpi_history_chart/kpi_history_chart";
import { LayoutEditor } from "../layout_editor/layout_editor";
import { PeriodSelector } from "../period_selector/period_selector";
import { ReplenishmentTable } from "../replenishment_table/replenishment_table";
import { SalesTrendChart } from "../sales_trend_chart/sales_trend_chart";
import { SegmentMatrix } from "../segment_matrix/segment_matrix";
import { StockStatus } from "../stock_status/stock_status";
import { TopProducts } from "../top_products/top_products";

/**
 * The ERPConnect AI decision dashboard (client action ``erpconnect_ai.dashboard``). Loads
 * everything with one call to ``erpconnect.dashboard.get_dashboard_data(days)``, shows the KPI
 * cards and panels of the user's layout in its order, refreshes itself when the layout asks.
 */
export class ErpconnectDashboard extends Component {
    static template = "erpconnect_ai.Dashboard";
    static components = {
        AnalysisStatus,
        AnomalyList,
        ForecastChart,
        KpiCard,
        KpiHistoryChart,
        PeriodSelector,
        ReplenishmentTable,
        SalesTrendChart,
        SegmentMatrix,
        StockStatus,
        TopProducts,
    };
    static props = { ...standardActionServiceProps };

    setup() {
        this.orm = useService("orm");
        this.dialog = useService("dialog");
        this.notification = useService("notification");
        const saved = this.props.state || {};
        this.state = useState({
            days: saved.days || 30,
            data: null,
            productId: saved.productId || 0,
            kpiCode: null,
            loading: false,
        });
        this.refreshTimer = null;
        useSetupAction({
            getLocalState: () => ({ days: this.state.days, productId: this.state.productId }),
        });
        onWillStart(() => this.load());
        onWillUnmount(() => this.stopAutoRefresh());
    }

    get data() {
        return this.state.data;
    }

    async load(days = this.state.days) {
        this.state.loading = true;
        const data = await this.orm.call("erpconnect.dashboard", "get_dashboard_data", [], { days });
        Object.assign(this.state, { data, days: data.days, loading: false });
        if (!this.state.productId && data.forecast.products.length) {
            this.state.productId = data.forecast.products[0].id;
        }
        this.scheduleAutoRefresh(data.layout.refresh_interval);
    }

    // -------------------------------------------------------------------- auto-refresh

    scheduleAutoRefresh(seconds) {
        this.stopAutoRefresh();
        if (seconds > 0) {
            this.refreshTimer = setTimeout(() => this.load(), seconds * 1000);
        }
    }

    stopAutoRefresh() {
        if (this.refreshTimer) {
            clearTimeout(this.refreshTimer);
            this.refreshTimer = null;
        }
    }

    // -------------------------------------------------------------------- handlers

    onPeriodChange = (days) => this.load(days);

    onSelectProduct = (productId) => {
        this.state.productId = productId;
    };

    onKpiClick = (kpi) => {
        this.state.kpiCode = this.state.kpiCode === kpi.code ? null : kpi.code;
    };

    closeKpiHistory = () => {
        this.state.kpiCode = null;
    };

    reload = () => this.load();

    runAnalysis = async () => {
        const action = await this.orm.call("erpconnect.run", "action_run_analysis", [[]]);
        if (action?.tag === "display_notification") {
            // A big catalogue: the run was queued for the cron worker.
            const { title, message } = action.params;
            this.notification.add(message, { title, type: "info" });
        } else {
            this.notification.add(_t("Analysis finished."), { type: "success" });
        }
        await this.load();
    };

    openLayoutEditor() {
        this.dialog.add(LayoutEditor, {
            layout: this.data.layout,
            kpiCatalog: this.data.kpi_catalog,
            panelCatalog: this.data.panel_catalog,
            onSaved: () => this.load(),
        });
    }

    // -------------------------------------------------------------------- rendering helpers

    get selectedKpi() {
        return this.data.kpis.find((kpi) => kpi.code === this.state.kpiCode);
    }

    /** Component and props of each panel of the layout, in the layout's order. */
    get panels() {
        const data = this.data;
        const common = { onSelectProduct: this.onSelectProduct };
        const factories = {
            sales_trend: () => [SalesTrendChart, { section: data.sales_trend, currencyId: data.currency_id }],
            top_products: () => [
                TopProducts,
                { section: data.top_products, currencyId: data.currency_id, ...common },
            ],
            stock_status: () => [StockStatus, { section: data.stock_status }],
            forecast: () => [
                ForecastChart,
                { section: data.forecast, productId: this.state.productId, ...common },
            ],
            replenishment: () => [
                ReplenishmentTable,
                {
                    section: data.replenishment,
                    isManager: data.is_manager,
                    onChanged: this.reload,
                    ...common,
                },
            ],
            segment_matrix: () => [SegmentMatrix, { section: data.segment_matrix }],
            anomalies: () => [AnomalyList, { section: data.anomalies, ...common }],
        };
        return data.layout.panels
            .filter((name) => factories[name])
            .map((name) => {
                const [component, props] = factories[name]();
                return { name, component, props };
            });
    }
}

registry.category("actions").add("erpconnect_ai.dashboard", ErpconnectDashboard);
