"""engine.adjustments: the planner's factor and quantity adjustments of a forecast."""

import numpy as np
import pandas as pd
import pytest
from engine import adjust_forecast, adjust_lines, forecast_products
from engine.adjustments import check_adjustments, follow_point

AS_OF = pd.Timestamp("2024-06-30")


def history():
    """60 days up to AS_OF: product 1 sells 4 every day, product 2 alternates 2 and 6 (mean 4),
    product 3 sold 5 units on the first day only."""
    days = pd.date_range(end=AS_OF, periods=60, freq="D")
    rows = [(1, day, 4.0) for day in days]
    rows += [(2, day, 2.0 if i % 2 else 6.0) for i, day in enumerate(days)]
    rows += [(3, days[0], 5.0)]
    return pd.DataFrame(rows, columns=["product_id", "date", "qty"])


@pytest.fixture(scope="module")
def result():
    return forecast_products(history(), horizon_days=14, method="moving_average", as_of=AS_OF)


def adjustments(*rows):
    return pd.DataFrame(rows, columns=["product_id", "date_from", "date_to", "kind", "value"])


def test_adjust_lines_factor_and_quantity(result):
    lines = result.lines
    values = adjust_lines(
        lines,
        adjustments(
            (1, "2024-07-01", "2024-07-10", "factor", 2.0),  # 10 days x 2
            (3, "2024-07-03", "2024-07-04", "quantity", 5.0),  # 2 days set to 5
        ),
    )
    product_1 = values[(lines["product_id"] == 1).to_numpy()]
    # The 7-day moving average of a constant 4 is 4: 8 on the 10 adjusted days, none after.
    assert product_1[:10].tolist() == [8.0] * 10
    assert np.isnan(product_1[10:]).all()
    product_3 = values[(lines["product_id"] == 3).to_numpy()]
    assert product_3[2:4].tolist() == [5.0, 5.0]
    assert np.isnan(np.delete(product_3, [2, 3])).all()
    assert np.isnan(values[(lines["product_id"] == 2).to_numpy()]).all()


def test_no_adjustment_keeps_the_result(result):
    same, values = adjust_forecast(result, None)
    assert same is result
    assert np.isnan(values).all()
    # An adjustment of a product the result does not forecast changes nothing either.
    same, _values = adjust_forecast(result, adjustments((99, AS_OF, AS_OF, "factor", 3.0)))
    assert same is result


def test_adjusted_totals_daily_demand_and_quantiles(result):
    adjusted, _values = adjust_forecast(
        result,
        adjustments(
            (1, "2024-07-01", "2024-07-10", "factor", 2.0),
            (2, "2024-07-01", "2024-07-14", "factor", 2.0),
            (3, "2024-07-03", "2024-07-04", "quantity", 5.0),
        ),
    )
    summary = adjusted.summary.set_index("product_id")
    # Product 1: 7 x 8 = 56 over the first week; the 14-day horizon is the "30-day" total:
    # 10 x 8 + 4 x 4 = 96. Daily demand 4 + (56 - 28) / 7 = 8.
    assert summary.loc[1, "qty_7d"] == pytest.approx(56.0)
    assert summary.loc[1, "qty_30d"] == pytest.approx(96.0)
    assert summary.loc[1, "daily_demand"] == pytest.approx(8.0)
    assert summary.loc[1, "adjusted_days"] == 10
    # Product 3 had nothing in the last 7 days: forecast 0, two days set to 5 -> 10 a week.
    assert summary.loc[3, "qty_7d"] == pytest.approx(10.0)
    assert summary.loc[3, "adjusted_days"] == 2
    assert summary.loc[2, "adjusted_days"] == 14
    # The statistical summary is not touched.
    assert result.summary.set_index("product_id").loc[1, "qty_7d"] == pytest.approx(28.0)

    # Quantiles of the 5-day demand at 97.5 %: product 1 has no spread (the total itself,
    # 5 x 8 = 40 instead of 20); product 2 (all days x 2) gets twice its statistical quantile;
    # product 3 is shifted by its adjusted total (2 days x 5 within the first 5 days).
    days, level = np.full(3, 5), np.full(3, 0.975)
    before = result.total_quantile(days, level).set_index("product_id")
    after = adjusted.total_quantile(days, level).set_index("product_id")
    assert after.loc[1, "total"] == pytest.approx(40.0)
    assert after.loc[1, "quantile"] == pytest.approx(40.0)
    assert before.loc[1, "quantile"] == pytest.approx(20.0)
    assert after.loc[2, "total"] == pytest.approx(2 * before.loc[2, "total"])
    assert after.loc[2, "quantile"] == pytest.approx(2 * before.loc[2, "quantile"])
    assert before.loc[2, "quantile"] > before.loc[2, "total"]
    assert after.loc[3, "total"] == pytest.approx(10.0)
    assert after.loc[3, "quantile"] == pytest.approx(before.loc[3, "quantile"] + 10.0)


def test_follow_point_scales_or_shifts():
    # s = 4, a = 8: x2; s = 0, a = 5: + 5; no adjustment (NaN): unchanged; shift floored at 0.
    moved = follow_point([3.0, 1.0, 7.0, -9.0], [4.0, 0.0, 4.0, 0.0], [8.0, 5.0, np.nan, 2.0])
    assert moved.tolist() == [6.0, 6.0, 7.0, 0.0]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(1, AS_OF, AS_OF, "percent", 2.0)], "unknown adjustment kind"),
        ([(1, AS_OF, AS_OF, "factor", -1.0)], ">= 0"),
        ([(1, AS_OF, AS_OF, "factor", float("nan"))], ">= 0"),
        ([(1, AS_OF, AS_OF - pd.Timedelta(days=1), "factor", 1.0)], "ends before it starts"),
    ],
)
def test_bad_adjustments(rows, message):
    with pytest.raises(ValueError, match=message):
        check_adjustments(adjustments(*rows))
    with pytest.raises(ValueError, match="missing the column"):
        check_adjustments(pd.DataFrame({"product_id": [1]}))
