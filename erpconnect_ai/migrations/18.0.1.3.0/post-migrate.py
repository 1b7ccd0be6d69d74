"""18.0.1.3.0:

- the analysis settings are fields of each company (``res.company.erpconnect_<key>``) instead of
  database-wide ``ir.config_parameter`` keys ``erpconnect_ai.<key>``: every company takes the
  values stored so far (a value that does not fit its field, or a set that fails the checks,
  keeps the defaults, with a warning), then the keys are removed;
- the daily demand ledger (``erpconnect.demand.daily``) is new: it is built from the existing
  confirmed orders and done stock moves of every company.
"""

import logging

from odoo import SUPERUSER_ID, api
from odoo.exceptions import ValidationError

_logger = logging.getLogger(__name__)
PREFIX = "erpconnect_ai."


def parse(field, raw):
    """``raw`` (a parameter's text) as a value of ``field``, else None."""
    if field.type == "selection":
        return raw if raw in dict(field.selection) else None
    try:
        number = float(raw)
    except (TypeError, ValueError):
        return None
    if field.type == "integer":
        return int(number) if number.is_integer() else None
    return number


def move_settings(env):
    Company = env["res.company"]
    params = env["ir.config_parameter"].search([("key", "=like", PREFIX + "%")])
    values = {}
    for param in params:
        field = Company._fields.get("erpconnect_" + param.key[len(PREFIX) :])
        if field is None or field.type not in ("integer", "float", "selection"):
            continue  # not a setting (inline_run_max_products, sample history companies...)
        value = parse(field, param.value)
        if value is None:
            _logger.warning(
                "ERPConnect AI: %s=%r is not valid, default kept", param.key, param.value
            )
        else:
            values[field.name] = value
        param.unlink()
    if values:
        try:
            with env.cr.savepoint():
                Company.search([]).write(values)
        except ValidationError as error:
            _logger.warning("ERPConnect AI: old settings %s not kept: %s", values, error)


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    move_settings(env)
    upkeep = env["erpconnect.demand.upkeep"]
    for company in env["res.company"].search([]):
        upkeep._rebuild(company)
