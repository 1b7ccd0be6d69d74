/** @odoo-module **/

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { PERIODS } from "../dashboard_utils";

/** The 7 / 30 / 90 days switch. Props: ``value`` (days) and ``onChange(days)``. */
export class PeriodSelector extends Component {
    static template = "erpconnect_ai.PeriodSelector";
    static props = { value: Number, onChange: Function };

    get periods() {
        return PERIODS.map((days) => ({ days, label: _t("%(days)s days", { days }) }));
    }
}
