"""engine.accuracy.score_forecasts: stored forecasts scored against what sold (out of sample)."""

import math

import numpy as np
import pandas as pd
import pytest
from engine import score_forecasts

ORIGIN = pd.Timestamp("2024-06-01")


def stored(qty, lower, upper, method="ets", product_id=1, origin=ORIGIN, scale=2.0):
    days = pd.date_range(origin + pd.Timedelta(days=1), periods=len(qty), freq="D")
    return pd.DataFrame(
        {
            "product_id": product_id,
            "date": days,
            "qty": qty,
            "lower": lower,
            "upper": upper,
            "method": method,
            "origin": origin,
            "scale": scale,
        }
    )


FIRST_DAY = ORIGIN + pd.Timedelta(days=1)


def sales(values, product_id=1, start=FIRST_DAY):
    days = pd.date_range(start, periods=len(values), freq="D")
    return pd.DataFrame({"product_id": product_id, "date": days, "qty": values})


def test_errors_per_product_method_and_week_by_hand():
    # 9 forecast days of 4 (interval [2, 6]); 9 actual days.
    forecasts = stored([4.0] * 9, [2.0] * 9, [6.0] * 9)
    actual = sales([4.0, 6.0, 0.0, 3.0, 8.0, 4.0, 4.0, 5.0, 1.0])
    result = score_forecasts(forecasts, actual)
    assert list(result.columns) == [
        "product_id",
        "method",
        "week",
        "days",
        "mae",
        "mase",
        "smape",
        "bias",
        "coverage",
    ]
    week1, week2 = result.iloc[0], result.iloc[1]
    # Week 1 (days 1-7): errors 0, -2, 4, 1, -4, 0, 0.
    assert week1["days"] == 7
    assert week1["mae"] == pytest.approx(11 / 7)
    assert week1["mase"] == pytest.approx(11 / 7 / 2.0)
    assert week1["bias"] == pytest.approx(-1 / 7)
    smape = (0 + 2 * 2 / 10 + 2 * 4 / 4 + 2 * 1 / 7 + 2 * 4 / 12 + 0 + 0) / 7
    assert week1["smape"] == pytest.approx(smape)
    assert week1["coverage"] == pytest.approx(5 / 7)  # 0 and 8 are outside [2, 6]
    # Week 2 (days 8, 9): errors -1, 3.
    assert week2["week"] == 2 and week2["days"] == 2
    assert week2["mae"] == pytest.approx(2.0)
    assert week2["coverage"] == pytest.approx(0.5)


def test_only_past_days_and_days_in_stock_are_scored():
    forecasts = stored([2.0] * 5, [0.0] * 5, [4.0] * 5)
    actual = sales([2.0, 0.0, 2.0])  # known up to day 3; day 2 sold nothing
    unavailable = pd.DataFrame({"product_id": [1], "date": [ORIGIN + pd.Timedelta(days=2)]})
    result = score_forecasts(forecasts, actual, unavailable=unavailable)
    # Days 4 and 5 have not happened (as_of = day 3); day 2 was a stock-out: 2 days, no error.
    assert result.iloc[0]["days"] == 2 and result.iloc[0]["mae"] == 0.0
    later = score_forecasts(forecasts, actual, as_of=ORIGIN + pd.Timedelta(days=5))
    # With as_of on day 5, days without a sale row sold 0: errors 0, 2, 0, 2, 2.
    assert later.iloc[0]["days"] == 5 and later.iloc[0]["mae"] == pytest.approx(6 / 5)


def test_grouping_per_method_over_products_and_runs():
    first = stored([1.0] * 7, [0.0] * 7, [2.0] * 7, method="ets", scale=1.0)
    second = stored([3.0] * 7, [0.0] * 7, [9.0] * 7, method="gbm", product_id=2, scale=4.0)
    actual = pd.concat([sales([2.0] * 7), sales([1.0] * 7, product_id=2)])
    result = score_forecasts(pd.concat([first, second]), actual, by=("method",)).set_index("method")
    assert result.loc["ets", "mae"] == 1.0 and result.loc["ets", "mase"] == 1.0
    assert result.loc["gbm", "mae"] == 2.0 and result.loc["gbm", "mase"] == 0.5
    assert result.loc["gbm", "bias"] == 2.0 and result.loc["ets", "bias"] == -1.0


def test_without_scale_mase_is_nan_and_bad_arguments_are_value_errors():
    forecasts = stored([1.0] * 3, [0.0] * 3, [2.0] * 3).drop(columns="scale")
    result = score_forecasts(forecasts, sales([1.0] * 3))
    assert math.isnan(result.iloc[0]["mase"])
    with pytest.raises(ValueError, match="origin"):
        score_forecasts(forecasts.drop(columns="origin"), sales([1.0]))
    with pytest.raises(ValueError, match="by must name"):
        score_forecasts(forecasts, sales([1.0]), by=("store",))
    assert score_forecasts(forecasts.iloc[:0], sales([1.0])).empty


def test_scores_a_real_forecast_run_after_the_fact():
    # What the ORM does: keep the lines of a run (with the summary's mase_scale) and score them
    # once the days have passed, here against the hand-made 7 days that followed.
    from engine import forecast_products

    values = np.tile([10.0, 20.0, 30.0, 40.0, 50.0, 0.0, 0.0], 8)
    history = pd.DataFrame(
        {
            "product_id": 1,
            "date": pd.date_range(end=ORIGIN, periods=len(values), freq="D"),
            "qty": values,
        }
    )
    run = forecast_products(history, horizon_days=7, method="seasonal_naive")
    lines = run.lines.assign(origin=ORIGIN, scale=float(run.summary["mase_scale"].iloc[0]))
    # The pattern repeats exactly: seasonal naive scale 0 -> the mean demand 150 / 7.
    assert lines["scale"].iloc[0] == pytest.approx(150 / 7)
    # Seasonal naive repeats the last week, 10, 20, 30, 40, 50, 0, 0; the second day sold 27.
    following = values[:7].copy()
    following[1] += 7.0
    result = score_forecasts(lines, sales(following)).iloc[0]
    assert result["mae"] == pytest.approx(1.0)
    assert result["mase"] == pytest.approx(1.0 / (150 / 7))
