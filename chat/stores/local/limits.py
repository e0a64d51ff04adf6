"""Flood, connection and creation limits in this process: token buckets keyed by connection, address or person.

The twin of chat/stores/redis/limits.py, with an injectable clock, so they are tested
without sockets or sleeps. A limit whose burst is 0 is off; rates are positive (the
settings check it). All methods are safe to call from several threads.
"""

import threading
import time
from collections import deque

from .. import base


class TokenBucket:
    """Allow bursts of ``burst`` events, refilled at ``rate`` events a second."""

    __slots__ = ("burst", "rate", "tokens", "stamp")

    def __init__(self, burst: int, rate: float, now: float) -> None:
        self.burst = burst
        self.rate = rate
        self.tokens = float(burst)
        self.stamp = now

    def level(self, now: float) -> float:
        """Return the tokens available at ``now``."""
        return min(self.burst, self.tokens + (now - self.stamp) * self.rate)

    def take(self, now: float) -> float:
        """Take one token; return 0 on success, else the seconds until one is free."""
        self.tokens = self.level(now)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate

    def full_in(self, now: float) -> float:
        """Return the seconds until the bucket is full again."""
        return (self.burst - self.level(now)) / self.rate


class LocalRateLimit(base.RateLimit):
    """Count events per key in this process: a burst of ``burst``, refilled over ``period`` seconds."""

    def __init__(self, burst: int, period: float, clock: base.Clock = time.monotonic) -> None:
        self.burst = burst
        self.period = period
        self._clock = clock
        self._buckets: dict[str, TokenBucket] = {}
        self._expiry: deque[tuple[float, str]] = deque()  # (when the bucket is full again at the latest, key)
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        if self.burst <= 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._forget_full(now)
            bucket = self._buckets.get(key)
            if bucket is None:
                bucket = self._buckets[key] = TokenBucket(self.burst, self.burst / self.period, now)
            wait = bucket.take(now)
            if not wait:
                self._expiry.append((now + self.period, key))
            return wait

    def _forget_full(self, now: float) -> None:
        # A bucket untouched for a period is full: dropping it is the same as keeping it.
        while self._expiry and self._expiry[0][0] <= now:
            _, key = self._expiry.popleft()
            bucket = self._buckets.get(key)
            if bucket is not None and bucket.full_in(now) <= 0:
                del self._buckets[key]


class LocalConnectionLimit(LocalRateLimit, base.ConnectionLimit):
    """Limit new connections per client address: a burst of ``per_minute``, refilled over a minute."""

    def __init__(self, per_minute: int, clock: base.Clock = time.monotonic) -> None:
        super().__init__(per_minute, 60.0, clock)

    @property
    def per_minute(self) -> int:
        """Return the connections an address may open in a minute."""
        return self.burst


class LocalFloodControl(base.FloodControl):
    """Give each connection of this process an allowance of events that reconnecting does not refill."""

    def __init__(self, burst: int, rate: float, clock: base.Clock = time.monotonic) -> None:
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._open: dict[str, tuple[str | None, TokenBucket]] = {}  # connection -> (address, bucket)
        self._parked: dict[str | None, list[TokenBucket]] = {}  # address -> [bucket, ...]
        self._parked_order: deque[tuple[float, str | None, TokenBucket]] = (
            deque()
        )  # (when it is full at the latest, address, bucket)
        self._lock = threading.Lock()

    def open(self, connection: str, address: str | None) -> None:
        if not self.enabled:
            return
        with self._lock:
            now = self._clock()
            self._forget_full(now)
            parked = self._parked.get(address)
            if parked:
                bucket = min(parked, key=lambda b: b.level(now))
                parked.remove(bucket)
                if not parked:
                    del self._parked[address]
            else:
                bucket = TokenBucket(self.burst, self.rate, now)
            self._open[connection] = (address, bucket)

    def take(self, connection: str) -> float:
        if not self.enabled:
            return 0.0
        with self._lock:
            entry = self._open.get(connection)
            if entry is None:
                return 0.0
            return entry[1].take(self._clock())

    def close(self, connection: str) -> None:
        if not self.enabled:
            return
        with self._lock:
            entry = self._open.pop(connection, None)
            if entry is None:
                return
            now = self._clock()
            address, bucket = entry
            full_in = bucket.full_in(now)
            if full_in > 0:
                self._parked.setdefault(address, []).append(bucket)
                self._parked_order.append((now + self.burst / self.rate, address, bucket))
            self._forget_full(now)

    def _forget_full(self, now: float) -> None:
        while self._parked_order and self._parked_order[0][0] <= now:
            _, address, bucket = self._parked_order.popleft()
            parked = self._parked.get(address)
            if parked and bucket in parked:
                parked.remove(bucket)
                if not parked:
                    del self._parked[address]
