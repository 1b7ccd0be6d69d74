"""Pure helpers shared by the addon and the benchmarks; never import odoo here."""

from .demand_generator import (
    CATALOGUE_PROFILE_WEIGHTS,
    DEFAULT_PROFILE_WEIGHTS,
    PROFILES,
    SHAPES,
    generate_demand,
    generate_shapes,
    vendor_count,
    vendor_names,
)
from .order_layout import customer_count, customer_names, layout_orders
from .stock_plan import (
    ReplenishmentPlan,
    deliver_on_time_around_stockouts,
    delivery_matrix,
    plan_replenishment,
    plan_sales_history,
)
