"""The Redis-backed state as several processes share it, against a real redis-server.

The chat rules are tested for the in-process classes and their Redis twins alike in
test_presence.py. Here is what sharing adds: instances with their own host ids (standing
for processes) on one Redis see one world, each departure, typing end and room removal
is reported by one of them only, and a process that stops heart-beating loses its people.
All instances of a test share one fake wall clock.
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from chat.model import ChatError, Member
from chat.stores.redis.presence import RedisPresence
from chat.stores.redis.rooms import RedisRooms
from chat.stores.redis.typing import RedisTyping


@pytest.fixture
def two_hosts(redis_clients, clock):
    """Return the presence of two processes, "a" and "b", on one Redis and one clock: 5 s grace, 10 s host timeout."""
    return tuple(
        RedisPresence(redis_clients(), host, grace_seconds=5, clock=clock, host_timeout=10) for host in ("a", "b")
    )


def names(members):
    return [member.name for member in members]


def at_once(*calls):
    """Run the calls in threads started together; return their results in order."""
    start = threading.Barrier(len(calls))

    def run(call):
        start.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_two_processes_see_one_world(two_hosts):
    """Count a person with a tab on each process once, under one name, with names unique across processes."""
    a, b = two_hosts
    assert a.connect("tab1", "p1", "Alice").name == "Alice"
    assert b.connect("tab2", "p1", "Alicia").name == "Alice"
    assert b.connect("c3", "p2", "ALICE").name == "ALICE 2"
    assert a.enter("tab1", "general") == (Member("p1", "Alice"), True)
    assert b.enter("tab2", "general") == (Member("p1", "Alice"), False)
    b.enter("c3", "general")
    for presence in two_hosts:
        assert names(presence.members("general")) == ["Alice", "ALICE 2"]
        assert presence.people == 2 and presence.connections == 3
        assert presence.connections_of_person("p1") == {"tab1", "tab2"}
        assert presence.member("tab2") == Member("p1", "Alice")
    assert a.rename("tab1", "Bob") == (Member("p1", "Bob"), "Alice")
    assert b.rename("c3", "bob")[0].name == "bob 2"
    assert b.disconnect("tab2") == []
    assert a.exit("tab1", "general") == (Member("p1", "Bob"), True)
    assert names(b.members("general")) == ["bob 2"]


def test_a_departure_after_the_grace_is_reported_once(two_hosts, clock):
    """Report a grace period's end from one process only, when both expire, one after the other or together."""
    a, b = two_hosts
    for number in range(50):
        a.connect(f"c{number}", f"p{number}", f"Person {number}")
        a.enter(f"c{number}", "general")
    b.connect("stays", "p-stays", "Stays")
    b.enter("stays", "general")
    for number in range(50):
        assert a.disconnect(f"c{number}") == []
    clock.advance(5)
    a.heartbeat()
    b.heartbeat()
    first, second = at_once(a.expire, b.expire)
    assert sorted(member.name for _, member in first + second) == sorted(f"Person {n}" for n in range(50))
    assert a.expire() == [] and b.expire() == []
    assert names(a.members("general")) == ["Stays"] and b.people == 1


def test_names_stay_unique_when_processes_connect_together(redis_clients, clock):
    """Give eight people connecting at once with one name, on eight processes, eight different names."""
    hosts = [RedisPresence(redis_clients(), f"host-{n}", 5, clock=clock) for n in range(8)]
    members = at_once(*(lambda n=n: hosts[n].connect(f"c{n}", f"p{n}", "Alice") for n in range(8)))
    assert sorted(member.name for member in members) == ["Alice"] + [f"Alice {n}" for n in range(2, 9)]


def test_a_silent_process_loses_its_people_after_the_timeout_and_grace(two_hosts, clock):
    """Drop the connections of a process silent for over 10 s, then end their grace periods, each once."""
    a, b = two_hosts
    a.heartbeat()
    b.heartbeat()
    b.connect("alice-b", "p1", "Alice")
    b.enter("alice-b", "general")
    a.connect("bob-a", "p2", "Bob")  # Bob has a tab on each process
    a.enter("bob-a", "general")
    b.connect("bob-b", "p2", "Bob")
    b.enter("bob-b", "general")
    b.connect("seed", "seed", None, stable=False)
    b.enter("seed", "general")
    clock.advance(10)  # b goes quiet; a keeps beating
    a.heartbeat()
    assert a.expire() == [] and a.connections == 4
    clock.advance(0.5)
    a.heartbeat()
    [(room, member)] = a.expire()  # b's connections dropped: the person with no lasting id leaves now
    assert room == "general" and member.guest and a.expire() == []
    assert a.connections == 1 and a.connections_of_person("p2") == {"bob-a"}
    assert names(a.members("general")) == ["Alice", "Bob"]  # Alice within her grace period
    clock.advance(4.9)
    a.heartbeat()
    assert a.expire() == []
    clock.advance(0.1)
    assert a.expire() == [("general", Member("p1", "Alice"))]
    assert names(a.members("general")) == ["Bob"] and a.people == 1
    assert b.heartbeat() is False  # b learns, once, that it was given up for dead
    assert b.heartbeat() is True and a.heartbeat() is True


def test_a_silent_process_is_dropped_once_when_two_expire_together(redis_clients, clock):
    """Report the departures of a silent process's people from one of the two processes expiring at once."""
    a, b, c = (RedisPresence(redis_clients(), host, 5, clock=clock) for host in ("a", "b", "c"))
    for number in range(20):
        b.connect(f"seed{number}", f"seed{number}", None, stable=False)
        b.enter(f"seed{number}", "general")
        b.connect(f"tab{number}", f"p{number}", f"Person {number}")
        b.enter(f"tab{number}", "general")
    clock.advance(10.5)
    a.heartbeat()
    c.heartbeat()
    first, second = at_once(a.expire, c.expire)
    assert sorted(member.id for _, member in first + second) == sorted(f"seed{n}" for n in range(20))
    clock.advance(5)
    first, second = at_once(a.expire, c.expire)
    assert sorted(member.id for _, member in first + second) == sorted(f"p{n}" for n in range(20))
    assert a.people == 0 and a.connections == 0


def test_a_silent_process_s_connections_are_counted_once_when_dropped(redis_clients, clock):
    """Count every connection of a silent process, of any protocol, once among the processes dropping it."""
    a, b, c = (RedisPresence(redis_clients(), host, 5, clock=clock) for host in ("a", "b", "c"))
    for number in range(10):
        b.connect(f"seed{number}", f"seed{number}", None, stable=False)
        b.enter(f"seed{number}", "general")
    b.connect("tab1", "p1", "Alice")
    b.connect("tab2", "p1", "Alice")  # one person, two connections: two to count
    b.enter("tab1", "general")
    clock.advance(10.5)
    a.heartbeat()
    c.heartbeat()
    (_, first), (_, second) = at_once(a.drop_silent_hosts, c.drop_silent_hosts)
    assert sorted([first, second]) == [0, 12]
    assert a.drop_silent_hosts() == ([], 0) and a.connections == 0


def test_a_process_is_known_from_its_first_connection_and_never_drops_itself(two_hosts, clock):
    """Drop a process that never beat, counting from its first connection; keep one's own connections."""
    a, b = two_hosts
    a.connect("c1", "p1", "Alice")
    b.connect("c2", "p2", "Bob")
    clock.advance(60)
    assert a.expire() == []
    assert a.connections == 1 and a.member("c1").name == "Alice"
    with pytest.raises(KeyError):
        b.member("c2")
    assert b.expire() == [] and b.connections == 0


def test_nothing_is_left_behind(two_hosts, redis_db, clock):
    """Leave only the hosts' heartbeats and the epoch in Redis once everyone has gone, by every way of going."""
    a, b = two_hosts
    a.heartbeat()
    b.heartbeat()
    a.connect("tab1", "p1", "Alice")
    b.connect("tab2", "p1", "Alice")
    a.enter("tab1", "general")
    b.enter("tab2", "general")
    b.enter("tab2", "games")
    a.connect("seed", "seed", None, stable=False)
    a.enter("seed", "general")
    a.rename("tab1", "Bob")
    a.disconnect("seed")
    b.exit("tab2", "games")
    a.disconnect("tab1")
    b.disconnect("tab2")
    clock.advance(5)
    assert a.expire() == [("general", Member("p1", "Bob"))]
    assert sorted(redis_db.keys("*")) == ["chat:epoch", "chat:hosts"]


def test_rooms_are_shared_and_removed_once(redis_clients, clock):
    """Hold the room limit across processes creating at once; report each idle room's removal once."""
    a, b = (RedisRooms(redis_clients(), "general", max_rooms=5, idle_seconds=60, clock=clock) for _ in range(2))
    outcomes = at_once(*(lambda n=n: _create((a, b)[n % 2], f"room{n}") for n in range(10)))
    created = [room for room in outcomes if room is not None]
    assert len(created) == 4
    assert a.names() == b.names() == sorted(created + ["general"])
    clock.advance(60)
    first, second = at_once(a.expire, b.expire)
    assert sorted(first + second) == sorted(created) and b.names() == ["general"]


def _create(rooms, name):
    try:
        return rooms.create(name)
    except ChatError:
        return None


def test_an_occupied_room_is_not_removed(redis_db, clock):
    """Keep a room that presence on the same Redis shows someone in, even if it was reported empty."""
    rooms = RedisRooms(redis_db, "general", max_rooms=5, idle_seconds=60, clock=clock)
    presence = RedisPresence(redis_db, "a", 5, clock=clock)
    rooms.create("games")
    presence.connect("c1", "p1", "Alice")
    presence.enter("c1", "games")  # its "occupied" report is lost in a race with another process
    clock.advance(60)
    assert rooms.expire() == [] and "games" in rooms
    presence.exit("c1", "games")
    rooms.occupied("games", presence.occupied("games"))
    clock.advance(60)
    assert rooms.expire() == ["games"]


def test_typing_is_shared_and_ends_once(redis_clients, clock):
    """See one typing state from two processes; report its end from one only."""
    alice = Member("p1", "Alice")
    a, b = (RedisTyping(redis_clients(), timeout=5, clock=clock) for _ in range(2))
    assert a.start("general", alice) is True
    assert b.start("general", alice) is False
    assert b.start("games", alice) is True
    assert a.stop("games", "p1") is True
    clock.advance(5)
    first, second = at_once(a.expire, b.expire)
    assert first + second == [("general", alice)]


def test_prefixes_keep_worlds_apart(redis_db, clock):
    """Keep two key prefixes on one Redis as apart as two Redis servers."""
    one = RedisPresence(redis_db, "a", 5, clock=clock, prefix="one:")
    two = RedisPresence(redis_db, "a", 5, clock=clock, prefix="two:")
    one.connect("c1", "p1", "Alice")
    assert two.connect("c2", "p2", "Alice").name == "Alice"
    assert one.people == 1 and two.people == 1


def test_replies_must_be_decoded(shared_redis):
    """Refuse a Redis client that returns bytes, with a message that says what to do."""
    with pytest.raises(ValueError, match="decode_responses=True"):
        RedisTyping(redis.Redis(port=shared_redis.port), timeout=5)
