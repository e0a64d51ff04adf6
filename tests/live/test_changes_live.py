"""Edits, deletions and reactions on real servers: one process on SQLite, and two processes on one Redis."""

import pytest


@pytest.fixture(params=["one process", "two processes on redis"])
def pair(request, live_server):
    """Return two servers (the same one twice alone, or two processes sharing a Redis)."""
    if request.param == "one process":
        server = live_server("flask")
        return server, server
    redis_server = request.getfixturevalue("redis_server")
    return tuple(live_server("gevent", REDIS_URL=redis_server.url) for _ in range(2))


def full(peer, server, name, **auth):
    client = peer(server, auth={"protocol": 2, "name": name, **auth})
    client.wait_for("history")
    return client


def test_changes_reach_every_process_in_order_and_seed_clients_see_none(pair, peer):
    """Deliver edits, reactions and deletions to the room in change order; a seed client gets the messages only."""
    a, b = pair
    seed = peer(b)
    alice, bob = full(peer, a, "Alice"), full(peer, b, "Bob")
    first = alice.send({"room": "general", "text": "helo"}, event="send-message")["message"]
    assert seed.wait_for("message") == ["helo"]
    assert alice.send({"room": "general", "id": first["id"], "text": "hello"}, event="edit-message")["ok"]
    assert bob.send({"room": "general", "id": first["id"], "emoji": "👍", "on": True}, event="react")["ok"]
    assert bob.send({"room": "general", "id": first["id"], "text": "mine"}, event="edit-message")["code"] == "forbidden"
    assert alice.send({"room": "general", "id": first["id"]}, event="delete-message")["ok"]
    assert alice.send({"room": "general", "text": "after"}, event="send-message")["ok"]
    for client in (alice, bob):
        client.wait_for("message-deleted")
        client.wait_for("room-message", 2)
        changes = [
            (name, payload["change"])
            for name, payload in client.events
            if name in ("message-edited", "reaction", "message-deleted")
        ]
        assert changes == [("message-edited", 1), ("reaction", 2), ("message-deleted", 3)]
    assert alice.received("reaction")[0]["users"] == [bob.received("welcome")[0]["user"]["id"]]
    assert seed.wait_for("message", 2) == ["helo", "after"]
    assert [name for name, _ in seed.events] == ["user-joined", "user-joined", "message", "message"]


def test_a_client_that_was_away_learns_of_changes_on_another_process(pair, peer):
    """Send a reconnecting client, on either process, the changes since its lastChange to the messages it had."""
    a, b = pair
    alice = full(peer, a, "Alice")
    for text in ("one", "two"):
        alice.send({"room": "general", "text": text}, event="send-message")
    alice.send({"room": "general", "id": 1, "text": "uno"}, event="edit-message")
    alice.send({"room": "general", "id": 2}, event="delete-message")
    alice.send({"room": "general", "id": 1, "emoji": "🎉"}, event="react")
    bob = full(peer, b, "Bob", lastSeen={"general": 2}, lastChange={"general": 1})
    changes = bob.wait_for("changes")[0]
    assert [(c["event"], c["id"], c["change"]) for c in changes["changes"]] == [
        ("message-deleted", 2, 2),
        ("reaction", 1, 3),
    ]
    assert changes["last"] == 3 and changes["gap"] is False
    history = bob.send({"room": "general"}, event="history")["messages"]
    assert [(m["text"], m.get("edited"), m.get("deleted"), m.get("reactions")) for m in history] == [
        ("uno", True, None, {"🎉": [alice.received("welcome")[0]["user"]["id"]]}),
        ("", None, True, None),
    ]
