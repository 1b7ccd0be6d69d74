"""Vectorised forecasting methods (engine.methods): recursions checked by hand, step by step."""

import numpy as np
import pandas as pd
import pytest
from engine import methods
from engine.methods import _common, intermittent, smoothing
from engine.methods.boosting import gbm

WEEK = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def _dates(n_days):
    return pd.date_range("2024-01-01", periods=n_days, freq="D")


def _run(name, qty, origins, horizon):
    qty = np.atleast_2d(np.asarray(qty, dtype=float))
    return methods.METHODS[name](qty, origins, horizon, _dates(qty.shape[1]))


# --- helpers --------------------------------------------------------------------------------------


def test_first_sale_and_mean_since_first_sale():
    qty = np.array([[0, 0, 3, 0, 1], [0, 0, 0, 0, 0], [2, 0, 0, 0, 0]], dtype=float)
    np.testing.assert_array_equal(_common.first_sale(qty), [2, 5, 0])
    # Up to origin 5: (3 + 0 + 1) / 3 days; never sold: 0; (2 + 0 + 0 + 0 + 0) / 5.
    np.testing.assert_allclose(
        _common.mean_since_first_sale(qty, _common.first_sale(qty), 5), [4 / 3, 0.0, 0.4]
    )


# --- seasonal naive -------------------------------------------------------------------------------


def test_seasonal_naive_repeats_the_last_week():
    series = np.arange(1.0, 15.0)  # 1..14
    forecast = _run("seasonal_naive", series, [14, 10], 10)
    # Origin 14: days 7..13 (values 8..14), then again 8, 9, 10.
    np.testing.assert_array_equal(forecast[0, 0], [8, 9, 10, 11, 12, 13, 14, 8, 9, 10])
    # Origin 10 uses days 3..9 only (values 4..10).
    np.testing.assert_array_equal(forecast[1, 0], [4, 5, 6, 7, 8, 9, 10, 4, 5, 6])


def test_seasonal_naive_of_a_product_younger_than_a_week_is_its_mean():
    series = [0] * 10 + [2.0, 4.0, 0.0, 0.0]  # first sale on day 10: 4 days at origin 14
    forecast = _run("seasonal_naive", series, [14], 3)
    np.testing.assert_allclose(forecast[0, 0], [1.5, 1.5, 1.5])  # (2 + 4 + 0 + 0) / 4


# --- exponential smoothing ------------------------------------------------------------------------


def _smooth(series, origins, horizon, grid):
    qty = np.atleast_2d(np.asarray(series, dtype=float))
    return smoothing._smooth(qty, origins, horizon, grid, {"one": range(len(grid))})["one"]


def test_ses_recursion_by_hand():
    # Level after the 14 initial days of 4: 4. alpha 0.5: y=6 -> 4 + 0.5 * 2 = 5; y=2 -> 5 - 1.5.
    series = [4.0] * 14 + [6.0, 2.0]
    forecast = _smooth(series, [16, 15], 3, ((0.5, 0.0, 0.0, 1.0),))
    np.testing.assert_allclose(forecast[0, 0], [3.5, 3.5, 3.5])
    np.testing.assert_allclose(forecast[1, 0], [5.0, 5.0, 5.0])


def test_holt_winters_seasonal_step_by_hand():
    # Initial window = WEEK twice: level 4, weekday deviations -3..3 (day 0 has -3).
    # Day 14 (weekday position 0) sells 9: fit 4 - 3 = 1, error 8;
    # alpha = gamma = 0.5: level 4 + 4 = 8, deviation of position 0: -3 + 4 = 1.
    series = WEEK * 2 + [9.0]
    forecast = _smooth(series, [15], 7, ((0.5, 0.0, 0.5, 1.0),))
    # Forecast day 15 (position 1, deviation -2) ... day 21 (position 0, deviation 1).
    np.testing.assert_allclose(forecast[0, 0], [6, 7, 8, 9, 10, 11, 9])


def test_damped_trend_step_by_hand():
    # Level 4, trend 0; y=8: fit 4, error 4; alpha = beta = 0.5, phi = 0.9:
    # level 4 + 2 = 6, trend 0.9 * 0 + 0.5 * 4 = 2; forecast 6 + (0.9 + ... + 0.9^k) * 2.
    series = [4.0] * 14 + [8.0]
    forecast = _smooth(series, [15], 2, ((0.5, 0.5, 0.0, 0.9),))
    np.testing.assert_allclose(forecast[0, 0], [6 + 0.9 * 2, 6 + (0.9 + 0.81) * 2])


def test_ets_learns_a_pure_weekly_pattern_and_ses_stays_flat():
    series = WEEK * 6
    ets = _run("ets", series, [42], 7)
    ses = _run("ses", series, [42], 7)
    # Every parameter set with a season fits exactly (zero error): the pattern is repeated.
    np.testing.assert_allclose(ets[0, 0], WEEK, atol=1e-9)
    # SES has no season: a flat forecast, here between the smallest and the largest day.
    assert np.ptp(ses[0, 0]) == 0 and 1 < ses[0, 0, 0] < 7


def test_smoothers_need_fourteen_days_else_mean_since_first_sale():
    series = [0.0] * 20 + [3.0, 0.0, 6.0]  # 3 days since the first sale
    for name in ("ets", "ses", "croston", "sba", "tsb"):
        np.testing.assert_allclose(_run(name, series, [23], 2)[0, 0], [3.0, 3.0], err_msg=name)


# --- intermittent demand --------------------------------------------------------------------------

# First 14 days: 4 demands totalling 10 (size 2.5, interval 14 / 4 = 3.5), last on day 13.
SPARE = [3, 0, 0, 0, 2, 0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 3, 0]  # then days 14..17


def test_croston_and_sba_by_hand(monkeypatch):
    monkeypatch.setattr(intermittent, "CROSTON_ALPHAS", (0.1,))
    family = intermittent.croston_family(np.array([SPARE], dtype=float), [17, 14], 2)
    # Day 16 sells 3, 3 days after day 13: size 2.5 + 0.1 * 0.5 = 2.55,
    # interval 3.5 + 0.1 * (3 - 3.5) = 3.45; Croston 2.55 / 3.45, SBA times 1 - 0.1 / 2.
    np.testing.assert_allclose(family["croston"][0, 0], [2.55 / 3.45] * 2)
    np.testing.assert_allclose(family["sba"][0, 0], [0.95 * 2.55 / 3.45] * 2)
    # At origin 14 nothing was updated yet: 2.5 / 3.5.
    np.testing.assert_allclose(family["croston"][1, 0], [2.5 / 3.5] * 2)


def test_tsb_by_hand(monkeypatch):
    monkeypatch.setattr(intermittent, "TSB_GRID", ((0.1, 0.2),))
    forecast = intermittent.tsb(np.array([SPARE], dtype=float), [17], 1)
    # Probability 4 / 14, two days without demand: x 0.8 each; day 16: size 2.55 and
    # probability p + 0.2 (1 - p).
    probability = 4 / 14 * 0.8 * 0.8
    probability += 0.2 * (1 - probability)
    np.testing.assert_allclose(forecast[0, 0], [2.55 * probability])


def test_tsb_decays_when_a_product_stops_selling_and_croston_does_not(monkeypatch):
    monkeypatch.setattr(intermittent, "TSB_GRID", ((0.1, 0.2),))
    monkeypatch.setattr(intermittent, "CROSTON_ALPHAS", (0.1,))
    series = np.array([[2.0] * 14 + [0.0] * 10])
    # Probability 1 after the initial days, then 10 days without demand: 0.8^10.
    np.testing.assert_allclose(intermittent.tsb(series, [24], 1)[0, 0], [2.0 * 0.8**10])
    np.testing.assert_allclose(intermittent.croston(series, [24], 1)[0, 0], [2.0])


def test_parameters_are_chosen_per_product_by_one_step_error():
    # A level shift is tracked best by the largest alpha, a noisy flat series by the smallest.
    rng = np.random.default_rng(3)
    shift = np.r_[np.full(60, 2.0), np.full(60, 20.0)]
    noisy = 10 + rng.choice([-3.0, 3.0], size=120)
    forecast = _run("ses", np.vstack([shift, noisy]), [120], 1)[0, :, 0]
    assert forecast[0] == pytest.approx(20.0, abs=1e-6)  # alpha 0.4: 0.6^60 of the gap left
    assert abs(forecast[1] - 10) < 1.5


# --- classic methods and the registry -------------------------------------------------------------


def test_moving_average_method_is_the_last_seven_day_mean_at_each_origin():
    series = np.arange(1.0, 11.0)
    forecast = _run("moving_average", series, [10, 8], 2)
    np.testing.assert_allclose(forecast[0, 0], [7.0, 7.0])  # mean of 4..10
    np.testing.assert_allclose(forecast[1, 0], [5.0, 5.0])  # mean of 2..8


def test_run_methods_shares_passes_and_matches_single_methods():
    rng = np.random.default_rng(0)
    qty = rng.poisson(4.0, size=(5, 60)).astype(float)
    dates = _dates(60)
    together = methods.run_methods(["sba", "ets", "croston", "ses"], qty, [40, 60], 7, dates)
    assert list(together) == ["sba", "ets", "croston", "ses"]
    for name, values in together.items():
        np.testing.assert_allclose(values, methods.METHODS[name](qty, [40, 60], 7, dates))


def test_every_method_gives_zero_for_a_product_that_never_sold_and_no_negatives():
    rng = np.random.default_rng(1)
    qty = np.vstack([np.zeros(120), rng.poisson(3.0, 120), rng.poisson(0.2, 120)]).astype(float)
    for name in methods.METHODS:
        forecast = methods.METHODS[name](qty, [90, 120], 14, _dates(120))
        assert forecast.shape == (2, 3, 14), name
        np.testing.assert_array_equal(forecast[:, 0], 0.0, err_msg=name)
        assert (forecast >= 0).all() and np.isfinite(forecast).all(), name


def test_methods_use_only_the_days_before_the_origin():
    rng = np.random.default_rng(2)
    qty = rng.poisson(5.0, size=(30, 100)).astype(float)
    changed = qty.copy()
    changed[:, 80:] *= 10  # the future of origin 80 changes
    for name in methods.METHODS:
        before = methods.METHODS[name](qty, [80], 10, _dates(100))
        after = methods.METHODS[name](changed, [80], 10, _dates(100))
        np.testing.assert_allclose(before, after, err_msg=name)


# --- global gradient boosting ---------------------------------------------------------------------


def test_gbm_learns_a_shared_weekly_pattern():
    # 40 products, each a multiple of the same weekday profile.
    levels = np.arange(1, 41, dtype=float)[:, None]
    profile = np.array([2.0, 1.0, 1.0, 1.0, 1.0, 0.5, 0.5])
    qty = levels * np.tile(profile, 30)[None, :]
    forecast = gbm(qty, [210], 14, _dates(210))[0]
    expected = levels * np.tile(profile, 2)[None, :]
    np.testing.assert_allclose(forecast, expected, rtol=0.05)


def test_gbm_is_deterministic_and_falls_back_for_young_products():
    rng = np.random.default_rng(4)
    qty = rng.poisson(6.0, size=(20, 150)).astype(float)
    qty[0, :146] = 0  # first sale 4 days before the end: the mean since then
    qty[0, 146:] = [4, 0, 2, 2]
    first = gbm(qty, [120, 150], 28, _dates(150))
    second = gbm(qty, [120, 150], 28, _dates(150))
    np.testing.assert_array_equal(first, second)
    np.testing.assert_allclose(first[1, 0], 2.0)
    assert abs(first[1, 1:].mean() - 6.0) < 1.0


def test_gbm_stays_bounded_on_lumpy_demand_and_rare_big_orders():
    # Regression (issue 11): 30 products selling 9 units once a month, 20 steady sellers, 10
    # products selling 1 unit a quarter with one order of 400+ units. Before the target cap the
    # Poisson trees diverged: forecasts of 1e30 units a day for the monthly products, inf for
    # others.
    n_days = 400
    qty = np.zeros((60, n_days))
    for p in range(30):
        qty[p, p % 30 :: 30] = 9.0
    rng = np.random.default_rng(0)
    for p in range(30, 50):
        qty[p] = rng.poisson(3.0 + p % 5, n_days)
    for p in range(50, 60):
        qty[p, ::91] = 1.0
        qty[p, 200 + p] = 400.0
    forecast = gbm(qty, [n_days - 28, n_days], 28, _dates(n_days))
    assert np.isfinite(forecast).all() and (forecast >= 0).all()
    # A monthly 9-unit product never gets more than 9 a day (its mean is 9 / 30 = 0.3).
    assert forecast[:, :30].max() <= 9.0
    # Nothing above 15 times the product's 28/91/364-day level (TARGET_CAP): the big-order
    # products' 364-day level is at most (400 + 4) / 364 = 1.11 a day.
    assert forecast[:, 50:].max() <= 15 * 404 / 364
