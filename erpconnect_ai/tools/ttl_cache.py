"""A small thread-safe cache whose entries expire after a fixed time (pure Python, no Odoo).

The KPI service (``erpconnect.kpi.cache``) keeps one per worker process: computed figures under
tuple keys, each served while younger than ``ttl`` seconds, the oldest quarter dropped when the
cache holds more than ``max_entries``.
"""

import threading
import time


class TTLCache:
    """``{key: value}`` whose entries live ``ttl`` seconds (by ``clock``, monotonic by default).

    ``get_or_compute(key, compute)`` returns the live entry of ``key`` or stores ``compute()``;
    ``discard(predicate)`` drops the entries whose key satisfies ``predicate``. Values are shared
    between threads as they are: callers must not modify what they get back.
    """

    def __init__(self, ttl, max_entries, clock=time.monotonic):
        if ttl <= 0 or max_entries < 1:
            raise ValueError("ttl must be positive and max_entries at least 1")
        self.ttl = float(ttl)
        self.max_entries = int(max_entries)
        self._clock = clock
        self._entries = {}  # key -> (time stored, value)
        self._lock = threading.Lock()

    def __len__(self):
        with self._lock:
            return len(self._entries)

    def get_or_compute(self, key, compute):
        """The value stored under ``key`` if younger than ``ttl``, else ``compute()`` stored.

        ``compute`` runs outside the lock: two threads missing the same key both compute it, and
        the last one stored wins (the figures are the same).
        """
        now = self._clock()
        with self._lock:
            hit = self._entries.get(key)
        if hit is not None and 0 <= now - hit[0] < self.ttl:
            return hit[1]
        value = compute()
        self.put(key, value, now)
        return value

    def put(self, key, value, now=None):
        """Store ``value`` under ``key`` (stored at ``now``, default the clock's time)."""
        now = self._clock() if now is None else now
        with self._lock:
            self._entries[key] = (now, value)
            if len(self._entries) > self.max_entries:
                oldest = sorted(self._entries, key=lambda k: self._entries[k][0])
                for old in oldest[: len(self._entries) // 4]:
                    del self._entries[old]

    def discard(self, predicate):
        """Drop every entry whose key satisfies ``predicate(key)``; returns how many."""
        with self._lock:
            gone = [key for key in self._entries if predicate(key)]
            for key in gone:
                del self._entries[key]
        return len(gone)

    def clear(self):
        """Drop every entry."""
        with self._lock:
            self._entries.clear()
