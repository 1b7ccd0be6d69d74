/** @odoo-module **/

import { Component, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { deserializeDateTime, formatDateTime } from "@web/core/l10n/dates";

/**
 * "Last analysis" timestamp and status, the manager's Run analysis button, and — while there is
 * no result yet — the empty state that explains how to run the first analysis.
 * Props: ``analysis`` (server ``analysis``: has_results, message, last_run {date, status,
 * message}), ``isManager``, ``onRun()`` (runs the analysis and reloads).
 */
export class AnalysisStatus extends Component {
    static template = "erpconnect_ai.AnalysisStatus";
    static props = { analysis: Object, isManager: Boolean, onRun: Function, compact: { type: Boolean, optional: true } };

    setup() {
        this.state = useState({ running: false });
    }

    get lastRun() {
        return this.props.analysis.last_run;
    }

    get lastRunDate() {
        const date = this.lastRun?.date;
        return date ? formatDateTime(deserializeDateTime(date)) : "";
    }

    get statusLabel() {
        const status = this.lastRun?.status;
        return (
            {
                done: _t("Succeeded"),
                failed: _t("Failed"),
                running: _t("Running"),
                queued: _t("Queued"),
            }[status] || status || ""
        );
    }

    get statusClass() {
        return (
            {
                done: "text-bg-success",
                failed: "text-bg-danger",
                running: "text-bg-info",
                queued: "text-bg-info",
            }[this.lastRun?.status] || "text-bg-secondary"
        );
    }

    async run() {
        this.state.running = true;
        try {
            await this.props.onRun();
        } finally {
            this.state.running = false;
        }
    }
}
