"""engine.polynomial: degree-2 regression on the 7-day-smoothed series (issue 3, item 2)."""

import numpy as np
import pandas as pd
import pytest
from engine import model_store
from engine.history import daily_matrix
from engine.polynomial import (
    build_pipeline,
    forecast_with_models,
    pipeline_from_coefficients,
    polynomial_forecast,
    polynomial_method,
)


def days(n):
    return np.arange(1.0, n + 1.0)


def test_linear_series_is_extrapolated_exactly():
    # y_t = t, t = 1..30: the trailing 7-day mean is s_t = t - 3, a straight line (σ = 0).
    # Forecast day 31 + k continues it: s = 28, 29, 30
    fit = polynomial_forecast(days(30)[np.newaxis, :], horizon_days=3)
    np.testing.assert_allclose(fit.point[0], [28.0, 29.0, 30.0], atol=1e-9)
    # coefficients in x = days after the origin (day 30, s = 27): 27 + 1·x + 0·x²
    np.testing.assert_allclose(fit.coef[0], [27.0, 1.0, 0.0], atol=1e-9)
    assert fit.sigma[0] == pytest.approx(0.0, abs=1e-9)
    np.testing.assert_allclose(fit.lower[0], fit.point[0], atol=1e-8)
    assert not fit.fallback[0]
    assert fit.fit_days[0] == 30


def test_quadratic_series_is_extrapolated_exactly():
    # y_t = t²: s_t = mean over k = 0..6 of (t - k)² = t² - 6t + 13 (mean k = 3, mean k² = 13)
    # day 31: 961 - 186 + 13 = 788; day 32: 1024 - 192 + 13 = 845
    fit = polynomial_forecast((days(30) ** 2)[np.newaxis, :], horizon_days=2)
    np.testing.assert_allclose(fit.point[0], [788.0, 845.0], rtol=1e-9)


def test_forecast_is_clipped_at_zero():
    # y_t = 30 - t (29 .. 0): s_t = 33 - t; day 30 → 3; days 31..34 → 2, 1, 0, -1 → clipped 0
    fit = polynomial_forecast((30.0 - days(30))[np.newaxis, :], horizon_days=4)
    np.testing.assert_allclose(fit.point[0], [2.0, 1.0, 0.0, 0.0], atol=1e-9)
    assert fit.lower.min() >= 0.0


def test_interval_is_residual_standard_error_times_1_96():
    rng = np.random.default_rng(3)
    series = 20 + 0.1 * days(60) + rng.normal(0, 3, 60)
    fit = polynomial_forecast(series[np.newaxis, :], horizon_days=5)
    # independent computation: smoothed series, numpy polyfit, σ with n - 3 degrees of freedom
    smoothed = np.convolve(series, np.ones(7) / 7, mode="valid")
    x = np.arange(len(smoothed)) - (len(smoothed) - 1.0)
    coef = np.polyfit(x, smoothed, 2)
    residuals = smoothed - np.polyval(coef, x)
    sigma = np.sqrt((residuals**2).sum() / (len(smoothed) - 3))
    expected = np.maximum(np.polyval(coef, np.arange(1.0, 6.0)), 0)
    assert fit.sigma[0] == pytest.approx(sigma)
    np.testing.assert_allclose(fit.point[0], expected)
    np.testing.assert_allclose(fit.upper[0], expected + 1.96 * sigma)
    np.testing.assert_allclose(fit.lower[0], np.maximum(expected - 1.96 * sigma, 0))


def test_pipeline_from_coefficients_predicts_like_a_real_fit():
    rng = np.random.default_rng(5)
    x = np.arange(-40.0, 1.0)
    y = 3 + 0.5 * x - 0.01 * x * x + rng.normal(0, 1, x.size)
    real = build_pipeline(x, y)
    regression = real.steps[-1][1]
    coef = [regression.intercept_, regression.coef_[1], regression.coef_[2]]
    copied = pipeline_from_coefficients(coef)
    future = np.arange(1.0, 8.0).reshape(-1, 1)
    np.testing.assert_allclose(copied.predict(future), real.predict(future), rtol=1e-10)


def test_matches_the_sklearn_pipeline():
    rng = np.random.default_rng(7)
    series = np.abs(50 - 0.02 * (days(90) - 45) ** 2 + rng.normal(0, 2, 90))
    fit = polynomial_forecast(series[np.newaxis, :], horizon_days=10)
    smoothed = np.convolve(series, np.ones(7) / 7, mode="valid")
    x = np.arange(len(smoothed)) - (len(smoothed) - 1.0)
    pipeline = build_pipeline(x, smoothed)
    expected = np.maximum(pipeline.predict(np.arange(1.0, 11.0).reshape(-1, 1)), 0)
    np.testing.assert_allclose(fit.point[0], expected, rtol=1e-7)


@pytest.mark.parametrize(
    ("history_days", "fallback", "warning"),
    [
        (13, True, "only 13 day(s) of history (< 14): baseline used"),
        (14, False, ""),  # the minimum: 14 days → 8 smoothed points
        (1, True, "only 1 day(s) of history (< 14): baseline used"),
    ],
)
def test_minimum_history(history_days, fallback, warning):
    qty = days(history_days)[np.newaxis, :]
    fit = polynomial_forecast(qty, horizon_days=2)
    assert fit.fallback[0] == fallback
    assert fit.warning[0] == warning
    if fallback:
        # baseline: flat at the last 7-day mean (13 days: mean(7..13) = 10; 1 day: 1)
        level = qty[0, -7:].mean()
        np.testing.assert_allclose(fit.point[0], [level, level])
        assert np.isnan(fit.coef[0]).all()
    else:
        # y = t → s_14 = 11, forecast 12, 13
        np.testing.assert_allclose(fit.point[0], [12.0, 13.0], atol=1e-9)


def test_no_sales_falls_back_to_baseline():
    fit = polynomial_forecast(np.zeros((1, 100)), horizon_days=3)
    assert fit.fallback[0]
    assert fit.warning[0] == "no sales: baseline used"
    np.testing.assert_array_equal(fit.point[0], [0.0, 0.0, 0.0])


def test_only_the_last_180_days_and_days_since_first_sale_are_fitted():
    # 200 days: a huge first 20 days, then y = t on the last 180 days → a straight line again
    series = np.concatenate([np.full(20, 1000.0), days(180)])
    fit = polynomial_forecast(series[np.newaxis, :], horizon_days=1)
    assert fit.fit_days[0] == 180
    np.testing.assert_allclose(fit.point[0], [178.0], atol=1e-7)  # s = 180 - 3 + 1
    # a product launched 20 days ago in a 100-day matrix: the 80 leading zeros are not history
    launched = np.concatenate([np.zeros(80), days(20)])
    fit = polynomial_forecast(launched[np.newaxis, :], horizon_days=1)
    assert fit.fit_days[0] == 20
    np.testing.assert_allclose(fit.point[0], [18.0], atol=1e-8)  # s_20 = 17, next 18


def test_many_products_at_once_equal_one_by_one():
    rng = np.random.default_rng(11)
    qty = rng.poisson(rng.uniform(0.2, 20, (40, 1)), (40, 250)).astype(float)
    qty[3, :240] = 0.0  # 10 days of history → baseline
    qty[5] = 0.0
    together = polynomial_forecast(qty, horizon_days=30)
    for row in range(40):
        alone = polynomial_forecast(qty[row : row + 1], horizon_days=30)
        np.testing.assert_allclose(together.point[row], alone.point[0], rtol=1e-9, atol=1e-9)
    assert together.fallback.sum() == 2


def test_polynomial_method_convention():
    qty = np.tile(days(60), (3, 1))
    result = polynomial_method(qty, [30, 60], 4)
    assert result.shape == (2, 3, 4)
    # origin 30 uses days 1..30: s_30 = 27 → 28, 29, 30, 31
    np.testing.assert_allclose(result[0, 0], [28.0, 29.0, 30.0, 31.0], atol=1e-9)


def test_bad_arguments():
    with pytest.raises(ValueError):
        polynomial_forecast(np.ones((1, 30)), horizon_days=0)
    with pytest.raises(ValueError):
        polynomial_forecast(np.ones((1, 30)), min_days=5)


def history_of(series_by_product, start="2024-01-01"):
    frames = []
    for product_id, series in series_by_product.items():
        dates = pd.date_range(start, periods=len(series), freq="D")
        frames.append(pd.DataFrame({"product_id": product_id, "date": dates, "qty": series}))
    return pd.concat(frames, ignore_index=True)


def test_models_are_saved_loaded_and_refitted(tmp_path):
    # product 2 was launched 5 days ago (zero rows before): too new, baseline and no model
    history = history_of({1: days(40), 2: np.concatenate([np.zeros(35), days(5)])})
    matrix = daily_matrix(history)
    first = forecast_with_models(matrix, tmp_path, horizon_days=3)
    assert list(first.model_status) == ["fitted", ""]  # product 2: baseline, no model
    assert (tmp_path / "product_1.joblib").exists()
    assert not (tmp_path / "product_2.joblib").exists()
    np.testing.assert_allclose(first.point[0], [38.0, 39.0, 40.0], atol=1e-8)  # s_40 = 37
    loaded = model_store.load_model(tmp_path, 1)
    assert type(loaded.model).__name__ == "Pipeline"
    # the saved pipeline predicts the forecast at x = 1, 2, 3 days after as_of
    np.testing.assert_allclose(loaded.model.predict([[1.0], [2.0], [3.0]]), [38, 39, 40], atol=1e-8)
    assert loaded.metadata["as_of"] == "2024-02-09"  # 2024-01-01 + 39 days
    # same data again: the saved pipeline is used and gives the same forecast
    second = forecast_with_models(matrix, tmp_path, horizon_days=3)
    assert list(second.model_status) == ["loaded", ""]
    np.testing.assert_allclose(second.point, first.point, atol=1e-8)
    # one more day of data: refitted
    newer = daily_matrix(history_of({1: days(41), 2: np.concatenate([np.zeros(36), days(5)])}))
    third = forecast_with_models(newer, tmp_path, horizon_days=3)
    assert third.model_status[0] == "refitted: new data"
    assert third.warning[0] == ""


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda path: path.write_bytes(path.read_bytes()[:-10]), "truncated"),
        (lambda path: path.write_bytes(b"\0" * len(path.read_bytes())), "checksum mismatch"),
        (lambda path: path.with_name(path.name + ".json").unlink(), "checksum sidecar missing"),
    ],
)
def test_corrupt_model_file_is_refitted_with_a_warning(tmp_path, damage, reason):
    matrix = daily_matrix(history_of({7: days(30)}))
    forecast_with_models(matrix, tmp_path, horizon_days=2)
    damage(tmp_path / "product_7.joblib")
    result = forecast_with_models(matrix, tmp_path, horizon_days=2)
    assert result.model_status[0].startswith("refitted: " + reason)
    assert result.warning[0].startswith("saved model " + reason)
    np.testing.assert_allclose(result.point[0], [28.0, 29.0], atol=1e-8)  # still forecast
    # the refit was saved again: the next run loads it
    assert forecast_with_models(matrix, tmp_path, horizon_days=2).model_status[0] == "loaded"


def test_model_directory_that_is_a_file_is_a_warning(tmp_path):
    blocker = tmp_path / "models"
    blocker.write_text("not a directory")
    result = forecast_with_models(daily_matrix(history_of({1: days(30)})), blocker, 2)
    assert result.model_status[0] == "fitted"
    assert result.warning[0].startswith("model not saved: ")
    np.testing.assert_allclose(result.point[0], [28.0, 29.0], atol=1e-8)
