"""Token buckets, flood control and the connection limit, on a fake clock.

The behaviour tests run twice, through make_flood and make_limit (tests/unit/conftest.py):
on the in-process classes, and on their Redis twins in chat/stores/redis/limits.py, which
must behave the same, and for every process at once.
"""

import pytest

from chat.stores.local.limits import LocalConnectionLimit, LocalFloodControl, TokenBucket
from chat.stores.redis.limits import RedisConnectionLimit, RedisFloodControl


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


def test_flood_allows_a_burst_then_refills_at_its_rate(make_flood, clock):
    """Allow ``burst`` messages at once, then one per 1/rate seconds, never more than the burst after a pause."""
    flood = make_flood(burst=3, rate=2.0)
    flood.open("a", "10.0.0.1")
    assert [flood.take("a") for _ in range(3)] == [0, 0, 0]
    assert flood.take("a") == pytest.approx(0.5)
    clock.advance(0.5)
    assert flood.take("a") == 0
    assert flood.take("a") == pytest.approx(0.5)
    clock.advance(1000.0)
    assert [flood.take("a") for _ in range(4)][-1] == pytest.approx(0.5)


def test_flood_control_limits_each_connection_separately(make_flood):
    """Give each open connection its own allowance."""
    flood = make_flood(burst=2, rate=1.0)
    flood.open("a", "10.0.0.1")
    flood.open("b", "10.0.0.1")
    assert [flood.take("a") for _ in range(3)] == [0, 0, pytest.approx(1.0)]
    assert flood.take("b") == 0


def test_reconnecting_does_not_refill_the_allowance(make_flood):
    """Hand a closed connection's used bucket to the next connection from its address."""
    flood = make_flood(burst=3, rate=1.0)
    flood.open("a", "10.0.0.1")
    for _ in range(3):
        assert flood.take("a") == 0
    flood.close("a")
    flood.open("a2", "10.0.0.1")
    assert flood.take("a2") > 0
    flood.open("elsewhere", "10.0.0.2")
    assert flood.take("elsewhere") == 0


def test_the_next_connection_takes_the_most_used_parked_bucket(make_flood):
    """Hand over the emptiest of the address's parked buckets first, then the next one."""
    flood = make_flood(burst=3, rate=1.0)
    flood.open("light", "10.0.0.1")
    flood.open("heavy", "10.0.0.1")
    flood.take("light")
    for _ in range(3):
        flood.take("heavy")
    flood.close("light")
    flood.close("heavy")
    flood.open("next", "10.0.0.1")
    assert flood.take("next") > 0
    flood.open("after", "10.0.0.1")
    assert [flood.take("after") for _ in range(3)] == [0, 0, pytest.approx(1.0)]


def test_parked_allowance_refills(make_flood, clock):
    """Give back a parked bucket as full once it has had time to refill."""
    flood = make_flood(burst=2, rate=1.0)
    flood.open("a", "10.0.0.1")
    flood.take("a")
    flood.take("a")
    flood.close("a")
    clock.advance(2.0)
    flood.open("c", "10.0.0.1")
    assert [flood.take("c") for _ in range(3)] == [0, 0, pytest.approx(1.0)]


def test_a_closed_connection_is_not_counted(make_flood):
    """Count nothing for a connection that is closed, or never opened."""
    flood = make_flood(burst=1, rate=1.0)
    flood.open("a", "10.0.0.1")
    flood.close("a")
    assert flood.take("a") == 0 and flood.take("a") == 0
    assert flood.take("never") == 0 and flood.take("never") == 0


def test_flood_control_off(make_flood):
    """Allow everything when the burst is 0."""
    flood = make_flood(burst=0, rate=1.0)
    flood.open("a", "10.0.0.1")
    assert all(flood.take("a") == 0 for _ in range(1000))


def test_connection_limit_per_address(make_limit, clock):
    """Allow ``per_minute`` new connections per address at once, refilled over a minute."""
    limit = make_limit(per_minute=3)
    assert [limit.take("10.0.0.1") for _ in range(3)] == [0, 0, 0]
    assert limit.take("10.0.0.1") == pytest.approx(20.0)
    assert limit.take("10.0.0.2") == 0
    clock.advance(20.0)
    assert limit.take("10.0.0.1") == 0


def test_connection_limit_off(make_limit):
    """Allow every connection when the limit is 0."""
    limit = make_limit(per_minute=0)
    assert all(limit.take("10.0.0.1") == 0 for _ in range(1000))


@pytest.mark.parametrize("limit", ["rooms_by_person", "rooms_by_address", "dms_by_address"])
def test_creation_limits_count_per_key_over_an_hour_for_every_process(live_stores, clock, limit):
    """Allow a burst per key, refilled over an hour, counted once for all processes (one more with Redis)."""
    settings = {"ROOMS_CREATED_PER_PERSON": 2, "ROOMS_CREATED_PER_ADDRESS": 2, "DMS_OPENED_PER_ADDRESS": 2}
    here, there = (getattr(live_stores(**settings), limit) for _ in range(2))
    shared = there if hasattr(here, "_take") else here  # in-process: each process counts its own
    assert [here.take("k"), shared.take("k")] == [0, 0]
    assert here.take("k") == pytest.approx(1800.0)
    assert here.take("other") == 0
    clock.advance(1800.0)
    assert shared.take("k") == 0


def test_creation_limits_off(live_stores):
    """Count nothing when a creation limit is 0."""
    stores = live_stores(ROOMS_CREATED_PER_PERSON=0, ROOMS_CREATED_PER_ADDRESS=0, DMS_OPENED_PER_ADDRESS=0)
    for limit in (stores.rooms_by_person, stores.rooms_by_address, stores.dms_by_address):
        assert all(limit.take("k") == 0 for _ in range(100))


# --- Several processes: with Redis, one allowance and one limit for all of them ----------


def test_connection_limit_holds_across_processes(redis_clients, clock):
    """Count an address's connections on every process against one limit."""
    first, second = (RedisConnectionLimit(redis_clients(), 3, clock=clock) for _ in range(2))
    assert [first.take("10.0.0.1"), second.take("10.0.0.1"), first.take("10.0.0.1")] == [0, 0, 0]
    assert second.take("10.0.0.1") == pytest.approx(20.0)
    assert first.take("10.0.0.1") == pytest.approx(20.0)


def test_reconnecting_to_another_process_does_not_refill_the_allowance(redis_clients):
    """Hand a used bucket closed on one process to the next connection from its address on another."""
    first, second = (RedisFloodControl(redis_clients(), "flood", 2, 1.0) for _ in range(2))
    first.open("a", "10.0.0.1")
    assert [first.take("a"), first.take("a")] == [0, 0]
    first.close("a")
    second.open("b", "10.0.0.1")
    assert second.take("b") > 0


def test_allowances_of_one_name_are_their_own(redis_clients, clock):
    """Keep the typing allowance apart from the message allowance of the same connection."""
    client = redis_clients()
    flood = RedisFloodControl(client, "flood", 1, 1.0, clock=clock)
    typing = RedisFloodControl(client, "typing-limit", 1, 1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    typing.open("a", "10.0.0.1")
    assert flood.take("a") == 0 and flood.take("a") > 0
    assert typing.take("a") == 0


# --- Memory stays bounded: buckets are forgotten once full -------------------------------


def test_local_buckets_are_forgotten_once_full(clock):
    """Forget parked buckets and quiet addresses once they would be full again."""
    flood = LocalFloodControl(burst=2, rate=1.0, clock=clock)
    flood.open("a", "10.0.0.1")
    flood.take("a")
    flood.close("a")
    flood.open("full", "10.0.0.1")
    flood.close("full")
    assert len(flood._parked["10.0.0.1"]) == 1  # a full bucket is not parked
    limit = LocalConnectionLimit(per_minute=3, clock=clock)
    limit.take("10.0.0.1")
    clock.advance(61.0)
    flood.open("b", "10.0.0.2")
    limit.take("10.0.0.2")
    assert not flood._parked and "10.0.0.1" not in limit._buckets


def test_redis_keys_expire_once_full(redis_db, clock):
    """Give every Redis key of the limits an expiry just after its bucket is full, and park no full bucket."""
    flood = RedisFloodControl(redis_db, "flood", 4, 2.0, clock=clock)
    limit = RedisConnectionLimit(redis_db, 60, clock=clock)
    flood.open("a", "10.0.0.1")
    flood.take("a")
    assert 0 < redis_db.pttl("chat:flood:bucket:a") <= 1500
    flood.close("a")
    assert not redis_db.exists("chat:flood:bucket:a")
    assert 0 < redis_db.pttl("chat:flood:parked:10.0.0.1") <= 1500
    flood.open("full", "10.0.0.2")
    flood.close("full")
    assert not redis_db.exists("chat:flood:parked:10.0.0.2")
    limit.take("10.0.0.1")
    assert 0 < redis_db.pttl("chat:connection-limit:10.0.0.1") <= 2000
