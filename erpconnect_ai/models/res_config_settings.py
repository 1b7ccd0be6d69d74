from odoo import api, fields, models

from .. import engine

ADMIN_GROUP = "erpconnect_ai.group_erpconnect_admin"


class ResConfigSettings(models.TransientModel):
    """ERPConnect AI settings of the current company: related fields of its ``erpconnect_*``
    fields (``res.company``, where the defaults and the checks live). Each field is named
    ``erpconnect_<key>`` after a key of ``res_company.SETTINGS_DEFAULTS``; only ERPConnect AI
    administrators see and change them.
    """

    _inherit = "res.config.settings"

    erpconnect_warehouse_id = fields.Many2one(
        related="company_id.erpconnect_warehouse_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
        groups=ADMIN_GROUP,
    )
    erpconnect_lookback_days = fields.Integer(
        related="company_id.erpconnect_lookback_days", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_horizon_days = fields.Integer(
        related="company_id.erpconnect_horizon_days", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_forecast_method = fields.Selection(
        related="company_id.erpconnect_forecast_method", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_demand_source = fields.Selection(
        related="company_id.erpconnect_demand_source", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_default_lead_time = fields.Integer(
        related="company_id.erpconnect_default_lead_time", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_stock_policy = fields.Selection(
        related="company_id.erpconnect_stock_policy", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_safety_days = fields.Float(
        related="company_id.erpconnect_safety_days", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_service_level_a = fields.Float(
        related="company_id.erpconnect_service_level_a", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_service_level_b = fields.Float(
        related="company_id.erpconnect_service_level_b", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_service_level_c = fields.Float(
        related="company_id.erpconnect_service_level_c", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_abc_mode = fields.Selection(
        related="company_id.erpconnect_abc_mode", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_abc_a = fields.Float(
        related="company_id.erpconnect_abc_a", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_abc_b = fields.Float(
        related="company_id.erpconnect_abc_b", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_xyz_x = fields.Float(
        related="company_id.erpconnect_xyz_x", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_xyz_y = fields.Float(
        related="company_id.erpconnect_xyz_y", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_anomaly_mode = fields.Selection(
        related="company_id.erpconnect_anomaly_mode", readonly=False, groups=ADMIN_GROUP
    )
    erpconnect_z_threshold = fields.Float(
        related="company_id.erpconnect_z_threshold", readonly=False, groups=ADMIN_GROUP
    )

    @api.onchange("erpconnect_abc_mode")
    def _onchange_erpconnect_abc_mode(self):
        """The thresholds mean shares of products (rank) or of revenue (Pareto): switching the
        mode puts back that mode's classic thresholds (20%/50% of products, 80%/95% of revenue)."""
        thresholds = engine.segmentation.DEFAULT_ABC_THRESHOLDS.get(self.erpconnect_abc_mode)
        if thresholds:
            self.erpconnect_abc_a, self.erpconnect_abc_b = thresholds
