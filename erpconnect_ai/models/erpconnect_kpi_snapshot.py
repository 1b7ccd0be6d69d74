"""Daily values of the per-product stock KPIs, recorded once the day is over.

A past value of these KPIs (out of stock, low stock, below ROP, overstock, dead stock) otherwise
rebuilds every product's stock at every point of a history from today's stock and the moves since,
the heaviest computation of the KPI service. The daily cron records each finished day's values;
``erpconnect.kpi.data`` reads them back for the past points of a history and computes only the
others (today's, days not recorded yet) live. A recorded day keeps its value: a sale cancelled or a
move edited afterwards with an earlier date changes the live figures, not what was recorded that
night.
"""

import datetime
import math

from odoo import api, fields, models
from odoo.tools import SQL

from ..engine import kpi_catalog as catalog

#: Days back the cron records when they are missing (a year of daily history and a margin).
SNAPSHOT_DAYS = 400
#: Days computed at once when recording: bounds the memory of the per-product arrays
#: (products × days).
SNAPSHOT_CHUNK_DAYS = 100


class ErpconnectKpiSnapshot(models.Model):
    """The value of a per-product stock KPI at the end of a day, for one company."""

    _name = "erpconnect.kpi.snapshot"
    _description = "ERPConnect AI KPI daily value"
    _order = "date desc, code"
    _log_access = False  # written in bulk by the cron, never edited

    company_id = fields.Many2one("res.company", required=True, index=True, ondelete="cascade")
    date = fields.Date(required=True, help="The day whose end the value describes (UTC).")
    code = fields.Char(string="KPI", required=True, help="Code of the KPI in its catalogue.")
    value = fields.Float(help="Empty when the KPI had no data that day (e.g. no reorder points).")

    _sql_constraints = [
        (
            "company_date_code_unique",
            "UNIQUE(company_id, date, code)",
            "A KPI has one recorded value per company and day.",
        )
    ]

    @api.model
    def _recorded_values(self, company, days, codes):
        """``{(day, code): value}`` recorded for ``company`` on ``days`` (dates); ``value`` is
        ``nan`` where the KPI had no data."""
        rows = self.env.execute_query(
            SQL(
                """
                SELECT date, code, value
                  FROM erpconnect_kpi_snapshot
                 WHERE company_id = %s AND date = ANY(%s) AND code = ANY(%s)
                """,
                company.id,
                list(days),
                list(codes),
            )
        )
        return {(day, code): math.nan if value is None else value for day, code, value in rows}

    @api.model
    def _cron_record_snapshots(self):
        """Record the missing days of the last ``SNAPSHOT_DAYS`` of every active company."""
        for company in self.env["res.company"].search([("active", "=", True)]):
            self._record_snapshots(company)

    @api.model
    def _record_snapshots(self, company, days=SNAPSHOT_DAYS):
        """Compute and store the per-product stock KPIs of ``company`` for each finished day of
        the last ``days`` that has none yet.

        :returns: the number of days recorded
        """
        data = self.env["erpconnect.kpi.data"].sudo().with_company(company)
        today = data._kpi_today(company)
        codes = sorted(catalog.STOCK_PRODUCT_CODES)
        wanted = [today - datetime.timedelta(days=back) for back in range(days, 0, -1)]
        recorded = self._recorded_values(company, wanted, codes)
        missing = [day for day in wanted if any((day, code) not in recorded for code in codes)]
        for start in range(0, len(missing), SNAPSHOT_CHUNK_DAYS):
            chunk = missing[start : start + SNAPSHOT_CHUNK_DAYS]
            # a day's value is the KPI at the end of the day: bucket ends = the next days
            ends = [day + datetime.timedelta(days=1) for day in chunk]
            values = data._live_values(company, [chunk[0], *ends], codes)
            self.env.execute_query(
                SQL(
                    """
                    INSERT INTO erpconnect_kpi_snapshot (company_id, date, code, value)
                    SELECT %s, day, code, value
                      FROM unnest(%s::date[], %s::varchar[], %s::float8[]) AS v(day, code, value)
                        ON CONFLICT (company_id, date, code) DO NOTHING
                    """,
                    company.id,
                    [day for day in chunk for _code in codes],
                    [code for _day in chunk for code in codes],
                    [
                        None if math.isnan(value) else value
                        for index in range(len(chunk))
                        for value in (values[code][index] for code in codes)
                    ],
                )
            )
        return len(missing)
