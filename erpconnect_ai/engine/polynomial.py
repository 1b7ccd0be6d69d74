"""Polynomial regression forecast (``method="polynomial"``, issue 3 item 2).

For each product: take its last ``history_days`` days (default 180, never before its first sale),
smooth them with the trailing 7-day mean (full windows), fit ``y = c0 + c1·x + c2·x²`` by least
squares, where x is the day relative to the forecast origin (x = 0 on ``as_of``, −1 the day
before, 1 the first forecast day), and forecast ŷ(1..H) clipped at 0. The interval is
ŷ ± 1.96·σ with σ the residual standard error of the fit, sqrt(Σr² / (n − 3)) over the n smoothed
points; lower is clipped at 0. Products with fewer than ``min_days`` (14) days of history get the
baseline forecast (:func:`engine.baseline.moving_average_forecast`) and a warning.

All products are fitted at once: the normal equations of every product are built from masked
moments on a common time axis and solved as one batch of 3 × 3 systems (the same least-squares
solution as scikit-learn's, checked by the tests). The scikit-learn
``PolynomialFeatures(degree=2) + LinearRegression`` pipeline of a product (same coefficients,
same x axis) is built only to persist it (:func:`forecast_with_models`), so saved files are
real sklearn pipelines that external scripts can ``predict`` with.
"""

import copy
import hashlib
from typing import NamedTuple

import numpy as np

from . import model_store
from .baseline import SMOOTHING_DAYS, moving_average_forecast
from .history import first_true, trailing_mean

HISTORY_DAYS = 180
MIN_DAYS = 14
Z_95 = 1.96
N_COEF = 3
MODEL_KIND = "polynomial"


class PolynomialForecast(NamedTuple):
    """Result of :func:`polynomial_forecast`, arrays over P products and H horizon days.

    Attributes:
        point, lower, upper: (P, H) daily forecast and its 95 % interval, all ≥ 0.
        coef: (P, 3) ``c0, c1, c2`` of ŷ(x) = c0 + c1·x + c2·x², x = days after the origin;
            NaN for products on the baseline fallback.
        sigma: (P,) residual standard error of the fit (baseline σ for fallback products).
        fit_days: (P,) raw days used by the fit (0 for fallback products).
        fallback: (P,) bool, True where the baseline was used.
        warning: (P,) object array of texts ("" when nothing to say).
        model_status: (P,) object array: "" (not persisted), "fitted", "loaded", "refitted: …".
    """

    point: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    coef: np.ndarray
    sigma: np.ndarray
    fit_days: np.ndarray
    fallback: np.ndarray
    warning: np.ndarray
    model_status: np.ndarray


def _days_since_first_sale(qty):
    return qty.shape[1] - first_true(qty > 0)


def _fit_window(qty, history_days, available_days):
    """Raw window of the fit per product: the last min(history_days, available, D) days."""
    window = qty[:, -history_days:] if qty.shape[1] > history_days else qty
    if available_days is None:
        available_days = _days_since_first_sale(qty)
    fit_days = np.minimum(np.asarray(available_days, dtype=np.int64), window.shape[1])
    return window, np.maximum(fit_days, 0)


def _solve(window, fit_days, usable):
    """Least-squares coefficients (P, 3) in x and the residual σ (P,) for the ``usable`` rows."""
    n_products = window.shape[0]
    smoothed = trailing_mean(window, SMOOTHING_DAYS)  # (P, M), value of day t at index t - 6
    n_points = smoothed.shape[1]
    x = np.arange(n_points, dtype=np.float64) - (n_points - 1)  # 0 on the origin
    points = np.where(usable, fit_days - (SMOOTHING_DAYS - 1), 0)
    mask = (np.arange(n_points)[np.newaxis, :] >= (n_points - points)[:, np.newaxis]).astype(
        np.float64
    )
    powers = x[:, np.newaxis] ** np.arange(2 * N_COEF - 1)  # (M, 5): 1, x, x², x³, x⁴
    moments = mask @ powers  # (P, 5)
    rhs = (mask * smoothed) @ powers[:, :N_COEF]  # (P, 3)
    # Scale x by the window length per product so the 3 × 3 systems are well conditioned.
    scale = np.maximum(points, 1).astype(np.float64)
    exponent = np.arange(N_COEF)
    sum_exponent = exponent[:, np.newaxis] + exponent[np.newaxis, :]
    normal = moments[:, sum_exponent] / scale[:, np.newaxis, np.newaxis] ** sum_exponent
    normal[~usable] = np.eye(N_COEF)
    scaled_rhs = np.where(usable[:, np.newaxis], rhs / scale[:, np.newaxis] ** exponent, 0.0)
    scaled_coef = np.linalg.solve(normal, scaled_rhs[..., np.newaxis])[..., 0]
    coef = scaled_coef / scale[:, np.newaxis] ** exponent
    fitted = coef @ powers[:, :N_COEF].T  # (P, M)
    residual_ss = (mask * (smoothed - fitted) ** 2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        sigma = np.sqrt(residual_ss / np.maximum(points - N_COEF, 1))
    coef[~usable] = np.nan
    sigma = np.where(usable, sigma, np.nan)
    return coef.reshape(n_products, N_COEF), sigma


def predict(coef, sigma, horizon_days, z=Z_95):
    """Daily forecast of fitted coefficients over x = 1..H: (point, lower, upper), each (P, H)."""
    x = np.arange(1, int(horizon_days) + 1, dtype=np.float64)
    point = np.maximum(coef @ np.vstack([np.ones_like(x), x, x * x]), 0.0)
    spread = (z * np.asarray(sigma))[:, np.newaxis]
    return point, np.maximum(point - spread, 0.0), point + spread


def polynomial_forecast(
    qty, horizon_days=30, history_days=HISTORY_DAYS, min_days=MIN_DAYS, available_days=None
):
    """Fit the degree-2 polynomial to every product of a demand matrix and forecast.

    Args:
        qty: array (P, D) of daily net demand, the last column is the forecast origin.
        horizon_days: days H to forecast (≥ 1).
        history_days: at most this many last days are fitted (default 180).
        min_days: products with fewer days of history get the baseline (default 14, giving at
            least 8 smoothed points; must be ≥ 10 so the residual σ has a degree of freedom).
        available_days: optional (P,) days of history per product (e.g.
            ``DemandMatrix.history_days()``); default: days since the first non-zero demand
            in ``qty``.

    Returns:
        :class:`PolynomialForecast` (``model_status`` all "").
    """
    if int(horizon_days) < 1:
        raise ValueError("horizon_days must be at least 1, got %r" % (horizon_days,))
    if int(history_days) < 1:
        raise ValueError("history_days must be at least 1, got %r" % (history_days,))
    if int(min_days) < SMOOTHING_DAYS + N_COEF:
        raise ValueError("min_days must be at least %d" % (SMOOTHING_DAYS + N_COEF))
    qty = np.asarray(qty, dtype=np.float64)
    n_products = qty.shape[0]
    window, fit_days = _fit_window(qty, int(history_days), available_days)
    usable = fit_days >= int(min_days)
    coef, sigma = _solve(window, fit_days, usable)
    point, lower, upper = predict(np.nan_to_num(coef), np.nan_to_num(sigma), horizon_days)
    warning = np.full(n_products, "", dtype=object)
    if not usable.all():
        base = moving_average_forecast(qty[~usable], horizon_days)
        point[~usable], lower[~usable], upper[~usable] = base.point, base.lower, base.upper
        sigma[~usable] = (base.upper[:, 0] - base.point[:, 0]) / Z_95
        short = fit_days[~usable]
        warning[~usable] = [
            "no sales: baseline used"
            if days == 0
            else "only %d day(s) of history (< %d): baseline used" % (days, min_days)
            for days in short
        ]
    return PolynomialForecast(
        point=point,
        lower=lower,
        upper=upper,
        coef=coef,
        sigma=sigma,
        fit_days=np.where(usable, fit_days, 0),
        fallback=~usable,
        warning=warning,
        model_status=np.full(n_products, "", dtype=object),
    )


def polynomial_method(qty, origins, horizon, dates=None):
    """Point forecasts at several origins, shape (len(origins), P, horizon).

    Same convention as the methods of ``engine.methods``: the forecast at origin ``o`` uses the
    days ``0 .. o-1`` of ``qty``. ``dates`` is accepted for that convention and not used.
    """
    qty = np.asarray(qty, dtype=np.float64)
    return np.stack([polynomial_forecast(qty[:, :origin], horizon).point for origin in origins])


def build_pipeline(x, y):
    """Fit the scikit-learn ``PolynomialFeatures(2) + LinearRegression`` pipeline on (x, y)."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import PolynomialFeatures

    pipeline = make_pipeline(PolynomialFeatures(degree=2), LinearRegression())
    return pipeline.fit(np.asarray(x, dtype=np.float64).reshape(-1, 1), y)


def pipeline_from_coefficients(coef, template=None):
    """The fitted sklearn pipeline of one product from its batch least-squares coefficients.

    Fitting one pipeline per product costs about a millisecond of scikit-learn input validation,
    so the pipelines of a run are copies of one template fitted on a tiny exact quadratic whose
    ``LinearRegression`` receives the product's coefficients: ``intercept_ = c0`` and
    ``coef_ = [0, c1, c2]`` (the weight of the constant column is 0, as after a real fit).
    ``rank_``/``singular_`` describe the template's design matrix and are removed.
    """
    if template is None:
        x = np.array([-2.0, -1.0, 0.0, 1.0])
        template = build_pipeline(x, 1.0 + x + x * x)
    pipeline = copy.deepcopy(template)
    regression = pipeline.steps[-1][1]
    regression.intercept_ = float(coef[0])
    regression.coef_ = np.array([0.0, float(coef[1]), float(coef[2])])
    for name in ("rank_", "singular_"):
        regression.__dict__.pop(name, None)
    return pipeline


def forecast_with_models(
    matrix,
    model_dir,
    horizon_days=30,
    history_days=HISTORY_DAYS,
    min_days=MIN_DAYS,
):
    """:func:`polynomial_forecast` of a :class:`~engine.history.DemandMatrix` with saved models.

    For every product with enough history, the model saved in ``model_dir``
    (``product_<id>.joblib``, see :mod:`engine.model_store`) is loaded and used when it was fitted
    on the same data (same origin, window and parameters: a fingerprint in its metadata);
    otherwise the product is refitted and its new sklearn pipeline saved. A missing model is
    simply fitted ("fitted"); a corrupt, truncated or incompatible file, or a failed save, is
    refitted and reported in ``warning`` ("refitted: …"). Never raises for file problems.

    Returns:
        :class:`PolynomialForecast` whose ``model_status`` says per product "loaded", "fitted",
        "refitted: <reason>" or "" (baseline fallback, no model).
    """
    fit = polynomial_forecast(
        matrix.qty, horizon_days, history_days, min_days, available_days=matrix.history_days()
    )
    window, fit_days = _fit_window(matrix.qty, int(history_days), matrix.history_days())
    smoothed = trailing_mean(window, SMOOTHING_DAYS)
    as_of = matrix.as_of.date().isoformat() if matrix.as_of is not None else ""
    status = fit.model_status
    warning = fit.warning.copy()
    point, lower, upper = fit.point, fit.lower, fit.upper
    horizon_x = np.arange(1, int(horizon_days) + 1, dtype=np.float64).reshape(-1, 1)
    template = None
    for row in np.flatnonzero(~fit.fallback):
        product_id = int(matrix.product_ids[row])
        y = smoothed[row, -(int(fit_days[row]) - (SMOOTHING_DAYS - 1)) :]
        fingerprint = hashlib.sha256(
            np.ascontiguousarray(y).tobytes()
            + ("%s|%d|%d" % (as_of, history_days, min_days)).encode()
        ).hexdigest()
        loaded = model_store.load_model(model_dir, product_id)
        if not loaded.reason and loaded.metadata.get("fingerprint") == fingerprint:
            try:
                values = np.maximum(np.asarray(loaded.model.predict(horizon_x), dtype=float), 0.0)
                sigma = float(loaded.metadata["sigma"])
            except Exception as error:  # an unpickled object may raise anything
                loaded = model_store.LoadResult(None, {}, "cannot predict (%s)" % error)
            else:
                point[row] = values
                lower[row] = np.maximum(values - Z_95 * sigma, 0.0)
                upper[row] = values + Z_95 * sigma
                status[row] = "loaded"
                continue
        problem = loaded.reason if loaded.reason not in ("", model_store.MISSING) else ""
        metadata = {
            "kind": MODEL_KIND,
            "fingerprint": fingerprint,
            "as_of": as_of,
            "sigma": float(fit.sigma[row]),
            "fit_days": int(fit.fit_days[row]),
            "x_origin": "days after as_of",
        }
        pipeline = pipeline_from_coefficients(fit.coef[row], template)
        template = pipeline
        saved = model_store.save_model(model_dir, product_id, pipeline, metadata)
        if problem:
            status[row] = "refitted: %s" % problem
        elif loaded.reason == model_store.MISSING:
            status[row] = "fitted"
        else:
            status[row] = "refitted: new data"
        notes = [text for text in (warning[row], problem and "saved model %s" % problem) if text]
        if saved:
            notes.append("model not saved: %s" % saved)
        warning[row] = "; ".join(notes)
    return fit._replace(point=point, lower=lower, upper=upper, warning=warning, model_status=status)
