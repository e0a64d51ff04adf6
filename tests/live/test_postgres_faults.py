"""Several gevent processes on PostgreSQL and Redis, through faults: a kill -9, a Redis that restarts
empty, a PostgreSQL restart. Nothing acknowledged is lost; Redis holds nothing durable."""

import time

import pytest
import requests

from chat.identity import issue_token
from support import TIMEOUT
from support.postgres import PostgresServer

SECRET = "live-test-secret-of-thirty-two-bytes"

pytestmark = pytest.mark.postgres


@pytest.fixture
def servers(redis_server, live_server):
    """Start gevent server processes on one Redis and one PostgreSQL database (or ``DATABASE_URL``)."""

    def start(count=2, **settings):
        return [
            live_server("gevent", REDIS_URL=redis_server.url, PRESENCE_GRACE=1, TOKENS=True, **settings)
            for _ in range(count)
        ]

    return start


def full(peer, server, person, **auth):
    """Connect ``person`` (a token user) with the full protocol; return the client once it has each room's history."""
    client = peer(server, auth={"protocol": 2, "token": issue_token(SECRET, person, person.title()), **auth})
    client.wait_for("history", count=len(auth.get("rooms", ["general"])))  # they follow CONNECT, one per room
    return client


def say(client, room, text):
    """Send ``text`` to ``room``; return the acknowledged message."""
    ack = client.send({"room": room, "text": text}, event="send-message")
    assert ack["ok"], ack
    return ack["message"]


def test_ids_and_acknowledged_messages_survive_a_kill_9_of_one_process(servers, peer):
    """Keep every message a killed process acknowledged; the survivor numbers on after them."""
    a, b = servers()
    alice, bob = full(peer, a, "alice"), full(peer, b, "bob")
    acked = [say(alice, "general", f"m{n}")["id"] for n in range(1, 11)]
    assert acked == list(range(1, 11))
    assert [m["id"] for m in bob.wait_for("room-message", 10)] == acked
    a.stop(kill=True)
    assert say(bob, "general", "after")["id"] == 11
    carol = full(peer, b, "carol", lastSeen={"general": 0})
    assert [m["text"] for m in carol.received("history")[0]["messages"]] == [f"m{n}" for n in range(1, 11)] + ["after"]


def test_a_redis_restart_that_loses_everything_loses_no_message_room_or_dm(servers, peer, redis_server, tmp_path):
    """Restart Redis empty: rooms, messages, DMs and numbering come back from PostgreSQL; clients reconnect."""
    a, b = servers()
    alice, bob = full(peer, a, "alice"), full(peer, b, "bob")
    assert alice.send({"room": "games"}, event="create-room")["ok"]
    assert alice.send({"room": "games"}, event="join-room")["ok"]
    say(alice, "games", "in games")
    say(alice, "general", "in general")
    dm = alice.send({"person": "bob"}, event="open-dm")["dm"]["id"]
    say(alice, dm, "just us")
    redis_server.stop(kill=True)
    redis_server.directory = tmp_path / "empty-redis"  # a new, empty data folder: everything is lost
    redis_server.directory.mkdir()
    redis_server.start()
    # Each process learns of the loss at its next heartbeat: it disconnects its clients (to
    # reconnect and rebuild presence) once it has restored the rooms from the database.
    alice.wait_for("disconnect")
    bob.wait_for("disconnect")
    a.wait_for_status(200)
    b.wait_for_status(200)
    carol = full(peer, b, "carol", rooms=["general", "games"], lastSeen={"general": 0, "games": 0})
    history = {entry["room"]: [m["text"] for m in entry["messages"]] for entry in carol.received("history")}
    assert history == {"general": ["in general"], "games": ["in games"]}
    assert say(carol, "games", "still numbered")["id"] == 2
    bob_again = full(peer, a, "bob")
    assert [entry["id"] for entry in bob_again.send({}, event="list-dms")["dms"]] == [dm]
    assert say(bob_again, dm, "still ours")["id"] == 2


def test_a_postgresql_restart_refuses_while_down_and_loses_nothing_acknowledged(tmp_path, servers, peer):
    """Refuse sends (or fail /healthz) while PostgreSQL is down; keep every acknowledged message after it is back."""
    database = PostgresServer().start()
    try:
        a, b = servers(DATABASE_URL=database.database())
        alice, bob = full(peer, a, "alice"), full(peer, b, "bob")
        before = [say(alice, "general", f"before {n}")["id"] for n in range(5)]
        database.stop()
        assert requests.get(a.url + "/healthz", timeout=TIMEOUT).status_code == 503
        refused = alice.send({"room": "general", "text": "while down"}, event="send-message")
        assert refused["ok"] is False
        database.start()
        a.wait_for_status(200)
        deadline = time.monotonic() + TIMEOUT
        while not (ack := bob.send({"room": "general", "text": "after"}, event="send-message"))["ok"]:
            assert time.monotonic() < deadline, ack  # pooled connections are replaced as they are found dead
            time.sleep(0.1)  # the pool has no event to wait on
        carol = full(peer, b, "carol", lastSeen={"general": 0})
        texts = [m["text"] for m in carol.received("history")[0]["messages"]]
        assert texts == [f"before {n}" for n in range(5)] + ["after"]
        assert ack["message"]["id"] == before[-1] + 1
    finally:
        database.remove()
