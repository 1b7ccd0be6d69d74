from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import Form, tagged

from .common import ErpconnectCase


@tagged("post_install", "-at_install")
class TestErpconnectSettings(ErpconnectCase):
    """Settings: typed reading, validation, and who may change them."""

    def _save(self, user, **values):
        settings = (
            self.env["res.config.settings"]
            .with_user(user)
            .create({"erpconnect_" + key: value for key, value in values.items()})
        )
        settings.execute()

    def test_admin_changes_settings(self):
        self._save(
            self.user_admin,
            lookback_days=120,
            horizon_days=60,
            forecast_method="ets",
            abc_a=0.1,
            abc_b=0.4,
            service_level_a=0.99,
        )
        params = self.env["ir.config_parameter"].sudo()
        self.assertEqual(params.get_param("erpconnect_ai.lookback_days"), "120")
        settings = self.env["erpconnect.run"]._get_settings()
        self.assertEqual(settings["lookback_days"], 120)
        self.assertEqual(settings["horizon_days"], 60)
        self.assertEqual(settings["forecast_method"], "ets")
        self.assertEqual((settings["abc_a"], settings["abc_b"]), (0.1, 0.4))
        self.assertEqual(settings["service_level_a"], 0.99)
        # Untouched keys keep their values (set by the base class or the defaults).
        self.assertEqual(settings["xyz_x"], 0.3)

    def test_switching_abc_mode_puts_back_its_classic_thresholds(self):
        # Rank mode: 20% / 50% of the products; Pareto mode: 80% / 95% of the revenue.
        form = Form(self.env["res.config.settings"].with_user(self.user_admin))
        form.erpconnect_abc_mode = "pareto"
        self.assertEqual((form.erpconnect_abc_a, form.erpconnect_abc_b), (0.8, 0.95))
        form.erpconnect_abc_mode = "rank"
        self.assertEqual((form.erpconnect_abc_a, form.erpconnect_abc_b), (0.2, 0.5))

    def test_nonsense_is_refused(self):
        cases = [
            ({"lookback_days": -5}, "look-back must be between 7 and 3650"),
            ({"horizon_days": 0}, "horizon must be between 1 and 365"),
            ({"abc_a": 0.6, "abc_b": 0.5}, "0 < A < B < 1"),
            ({"xyz_x": 0.8, "xyz_y": 0.7}, "0 < X < Y"),
            ({"service_level_b": 1.0}, "class B must be at least 0.5 and below 1"),
            ({"z_threshold": 0.0}, "z threshold must be above 0"),
            ({"safety_days": -1.0}, "safety days must be between 0 and 365"),
        ]
        for values, message in cases:
            with self.subTest(values=values), self.assertRaisesRegex(ValidationError, message):
                self._save(self.user_admin, **values)
        self.assertEqual(self.env["erpconnect.run"]._get_settings()["lookback_days"], 63)

    def test_manager_cannot_change_settings(self):
        with self.assertRaises(AccessError):
            self._save(self.user_manager, lookback_days=30)
        self.assertEqual(self.env["erpconnect.run"]._get_settings()["lookback_days"], 63)

    def test_defaults_and_corrupt_values(self):
        params = self.env["ir.config_parameter"].sudo()
        params.search([("key", "=like", "erpconnect_ai.%")]).unlink()
        settings = self.env["erpconnect.run"]._get_settings()
        self.assertEqual(settings["lookback_days"], 365)
        self.assertEqual(settings["horizon_days"], 90)
        self.assertEqual(settings["stock_policy"], "forecast")
        self.assertEqual(settings["forecast_method"], "auto")
        params.set_param("erpconnect_ai.horizon_days", "ninety")
        params.set_param("erpconnect_ai.demand_source", "invoices")
        with self.assertRaisesRegex(UserError, "erpconnect_ai.horizon_days: 'ninety'") as caught:
            self.env["erpconnect.run"]._get_settings()
        self.assertIn("erpconnect_ai.demand_source: 'invoices'", str(caught.exception))
