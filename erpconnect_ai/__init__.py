from odoo.tools import SQL

from . import controllers
from . import models
from .models.erpconnect_kpi_cache import GENERATION_SEQUENCE

#: Prefix of every system parameter of the addon (sample history, inline run size...).
PARAMETER_PREFIX = "erpconnect_ai."


def post_init_hook(env):
    """Build the demand ledger of every company from the existing orders and stock moves."""
    ledger = env["erpconnect.demand.upkeep"].sudo()
    for company in env["res.company"].sudo().search([]):
        ledger._rebuild(company)


def uninstall_hook(env):
    """Remove what the ORM does not: the KPI cache generation sequence
    (``erpconnect.kpi.cache.init``), the system parameters set outside the data files (sample
    history companies...) and the model files in the filestore.

    The files go first and for good: if the uninstallation is rolled back afterwards, the
    checksums still in the database find no file and the next analysis refits the models.
    """
    env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(GENERATION_SEQUENCE)))
    # every parameter of the addon has the prefix (sample history, inline run size)
    parameters = (
        env["ir.config_parameter"].sudo().search([("key", "=like", PARAMETER_PREFIX + "%")])
    )
    parameters.filtered(lambda parameter: parameter.key.startswith(PARAMETER_PREFIX)).unlink()
    env["erpconnect.model.file"]._remove_files()
