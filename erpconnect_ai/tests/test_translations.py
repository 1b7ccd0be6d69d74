from odoo.exceptions import AccessError
from odoo.tests import TransactionCase, new_test_user, tagged

from ..models.erpconnect_segment_matrix import recommendation_of


@tagged("post_install", "-at_install")
class TestFrenchTranslations(TransactionCase):
    """The first users read French: i18n/fr.po loads and reaches menus, KPIs and engine texts."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env["res.lang"]._activate_lang("fr_FR")
        cls.env["ir.module.module"]._load_module_terms(["erpconnect_ai"], ["fr_FR"], overwrite=True)
        cls.env_fr = cls.env(context=dict(cls.env.context, lang="fr_FR"))

    def test_menu_is_french(self):
        menu = self.env_fr.ref("erpconnect_ai.erpconnect_replenishment_menu")
        self.assertEqual(menu.name, "Réapprovisionnement")

    def test_demand_history_and_company_settings_are_french(self):
        menu = self.env_fr.ref("erpconnect_ai.erpconnect_demand_daily_menu")
        self.assertEqual(menu.name, "Historique de la demande")
        fields = self.env_fr["res.company"].fields_get(["erpconnect_lookback_days"])
        self.assertEqual(fields["erpconnect_lookback_days"]["string"], "Historique (jours)")

    def test_kpi_catalogue_is_french(self):
        catalog = {entry["code"]: entry for entry in self.env_fr["erpconnect.kpi"].get_catalog()}
        self.assertEqual(catalog["out_of_stock_count"]["name"], "En rupture")
        self.assertEqual(catalog["lost_sales"]["name"], "Ventes perdues (estimées)")
        self.assertEqual(catalog["forecast_value_added"]["name"], "Valeur ajoutée des ajustements")

    def test_engine_recommendation_is_french(self):
        self.assertEqual(
            recommendation_of(self.env_fr, "CZ"), "Commander à la demande ou retirer de la gamme."
        )
        self.assertEqual(
            recommendation_of(self.env, "CZ"), "Order on demand or drop from the range."
        )

    def test_refusals_are_french(self):
        viewer = new_test_user(
            self.env, "erpc_fr_viewer", groups="erpconnect_ai.group_erpconnect_viewer"
        )
        layouts = self.env_fr["erpconnect.dashboard.layout"].with_user(viewer)
        with self.assertRaises(AccessError) as caught:
            layouts.create({"user_id": self.env.ref("base.user_admin").id})
        self.assertEqual(
            caught.exception.args[0],
            "Une disposition de tableau de bord ne peut être créée que pour soi-même.",
        )
