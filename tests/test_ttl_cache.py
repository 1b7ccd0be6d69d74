"""The pure TTL cache of the KPI service (tools/ttl_cache.py), without Odoo."""

import threading

import pytest
from tools.ttl_cache import TTLCache


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now=1000.0):
        self.now = now

    def __call__(self):
        return self.now


def counting(value):
    """A compute function that returns ``value`` and counts its calls."""
    calls = []

    def compute():
        calls.append(1)
        return value

    compute.calls = calls
    return compute


def test_entry_served_until_ttl_then_recomputed():
    clock = FakeClock()
    cache = TTLCache(ttl=120, max_entries=10, clock=clock)
    compute = counting("figures")
    assert cache.get_or_compute(("db", 1), compute) == "figures"
    clock.now += 119.9  # still younger than 120 s: served, not computed again
    assert cache.get_or_compute(("db", 1), compute) == "figures"
    assert len(compute.calls) == 1
    clock.now += 0.1  # 120 s old: expired
    assert cache.get_or_compute(("db", 1), compute) == "figures"
    assert len(compute.calls) == 2


def test_clock_going_back_recomputes():
    clock = FakeClock()
    cache = TTLCache(ttl=120, max_entries=10, clock=clock)
    compute = counting(1)
    cache.get_or_compute("k", compute)
    clock.now -= 5  # an entry "from the future" is not trusted
    cache.get_or_compute("k", compute)
    assert len(compute.calls) == 2


def test_keys_are_independent():
    cache = TTLCache(ttl=60, max_entries=10, clock=FakeClock())
    assert cache.get_or_compute(("db", 1, "a"), lambda: 1) == 1
    assert cache.get_or_compute(("db", 2, "a"), lambda: 2) == 2
    assert cache.get_or_compute(("db", 1, "a"), lambda: 3) == 1


def test_oldest_quarter_dropped_over_max_entries():
    clock = FakeClock()
    cache = TTLCache(ttl=1000, max_entries=8, clock=clock)
    for index in range(8):
        clock.now += 1
        cache.put(index, index)
    assert len(cache) == 8
    clock.now += 1
    cache.put(8, 8)  # 9 entries > 8: the oldest 9 // 4 = 2 (keys 0 and 1) go
    assert len(cache) == 7
    recomputed = counting("new")
    assert cache.get_or_compute(0, recomputed) == "new"
    assert cache.get_or_compute(2, recomputed) == 2
    assert len(recomputed.calls) == 1


def test_discard_by_predicate():
    cache = TTLCache(ttl=60, max_entries=10, clock=FakeClock())
    for key in (("db", 1, "x"), ("db", 2, "x"), ("other", 1, "x")):
        cache.put(key, key)
    assert cache.discard(lambda key: key[0] == "db" and key[1] in {1}) == 1
    assert len(cache) == 2
    assert cache.discard(lambda key: key[0] == "db") == 1
    assert len(cache) == 1
    cache.clear()
    assert len(cache) == 0


@pytest.mark.parametrize("ttl, max_entries", [(0, 10), (-1, 10), (10, 0)])
def test_bad_arguments(ttl, max_entries):
    with pytest.raises(ValueError):
        TTLCache(ttl=ttl, max_entries=max_entries)


def test_threads_share_entries():
    cache = TTLCache(ttl=60, max_entries=1000)
    errors = []

    def worker(offset):
        try:
            for index in range(200):
                key = (offset + index) % 50
                assert cache.get_or_compute(key, lambda key=key: key * 2) == key * 2
        except AssertionError as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert len(cache) == 50
