"""Deterministic, realistic company sales history for demos, tests and benchmarks.

``generate_demand(n_products, n_days=730, seed=0, end_date=None)`` returns a catalogue and its
daily sales history with the patterns a demand planner meets in a real company. The same seed
always gives the same data (numpy ``default_rng``), so tests can assert on it and benchmarks are
repeatable. No Odoo import: the addon's sample-history loader, ``bench/load_company.py`` and the
engine benchmarks all use this one generator as their workload.

Profiles (``products.profile``) and what makes each recognisable:

=================  ==========================================================================
``fast``           high-volume item, 8-80 units a day, strong weekly pattern (busy Monday-Friday,
                   quiet Saturday, almost nothing on Sunday)
``seasonal``       yearly cycle peaking in summer (garden) or winter (heating); off-season
                   demand falls to 5-30 % of the peak
``growing``        level rises linearly from 20-40 % of today's level two years ago
``declining``      level falls linearly to 15-35 % of what it was two years ago
``intermittent``   spare parts: 30-90 % of the days without any sale, 1-10 units when it sells
``slow``           long-tail item selling 1-3 units on 2-8 % of the days
``new``            launched 30-60 days before ``end_date`` (history of 30-60 days, first day
                   included), ramping up over its first two weeks
``promo``          steady seller with 4-7 promotions of 7-14 days (uplift x1.8-x3, price 15-30 %
                   off) followed by a week of post-promotion dip
=================  ==========================================================================

Overlays, recorded so tests and demos can find them:

* **Stock-out censoring** - some non-intermittent items have a window with no sales at all because
  the shelf was empty (``products.stockout_start`` / ``stockout_end``). Items that are out of stock
  today (``stock_status == "out_of_stock"``, ``on_hand == 0``) have their window ending on
  ``end_date``.
* **Planted anomalies** - single abnormal days: a ``spike`` (4-8x the expected quantity) or a
  ``drop`` (5-15 % of it, on a day expected to sell at least 10 units). About 60 % of them fall in
  the last 28 days, so the anomaly screens have something to show. They are in
  ``history.event`` (``"spike"``/``"drop"``), with promotion days marked ``"promo"``.
* **Stock today** - ``on_hand`` covers 15-60 days of current demand for most items; a few are
  ``overstock`` (180-400 days of cover, mostly declining items) or ``out_of_stock``.

Outputs:

``products`` - one row per product, ``product_id`` 1..n: ``name``, ``default_code``, ``category``,
``profile``, ``list_price``, ``standard_price``, ``lead_time_days``, ``vendor_index`` (index in
:func:`vendor_names`), ``on_hand``, ``stock_status`` (``normal``/``out_of_stock``/``overstock``),
``first_sale_date``, ``stockout_start``, ``stockout_end`` (NaT when none).

``history`` - one row per product and day **with a sale** (days without a row sold nothing):
``product_id``, ``date`` (datetime64, midnight), ``qty`` (float, whole units), ``amount`` (revenue
at the day's unit price), ``event`` (categorical: ``""``, ``"promo"``, ``"spike"``, ``"drop"``).

Volume: with the default profile mix (:data:`DEFAULT_PROFILE_WEIGHTS`) about 70 % of product-days
have a sale, ~500 rows per product over two years (150 products: ~75,000 rows; 10,000 products:
~5 million). :data:`CATALOGUE_PROFILE_WEIGHTS`, a long-tail catalogue, gives ~190 rows per product
(10,000 products: ~1.9 million rows). Generation takes 1-3 s for 10,000 products.
"""

import datetime

import numpy as np
import pandas as pd

PROFILES = ("fast", "seasonal", "growing", "declining", "intermittent", "slow", "new", "promo")

#: Default mix: every profile well represented, for demos and tests.
DEFAULT_PROFILE_WEIGHTS = {
    "fast": 0.20,
    "seasonal": 0.14,
    "growing": 0.10,
    "declining": 0.10,
    "intermittent": 0.22,
    "slow": 0.04,
    "new": 0.08,
    "promo": 0.12,
}

#: A long-tail catalogue as in a mid-size distributor: mostly spare parts and slow items
#: (~25 % of product-days with a sale: 10,000 products give ~1.9 million rows in two years).
CATALOGUE_PROFILE_WEIGHTS = {
    "fast": 0.03,
    "seasonal": 0.05,
    "growing": 0.03,
    "declining": 0.04,
    "intermittent": 0.15,
    "slow": 0.63,
    "new": 0.04,
    "promo": 0.03,
}

#: Mean weekday factors (Monday first) of a business-to-business trade counter; mean 1.
WEEKLY_PATTERN = np.array([1.25, 1.15, 1.1, 1.1, 1.3, 0.35, 0.1]) * 7 / 6.35

# Category: (code prefix, list price range, product nouns)
CATEGORIES = {
    "Fasteners": (
        "FST",
        (0.5, 12.0),
        ("Wood Screw", "Hex Bolt", "Wall Plug", "Washer", "Rivet", "Nail Pack", "Cable Tie"),
    ),
    "Safety": (
        "SAF",
        (3.0, 45.0),
        ("Work Gloves", "Safety Glasses", "Ear Plugs", "Dust Mask", "Hi-Vis Vest", "Knee Pads"),
    ),
    "Hand Tools": (
        "HND",
        (6.0, 60.0),
        ("Claw Hammer", "Screwdriver Set", "Pliers", "Tape Measure", "Spirit Level", "Chisel"),
    ),
    "Power Tools": (
        "PWR",
        (60.0, 450.0),
        ("Cordless Drill", "Angle Grinder", "Jigsaw", "Orbital Sander", "Circular Saw"),
    ),
    "Electrical": (
        "ELC",
        (2.0, 90.0),
        ("Cable Reel", "LED Bulb", "Socket Strip", "Wall Switch", "Junction Box", "Fuse"),
    ),
    "Plumbing": (
        "PLB",
        (2.0, 120.0),
        ("Pipe Fitting", "Ball Valve", "Tap Washer", "Siphon", "Flexible Hose", "PTFE Tape"),
    ),
    "Garden": (
        "GRD",
        (4.0, 250.0),
        ("Garden Hose", "Lawn Seed", "Hedge Trimmer", "Planter", "Sprinkler", "Lawn Mower"),
    ),
    "Heating": (
        "HEA",
        (8.0, 400.0),
        ("Radiator Valve", "Oil Heater", "Thermostat", "Wood Pellets", "Fan Heater"),
    ),
    "Spare Parts": (
        "SPR",
        (5.0, 180.0),
        ("Drive Belt", "Carbon Brush", "Bearing", "Gasket Kit", "Pump Seal", "Blade Set", "Filter"),
    ),
}
VARIANTS = ("Classic", "Pro", "Compact", "Plus", "Eco", "Max", "HD", "Lite", "XL", "Mini")

# Which categories each profile draws from (cycled), so names read plausibly.
PROFILE_CATEGORIES = {
    "fast": ("Fasteners", "Safety", "Electrical"),
    "seasonal": ("Garden", "Heating"),
    "growing": ("Power Tools", "Electrical", "Safety"),
    "declining": ("Hand Tools", "Plumbing", "Electrical"),
    "intermittent": ("Spare Parts", "Spare Parts", "Plumbing", "Electrical"),
    "slow": ("Spare Parts", "Hand Tools", "Plumbing", "Power Tools", "Safety"),
    "new": ("Power Tools", "Garden", "Hand Tools"),
    "promo": ("Hand Tools", "Power Tools", "Fasteners"),
}

VENDOR_BASE_NAMES = (
    "Nordic Fixings",
    "Atlas Industrial Supply",
    "Rhine Tools",
    "Iberia Garden Wholesale",
    "Baltic Electrics",
    "Alpine Heating Parts",
    "Delta Plumbing Trade",
    "Oakridge Safety",
    "Meridian Spares",
    "Vulcan Power Tools",
)
# Lead time in days per vendor index (cycled): local wholesalers ship fast, importers slowly.
VENDOR_LEAD_TIMES = (3, 7, 14, 21, 5, 30, 10, 4, 45, 12)


def vendor_names(n_vendors):
    """Names of the ``n_vendors`` sample vendors, indexed by ``products.vendor_index``."""
    names = []
    for index in range(n_vendors):
        base = VENDOR_BASE_NAMES[index % len(VENDOR_BASE_NAMES)]
        series = index // len(VENDOR_BASE_NAMES)
        names.append(base if not series else f"{base} {series + 1}")
    return names


def vendor_count(n_products):
    """Number of vendors for a catalogue of ``n_products`` (3 to 60)."""
    return int(min(60, max(3, n_products // 15)))


def _profile_counts(n_products, weights):
    """Largest-remainder split of ``n_products`` over the profiles, each present when possible."""
    names = [name for name in PROFILES if weights.get(name, 0) > 0]
    unknown = set(weights) - set(PROFILES)
    if unknown:
        raise ValueError(f"Unknown demand profiles: {', '.join(sorted(unknown))}")
    if not names:
        raise ValueError("profile_weights must give a positive weight to at least one profile")
    share = np.array([weights[name] for name in names], dtype=float)
    share /= share.sum()
    exact = share * n_products
    counts = np.floor(exact).astype(int)
    if n_products >= len(names):
        counts = np.maximum(counts, 1)
    while counts.sum() > n_products:
        counts[np.argmax(counts)] -= 1
    remainders = exact - counts
    for index in np.argsort(-remainders, kind="stable")[: n_products - counts.sum()]:
        counts[index] += 1
    return dict(zip(names, counts.tolist()))


def _catalogue(profiles, rng, code_prefix=""):
    """Names, categories, prices, vendors and lead times for products of the given profiles."""
    n_products = len(profiles)
    n_vendors = vendor_count(n_products)
    category_names = list(CATEGORIES)
    seen = dict.fromkeys(category_names, 0)
    rows = []
    for index, profile in enumerate(profiles):
        choices = PROFILE_CATEGORIES[profile]
        category = choices[int(rng.integers(len(choices)))]
        prefix, (low, high), nouns = CATEGORIES[category]
        rank = seen[category]
        seen[category] += 1
        noun = nouns[rank % len(nouns)]
        variant = VARIANTS[(rank // len(nouns)) % len(VARIANTS)]
        series = rank // (len(nouns) * len(VARIANTS))
        name = f"{noun} {variant}" + (f" {series + 1}" if series else "")
        list_price = round(float(np.exp(rng.uniform(np.log(low), np.log(high)))), 2)
        # Vendors specialise: a category's items come mostly from "its" vendors.
        home = category_names.index(category) % n_vendors
        vendor = home if rng.random() < 0.7 else int(rng.integers(n_vendors))
        lead = VENDOR_LEAD_TIMES[vendor % len(VENDOR_LEAD_TIMES)] + int(rng.integers(0, 3))
        rows.append(
            {
                "product_id": index + 1,
                "name": name,
                "default_code": f"{code_prefix}{prefix}-{index + 1:05d}",
                "category": category,
                "profile": profile,
                "list_price": list_price,
                "standard_price": round(list_price * rng.uniform(0.45, 0.75), 2),
                "lead_time_days": lead,
                "vendor_index": vendor,
            }
        )
    return pd.DataFrame(rows)


def _expected_demand(profiles, day_index, weekday, day_of_year, n_days, rng, new_days=(30, 60)):
    """Mean daily demand (P x D) before noise, events and censoring; also the launch offsets."""
    n_products = len(profiles)
    mean = np.zeros((n_products, n_days))
    launch = np.zeros(n_products, dtype=int)  # first possible sale day (index) per product
    t = day_index / max(n_days - 1, 1)  # 0 two years ago .. 1 today
    for p, profile in enumerate(profiles):
        amplitude = rng.uniform(0.7, 1.1)
        weekly = 1 + amplitude * (WEEKLY_PATTERN[weekday] - 1)
        if profile == "fast":
            level = np.exp(rng.uniform(np.log(8), np.log(80)))
            mean[p] = level * weekly
        elif profile == "seasonal":
            level = np.exp(rng.uniform(np.log(3), np.log(20)))
            peak = 190 if rng.random() < 0.55 else 15  # summer (garden) or winter (heating)
            trough = rng.uniform(0.05, 0.3)
            wave = 0.5 * (1 + np.cos(2 * np.pi * (day_of_year - peak) / 365.25))
            mean[p] = level * (trough + (1 - trough) * wave) * weekly
        elif profile == "growing":
            level = np.exp(rng.uniform(np.log(4), np.log(40)))
            start = rng.uniform(0.2, 0.4)
            mean[p] = level * (start + (1 - start) * t) * weekly
        elif profile == "declining":
            level = np.exp(rng.uniform(np.log(4), np.log(40)))
            end = rng.uniform(0.15, 0.35)
            mean[p] = level * (1 - (1 - end) * t) * weekly
        elif profile == "new":
            level = np.exp(rng.uniform(np.log(3), np.log(25)))
            # 30..60 days including the first one (new_days)
            days_on_sale = int(rng.integers(new_days[0], new_days[1] + 1))
            launch[p] = max(n_days - days_on_sale, 0)
            ramp = np.clip((day_index - launch[p] + 1) / 14, 0, 1)
            mean[p] = np.where(day_index >= launch[p], level * ramp * weekly, 0.0)
        elif profile == "promo":
            level = np.exp(rng.uniform(np.log(5), np.log(30)))
            mean[p] = level * weekly
        # "intermittent" and "slow" are drawn directly in _draw_quantities
    return mean, launch


def _draw_quantities(profiles, mean, launch, rng):
    """Whole-unit daily quantities: gamma-Poisson noise around the mean, Bernoulli for spares."""
    n_days = mean.shape[1]
    dispersion = 8.0  # gamma shape: coefficient of variation of the rate ~ 0.35
    rate = mean * rng.gamma(dispersion, 1 / dispersion, size=mean.shape)
    qty = rng.poisson(rate).astype(float)
    for p in np.flatnonzero(np.asarray(profiles) == "intermittent"):
        sell_share = rng.uniform(0.15, 0.6)  # 40-85 % zero days
        sells = rng.random(n_days) < sell_share
        size = 1 + rng.poisson(rng.uniform(0.3, 3.0), n_days)
        qty[p] = np.where(sells, np.minimum(size, 10), 0)
    for p in np.flatnonzero(np.asarray(profiles) == "slow"):
        sells = rng.random(n_days) < rng.uniform(0.02, 0.08)
        qty[p] = np.where(sells, rng.integers(1, 4, n_days), 0)
    new = np.flatnonzero(np.asarray(profiles) == "new")
    qty[new, launch[new]] = np.maximum(qty[new, launch[new]], 1)  # launch day sells
    return qty


def _promotions(profiles, qty, price_factor, event, rng):
    """Promotion windows with uplift, a discount and a post-promotion dip (in place)."""
    n_days = qty.shape[1]
    for p in np.flatnonzero(np.asarray(profiles) == "promo"):
        possible = np.arange(20, max(21, n_days - 45))
        count = min(int(rng.integers(4, 8)), len(possible))
        starts = np.sort(rng.choice(possible, size=count, replace=False))
        last_end = -1
        for start in starts:
            if start <= last_end + 14:
                continue
            length = int(rng.integers(7, 15))
            window = slice(start, start + length)
            uplift = rng.uniform(1.8, 3.0)
            qty[p, window] = np.round(qty[p, window] * uplift + rng.poisson(1, length))
            price_factor[p, window] = 1 - rng.uniform(0.15, 0.3)
            event[p, window] = np.where(qty[p, window] > 0, 1, 0)
            dip = slice(start + length, start + length + 7)
            qty[p, dip] = np.round(qty[p, dip] * 0.7)
            last_end = start + length + 7


def _stockouts(profiles, qty, event, n_days, rng):
    """Past stock-out windows and today's out-of-stock items; returns (start, end, out_today)."""
    n_products = len(profiles)
    start = np.full(n_products, -1)
    end = np.full(n_products, -1)
    eligible = [
        p
        for p in rng.permutation(n_products)
        if profiles[p] in ("fast", "growing", "declining", "promo", "seasonal")
    ]
    n_out_today = max(2, round(0.05 * n_products)) if n_products >= 20 else 1
    out_today = set(eligible[:n_out_today]) if eligible else set()
    for rank, p in enumerate(eligible[: max(n_out_today, round(0.35 * len(eligible)))]):
        if p in out_today:
            length = int(rng.integers(3, 11))
            start[p], end[p] = n_days - length, n_days - 1
        elif rank % 2 == 0 and n_days > 160:
            length = int(rng.integers(5, 16))
            start[p] = int(rng.integers(60, n_days - 90))
            end[p] = start[p] + length - 1
        else:
            continue
        qty[p, start[p] : end[p] + 1] = 0
        event[p, start[p] : end[p] + 1] = 0
    return start, end, out_today


def _anomalies(profiles, mean, qty, event, stockout_start, stockout_end, weekday, rng):
    """Plant single abnormal days (spikes and drops) in place; 60 % in the last 28 days."""
    n_products, n_days = qty.shape
    eligible = [
        p
        for p in rng.permutation(n_products)
        if profiles[p] in ("fast", "growing", "declining", "promo") and stockout_start[p] < 0
    ]
    chosen = eligible[: max(6, round(0.12 * n_products))]
    for rank, p in enumerate(chosen):
        kind = "spike" if rank % 3 != 2 else "drop"  # two spikes for every drop
        recent = rank % 5 < 3
        days = np.arange(n_days - 28, n_days - 1) if recent else np.arange(60, n_days - 60)
        # Working days outside promotions, busy enough for the event to be unmistakable.
        usual = (weekday[days] < 5) & (event[p, days] == 0)
        candidates = days[usual & (mean[p, days] >= 10)]
        if kind == "spike" or not len(candidates):
            kind, candidates = "spike", days[usual & (mean[p, days] >= 2)]
        if not len(candidates):
            continue
        day = int(rng.choice(candidates))
        if kind == "spike":
            qty[p, day] = np.ceil(mean[p, day] * rng.uniform(4, 8)) + 5
            event[p, day] = 2
        else:
            qty[p, day] = max(1.0, np.floor(mean[p, day] * rng.uniform(0.05, 0.15)))
            event[p, day] = 3


def _stock_today(profiles, qty, out_today, rng):
    """On-hand quantity and status per product from recent demand."""
    n_products = len(profiles)
    recent = qty[:, -28:].mean(axis=1)
    cover = rng.uniform(15, 60, n_products)
    on_hand = np.ceil(recent * cover)
    status = np.array(["normal"] * n_products, dtype=object)
    ranked = [p for p in rng.permutation(n_products) if p not in out_today]
    # Overstock: mostly declining items (bought for yesterday's demand), then any other.
    ranked.sort(key=lambda p: profiles[p] != "declining")
    n_over = max(2, round(0.05 * n_products)) if n_products >= 20 else 1
    for p in ranked[:n_over]:
        on_hand[p] = max(50.0, np.ceil(max(recent[p], 0.2) * rng.uniform(180, 400)))
        status[p] = "overstock"
    for p in out_today:
        on_hand[p] = 0.0
        status[p] = "out_of_stock"
    normal_spares = np.isin(profiles, ("intermittent", "slow")) & (status == "normal")
    on_hand[normal_spares] = rng.integers(1, 12, normal_spares.sum())
    return on_hand, status


def _holiday_effects(qty, holiday_mask, rng):
    """Apply each product's holiday effect to the quantities of the holidays (in place).

    Per product: closed (45 %, nothing sells), reduced (35 %, each unit sells with probability
    0.2-0.6), boosted (10 %, x1.5-2.5) or normal (10 %). Returns the factors (P,)."""
    n_products = qty.shape[0]
    draw = rng.random(n_products)
    factor = np.where(
        draw < 0.45,
        0.0,
        np.where(
            draw < 0.8,
            rng.uniform(0.2, 0.6, n_products),
            np.where(draw < 0.9, rng.uniform(1.5, 2.5, n_products), 1.0),
        ),
    )
    days = np.flatnonzero(holiday_mask)
    block = qty[:, days]
    ratio = np.repeat(factor[:, None], len(days), axis=1)
    thinned = rng.binomial(block.astype(np.int64), np.minimum(ratio, 1.0)).astype(float)
    extra = rng.poisson(block * np.maximum(ratio - 1.0, 0.0)).astype(float)
    qty[:, days] = thinned + extra
    return factor


def _extra_stockouts(qty, event, count, rng):
    """``count`` more stock-out windows of 3-21 days per product that sells (in place);
    returns their (P, D) mask."""
    n_days = qty.shape[1]
    mask = np.zeros(qty.shape, dtype=bool)
    sells = np.flatnonzero((qty > 0).any(axis=1))
    first = np.where(qty > 0, np.arange(n_days), n_days).min(axis=1)
    for p in sells:
        for _ in range(count):
            length = int(rng.integers(3, 22))
            low = int(first[p]) + 14
            if low >= n_days:
                break
            start = int(rng.integers(low, n_days))
            mask[p, start : start + length] = True
    qty[mask] = 0
    event[mask] = 0
    return mask


def generate_demand(
    n_products,
    n_days=730,
    seed=0,
    end_date=None,
    profile_weights=None,
    code_prefix="",
    *,
    new_days=(30, 60),
    anomalies=True,
    extra_stockouts=0,
    holidays=None,
    with_truth=False,
):
    """Generate a deterministic catalogue and its daily sales history (see the module docstring).

    :param int n_products: number of products (>= 1); every profile is present from 8 products.
    :param int n_days: days of history ending on ``end_date`` (>= 60).
    :param int seed: random seed; the same arguments always give the same frames.
    :param end_date: last day of history (``date``/``datetime``/string); default today.
    :param dict profile_weights: share of each profile (default :data:`DEFAULT_PROFILE_WEIGHTS`).
    :param str code_prefix: put before every ``default_code`` (``"FST-00001"`` by default), to
        keep two generated catalogues apart in one database.

    Options for benchmarks (their defaults give the frames above, unchanged):

    :param tuple new_days: (shortest, longest) days of history of the ``new`` products.
    :param bool anomalies: plant the single abnormal days (``False``: none).
    :param int extra_stockouts: more stock-out windows (3-21 days, anywhere after the first two
        weeks of sales) per product that sells, with their own random stream.
    :param holidays: dates of public holidays / closing days; each product gets an effect on
        them (closed 45 %, reduced to 20-60 % 35 %, boosted x1.5-2.5 10 %, none 10 %), with
        their own random stream. ``products`` then has ``holiday_factor``.
    :param bool with_truth: also return ``truth``: one row per product and day, ``product_id,
        date, demand`` (what customers wanted: the quantity sold, or what would have sold on a
        stock-out day), ``expected`` (the mean before noise and events), ``unavailable`` (the
        stock-out days: no stock, no sale), ``holiday``.
    :return: ``(products, history)`` DataFrames, or ``(products, history, truth)``.
    :raises ValueError: on a non-positive product count, too short a history or unknown profiles.
    """
    if int(n_products) < 1:
        raise ValueError("n_products must be at least 1")
    if int(n_days) < 60:
        raise ValueError("n_days must be at least 60 (new products need 30-60 days of history)")
    n_products, n_days = int(n_products), int(n_days)
    end = pd.Timestamp(end_date if end_date is not None else datetime.date.today()).normalize()
    dates = pd.date_range(end=end, periods=n_days, freq="D")
    day_index = np.arange(n_days)
    weekday = dates.day_of_week.to_numpy()
    day_of_year = dates.day_of_year.to_numpy()
    rng = np.random.default_rng(seed)

    counts = _profile_counts(n_products, profile_weights or DEFAULT_PROFILE_WEIGHTS)
    profiles = np.repeat(list(counts), list(counts.values()))
    profiles = profiles[rng.permutation(n_products)].tolist()
    products = _catalogue(profiles, rng, code_prefix)

    mean, launch = _expected_demand(
        profiles, day_index, weekday, day_of_year, n_days, rng, tuple(new_days)
    )
    qty = _draw_quantities(profiles, mean, launch, rng)
    holiday_mask = np.zeros(n_days, dtype=bool)
    if holidays is not None:
        holiday_days = pd.DatetimeIndex(pd.to_datetime(list(holidays))).normalize()
        holiday_mask = dates.isin(holiday_days)
        products["holiday_factor"] = _holiday_effects(
            qty, holiday_mask, np.random.default_rng([seed, 2])
        )
    price_factor = np.ones_like(qty)
    event = np.zeros(qty.shape, dtype=np.int8)  # 0 none, 1 promo, 2 spike, 3 drop
    _promotions(profiles, qty, price_factor, event, rng)
    uncensored = qty.copy()
    start, end_idx, out_today = _stockouts(profiles, qty, event, n_days, rng)
    if anomalies:
        _anomalies(profiles, mean, qty, event, start, end_idx, weekday, rng)
    on_hand, status = _stock_today(profiles, qty, out_today, rng)
    unavailable = (day_index[None, :] >= start[:, None]) & (day_index[None, :] <= end_idx[:, None])
    if extra_stockouts:
        demand_before = qty.copy()
        extra = _extra_stockouts(qty, event, int(extra_stockouts), np.random.default_rng([seed, 1]))
        uncensored = np.where(extra, demand_before, uncensored)
        unavailable |= extra

    rows, cols = np.nonzero(qty > 0)
    list_price = products["list_price"].to_numpy()
    unit_price = np.round(list_price[rows] * price_factor[rows, cols], 2)
    history = pd.DataFrame(
        {
            "product_id": rows + 1,
            "date": dates[cols],
            "qty": qty[rows, cols],
            "amount": np.round(qty[rows, cols] * unit_price, 2),
            "event": pd.Categorical.from_codes(
                event[rows, cols], categories=["", "promo", "spike", "drop"]
            ),
        }
    )

    has_sale = qty > 0
    first = np.where(has_sale.any(axis=1), has_sale.argmax(axis=1), -1)
    products["on_hand"] = on_hand
    products["stock_status"] = status
    products["first_sale_date"] = pd.Series(
        [dates[i] if i >= 0 else pd.NaT for i in first], dtype="datetime64[ns]"
    )
    products["stockout_start"] = pd.Series(
        [dates[i] if i >= 0 else pd.NaT for i in start], dtype="datetime64[ns]"
    )
    products["stockout_end"] = pd.Series(
        [dates[i] if i >= 0 else pd.NaT for i in end_idx], dtype="datetime64[ns]"
    )
    if not with_truth:
        return products, history
    demand = np.where(unavailable, uncensored, qty)
    truth = pd.DataFrame(
        {
            "product_id": np.repeat(np.arange(1, n_products + 1), n_days),
            "date": np.tile(dates.to_numpy(), n_products),
            "demand": demand.ravel(),
            "expected": mean.ravel(),
            "unavailable": unavailable.ravel(),
            "holiday": np.tile(holiday_mask, n_products),
        }
    )
    return products, history, truth


#: Series shapes of :func:`generate_shapes` (property tests of the forecast bounds).
SHAPES = (
    "smooth",
    "seasonal",
    "trending",
    "intermittent",
    "lumpy",
    "spike",
    "new",
    "constant",
    "zeros",
    "monthly",
)


def generate_shapes(n_series, n_days=730, seed=0):
    """Random daily demand series of every shape in :data:`SHAPES`, in turn, as one matrix.

    Levels are drawn log-uniformly from 0.05 to 500 units a day. ``smooth``: Poisson around the
    level; ``seasonal``: yearly and weekly waves; ``trending``: a linear trend from -100 % to
    +300 % over the series; ``intermittent``: sells on 2-30 % of the days; ``lumpy``: rare
    orders (0.5-10 % of the days) of log-normal size; ``spike``: a small demand and one order
    50-2,000 times the level; ``new``: sells only in its last 1-120 days; ``constant``: the same
    quantity every day; ``zeros``: never sells; ``monthly``: 1-20 units once every 25-35 days.

    :return: ``(shapes, qty)``: object array (n_series,) of shape names and a float array
        (n_series, n_days) of whole units.
    """
    rng = np.random.default_rng(seed)
    shapes = np.array([SHAPES[i % len(SHAPES)] for i in range(n_series)], dtype=object)
    t = np.arange(n_days)[None, :]
    level = np.exp(rng.uniform(np.log(0.05), np.log(500.0), (n_series, 1)))
    phase = rng.uniform(0, 2 * np.pi, (n_series, 1))
    qty = np.zeros((n_series, n_days))

    def count(name):
        return int((shapes == name).sum())

    def poisson(mean, rows):
        return rng.poisson(np.broadcast_to(np.maximum(mean, 0.0), (rows, n_days))).astype(float)

    smooth = shapes == "smooth"
    qty[smooth] = poisson(level[smooth], count("smooth"))
    seasonal = shapes == "seasonal"
    wave = (1 + 0.8 * np.sin(2 * np.pi * t / 365 + phase[seasonal])) * (
        1 + 0.5 * np.sin(2 * np.pi * t / 7)
    )
    qty[seasonal] = poisson(level[seasonal] * wave, count("seasonal"))
    trending = shapes == "trending"
    slope = rng.uniform(-1.0, 3.0, (count("trending"), 1))
    qty[trending] = poisson(
        level[trending] * np.clip(1 + slope * t / n_days, 0, None), count("trending")
    )
    intermittent = shapes == "intermittent"
    share = rng.uniform(0.02, 0.3, (count("intermittent"), 1))
    sells = rng.random((count("intermittent"), n_days)) < share
    qty[intermittent] = sells * poisson(level[intermittent], count("intermittent"))
    lumpy = shapes == "lumpy"
    share = rng.uniform(0.005, 0.1, (count("lumpy"), 1))
    orders = rng.random((count("lumpy"), n_days)) < share
    qty[lumpy] = orders * np.ceil(rng.lognormal(np.log(level[lumpy]), 1.5, orders.shape))
    spike = shapes == "spike"
    small = np.minimum(level[spike], 5.0) * rng.uniform(0, 1, (count("spike"), 1))
    qty[spike] = poisson(small, count("spike"))
    qty[np.flatnonzero(spike), rng.integers(0, n_days, count("spike"))] += np.round(
        level[spike, 0] * rng.uniform(50, 2000, count("spike"))
    )
    new = shapes == "new"
    launch = n_days - rng.integers(1, min(121, n_days + 1), (count("new"), 1))
    qty[new] = np.where(t >= launch, poisson(level[new], count("new")), 0.0)
    constant = shapes == "constant"
    qty[constant] = np.maximum(np.round(level[constant]), 1.0) + 0.0 * t
    monthly = shapes == "monthly"
    gap = rng.integers(25, 36, (count("monthly"), 1))
    first = rng.integers(0, 30, (count("monthly"), 1))
    on_day = (t >= first) & ((t - first) % gap == 0)
    qty[monthly] = on_day * rng.integers(1, 21, (count("monthly"), 1))
    return shapes, qty
