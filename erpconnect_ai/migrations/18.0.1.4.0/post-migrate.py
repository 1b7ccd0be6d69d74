"""18.0.1.4.0: the daily deliveries (``erpconnect.delivery.daily``) are new: they are built from
the existing outgoing pickings of the confirmed orders of every company."""

from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    env = api.Environment(cr, SUPERUSER_ID, {})
    deliveries = env["erpconnect.delivery.daily"]
    for company in env["res.company"].search([]):
        deliveries._rebuild(company)
