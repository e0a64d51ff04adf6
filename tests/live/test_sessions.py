"""Engine.IO sessions and send queues against the production server (gunicorn, gevent).

Below the Socket.IO handlers: sessions that never connect to Socket.IO count against the
per-address limit and are closed when idle, and a client that stops reading is cut by
the bytes waiting for it, not only by their number.
"""

import socket

import pytest
import requests
import socketio
import websocket

from support import TIMEOUT

USER_LEFT = {"message": "A user left the chat"}
REFUSAL = "too many new connections from your address: try again in"


def engineio_url(server, transport):
    """Return the Engine.IO handshake URL of ``server`` for ``transport``."""
    url = f"{server.url}/socket.io/?EIO=4&transport={transport}"
    return url.replace("http", "ws") if transport == "websocket" else url


def bare_session(server, transport):
    """Open an Engine.IO session and never connect to Socket.IO; return the WebSocket, or the sid."""
    if transport == "websocket":
        ws = websocket.create_connection(engineio_url(server, transport), timeout=TIMEOUT)
        assert ws.recv().startswith("0{")
        return ws
    answer = requests.get(engineio_url(server, transport), timeout=TIMEOUT)
    assert answer.status_code == 200 and answer.text.startswith("0{")
    return answer.text.split('"sid":"')[1].split('"')[0]


def refused_handshake(server, transport):
    """Open an Engine.IO session that must be refused; return (HTTP status, JSON body)."""
    headers = {}
    if transport == "websocket":
        with pytest.raises(websocket.WebSocketBadStatusException) as refusal:
            websocket.create_connection(engineio_url(server, transport), timeout=TIMEOUT)
        assert refusal.value.status_code == 401
        # websocket-client drops the body of a refused handshake: ask again for it, as the same upgrade.
        headers = {
            "Connection": "Upgrade",
            "Upgrade": "websocket",
            "Sec-WebSocket-Version": "13",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
        }
    answer = requests.get(f"{server.url}/socket.io/?EIO=4&transport={transport}", headers=headers, timeout=TIMEOUT)
    return answer.status_code, answer.json()


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_bare_sessions_count_against_the_per_address_limit(live_server, peer, transport):
    """Admit 3 sessions a minute from one address, Socket.IO or not; refuse the 4th at the handshake."""
    server = live_server("production", CONNECTIONS_PER_MINUTE=3)
    chatting = peer(server)
    sessions = [bare_session(server, transport) for _ in range(2)]
    status, body = refused_handshake(server, transport)
    assert status == 401 and body["message"].startswith(REFUSAL)
    with pytest.raises(socketio.exceptions.ConnectionError):
        peer(server, "polling")
    assert chatting.send("the admitted one chats on") == {"ok": True}
    for session in sessions:
        if transport == "websocket":
            session.close()


def test_a_socketio_connect_is_not_counted_again(live_server, peer):
    """Count a client's session once: 2 a minute admit 2 Socket.IO clients, each upgraded from polling."""
    server = live_server("production", CONNECTIONS_PER_MINUTE=2)
    first, second = peer(server, "default"), peer(server, "default")
    assert first.send("both in") == {"ok": True}
    assert second.wait_for("message") == ["both in"]
    status, body = refused_handshake(server, "polling")
    assert status == 401 and body["message"].startswith(REFUSAL)


def test_an_idle_websocket_session_is_closed(live_server, peer):
    """Close a WebSocket session with no Socket.IO connect after CONNECT_TIMEOUT; a connected one stays."""
    server = live_server("production", CONNECT_TIMEOUT=0.5)
    chatting = peer(server)
    ws = bare_session(server, "websocket")
    assert ws.recv() == "1"  # Engine.IO's close packet, long before the first ping (25 s)
    assert ws.recv() == ""  # then the WebSocket's own close
    assert chatting.send("still connected") == {"ok": True}
    assert chatting.received("disconnect") == []


def test_an_idle_polling_session_is_closed(live_server):
    """Answer an idle long-polling session's waiting GET with the close packet, then forget the session."""
    server = live_server("production", CONNECT_TIMEOUT=0.5)
    sid = bare_session(server, "polling")
    session_url = f"{engineio_url(server, 'polling')}&sid={sid}"
    waiting = requests.get(session_url, timeout=TIMEOUT)  # no ping before 25 s: only the close ends it
    assert waiting.status_code == 200 and waiting.text == "1"
    assert requests.get(session_url, timeout=TIMEOUT).status_code == 400


def test_a_slow_reader_is_cut_by_the_bytes_waiting(live_server, peer):
    """Cut a client that stops reading once MAX_QUEUED_BYTES wait for it, far below MAX_QUEUED_PACKETS."""
    server = live_server("production", MAX_QUEUED_BYTES=1_000_000, FLOOD_BURST=0)
    stalled = websocket.WebSocket(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    stalled.connect(engineio_url(server, "websocket"), timeout=TIMEOUT)
    stalled.recv()
    stalled.send("40")
    stalled.recv()  # connected; from now on it reads nothing
    sender = peer(server)
    server.wait_for_connections(2)
    text = "😀" * 2000  # a longest message, 12 bytes a code point once JSON-escaped
    for _ in range(1000):  # 24 MB: far more than the socket buffers and the byte bound; 1,000 packets
        assert sender.send(text) == {"ok": True}
        if sender.received("user-left"):
            break
    assert sender.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    log = server.log()
    assert "bytes wait to be sent to it" in log and "packets wait to be sent to it" not in log
    assert sender.send("still chatting") == {"ok": True}
    stalled.close()
