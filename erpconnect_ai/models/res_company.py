from odoo import api, fields, models
from odoo.exceptions import ValidationError

FORECAST_METHODS = [
    ("auto", "Automatic (best backtest)"),
    ("moving_average", "Moving average"),
    ("polynomial", "Polynomial trend"),
    ("seasonal_naive", "Seasonal naive"),
    ("ets", "Exponential smoothing (ETS)"),
    ("ses", "Simple exponential smoothing"),
    ("croston", "Croston"),
    ("sba", "Syntetos-Boylan (SBA)"),
    ("tsb", "Teunter-Syntetos-Babai (TSB)"),
    ("gbm", "Gradient boosting"),
]
DEMAND_SOURCES = [("sale", "Confirmed sales orders"), ("stock_move", "Deliveries to customers")]
STOCK_POLICIES = [
    ("forecast", "Forecast of lead time + review period, service level per ABC class"),
    ("service", "Classic: service level per ABC class over the lead time"),
    ("days", "Classic: safety days of demand"),
]
ABC_MODES = [("rank", "Share of products"), ("pareto", "Share of revenue (Pareto)")]
ANOMALY_MODES = [("robust", "Robust (median and MAD)"), ("zscore", "Mean and standard deviation")]

#: The analysis settings and their defaults, in one place: short key -> default. Each is the
#: field ``erpconnect_<key>`` of the company (and the related field of the settings screen);
#: ``_erpconnect_settings()`` returns them under these keys.
SETTINGS_DEFAULTS = {
    "lookback_days": 365,
    "horizon_days": 90,
    "default_lead_time": 7,
    "safety_days": 3.0,
    "stock_policy": "forecast",
    "service_level_a": 0.98,
    "service_level_b": 0.95,
    "service_level_c": 0.90,
    "z_threshold": 3.7,
    "anomaly_mode": "robust",
    "abc_mode": "rank",
    "abc_a": 0.2,
    "abc_b": 0.5,
    "xyz_x": 0.3,
    "xyz_y": 0.7,
    "demand_source": "sale",
    "forecast_method": "auto",
}
SETTINGS_FIELDS = tuple("erpconnect_" + key for key in SETTINGS_DEFAULTS)


def _default(key):
    return SETTINGS_DEFAULTS[key]


class ResCompany(models.Model):
    """The analysis settings of each company (as OCA ``ddmrp`` keeps its settings on the
    company): results are per company, so are the settings that make them. Changed in Settings >
    ERPConnect AI (``res.config.settings`` related fields), read by the pipeline, the forecasts,
    the segments and the dashboard through ``_erpconnect_settings()``.
    """

    _inherit = "res.company"

    erpconnect_warehouse_id = fields.Many2one(
        "stock.warehouse",
        string="Analysed warehouse",
        check_company=True,
        domain="[('company_id', '=', id)]",
        help="Restrict the analysis to one warehouse: demand from its orders (or its deliveries) "
        "only, stock from its locations, suggestions for its reorder rules. Empty: the whole "
        "company, with the suggestions for its first warehouse.",
    )
    erpconnect_lookback_days = fields.Integer(
        "Look-back (days)",
        default=_default("lookback_days"),
        help="Days of sales history the analysis reads, ending yesterday.",
    )
    erpconnect_horizon_days = fields.Integer(
        "Forecast horizon (days)", default=_default("horizon_days")
    )
    erpconnect_forecast_method = fields.Selection(
        FORECAST_METHODS,
        "Forecast method",
        default=_default("forecast_method"),
        help="Automatic keeps, per product, the method with the smallest backtest error.",
    )
    erpconnect_demand_source = fields.Selection(
        DEMAND_SOURCES, "Demand source", default=_default("demand_source")
    )
    erpconnect_default_lead_time = fields.Integer(
        "Default lead time (days)",
        default=_default("default_lead_time"),
        help="Used for products without a vendor.",
    )
    erpconnect_stock_policy = fields.Selection(
        STOCK_POLICIES, "Safety stock policy", default=_default("stock_policy")
    )
    erpconnect_safety_days = fields.Float("Safety days", default=_default("safety_days"))
    erpconnect_service_level_a = fields.Float(
        "Service level A", default=_default("service_level_a")
    )
    erpconnect_service_level_b = fields.Float(
        "Service level B", default=_default("service_level_b")
    )
    erpconnect_service_level_c = fields.Float(
        "Service level C", default=_default("service_level_c")
    )
    erpconnect_abc_mode = fields.Selection(ABC_MODES, "ABC mode", default=_default("abc_mode"))
    erpconnect_abc_a = fields.Float(
        "ABC threshold A",
        default=_default("abc_a"),
        help="Share of products (ranked by revenue) that are A, or in Pareto mode the share of "
        "revenue the A products make.",
    )
    erpconnect_abc_b = fields.Float(
        "ABC threshold B",
        default=_default("abc_b"),
        help="Cumulative share of products that are A or B, or in Pareto mode the cumulative "
        "share of revenue of the A and B products.",
    )
    erpconnect_xyz_x = fields.Float(
        "XYZ threshold X",
        default=_default("xyz_x"),
        help="Products whose weekly demand varies less than this (coefficient of variation) are X.",
    )
    erpconnect_xyz_y = fields.Float("XYZ threshold Y", default=_default("xyz_y"))
    erpconnect_anomaly_mode = fields.Selection(
        ANOMALY_MODES, "Anomaly detection", default=_default("anomaly_mode")
    )
    erpconnect_z_threshold = fields.Float("Anomaly threshold (z)", default=_default("z_threshold"))

    @api.constrains(*SETTINGS_FIELDS)
    def _check_erpconnect_settings(self):
        for company in self:
            errors = self._erpconnect_setting_errors(company._erpconnect_settings())
            if errors:
                raise ValidationError("\n".join(errors))

    def _erpconnect_settings(self):
        """The analysis settings of this company, typed, under the short keys of
        ``SETTINGS_DEFAULTS`` (a plain dict: ``{"lookback_days": 365, ..., "forecast_method":
        "auto"}``); an empty choice (a company created in SQL) takes its default."""
        self.ensure_one()
        settings = {}
        for key, default in SETTINGS_DEFAULTS.items():
            value = self["erpconnect_" + key]
            if isinstance(default, str):
                settings[key] = value or default
            else:
                settings[key] = type(default)(value)
        return settings

    @api.model
    def _erpconnect_setting_errors(self, settings):
        """Messages for every inconsistent value of ``settings`` (short keys); [] when valid."""
        errors = []

        def check(condition, message):
            if not condition:
                errors.append(message)

        check(
            7 <= settings["lookback_days"] <= 3650,
            self.env._("The look-back must be between 7 and 3650 days."),
        )
        check(
            1 <= settings["horizon_days"] <= 365,
            self.env._("The forecast horizon must be between 1 and 365 days."),
        )
        check(
            0 <= settings["default_lead_time"] <= 365,
            self.env._("The default lead time must be between 0 and 365 days."),
        )
        check(
            0 <= settings["safety_days"] <= 365,
            self.env._("The safety days must be between 0 and 365."),
        )
        for key, label in (
            ("service_level_a", "A"),
            ("service_level_b", "B"),
            ("service_level_c", "C"),
        ):
            check(
                0.5 <= settings[key] < 1,
                self.env._(
                    "The service level of class %s must be at least 0.5 and below 1.", label
                ),
            )
        check(
            0 < settings["z_threshold"] <= 20,
            self.env._("The anomaly z threshold must be above 0 and at most 20."),
        )
        check(
            0 < settings["abc_a"] < settings["abc_b"] < 1,
            self.env._("The ABC thresholds must satisfy 0 < A < B < 1."),
        )
        check(
            0 < settings["xyz_x"] < settings["xyz_y"],
            self.env._("The XYZ thresholds must satisfy 0 < X < Y."),
        )
        return errors
