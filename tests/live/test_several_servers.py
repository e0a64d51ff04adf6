"""Several server processes sharing one Redis: one chat, whichever process a client is on."""

import pytest
import requests

from support import TIMEOUT
from support.clients import send_all_at_once

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}


@pytest.fixture
def servers(redis_server, live_server):
    """Start two gevent server processes on one Redis; return a function to start more."""

    def start(count=2, **settings):
        return [live_server("gevent", REDIS_URL=redis_server.url, PRESENCE_GRACE=1, **settings) for _ in range(count)]

    return start


def full(peer, server, name, transport="websocket", **auth):
    return peer(server, transport, auth={"protocol": 2, "name": name, **auth})


def test_seed_contract_across_processes(servers, peer):
    """Tell clients on the other process about joins and leaves, and deliver messages to all."""
    a, b = servers()
    first = peer(a)
    second = peer(b)
    assert first.wait_for("user-joined") == [USER_JOINED]
    assert second.send("across") == {"ok": True}
    assert first.wait_for("message") == ["across"]
    assert second.wait_for("message") == ["across"]
    second.close()
    assert first.wait_for("user-left") == [USER_LEFT]
    assert [name for name, _ in first.events] == ["user-joined", "message", "user-left"]


def test_presence_names_rooms_and_typing_are_shared(servers, peer):
    """Show one world: people, unique names, rooms and typing across processes."""
    a, b = servers()
    alice = full(peer, a, "Alice")
    bob = full(peer, b, "alice")
    assert bob.wait_for("welcome")[0]["user"]["name"] == "alice 2"
    joined = alice.wait_for("member-joined")[0]
    assert joined["user"]["name"] == "alice 2"
    assert sorted(m["name"] for m in bob.wait_for("presence")[0]["members"]) == ["Alice", "alice 2"]
    assert alice.send({"room": "games"}, event="create-room")["ok"]
    assert bob.wait_for("room-created") == [{"room": "games"}]
    assert bob.send({"room": "games"}, event="join-room")["ok"]
    assert alice.send({"room": "games"}, event="create-room")["code"] == "room_exists"
    bob.send({"room": "general", "typing": True}, event="typing")
    assert alice.wait_for("typing")[0]["user"]["name"] == "alice 2"
    assert requests.get(a.url + "/healthz", timeout=TIMEOUT).json()["people"] == 2


def test_history_and_resends_are_shared(servers, peer):
    """Number a room's messages once for all processes; a resend by its sender through another process is a duplicate."""
    a, b = servers()
    alice = full(peer, a, "Alice")
    [welcome] = alice.wait_for("welcome")
    first = alice.send({"room": "general", "text": "hello", "clientId": "c-1"}, event="send-message")
    assert first["message"]["id"] == 1
    bob = full(peer, b, "Bob")
    assert [m["text"] for m in bob.wait_for("history")[0]["messages"]] == ["hello"]
    alice.close()  # her connection cut: she comes back through the other process, as herself
    again = full(peer, b, "Alice", guest=welcome["guest"])
    assert again.wait_for("welcome")[0]["user"]["id"] == welcome["user"]["id"]
    resent = again.send({"room": "general", "text": "hello", "clientId": "c-1"}, event="send-message")
    assert resent["message"] == first["message"] and resent["duplicate"] is True
    others = bob.send({"room": "general", "text": "his own", "clientId": "c-1"}, event="send-message")
    assert others["message"]["id"] == 2 and not others.get("duplicate")  # a clientId is its sender's own
    assert bob.send({"room": "general", "text": "third"}, event="send-message")["message"]["id"] == 3


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_every_client_gets_each_rooms_messages_in_id_order(servers, peer, transport):
    """Deliver every message, in id order, to clients on both processes, senders on both bursting."""
    a, b = servers()
    clients = [full(peer, server, f"P{i}", transport) for i, server in enumerate([a, b] * 4)]
    seed = [peer(server, transport) for server in (a, b)]
    send_all_at_once(
        clients, lambda index: [("send-message", {"room": "general", "text": f"{index}:{n}"}) for n in range(20)]
    )
    for client in clients:
        messages = client.wait_for("room-message", 160)
        assert [m["id"] for m in messages] == list(range(1, 161))
    for client in seed:
        texts = client.wait_for("message", 160)
        for index in range(len(clients)):  # each sender's messages complete and in order
            assert [t for t in texts if t.startswith(f"{index}:")] == [f"{index}:{n}" for n in range(20)]


def test_a_killed_process_does_not_leave_its_people_online(servers, peer):
    """Take the people of a kill -9'd process out of presence within 30 seconds."""
    a, b = servers()
    alice = full(peer, a, "Alice")
    full(peer, b, "Bob")
    assert alice.wait_for("member-joined")[0]["user"]["name"] == "Bob"
    b.stop(kill=True)
    left = alice.wait_for("member-left", timeout=30)[0]
    assert left["user"]["name"] == "Bob"
    assert [m["name"] for m in full(peer, a, "Carol").wait_for("presence")[0]["members"]] == ["Alice", "Carol"]


def test_a_killed_process_leaves_no_ghosts_for_seed_clients(servers, peer):
    """Tell seed clients on the survivor one user-left per connection a kill -9'd process held, within 30 seconds."""
    a, b = servers()
    seed = peer(a)
    doomed = [peer(b), peer(b, "polling"), full(peer, b, "Bob")]
    assert seed.wait_for("user-joined", len(doomed)) == [USER_JOINED] * len(doomed)
    b.stop(kill=True)
    assert seed.wait_for("user-left", len(doomed), timeout=30) == [USER_LEFT] * len(doomed)
    survivor = peer(a)  # a barrier: anything more the sweep sent would have arrived before this join
    assert seed.wait_for("user-joined", len(doomed) + 1)
    assert seed.received("user-left") == [USER_LEFT] * len(doomed)
    assert survivor.events == []


def test_acknowledged_messages_survive_a_redis_restart(redis_server, servers, peer):
    """Keep every acknowledged message across a kill of Redis; the processes come back by themselves."""
    a, b = servers()
    alice = full(peer, a, "Alice")
    acks = [alice.send({"room": "general", "text": f"m{n}"}, event="send-message") for n in range(1, 11)]
    redis_server.stop(kill=True)
    unavailable = requests.get(a.url + "/healthz", timeout=TIMEOUT)
    assert unavailable.status_code == 503
    redis_server.start()
    a.wait_for_status(200)
    b.wait_for_status(200)
    bob = full(peer, b, "Bob", lastSeen={"general": 0})
    assert bob.wait_for("history")[0]["messages"] == [ack["message"] for ack in acks]
    assert bob.send({"room": "general", "text": "after"}, event="send-message")["message"]["id"] == 11
    # Alice stayed connected to the other process through the outage: live delivery resumes.
    live = [m["text"] for m in alice.wait_for("room-message", 11, timeout=30)]
    assert live == [f"m{n}" for n in range(1, 11)] + ["after"]


def test_gunicorn_workers_on_one_port_serve_websocket_clients(redis_server, live_server, peer):
    """Serve WebSocket-only clients from several gunicorn workers on one port as one chat."""
    server = live_server("gevent-workers", REDIS_URL=redis_server.url)
    clients = [full(peer, server, f"P{i}") for i in range(8)]
    seed = peer(server)
    for n, client in enumerate(clients):
        client.send({"room": "general", "text": f"m{n}"}, event="send-message")
    for client in clients:
        assert [m["text"] for m in client.wait_for("room-message", 8)] == [f"m{n}" for n in range(8)]
    assert seed.wait_for("message", 8) == [f"m{n}" for n in range(8)]
    assert requests.get(server.url + "/healthz", timeout=TIMEOUT).json()["people"] == 9
