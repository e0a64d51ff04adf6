"""Message ids, ``before``, ``lastSeen`` and the handshake's ``protocol``: range and type checks.

Every id a client sends is a whole number from 0 to 2**53 - 1 (exact in JavaScript and as a
Redis score); outside that the request is refused before anything changes. Here through the
test client; on a real server, on both backends, in tests/live/test_ids_live.py.
"""

import pytest

from support import MAX_MESSAGE_ID
from support.clients import only, received

OUT_OF_RANGE = [-1, MAX_MESSAGE_ID + 1, 2**63, 2**70, 1.5, 2.0, True, "3"]


@pytest.mark.parametrize("before", OUT_OF_RANGE)
def test_history_before_out_of_range_is_refused(full, before):
    """Refuse a history page ``before`` an id that is not one, as bad_arguments to the sender alone."""
    alice, bob = full("Alice"), full("Bob")
    received(alice), received(bob)
    ack = alice.emit("history", {"room": "general", "before": before}, callback=True)
    assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert only(alice, "chat-error")["code"] == "bad_arguments"
    assert received(bob) == []


@pytest.mark.parametrize("before", [0, 1, MAX_MESSAGE_ID])
def test_history_before_in_range_is_answered(full, before):
    """Answer a page before any id from 0 to the largest."""
    alice = full("Alice")
    alice.emit("send-message", {"room": "general", "text": "one"}, callback=True)
    ack = alice.emit("history", {"room": "general", "before": before}, callback=True)
    assert ack["ok"] is True
    assert [m["text"] for m in ack["messages"]] == ([] if before <= 1 else ["one"])


@pytest.mark.parametrize("last_seen", OUT_OF_RANGE)
def test_join_room_with_last_seen_out_of_range_joins_nothing(full, last_seen):
    """Refuse join-room with a bad lastSeen before the person joins: the room is told nothing."""
    alice, bob = full("Alice"), full("Bob")
    alice.emit("create-room", {"room": "games"}, callback=True)
    alice.emit("join-room", {"room": "games"}, callback=True)
    received(alice), received(bob)
    ack = bob.emit("join-room", {"room": "games", "lastSeen": last_seen}, callback=True)
    assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert only(bob, "chat-error")["code"] == "bad_arguments"
    assert received(alice) == []
    # Not half in: the same join with a good lastSeen works, and the room hears of it once.
    assert bob.emit("join-room", {"room": "games", "lastSeen": 0}, callback=True) == {"ok": True, "room": "games"}
    assert only(alice, "member-joined")["room"] == "games"


@pytest.mark.parametrize(
    "auth",
    [
        {"protocol": 2, "lastSeen": {"general": 2**70}},
        {"protocol": 2, "lastSeen": {"general": MAX_MESSAGE_ID + 1}},
        {"protocol": 2, "lastSeen": {"general": 1.0}},
        {"protocol": True},
        {"protocol": 2.0},
        {"protocol": 1.0},
        {"protocol": "2"},
        [],
        [{"protocol": 2}],
        False,
        "",
    ],
)
def test_bad_ids_and_protocols_in_the_handshake_are_refused(socket_client, auth):
    """Refuse a handshake with an id out of range, a protocol that is not exactly 1 or 2, or auth that is no object."""
    seed = socket_client()
    refused = socket_client(auth=auth)
    assert not refused.is_connected()
    assert received(seed) == []


@pytest.mark.parametrize(
    ("auth", "full_protocol"),
    [
        ({"protocol": 1}, False),
        ({"protocol": 2}, True),
        ({}, False),
        (None, False),
        ({"protocol": 2, "lastSeen": {"general": MAX_MESSAGE_ID}}, True),
    ],
)
def test_good_handshakes_still_connect(socket_client, auth, full_protocol):
    """Connect with exactly 1 or 2, an empty or absent auth, and the largest lastSeen."""
    client = socket_client(auth=auth)
    assert client.is_connected()
    assert ("welcome" in [event for event, _ in received(client)]) is full_protocol
