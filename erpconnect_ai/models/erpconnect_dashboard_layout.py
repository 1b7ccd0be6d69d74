from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError

from .arguments import check_viewer

# Panels the dashboard can show, in their default order. The KPI cards row is not a panel: it is
# the ``kpis`` list of the layout.
PANELS = (
    "sales_trend",
    "top_products",
    "stock_status",
    "forecast",
    "replenishment",
    "segment_matrix",
    "anomalies",
)
# Auto-refresh intervals (seconds) a user may choose; 0 switches auto-refresh off.
REFRESH_INTERVALS = (0, 60, 300, 900, 1800)

VIEWER_DEFAULT = {
    "kpis": [
        "revenue_total",
        "revenue_growth",
        "gross_margin",
        "order_count",
        "stock_value",
        "forecast_accuracy_smape",
    ],
    "panels": [
        "sales_trend",
        "top_products",
        "stock_status",
        "segment_matrix",
        "forecast",
        "anomalies",
        "replenishment",
    ],
}
MANAGER_DEFAULT = {
    "kpis": [
        "revenue_total",
        "order_count",
        "fulfilment_rate",
        "low_stock_count",
        "out_of_stock_count",
        "stock_value",
        "anomalies_7d",
        "forecast_accuracy_smape",
    ],
    "panels": [
        "replenishment",
        "stock_status",
        "sales_trend",
        "forecast",
        "anomalies",
        "segment_matrix",
        "top_products",
    ],
}


class ErpconnectDashboardLayout(models.Model):
    """Which KPI cards and panels a user sees on the dashboard, and in what order.

    One record per user at most; a user without a record sees the default layout of their role.
    Whatever the way it is written (``save_layout`` or the ORM's create/write over JSON-RPC), a
    layout holds known KPI codes and panels and an allowed refresh interval, and it belongs to
    the user who made it: nobody creates one for another user or hands theirs over.
    """

    _name = "erpconnect.dashboard.layout"
    _description = "ERPConnect AI dashboard layout"
    _rec_name = "user_id"
    _order = "user_id"

    user_id = fields.Many2one(
        "res.users",
        required=True,
        index=True,
        ondelete="cascade",
        default=lambda self: self.env.user,
    )
    kpi_codes = fields.Json(string="KPI cards", help="Ordered list of KPI codes shown as cards.")
    panel_names = fields.Json(string="Panels", help="Ordered list of dashboard panel names.")
    refresh_interval = fields.Integer(
        help="Seconds between automatic refreshes of the dashboard; 0 switches it off."
    )

    _sql_constraints = [
        ("user_uniq", "unique(user_id)", "Each user has at most one dashboard layout."),
    ]

    # ------------------------------------------------------------------ catalogue and defaults

    @api.model
    def _panel_catalog(self):
        """Panels a layout may name: ``[{"name", "label"}]`` in default order."""
        labels = {
            "sales_trend": self.env._("Sales trend"),
            "top_products": self.env._("Top products"),
            "stock_status": self.env._("Stock status"),
            "forecast": self.env._("Demand forecast"),
            "replenishment": self.env._("Replenishment"),
            "segment_matrix": self.env._("ABC/XYZ matrix"),
            "anomalies": self.env._("Anomalies"),
        }
        return [{"name": name, "label": labels[name]} for name in PANELS]

    @api.model
    def _kpi_catalog(self):
        """KPI catalogue of ``erpconnect.kpi`` (empty while that model is not installed)."""
        if "erpconnect.kpi" not in self.env:
            return []
        return self.env["erpconnect.kpi"].get_catalog()

    @api.model
    def _default_layout(self, user=None):
        """Default layout of ``user``'s role (Manager or Viewer), restricted to known KPIs."""
        user = user or self.env.user
        is_manager = user.has_group("erpconnect_ai.group_erpconnect_manager")
        default = MANAGER_DEFAULT if is_manager else VIEWER_DEFAULT
        known = {entry["code"] for entry in self._kpi_catalog()}
        kpis = [code for code in default["kpis"] if code in known]
        if known and not kpis:
            # The catalogue names its KPIs differently: show its first cards rather than none.
            kpis = [entry["code"] for entry in self._kpi_catalog()[:6]]
        return {"kpis": kpis, "panels": list(default["panels"]), "refresh_interval": 0}

    # ------------------------------------------------------------------ validation

    @api.model
    def _validate_layout(self, layout):
        """Return ``layout`` normalised, or raise ValidationError naming what is wrong."""
        if not isinstance(layout, dict):
            raise ValidationError(self.env._("A dashboard layout must be an object."))
        unknown_keys = set(layout) - {"kpis", "panels", "refresh_interval"}
        if unknown_keys:
            raise ValidationError(
                self.env._("Unknown layout keys: %(keys)s", keys=", ".join(sorted(unknown_keys)))
            )
        kpis = layout.get("kpis", [])
        panels = layout.get("panels", [])
        for label, values in ((self.env._("KPI cards"), kpis), (self.env._("Panels"), panels)):
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ValidationError(self.env._("%(what)s must be a list of names.", what=label))
            if len(set(values)) != len(values):
                raise ValidationError(self.env._("%(what)s contain a name twice.", what=label))
        known_kpis = {entry["code"] for entry in self._kpi_catalog()}
        unknown_kpis = [code for code in kpis if code not in known_kpis]
        if unknown_kpis:
            raise ValidationError(
                self.env._("Unknown KPI codes: %(codes)s", codes=", ".join(unknown_kpis))
            )
        unknown_panels = [name for name in panels if name not in PANELS]
        if unknown_panels:
            raise ValidationError(
                self.env._("Unknown dashboard panels: %(names)s", names=", ".join(unknown_panels))
            )
        refresh = layout.get("refresh_interval", 0)
        if isinstance(refresh, bool) or refresh not in REFRESH_INTERVALS:
            raise ValidationError(
                self.env._(
                    "The refresh interval must be one of %(choices)s seconds.",
                    choices=", ".join(str(s) for s in REFRESH_INTERVALS),
                )
            )
        return {"kpis": kpis, "panels": panels, "refresh_interval": refresh}

    @api.constrains("kpi_codes", "panel_names", "refresh_interval")
    def _check_layout(self):
        for record in self:
            self._validate_layout(
                {
                    "kpis": record.kpi_codes or [],
                    "panels": record.panel_names or [],
                    "refresh_interval": record.refresh_interval,
                }
            )

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        if not self.env.su:
            for vals in vals_list:
                if vals.get("user_id", self.env.uid) != self.env.uid:
                    raise AccessError(
                        self.env._("A dashboard layout can only be made for yourself.")
                    )
        return super().create(vals_list)

    def write(self, vals):
        if "user_id" in vals and any(record.user_id.id != vals["user_id"] for record in self):
            raise AccessError(
                self.env._("A dashboard layout belongs to its user: it cannot be handed over.")
            )
        return super().write(vals)

    # ------------------------------------------------------------------ public API

    @api.model
    def _own_layout_record(self):
        return self.search([("user_id", "=", self.env.uid)], limit=1)

    @api.model
    @api.readonly
    def get_layout(self):
        """Return the current user's layout.

        :returns: ``{"kpis": [code], "panels": [name], "refresh_interval": seconds,
            "is_default": bool}``; the role's default when the user saved none. Codes that left
            the KPI catalogue since they were saved are dropped.
        :raises AccessError: the user is not an ERPConnect AI user (Viewer and above).
        """
        check_viewer(self.env)
        record = self._own_layout_record()
        if not record:
            return dict(self._default_layout(), is_default=True)
        known = {entry["code"] for entry in self._kpi_catalog()}
        return {
            "kpis": [code for code in record.kpi_codes or [] if code in known],
            "panels": [name for name in record.panel_names or [] if name in PANELS],
            "refresh_interval": record.refresh_interval,
            "is_default": False,
        }

    @api.model
    def save_layout(self, layout):
        """Save ``layout`` (``{"kpis": [code], "panels": [name], "refresh_interval": s}``) as the
        current user's layout and return it as :meth:`get_layout` does.

        Raises ValidationError for an unknown KPI code or panel name, a duplicate, or a refresh
        interval that is not one of ``REFRESH_INTERVALS``; AccessError for a user who is not
        an ERPConnect AI user (Viewer and above).
        """
        check_viewer(self.env)
        values = self._validate_layout(layout)
        vals = {
            "kpi_codes": values["kpis"],
            "panel_names": values["panels"],
            "refresh_interval": values["refresh_interval"],
        }
        record = self._own_layout_record()
        if record:
            record.write(vals)
        else:
            self.create(dict(vals, user_id=self.env.uid))
        return self.get_layout()

    @api.model
    def reset_layout(self):
        """Forget the current user's layout and return their role's default layout.

        :raises AccessError: the user is not an ERPConnect AI user (Viewer and above).
        """
        check_viewer(self.env)
        self._own_layout_record().unlink()
        return self.get_layout()
