from odoo.tools import SQL

from . import controllers
from . import models
from .models.erpconnect_kpi_cache import GENERATION_SEQUENCE


def post_init_hook(env):
    """Build the demand ledger of every company from the existing orders and stock moves."""
    ledger = env["erpconnect.demand.upkeep"].sudo()
    for company in env["res.company"].sudo().search([]):
        ledger._rebuild(company)


def uninstall_hook(env):
    """Drop what the ORM does not: the KPI cache generation sequence (created by
    ``erpconnect.kpi.cache.init``)."""
    env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(GENERATION_SEQUENCE)))
