"""erpconnect_ai analytics engine: pure numpy/pandas/scikit-learn, no Odoo import.

Public API (docs/architecture.md): every function takes plain DataFrames and processes all
products at once on a products × days matrix.
"""

from . import metrics, model_store
from .accuracy import score_forecasts
from .adjustments import adjust_forecast, adjust_lines
from .anomalies import detect_anomalies
from .baseline import demand_baseline, moving_average_forecast
from .forecasting import ForecastResult, backtest, forecast, forecast_products
from .history import DemandMatrix, MatrixForecast, daily_matrix
from .ordering import plan_orders
from .policy_curve import policy_curve
from .policy_replay import PolicyReplay, simulate_policy
from .polynomial import PolynomialForecast, polynomial_forecast
from .replenishment import demand_statistics, order_quantity, replenishment
from .segmentation import segment_abc_xyz
from .stockouts import lost_sales
