"""Presence says whether it still knew a connection it drops, so a departure is announced once.

The first tests run on both backends (the ``presence`` fixture of tests/unit/conftest.py);
the last is what only several processes sharing Redis can do: drop a silent process's
connections before they disconnect there.
"""

from chat.stores.redis.presence import RedisPresence


def test_a_connection_is_known_until_it_is_dropped(presence):
    """Report a connected connection as known once, then never again."""
    presence.connect("c1", "p1", "Alice")
    presence.enter("c1", "general")
    assert presence.disconnect_known("c1") == (True, [])
    assert presence.disconnect_known("c1") == (False, [])
    assert presence.disconnect_known("never") == (False, [])


def test_disconnect_known_reports_the_departures(presence):
    """Report a person with no lasting id leaving their rooms at once, as disconnect does."""
    member = presence.connect("seed", "s1", None, stable=False)
    presence.enter("seed", "general")
    assert presence.disconnect_known("seed") == (True, [("general", member)])


def test_a_connection_dropped_by_other_processes_is_not_known_to_its_own(redis_clients, clock):
    """Report a stalled process's connection as unknown once the others have dropped it (and said it left)."""
    a, b = (RedisPresence(redis_clients(), host, grace_seconds=5, clock=clock, host_timeout=10) for host in ("a", "b"))
    a.heartbeat()
    b.heartbeat()
    b.connect("seed", "s1", None, stable=False)
    b.enter("seed", "general")
    clock.advance(10.5)  # b stalls; a keeps beating and drops it
    a.heartbeat()
    assert a.drop_silent_hosts()[1] == 1
    assert b.heartbeat() is False
    assert b.disconnect_known("seed") == (False, [])


def test_a_guest_resumes_on_another_process_before_its_dead_one_is_dropped(redis_clients, clock):
    """Let a guest whose process died come back as itself on another at once, leaving nothing of the old connection."""
    a, b = (RedisPresence(redis_clients(), host, grace_seconds=5, clock=clock, host_timeout=10) for host in ("a", "b"))
    a.connect_guest("tab", "g1", "Alice", "browser-1")
    a.enter("tab", "general")
    member, departures = b.connect_guest("tab-again", "g1", None, "browser-1", resumes=("tab", "a"))
    assert (member.id, member.name, departures) == ("g1", "Alice", [])
    assert b.connections_of_person("g1") == {"tab-again"} and b.connections == 1
    clock.advance(10.5)  # a, dead, is dropped later: nothing of its is left to drop
    b.heartbeat()
    assert b.drop_silent_hosts() == ([], 0)


def test_a_guest_resumes_though_its_last_connect_on_a_live_process_never_reached_it(redis_clients, clock):
    """Drop the guest's connection a live process holds, which the tab never heard of, when the tab resumes elsewhere."""
    a, b, c = (
        RedisPresence(redis_clients(), host, grace_seconds=5, clock=clock, host_timeout=10) for host in ("a", "b", "c")
    )
    a.connect_guest("tab", "g1", "Alice", "browser-1")
    b.connect_guest("lost", "g1", None, "browser-1", resumes=("tab", "a"))  # cut before its welcome arrived
    member, departures = c.connect_guest("back", "g1", None, "browser-1", resumes=("tab", "a"))
    assert (member.id, member.name, departures) == ("g1", "Alice", [])
    assert c.connections_of_person("g1") == {"back"} and c.connections == 1
    assert b.disconnect_known("lost") == (False, [])  # b noticing the cut says nothing
