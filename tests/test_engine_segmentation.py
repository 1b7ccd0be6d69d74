"""engine.segmentation: ABC by revenue (rank, Pareto), XYZ by CV, 3 × 3 matrix (issue 3, item 4)."""

import math

import numpy as np
import pandas as pd
import pytest
from engine.segmentation import (
    MATRIX_COLUMNS,
    SEGMENT_COLUMNS,
    abc_classes,
    segment_abc_xyz,
    xyz_classes,
)

AS_OF = pd.Timestamp("2024-03-31")


def revenue_history(revenues):
    """One sale per product on AS_OF with the given revenue (product ids 1..n)."""
    return pd.DataFrame(
        {
            "product_id": np.arange(1, len(revenues) + 1),
            "date": AS_OF,
            "qty": 1.0,
            "amount": revenues,
        }
    )


def weekly_history(product_id, weekly_totals, as_of=AS_OF):
    """One row per week, on the last day of each 7-day block ending on as_of."""
    n = len(weekly_totals)
    dates = [as_of - pd.Timedelta(days=7 * (n - 1 - k)) for k in range(n)]
    return pd.DataFrame(
        {"product_id": product_id, "date": dates, "qty": weekly_totals, "amount": weekly_totals}
    )


@pytest.mark.parametrize(
    ("count", "a", "b"),
    [
        (10, 2, 3),  # A ranks 1-2 (ceil 2.0), B ranks 3-5 (ceil 5.0), C 6-10
        (3, 1, 1),  # ceil(0.6) = 1 A, ceil(1.5) = 2 → 1 B, 1 C
        (1, 1, 0),  # a single product is A
        (15, 3, 5),  # 0.2·15 = 3.0000000000000004 in floats: still 3 A; ceil(7.5) = 8 → 5 B
        (7, 2, 2),  # ceil(1.4) = 2 A, ceil(3.5) = 4 → 2 B
    ],
)
def test_rank_mode_cut_offs(count, a, b):
    revenue = np.arange(count, 0, -1) * 10.0  # distinct, descending
    classes = abc_classes(revenue, np.arange(count), "rank")
    assert list(classes) == ["A"] * a + ["B"] * b + ["C"] * (count - a - b)


@pytest.mark.parametrize(
    ("revenue", "expected"),
    [
        # shares 50, 30, 10, 5, 5 %: share before each = 0, .5, .8, .9, .95
        # A if before < .8, B if before < .95 → A A B B C
        ([50.0, 30.0, 10.0, 5.0, 5.0], "AABBC"),
        # 70, 20, 10: before 0, .7, .9 → the product crossing 80 % is A → A A B
        ([70.0, 20.0, 10.0], "AAB"),
        # one product makes everything: A, the others have no revenue → C
        ([100.0, 0.0, 0.0], "ACC"),
    ],
)
def test_pareto_mode_cut_offs(revenue, expected):
    classes = abc_classes(np.array(revenue), np.arange(len(revenue)), "pareto")
    assert "".join(classes) == expected


def test_ties_and_zero_revenue_are_deterministic():
    # 5 products, revenues [10, 30, 30, 0, 10] for ids [5, 4, 3, 2, 1]
    # order: revenue desc, then id asc → id 3 (30), id 4 (30), id 1 (10), id 5 (10), id 2 (0)
    # rank: A = ceil(1.0) = 1 → id 3; B = ceil(2.5) = 3 → ids 4, 1; C → ids 5, 2
    revenue = np.array([10.0, 30.0, 30.0, 0.0, 10.0])
    ids = np.array([5, 4, 3, 2, 1])
    assert list(abc_classes(revenue, ids, "rank")) == ["C", "B", "A", "C", "B"]
    # zero revenue is C even inside the top 20 %: 2 products, one without revenue
    assert list(abc_classes(np.array([0.0, 0.0]), np.array([1, 2]), "rank")) == ["C", "C"]


# Two weekly totals a, b: mean (a+b)/2, population σ |a-b|/2 → cv = |a-b| / (a+b)
@pytest.mark.parametrize(
    ("weeks", "cv", "xyz"),
    [
        ([10.0, 10.0], 0.0, "X"),
        ([129.0, 71.0], 0.29, "X"),  # 58 / 200
        ([13.0, 7.0], 0.3, "Y"),  # 6 / 20 = 0.3: boundary belongs to Y
        ([169.0, 31.0], 0.69, "Y"),  # 138 / 200
        ([17.0, 3.0], 0.7, "Z"),  # 14 / 20 = 0.7: boundary belongs to Z
        ([20.0, 0.0], 1.0, "Z"),
    ],
)
def test_xyz_cut_offs_weekly(weeks, cv, xyz):
    segments, _ = segment_abc_xyz(weekly_history(1, weeks))
    row = segments.iloc[0]
    assert row.cv == pytest.approx(cv)
    assert row.xyz == xyz


def test_xyz_daily_period_and_weeks_counted_back_from_as_of():
    # 9 days: 1, 3, then 7 days of 2. Weekly: one full block (the last 7 days = 14), the 2
    # leading days are an incomplete block, left out → fewer than 2 weeks → Z with a note.
    qty = np.array([[1.0, 3.0, 2, 2, 2, 2, 2, 2, 2]])
    cv, xyz, note = xyz_classes(qty, "W")
    assert math.isnan(cv[0]) and xyz[0] == "Z"
    assert note[0] == "fewer than 2 weeks since the first sale: Z"
    # daily: mean 2, deviations -1, 1, 0 × 7 → σ = sqrt(2/9) → cv = 0.2357 → X
    cv, xyz, _ = xyz_classes(qty, "D")
    assert cv[0] == pytest.approx(math.sqrt(2 / 9) / 2)
    assert xyz[0] == "X"


def test_periods_before_the_first_sale_are_left_out():
    # 4 weeks: 2 without sales, then 10 and 10 → cv over the last 2 weeks only = 0 → X
    totals = np.concatenate([np.zeros(14), [0, 0, 0, 0, 0, 0, 10.0], [0, 0, 0, 0, 0, 0, 10.0]])
    cv, xyz, _ = xyz_classes(totals[np.newaxis, :], "W")
    assert (cv[0], xyz[0]) == (0.0, "X")


def test_no_demand_is_z_with_a_note():
    history = pd.concat(
        [weekly_history(1, [10.0, 10.0]), weekly_history(2, [0.0, 0.0])], ignore_index=True
    )
    segments, _ = segment_abc_xyz(history)
    row = segments.set_index("product_id").loc[2]
    assert row.xyz == "Z"
    assert math.isnan(row.cv)
    assert row.note == "no demand: Z"
    assert row.abc == "C"  # no revenue


def test_segments_and_matrix_end_to_end():
    # 5 products, 2 weeks each; revenue = sum of the weekly totals (amount = qty)
    history = pd.concat(
        [
            weekly_history(1, [50.0, 50.0]),  # revenue 100, cv 0 → X
            weekly_history(2, [40.0, 20.0]),  # 60, cv 20/60 = 0.333 → Y
            weekly_history(3, [20.0, 0.0]),  # 20, cv 1 → Z
            weekly_history(4, [10.0, 10.0]),  # 20, cv 0 → X
            weekly_history(5, [0.0, 0.0]),  # 0 → Z, C
        ],
        ignore_index=True,
    )
    segments, matrix = segment_abc_xyz(history)
    assert list(segments.columns) == SEGMENT_COLUMNS
    # rank: A = ceil(1.0) = 1 product, B up to ceil(2.5) = 3; ranks: 1 (100), 2 (60),
    # 3 (20, id 3), 4 (20, id 4), 5 (0) → A, B, B, C, C
    assert list(segments.segment) == ["AX", "BY", "BZ", "CX", "CZ"]
    # revenue total 200 → shares .5, .3, .1, .1, 0
    np.testing.assert_allclose(segments.revenue_share, [0.5, 0.3, 0.1, 0.1, 0.0])
    assert list(matrix.columns) == MATRIX_COLUMNS
    assert len(matrix) == 9
    assert [a + x for a, x in zip(matrix.abc, matrix.xyz)] == [a + x for a in "ABC" for x in "XYZ"]
    cells = matrix.set_index(matrix.abc + matrix.xyz)
    assert cells.loc["AX", "product_count"] == 1
    assert cells.loc["AX", "revenue"] == 100.0
    assert cells.loc["BY", "revenue_share"] == pytest.approx(0.3)
    assert cells.loc["AY", "product_count"] == 0
    assert cells.product_count.sum() == 5
    assert cells.revenue_share.sum() == pytest.approx(1.0)
    assert matrix.recommendation.nunique() == 9
    assert "Tight control" in cells.loc["AX", "recommendation"]
    assert cells.loc["CZ", "recommendation"] == "Order on demand or drop from the range."
    # Pareto: before = 0, .5, .8, .9, 1.0 → A, A, B, B, C (no revenue)
    segments, _ = segment_abc_xyz(history, mode="pareto")
    assert list(segments.abc) == ["A", "A", "B", "B", "C"]


def test_without_amount_column_quantities_rank_the_products():
    history = weekly_history(1, [5.0, 5.0]).drop(columns="amount")
    segments, _ = segment_abc_xyz(history)
    row = segments.iloc[0]
    assert row.revenue == 10.0
    assert row.note == "no amount column: ranked by quantity"


def test_returns_and_nan_rows():
    history = pd.concat(
        [
            weekly_history(1, [10.0, 10.0]),
            pd.DataFrame(
                {
                    "product_id": [1, 1],
                    "date": [AS_OF, AS_OF],
                    "qty": [-4.0, np.nan],
                    "amount": [-4.0, 3.0],
                }
            ),
        ],
        ignore_index=True,
    )
    segments, _ = segment_abc_xyz(history)
    # the return nets the last week to 6 (NaN row dropped): weeks 10, 6 → cv 4/16 = 0.25
    assert segments.iloc[0].revenue == 16.0
    assert segments.iloc[0].cv == pytest.approx(0.25)


def test_one_day_and_ten_years():
    one_day = segment_abc_xyz(revenue_history([5.0]))[0].iloc[0]
    assert (one_day.abc, one_day.xyz) == ("A", "Z")
    days = pd.date_range(end=AS_OF, periods=3652, freq="D")
    history = pd.DataFrame({"product_id": 1, "date": days, "qty": 1.0, "amount": 2.0})
    ten = segment_abc_xyz(history)[0].iloc[0]
    assert ten.revenue == 7304.0
    # 3652 days = 521 whole weeks of 7 + a first week of 5 days (completed with 2 zero days):
    # mean m = 3652/522; σ² = ((5 - m)² + 521·(7 - m)²) / 522 → cv = σ/m = 0.0125 → X
    m = 3652 / 522
    sigma = math.sqrt(((5 - m) ** 2 + 521 * (7 - m) ** 2) / 522)
    assert ten.cv == pytest.approx(sigma / m)
    assert ten.segment == "AX"


def test_empty_history():
    segments, matrix = segment_abc_xyz(pd.DataFrame(columns=["product_id", "date", "qty"]))
    assert segments.empty
    assert len(matrix) == 9
    assert matrix.product_count.sum() == 0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"mode": "abc"},
        {"abc_thresholds": (0.5, 0.2)},
        {"xyz_thresholds": (0.0, 0.7)},
        {"xyz_period": "M"},
    ],
)
def test_bad_arguments(kwargs):
    with pytest.raises(ValueError):
        segment_abc_xyz(revenue_history([1.0]), **kwargs)
