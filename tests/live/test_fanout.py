"""The WebSocket fast path: each broadcast written straight into every recipient's socket.

Unit tests drive chat.transport.outbox.Outbox on real loopback sockets under gevent (in this
process, without monkey-patching); the rest run the production server (gunicorn, one
gevent worker) with real clients at the path's edges: a full socket buffer, an upgrade
from long-polling while messages flow, recipients that vanish in the middle of a
broadcast, and thousands of broadcasts from many senders at once.
"""

import json
import logging
import socket
import struct
import threading

import engineio
import gevent
import gevent.socket
import pytest
import websocket
from engineio import packet as eio_packet
from wsproto.frame_protocol import FrameDecoder

from chat.transport.outbox import Outbox
from support import TIMEOUT
from support.clients import send_all_at_once

USER_LEFT = {"message": "A user left the chat"}


# ---------------------------------------------------------------------------
# The Outbox on real sockets


class CountingSocket(gevent.socket.socket):
    """gevent's socket, recording the buffers of every sendmsg call made on it."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls = []

    def sendmsg(self, buffers, *args):
        buffers = list(buffers)
        self.calls.append(len(buffers))
        return super().sendmsg(buffers, *args)


@pytest.fixture
def connection():
    """Return (server side as a CountingSocket, client side as a plain socket) of one loopback TCP connection."""
    listener = socket.create_server(("127.0.0.1", 0))
    client = socket.socket()
    # Small buffers, so a few hundred kilobytes fill them.
    client.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    client.connect(listener.getsockname())
    accepted, _ = listener.accept()
    listener.close()
    accepted.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    server_side = CountingSocket(fileno=accepted.detach())
    client.settimeout(TIMEOUT)
    yield server_side, client
    client.close()
    server_side.close()


@pytest.fixture
def engineio_socket():
    """Return a real Engine.IO session of a gevent Engine.IO server, as the Outbox's owner."""
    server = engineio.Server(async_mode="gevent")
    server.chat_send_bounds = (50, 10_000_000)
    return engineio.socket.Socket(server, "session-1")


def message(text):
    """Return an Engine.IO MESSAGE packet carrying ``text``."""
    return eio_packet.Packet(eio_packet.MESSAGE, text)


def read_frames(sock, count):
    """Read ``count`` WebSocket frames from ``sock``; return their payloads as text."""
    decoder, payloads = FrameDecoder(client=True), []
    while len(payloads) < count:
        data = sock.recv(65536)
        assert data, f"the connection closed after {len(payloads)} of {count} frames"
        decoder.receive_bytes(data)
        while (frame := decoder.process_buffer()) is not None:
            payload = frame.payload
            payloads.append(payload.decode() if isinstance(payload, (bytes, bytearray)) else payload)
    return payloads


def fill(outbox, text):
    """Put packets until the kernel refuses part of one; return the texts put."""
    sent = []
    while not outbox.qsize():
        sent.append(f"{len(sent)}:{text}")
        outbox.put(message(sent[-1]))
    return sent


def test_a_packet_is_written_by_the_caller_when_nothing_waits(connection, engineio_socket):
    """Write a packet into the socket within put itself: no writer greenlet, nothing left waiting."""
    server_side, client = connection
    outbox = Outbox(engineio_socket, server_side, lambda: None)
    pkt = message('2["message","hello"]')
    outbox.put(pkt)
    assert outbox.writer is None and outbox.qsize() == 0 and outbox.bytes == 0
    assert read_frames(client, 1) == ['42["message","hello"]']
    assert server_side.calls == [1]


def test_a_full_socket_buffer_queues_in_order_and_one_call_sends_the_backlog(connection, engineio_socket):
    """Queue what the kernel does not take, behind the rest of a partly written frame; send it all in one call."""
    server_side, client = connection
    outbox = Outbox(engineio_socket, server_side, lambda: None)
    texts = fill(outbox, "x" * 1000)
    texts += [f"{len(texts) + n}:after" for n in range(20)]
    for text in texts[-20:]:
        outbox.put(message(text))
    assert outbox.qsize() == 21  # the end of the frame the kernel cut, and 20 behind it
    assert 0 < outbox.bytes < 1100 + 20 * 20
    direct_calls = len(server_side.calls)
    reader = threading.Thread(target=lambda: received.extend(read_frames(client, len(texts))))
    received = []
    reader.start()
    outbox.writer.join(TIMEOUT)
    reader.join(TIMEOUT)
    assert received == ["4" + text for text in texts]
    assert server_side.calls[direct_calls] == 21  # the writer's first call carried the whole backlog
    assert outbox.qsize() == 0 and outbox.bytes == 0 and outbox.writer is None


def test_the_packet_bound_cuts_a_client_whose_backlog_is_full(connection, engineio_socket, caplog):
    """Cut the client when MAX_QUEUED_PACKETS frames wait; drop the packet that passed the bound."""
    server_side, client = connection
    outbox = Outbox(engineio_socket, server_side, lambda: None)
    fill(outbox, "y" * 1000)
    for n in range(60):
        outbox.put(message(f"late {n}"))
    assert outbox.qsize() == 50
    assert engineio_socket.hanging_up
    assert [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING] == [
        "closing session-1: 50 packets wait to be sent to it"
    ]


def test_a_peer_that_vanishes_costs_the_broadcaster_nothing(connection, engineio_socket):
    """Forget a connection whose socket failed in the middle of writing to it; later puts are dropped quietly."""
    server_side, client = connection
    outbox = Outbox(engineio_socket, server_side, lambda: None)
    client.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    client.close()  # a reset, as a killed client's kernel sends
    for n in range(100):
        outbox.put(message(f"{n}"))  # the first one or two meet the reset; none raises
    assert outbox.broken and outbox.qsize() == 0 and outbox.bytes == 0


def test_close_sends_what_waits_then_closes_the_websocket(connection, engineio_socket):
    """End the connection (Engine.IO's put(None)) only after every frame queued before it went out."""
    server_side, client = connection
    closed = []
    outbox = Outbox(engineio_socket, server_side, lambda: closed.append(outbox.qsize()))
    texts = fill(outbox, "z" * 1000)
    outbox.put(None)
    outbox.put(message("after the end"))  # dropped: nobody sends after Engine.IO's close
    received = []
    reader = threading.Thread(target=lambda: received.extend(read_frames(client, len(texts))))
    reader.start()
    outbox.writer.join(TIMEOUT)
    reader.join(TIMEOUT)
    assert received == ["4" + text for text in texts]
    assert closed == [0]


# ---------------------------------------------------------------------------
# The production server at the fast path's edges


def websocket_url(server):
    return server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket"


def stalled_client(server):
    """Connect a raw WebSocket client to the seed protocol that will not read until told to."""
    ws = websocket.WebSocket(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    ws.connect(websocket_url(server), timeout=TIMEOUT)
    assert ws.recv().startswith("0{")
    ws.send("40")
    assert ws.recv().startswith("40")
    return ws


def seed_messages(ws, count):
    """Read from raw WebSocket ``ws`` until ``count`` seed ``message`` events came; answer pings; return their texts."""
    texts = []
    while len(texts) < count:
        frame = ws.recv()
        if frame == "2":
            ws.send("3")
        elif frame.startswith('42["message"'):
            texts.append(json.loads(frame[2:])[1])
    return texts


def test_a_recipient_with_a_full_socket_buffer_gets_everything_later_in_order(live_server, peer):
    """Keep broadcasting past a recipient that stopped reading; once it reads, it gets every message in order."""
    server = live_server("production", FLOOD_BURST=0, MAX_QUEUED_BYTES=50_000_000)
    stalled = stalled_client(server)
    sender, bystander = peer(server), peer(server)
    server.wait_for_connections(3)
    texts = [f"{n}:" + "x" * 1990 for n in range(3000)]  # 6 MB: more than any socket buffer holds
    for text in texts:
        assert sender.send(text) == {"ok": True}
    assert bystander.wait_for("message", len(texts)) == texts  # nobody waited for the stalled one
    assert seed_messages(stalled, len(texts)) == texts
    stalled.close()
    assert "Traceback" not in server.log()


def test_a_recipient_upgrading_from_polling_while_messages_flow_misses_nothing(live_server, peer):
    """Give a client that upgrades to WebSocket mid-stream every message after its connect, once each, in order."""
    server = live_server("production", FLOOD_BURST=0)
    sender = peer(server)
    flowing, stop = threading.Event(), threading.Event()
    sent = []

    def send():
        while not stop.is_set():
            sent.append(f"m{len(sent)}")
            assert sender.send(sent[-1]) == {"ok": True}  # paced by the server's acknowledgements
            if len(sent) == 50:
                flowing.set()

    thread = threading.Thread(target=send)
    thread.start()
    try:
        flowing.wait(TIMEOUT)
        upgrading = [peer(server, "default") for _ in range(5)]  # long-polling first, then WebSocket
        for client in upgrading:
            client.wait_for("message", 200)  # still flowing: the upgrade happened in the middle of it
        assert all(client.client.transport() == "websocket" for client in upgrading)
    finally:
        stop.set()
        thread.join()
    assert sender.wait_for("message", len(sent)) == sent
    for client in upgrading:
        got = client.received("message")
        first = sent.index(got[0])
        tail = client.wait_for("message", len(sent) - first)
        assert tail == sent[first:]


def test_recipients_vanishing_in_the_middle_of_broadcasts_cost_the_others_nothing(live_server, peer):
    """Broadcast on while recipients reset their connections, some with a backlog, some without."""
    server = live_server("production", FLOOD_BURST=0, MAX_QUEUED_BYTES=50_000_000)
    vanishing = [stalled_client(server) for _ in range(20)]
    sender, bystander = peer(server), peer(server)
    server.wait_for_connections(22)
    texts = [f"{n}:" + "v" * 1000 for n in range(1000)]
    for n, text in enumerate(texts):
        sender.client.emit("newMessage", text)
        if n % 50 == 25:  # one goes every 50 messages, in the middle of the stream
            gone = vanishing.pop()
            gone.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            gone.sock.close()
    assert sender.wait_for("message", len(texts)) == texts
    assert bystander.wait_for("message", len(texts)) == texts
    assert bystander.wait_for("user-left", 20) == [USER_LEFT] * 20
    server.wait_for_connections(2)
    assert sender.send("still chatting") == {"ok": True}
    assert "Traceback" not in server.log()


def test_thousands_of_broadcasts_from_many_senders_keep_every_order(live_server, peer):
    """Deliver 2,000 messages from 10 senders at once to 30 clients, each sender's in order and each room's ids in order."""
    server = live_server("production", FLOOD_BURST=0)
    senders = [peer(server) for _ in range(10)]
    seed = [peer(server, transport) for transport in ["websocket"] * 12 + ["polling"] * 4 + ["default"] * 4]
    full = [peer(server, auth={"protocol": 2, "name": f"Reader{n}"}) for n in range(4)]
    server.wait_for_connections(34)
    per_sender = 200
    send_all_at_once(senders, lambda index: [("newMessage", f"{index}:{n}") for n in range(per_sender)])
    total = per_sender * len(senders)
    for client in senders + seed:
        received = client.wait_for("message", total)
        assert len(received) == total
        for index in range(len(senders)):
            assert [text for text in received if text.startswith(f"{index}:")] == [
                f"{index}:{n}" for n in range(per_sender)
            ]
    for client in full:
        messages = client.wait_for("room-message", total)
        assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
        assert len({m["id"] for m in messages}) == total
