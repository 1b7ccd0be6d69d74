from odoo.tools import SQL

from . import controllers
from . import models
from .models.erpconnect_kpi import GENERATION_SEQUENCE
from .models.erpconnect_run import SETTINGS_PREFIX


def uninstall_hook(env):
    """Remove what the ORM does not: the KPI cache generation sequence
    (``erpconnect.kpi.init``), the system parameters set outside the data files (settings saved,
    sample history companies...) and the model files in the filestore.

    The files go first and for good: if the uninstallation is rolled back afterwards, the
    checksums still in the database find no file and the next analysis refits the models.
    """
    env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(GENERATION_SEQUENCE)))
    # every parameter of the addon has the settings' prefix (sample history, inline run size)
    parameters = env["ir.config_parameter"].sudo().search([("key", "=like", SETTINGS_PREFIX + "%")])
    parameters.filtered(lambda parameter: parameter.key.startswith(SETTINGS_PREFIX)).unlink()
    env["erpconnect.model.file"]._remove_files()
