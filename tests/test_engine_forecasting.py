"""engine.forecasting: forecast(), forecast_products(), backtest(), auto choice, intervals."""

import numpy as np
import pandas as pd
import pytest
from engine import forecasting, intervals
from engine.forecasting import (
    BACKTEST_COLUMNS,
    LINE_COLUMNS,
    SUMMARY_COLUMNS,
    backtest,
    forecast,
    forecast_products,
)

WEEK = [10.0, 20.0, 30.0, 40.0, 50.0, 0.0, 0.0]


def daily(values, product_id=1, end="2024-06-30"):
    """One row per day for one product, the last day on ``end``."""
    dates = pd.date_range(end=end, periods=len(values), freq="D")
    return pd.DataFrame({"product_id": product_id, "date": dates, "qty": values})


def summary_row(result, product_id=1):
    return result.summary.set_index("product_id").loc[product_id]


def lines_of(result, product_id=1):
    return result.lines[result.lines["product_id"] == product_id]


# --- arguments ------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["arima", "", None, "AUTO", 3])
def test_unknown_method_is_a_value_error_naming_the_choices(method):
    with pytest.raises(ValueError, match=r"unknown forecast method .* moving_average, polynomial"):
        forecast(daily([1.0] * 30), method=method)


@pytest.mark.parametrize("horizon", [0, -5, 731, 2.5, "30", True, None, float("nan")])
def test_bad_horizon_is_a_value_error(horizon):
    with pytest.raises(ValueError, match="horizon_days must be a whole number"):
        forecast(daily([1.0] * 30), horizon_days=horizon)


def test_whole_float_horizon_is_accepted():
    assert len(forecast(daily([1.0] * 30), horizon_days=7.0, method="ses")) == 7


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"folds": 0}, "folds must be a whole number"),
        ({"methods": ["ets", "prophet"]}, "unknown forecast method 'prophet'"),
        ({"methods": []}, "at least one forecast method"),
        ({"horizon_days": -1}, "horizon_days"),
    ],
)
def test_backtest_argument_errors(kwargs, message):
    with pytest.raises(ValueError, match=message):
        backtest(daily([1.0] * 60), **kwargs)


def test_history_without_qty_column_is_a_value_error():
    with pytest.raises(ValueError, match="qty"):
        forecast(pd.DataFrame({"product_id": [1], "date": ["2024-01-01"]}))


def test_empty_history_gives_empty_frames_with_the_columns():
    empty = pd.DataFrame(columns=["product_id", "date", "qty"])
    result = forecast_products(empty)
    assert list(result.lines.columns) == LINE_COLUMNS and result.lines.empty
    assert list(result.summary.columns) == SUMMARY_COLUMNS and result.summary.empty
    assert list(backtest(empty).columns) == BACKTEST_COLUMNS


# --- shapes ---------------------------------------------------------------------------------------


def test_lines_and_summary_shapes_dates_and_totals():
    history = pd.concat([daily(WEEK * 8, 1), daily([3.0] * 56, 2)])
    result = forecast_products(history, horizon_days=10, method="seasonal_naive")
    assert list(result.lines.columns) == LINE_COLUMNS
    assert list(result.summary.columns) == SUMMARY_COLUMNS
    assert len(result.lines) == 20
    lines = lines_of(result, 1)
    assert list(lines["date"]) == list(pd.date_range("2024-07-01", periods=10, freq="D"))
    # 2024-06-30 is a Sunday (0.0); the 56 days start on a Monday (10.0): 7 + 3 more days.
    np.testing.assert_array_equal(lines["qty"], WEEK + WEEK[:3])
    row = summary_row(result, 1)
    assert row["method"] == "seasonal_naive"
    assert row["qty_7d"] == pytest.approx(150.0)  # one week: 10 + 20 + 30 + 40 + 50
    # Horizon 10 < 30 and 90: the 30- and 90-day totals are the 10-day total (150 + 60).
    assert row["qty_30d"] == pytest.approx(210.0) and row["qty_90d"] == pytest.approx(210.0)
    for days in (7, 30, 90):
        assert row["lower_%dd" % days] <= row["qty_%dd" % days] <= row["upper_%dd" % days]
    assert (result.lines["lower"] <= result.lines["qty"]).all()
    assert (result.lines["qty"] <= result.lines["upper"]).all()


# --- hand-computed forecasts and intervals --------------------------------------------------------


def test_constant_series_gives_constant_forecast_and_zero_width_interval():
    result = forecast_products(daily([5.0] * 120), horizon_days=14)
    lines = lines_of(result)
    np.testing.assert_allclose(lines["qty"], 5.0, atol=1e-9)
    # Every backtest error is 0, so the interval has no width.
    np.testing.assert_allclose(lines["lower"], 5.0, atol=1e-9)
    np.testing.assert_allclose(lines["upper"], 5.0, atol=1e-9)
    row = summary_row(result)
    assert row["qty_7d"] == pytest.approx(35.0)
    assert row["lower_7d"] == pytest.approx(35.0) and row["upper_7d"] == pytest.approx(35.0)


def test_auto_picks_seasonal_naive_on_a_pure_weekly_pattern():
    values = WEEK * 20
    values[3] = 45.0  # one odd day long ago, so that the MASE scale is not 0
    result = forecast_products(daily(values), horizon_days=14)
    row = summary_row(result)
    assert row["method"] == "seasonal_naive"
    assert row["mase"] == 0.0 and row["smape"] == 0.0
    lines = lines_of(result)
    np.testing.assert_array_equal(lines["qty"], WEEK * 2)  # 2024-07-01 is a Monday
    # Why: seasonal naive, as good as itself; level 150 / 7 a day over the two weeks, no trend,
    # the weekly pattern relative to it; Saturday and Sunday never sold in 20 weeks: closed.
    assert row["naive_mase"] == 0.0
    assert row["level"] == pytest.approx(150 / 7)
    assert row["trend_28d"] == pytest.approx(0.0)
    factors = [row["weekday_" + day] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")]
    np.testing.assert_allclose(factors, np.array(WEEK) / (150 / 7))
    assert row["closed_weekdays"] == "sat,sun"
    assert row["history_days"] == 140 and row["censored_days"] == 0 and not row["capped"]
    np.testing.assert_array_equal(lines["lower"], WEEK * 2)
    np.testing.assert_array_equal(lines["upper"], WEEK * 2)


def test_interval_quantiles_and_bounds_by_hand():
    # One product, one fold, one step, errors -2..2 with scale 1 (five errors in five folds).
    errors = np.array([-2.0, -1.0, 0.0, 1.0, 2.0]).reshape(5, 1, 1)
    scale = np.ones((5, 1))
    daily_q, sums = intervals.quantiles(errors, scale, np.ones((5, 1), bool), totals=(1,))
    # Linear interpolation: 2.5 % at rank 0.1 -> -2 + 0.1 = -1.9; 97.5 % at rank 3.9 -> 1.9.
    np.testing.assert_allclose(daily_q[0, :, 0], [-1.9, 1.9])
    np.testing.assert_allclose(sums[0, :, 0], [-1.9, 1.9])
    # Scale 2 at the origin: point 3 -> [3 - 3.8, 3 + 3.8] clipped at 0 -> [0, 6.8].
    lower, upper = intervals.apply(np.array([[3.0]]), np.array([2.0]), daily_q)
    np.testing.assert_allclose([lower[0, 0], upper[0, 0]], [0.0, 6.8])


def test_error_scale_is_the_seasonal_naive_mae_or_the_mean_demand():
    history = np.array(
        [
            # |y_t - y_t-7| for t = 7..9: |8 - 1|, |2 - 2|, |3 - 5| -> (7 + 0 + 2) / 3 = 3
            [1, 2, 5, 4, 5, 6, 7, 8, 2, 3],
            # a constant: seasonal naive MAE 0 -> mean demand 4
            [4] * 10,
            # never sold (NaN before the first sale): no scale
            [np.nan] * 10,
        ],
        dtype=float,
    )
    np.testing.assert_allclose(intervals.error_scale(history), [3.0, 4.0, np.nan])


def test_95_percent_interval_covers_about_95_percent_of_poisson_demand():
    # 60 products selling Poisson(20) units a day for 400 days; the last 28 days are held out.
    rng = np.random.default_rng(7)
    qty = rng.poisson(20.0, size=(60, 400)).astype(float)
    history = pd.concat([daily(qty[p], p + 1) for p in range(60)])
    as_of = pd.Timestamp("2024-06-30") - pd.Timedelta(days=28)
    lines = forecast(history, horizon_days=28, as_of=as_of)
    actual = qty[:, -28:].ravel()
    inside = (lines["lower"].to_numpy() <= actual) & (actual <= lines["upper"].to_numpy())
    # The exact 95 % interval of Poisson(20) is [12, 29]: it holds 95.6 % of the days.
    assert 0.92 <= inside.mean() <= 0.98
    assert abs(lines["qty"].mean() - 20.0) < 1.0


ALTERNATING = [4.0, 6.0] * 30  # 60 days, the last one sells 6


def test_sigma_daily_of_a_classic_interval_is_its_sigma():
    # Moving average: level = mean of the last 7 days (6, 4, 6, 4, 6, 4, 6) = 36 / 7; sigma =
    # root mean square of the last 28 days around it: 14 x (8/7)^2 and 14 x (6/7)^2 -> 50 / 49.
    result = forecast_products(daily(ALTERNATING), horizon_days=7, method="moving_average")
    row = summary_row(result)
    assert row["sigma_daily"] == pytest.approx(np.sqrt(50) / 7)
    # Its 7-day total: 36 +- 1.96 sigma sqrt(7); the 95 % quantile at 1.645 sigma sqrt(7).
    assert row["upper_7d"] == pytest.approx(36 + 1.96 * np.sqrt(50) / 7 * np.sqrt(7))
    quantile = result.total_quantile(7, 0.95).iloc[0]
    z_95 = 1.6448536269514722
    assert quantile["total"] == pytest.approx(36.0)
    assert quantile["quantile"] == pytest.approx(36 + z_95 * np.sqrt(50) / 7 * np.sqrt(7))


def test_sigma_daily_and_total_quantile_follow_the_calibrated_interval():
    rng = np.random.default_rng(7)
    qty = rng.poisson(20.0, size=(30, 300)).astype(float)
    history = pd.concat([daily(qty[p], p + 1) for p in range(30)])
    result = forecast_products(history, horizon_days=28)
    summary = result.summary
    # The sigma the first-week interval implies (what the ORM computed with its own 1.96).
    np.testing.assert_allclose(
        summary["sigma_daily"],
        (summary["upper_7d"] - summary["qty_7d"]) / (1.96 * np.sqrt(7)),
    )
    # The 97.5 % quantile of the 7- and 28-day totals are the upper bounds of their 95 % bands.
    np.testing.assert_allclose(result.total_quantile(7, 0.975)["quantile"], summary["upper_7d"])
    np.testing.assert_allclose(result.total_quantile(28, 0.975)["quantile"], summary["upper_30d"])
    np.testing.assert_allclose(result.total_quantile(7, 0.025)["quantile"], summary["lower_7d"])
    # Per product days and levels (a Series by product id), quantiles growing with both.
    days = pd.Series(np.arange(1, 31) % 28 + 1, index=summary["product_id"])
    wide = result.total_quantile(days, 0.99)
    narrow = result.total_quantile(days, 0.9)
    assert (wide["quantile"] >= narrow["quantile"]).all()
    assert list(wide["days"]) == list(days)
    with pytest.raises(ValueError, match="days must be from 1 to the forecast horizon"):
        result.total_quantile(29, 0.9)
    with pytest.raises(ValueError, match="level must be a probability"):
        result.total_quantile(7, 1.0)
    with pytest.raises(ValueError, match="one value per product"):
        result.total_quantile([7, 7], 0.9)


def test_constant_demand_has_every_total_quantile_on_its_total():
    result = forecast_products(daily([5.0] * 120), horizon_days=14)
    for level in (0.05, 0.5, 0.99):
        assert result.total_quantile(10, level).iloc[0]["quantile"] == pytest.approx(50.0)


# --- backtest -------------------------------------------------------------------------------------

# 35 days, first sale on day 0: a weekly pattern 1..7, day 10 sells 6 instead of 4, and the last
# week sells one more every day.
TINY = np.tile(np.arange(1.0, 8.0), 5)
TINY[10] = 6.0
TINY[28:] += 1.0


def test_backtest_folds_on_a_tiny_series_by_hand():
    result = backtest(daily(TINY), horizon_days=7, folds=2, methods=["seasonal_naive"])
    assert list(result.columns) == BACKTEST_COLUMNS
    row = result.iloc[0]
    # Origins 21 and 28 (7 days apart). Fold 1 forecasts days 14..20 = the pattern: exact.
    # Fold 2 forecasts days 21..27 = the pattern; actual = pattern + 1: MAE 1, bias -1.
    assert row["mae"] == pytest.approx((0 + 1) / 2)
    assert row["bias"] == pytest.approx((0 - 1) / 2)
    # MASE scale at origin 28: |y_t - y_t-7| over t = 7..27 is 2 on days 10 and 17: 4 / 21.
    assert row["mase"] == pytest.approx((0 + 1 / (4 / 21)) / 2)
    # sMAPE of fold 2: mean over k = 1..7 of 2 / (2k + 1).
    fold2 = np.mean([2 / (2 * k + 1) for k in range(1, 8)])
    assert row["smape"] == pytest.approx(fold2 / 2)
    # RMSSE of fold 2: MSE 1 over the mean squared one-step difference of days 0..27 (from the
    # first sale, day 0): 27 differences, 24 inside the weeks (1 each, but 9 for day 9 -> 10,
    # 3 -> 6) and 3 from Sunday 7 to Monday 1 (36 each): (23 + 9 + 3 x 36) / 27 = 140 / 27.
    # Fold 1 has no error: 0.
    assert row["rmsse"] == pytest.approx((0 + np.sqrt(27 / 140)) / 2)
    # Fold 1 is covered by the interval of fold 2's errors (+1 each): [point, point + ...];
    # fold 2 gets the zero-width interval of fold 1's errors and misses every day.
    assert row["coverage"] == pytest.approx((1 + 0) / 2)


def test_backtest_returns_every_method_and_auto_per_product():
    history = pd.concat([daily(WEEK * 12, 1), daily(np.r_[np.zeros(40), np.ones(44)], 2)])
    result = backtest(history, horizon_days=7, folds=3)
    assert len(result) == 2 * len(forecasting.METHOD_NAMES)
    assert set(result["method"]) == set(forecasting.METHOD_NAMES)
    weekly = result[result["product_id"] == 1].set_index("method")
    assert weekly.loc["seasonal_naive", "mae"] == 0.0
    # Saturday and Sunday never sold in 12 weeks: closed weekdays. The flat 7-day mean 150 / 7
    # moves to the five open days (150 / 5 = 30 each, 0 on the weekend): errors 20, 10, 0, 10,
    # 20, 0, 0 -> MAE 60 / 7 on every fold.
    assert weekly.loc["moving_average", "mae"] == pytest.approx(60 / 7)
    # auto is scored on each fold with the method chosen on the other folds: seasonal naive.
    assert weekly.loc["auto", "mae"] == 0.0


def test_backtest_with_one_fold_has_no_coverage():
    result = backtest(daily(WEEK * 10), horizon_days=7, folds=1, methods="ets")
    assert np.isnan(result.iloc[0]["coverage"])
    assert result.iloc[0]["mae"] == pytest.approx(0.0, abs=1e-9)


# --- edge cases -----------------------------------------------------------------------------------


def test_product_without_sales_gets_a_zero_forecast_and_a_warning():
    history = pd.concat([daily(WEEK * 8, 1), daily([0.0] * 56, 2), daily([-3.0] * 5, 3)])
    result = forecast_products(history, horizon_days=7)
    for product_id in (2, 3):  # all zeros; only returns (netted and floored at 0)
        lines = lines_of(result, product_id)
        assert (lines[["qty", "lower", "upper"]].to_numpy() == 0).all()
        row = summary_row(result, product_id)
        assert "no sales" in row["warning"] and row["method"] == "moving_average"


def test_one_recent_sale_uses_the_baseline_with_a_warning():
    values = [0.0] * 60
    values[-4] = 7.0  # first and only sale 4 days ago (4 days of history)
    history = pd.concat([daily(WEEK * 9, 1)[:60], daily(values, 2)])
    result = forecast_products(history, horizon_days=5)
    # 7-day moving average of the last week: 7 / 7 = 1 per day.
    np.testing.assert_allclose(lines_of(result, 2)["qty"], 1.0)
    row = summary_row(result, 2)
    assert row["method"] == "moving_average"
    assert "only 4 day(s) since the first sale" in row["warning"]


def test_one_day_of_history():
    history = pd.DataFrame(
        {"product_id": [1, 2, 2], "date": ["2024-06-30"] * 3, "qty": [4.0, 1.0, 2.0]}
    )
    result = forecast_products(history, horizon_days=3)
    np.testing.assert_allclose(lines_of(result, 1)["qty"], 4.0)
    np.testing.assert_allclose(lines_of(result, 2)["qty"], 3.0)  # 1 + 2 on the same day
    assert summary_row(result, 2)["warning"].startswith("only 1 day(s)")


def test_returns_are_netted_per_day():
    sales = daily([4.0] * 90)
    returns = daily([-1.0] * 90)
    result = forecast_products(pd.concat([sales, returns]), horizon_days=7, method="ses")
    np.testing.assert_allclose(lines_of(result)["qty"], 3.0)


def test_nan_quantities_are_ignored_and_reported():
    history = daily([5.0] * 60)
    broken = pd.concat([history, pd.DataFrame({"product_id": [1], "date": ["2024-06-01"]})])
    broken["qty"] = broken["qty"].astype(float)
    result = forecast_products(broken, horizon_days=7, method="ets")
    np.testing.assert_allclose(lines_of(result)["qty"], 5.0)
    assert (
        "1 history row(s) with a quantity that is not a number ignored"
        in (summary_row(result)["warning"])
    )


def test_a_huge_spike_long_ago_does_not_drive_the_forecast():
    values = np.full(180, 10.0)
    values[100] = 10_000.0
    lines = forecast(daily(values), horizon_days=14)
    assert lines["qty"].between(9.0, 11.0).all()


def test_ten_years_of_history_uses_the_last_three():
    rng = np.random.default_rng(5)
    values = rng.poisson(np.tile(WEEK, 522)[:3650]).astype(float)
    values[:-1096] += 1000  # anything older than three years must not matter
    values[-1096] = 1.0  # the first day of the last three years sells 1
    old = np.zeros(3650)
    old[:-1100] = 5.0  # sold only more than three years ago
    history = pd.concat([daily(values, 1), daily(old, 2)])
    result = forecast_products(history, horizon_days=7, method="moving_average")
    lines = lines_of(result)
    # Product 1: 1,096 days of history (not 3,650), and its cap is 3 x the largest day of
    # those three years (not 3 x 1,000+).
    assert summary_row(result)["history_days"] == 1096
    last_three = values[-1096:]
    # The 7-day mean moves to the five weekdays that sell (WEEK's zero days never sold in
    # three years: closed): the week's total over 5 days.
    closed = np.tile(WEEK, 523)[3650:3657] == 0
    week_total = last_three[-7:].sum()
    np.testing.assert_allclose(lines["qty"], np.where(closed, 0.0, week_total / 5))
    assert lines["upper"].max() <= 3 * last_three.max()
    # Product 2 has no sale in the history used: zero forecast and the warning.
    row = summary_row(result, 2)
    assert row["warning"] == forecasting.NO_SALES_WARNING
    assert (lines_of(result, 2)[["qty", "lower", "upper"]].to_numpy() == 0).all()


def test_fourteen_days_since_the_first_sale_is_the_cut_over_to_the_methods():
    # 13 days of history: the 7-day moving average (mean of days 7..13 = 10).
    young = np.r_[np.zeros(30), np.arange(1.0, 14.0)]
    # 14 days: the methods; no backtest fold yet, so the default method ets, whose recursion
    # starts after 14 days: its level is the mean of the 14 days, 7.5 (the moving average would
    # be 11).
    grown = np.r_[np.zeros(29), np.arange(1.0, 15.0)]
    history = pd.concat([daily(young, 1), daily(grown, 2)])
    result = forecast_products(history, horizon_days=3)
    np.testing.assert_allclose(lines_of(result, 1)["qty"], 10.0)
    assert summary_row(result, 1)["method"] == "moving_average"
    assert summary_row(result, 1)["warning"].startswith("only 13 day(s) since the first sale")
    np.testing.assert_allclose(lines_of(result, 2)["qty"], 7.5)
    assert summary_row(result, 2)["method"] == "ets"
    assert "14 days of history: too short to compare methods" in summary_row(result, 2)["warning"]


def test_as_of_ignores_later_history():
    history = daily(WEEK * 10)
    later = daily([999.0] * 10, end="2024-07-10")
    lines = forecast(pd.concat([history, later]), horizon_days=7, as_of="2024-06-30")
    np.testing.assert_allclose(lines["qty"], WEEK, atol=1e-6)


# --- classic methods by name ----------------------------------------------------------------------


def test_polynomial_by_name_keeps_its_classic_interval_and_saves_models(tmp_path):
    # y = day index: the 7-day mean lags 3 days, the fit is exact: day 60 -> (54 + ... + 60) / 7.
    result = forecast_products(
        daily(np.arange(61.0)), horizon_days=3, method="polynomial", model_dir=tmp_path
    )
    lines = lines_of(result)
    np.testing.assert_allclose(lines["qty"], [58.0, 59.0, 60.0], atol=1e-6)
    # Residual sigma 0: point +- 1.96 * 0.
    np.testing.assert_allclose(lines["lower"], lines["qty"], atol=1e-6)
    assert (tmp_path / "product_1.joblib").exists()
    assert summary_row(result)["method"] == "polynomial"


def test_moving_average_by_name_is_the_classic_baseline():
    values = np.r_[np.ones(30), np.zeros(20), np.full(7, 7.0)]
    lines = forecast(daily(values), horizon_days=2, method="moving_average")
    np.testing.assert_allclose(lines["qty"], 7.0)  # mean of the last 7 days


# --- automatic choice -----------------------------------------------------------------------------


def test_demand_classes_follow_syntetos_boylan():
    smooth = [5.0, 6.0, 4.0, 5.0] * 7  # every day, sizes 4-6: ADI 1, CV2 0.02
    erratic = [1.0, 30.0] * 14  # every day, CV2 = (14.5 / 15.5) ** 2 = 0.875
    intermittent = [4.0, 0.0, 0.0] * 9 + [4.0]  # ADI 28 / 10 = 2.8, CV2 0
    lumpy = [1.0, 0.0, 0.0, 30.0] * 7  # ADI 2, CV2 0.875
    history = pd.concat(
        [daily(values, i + 1) for i, values in enumerate([smooth, erratic, intermittent, lumpy])]
    )
    matrix = forecasting.daily_matrix(history)
    np.testing.assert_array_equal(forecasting.demand_classes(matrix), [0, 1, 2, 3])


def _study_with_scores(mase, classes):
    """A backtest study with given one-fold MASE (methods x products) and demand classes."""
    study = object.__new__(forecasting._Study)
    study._metrics = {}
    for name, values in zip(["a", "b", "c"], mase):
        study._metrics[(name, "mase")] = np.array([values], dtype=float)
        study._metrics[(name, "mae")] = np.array([values], dtype=float)
    study.classes = np.asarray(classes)
    return study


def test_auto_takes_the_class_method_unless_a_product_is_clearly_better_with_its_own():
    n_products = 23
    mase = np.array([[1.0] * n_products, [0.9] * n_products, [1.2] * n_products])
    mase[0, 3] = 0.5  # 0.5 <= 0.6 x 0.9 = 0.54: product 3 keeps method a
    mase[0, 4] = 0.6  # 0.6 > 0.54: product 4 takes its class's method b
    mase[:, 21] = [1.0, 0.95, 0.8]  # alone in its class: the overall best b; 0.8 > 0.57
    mase[:, 22] = np.nan  # no fold: the class's method, not scored
    classes = [0] * 21 + [2, 0]
    choice, scored = _study_with_scores(mase, classes).choose(["a", "b", "c"])
    expected = [1] * n_products
    expected[3] = 0
    np.testing.assert_array_equal(choice, expected)
    assert scored[:22].all() and not scored[22]
