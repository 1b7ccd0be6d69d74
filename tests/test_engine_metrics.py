"""engine.metrics: accuracy metrics on 1-D series and row-wise on products × horizon arrays."""

import math

import numpy as np
import pytest
from engine import metrics

ACTUAL = [2.0, 0.0, 4.0, 0.0]
FORECAST = [1.0, 0.0, 6.0, 1.0]


@pytest.mark.parametrize(
    ("function", "expected"),
    [
        # |errors| = 1, 0, 2, 1 → 4 / 4 = 1
        (metrics.mae, 1.0),
        # forecast - actual = -1, 0, 2, 1 → 2 / 4 = 0.5 (over-forecast)
        (metrics.bias, 0.5),
        # terms 2·1/3, 0 (both zero, defined as 0), 2·2/10, 2·1/1 → (0.6667 + 0 + 0.4 + 2) / 4
        (metrics.smape, (2 / 3 + 0.0 + 0.4 + 2.0) / 4),
    ],
)
def test_point_metrics(function, expected):
    assert function(ACTUAL, FORECAST) == pytest.approx(expected)


def test_smape_of_zero_forecast_for_zero_demand_is_zero():
    assert metrics.smape([0.0, 0.0], [0.0, 0.0]) == 0.0
    # forecasting 0 where 3 sold: 2·3/3 = 2, the maximum
    assert metrics.smape([3.0], [0.0]) == 2.0


def test_mase_hand_computed():
    insample = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    # seasonal naive m=7 in-sample errors: |8-1| = 7, |9-2| = 7 → scale 7
    # MAE of ([1, 2] vs [1, 3]) = 0.5 → 0.5 / 7
    assert metrics.mase([1.0, 2.0], [1.0, 3.0], insample) == pytest.approx(0.5 / 7)
    # m=1: one-step differences all 1 → MASE = MAE = 0.5
    assert metrics.mase([1.0, 2.0], [1.0, 3.0], insample, m=1) == pytest.approx(0.5)


@pytest.mark.parametrize(
    "insample",
    [
        [5.0] * 10,  # constant: scale 0
        [0.0] * 10,  # no sales: scale 0
        [1.0, 2.0, 3.0],  # fewer than m + 1 days
    ],
)
def test_mase_undefined_scale_is_nan(insample):
    assert math.isnan(metrics.mase([1.0], [2.0], insample))


def test_rmsse_scale_starts_at_first_sale():
    insample = [0.0, 0.0, 1.0, 3.0]
    # from the first non-zero sale (index 2): squared differences (3-1)² = 4 → scale 4
    # MSE of ([1, 2] vs [1, 3]) = (0 + 1) / 2 = 0.5 → sqrt(0.5 / 4)
    assert metrics.rmsse([1.0, 2.0], [1.0, 3.0], insample) == pytest.approx(math.sqrt(0.5 / 4))
    # counting the leading zeros would give scale (0 + 1 + 4) / 3: must not be used
    assert metrics.rmsse([1.0, 2.0], [1.0, 3.0], insample) != pytest.approx(
        math.sqrt(0.5 / (5 / 3))
    )
    assert math.isnan(metrics.rmsse([1.0], [1.0], [0.0, 0.0, 0.0]))


def test_interval_coverage():
    # 1 in [0, 2] yes; 5 in [0, 4] no; 3 in [3, 3] yes (bounds inclusive); 0 in [1, 2] no → 2/4
    assert metrics.interval_coverage([1, 5, 3, 0], [0, 0, 3, 1], [2, 4, 3, 2]) == 0.5


def test_two_dimensional_input_is_row_wise():
    actual = np.array([ACTUAL, [1.0, 1.0, 1.0, 1.0]])
    forecast = np.array([FORECAST, [1.0, 1.0, 1.0, 3.0]])
    insample = np.array([[0, 0, 1, 3, 2, 2, 2, 2, 2.0], [1, 2, 3, 4, 5, 6, 7, 8, 9.0]])
    for function in (metrics.mae, metrics.bias, metrics.smape):
        rows = function(actual, forecast)
        assert rows.shape == (2,)
        for row in range(2):
            assert rows[row] == pytest.approx(function(actual[row], forecast[row]))
    for function in (metrics.mase, metrics.rmsse):
        rows = function(actual, forecast, insample)
        for row in range(2):
            assert rows[row] == pytest.approx(function(actual[row], forecast[row], insample[row]))
    # second row: MAE = 2 / 4 = 0.5; bias = +0.5
    assert metrics.mae(actual, forecast)[1] == 0.5


def test_nan_pairs_are_left_out():
    # the NaN pair is skipped: |1-2| and |3-3| → 1 / 2
    assert metrics.mae([1.0, np.nan, 3.0], [2.0, 5.0, 3.0]) == 0.5
    assert math.isnan(metrics.mae([np.nan], [1.0]))


@pytest.mark.parametrize(
    "arrays",
    [
        ([1.0, 2.0], [1.0]),
        (np.zeros((2, 2, 2)), np.zeros((2, 2, 2))),
    ],
)
def test_bad_shapes_raise_value_error(arrays):
    with pytest.raises(ValueError):
        metrics.mae(*arrays)
