from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestDemoUsers(HttpCase):
    """The three demo accounts log in and see only what their ERPConnect AI role allows."""

    DEMO_USERS = {
        # login: (password, expected erpconnect groups, sees Configuration, sees Settings)
        "viewer@erp.com": ("viewer123", {"viewer"}, False, False),
        "manager@erp.com": ("manager123", {"viewer", "manager"}, False, False),
        "admin@erp.com": ("admin123", {"viewer", "manager", "admin"}, True, True),
    }

    def _menu_ids(self, user):
        menus = self.env["ir.ui.menu"].with_user(user).load_menus(debug=False)
        return {menu_id for menu_id in menus if isinstance(menu_id, int)}

    def test_demo_users_log_in_with_their_role(self):
        root = self.env.ref("erpconnect_ai.menu_erpconnect_root")
        configuration = self.env.ref("erpconnect_ai.menu_erpconnect_configuration")
        settings = self.env.ref("erpconnect_ai.res_config_settings_menu")
        for login, (password, roles, sees_configuration, sees_settings) in self.DEMO_USERS.items():
            with self.subTest(login=login):
                user = self.env["res.users"].search([("login", "=", login)])
                self.assertEqual(len(user), 1, "demo user %s is missing" % login)
                # A real password check over XML-RPC (HttpCase.authenticate would skip it).
                uid = self.xmlrpc_common.authenticate(self.env.cr.dbname, login, password, {})
                self.assertEqual(uid, user.id)
                granted = {
                    role
                    for role in ("viewer", "manager", "admin")
                    if user.has_group("erpconnect_ai.group_erpconnect_%s" % role)
                }
                self.assertEqual(granted, roles)
                menu_ids = self._menu_ids(user)
                self.assertIn(root.id, menu_ids)
                self.assertEqual(configuration.id in menu_ids, sees_configuration)
                self.assertEqual(settings.id in menu_ids, sees_settings)

    def test_wrong_password_is_refused(self):
        uid = self.xmlrpc_common.authenticate(
            self.env.cr.dbname, "viewer@erp.com", "not-the-password", {}
        )
        self.assertFalse(uid)

    def test_admin_user_is_erpconnect_administrator(self):
        self.assertTrue(
            self.env.ref("base.user_admin").has_group("erpconnect_ai.group_erpconnect_admin")
        )

    def test_internal_user_without_role_does_not_see_the_app(self):
        user = self.env["res.users"].create(
            {
                "name": "No Role",
                "login": "no-role@erp.com",
                "groups_id": [(6, 0, [self.env.ref("base.group_user").id])],
            }
        )
        self.assertNotIn(
            self.env.ref("erpconnect_ai.menu_erpconnect_root").id, self._menu_ids(user)
        )
