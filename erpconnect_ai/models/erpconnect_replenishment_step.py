"""The replenishment step of the analysis pipeline (``erpconnect.replenishment``, see
``erpconnect_replenishment.py``): the order policy of the company's settings
(``engine.plan_orders`` or the classic ``engine.replenishment``) on Odoo's purchase facts, staged
as suggestions of the run."""

import math

import numpy as np
import pandas as pd

from odoo import api, models

from .. import engine
from ..tools.purchase_budget import budget_priority, expected_shortage, protection_sigma
from .analysis_input import daily_error_sigma
from .erpconnect_forecast import _number

# Days of coverage stored for a product without demand (its stock never runs out).
NO_DEMAND_COVERAGE_DAYS = 9999.0
# Item columns engine.plan_orders reads (stock + incoming = the inventory position).
PLAN_ITEM_COLUMNS = (
    "product_id",
    "stock",
    "incoming",
    "lead_time_days",
    "lead_time_std",
    "abc",
    "min_qty",
    "multiple",
    "rounding",
    "review_days",
)
# Item columns of the classic engine.replenishment (the seed policy, setting stock_policy).
CLASSIC_ITEM_COLUMNS = (
    "product_id",
    "avg_daily_demand",
    "stock",
    "incoming",
    "lead_time_days",
    "demand_std",
    "adi",
    "cv2",
    "abc",
    "min_qty",
    "multiple",
    "rounding",
)


class ErpconnectReplenishmentStep(models.Model):
    _inherit = "erpconnect.replenishment"

    @api.model
    def _run_step(self, run, inputs):
        """Stage the suggestions of ``run`` for ``inputs.company_id`` (inactive until published).

        Setting ``stock_policy`` ``forecast`` (default): engine ``plan_orders`` on the history
        (the forecast step's forecasts reused), protection period = lead time + the vendor's
        review period, service levels ``service_level_a/b/c`` per ABC class; ``service`` or
        ``days``: the classic engine ``replenishment`` (protection = lead time, the forecast's
        daily demand, ``safety_days``), its excess by the same rule as ``plan_orders``. Both
        with Odoo's purchase facts (:meth:`_replenishment_items`): quantities orderable (vendor
        minimum, packaging, purchase unit rounding); then the vendor line Odoo's purchase rule
        picks for each quantity, whose minimum may raise it. Storable products with sales
        history only. Sets ``inputs.order_items`` (the items, for the policy curve step);
        returns the number of suggestions staged.
        """
        items = self._replenishment_items(inputs)
        if items.empty:
            return 0
        if inputs.settings["stock_policy"] == "forecast":
            result = self._plan_orders(inputs, items)
        else:
            result = self._classic_orders(inputs, items)
        items = self._vendor_for_quantities(inputs, items, result)
        inputs.order_items = items
        # The engine's figures (lead time and review period as used) win over the items'.
        overlap = [c for c in items.columns if c in result.columns and c != "product_id"]
        frame = result.merge(items.drop(columns=overlap), on="product_id")
        frame["suggested_qty"] = frame["order_qty"]
        return len(
            self.with_context(tracking_disable=True).create(self._staged_values(run, inputs, frame))
        )

    @api.model
    def _plan_orders(self, inputs, items):
        """``engine.plan_orders`` of ``items`` (see :meth:`_run_step`)."""
        settings = inputs.settings
        forecast = inputs.forecast_results or None
        protection = items["lead_time_days"].fillna(settings["default_lead_time"]) + items[
            "review_days"
        ].fillna(0)
        if forecast is not None and protection.max() > settings["horizon_days"]:
            # A protection period beyond the forecast horizon: forecast again, further.
            forecast = None
        return engine.plan_orders(
            inputs.history_of(items["product_id"]),
            items[list(PLAN_ITEM_COLUMNS)],
            as_of=inputs.as_of,
            service_levels=self._service_levels(settings),
            method=settings["forecast_method"],
            forecast=forecast,
            default_lead_time=settings["default_lead_time"],
            **self._censoring(inputs),
        )

    @api.model
    def _censoring(self, inputs):
        """``holidays`` and ``unavailable`` (stock-out days) of ``inputs`` for the engine,
        those that are known."""
        options = {}
        if inputs.holidays:
            options["holidays"] = inputs.holidays
        if inputs.unavailable is not None and not inputs.unavailable.empty:
            options["unavailable"] = inputs.unavailable
        return options

    @api.model
    def _classic_orders(self, inputs, items):
        """The classic ``engine.replenishment`` of ``items`` (setting ``stock_policy``
        ``service`` or ``days``), with the columns of ``plan_orders``: protection = lead time,
        protection demand = daily demand × lead time, its upper value the reorder point."""
        settings = inputs.settings
        result = engine.replenishment(
            items[list(CLASSIC_ITEM_COLUMNS)],
            safety_days=settings["safety_days"],
            mode=settings["stock_policy"],
            service_levels=self._service_levels(settings),
            default_lead_time=settings["default_lead_time"],
        )
        lots = items.set_index("product_id").reindex(result["product_id"])
        position = (lots["stock"] + lots["incoming"]).to_numpy()
        result["position"] = position
        result["protection_days"] = result["lead_time_days"]
        result["protection_demand"] = result["avg_daily_demand"] * result["lead_time_days"]
        result["protection_upper"] = result["reorder_point"]
        result["excess_qty"] = engine.ordering.excess_quantity(
            position,
            result["order_up_to"].to_numpy(),
            result["avg_daily_demand"].to_numpy(),
            lots["min_qty"].to_numpy(),
            lots["multiple"].to_numpy(),
            engine.ordering.EXCESS_DAYS,
        )
        excess = (result["urgency"] != "ORDER_NOW") & (result["excess_qty"] > 0)
        result.loc[excess, "urgency"] = "EXCESS"
        return result

    @api.model
    def _service_levels(self, settings):
        return {
            "A": settings["service_level_a"],
            "B": settings["service_level_b"],
            "C": settings["service_level_c"],
        }

    @api.model
    def _vendor_for_quantities(self, inputs, items, result):
        """``items`` with the vendor line Odoo's purchase rule picks for each quantity to order
        (``erpconnect.purchase.facts._reselect_for_quantities``); sets ``result["order_qty"]``:
        the suggested quantity, raised to the new line's minimum where the line changed."""
        need = (result["order_up_to"] - result["position"]).clip(lower=0)
        need = need.where(result["suggested_qty"] > 0, 0.0)
        wanted = dict(zip(result["product_id"].astype(int), need))
        facts = self.env["erpconnect.purchase.facts"]._reselect_for_quantities(
            self.env["res.company"].browse(inputs.company_id), items, wanted
        )
        by_product = facts.set_index("product_id").reindex(result["product_id"])
        before = items.set_index("product_id").reindex(result["product_id"])
        changed = (by_product["min_qty"].to_numpy() != before["min_qty"].to_numpy()) & (
            result["suggested_qty"].to_numpy() > 0
        )
        order_qty = result["suggested_qty"].to_numpy(dtype=float).copy()
        if changed.any():
            order_qty[changed] = engine.order_quantity(
                need.to_numpy()[changed],
                by_product["min_qty"].to_numpy()[changed],
                by_product["multiple"].to_numpy()[changed],
                by_product["rounding"].to_numpy()[changed],
            )
        result["order_qty"] = order_qty
        return facts

    @api.model
    def _staged_values(self, run, inputs, frame):
        """Values of the staged suggestions of one row of ``frame`` each (engine result merged
        with its items)."""
        price = frame["vendor_price"].where(frame["vendor_price"].notna(), frame["unit_cost"])
        position = frame["stock"] + frame["incoming"]
        levels = frame["service_level"].astype(float).fillna(0.0)
        sigma = protection_sigma(frame["protection_demand"], frame["protection_upper"], levels)
        shortage = expected_shortage(frame["protection_demand"], sigma, position)
        lost_sales = shortage * frame["list_price"].to_numpy(dtype=float)
        value = frame["suggested_qty"] * price
        priority = budget_priority(value, lost_sales)
        frame = frame.assign(
            purchase_price=price,
            suggested_value=value,
            expected_lost_sales=lost_sales,
            budget_priority=np.where(np.isfinite(priority) & (value > 0), priority, 0.0),
            excess_value=frame["excess_qty"] * frame["unit_cost"],
        )
        return [
            {
                "active": False,
                "run_id": run.id,
                "company_id": inputs.company_id,
                "product_id": int(row.product_id),
                "warehouse_id": int(row.warehouse_id) or False,
                "vendor_id": int(row.vendor_id) or False,
                "supplierinfo_id": int(row.supplierinfo_id) or False,
                "packaging_id": int(row.packaging_id) or False,
                "purchase_uom_id": int(row.purchase_uom_id) or False,
                "on_hand_qty": row.stock,
                "incoming_qty": row.incoming_moves,
                "rfq_qty": row.rfq_qty,
                "avg_daily_demand": row.avg_daily_demand,
                "lead_time_days": row.lead_time_days,
                "lead_time_std": row.lead_time_std,
                "lead_time_source": row.lead_time_source or "default",
                "vendor_delay": _number(row.vendor_delay),
                "purchase_lead_days": row.purchase_lead_days,
                "measured_lead_time": _number(row.measured_lead_time),
                "measured_lead_time_std": _number(row.measured_lead_time_std),
                "measured_receipts": int(row.measured_receipts),
                "review_days": row.review_days,
                "protection_days": row.protection_days,
                "protection_demand": row.protection_demand,
                "protection_upper": row.protection_upper,
                "safety_stock": row.safety_stock,
                "reorder_point": row.reorder_point,
                "order_up_to": row.order_up_to,
                "suggested_qty": row.suggested_qty,
                "suggested_purchase_qty": row.suggested_qty / row.purchase_uom_ratio,
                "min_qty": row.min_qty,
                "order_multiple": row.multiple,
                "order_rounding": row.rounding,
                "purchase_price": row.purchase_price,
                "suggested_value": row.suggested_value,
                "excess_qty": row.excess_qty,
                "excess_value": row.excess_value,
                "expected_lost_sales": row.expected_lost_sales,
                "budget_priority": row.budget_priority,
                "days_of_coverage": _coverage_days(row.days_of_coverage),
                "urgency": row.urgency,
                "policy": row.policy,
                "service_level": 0.0 if pd.isna(row.service_level) else row.service_level,
                "warning": row.warning or False,
            }
            for row in frame.itertuples(index=False)
        ]

    @api.model
    def _replenishment_items(self, inputs):
        """Engine input for ``inputs``: one row per storable product with sales history.

        Columns ``product_id, warehouse_id, stock`` (on hand), ``incoming_moves, rfq_qty,
        incoming`` (= incoming moves + draft RFQs, what the engine counts as ordered),
        ``unit_cost, list_price, avg_daily_demand, demand_std, adi, cv2, abc`` and the
        purchase facts (``erpconnect.purchase.facts.FACT_COLUMNS``: vendor, ``lead_time_days``
        as Odoo's reorder rules count it, ``lead_time_std``, ``review_days``, lot sizes
        ``min_qty, multiple, rounding`` in the product unit, ...).
        """
        products = inputs.products
        if inputs.history.empty or products.empty:
            return pd.DataFrame()
        if "is_storable" in products.columns:
            products = products[products["is_storable"].astype(bool)]
        items = products.drop_duplicates("product_id").merge(
            self._demand_frame(inputs), on="product_id", how="inner"
        )
        if items.empty:
            return pd.DataFrame()
        segments = inputs.segments
        if segments is not None and not segments.empty:
            items = items.merge(segments[["product_id", "abc"]], on="product_id", how="left")
        else:
            items["abc"] = None
        company = self.env["res.company"].browse(inputs.company_id)
        Facts = self.env["erpconnect.purchase.facts"]
        product_ids = items["product_id"].astype(int).tolist()
        rfq = Facts._draft_rfq_quantities(inputs.company_id, product_ids)
        rfq_qty = items["product_id"].map(rfq).fillna(0.0).astype(float)
        incoming_moves = items["incoming"].fillna(0.0).astype(float)
        warehouse = self.env["stock.warehouse"].browse(inputs.warehouse_id or [])
        facts = Facts._get_purchase_facts(company, product_ids, warehouse=warehouse or None)
        base = pd.DataFrame(
            {
                "product_id": items["product_id"].astype("int64"),
                "warehouse_id": items["warehouse_id"].fillna(0).astype("int64"),
                "stock": items["on_hand"].astype(float),
                "incoming_moves": incoming_moves,
                "rfq_qty": rfq_qty,
                "incoming": incoming_moves + rfq_qty,
                "unit_cost": items["standard_price"].fillna(0.0).astype(float),
                "list_price": items["list_price"].fillna(0.0).astype(float),
                "avg_daily_demand": items["avg_daily_demand"].astype(float),
                "demand_std": items["demand_std"].astype(float),
                "adi": items["adi"].astype(float),
                "cv2": items["cv2"].astype(float),
                "abc": items["abc"].astype(object).where(items["abc"].notna(), None),
            }
        )
        return base.merge(facts, on="product_id", how="left")

    @api.model
    def _demand_frame(self, inputs):
        """``product_id, avg_daily_demand, demand_std, adi, cv2`` of the products of
        ``inputs.history``.

        The average is the forecast step's ``daily_demand`` (the engine's moving-average baseline
        when there is no forecast summary). The spread is that of the forecast errors, from the
        summary (``analysis_input.daily_error_sigma``); the spread of the daily
        demand over the look-back where the summary has no interval. ``adi`` and ``cv2`` (for
        intermittent demand) come from the daily history over the look-back.
        """
        statistics = engine.demand_statistics(
            engine.daily_matrix(
                inputs.history,
                as_of=inputs.as_of,
                lookback_days=inputs.settings["lookback_days"],
            )
        )
        summary = inputs.forecast_summary
        if summary is None:
            summary = engine.demand_baseline(inputs.history, as_of=inputs.as_of)
        error = pd.DataFrame(
            {"product_id": summary["product_id"], "error_std": daily_error_sigma(summary)}
        )
        frame = (
            statistics[["product_id", "demand_std", "adi", "cv2"]]
            .merge(summary[["product_id", "daily_demand"]], on="product_id", how="inner")
            .merge(error, on="product_id", how="left")
        )
        demand_std = frame["error_std"].where(frame["error_std"].notna(), frame["demand_std"])
        return pd.DataFrame(
            {
                "product_id": frame["product_id"].astype("int64"),
                "avg_daily_demand": frame["daily_demand"].fillna(0.0).clip(lower=0).astype(float),
                "demand_std": demand_std.astype(float),
                "adi": frame["adi"],
                "cv2": frame["cv2"],
            }
        )


def _coverage_days(value):
    """Days of coverage as stored: a finite float, NO_DEMAND_COVERAGE_DAYS for 'forever'."""
    if value is None or not math.isfinite(value):
        return NO_DEMAND_COVERAGE_DAYS
    return min(float(value), NO_DEMAND_COVERAGE_DAYS)
