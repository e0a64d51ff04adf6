"""The contract and its limits against a real server process, with python-socketio clients.

The Flask-SocketIO test client runs handlers one at a time and has no transports, so
ordering, transports and limits are shown here, over real sockets on 127.0.0.1.
"""

import socket
import time

import pytest
import requests
import socketio
import websocket

from support import TIMEOUT
from support.clients import send_all_at_once

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}
TRANSPORTS = ["websocket", "polling", "default"]


@pytest.fixture
def server(live_server):
    """Return a demo server (flask run) with the default settings.

    Each test gets its own: flood allowances outlive connections, per address.
    """
    return live_server()


@pytest.mark.parametrize("kind", ["flask", "gunicorn", "gevent"])
@pytest.mark.parametrize("transport", TRANSPORTS)
def test_seed_contract(live_server, peer, kind, transport):
    """Hold the seed contract on every transport, under flask run and gunicorn."""
    server = live_server(kind)
    first = peer(server, transport)
    second = peer(server, transport)
    assert first.wait_for("user-joined") == [USER_JOINED]
    assert second.send("héllo <b>😀</b>  ") == {"ok": True}
    for client in (first, second):
        assert client.wait_for("message") == ["héllo <b>😀</b>  "]
    second.close()
    assert first.wait_for("user-left") == [USER_LEFT]
    second.wait_for("disconnect")
    # The newcomer was never told about itself, and nobody heard anything else.
    assert [name for name, _ in first.events] == ["user-joined", "message", "user-left"]
    assert [name for name, _ in second.events] == ["message", "disconnect"]


@pytest.mark.parametrize("kind", ["flask", "gevent"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_each_senders_order_holds_under_simultaneous_bursts(live_server, peer, kind, transport):
    """Deliver every message of 20 senders bursting 25 each at once, each sender's in order."""
    server = live_server(kind)
    clients = [peer(server, transport) for _ in range(20)]
    send_all_at_once(clients, lambda index: [("newMessage", f"{index}:{n}") for n in range(25)])
    expected = {index: [f"{index}:{n}" for n in range(25)] for index in range(len(clients))}
    for client in clients:
        received = client.wait_for("message", 500)
        assert len(received) == 500
        by_sender = {}
        for text in received:
            by_sender.setdefault(int(text.split(":")[0]), []).append(text)
        assert by_sender == expected


def test_refusal_reaches_the_sender_alone(server, peer):
    """Refuse bad input over the wire with an ack and a chat-error, broadcasting nothing."""
    sender, bystander = peer(server), peer(server)
    ack = sender.send(42)
    assert ack["ok"] is False and ack["code"] == "not_text"
    assert sender.wait_for("chat-error")[0]["code"] == "not_text"
    sender.send("after")
    bystander.wait_for("message")
    assert bystander.received("message") == ["after"] and not bystander.received("chat-error")


def test_flood_limit_both_sides(live_server, peer):
    """Broadcast a pinned burst of 5, refuse the 6th, and keep refusing after a reconnect."""
    server = live_server(FLOOD_BURST=5, FLOOD_RATE=0.01)
    sender, other = peer(server), peer(server)
    for n in range(6):
        sender.client.emit("newMessage", f"m{n}")
    refusal = sender.wait_for("chat-error")[0]
    assert refusal["code"] == "rate_limited"
    assert other.wait_for("message", 5) == [f"m{n}" for n in range(5)]
    sender.close()
    again = peer(server)
    assert again.send("m6")["code"] == "rate_limited"
    assert other.send("from a fresh allowance") == {"ok": True}


def test_connection_limit_both_sides(live_server, peer):
    """Admit a pinned 3 new connections per minute from one address, refuse the 4th."""
    server = live_server(CONNECTIONS_PER_MINUTE=3)
    clients = [peer(server) for _ in range(3)]
    refused, reasons = socketio.Client(reconnection=False), []
    refused.on("connect_error", reasons.append)
    # Refused at the Engine.IO handshake: python-socketio passes on the reason over polling only
    # (over WebSocket it reports "Connection error"; see tests/live/test_sessions.py).
    with pytest.raises(socketio.exceptions.ConnectionError):
        refused.connect(server.url, transports=["polling"], wait_timeout=TIMEOUT)
    assert "too many new connections from your address: try again in" in reasons[0]["message"]
    assert clients[0].send("still chatting") == {"ok": True}
    assert clients[2].wait_for("message") == ["still chatting"]
    assert clients[2].received("user-joined") == []


@pytest.mark.parametrize(("trusted", "third_admitted"), [(1, True), (0, False)])
def test_client_address_from_a_trusted_proxy_only(live_server, peer, trusted, third_admitted):
    """Count connections per X-Forwarded-For address behind a trusted proxy, else per peer."""
    server = live_server(CONNECTIONS_PER_MINUTE=2, TRUSTED_PROXIES=trusted)
    for address in ("203.0.113.1", "203.0.113.1"):
        peer(server, headers={"X-Forwarded-For": address})
    if third_admitted:
        peer(server, headers={"X-Forwarded-For": "203.0.113.2"})
    else:
        with pytest.raises(socketio.exceptions.ConnectionError):
            peer(server, headers={"X-Forwarded-For": "203.0.113.2"})


@pytest.mark.parametrize("kind", ["flask", "gunicorn", "gevent"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_oversized_packet_costs_only_its_sender_the_connection(live_server, peer, kind, transport):
    """Refuse a multi-megabyte packet at the engine and free its connection; others chat on."""
    server = live_server(kind)
    sender, other = peer(server, transport), peer(server)
    sender.client.emit("newMessage", "x" * 5_000_000)
    sender.wait_for("disconnect")
    assert other.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert other.send("still here") == {"ok": True}
    assert other.wait_for("message") == ["still here"]


def raw_socket(server):
    """Open a raw WebSocket speaking Engine.IO and join the default namespace."""
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
    )
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40")
    return ws


@pytest.mark.parametrize(
    "garbage",
    [
        "4",  # Socket.IO packet with no type
        "4x",  # unknown Socket.IO packet type
        '42["newMessage"',  # truncated JSON
        '42{"newMessage": 1}',  # an object, not an event array
        "42[]",  # an event with no name
        "42[1,2]",  # an event whose name is a number
        '45-["newMessage"]',  # a binary event that never sends its attachment
        "9",  # unknown Engine.IO packet type
        "",  # empty message
    ],
)
def test_malformed_packets_do_not_break_the_server(server, peer, garbage):
    """Ignore or drop a connection that sends garbage; others are served as before."""
    watcher = peer(server)
    ws = raw_socket(server)
    ws.send(garbage)
    assert watcher.send("still served") == {"ok": True}
    assert watcher.wait_for("message") == ["still served"]
    ws.close()
    fresh = peer(server)
    assert fresh.send("new clients too") == {"ok": True}


def test_unknown_event_is_not_broadcast(server, peer):
    """Answer an unknown event's callback with a refusal and tell nobody else."""
    sender, other = peer(server), peer(server)
    assert sender.send({"a": 1}, event="shout")["code"] == "unknown_event"
    other.send("marker")
    assert sender.wait_for("message") == ["marker"]
    assert [name for name, _ in other.events] == ["message"]


def test_healthz_counts_live_connections(live_server, peer):
    """Report the number of connected clients over real HTTP."""
    server = live_server()
    for _ in range(3):
        peer(server)
    assert requests.get(server.url + "/healthz", timeout=TIMEOUT).json() == {
        "status": "ok",
        "connections": 3,
        "people": 3,
    }


# --- Both protocols on one server ---------------------------------------------------------


def full_peer(peer, server, name, transport="websocket", **auth):
    """Connect a full-protocol client named ``name``."""
    return peer(server, transport, auth={"protocol": 2, "name": name, **auth})


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_seed_and_full_clients_share_the_default_room(live_server, peer, transport):
    """Let seed and full clients chat in the default room, each receiving its own shape once."""
    server = live_server("gevent")
    seed = peer(server, transport)
    alice = full_peer(peer, server, "Alice", transport)
    assert seed.wait_for("user-joined") == [USER_JOINED]
    members = alice.wait_for("presence")[0]["members"]
    assert {m["name"]: m["guest"] for m in members}["Alice"] is False and len(members) == 2

    seed.send("from seed")
    assert alice.wait_for("room-message")[0]["text"] == "from seed"
    ack = alice.send({"room": "general", "text": "from Alice"}, event="send-message")
    assert seed.wait_for("message", 2) == ["from seed", "from Alice"]
    assert [m["text"] for m in alice.wait_for("room-message", 2)] == ["from seed", "from Alice"]
    assert alice.received("room-message")[1] == ack["message"]

    alice.close()
    assert seed.wait_for("user-left") == [USER_LEFT]
    assert {name for name, _ in seed.events} == {"user-joined", "message", "user-left"}


def test_a_dropped_person_leaves_after_the_grace_period_on_a_real_server(live_server, peer):
    """End a dropped person's presence after the grace period, by the server's own expiry loop."""
    server = live_server(PRESENCE_GRACE=0.5, TYPING_TIMEOUT=0.5)
    alice = full_peer(peer, server, "Alice")
    bob = full_peer(peer, server, "Bob")
    assert alice.wait_for("member-joined")[0]["user"]["name"] == "Bob"
    bob.send({"room": "general", "typing": True}, event="typing")
    assert alice.wait_for("typing")[0]["typing"] is True
    assert alice.wait_for("typing", 2)[1]["typing"] is False  # expired without renewal
    bob.close()
    assert alice.wait_for("member-left")[0]["user"]["name"] == "Bob"


@pytest.mark.parametrize("kind", ["flask", "gevent"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_each_rooms_messages_stay_in_order_under_bursts(live_server, peer, kind, transport):
    """Deliver every room message in id order to every member, 10 senders bursting in two rooms."""
    server = live_server(kind)
    creator = full_peer(peer, server, "Creator", transport)
    creator.send({"room": "games"}, event="create-room")
    clients = [full_peer(peer, server, f"P{i}", transport, rooms=["general", "games"]) for i in range(10)]
    send_all_at_once(
        clients,
        lambda index: [
            ("send-message", {"room": ("general", "games")[n % 2], "text": f"{index}:{n}"}) for n in range(20)
        ],
    )
    for client in clients:
        messages = client.wait_for("room-message", 200)
        for room in ("general", "games"):
            ids = [m["id"] for m in messages if m["room"] == room]
            assert ids == list(range(1, 101))


@pytest.mark.parametrize(("setting", "compressed"), [(False, False), (True, True)])
def test_websocket_compression_only_when_configured(live_server, setting, compressed):
    """Decline permessage-deflate unless WEBSOCKET_COMPRESSION is on: it costs a zlib pass per frame per recipient."""
    server = live_server("gevent", WEBSOCKET_COMPRESSION=setting)
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket",
        header=["Sec-WebSocket-Extensions: permessage-deflate"],
        timeout=TIMEOUT,
    )
    assert ("permessage-deflate" in (ws.getheaders() or {}).get("sec-websocket-extensions", "")) is compressed
    ws.close()


@pytest.mark.parametrize("kind", ["flask", "gevent"])
def test_a_client_that_stops_reading_is_disconnected(live_server, peer, kind):
    """Close a connection whose unsent packets pass MAX_QUEUED_PACKETS; the others chat on."""
    server = live_server(kind, MAX_QUEUED_PACKETS=50, FLOOD_BURST=0)
    stalled = websocket.WebSocket(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    stalled.connect(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT)
    stalled.recv()
    stalled.send("40")
    stalled.recv()  # connected; from now on it reads nothing
    sender = peer(server)
    server.wait_for_connections(2)
    text = "x" * 2000
    for _ in range(3000):  # 6 MB: far more than the socket buffers hold
        assert sender.send(text) == {"ok": True}  # at the pace the sender reads its own copies
        if sender.received("user-left"):
            break
    assert sender.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert sender.send("still chatting") == {"ok": True}
    stalled.close()


def test_sigterm_closes_clients_so_they_go_elsewhere(live_server, peer):
    """Close every client's transport on SIGTERM instead of holding them for gunicorn's 30-second graceful timeout."""
    server = live_server("production")
    clients = [peer(server), peer(server, "polling"), peer(server, auth={"protocol": 2, "name": "Alice"})]
    started = time.monotonic()
    server.process.terminate()
    for client in clients:
        client.wait_for("disconnect")
    server.process.wait(TIMEOUT)
    assert time.monotonic() - started < 10
