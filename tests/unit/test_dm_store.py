"""The direct message store, without sockets: every test runs twice, through open_stores in one
process (a SQLite file, last seen in memory), and as two processes sharing a PostgreSQL database
and an emptied redis-server (last seen there)."""

import pytest

from chat.model import ChatError, Member
from chat.stores.local.dms import LocalLastSeen
from chat.stores.redis.dms import RedisLastSeen

ALICE, BOB, CAROL = Member("a", "Alice"), Member("b", "Bob", True), Member("c", "Carol")


@pytest.fixture
def clock(wall_clock):
    """Return the stores' fake clock."""
    return wall_clock


@pytest.fixture
def shared(request, durable):
    """Return a factory of the store as two processes see it: one on SQLite, or two on PostgreSQL and one Redis."""
    several = durable.url.startswith("postgresql")
    if several:
        request.getfixturevalue("redis_db")  # emptied
    stores = []

    def make(per_person=3, seen_seconds=60):
        if stores and not several:
            return stores[0]
        settings = {"DMS_PER_PERSON": per_person, "DM_SEEN_SECONDS": seen_seconds}
        if several:
            settings["REDIS_URL"] = request.getfixturevalue("shared_redis").url
        stores.append(durable(**settings).dms)
        return stores[-1]

    return make


def test_open_records_the_dm_for_both_people(shared):
    """Record a DM's two people, and each person's list naming the other."""
    here, there = shared(), shared()
    assert here.open("dm:1", ALICE, BOB) is True
    assert there.people("dm:1") == ("a", "b")
    assert there.of_person("a") == [("dm:1", BOB)]
    assert there.of_person("b") == [("dm:1", ALICE)]
    assert there.people("dm:2") is None and there.of_person("c") == []


def test_reopening_is_not_new_whichever_person_does_it(shared):
    """Return False for a DM opened again, by either of its people."""
    here, there = shared(), shared()
    here.open("dm:1", ALICE, BOB)
    assert there.open("dm:1", BOB, ALICE) is False
    assert here.open("dm:1", ALICE, BOB) is False
    assert here.of_person("a") == [("dm:1", BOB)]


def test_per_person_bounds_the_dms_one_person_is_in(shared):
    """Refuse a per_person + 1st DM for either person, whoever opens it; never a reopened one."""
    store = shared(per_person=1)
    store.open("dm:1", ALICE, BOB)
    with pytest.raises(ChatError) as refused:
        store.open("dm:2", ALICE, CAROL)
    assert (refused.value.code, refused.value.reason) == ("too_many_dms", "you have 1 direct messages, the limit")
    with pytest.raises(ChatError) as pulled:
        store.open("dm:3", CAROL, ALICE)  # a victim cannot be pulled into more than per_person
    assert (pulled.value.code, pulled.value.reason) == ("too_many_dms", "they are in 1 direct messages, the limit")
    assert store.open("dm:1", ALICE, BOB) is False
    assert store.open("dm:1", BOB, ALICE) is False
    assert [dm for dm, _ in store.of_person("a")] == ["dm:1"]
    assert store.of_person("c") == []


def test_a_person_is_seen_while_online_and_for_seen_seconds_after(shared, clock):
    """Return a person online, and gone for at most seen_seconds; nobody else."""
    here, there = shared(seen_seconds=60), shared(seen_seconds=60)
    assert there.seen("a") is None
    here.arrived(ALICE)
    clock.now += 1000
    assert there.seen("a") == ALICE
    here.went(ALICE)
    assert there.seen("a") == ALICE
    here.arrived(BOB)
    here.arrived(ALICE)
    here.went(ALICE)
    assert there.seen("a") == ALICE and there.seen("b") == BOB


def test_in_process_a_person_gone_longer_than_seen_seconds_is_forgotten(clock):
    """Forget a person seen_seconds after they went (Redis lets the key expire by itself, in real time)."""
    store = LocalLastSeen(60, clock)
    store.arrived(ALICE)
    store.went(ALICE)
    clock.now += 60
    assert store.seen("a") == ALICE
    clock.now += 0.5
    assert store.seen("a") is None


def test_redis_sets_the_last_seen_to_expire_after_seen_seconds(redis_db, clock):
    """Keep a gone person's record for seen_seconds alone, and an online one's for good."""
    store = RedisLastSeen(redis_db, 60)
    store.arrived(ALICE)
    assert redis_db.ttl("chat:dm-seen:a") == -1
    store.went(ALICE)
    assert 0 < redis_db.ttl("chat:dm-seen:a") <= 60


def test_dms_outlive_a_restart(durable):
    """Keep the DMs in the history's database, so they come back with their messages."""
    first = durable().dms
    first.open("dm:1", ALICE, BOB)
    first.close()
    again = durable().dms
    assert again.people("dm:1") == ("a", "b") and again.of_person("b") == [("dm:1", ALICE)]


def test_a_dm_id_is_the_same_for_its_two_people_and_no_room_name():
    """Name a DM by its two people in either order, differently per key, as no room can be named."""
    from chat.model import dm_id
    from chat.validation import ROOM_NAME, is_dm

    key, other_key = b"k" * 32, b"o" * 32
    assert dm_id(key, "a", "b") == dm_id(key, "b", "a")
    assert dm_id(key, "a", "b") != dm_id(key, "a", "c")
    assert dm_id(key, "a", "b") != dm_id(other_key, "a", "b")
    assert dm_id(key, "a\nb", "c") != dm_id(key, "a", "b\nc")
    assert is_dm(dm_id(key, "a", "b")) and not ROOM_NAME.fullmatch(dm_id(key, "a", "b"))
