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


def _module(relative_path):
    """The Python file ``relative_path`` of the repository, imported on its own."""
    path = ROOT / relative_path
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _kpi_docs():
    return _module("bench/kpi_docs.py")


# -- catalogue -------------------------------------------------------------------------------------
#: The catalogue's size: a KPI added or removed must update this number, docs/kpis.md
#: (``python3 bench/kpi_docs.py``) and the hand-computed table
#: (erpconnect_ai/tests/kpi_expected.py).
CATALOGUE_SIZE = 38


def test_catalogue_has_its_38_complete_entries():
    assert len(catalog.KPI_CATALOG) == CATALOGUE_SIZE
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


# -- the hand-computed company of the Odoo KPI test, without Odoo ----------------------------------
KPI_EXPECTED = _module("erpconnect_ai/tests/kpi_expected.py")
DAY = datetime.date.fromisoformat


def _ordinal(day):
    return DAY("2025-" + day).toordinal()


def story_data():
    """``KpiData`` of the company of ``erpconnect_ai/tests/test_erpconnect_kpi.py`` (its
    docstring tells the story) for ``get_metrics(30)`` on 2025-04-30: the aggregates the ORM
    reads, written by hand. Buckets: base 01-31..03-01, previous 03-02..03-31, current
    04-01..04-30 (30 days each). Products in the order A, B, C, D (service), F."""
    ends = [_ordinal("03-02"), _ordinal("04-01"), _ordinal("05-01")]
    nan = np.nan
    # anomalies dated 04-27, 04-20, 04-10, 03-28, 03-10; runs scanned the 30 days up to
    # SCANNED_THROUGH (03-19, 04-27)
    anomaly_days = [_ordinal(day) for day in ("04-27", "04-20", "04-10", "03-28", "03-10")]
    scans = [DAY(day).toordinal() for day in KPI_EXPECTED.SCANNED_THROUGH]
    anomalies = {}
    for window in (7, 30):
        found = kf.trailing_window_sums(
            np.zeros(5, dtype=int), anomaly_days, np.ones(5), ends, window, 1
        )[0]
        anomalies[window] = np.where(kf.scan_covered(scans, 30, ends, window), found, nan)
    return kf.KpiData(
        [30, 30, 30],
        bucket_end=ends,
        orders_since=_ordinal("01-15"),  # E1
        stock_since=_ordinal("02-12"),  # Q1's delivery, the first stock move
        # orders by order date: base Q1 500; previous P1 800, P2 500; current O1 1080,
        # O2 1000, O3 650, O5 90, O6 100
        revenue=[500, 1300, 2920],
        orders=[1, 2, 5],
        customers=[1, 2, 3],  # Bob | Bob, Carol | Acme (John's company), Bob, Dave
        repeat_customers=[0, 1, 2],  # Bob's Q1 came before P1; Acme twice and Bob in April
        # lines: cost A 60, B 20, D 0, F 25; units in the product's unit; D is a service
        cost=[300, 680, 1490],
        units=[5, 18, 43],
        goods_ordered=[5, 18, 42],
        goods_delivered=[5, 18, 34],  # O2 delivered 15 of 20; O5, O6 not delivered
        sold_products=[1, 2, 4],
        sold_catalog_products=[1, 2, 4],
        # deliveries done in the bucket; late = after the due day; days to first / last delivery
        deliveries_done=[1, 2, 3],
        deliveries_late=[0, 1, 2],  # P2 (03-20 > 03-18) | O2 (04-14 > 04-12), O3 (04-22 > 04-20)
        processing_days=[2, 7, 7],  # Q1 2 | P1 2 + P2 5 | O1 1 + O2 4 + O3 2
        processing_orders=[1, 2, 3],
        cycle_days=[2, 9, 7],  # Q1 2 | P1 3 + P2 6 | O1 3 + O3 4 (O2 has a backorder)
        cycle_orders=[1, 2, 2],
        product_active=[1, 1, 1, 1, 1],
        product_storable=[1, 1, 1, 0, 1],
        product_catalog=[1, 1, 1, 1, 1],
        product_created_bucket=[-1, -1, -1, -1, 2],  # F created 04-10
        list_price=[100, 50, 30, 80, 40],
        unit_cost=[60, 20, 10, 0, 25],
        on_hand=[72, 41, 30, 0, 0],
        # net moves into stock per bucket (and after the last bound): A −5 | −8 | −10 − 5;
        # B 0 | −10 | −15 + 20 − 4
        net_moves=[[-5, -8, -15, 0], [0, -10, 1, 0], [0] * 4, [0] * 4, [0] * 4],
        customer_moves=[[5, 8, 15], [0, 10, 19], [0] * 3, [0] * 3, [0] * 3],
        rule_min=[80, 30, nan, nan, nan],
        rule_max=[200, 40, nan, nan, nan],
        reorder_point=[75, 50, nan, nan, 2],  # current suggestions (C's is staged)
        # sold in the 90 days before each end: [12-02, 03-02) A 5, C 3; [01-01, 04-01) A 13,
        # B 10, C 3; [01-31, 05-01) A 29, B 34, D 1, F 2
        trailing_qty=[[5, 13, 29], [0, 10, 34], [3, 3, 0], [0, 0, 1], [0, 0, 2]],
        trailing_lines=[[1, 2, 5], [0, 1, 3], [1, 1, 0], [0, 0, 1], [0, 0, 1]],
        anomalies_7d=anomalies[7],
        anomalies_30d=anomalies[30],
        # weeks scored after the fact, weighted by days: A 03-16 | A, B 7 days, C 3 days
        forecast_accuracy_smape=[nan, 0.5, (0.2 * 7 + 0.4 * 7 + 0.6 * 3) / 17],  # as stored
        forecast_accuracy_mase=[nan, 1.5, (0.8 * 7 + 1.2 * 7 + 1.0 * 3) / 17],
        trained_models=[nan, 3, 4],
        last_training=[nan, _ordinal("03-20"), _ordinal("04-28")],
        suggestions=[0, 0, 3],
        suggestions_applied=[0, 0, 1],
        # B's stock-out 03-30..04-03, 500 over 5 days: 03-30, 03-31 | 04-01..04-03; the
        # base and previous buckets were not scanned in full (03-20..03-28 missing) → no data
        lost_sales=[nan, nan, 300],
        # adjusted days of the scored weeks by their last day: A 03-16 | A 04-20, B 04-27;
        # gain = days × (statistical − adjusted error): 5 × (2 − 3) | 4 × (5 − 2) + 2 × (1 − 4)
        adjusted_days=[0, 5, 6],
        adjusted_gain=[0, -5, 6],
    )


@pytest.mark.parametrize("code", list(KPI_EXPECTED.EXPECTED_30_DAYS))
def test_hand_computed_table_without_odoo(code):
    """Every formula on the company the Odoo test builds, with the values of its table."""
    values = kf.compute_kpis(story_data())
    result = kf.summarize(catalog.KPI_BY_CODE[code].unit, values[code])
    for got, expected in zip(
        (result["value"], result["previous"]), KPI_EXPECTED.EXPECTED_30_DAYS[code], strict=True
    ):
        if expected is None or isinstance(expected, str):
            assert got == expected
        else:
            assert got == pytest.approx(expected, abs=5e-4)


def test_hand_computed_table_covers_the_catalogue():
    assert list(KPI_EXPECTED.EXPECTED_30_DAYS) == [kpi.code for kpi in catalog.KPI_CATALOG]


# -- what the figures say (issue 14 items 9, 10, 11) -----------------------------------------------
def test_forecast_error_is_a_percentage():
    # the forecasts store sMAPE as a fraction (0 to 2): a mean of 0.9 is an error of 90 %
    data = kf.KpiData([30, 30], forecast_accuracy_smape=[np.nan, 0.9])
    values = kf.compute_kpis(data, ["forecast_accuracy_smape"])["forecast_accuracy_smape"]
    assert catalog.KPI_BY_CODE["forecast_accuracy_smape"].unit == "percent"
    assert kf.summarize("percent", values)["value"] == 90.0
    assert kf.summarize("percent", values)["previous"] is None


@pytest.mark.parametrize(
    ("unit", "values", "change", "change_pct"),
    [
        # order growth from 0.25 % to 4.4 %: +4.15 points, not +1,660 %
        ("percent", [0.25, 4.4], 4.15, None),
        # a margin from 40 % to 36 %: −4 points
        ("percent", [40.0, 36.0], -4.0, None),
        # other units keep their relative change: (36 − 40) / 40 = −10 %
        ("currency", [40.0, 36.0], -4.0, -10.0),
        ("ratio", [2.0, 3.0], 1.0, 50.0),
    ],
)
def test_percentages_change_in_points(unit, values, change, change_pct):
    summary = kf.summarize(unit, values)
    assert summary["change"] == pytest.approx(change)
    assert summary["change_pct"] == (None if change_pct is None else pytest.approx(change_pct))


def test_buckets_before_the_data_begins_have_no_data():
    # Three 10-day buckets ending on days 110, 120, 130; two products created in bucket 1 (none
    # existed at the end of bucket 0); the first order on day 112, the first stock move on
    # day 105. Stock today 4 and 0; product 1 moved +4 in bucket 0.
    data = kf.KpiData(
        [10, 10, 10],
        bucket_end=[110, 120, 130],
        orders_since=112,
        stock_since=105,
        revenue=[0, 50, 70],
        orders=[0, 1, 2],
        product_active=[1, 1],
        product_storable=[1, 1],
        product_catalog=[1, 1],
        product_created_bucket=[1, 1],
        list_price=[10, 20],
        unit_cost=[1, 2],
        on_hand=[4, 0],
        net_moves=[[4, 0, 0, 0], [0, 0, 0, 0]],
        customer_moves=np.zeros((2, 3)),
        rule_min=[np.nan, np.nan],
        rule_max=[np.nan, np.nan],
        reorder_point=[np.nan, np.nan],
    )
    values = kf.compute_kpis(
        data, ["revenue_total", "order_count", "product_count", "out_of_stock_count", "stock_value"]
    )
    nan = None

    def shown(code):
        return [kf.format_value("count", value) for value in values[code]]

    # sales: bucket 0 ends (day 110) before the first order (day 112): no data, not 0
    assert shown("revenue_total") == [nan, 50, 70]
    assert shown("order_count") == [nan, 1, 2]
    # products: none existed at the end of bucket 0 ("Total products 192 vs 0" read "vs 0")
    assert shown("product_count") == [nan, 2, 2]
    assert shown("out_of_stock_count") == [nan, 1, 1]  # product 2 has no stock
    # stock: the first move (day 105) is inside bucket 0, which has data: 4 × 1
    assert shown("stock_value") == [4, 4, 4]
    assert kf.summarize("count", values["product_count"][:2])["previous"] is None
    # the same company without first days (nothing recorded, or not loaded): plain figures
    data.update(orders_since=np.nan, stock_since=np.nan, product_created_bucket=[-1, -1])
    values = kf.compute_kpis(data, ["revenue_total", "product_count"])
    assert values["revenue_total"].tolist() == [0.0, 50.0, 70.0]
    assert values["product_count"].tolist() == [2.0, 2.0, 2.0]


@pytest.mark.parametrize(
    ("scans", "ends", "window", "expected"),
    [
        # no analysis yet: nothing scanned
        ([], [100], 7, [False]),
        # one run up to day 99 scans 70..99: the 30 days to 100 ([70, 99]) yes, to 70 no
        ([99], [100, 70], 30, [True, False]),
        # today's window (end 101 = tomorrow) is judged up to the last scanned day 99
        ([99], [101], 7, [True]),
        # a window wholly after the last scan has nothing scanned
        ([99], [120], 7, [False]),
        # nightly runs 90, 91 (scans 61..90, 62..91) and 130 (101..130): a gap 92..100
        ([90, 91, 130], [92, 95, 102, 131], 7, [True, False, False, True]),
        # short windows inside one scan
        ([90, 91, 130], [110], 7, [True]),
        # one window per end (buckets of the lost sales: months, weeks): run 99 scans 70..99;
        # [71, 100) of 29 days yes, [60, 71) of 11 days no (60..69 not scanned)
        ([99], [100, 71], [29, 11], [True, False]),
    ],
)
def test_scan_covered(scans, ends, window, expected):
    assert kf.scan_covered(scans, 30, ends, window).tolist() == expected
