"""KPI catalogue (engine/kpi_catalog.py) and arithmetic (engine/kpi_formulas.py), without Odoo."""

import datetime
import importlib.util
import math
import re
from pathlib import Path

import numpy as np
import pytest
from engine import kpi_catalog as catalog
from engine import kpi_formulas as kf

ROOT = Path(__file__).resolve().parent.parent


def _kpi_docs():
    spec = importlib.util.spec_from_file_location("kpi_docs", ROOT / "bench" / "kpi_docs.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- catalogue -------------------------------------------------------------------------------------
def test_catalogue_has_at_least_32_complete_entries():
    assert len(catalog.KPI_CATALOG) >= 32
    codes = [kpi.code for kpi in catalog.KPI_CATALOG]
    assert len(set(codes)) == len(codes)
    for kpi in catalog.KPI_CATALOG:
        assert re.fullmatch(r"[a-z][a-z0-9]*(_[a-z0-9]+)*", kpi.code), kpi.code
        assert kpi.name and kpi.description, kpi.code
        assert kpi.category in catalog.CATEGORIES
        assert kpi.unit in catalog.UNITS
        assert kpi.direction in catalog.DIRECTIONS
        assert kpi.kind in catalog.KINDS
        assert kpi.sources, kpi.code
    # every category of the issue is represented
    assert {kpi.category for kpi in catalog.KPI_CATALOG} == set(catalog.CATEGORIES)


def test_docs_kpis_md_is_generated_from_the_catalogue():
    text = (ROOT / "docs" / "kpis.md").read_text(encoding="utf-8")
    assert text == _kpi_docs().render(), "run python3 bench/kpi_docs.py"
    for kpi in catalog.KPI_CATALOG:
        assert "| `%s` |" % kpi.code in text


def test_every_kpi_answers_on_empty_data():
    # No products, no sales, two buckets: every KPI is a number or nan, nothing raises.
    data = kf.KpiData([30, 30])
    data.update(
        product_active=[],
        product_storable=[],
        product_catalog=[],
        product_created_bucket=[],
        list_price=[],
        unit_cost=[],
        on_hand=[],
        net_moves=np.zeros((0, 3)),
        customer_moves=np.zeros((0, 2)),
        rule_min=[],
        rule_max=[],
        reorder_point=[],
        trailing_qty=np.zeros((0, 2)),
        trailing_lines=np.zeros((0, 2)),
        **{name: np.zeros(2) for name in ("revenue", "cost", "units", "orders", "customers")},
    )
    values = kf.compute_kpis(data)
    assert set(values) == set(catalog.KPI_BY_CODE)
    assert values["revenue_total"].tolist() == [0.0, 0.0]
    assert values["stock_value"].tolist() == [0.0, 0.0]
    assert values["out_of_stock_count"].tolist() == [0.0, 0.0]
    assert all(math.isnan(v) for v in values["gross_margin"])  # margin of no revenue
    assert all(math.isnan(v) for v in values["below_rop_count"])  # no reorder point known


def test_unknown_input_name_raises():
    with pytest.raises(ValueError, match="unknown KPI inputs: revenu"):
        kf.KpiData([1], revenu=[1.0])


# -- arithmetic ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (150.0, 100.0, 50.0),  # (150 - 100) / 100 * 100
        (50.0, 100.0, -50.0),
        (-50.0, -100.0, 50.0),  # loss halved: (−50 + 100) / |−100| * 100
        (10.0, 0.0, None),  # growth from nothing is undefined
        (0.0, 0.0, None),
    ],
)
def test_growth_pct(current, previous, expected):
    result = float(kf.growth_pct(current, previous))
    if expected is None:
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected)


def test_safe_div_and_percent():
    assert kf.safe_div([1.0, 1.0, 3.0], [0.0, np.nan, 4.0])[2] == 0.75
    assert np.isnan(kf.safe_div([1.0, 1.0], [0.0, np.nan])).all()
    assert kf.percent(1.0, 8.0) == 12.5


def test_series_growth_first_bucket_has_none():
    growth = kf.series_growth([500.0, 1300.0, 2920.0])
    assert math.isnan(growth[0])
    assert growth[1] == pytest.approx(160.0)  # (1300 - 500) / 500
    assert growth[2] == pytest.approx(124.6153846)  # (2920 - 1300) / 1300


def test_summarize_and_format():
    assert kf.summarize("currency", [np.nan, 1300.0, 2920.0]) == {
        "value": 2920.0,
        "previous": 1300.0,
        "change": 1620.0,
        "change_pct": 124.6154,
        "no_data": False,
    }
    assert kf.summarize("count", [3.0, 5.0]) == {
        "value": 5,
        "previous": 3,
        "change": 2,
        "change_pct": 66.6667,
        "no_data": False,
    }
    assert kf.summarize("percent", [40.0, np.nan])["no_data"] is True
    ordinal = [datetime.date(2025, 3, 20).toordinal(), datetime.date(2025, 4, 28).toordinal()]
    assert kf.summarize("date", ordinal)["value"] == "2025-04-28"
    assert kf.summarize("date", ordinal)["change"] == 39  # 11 days of March + 28


# -- periods ---------------------------------------------------------------------------------------
def test_period_bounds():
    today = datetime.date(2025, 4, 30)
    assert kf.period_bounds(today, 30) == [
        datetime.date(2025, 1, 31),
        datetime.date(2025, 3, 2),
        datetime.date(2025, 4, 1),
        datetime.date(2025, 5, 1),
    ]
    with pytest.raises(ValueError):
        kf.period_bounds(today, 0)


def test_interval_bounds():
    today = datetime.date(2025, 4, 30)  # a Wednesday
    day = datetime.date
    assert kf.interval_bounds(today, 3, "day") == [
        day(2025, 4, 27),  # base of the growth
        day(2025, 4, 28),
        day(2025, 4, 29),
        day(2025, 4, 30),
        day(2025, 5, 1),
    ]
    # 30 days from Tuesday 04-01: the weeks from Monday 03-31, the last one cut at today
    assert kf.interval_bounds(today, 30, "week") == [
        day(2025, 3, 24),
        day(2025, 3, 31),
        day(2025, 4, 7),
        day(2025, 4, 14),
        day(2025, 4, 21),
        day(2025, 4, 28),
        day(2025, 5, 1),
    ]
    assert kf.interval_bounds(today, 90, "month") == [
        day(2024, 12, 1),
        day(2025, 1, 1),
        day(2025, 2, 1),
        day(2025, 3, 1),
        day(2025, 4, 1),
        day(2025, 5, 1),
    ]
    with pytest.raises(ValueError):
        kf.interval_bounds(today, 30, "year")


# -- stock and windows -----------------------------------------------------------------------------
def test_stock_at_ends_rebuilds_past_stock():
    # Product with 72 today; it lost 15 and 4 and gained 20 in the last bucket (net +1),
    # lost 8 in the one before, nothing after the last bound.
    on_hand = np.array([72.0])
    net_moves = np.array([[0.0, -8.0, 1.0, 0.0]])
    # end of bucket 2 = today: 72; end of bucket 1: 72 - 1 = 71; end of bucket 0: 71 + 8 = 79
    assert kf.stock_at_ends(on_hand, net_moves).tolist() == [[79.0, 71.0, 72.0]]


def test_trailing_window_sums_equals_brute_force():
    rng = np.random.default_rng(7)
    index = rng.integers(0, 4, 200)
    days = rng.integers(0, 120, 200)
    values = rng.random(200)
    ends = [10, 35, 60, 61, 90, 130]
    result = kf.trailing_window_sums(index, days, values, ends, 30, 4)
    for item in range(4):
        for column, end in enumerate(ends):
            mask = (index == item) & (days >= end - 30) & (days < end)
            assert result[item, column] == pytest.approx(values[mask].sum())


def test_latest_before_and_pick():
    times = [10.0, 20.0, 30.0]
    assert kf.latest_before(times, [5.0, 10.0, 25.0, 99.0]).tolist() == [-1, -1, 1, 2]
    picked = kf.pick([3.0, 4.0, 5.0], kf.latest_before(times, [5.0, 25.0]))
    assert math.isnan(picked[0]) and picked[1] == 4.0
    assert math.isnan(kf.pick([], [-1])[0])


def test_stock_kpis_by_hand():
    # Two storable products over two 30-day buckets; cost 60 and 20.
    # A: 72 today, sold 15 in bucket 1 (and 0 moves otherwise): 87 at the end of bucket 0.
    # B: 41 today, net +1 in bucket 1: 40 at the end of bucket 0.
    data = kf.KpiData(
        [30, 30],
        product_active=[1, 1],
        product_storable=[1, 1],
        product_catalog=[1, 1],
        product_created_bucket=[-1, -1],
        list_price=[100, 50],
        unit_cost=[60, 20],
        on_hand=[72, 41],
        net_moves=[[0, -15, 0], [0, 1, 0]],
        customer_moves=[[0, 15], [0, 19]],
        rule_min=[80, np.nan],
        rule_max=[200, 40],
        reorder_point=[np.nan, 50],
        trailing_qty=[[8, 23], [10, 34]],
        trailing_lines=[[1, 3], [1, 3]],
    )
    values = kf.compute_kpis(data)
    # stock value: 87*60 + 40*20 = 6020, then 72*60 + 41*20 = 5140
    assert values["stock_value"].tolist() == [6020.0, 5140.0]
    # COGS of bucket 1: 15*60 + 19*20 = 1280; turnover = 1280*365/30 / ((6020 + 5140) / 2)
    assert values["inventory_turnover"][1] == pytest.approx(1280 * 365 / 30 / 5580)
    assert values["days_of_cover"][1] == pytest.approx(5140 / (1280 / 30))
    # low: A 72 < min 80; B 41 < ROP 50. Before: A 87 fine, B 40 < 50.
    assert values["low_stock_count"].tolist() == [1.0, 2.0]
    assert values["below_rop_count"].tolist() == [1.0, 1.0]  # only B has a ROP
    assert values["overstock_count"].tolist() == [0.0, 1.0]  # B: 41 > max 40
    assert values["dead_stock_value"].tolist() == [0.0, 0.0]
