"""Message ids, ``before``, ``lastSeen`` and the handshake's ``protocol``: range and type checks.

Every id a client sends is a whole number from 0 to 2**53 - 1 (exact in JavaScript and as a
Redis score), on both backends; outside that the request is refused before anything changes.
"""

import json
import threading

import pytest
import socketio
import websocket

from support import TIMEOUT
from support.clients import only, received

MAX_MESSAGE_ID = 2 ** 53 - 1  # the documented bound (docs/protocol.md, Limits)
OUT_OF_RANGE = [-1, MAX_MESSAGE_ID + 1, 2 ** 63, 2 ** 70, 1.5, 2.0, True, "3"]


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


@pytest.mark.parametrize("auth", [
    {"protocol": 2, "lastSeen": {"general": 2 ** 70}},
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
])
def test_bad_ids_and_protocols_in_the_handshake_are_refused(socket_client, auth):
    """Refuse a handshake with an id out of range, a protocol that is not exactly 1 or 2, or auth that is no object."""
    seed = socket_client()
    refused = socket_client(auth=auth)
    assert not refused.is_connected()
    assert received(seed) == []


@pytest.mark.parametrize(("auth", "full_protocol"), [
    ({"protocol": 1}, False), ({"protocol": 2}, True), ({}, False), (None, False),
    ({"protocol": 2, "lastSeen": {"general": MAX_MESSAGE_ID}}, True),
])
def test_good_handshakes_still_connect(socket_client, auth, full_protocol):
    """Connect with exactly 1 or 2, an empty or absent auth, and the largest lastSeen."""
    client = socket_client(auth=auth)
    assert client.is_connected()
    assert ("welcome" in [event for event, _ in received(client)]) is full_protocol


# --- Against a real server process ---------------------------------------------------------


def connect_error(server, auth):
    """Connect with ``auth`` and return the data of the connect_error the server answers."""
    client = socketio.Client(reconnection=False)
    refused, got = threading.Event(), {}

    @client.on("connect_error")
    def on_error(data):
        got["data"] = data
        refused.set()

    with pytest.raises(socketio.exceptions.ConnectionError):
        client.connect(server.url, transports=["websocket"], auth=auth, wait_timeout=TIMEOUT)
    assert refused.wait(TIMEOUT)
    return got["data"]["data"]


def raw_connect(server, auth_json):
    """Open a bare WebSocket, send a Socket.IO connect whose auth is ``auth_json``, return the answer packet."""
    ws = websocket.create_connection(f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket",
                                     timeout=TIMEOUT)
    try:
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40" + auth_json)  # python-socketio's client would send [] as {}
        return ws.recv()
    finally:
        ws.close()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request):
    """Return the extra settings of a server on each history backend: SQLite, or a real Redis."""
    if request.param == "sqlite":
        return {}
    return {"REDIS_URL": request.getfixturevalue("redis_server").url}


def test_ids_are_checked_on_a_real_server(live_server, peer, backend):
    """Refuse huge ids over real sockets as bad_arguments, on both backends, and change nothing."""
    server = live_server("gevent", **backend)
    alice = peer(server, auth={"protocol": 2, "name": "Alice"})
    bob = peer(server, auth={"protocol": 2, "name": "Bob"})
    assert alice.send({"room": "games"}, event="create-room")["ok"]
    assert alice.send({"room": "games"}, event="join-room")["ok"]
    assert alice.send({"room": "games", "text": "one"}, event="send-message")["ok"]

    for before in (2 ** 63, MAX_MESSAGE_ID + 2):  # Redis would take 2**53 + 2 as a score, inexactly
        ack = alice.send({"room": "games", "before": before}, event="history")
        assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert alice.send({"room": "games", "before": MAX_MESSAGE_ID}, event="history")["ok"]

    ack = bob.send({"room": "games", "lastSeen": 2 ** 70}, event="join-room")
    assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert bob.send({"room": "games", "lastSeen": 0}, event="join-room")["ok"]
    alice.wait_for("member-joined", 2)  # Bob's arrival in general, then in games
    assert [(p["room"], p["user"]["name"]) for p in alice.received("member-joined")] == [
        ("general", "Bob"), ("games", "Bob")]
    assert [h["messages"][0]["text"] for h in bob.received("history") if h["room"] == "games"] == ["one"]

    for auth, code in [({"protocol": 2, "lastSeen": {"general": 2 ** 70}}, "bad_arguments"),
                       ({"protocol": True}, "bad_handshake"), ({"protocol": 2.0}, "bad_handshake")]:
        assert connect_error(server, auth)["code"] == code, auth
    for auth_json in ("[]", "false", '""'):
        answer = raw_connect(server, auth_json)
        assert answer.startswith("44") and json.loads(answer[2:])["data"]["code"] == "bad_handshake", answer
    assert len(alice.received("member-joined")) == 2  # no refused handshake came in
    assert "Traceback" not in server.log()
