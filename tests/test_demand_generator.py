"""Tests of tools.demand_generator: determinism and the property of every demand profile."""

import numpy as np
import pandas as pd
import pytest
from tools import (
    CATALOGUE_PROFILE_WEIGHTS,
    PROFILES,
    generate_demand,
    vendor_count,
    vendor_names,
)

END = pd.Timestamp("2026-03-31")


@pytest.fixture(scope="module")
def sample():
    return generate_demand(150, n_days=730, seed=0, end_date=END)


def daily(history, product_id, dates):
    """The product's full daily series (zeros on days without a row)."""
    rows = history[history["product_id"] == product_id].set_index("date")["qty"]
    return rows.reindex(dates, fill_value=0.0)


def all_dates(n_days=730):
    return pd.date_range(end=END, periods=n_days, freq="D")


def ids(products, profile):
    return products.loc[products["profile"] == profile, "product_id"].tolist()


def test_same_seed_same_frames_other_seed_other_frames():
    products_a, history_a = generate_demand(40, seed=7, end_date=END)
    products_b, history_b = generate_demand(40, seed=7, end_date=END)
    pd.testing.assert_frame_equal(products_a, products_b)
    pd.testing.assert_frame_equal(history_a, history_b)
    _products_c, history_c = generate_demand(40, seed=8, end_date=END)
    assert not history_a[["product_id", "date", "qty"]].equals(
        history_c[["product_id", "date", "qty"]]
    )


def test_shapes_columns_and_date_span(sample):
    products, history = sample
    assert list(products["product_id"]) == list(range(1, 151))
    for column in (
        "name",
        "default_code",
        "category",
        "profile",
        "list_price",
        "standard_price",
        "lead_time_days",
        "vendor_index",
        "on_hand",
        "first_sale_date",
    ):
        assert column in products.columns
    assert list(history.columns) == ["product_id", "date", "qty", "amount", "event"]
    # 730 days ending on END: the first possible day is END - 729 days = 2024-04-01.
    assert history["date"].max() == END
    assert history["date"].min() == pd.Timestamp("2024-04-01")
    assert products["default_code"].is_unique
    assert (products["standard_price"] < products["list_price"]).all()
    assert (products["lead_time_days"] > 0).all()
    assert products["vendor_index"].between(0, vendor_count(150) - 1).all()
    assert products["category"].nunique() >= 5


def test_quantities_are_whole_positive_units_and_amounts_follow_prices(sample):
    products, history = sample
    assert (history["qty"] > 0).all()
    assert (history["qty"] == history["qty"].round()).all()
    assert not history.duplicated(["product_id", "date"]).any()
    price = history["product_id"].map(products.set_index("product_id")["list_price"])
    unit = history["amount"] / history["qty"]
    normal = history["event"] != "promo"
    # Outside promotions the unit price is the list price; in promotions 15-30 % off.
    assert np.allclose(unit[normal], price[normal], atol=0.01)
    ratio = unit[~normal] / price[~normal]
    assert ratio.between(0.69, 0.86).all()


def test_every_profile_is_present(sample):
    products, _history = sample
    assert set(products["profile"]) == set(PROFILES)
    small, _ = generate_demand(8, seed=1, end_date=END)
    assert set(small["profile"]) == set(PROFILES)


def test_fast_movers_have_a_weekly_pattern(sample):
    products, history = sample
    dates = all_dates()
    weekend = dates.day_of_week >= 5
    for product_id in ids(products, "fast"):
        series = daily(history, product_id, dates)
        # Weekday factors ~1.2 vs Saturday 0.38 / Sunday 0.11: weekdays sell > 2x the weekend.
        assert series[~weekend].mean() > 2 * series[weekend].mean(), product_id
        assert (series > 0).mean() > 0.7


def test_seasonal_items_have_a_yearly_cycle(sample):
    products, history = sample
    dates = all_dates()
    for product_id in ids(products, "seasonal"):
        monthly = daily(history, product_id, dates).groupby(dates.month).mean()
        # Off-season level is 5-30 % of the peak: the best month sells > 2.5x the worst.
        assert monthly.max() > 2.5 * monthly.min(), product_id


@pytest.mark.parametrize(("profile", "low", "high"), [("growing", 1.5, 10), ("declining", 0, 0.67)])
def test_trend_items_grow_or_decline(sample, profile, low, high):
    products, history = sample
    dates = all_dates()
    for product_id in ids(products, profile):
        series = daily(history, product_id, dates)
        # Level goes 20-40 % -> 100 % (growing) or 100 % -> 15-35 % (declining) over the span.
        ratio = series.iloc[-120:].mean() / series.iloc[:120].mean()
        assert low < ratio < high, (product_id, ratio)


def test_spare_parts_are_intermittent_and_slow_items_rarer(sample):
    products, history = sample
    dates = all_dates()
    for product_id in ids(products, "intermittent"):
        zero_share = (daily(history, product_id, dates) == 0).mean()
        assert 0.3 <= zero_share <= 0.9, (product_id, zero_share)
    for product_id in ids(products, "slow"):
        assert (daily(history, product_id, dates) == 0).mean() > 0.9


def test_new_products_have_30_to_60_days_of_history(sample):
    products, history = sample
    new = products[products["profile"] == "new"]
    assert len(new) >= 5
    for row in new.itertuples():
        sold = history.loc[history["product_id"] == row.product_id, "date"]
        assert sold.min() == row.first_sale_date
        # END - first day + 1 counts the launch day itself.
        assert 30 <= (END - row.first_sale_date).days + 1 <= 60
    old = products[products["profile"] != "new"]
    assert (old["first_sale_date"] < END - pd.Timedelta(days=300)).all()


def test_promotions_lift_sales(sample):
    products, history = sample
    for product_id in ids(products, "promo"):
        rows = history[history["product_id"] == product_id]
        promo = rows.loc[rows["event"] == "promo", "qty"].mean()
        usual = rows.loc[rows["event"] == "", "qty"].mean()
        assert promo > 1.5 * usual, product_id


def test_stockouts_censor_sales_and_stock_status(sample):
    products, history = sample
    censored = products.dropna(subset=["stockout_start"])
    assert len(censored) >= 10
    for row in censored.itertuples():
        sold = history.loc[history["product_id"] == row.product_id, "date"]
        assert not sold.between(row.stockout_start, row.stockout_end).any()
    out = products[products["stock_status"] == "out_of_stock"]
    over = products[products["stock_status"] == "overstock"]
    assert len(out) >= 2 and len(over) >= 2
    assert (out["on_hand"] == 0).all()
    assert (out["stockout_end"] == END).all()
    recent = history[history["date"] > END - pd.Timedelta(days=28)]
    last_28 = recent.groupby("product_id")["qty"].sum() / 28
    for row in over.itertuples():
        # Overstock covers 180-400 days of the last 28 days' demand (floor 50 units).
        cover = row.on_hand / max(last_28.get(row.product_id, 0), 1e-9)
        assert cover > 150 or row.on_hand >= 50
    normal = products[products["stock_status"] == "normal"]
    assert (normal["on_hand"] > 0).all()


def test_planted_spikes_and_drops_stand_out(sample):
    _products, history = sample
    dates = all_dates()
    events = history[history["event"].isin(["spike", "drop"])]
    spikes = events[events["event"] == "spike"]
    drops = events[events["event"] == "drop"]
    assert len(spikes) >= 4 and len(drops) >= 2
    assert (spikes["date"] > END - pd.Timedelta(days=28)).any()
    for row in events.itertuples():
        series = daily(history, row.product_id, dates)
        at = dates.get_loc(row.date)
        # Same weekday, four weeks either side: the usual level of that day.
        same_day = [at + 7 * k for k in (-4, -3, -2, -1, 1, 2, 3, 4) if 0 <= at + 7 * k < 730]
        usual = series.iloc[same_day].median()
        if row.event == "spike":
            assert row.qty > 3 * usual, (row.product_id, row.qty, usual)
        else:
            assert row.qty < 0.3 * usual, (row.product_id, row.qty, usual)


def test_catalogue_mix_is_a_long_tail():
    products, history = generate_demand(
        400, seed=2, end_date=END, profile_weights=CATALOGUE_PROFILE_WEIGHTS
    )
    assert set(products["profile"]) == set(PROFILES)
    # 63 % of 400 = 252 slow items.
    assert (products["profile"] == "slow").sum() == 252
    assert len(history) < 0.4 * 400 * 730


def test_vendor_names_are_unique():
    names = vendor_names(25)
    assert len(set(names)) == 25
    assert vendor_count(10) == 3 and vendor_count(150) == 10 and vendor_count(10000) == 60


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_products": 0}, "n_products"),
        ({"n_products": 5, "n_days": 20}, "n_days"),
        ({"n_products": 5, "profile_weights": {"viral": 1.0}}, "Unknown demand profiles"),
        ({"n_products": 5, "profile_weights": {"fast": 0}}, "positive weight"),
    ],
)
def test_bad_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        generate_demand(**kwargs)
