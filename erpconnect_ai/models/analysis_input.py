"""The data one analysis run hands from step to step (no ORM objects inside)."""

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

HISTORY_COLUMNS = ("product_id", "date", "qty", "amount")
UNAVAILABLE_COLUMNS = ("product_id", "date")
PRODUCT_COLUMNS = (
    "product_id",
    "warehouse_id",
    "on_hand",
    "incoming",
    "forecasted",
    "lead_time_days",
    "vendor_id",
    "list_price",
    "standard_price",
    "is_storable",
)


def daily_error_sigma(summary):
    """σ of the daily forecast error of each row of an engine forecast ``summary``: the
    engine's own ``sigma_daily`` (``engine.forecasting.EXPLAIN_COLUMNS``), NaN where unknown."""
    if "sigma_daily" not in summary.columns:
        return pd.Series(np.nan, index=summary.index)
    return summary["sigma_daily"].astype(float)


def empty_frame(columns):
    """A DataFrame with the given columns and no rows."""
    return pd.DataFrame({name: pd.Series(dtype="float64") for name in columns})


@dataclass
class AnalysisInput:
    """Everything the steps of one run need, for one company.

    ``history``: ``product_id, date, qty, amount``, one row per product and day with demand
    (the demand ledger, ``erpconnect.demand.daily._history``).
    ``products``: one row per product of ``history`` (columns ``PRODUCT_COLUMNS``).
    ``unavailable``: ``product_id, date`` of the stock-out days in the look-back window (nothing
    on hand in the analysed locations and no sale: the ledger's ``available`` False), days the
    engine may censor rather than count as zero demand.
    ``holidays``: the company's public holidays (global leaves of its working schedule) from the
    first day of the look-back window to the last day of the forecast horizon, sorted dates.
    ``forecast_summary`` and ``segments`` are filled by the forecast and segment steps,
    ``forecast_results`` by the forecast step, ``order_items`` by the replenishment step.
    """

    company_id: int
    as_of: date
    settings: dict
    history: pd.DataFrame = field(default_factory=lambda: empty_frame(HISTORY_COLUMNS))
    products: pd.DataFrame = field(default_factory=lambda: empty_frame(PRODUCT_COLUMNS))
    warehouse_id: int = 0
    model_dir: str = ""
    unavailable: pd.DataFrame = field(default_factory=lambda: empty_frame(UNAVAILABLE_COLUMNS))
    holidays: list = field(default_factory=list)
    forecast_summary: pd.DataFrame | None = None
    segments: pd.DataFrame | None = None
    #: The engine's ForecastResult of each forecast batch (reused by engine.plan_orders).
    forecast_results: list = field(default_factory=list)
    #: The replenishment step's items (purchase facts, ABC class): the policy curve replays them.
    order_items: pd.DataFrame | None = None

    @property
    def product_ids(self):
        """Sorted ids of the products that have demand in the look-back window."""
        return sorted(int(pid) for pid in self.history["product_id"].unique())

    def history_of(self, product_ids):
        """The rows of ``history`` that belong to ``product_ids``."""
        return self.history[self.history["product_id"].isin(list(product_ids))]
