import importlib.util
from pathlib import Path

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged
from odoo.tools import mute_logger

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
        # The settings are the admin's current company's: company B keeps its own.
        self.assertEqual(self.company.erpconnect_lookback_days, 120)
        self.assertEqual(self.company_b._erpconnect_settings()["lookback_days"], 63)
        settings = self.company._erpconnect_settings()
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
            with (
                self.subTest(values=values),
                self.assertRaisesRegex(ValidationError, message),
                self.env.cr.savepoint(),  # as the request would be rolled back
            ):
                self._save(self.user_admin, **values)
        self.assertEqual(self.company._erpconnect_settings()["lookback_days"], 63)

    def test_manager_cannot_change_settings(self):
        with self.assertRaises(AccessError):
            self._save(self.user_manager, lookback_days=30)
        self.assertEqual(self.company._erpconnect_settings()["lookback_days"], 63)

    def test_defaults_of_a_new_company(self):
        settings = self.env["res.company"].create({"name": "Fresh Co"})._erpconnect_settings()
        self.assertEqual(settings["lookback_days"], 365)
        self.assertEqual(settings["horizon_days"], 90)
        self.assertEqual(settings["stock_policy"], "forecast")
        self.assertEqual(settings["forecast_method"], "auto")
        self.assertEqual(settings["service_level_c"], 0.9)
        self.assertEqual(len(settings), 17)

    def test_migration_moves_the_database_parameters_to_every_company(self):
        spec = importlib.util.spec_from_file_location(
            "erpconnect_ai_migration",
            Path(__file__).parent.parent / "migrations" / "18.0.1.3.0" / "post-migrate.py",
        )
        migration = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(migration)
        params = self.env["ir.config_parameter"].sudo()
        params.set_param("erpconnect_ai.lookback_days", "180")
        params.set_param("erpconnect_ai.stock_policy", "days")
        params.set_param("erpconnect_ai.horizon_days", "ninety")  # not a number: default kept
        params.set_param("erpconnect_ai.demand_source", "invoices")  # not a choice: idem
        params.set_param("erpconnect_ai.inline_run_max_products", "50")  # not a setting
        with mute_logger(migration.__name__):
            migration.move_settings(self.env)
        for company in (self.company, self.company_b):
            settings = company._erpconnect_settings()
            self.assertEqual(settings["lookback_days"], 180)
            self.assertEqual(settings["stock_policy"], "days")
            self.assertEqual(settings["horizon_days"], 90)
            self.assertEqual(settings["demand_source"], "sale")
        self.assertFalse(params.get_param("erpconnect_ai.lookback_days"))
        self.assertFalse(params.get_param("erpconnect_ai.horizon_days"))
        self.assertEqual(params.get_param("erpconnect_ai.inline_run_max_products"), "50")
