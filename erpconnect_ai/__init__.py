from odoo.tools import SQL

from . import controllers
from . import models
from .models.erpconnect_kpi import GENERATION_SEQUENCE


def uninstall_hook(env):
    """Drop what the ORM does not: the KPI cache generation sequence (``erpconnect.kpi.init``)."""
    env.cr.execute(SQL("DROP SEQUENCE IF EXISTS %s", SQL.identifier(GENERATION_SEQUENCE)))
