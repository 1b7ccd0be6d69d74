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
