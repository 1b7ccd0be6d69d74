"""engine.policy_curve: service level against stock per ABC class, from replays of a sample."""

import engine
import numpy as np
import pandas as pd
import pytest
from engine.policy_curve import curve_levels, sample_items
from tools import generate_demand


def catalogue(n=12, seed=3):
    products, history = generate_demand(n, n_days=300, seed=seed)
    items = pd.DataFrame(
        {
            "product_id": products["product_id"],
            "lead_time_days": 5.0,
            "unit_cost": products["standard_price"],
            "abc": ["A", "B", "C"] * (n // 3),
        }
    )
    return history, items


def test_sample_items_per_class_seeded():
    items = pd.DataFrame({"product_id": range(1, 11), "abc": [*"AAAAABBBC", None]})
    sample, counts = sample_items(items, sample_per_class=2, seed=0)
    # 5 A, 3 B, 1 C; the product without a class is left out.
    assert counts == {"A": 5, "B": 3, "C": 1}
    assert sample.groupby("abc").size().to_dict() == {"A": 2, "B": 2, "C": 1}
    again, _ = sample_items(items.sample(frac=1, random_state=1), sample_per_class=2, seed=0)
    assert again["product_id"].tolist() == sample["product_id"].tolist()  # input order ignored
    with pytest.raises(ValueError):
        sample_items(items, sample_per_class=0)


def test_curve_levels_add_the_current_ones():
    assert curve_levels({"A": 0.97, "B": 0.9}, levels=(0.9, 0.95)) == [0.9, 0.95, 0.97]
    with pytest.raises(ValueError):
        curve_levels({"A": 1.0}, levels=(0.9,))


def test_curve_is_monotonic_marks_the_current_point_and_equals_plain_replays():
    history, items = catalogue()
    end = pd.Timestamp(history["date"].max())
    start = end - pd.Timedelta(days=59)
    current = {"A": 0.98, "B": 0.95, "C": 0.9}
    levels = (0.8, 0.9, 0.95, 0.99)
    curve, info = engine.policy_curve(
        history, items, current, levels=levels, start=start, method="moving_average"
    )
    assert info["replays"] == 5  # 0.8, 0.9, 0.95, 0.98, 0.99
    for abc, part in curve.groupby("abc"):
        assert part["service_level"].tolist() == [0.8, 0.9, 0.95, 0.98, 0.99]
        # A higher target never serves less nor holds less stock.
        assert np.all(np.diff(part["fill_rate"]) >= -1e-12), part
        assert np.all(np.diff(part["avg_stock_value"]) >= -1e-9), part
        assert part.loc[part["is_current"], "service_level"].tolist() == [current[abc]]
        assert (part["products"] == 4).all() and (part["sampled"] == 4).all()
    # The shared forecasts change nothing: the 95 % point is a plain replay at 95 %.
    plain = engine.simulate_policy(
        history,
        items,
        start=start,
        review_days=1,
        service_levels=dict.fromkeys("ABC", 0.95),
        method="moving_average",
    ).classes.set_index("abc")
    point = curve[curve["service_level"] == 0.95].set_index("abc")
    for abc in "ABC":
        assert point.loc[abc, "fill_rate"] == pytest.approx(plain.loc[abc, "fill_rate"])
        assert point.loc[abc, "avg_stock_value"] == pytest.approx(
            plain.loc[abc, "avg_on_hand_value"]
        )


def test_class_totals_are_scaled_from_the_sample():
    history, items = catalogue()
    end = pd.Timestamp(history["date"].max())
    start = end - pd.Timedelta(days=29)
    curve, _info = engine.policy_curve(
        history,
        items,
        {"A": 0.9, "B": 0.9, "C": 0.9},
        levels=(0.9,),
        start=start,
        sample_per_class=2,
        method="moving_average",
    )
    sample, _counts = sample_items(items, sample_per_class=2)
    plain = engine.simulate_policy(
        history,
        sample,
        start=start,
        review_days=1,
        service_levels=dict.fromkeys("ABC", 0.9),
        method="moving_average",
    ).classes.set_index("abc")
    for row in curve.itertuples():
        # 4 products per class, 2 replayed: the class's stock value is twice the sample's.
        assert (row.products, row.sampled) == (4, 2)
        assert row.avg_stock_value == pytest.approx(2 * plain.loc[row.abc, "avg_on_hand_value"])
        assert row.fill_rate == pytest.approx(plain.loc[row.abc, "fill_rate"])


def test_no_classified_item_gives_an_empty_curve():
    history, items = catalogue()
    curve, info = engine.policy_curve(history, items.assign(abc=None), {"A": 0.9})
    assert curve.empty and info["replays"] == 0
