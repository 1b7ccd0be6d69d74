from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .. import engine
from .erpconnect_run import FORECAST_METHODS, SETTINGS_PREFIX, SETTINGS_SPEC

ADMIN_GROUP = "erpconnect_ai.group_erpconnect_admin"


def _default(key):
    return SETTINGS_SPEC[key][1]


class ResConfigSettings(models.TransientModel):
    """ERPConnect AI settings, stored as ``ir.config_parameter`` ``erpconnect_ai.<key>``, and the
    current company's analysed warehouse (``res.company.erpconnect_warehouse_id``).

    Each parameter field is named ``erpconnect_<key>`` after a key of ``SETTINGS_SPEC``; only
    ERPConnect AI administrators see and change them.
    """

    _inherit = "res.config.settings"

    erpconnect_lookback_days = fields.Integer(
        "Look-back (days)",
        config_parameter=SETTINGS_PREFIX + "lookback_days",
        default=_default("lookback_days"),
        groups=ADMIN_GROUP,
        help="Days of sales history the analysis reads, ending yesterday.",
    )
    erpconnect_horizon_days = fields.Integer(
        "Forecast horizon (days)",
        config_parameter=SETTINGS_PREFIX + "horizon_days",
        default=_default("horizon_days"),
        groups=ADMIN_GROUP,
    )
    erpconnect_forecast_method = fields.Selection(
        FORECAST_METHODS,
        "Forecast method",
        config_parameter=SETTINGS_PREFIX + "forecast_method",
        default=_default("forecast_method"),
        groups=ADMIN_GROUP,
        help="Automatic keeps, per product, the method with the smallest backtest error.",
    )
    erpconnect_demand_source = fields.Selection(
        [("sale", "Confirmed sales orders"), ("stock_move", "Deliveries to customers")],
        "Demand source",
        config_parameter=SETTINGS_PREFIX + "demand_source",
        default=_default("demand_source"),
        groups=ADMIN_GROUP,
    )
    erpconnect_warehouse_id = fields.Many2one(
        related="company_id.erpconnect_warehouse_id",
        readonly=False,
        domain="[('company_id', '=', company_id)]",
        groups=ADMIN_GROUP,
    )
    erpconnect_default_lead_time = fields.Integer(
        "Default lead time (days)",
        config_parameter=SETTINGS_PREFIX + "default_lead_time",
        default=_default("default_lead_time"),
        groups=ADMIN_GROUP,
        help="Used for products without a vendor.",
    )
    erpconnect_stock_policy = fields.Selection(
        [
            ("forecast", "Forecast of lead time + review period, service level per ABC class"),
            ("service", "Classic: service level per ABC class over the lead time"),
            ("days", "Classic: safety days of demand"),
        ],
        "Safety stock policy",
        config_parameter=SETTINGS_PREFIX + "stock_policy",
        default=_default("stock_policy"),
        groups=ADMIN_GROUP,
    )
    erpconnect_safety_days = fields.Float(
        "Safety days",
        config_parameter=SETTINGS_PREFIX + "safety_days",
        default=_default("safety_days"),
        groups=ADMIN_GROUP,
    )
    erpconnect_service_level_a = fields.Float(
        "Service level A",
        config_parameter=SETTINGS_PREFIX + "service_level_a",
        default=_default("service_level_a"),
        groups=ADMIN_GROUP,
    )
    erpconnect_service_level_b = fields.Float(
        "Service level B",
        config_parameter=SETTINGS_PREFIX + "service_level_b",
        default=_default("service_level_b"),
        groups=ADMIN_GROUP,
    )
    erpconnect_service_level_c = fields.Float(
        "Service level C",
        config_parameter=SETTINGS_PREFIX + "service_level_c",
        default=_default("service_level_c"),
        groups=ADMIN_GROUP,
    )
    erpconnect_abc_mode = fields.Selection(
        [("rank", "Share of products"), ("pareto", "Share of revenue (Pareto)")],
        "ABC mode",
        config_parameter=SETTINGS_PREFIX + "abc_mode",
        default=_default("abc_mode"),
        groups=ADMIN_GROUP,
    )
    erpconnect_abc_a = fields.Float(
        "ABC threshold A",
        help="Share of products (ranked by revenue) that are A, or in Pareto mode the share of "
        "revenue the A products make.",
        config_parameter=SETTINGS_PREFIX + "abc_a",
        default=_default("abc_a"),
        groups=ADMIN_GROUP,
    )
    erpconnect_abc_b = fields.Float(
        "ABC threshold B",
        help="Cumulative share of products that are A or B, or in Pareto mode the cumulative "
        "share of revenue of the A and B products.",
        config_parameter=SETTINGS_PREFIX + "abc_b",
        default=_default("abc_b"),
        groups=ADMIN_GROUP,
    )
    erpconnect_xyz_x = fields.Float(
        "XYZ threshold X",
        config_parameter=SETTINGS_PREFIX + "xyz_x",
        default=_default("xyz_x"),
        groups=ADMIN_GROUP,
        help="Products whose weekly demand varies less than this (coefficient of variation) are X.",
    )
    erpconnect_xyz_y = fields.Float(
        "XYZ threshold Y",
        config_parameter=SETTINGS_PREFIX + "xyz_y",
        default=_default("xyz_y"),
        groups=ADMIN_GROUP,
    )
    erpconnect_anomaly_mode = fields.Selection(
        [("robust", "Robust (median and MAD)"), ("zscore", "Mean and standard deviation")],
        "Anomaly detection",
        config_parameter=SETTINGS_PREFIX + "anomaly_mode",
        default=_default("anomaly_mode"),
        groups=ADMIN_GROUP,
    )
    erpconnect_z_threshold = fields.Float(
        "Anomaly threshold (z)",
        config_parameter=SETTINGS_PREFIX + "z_threshold",
        default=_default("z_threshold"),
        groups=ADMIN_GROUP,
    )

    @api.onchange("erpconnect_abc_mode")
    def _onchange_erpconnect_abc_mode(self):
        """The thresholds mean shares of products (rank) or of revenue (Pareto): switching the
        mode puts back that mode's classic thresholds (20%/50% of products, 80%/95% of revenue)."""
        thresholds = engine.segmentation.DEFAULT_ABC_THRESHOLDS.get(self.erpconnect_abc_mode)
        if thresholds:
            self.erpconnect_abc_a, self.erpconnect_abc_b = thresholds

    @api.constrains(*("erpconnect_" + key for key in SETTINGS_SPEC))
    def _check_erpconnect_settings(self):
        for settings in self:
            values = {key: settings["erpconnect_" + key] for key in SETTINGS_SPEC}
            errors = self.env["erpconnect.run"]._check_settings(values)
            if errors:
                raise ValidationError("\n".join(errors))
