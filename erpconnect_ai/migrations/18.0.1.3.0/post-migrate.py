"""18.0.1.3.0: the daily demand ledger (``erpconnect.demand.daily``) is new: build it from the
existing confirmed orders and done stock moves of every company."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    ledger = env["erpconnect.demand.upkeep"]
    for company in env["res.company"].search([]):
        ledger._rebuild(company)
