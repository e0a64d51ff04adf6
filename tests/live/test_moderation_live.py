"""Moderation on real servers: one process on SQLite, and two processes on one Redis.

The moderator is on one server, the person moderated on the other, so a ban or a mute must
reach across processes.
"""

import pytest
import socketio

from chat.identity import issue_token

SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers.LiveServer's SECRET_KEY


@pytest.fixture(params=["one process", "two processes on redis"])
def pair(request, live_server):
    """Return two servers requiring tokens (the same one twice alone, or two processes sharing a Redis)."""
    if request.param == "one process":
        server = live_server("flask", TOKENS=True)
        return server, server
    redis_server = request.getfixturevalue("redis_server")
    return tuple(live_server("gevent", TOKENS=True, REDIS_URL=redis_server.url) for _ in range(2))


def signed(peer, server, sub, name, admin=False, protocol=2):
    """Connect ``sub`` with a token (an administrator's with ``admin``); wait for a full client's history."""
    auth = {"token": issue_token(SECRET, sub, name, roles=["admin"] if admin else ())}
    if protocol == 2:
        auth["protocol"] = 2
    client = peer(server, auth=auth)
    if protocol == 2:
        client.wait_for("history")
    return client


def test_a_non_owner_is_refused_and_the_owners_mute_reaches_the_other_process(pair, peer):
    """Refuse Bob's mute in Alice's room as forbidden; Alice's mute of Bob refuses his sends on the other server."""
    a, b = pair
    alice, bob = signed(peer, a, "alice", "Alice"), signed(peer, b, "bob", "Bob")
    assert alice.send({"room": "team"}, event="create-room")["ok"]
    for client in (alice, bob):
        assert client.send({"room": "team"}, event="join-room")["ok"]
    refused = bob.send({"room": "team", "person": "alice", "seconds": 60}, event="mute")
    assert refused["code"] == "forbidden"
    assert alice.send({"room": "team", "person": "bob", "seconds": 60, "reason": "hush"}, event="mute")["ok"]
    assert bob.wait_for("moderation")[0]["reason"] == "hush"
    assert bob.send({"room": "team", "text": "hi"}, event="send-message")["code"] == "muted"


def test_a_muted_protocol_1_client_is_refused(pair, peer):
    """Refuse newMessage from a muted seed client with a chat-error muted; the other seed client gets nothing of it."""
    a, b = pair
    admin = signed(peer, a, "admin-1", "Admin", admin=True)
    bob, dan = signed(peer, b, "bob", "Bob", protocol=1), signed(peer, a, "dan", "Dan", protocol=1)
    assert admin.send({"room": "general", "person": "bob", "seconds": 60}, event="mute")["ok"]
    assert bob.send("hello")["code"] == "muted"
    assert bob.wait_for("chat-error")[0]["code"] == "muted"
    assert dan.send("still here")["ok"]
    assert dan.wait_for("message") == ["still here"]
    assert [name for name, _ in dan.events if name == "message"] == ["message"]


def test_a_ban_from_the_default_room_disconnects_and_refuses_a_reconnect(pair, peer):
    """End Bob's connection on the other server, refuse his reconnect there; tell seed clients he left."""
    a, b = pair
    admin = signed(peer, a, "admin-1", "Admin", admin=True)
    seed = signed(peer, a, "carol", "Carol", protocol=1)
    bob = signed(peer, b, "bob", "Bob")
    seed.wait_for("user-joined")
    assert admin.send({"room": "general", "person": "bob", "seconds": 60, "reason": "spam"}, event="ban")["ok"]
    bob.wait_for("disconnect")
    assert seed.wait_for("user-left")[0] == {"message": "A user left the chat"}
    with pytest.raises(socketio.exceptions.ConnectionError):
        signed(peer, b, "bob", "Bob")
    with pytest.raises(socketio.exceptions.ConnectionError):
        signed(peer, a, "bob", "Bob", protocol=1)
