from datetime import timedelta

import pandas as pd

from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError

from .. import engine
from .arguments import MAX_LIST_ROWS, check_days, check_positive_number

# Days of history before a day that give its expected value and spread.
WINDOW_DAYS = 30
# Days up to the analysis date that each run scans; older anomalies are kept as they are.
SCAN_DAYS = 30
# Lower bound of the LOW severity band (|z| between it and 3), capped by the z threshold.
LOW_THRESHOLD = 2.5
ANOMALY_KINDS = [("SPIKE", "Spike"), ("DROP", "Drop"), ("STOCKOUT", "Stock-out")]
# Kinds about the sales of a day (z-scores, to-dos); a STOCKOUT is about availability.
SALES_KINDS = ("SPIKE", "DROP")


class ErpconnectAnomaly(models.Model):
    """An abnormal sales day of one product: a SPIKE above or a DROP below its usual level, or a
    STOCKOUT: days the product could not be sold (nothing on hand, no sale), from ``date`` to
    ``end_date``, with the demand it lost (``lost_units``, the expected demand of those days, and
    ``lost_value`` at the product's average price sold). A zero-sales day while out of stock is
    never a DROP.

    Each run stages the anomalies it finds (``active=False``); publishing merges them with the
    current ones by (company, product, date), so that an anomaly people acknowledged or explained
    keeps its state, note and chatter while its figures are refreshed. Anomalies of the re-scanned
    days that the run no longer finds are removed if nobody handled them; older ones stay.
    A HIGH anomaly schedules one to-do activity for each ERPConnect Manager of its company
    (so none of them misses it); acknowledging or explaining it closes all of them. Stock-outs
    are MEDIUM while they last and LOW once over, and never give a to-do: the reorder suggestion
    (ORDER_NOW) is the action for an empty shelf, and a to-do per product out of stock would
    bury the managers' sales alerts. A DROP that a later run finds to be a stock-out becomes one
    and its to-dos are closed.
    """

    _name = "erpconnect.anomaly"
    _erpconnect_step_name = "anomalies"
    _description = "ERPConnect AI sales anomaly"
    _inherit = ["erpconnect.result.mixin", "mail.thread", "mail.activity.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True
    # People write the explanation; state changes go through the actions.
    _erpconnect_user_fields = ("note",)

    # Not required, and kept when old runs are cleaned up: an anomaly carries what people wrote.
    run_id = fields.Many2one(
        required=False, ondelete="set null", help="Last run that found this anomaly."
    )
    product_id = fields.Many2one(
        "product.product", required=True, index=True, ondelete="cascade", check_company=True
    )
    product_uom_id = fields.Many2one(related="product_id.uom_id", string="Unit")
    date = fields.Date(required=True, index=True)
    qty = fields.Float("Quantity sold", digits="Product Unit of Measure")
    expected = fields.Float(
        "Expected quantity",
        digits="Product Unit of Measure",
        help="Usual daily quantity over the preceding window.",
    )
    z = fields.Float(
        "z-score",
        help="Distance from the expected quantity in standard deviations (negative for a drop; "
        "0 for a stock-out).",
    )
    kind = fields.Selection(ANOMALY_KINDS, required=True, index=True)
    severity = fields.Selection(
        [("HIGH", "High"), ("MEDIUM", "Medium"), ("LOW", "Low")],
        required=True,
        index=True,
        help="High: |z| ≥ 4; medium: from the threshold to 4; low: below the threshold (only "
        "with a threshold under 3). A stock-out is medium while it lasts, low once over.",
    )
    end_date = fields.Date(
        "Last day", help="Last day of a stock-out (the same day for a spike or a drop)."
    )
    stockout_days = fields.Integer("Days out of stock", compute="_compute_stockout_days")
    lost_units = fields.Float(
        "Lost units (estimated)",
        digits="Product Unit of Measure",
        help="Demand the stock-out could not serve: the expected demand of its days (the recent "
        "level of the same weekday while in stock).",
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    lost_value = fields.Monetary(
        "Lost sales (estimated)",
        currency_field="currency_id",
        help="Lost units × the product's average price sold over the look-back window.",
    )
    state = fields.Selection(
        [("new", "New"), ("acknowledged", "Acknowledged"), ("explained", "Explained")],
        required=True,
        default="new",
        index=True,
        tracking=True,
    )
    note = fields.Text(tracking=True, help="What explains this day (promotion, stock-out, error).")
    activity_scheduled = fields.Boolean(
        readonly=True, copy=False, help="The Managers were given a to-do for this anomaly."
    )
    replaced_by_run_id = fields.Many2one(
        "erpconnect.run",
        index="btree_not_null",
        ondelete="set null",
        readonly=True,
        copy=False,
        help="Running analysis that no longer finds this unhandled anomaly; publishing it "
        "removes the anomaly.",
    )

    _sql_constraints = [
        (
            "z_finite",
            "CHECK(z > '-Infinity'::float8 AND z < 'Infinity'::float8)",
            "The z-score of an anomaly must be a finite number.",
        ),
    ]

    @api.depends("date", "end_date", "kind")
    def _compute_stockout_days(self):
        for anomaly in self:
            end = anomaly.end_date or anomaly.date
            anomaly.stockout_days = (
                (end - anomaly.date).days + 1
                if anomaly.kind == "STOCKOUT" and anomaly.date and end
                else 0
            )

    @api.depends("product_id", "date", "kind")
    def _compute_display_name(self):
        kinds = dict(self._fields["kind"]._description_selection(self.env))
        for anomaly in self:
            anomaly.display_name = "%s · %s · %s" % (
                anomaly.product_id.display_name or "",
                anomaly.date or "",
                kinds.get(anomaly.kind, ""),
            )

    # ------------------------------------------------------------------ actions (Managers)

    def action_acknowledge(self):
        """Mark the anomalies acknowledged and close their open activities.

        :raises UserError: an anomaly is not current (staged by a running analysis)
        """
        self.check_access("write")
        self._check_current()
        self.sudo().write({"state": "acknowledged"})
        self._close_activities(self.env._("Acknowledged"))
        return True

    def action_explain(self, note=None):
        """Mark the anomalies explained by ``note`` (or by the note already written on each of
        them) and close their open activities.

        :param str note: explanation written on every anomaly of ``self``; optional when each
            anomaly already has a note.
        :raises UserError: when an anomaly would stay without explanation, or is not current.
        """
        self.check_access("write")
        self._check_current()
        if note is not None and not isinstance(note, str):
            raise ValidationError(self.env._("note must be a text."))
        if note and note.strip():
            self.write({"note": note.strip()})
        unexplained = self.filtered(lambda a: not (a.note or "").strip())
        if unexplained:
            raise UserError(
                self.env._(
                    "Write what explains these anomalies in their note first:\n%(list)s",
                    list="\n".join("- %s" % name for name in unexplained.mapped("display_name")),
                )
            )
        self.sudo().write({"state": "explained"})
        self._close_activities(self.env._("Explained"))
        return True

    def _close_activities(self, feedback):
        """Mark the open activities of ``self`` done with ``feedback``."""
        activities = self.activity_ids
        if activities:
            activities.action_feedback(feedback=feedback)

    # ------------------------------------------------------------------ public API (JSON-RPC)

    @api.model
    @api.readonly
    def get_anomalies(self, days=30, z=3.0):
        """Current anomalies of the last ``days`` days with ``|z| >= z`` and the stock-outs
        (whatever ``z``) that last into those days, most recent first.

        :param int days: look back this many days from today (1 to 365, default 30).
        :param float z: minimal absolute z-score (> 0, default 3.0). Days are flagged by the
            nightly analysis with the configured threshold, so a ``z`` below it finds nothing more.
        :returns: list (at most 1000, ``arguments.MAX_LIST_ROWS``) of dicts ``{"id",
            "product_id", "product_name", "default_code", "company_id", "date" (ISO),
            "end_date" (ISO, the last day of a stock-out, else ``date``), "qty", "expected", "z"
            (0 for a stock-out), "kind" (SPIKE/DROP/STOCKOUT), "severity" (HIGH/MEDIUM/LOW),
            "lost_units", "lost_value" (estimated demand and sales a stock-out lost, 0
            otherwise), "state"
            (new/acknowledged/explained), "note"}``.
        :raises ValidationError: for a ``days`` or ``z`` that is not a positive number.
        """
        check_days(self.env, days)
        check_positive_number(self.env, z, "z")
        since = fields.Date.context_today(self) - timedelta(days=days - 1)
        anomalies = self.search(
            [
                ("company_id", "in", self.env.companies.ids),
                "|",
                "&",
                ("date", ">=", since),
                "|",
                ("z", ">=", z),
                ("z", "<=", -z),
                "&",
                ("kind", "=", "STOCKOUT"),
                ("end_date", ">=", since),
            ],
            limit=MAX_LIST_ROWS,
        )
        return [
            {
                "id": a.id,
                "product_id": a.product_id.id,
                "product_name": a.product_id.display_name,
                "default_code": a.product_id.default_code or False,
                "company_id": a.company_id.id,
                "date": fields.Date.to_string(a.date),
                "end_date": fields.Date.to_string(a.end_date or a.date),
                "qty": a.qty,
                "expected": a.expected,
                "z": a.z,
                "kind": a.kind,
                "severity": a.severity,
                "lost_units": a.lost_units,
                "lost_value": a.lost_value,
                "state": a.state,
                "note": a.note or False,
            }
            for a in anomalies
        ]

    # ------------------------------------------------------------------ analysis pipeline

    @api.model
    def _run_step(self, run, inputs):
        """Stage the anomalies ``run`` finds in ``inputs.history`` over the last SCAN_DAYS days
        up to ``inputs.as_of`` (inactive until published), and mark the current unhandled
        anomalies of those days that it no longer finds. Stock-outs that lost no expected demand
        are left out. Returns the number staged."""
        settings = inputs.settings
        z_threshold = settings["z_threshold"]
        as_of = inputs.as_of
        found = pd.DataFrame(columns=engine.anomalies.ANOMALY_COLUMNS)
        if inputs.history is not None and not inputs.history.empty:
            found = engine.detect_anomalies(
                inputs.history,
                window_days=WINDOW_DAYS,
                z_threshold=z_threshold,
                low_threshold=min(LOW_THRESHOLD, z_threshold),
                mode=settings["anomaly_mode"],
                as_of=as_of,
                scan_days=SCAN_DAYS,
                unavailable=inputs.unavailable,
            )
        lost_value = self._lost_values(inputs, found)
        vals_list = [
            {
                "active": False,
                "run_id": run.id,
                "company_id": inputs.company_id,
                "product_id": int(row.product_id),
                "date": pd.Timestamp(row.date).date(),
                "end_date": pd.Timestamp(row.end_date).date(),
                "qty": row.qty,
                "expected": row.expected,
                "z": row.z if row.kind in SALES_KINDS else 0.0,
                "kind": row.kind,
                "severity": row.severity,
                "lost_units": row.lost_units,
                "lost_value": value,
            }
            for row, value in zip(found.itertuples(index=False), lost_value, strict=True)
        ]
        staged = self.with_context(tracking_disable=True).create(vals_list)

        leftovers = self.search(
            [("company_id", "=", inputs.company_id), ("replaced_by_run_id", "!=", False)]
        )
        leftovers.write({"replaced_by_run_id": False})  # marked by a run that was killed
        found_keys = {(vals["product_id"], vals["date"]) for vals in vals_list}
        scanned = self.search(
            [
                ("company_id", "=", inputs.company_id),
                ("state", "=", "new"),
                ("date", ">", as_of - timedelta(days=SCAN_DAYS)),
                ("date", "<=", as_of),
            ]
        )
        scanned.filtered(lambda a: (a.product_id.id, a.date) not in found_keys).write(
            {"replaced_by_run_id": run.id}
        )
        return len(staged)

    @api.model
    def _lost_values(self, inputs, found):
        """Estimated sales lost by each STOCKOUT row of ``found`` (list aligned with its rows, 0
        for the others): the sum over its days of ``engine.lost_sales``' ``lost_amount``
        (expected demand × the average price sold in the look-back window), the figures of the
        "Lost sales (estimated)" KPI."""
        values = pd.Series(0.0, index=range(len(found)))
        stockouts = found.reset_index(drop=True)
        stockouts = stockouts[stockouts["kind"] == "STOCKOUT"]
        if stockouts.empty:
            return values.tolist()
        daily = engine.lost_sales(
            inputs.history,
            inputs.unavailable,
            as_of=inputs.as_of,
            lookback_days=inputs.settings["lookback_days"],
        )
        days = stockouts.reset_index()[["index", "product_id", "date", "end_date"]].merge(
            daily[["product_id", "date", "lost_amount"]].rename(columns={"date": "day"}),
            on="product_id",
        )
        days = days[(days["day"] >= days["date"]) & (days["day"] <= days["end_date"])]
        values.update(days.groupby("index")["lost_amount"].sum())
        return values.fillna(0.0).tolist()

    @api.model
    def _publish_run(self, run):
        """Merge the anomalies staged by ``run`` into the current ones by (company, product,
        date), remove those it replaced, and give the Managers a to-do for new HIGH ones."""
        everything = self.with_context(active_test=False, tracking_disable=True)
        company = run.company_id
        staged = everything.search(
            [("company_id", "=", company.id), ("run_id", "=", run.id), ("active", "=", False)]
        )
        current = self.search([("company_id", "=", company.id)])
        current_by_key = {(a.product_id.id, a.date): a for a in current}
        refreshed = self.browse()
        duplicates = self.browse()
        for anomaly in staged:
            existing = current_by_key.get((anomaly.product_id.id, anomaly.date))
            if existing:
                if anomaly.kind == "STOCKOUT" and existing.kind != "STOCKOUT":
                    existing._close_activities(self.env._("Out of stock: not a drop of demand"))
                existing.write(
                    {
                        "run_id": run.id,
                        "qty": anomaly.qty,
                        "expected": anomaly.expected,
                        "z": anomaly.z,
                        "kind": anomaly.kind,
                        "severity": anomaly.severity,
                        "end_date": anomaly.end_date,
                        "lost_units": anomaly.lost_units,
                        "lost_value": anomaly.lost_value,
                        "replaced_by_run_id": False,
                    }
                )
                refreshed |= existing
                duplicates |= anomaly
        duplicates.unlink()
        fresh = staged - duplicates
        fresh.write({"active": True})
        everything.search(
            [("company_id", "=", company.id), ("replaced_by_run_id", "=", run.id)]
        ).unlink()
        (refreshed | fresh)._schedule_manager_activities()

    @api.model
    def _discard_run(self, run):
        """Remove the anomalies staged by ``run`` for the run's company and forget what it marked
        as replaced."""
        everything = self.with_context(active_test=False)
        company = run.company_id
        everything.search(
            [("company_id", "=", company.id), ("run_id", "=", run.id), ("active", "=", False)]
        ).unlink()
        everything.search(
            [("company_id", "=", company.id), ("replaced_by_run_id", "=", run.id)]
        ).write({"replaced_by_run_id": False})

    def _schedule_manager_activities(self):
        """One to-do per ERPConnect Manager of the company for each new HIGH spike or drop of
        ``self`` that has not had one yet (stock-outs never: see the class docstring)."""
        todo = self.filtered(
            lambda a: (
                a.severity == "HIGH"
                and a.kind in SALES_KINDS
                and a.state == "new"
                and not a.activity_scheduled
            )
        )
        if not todo:
            return
        managers = self.env["res.users"].search(
            [
                ("groups_id", "in", self.env.ref("erpconnect_ai.group_erpconnect_manager").id),
                ("share", "=", False),
                ("company_ids", "in", todo.company_id.ids),
            ]
        )
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        model_id = self.env["ir.model"]._get_id(self._name)
        today = fields.Date.context_today(self)
        vals_list = []
        for anomaly in todo:
            summary = self.env._(
                "Sales %(kind)s of %(product)s on %(date)s (z = %(z)s)",
                kind=dict(self._fields["kind"]._description_selection(self.env))[
                    anomaly.kind
                ].lower(),
                product=anomaly.product_id.display_name,
                date=anomaly.date,
                z="%.1f" % anomaly.z,
            )
            vals_list.extend(
                {
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "summary": summary,
                    "date_deadline": today,
                    "res_model_id": model_id,
                    "res_id": anomaly.id,
                    "user_id": user.id,
                }
                for user in managers
                if anomaly.company_id in user.company_ids
            )
        # The to-dos show in each manager's activities; no e-mail per to-do (a first run on
        # 10,000 products finds about 3,000 HIGH anomalies: one e-mail each was 50 s of the
        # publish step and a mail storm; bench/pipeline_bench.py).
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(vals_list)
        todo.write({"activity_scheduled": True})
