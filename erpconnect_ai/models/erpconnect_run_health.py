import os
from datetime import timedelta

from odoo import api, fields, models

from .arguments import is_admin


class ErpconnectRunHealth(models.Model):
    """Monitoring of the analysis of a company (``get_health``, also served by the JSON route
    ``/erpconnect_ai/health``): the health facet of ``erpconnect.run``, apart from the pipeline.
    """

    _inherit = "erpconnect.run"

    @api.model
    @api.readonly
    def get_health(self):
        """Monitoring figures of the analysis for the current company (``self.env.company``).

        Readable by ERPConnect AI viewers; also served by the JSON route
        ``/erpconnect_ai/health``. Dates are ISO strings, datetimes in UTC. Messages are the
        runs' words for users; the exception text of a failed run and the model directory,
        which name server paths, are given to ERPConnect AI administrators only (None for
        the others).

        :return: dict::

            {
                "status": "ok" | "warning" | "error",
                "problems": [str, ...],            # why the status is not "ok"
                "company_id": int,
                "cron": {"active": bool, "next_call": str | None, "last_call": str | None},
                "running": bool,                   # a run of this company is in progress
                "last_run": None | {"id", "status", "trigger", "started_at", "finished_at",
                                    "duration_seconds", "products_processed", "products_failed",
                                    "message",
                                    "error_details"},  # None unless an administrator asks
                "last_successful_run": None | {"id", "finished_at", "as_of"},
                "data": {"latest_sale_date": str | None, "days_since_latest_sale": int | None},
                "model_store": {"directory": str | None,  # None unless an administrator asks
                                "exists": bool, "file_count": int, "size_bytes": int},
            }
        :raise AccessError: the user cannot read analysis runs
        """
        self.check_access("read")
        company = self.env.company
        runs = self.search([("company_id", "=", company.id)], limit=1)
        last_done = self.search([("company_id", "=", company.id), ("status", "=", "done")], limit=1)
        running = bool(
            self.search_count([("company_id", "=", company.id), ("status", "=", "running")])
        )
        cron = self.env.ref("erpconnect_ai.ir_cron_erpconnect_run_analysis", False)
        cron = cron and cron.sudo()
        latest_sale = self.env["erpconnect.data.source"].sudo()._get_latest_sale_date(company)
        today = fields.Date.context_today(self)
        admin = is_admin(self.env)
        store = self._model_store_state(company, admin)
        problems = []
        status = "ok"
        if not cron or not cron.active:
            problems.append(self.env._("The nightly analysis is not scheduled (cron inactive)."))
            status = "error"
        if runs and runs.status == "failed":
            problems.append(self.env._("The last run failed: %s", runs.message or ""))
            status = "error"
        if not last_done:
            problems.append(self.env._("No analysis has completed yet."))
            status = "error" if status == "error" else "warning"
        elif last_done.finished_at < fields.Datetime.now() - timedelta(days=2):
            problems.append(self.env._("The results are more than two days old."))
            status = "error" if status == "error" else "warning"
        if latest_sale is None or (today - latest_sale).days > 30:
            problems.append(self.env._("No confirmed sale in the last 30 days."))
            status = "error" if status == "error" else "warning"
        return {
            "status": status,
            "problems": problems,
            "company_id": company.id,
            "cron": {
                "active": bool(cron and cron.active),
                "next_call": (cron and fields.Datetime.to_string(cron.nextcall)) or None,
                "last_call": (cron and fields.Datetime.to_string(cron.lastcall)) or None,
            },
            "running": running,
            "last_run": runs._health_summary(admin) if runs else None,
            "last_successful_run": (
                last_done
                and {
                    "id": last_done.id,
                    "finished_at": fields.Datetime.to_string(last_done.finished_at),
                    "as_of": fields.Date.to_string(last_done.as_of) or None,
                }
            )
            or None,
            "data": {
                "latest_sale_date": fields.Date.to_string(latest_sale) if latest_sale else None,
                "days_since_latest_sale": (today - latest_sale).days if latest_sale else None,
            },
            "model_store": store,
        }

    def _health_summary(self, admin=False):
        """The run's figures and message; its ``error_details`` only when ``admin``."""
        self.ensure_one()
        return {
            "id": self.id,
            "status": self.status,
            "trigger": self.trigger,
            "started_at": fields.Datetime.to_string(self.started_at),
            "finished_at": fields.Datetime.to_string(self.finished_at) or None,
            "duration_seconds": self.duration if self.finished_at else None,
            "products_processed": self.products_processed,
            "products_failed": self.products_failed,
            "message": self.message or "",
            "error_details": (self.sudo().error_details or "") if admin else None,
        }

    def _model_store_state(self, company, admin=False):
        directory = self._get_model_dir(company)
        file_count = size = 0
        if os.path.isdir(directory):
            for entry in os.scandir(directory):
                if entry.is_file():
                    file_count += 1
                    size += entry.stat().st_size
        return {
            "directory": directory if admin else None,
            "exists": os.path.isdir(directory),
            "file_count": file_count,
            "size_bytes": size,
        }
