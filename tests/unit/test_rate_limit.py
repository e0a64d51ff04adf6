"""Token buckets, flood control and the connection limit, on a fake clock."""

import pytest

from chat.rate_limit import ConnectionLimit, FloodControl, TokenBucket


def test_bucket_allows_a_burst_then_refills_at_its_rate():
    """Allow ``burst`` at once, then one per 1/rate seconds."""
    bucket = TokenBucket(3, 2.0, now=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0, 0, 0]
    assert bucket.take(0.0) == pytest.approx(0.5)
    assert bucket.take(0.5) == 0
    assert bucket.take(0.5) == pytest.approx(0.5)


def test_bucket_never_holds_more_than_its_burst():
    """Cap the refill at the burst size after a long pause."""
    bucket = TokenBucket(2, 1.0, now=0.0)
    assert bucket.level(1000.0) == 2
    assert [bucket.take(1000.0) for _ in range(3)][-1] > 0


def test_flood_control_limits_each_connection_separately(clock):
    """Give each open connection its own allowance."""
    flood = FloodControl(burst=2, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    flood.open("b", "10.0.0.1")
    assert [flood.take("a") for _ in range(3)] == [0, 0, 1.0]
    assert flood.take("b") == 0


def test_reconnecting_does_not_refill_the_allowance(clock):
    """Hand a closed connection's used bucket to the next connection from its address."""
    flood = FloodControl(burst=3, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    for _ in range(3):
        assert flood.take("a") == 0
    flood.close("a")
    flood.open("a2", "10.0.0.1")
    assert flood.take("a2") > 0
    flood.open("elsewhere", "10.0.0.2")
    assert flood.take("elsewhere") == 0


def test_parked_allowance_refills_and_is_forgotten(clock):
    """Forget a parked bucket once it would be full, so memory stays bounded."""
    flood = FloodControl(burst=2, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    flood.take("a")
    flood.close("a")
    assert flood._parked
    clock.advance(2.0)
    flood.open("b", "10.0.0.2")
    assert not flood._parked
    flood.open("c", "10.0.0.1")
    assert [flood.take("c") for _ in range(2)] == [0, 0]


def test_a_full_bucket_is_not_parked(clock):
    """Park nothing for a connection that sent nothing."""
    flood = FloodControl(burst=2, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    flood.close("a")
    assert not flood._parked


def test_flood_control_off(clock):
    """Allow everything when the burst is 0."""
    flood = FloodControl(burst=0, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    assert all(flood.take("a") == 0 for _ in range(1000))


def test_connection_limit_per_address(clock):
    """Allow ``per_minute`` new connections per address at once, refilled over a minute."""
    limit = ConnectionLimit(per_minute=3, clock=clock)
    assert [limit.take("10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limit.take("10.0.0.1") == pytest.approx(20.0)
    assert limit.take("10.0.0.2") == 0
    clock.advance(20.0)
    assert limit.take("10.0.0.1") == 0


def test_connection_limit_forgets_quiet_addresses(clock):
    """Drop an address's bucket a minute after its last connection."""
    limit = ConnectionLimit(per_minute=3, clock=clock)
    limit.take("10.0.0.1")
    clock.advance(61.0)
    limit.take("10.0.0.2")
    assert "10.0.0.1" not in limit._buckets


def test_connection_limit_off(clock):
    """Allow every connection when the limit is 0."""
    limit = ConnectionLimit(per_minute=0, clock=clock)
    assert all(limit.take("10.0.0.1") == 0 for _ in range(1000))
