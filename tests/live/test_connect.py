"""Connecting, against real server processes: nothing before CONNECT, and what a broken connect leaves behind.

The socket.io JavaScript client buffers whatever arrives before Socket.IO's CONNECT and
replays it into its next connection if the transport dies first, so the server must send
nothing but CONNECT (or CONNECT_ERROR) before CONNECT: not the welcome, not a catch-up, not
a room's broadcast that races the connect.
"""

import json
import threading

import pytest
import requests
import websocket

from support import TIMEOUT

FULL = {"protocol": 2}


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
