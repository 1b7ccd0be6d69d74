"""engine.history: transaction rows → products × days demand matrix."""

import datetime

import numpy as np
import pandas as pd
import pytest
from engine.history import daily_matrix, trailing_mean


def frame(rows, amount=False):
    columns = ["product_id", "date", "qty"] + (["amount"] if amount else [])
    return pd.DataFrame(rows, columns=columns)


def test_rows_are_summed_per_product_and_day_and_missing_days_are_zero():
    history = frame(
        [
            (1, "2024-01-01", 2.0),
            (1, "2024-01-01", 3.0),  # same day: 2 + 3 = 5
            (1, "2024-01-03", 1.0),  # 2024-01-02 has no row: 0
            (2, "2024-01-02", 4.0),
        ]
    )
    matrix = daily_matrix(history)
    assert list(matrix.product_ids) == [1, 2]
    assert list(matrix.dates.strftime("%Y-%m-%d")) == ["2024-01-01", "2024-01-02", "2024-01-03"]
    np.testing.assert_array_equal(matrix.qty, [[5.0, 0.0, 1.0], [0.0, 4.0, 0.0]])
    assert matrix.qty.dtype == np.float64
    assert matrix.revenue is None
    # order lines: rows with qty > 0 → product 1 has 3, product 2 has 1
    np.testing.assert_array_equal(matrix.order_lines, [3, 1])


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        # sale 5 and return 2 the same day: net 5 - 2 = 3
        ([(1, "2024-01-01", 5.0), (1, "2024-01-01", -2.0)], 3.0),
        # return larger than the day's sales: 3 - 5 = -2, floored at 0
        ([(1, "2024-01-01", 3.0), (1, "2024-01-01", -5.0)], 0.0),
        # return on a day without sale: -4 floored at 0
        ([(1, "2024-01-01", -4.0)], 0.0),
        # 0.1 + 0.2 - 0.3 is 5.5e-17 in floats: it must count as exactly no demand
        ([(1, "2024-01-01", 0.1), (1, "2024-01-01", 0.2), (1, "2024-01-01", -0.3)], 0.0),
    ],
)
def test_returns_are_netted_per_day_and_floored_at_zero(rows, expected):
    matrix = daily_matrix(frame(rows))
    assert matrix.qty.shape == (1, 1)
    assert matrix.qty[0, 0] == expected


def test_revenue_matrix_nets_amounts_and_missing_amount_counts_as_zero():
    history = frame(
        [
            (1, "2024-01-01", 2.0, 20.0),
            (1, "2024-01-01", -1.0, -10.0),  # 20 - 10 = 10
            (1, "2024-01-02", 1.0, None),  # no amount: demand kept, revenue 0
        ],
        amount=True,
    )
    matrix = daily_matrix(history)
    np.testing.assert_array_equal(matrix.qty, [[1.0, 1.0]])
    np.testing.assert_array_equal(matrix.revenue, [[10.0, 0.0]])


def test_rows_with_missing_values_are_dropped_and_counted():
    history = frame(
        [
            (1, "2024-01-01", 1.0),
            (1, "2024-01-02", np.nan),  # qty NaN
            (1, None, 3.0),  # no date
            (None, "2024-01-02", 3.0),  # no product
            (1, "not a date", 3.0),
            (1, "2024-01-02", "abc"),  # not a number
            (1, "2024-01-02", np.inf),
        ]
    )
    matrix = daily_matrix(history)
    assert matrix.dropped_rows == 6
    np.testing.assert_array_equal(matrix.qty, [[1.0]])


def test_as_of_and_lookback_window():
    history = frame(
        [
            (1, "2024-01-01", 7.0),  # before the window, still the first sale
            (1, "2024-01-09", 2.0),
            (1, "2024-01-10", 3.0),
            (1, "2024-01-12", 9.0),  # after as_of: ignored
            (2, "2024-01-11", 5.0),  # only after as_of: product unknown at as_of
        ]
    )
    matrix = daily_matrix(history, as_of=datetime.date(2024, 1, 10), lookback_days=3)
    assert list(matrix.product_ids) == [1]
    assert list(matrix.dates.strftime("%m-%d")) == ["01-08", "01-09", "01-10"]
    np.testing.assert_array_equal(matrix.qty, [[0.0, 2.0, 3.0]])
    np.testing.assert_array_equal(matrix.order_lines, [2])
    assert matrix.first_sale[0] == np.datetime64("2024-01-01")
    # 2024-01-01 .. 2024-01-10 inclusive = 10 days
    np.testing.assert_array_equal(matrix.history_days(), [10])
    assert matrix.as_of == pd.Timestamp("2024-01-10")


def test_product_ids_argument_adds_zero_rows_and_drops_others():
    history = frame([(1, "2024-01-01", 1.0), (2, "2024-01-01", 2.0)])
    matrix = daily_matrix(history, product_ids=[3, 1])
    assert list(matrix.product_ids) == [1, 3]
    np.testing.assert_array_equal(matrix.qty, [[1.0], [0.0]])
    assert np.isnat(matrix.first_sale[1])
    np.testing.assert_array_equal(matrix.history_days(), [1, 0])


@pytest.mark.parametrize(
    "dates",
    [
        ["2024-03-01", "2024-03-02"],
        [datetime.date(2024, 3, 1), datetime.date(2024, 3, 2)],
        [datetime.datetime(2024, 3, 1, 23, 59), datetime.datetime(2024, 3, 2, 0, 1)],
        pd.to_datetime(["2024-03-01 10:00", "2024-03-02 10:00"]).tz_localize("Europe/Paris"),
    ],
)
def test_date_types(dates):
    history = pd.DataFrame({"product_id": [4, 4], "date": dates, "qty": [1.0, 2.0]})
    matrix = daily_matrix(history)
    assert list(matrix.dates.strftime("%Y-%m-%d")) == ["2024-03-01", "2024-03-02"]
    np.testing.assert_array_equal(matrix.qty, [[1.0, 2.0]])


@pytest.mark.parametrize(
    ("history", "message"),
    [
        ([1, 2, 3], "must be a pandas DataFrame"),
        (pd.DataFrame({"product_id": [1], "date": ["2024-01-01"]}), "missing the column(s) qty"),
        (pd.DataFrame({"product_id": [1.5], "date": ["2024-01-01"], "qty": [1]}), "integer"),
    ],
)
def test_bad_input_raises_value_error(history, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        daily_matrix(history)


@pytest.mark.parametrize("lookback", [0, -3, 2.5, True])
def test_bad_lookback_raises_value_error(lookback):
    with pytest.raises(ValueError, match="lookback_days"):
        daily_matrix(frame([(1, "2024-01-01", 1.0)]), lookback_days=lookback)


def test_empty_history():
    matrix = daily_matrix(frame([]))
    assert matrix.qty.shape == (0, 0)
    assert len(matrix.dates) == 0
    assert matrix.as_of is None
    matrix = daily_matrix(frame([]), as_of="2024-05-10", lookback_days=5)
    assert matrix.qty.shape == (0, 5)
    assert matrix.dates[-1] == pd.Timestamp("2024-05-10")


def test_one_day_and_ten_years_of_history():
    one = daily_matrix(frame([(1, "2024-01-01", 3.0)]))
    np.testing.assert_array_equal(one.qty, [[3.0]])
    days = pd.date_range("2014-01-01", "2023-12-31", freq="D")  # 10 years = 3652 days
    history = pd.DataFrame({"product_id": 1, "date": days, "qty": 2.0})
    ten = daily_matrix(history)
    assert ten.qty.shape == (1, 3652)
    assert ten.qty.sum() == 2.0 * 3652


def test_trailing_mean_full_windows():
    # [1..8] with window 7: mean(1..7) = 4, mean(2..8) = 5
    np.testing.assert_allclose(trailing_mean(np.arange(1.0, 9.0)), [4.0, 5.0])
    # fewer days than the window: plain mean, (1 + 2 + 3) / 3 = 2
    np.testing.assert_allclose(trailing_mean(np.array([[1.0, 2.0, 3.0]])), [[2.0]])
    # zeros stay exactly zero
    assert trailing_mean(np.zeros((2, 10))).max() == 0.0


@pytest.mark.parametrize("big", [50, 10**12])  # lookup table / sorted search for the ids
def test_sparse_and_huge_product_ids(big):
    history = frame([(big, "2024-01-01", 1.0), (-3, "2024-01-01", 2.0), (big, "2024-01-02", 4.0)])
    matrix = daily_matrix(history)
    assert list(matrix.product_ids) == [-3, big]
    np.testing.assert_array_equal(matrix.qty, [[2.0, 0.0], [1.0, 4.0]])
    only = daily_matrix(history, product_ids=[big, 7])
    assert list(only.product_ids) == [7, big]
    np.testing.assert_array_equal(only.qty, [[0.0, 0.0], [1.0, 4.0]])
