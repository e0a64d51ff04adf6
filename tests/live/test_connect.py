"""Connecting, against real server processes: nothing before CONNECT, and what a broken connect leaves behind.

The socket.io JavaScript client buffers whatever arrives before Socket.IO's CONNECT and
replays it into its next connection if the transport dies first, so the server must send
nothing but CONNECT (or CONNECT_ERROR) before CONNECT: not the welcome, not a catch-up, not
a room's broadcast that races the connect.
"""

import json
import os
import signal
import threading

import pytest
import requests
import socketio
import websocket

from support import TIMEOUT
from support.js import ReconnectingClient
from support.servers import worker_pid

FULL = {"protocol": 2}
# How socket.io-client names a transport that ended (closed, or cut as the process exits):
# it reconnects after either, unlike "io server disconnect", a Socket.IO DISCONNECT.
TRANSPORT_ENDED = {"transport close", "transport error"}


def first_socketio_packet_on_websocket(server, auth):
    """Connect a bare WebSocket with ``auth``; return the first Socket.IO packet the server sends."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
    )
    try:
        assert ws.recv().startswith("0{")  # Engine.IO open
        ws.send("40" + json.dumps(auth))
        while (frame := ws.recv()) == "2":  # Engine.IO pings are not Socket.IO packets
            ws.send("3")
        return frame
    finally:
        ws.close()


def first_socketio_packet_on_polling(server, auth):
    """Connect a bare long-polling session with ``auth``; return the first Socket.IO packet the server sends."""
    url = f"{server.url}/socket.io/?EIO=4&transport=polling"
    sid = json.loads(requests.get(url, timeout=TIMEOUT).text[1:])["sid"]
    url += f"&sid={sid}"
    assert requests.post(url, data="40" + json.dumps(auth), timeout=TIMEOUT).status_code == 200
    packets = [packet for packet in requests.get(url, timeout=TIMEOUT).text.split("\x1e") if packet != "2"]
    requests.post(url, data="1", timeout=TIMEOUT)
    return packets[0]


FIRST_PACKET = {"websocket": first_socketio_packet_on_websocket, "polling": first_socketio_packet_on_polling}


@pytest.mark.parametrize("kind", ["flask", "gevent"])
@pytest.mark.parametrize("transport", ["websocket", "polling"])
@pytest.mark.parametrize("auth", [{}, FULL], ids=["protocol 1", "protocol 2"])
def test_connect_comes_before_anything_else(live_server, kind, transport, auth):
    """Send CONNECT first, then the welcome and the rest: a connect cut short leaves the client nothing to replay."""
    server = live_server(kind)
    assert FIRST_PACKET[transport](server, auth).startswith('40{"sid":')


def test_a_refused_connect_gets_connect_error_alone(live_server):
    """Refuse a bad handshake with CONNECT_ERROR and its code, as before: always_connect stays off."""
    server = live_server()
    packet = first_socketio_packet_on_websocket(server, {"protocol": 7})
    assert packet.startswith("44") and json.loads(packet[2:])["data"]["code"] == "bad_handshake"


@pytest.mark.parametrize("kind", ["flask", "gevent"])
def test_no_broadcast_overtakes_connect(live_server, peer, kind):
    """Keep a room's broadcasts from reaching a connection before its CONNECT, while messages flow the whole time."""
    server = live_server(kind, FLOOD_BURST=0)
    talkers = [peer(server), peer(server, auth={**FULL, "name": "Talker"})]
    stop = threading.Event()

    def talk():
        count = 0
        while not stop.is_set():
            talkers[0].send(f"m{count}")
            talkers[1].send({"room": "general", "text": f"f{count}"}, event="send-message")
            count += 1

    flow = threading.Thread(target=talk)
    flow.start()
    try:
        talkers[0].wait_for("message", 20)  # the flow has started
        firsts = [first_socketio_packet_on_websocket(server, FULL if n % 2 else {}) for n in range(30)]
    finally:
        stop.set()
        flow.join()
    assert [packet[:9] for packet in firsts] == ['40{"sid":'] * 30


@pytest.mark.parametrize("kind", ["flask", "gevent"])
def test_a_client_told_it_is_connected_hears_what_follows(live_server, peer, kind):
    """Deliver a message sent right after a client's connect to it: CONNECT goes out once it is in its groups."""
    server = live_server(kind)
    sender = peer(server)
    for n in range(15):
        newcomer = peer(server, auth=None if n % 2 else FULL)
        sender.send(f"right after {n}")
        newcomer.wait_for("room-message" if n % 2 == 0 else "message")


@pytest.fixture
def js_client():
    """Return a factory of socket.io JavaScript clients in Node with automatic reconnection, killed at teardown."""
    clients = []

    def start(url, **options):
        client = ReconnectingClient(url, **options)
        clients.append(client)
        return client

    yield start
    for client in clients:
        client.close()


def store_messages(server, peer, count):
    """Post ``count`` messages to the default room; return once the last is acknowledged."""
    writer = peer(server, auth={**FULL, "name": "Writer"})
    for n in range(count - 1):
        writer.client.emit("send-message", {"room": "general", "text": f"m{n}"})
    assert writer.send({"room": "general", "text": "last"}, event="send-message")["message"]["id"] == count


def welcomes_per_connection(names):
    """Return how many ``welcome`` events each connection (from one ``connect`` to the next) received."""
    counts = []
    for name in names:
        if name == "connect":
            counts.append(0)
        elif name == "welcome":
            if not counts:
                counts.append(0)  # a welcome before any connect: counted with the first
            counts[-1] += 1
    return counts


def test_a_connect_cut_during_its_catch_up_is_not_replayed(live_server, peer, js_client):
    """Cut the reported way (at the first history of a catch-up): after the reconnect, one welcome each, no id twice."""
    # Queues large enough that a catch-up of all 3,000 is one history (HISTORY_MAX_BYTES derives from them).
    server = live_server("gevent", FLOOD_BURST=0, MAX_QUEUED_BYTES=40_000_000)
    store_messages(server, peer, 3000)
    reader = js_client(
        server.url, auth={**FULL, "lastSeen": {"general": 0}}, transports=["websocket"], cut_at_first="history"
    )

    def caught_up(events):
        return {i for e in events if e["event"] == "history" for i in e["args"][0]["ids"]} >= set(range(1, 3001))

    reader.wait_until(caught_up, description="every id once")
    names = reader.names()
    assert "cut" in names and names.count("connect") == 2, names[:12]
    assert welcomes_per_connection(names) == [1, 1], names[:12]
    ids = [i for e in reader.events if e["event"] == "history" for i in e["args"][0]["ids"]]
    assert sorted(ids) == list(range(1, 3001))


@pytest.mark.redis
@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_sigterm_sends_python_socketio_clients_to_another_process_by_themselves(
    redis_server, live_server, proxy, transport
):
    """Close the transports on SIGTERM without a goodbye: python-socketio's client, which stays offline after one, reconnects.

    An Engine.IO CLOSE packet from the server is, to python-socketio's client, a server
    disconnect, after which it does not reconnect; a transport that just ends is not.
    """
    a, b = (live_server("gevent", REDIS_URL=redis_server.url) for _ in range(2))
    balancer = proxy(a)
    client = socketio.Client(reconnection_delay=0.1, reconnection_delay_max=0.1)
    reasons, connects = [], threading.Semaphore(0)
    client.on("connect", connects.release)
    client.on("disconnect", reasons.append)
    client.connect(balancer.url, transports=[transport], wait_timeout=TIMEOUT)
    try:
        assert connects.acquire(timeout=TIMEOUT)
        balancer.target_port = b.port
        a.process.terminate()
        assert connects.acquire(timeout=TIMEOUT), f"not back by itself; disconnected for {reasons}"
        assert reasons == [client.reason.TRANSPORT_ERROR]
    finally:
        client.disconnect()


@pytest.mark.redis
@pytest.mark.parametrize("auth", [None, {**FULL, "name": "Alice"}], ids=["protocol 1", "protocol 2"])
def test_sigterm_sends_clients_to_another_process_by_themselves(
    redis_server, live_server, proxy, peer, js_client, auth
):
    """Close the transports on SIGTERM: the socket.io client reconnects to the other process with no help."""
    a, b = (live_server("gevent", REDIS_URL=redis_server.url) for _ in range(2))
    balancer = proxy(a)
    client = js_client(balancer.url, auth=auth)
    client.wait_for("connect")
    balancer.target_port = b.port  # new connections go to b, as a load balancer would send them
    a.process.terminate()
    client.wait_for("connect", 2)
    disconnects = [event["args"][0] for event in client.events if event["event"] == "disconnect"]
    assert len(disconnects) == 1 and disconnects[0] in TRANSPORT_ENDED
    witness = peer(b)
    witness.send("still here")
    client.wait_for("room-message" if auth else "message")  # a protocol 1 message reaches both protocols
    if auth:  # the same guest: the credential of its welcome brings it back, on the other process
        first, second = (event["args"][0]["user"] for event in client.events if event["event"] == "welcome")
        assert second == first


@pytest.mark.redis
def test_a_guest_whose_process_died_resumes_as_itself(redis_server, live_server, peer):
    """Come back as the same person at once after a kill -9, with the resume secret; a copy without it is a new guest."""
    a, b = (live_server("gevent", REDIS_URL=redis_server.url) for _ in range(2))
    alice = peer(b, auth={**FULL, "name": "Alice"})
    [welcome] = alice.wait_for("welcome")
    b.stop(kill=True)  # a still holds Alice's connection in presence, for about 10 s
    copy = peer(a, auth={**FULL, "guest": welcome["guest"]})  # a duplicated tab: the credential alone
    assert copy.wait_for("welcome")[0]["user"]["id"] != welcome["user"]["id"]
    back = peer(a, auth={**FULL, "guest": welcome["guest"], "resume": welcome["resume"]})
    assert back.wait_for("welcome")[0]["user"] == welcome["user"]
    assert {member["id"] for member in back.wait_for("presence")[0]["members"]} >= {welcome["user"]["id"]}


@pytest.mark.redis
def test_a_stalled_process_s_clients_reconnect_by_themselves(redis_server, live_server, peer, js_client):
    """Close the transports of a process that learns it was dropped: the socket.io client comes back by itself."""
    a, b = (live_server("gevent", REDIS_URL=redis_server.url, PRESENCE_GRACE=1) for _ in range(2))
    witness = peer(a)  # a's sweeps (which drop silent processes) start with its first connection
    client = js_client(b.url, auth={**FULL, "name": "Alice"})
    client.wait_for("welcome")
    worker = worker_pid(b)
    os.kill(worker, signal.SIGSTOP)
    try:
        witness.wait_for("user-left", timeout=30)  # silent for 10 s, b is dropped by a
    finally:
        os.kill(worker, signal.SIGCONT)
    client.wait_for("welcome", 2, timeout=30)  # b learns it, closes the transport; the client reconnects to b
    disconnects = [event["args"][0] for event in client.events if event["event"] == "disconnect"]
    assert len(disconnects) == 1 and disconnects[0] in TRANSPORT_ENDED
