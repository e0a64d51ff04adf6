"""Read markers, receipts and mentions on real servers: one process, and two processes on one Redis."""

import pytest

from chat.identity import issue_token

SECRET = "live-test-secret-of-thirty-two-bytes"  # support.servers' SECRET_KEY, which signs HS256 tokens


@pytest.fixture(params=["one process", "two on redis"])
def two_servers(request, live_server):
    """Return two servers with signed identities: one process twice, or two processes on one Redis."""
    if request.param == "one process":
        server = live_server("gevent", TOKENS=True)
        return server, server
    redis_url = request.getfixturevalue("redis_server").url
    return tuple(live_server("gevent", TOKENS=True, REDIS_URL=redis_url) for _ in range(2))


def signed(peer, server, user_id, name, **auth):
    return peer(server, "websocket", auth={"protocol": 2, "token": issue_token(SECRET, user_id, name), **auth})


def test_reading_on_one_device_clears_the_others_and_tells_the_sender(two_servers, peer):
    """Share a person's marker across devices and processes; the sender alone gets a receipt."""
    a, b = two_servers
    alice = signed(peer, a, "u-alice", "Alice")
    laptop = signed(peer, a, "u-bob", "Bob")
    phone = signed(peer, b, "u-bob", "Bob")
    carol = signed(peer, b, "u-carol", "Carol")
    for client in (alice, laptop, phone, carol):
        client.wait_for("history")
    sent = alice.send({"room": "general", "text": "look @Bob", "mentions": ["u-bob", "u-nobody"]}, event="send-message")
    assert sent["message"]["mentions"] == ["u-bob"]
    assert phone.wait_for("room-message")[0]["mentions"] == ["u-bob"]
    later = signed(peer, b, "u-bob", "Bob", rooms=[])
    assert later.wait_for("welcome")[0]["unread"] == {"general": {"count": 1, "mentions": 1, "readUpTo": 0}}

    ack = phone.send({"room": "general", "id": 1}, event="mark-read")
    assert ack == {"ok": True, "room": "general", "id": 1, "unread": 0, "mentions": 0, "moved": True}
    marker = {"room": "general", "id": 1, "unread": 0, "mentions": 0}
    assert laptop.wait_for("read-marker") == [marker] and later.wait_for("read-marker") == [marker]
    receipt = alice.wait_for("receipt")[0]
    assert receipt["id"] == 1 and receipt["by"] == {"id": "u-bob", "name": "Bob", "guest": False}
    seen = alice.send({"room": "general", "id": 1}, event="seen-by")
    assert [reader["id"] for reader in seen["by"]] == ["u-bob"] and seen["more"] is False

    # Carol hears the next message, published after the receipt: she had none before it.
    alice.send({"room": "general", "text": "after"}, event="send-message")
    carol.wait_for("room-message", count=2)
    assert carol.received("receipt") == [] and carol.received("read-marker") == []
    assert signed(peer, a, "u-bob", "Bob", rooms=[]).wait_for("welcome")[0]["unread"]["general"] == {
        "count": 1,
        "mentions": 0,
        "readUpTo": 1,
    }
