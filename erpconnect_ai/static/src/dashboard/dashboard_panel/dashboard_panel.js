/** @odoo-module **/

import { Component } from "@odoo/owl";
import { downloadFile } from "@web/core/network/download";
import { useService } from "@web/core/utils/hooks";
import { buildCsv, csvFileName, linkToAction } from "../dashboard_utils";

/**
 * The frame of a dashboard panel: title, "open the records" link, CSV export of its table and
 * the explanation shown instead of the body when the panel has no data.
 *
 * Props: ``name`` (panel name, used for the CSS class and CSV file), ``title``, ``section``
 * (``{available, message}`` from the server), optional ``link`` (records behind the panel) and
 * ``csv`` (``{columns: [{name, label}], rows: [Object]}``).
 */
export class DashboardPanel extends Component {
    static template = "erpconnect_ai.DashboardPanel";
    static props = {
        name: String,
        title: String,
        section: { type: Object, optional: true },
        link: { type: [Object, { value: null }], optional: true },
        csv: { type: Object, optional: true },
        slots: { type: Object, optional: true },
    };

    setup() {
        this.action = useService("action");
    }

    get available() {
        return !this.props.section || this.props.section.available;
    }

    openLink() {
        this.action.doAction(linkToAction(this.props.link));
    }

    exportCsv() {
        const { columns, rows } = this.props.csv;
        downloadFile(buildCsv(columns, rows), csvFileName(this.props.name), "text/csv");
    }
}
