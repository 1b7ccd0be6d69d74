"""The KPI catalogue: what each KPI is, in keyword form (pure data, no Odoo, no numpy).

Each entry names its code, label, category, unit, which direction is better, its kind (below), the
formula in words (``description``, shown to users and in ``docs/kpis.md``) and the data groups
(``sources``) the ORM layer loads for it. The arithmetic lives in ``kpi_formulas.py``.

KPI kinds:

- ``flow``: a figure over the bucket (revenue, orders, deliveries done in the bucket);
- ``growth``: a flow's change in % against the bucket before;
- ``snapshot``: the state at the end of the bucket (stock rebuilt from the stock moves after it);
- ``window``: events in a fixed window (7 or 30 days) ending at the bucket end.
"""

from dataclasses import dataclass


def _lt(text):
    """Mark ``text`` for translation extraction; the ORM layer translates it."""
    return text


CATEGORIES = {
    "sales": _lt("Revenue & sales"),
    "orders": _lt("Orders & customers"),
    "inventory": _lt("Inventory"),
    "products": _lt("Products"),
    "ai": _lt("AI & forecasts"),
    "efficiency": _lt("Efficiency"),
}
UNITS = ("currency", "percent", "count", "days", "ratio", "date")
DIRECTIONS = ("higher", "lower")
KINDS = ("flow", "growth", "snapshot", "window")


@dataclass(frozen=True)
class KpiDefinition:
    """One catalogue entry. ``sources`` names the data groups the ORM layer must load
    (``sales_costs``: the costs and goods of the sales, read with each product's current
    cost and type; ``sales`` alone reads revenue and units only)."""

    code: str
    name: str
    category: str
    unit: str
    direction: str
    kind: str
    description: str
    sources: tuple = ()


KPI_CATALOG = (
    # Revenue & sales ----------------------------------------------------------------------------
    KpiDefinition(
        code="revenue_total",
        name=_lt("Revenue"),
        category="sales",
        unit="currency",
        direction="higher",
        kind="flow",
        description=_lt(
            "Sum of the untaxed amounts of the confirmed sale orders whose order date is in the "
            "period, in the company currency (amount / order currency rate)."
        ),
        sources=("sales",),
    ),
    KpiDefinition(
        code="revenue_growth",
        name=_lt("Revenue growth"),
        category="sales",
        unit="percent",
        direction="higher",
        kind="growth",
        description=_lt(
            "(revenue − revenue of the previous period) / |revenue of the previous period| × 100."
        ),
        sources=("sales",),
    ),
    KpiDefinition(
        code="gross_profit",
        name=_lt("Gross profit"),
        category="sales",
        unit="currency",
        direction="higher",
        kind="flow",
        description=_lt(
            "Revenue − cost of the quantities sold, the cost being the product's current cost "
            "(standard price) × quantity in the product's unit."
        ),
        sources=("sales", "sales_costs"),
    ),
    KpiDefinition(
        code="gross_margin",
        name=_lt("Gross margin"),
        category="sales",
        unit="percent",
        direction="higher",
        kind="flow",
        description=_lt("(revenue − cost of the quantities sold) / revenue × 100."),
        sources=("sales", "sales_costs"),
    ),
    KpiDefinition(
        code="average_order_value",
        name=_lt("Average order value"),
        category="sales",
        unit="currency",
        direction="higher",
        kind="flow",
        description=_lt("Revenue / number of confirmed orders of the period."),
        sources=("sales", "orders"),
    ),
    KpiDefinition(
        code="revenue_per_active_product",
        name=_lt("Revenue per active product"),
        category="sales",
        unit="currency",
        direction="higher",
        kind="flow",
        description=_lt("Revenue / number of distinct products sold in the period."),
        sources=("sold_products",),
    ),
    KpiDefinition(
        code="units_sold",
        name=_lt("Units sold"),
        category="sales",
        unit="count",
        direction="higher",
        kind="flow",
        description=_lt(
            "Sum of the ordered quantities of confirmed lines, in each product's unit."
        ),
        sources=("sales",),
    ),
    # Orders & customers -------------------------------------------------------------------------
    KpiDefinition(
        code="order_count",
        name=_lt("Orders"),
        category="orders",
        unit="count",
        direction="higher",
        kind="flow",
        description=_lt("Number of confirmed sale orders whose order date is in the period."),
        sources=("orders",),
    ),
    KpiDefinition(
        code="order_growth",
        name=_lt("Order growth"),
        category="orders",
        unit="percent",
        direction="higher",
        kind="growth",
        description=_lt(
            "(orders − orders of the previous period) / orders of the previous period × 100."
        ),
        sources=("orders",),
    ),
    KpiDefinition(
        code="fulfilment_rate",
        name=_lt("Fulfilment rate"),
        category="orders",
        unit="percent",
        direction="higher",
        kind="flow",
        description=_lt(
            "Delivered quantity / ordered quantity × 100, over the lines delivered by stock moves "
            "of the orders of the period."
        ),
        sources=("sales", "sales_costs"),
    ),
    KpiDefinition(
        code="late_delivery_rate",
        name=_lt("Late deliveries"),
        category="orders",
        unit="percent",
        direction="lower",
        kind="flow",
        description=_lt(
            "Customer deliveries done in the period after their due day / deliveries done × 100; "
            "due day = the order's commitment date, else the delivery's deadline, else its "
            "scheduled date."
        ),
        sources=("deliveries",),
    ),
    KpiDefinition(
        code="active_customers",
        name=_lt("Active customers"),
        category="orders",
        unit="count",
        direction="higher",
        kind="flow",
        description=_lt(
            "Distinct customers (commercial entities) with a confirmed order in the period."
        ),
        sources=("orders",),
    ),
    KpiDefinition(
        code="repeat_customer_rate",
        name=_lt("Repeat customers"),
        category="orders",
        unit="percent",
        direction="higher",
        kind="flow",
        description=_lt(
            "Active customers with at least two confirmed orders up to the end of the period "
            "(in it, or one before it) / active customers × 100."
        ),
        sources=("orders", "repeat"),
    ),
    # Inventory ----------------------------------------------------------------------------------
    KpiDefinition(
        code="stock_value",
        name=_lt("Stock value"),
        category="inventory",
        unit="currency",
        direction="higher",
        kind="snapshot",
        description=_lt(
            "Σ on-hand quantity in internal locations × current product cost, at the end of the "
            "period (past stock = today's stock − the done stock moves since)."
        ),
        sources=("stock",),
    ),
    KpiDefinition(
        code="inventory_turnover",
        name=_lt("Inventory turnover"),
        category="inventory",
        unit="ratio",
        direction="higher",
        kind="flow",
        description=_lt(
            "Annualised: cost of the goods delivered to customers in the period (net of returns) × "
            "365 / days ÷ average of the stock values at the start and the end of the period."
        ),
        sources=("stock",),
    ),
    KpiDefinition(
        code="days_of_cover",
        name=_lt("Days of cover"),
        category="inventory",
        unit="days",
        direction="lower",
        kind="flow",
        description=_lt(
            "Stock value at the end of the period / (cost of the goods delivered in the period / "
            "days)."
        ),
        sources=("stock",),
    ),
    KpiDefinition(
        code="low_stock_count",
        name=_lt("Low stock"),
        category="inventory",
        unit="count",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "Active storable products with stock > 0 but below their reorder rule minimum (sum "
            "of the company's rules) or below the suggested reorder point."
        ),
        sources=("products", "stock", "rules", "rop"),
    ),
    KpiDefinition(
        code="out_of_stock_count",
        name=_lt("Out of stock"),
        category="inventory",
        unit="count",
        direction="lower",
        kind="snapshot",
        description=_lt("Active storable products with an on-hand quantity ≤ 0."),
        sources=("products", "stock"),
    ),
    KpiDefinition(
        code="below_rop_count",
        name=_lt("Below reorder point"),
        category="inventory",
        unit="count",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "Active storable products whose stock is below the reorder point of the latest "
            "replenishment suggestion; no data without suggestions."
        ),
        sources=("products", "stock", "rop"),
    ),
    KpiDefinition(
        code="overstock_count",
        name=_lt("Overstock"),
        category="inventory",
        unit="count",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "Active storable products with stock above their reorder rule maximum or, without a "
            "maximum, above 180 days of their average daily sales of the last 90 days (any stock "
            "when they did not sell)."
        ),
        sources=("products", "stock", "rules", "sales_daily"),
    ),
    KpiDefinition(
        code="dead_stock_value",
        name=_lt("Dead stock value"),
        category="inventory",
        unit="currency",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "Σ stock × current cost of the products in stock without a confirmed sale in the 90 "
            "days before the end of the period."
        ),
        sources=("products", "stock", "sales_daily"),
    ),
    # Products -----------------------------------------------------------------------------------
    KpiDefinition(
        code="active_product_count",
        name=_lt("Active products"),
        category="products",
        unit="count",
        direction="higher",
        kind="flow",
        description=_lt("Distinct products with a confirmed sale in the period."),
        sources=("sold_products",),
    ),
    KpiDefinition(
        code="product_count",
        name=_lt("Total products"),
        category="products",
        unit="count",
        direction="higher",
        kind="snapshot",
        description=_lt(
            "Active, sellable products of the company (or shared) created before the end of the "
            "period."
        ),
        sources=("products",),
    ),
    KpiDefinition(
        code="new_product_count",
        name=_lt("New products"),
        category="products",
        unit="count",
        direction="higher",
        kind="flow",
        description=_lt("Active, sellable products created in the period."),
        sources=("products",),
    ),
    KpiDefinition(
        code="average_list_price",
        name=_lt("Average list price"),
        category="products",
        unit="currency",
        direction="higher",
        kind="snapshot",
        description=_lt(
            "Mean sales price of the active, sellable products existing at the end of the period."
        ),
        sources=("products",),
    ),
    KpiDefinition(
        code="unsold_product_count",
        name=_lt("Products without sales"),
        category="products",
        unit="count",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "Total products − the active, sellable products with a confirmed sale in the period."
        ),
        sources=("products", "sold_products"),
    ),
    # AI & forecasts -----------------------------------------------------------------------------
    KpiDefinition(
        code="forecast_accuracy_smape",
        name=_lt("Forecast error (sMAPE)"),
        category="ai",
        unit="percent",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "sMAPE (0 to 200 %) of the forecasts measured after the fact: the forecast weeks "
            "scored against what then sold whose last day is in the period, weighted by their "
            "days scored (stock-out days are not scored). The backtest figure of each forecast "
            "is only what to expect."
        ),
        sources=("forecast_scores",),
    ),
    KpiDefinition(
        code="forecast_accuracy_mase",
        name=_lt("Forecast error (MASE)"),
        category="ai",
        unit="ratio",
        direction="lower",
        kind="snapshot",
        description=_lt(
            "MASE (error / the forecast's error scale; below 1 beats repeating last week) of "
            "the forecasts measured after the fact, over the same weeks as the sMAPE."
        ),
        sources=("forecast_scores",),
    ),
    KpiDefinition(
        code="anomalies_7d",
        name=_lt("Anomalies (7 days)"),
        category="ai",
        unit="count",
        direction="lower",
        kind="window",
        description=_lt(
            "Abnormal sales days detected, dated in the 7 days up to the end of the period."
        ),
        sources=("anomalies",),
    ),
    KpiDefinition(
        code="anomalies_30d",
        name=_lt("Anomalies (30 days)"),
        category="ai",
        unit="count",
        direction="lower",
        kind="window",
        description=_lt(
            "Abnormal sales days detected, dated in the 30 days up to the end of the period."
        ),
        sources=("anomalies",),
    ),
    KpiDefinition(
        code="lost_sales",
        name=_lt("Lost sales (estimated)"),
        category="ai",
        unit="currency",
        direction="lower",
        kind="flow",
        description=_lt(
            "Sales the stock-outs of the period lost: over the days a product could not be sold "
            "(nothing on hand, no sale), the demand its forecast expected × its average price "
            "sold, as the current stock-out anomalies estimate it (a stock-out's value spread "
            "evenly over its days)."
        ),
        sources=("stockouts",),
    ),
    KpiDefinition(
        code="forecast_value_added",
        name=_lt("Forecast value added"),
        category="ai",
        unit="ratio",
        direction="higher",
        kind="flow",
        description=_lt(
            "Error of the statistical forecast − error of the planners' adjusted forecast "
            "(mean absolute error, units a day), over the adjusted product-days of the forecast "
            "weeks scored after the fact whose last day is in the period; above 0 the "
            "adjustments helped. No data without adjusted days."
        ),
        sources=("forecast_scores",),
    ),
    KpiDefinition(
        code="trained_model_count",
        name=_lt("Products with a trained model"),
        category="ai",
        unit="count",
        direction="higher",
        kind="snapshot",
        description=_lt(
            "Products forecast by the last successful analysis run before the end of the period."
        ),
        sources=("runs",),
    ),
    KpiDefinition(
        code="last_training_date",
        name=_lt("Last training"),
        category="ai",
        unit="date",
        direction="higher",
        kind="snapshot",
        description=_lt(
            "Day the last successful analysis run before the end of the period finished."
        ),
        sources=("runs",),
    ),
    KpiDefinition(
        code="suggestions_applied_rate",
        name=_lt("Suggestions applied"),
        category="ai",
        unit="percent",
        direction="higher",
        kind="flow",
        description=_lt(
            "Replenishment suggestions created in the period and applied / those created × 100."
        ),
        sources=("suggestions",),
    ),
    # Efficiency ---------------------------------------------------------------------------------
    KpiDefinition(
        code="order_processing_time",
        name=_lt("Order processing time"),
        category="efficiency",
        unit="days",
        direction="lower",
        kind="flow",
        description=_lt(
            "Mean days from order confirmation to its first customer delivery done, over the "
            "orders whose first delivery was done in the period."
        ),
        sources=("deliveries",),
    ),
    KpiDefinition(
        code="order_cycle_time",
        name=_lt("Order cycle time"),
        category="efficiency",
        unit="days",
        direction="lower",
        kind="flow",
        description=_lt(
            "Mean days from quotation creation to the last customer delivery done, over the "
            "orders fully delivered in the period."
        ),
        sources=("deliveries",),
    ),
    KpiDefinition(
        code="on_time_delivery_rate",
        name=_lt("On-time deliveries"),
        category="efficiency",
        unit="percent",
        direction="higher",
        kind="flow",
        description=_lt(
            "Customer deliveries done in the period by their due day / deliveries done × 100."
        ),
        sources=("deliveries",),
    ),
)
KPI_BY_CODE = {kpi.code: kpi for kpi in KPI_CATALOG}
#: KPIs counting or valuing products by their own stock level (``_stock_product_kpis``): each
#: point rebuilds every product's stock, and a point depends only on the moment it ends, not on
#: the bucket's length.
STOCK_PRODUCT_CODES = frozenset(
    kpi.code for kpi in KPI_CATALOG if {"products", "stock"} <= set(kpi.sources)
)


@dataclass(frozen=True)
class ProductMetric:
    """One product-level figure of ``get_comparison``."""

    code: str
    name: str
    unit: str
    direction: str


#: Product-level figures of ``get_comparison``, in the order they are shown.
PRODUCT_METRICS = (
    ProductMetric(code="revenue_total", name=_lt("Revenue"), unit="currency", direction="higher"),
    ProductMetric(
        code="revenue_growth", name=_lt("Revenue growth"), unit="percent", direction="higher"
    ),
    ProductMetric(code="units_sold", name=_lt("Units sold"), unit="count", direction="higher"),
    ProductMetric(code="order_count", name=_lt("Orders"), unit="count", direction="higher"),
    ProductMetric(code="active_customers", name=_lt("Customers"), unit="count", direction="higher"),
    ProductMetric(
        code="average_price", name=_lt("Average selling price"), unit="currency", direction="higher"
    ),
    ProductMetric(
        code="gross_margin", name=_lt("Gross margin"), unit="percent", direction="higher"
    ),
    ProductMetric(
        code="fulfilment_rate", name=_lt("Fulfilment rate"), unit="percent", direction="higher"
    ),
    ProductMetric(code="on_hand", name=_lt("On hand"), unit="count", direction="higher"),
    ProductMetric(code="stock_value", name=_lt("Stock value"), unit="currency", direction="higher"),
    ProductMetric(code="days_of_cover", name=_lt("Days of cover"), unit="days", direction="lower"),
    ProductMetric(
        code="forecast_30d", name=_lt("Forecast, next 30 days"), unit="count", direction="higher"
    ),
)
