"""The layer under the handlers, against real server processes: what a client may send on the wire.

Raw WebSocket and long-polling clients send what no Socket.IO library would: reserved event
names, malformed frames, binary attachments, oversize and unparsable packets. A seed
client beside them must hear nothing forged, and nothing may stay online after them.
"""

import json
import socket
from importlib import metadata

import pytest
import requests
import websocket
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chat import create_app
from support import TEST_SETTINGS, TIMEOUT

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}


class RawSocket:
    """A WebSocket speaking Engine.IO by hand, joined to the default namespace."""

    def __init__(self, server):
        self.ws = websocket.create_connection(
            server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
        )
        assert self.ws.recv().startswith("0{")
        self.ws.send("40")
        assert self.ws.recv().startswith("40")

    def send(self, frame):
        self.ws.send_binary(frame) if isinstance(frame, bytes) else self.ws.send(frame)

    def next(self, prefix):
        """Return the next frame starting with ``prefix``, answering pings on the way."""
        while True:
            frame = self.ws.recv()
            if frame == "2":
                self.ws.send("3")
            elif frame.startswith(prefix):
                return frame

    def ack(self, ack_id):
        """Return the payload of the acknowledgement ``ack_id``."""
        return json.loads(self.next(f"43{ack_id}")[len(f"43{ack_id}") :])[0]

    def refusal(self, ack_id):
        """Return the ``chat-error`` payload, then the acknowledgement ``ack_id``, of a refused event."""
        error = json.loads(self.next('42["chat-error"')[2:])[1]
        return error, self.ack(ack_id)

    def frames_until_closed(self):
        """Return every frame the server sends until it closes the connection."""
        frames = []
        try:
            while frame := self.ws.recv():
                frames.append(frame)
        except (websocket.WebSocketConnectionClosedException, ConnectionError):
            pass
        return frames

    def close(self):
        self.ws.close()


class RawPolling:
    """A long-polling Engine.IO session by hand, joined to the default namespace."""

    def __init__(self, server):
        self.url = server.url + "/socket.io/?EIO=4&transport=polling"
        self.port = server.port
        opening = requests.get(self.url, timeout=TIMEOUT).text
        self.sid = json.loads(opening[1:])["sid"]
        self.url += f"&sid={self.sid}"
        assert self.post("40").status_code == 200
        assert self.get().startswith("40")

    def post(self, body):
        return requests.post(self.url, data=body, timeout=TIMEOUT)

    def get(self):
        return requests.get(self.url, timeout=TIMEOUT).text

    def raw_post(self, head, body=b""):
        """Send a POST with ``head`` (extra header lines) and ``body`` as given; return the status code."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=TIMEOUT) as conn:
            path = self.url.split(str(self.port), 1)[1]
            conn.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{head}\r\n".encode() + body)
            return int(conn.recv(4096).split(b" ", 2)[1])


def people(server):
    return requests.get(server.url + "/healthz", timeout=TIMEOUT).json()


def tracebacks(server):
    return server.log().count("Traceback")


# --- Reserved event names -----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["production", "flask"])
def test_reserved_event_names_are_refused_not_dispatched(live_server, peer, kind):
    """Refuse connect, disconnect and * as events: nothing forged, no ghost, one log line, no traceback."""
    server = live_server(kind)
    bystander = peer(server)
    attacker = RawSocket(server)
    assert bystander.wait_for("user-joined") == [USER_JOINED]
    for ack_id, name in enumerate(["disconnect", "connect", "*", "connect", "disconnect", "transport-refused"], 1):
        attacker.send(f'42{ack_id}["{name}", {{"protocol": 2}}]')
        error, ack = attacker.refusal(ack_id)
        assert ack["ok"] is False and ack["code"] == "reserved_event", ack
        assert error["event"] == name and error["code"] == "reserved_event"
    for spelling in ['42["\\u0063onnect"]', '42 ["disconnect"]', '421-["disconnect"]']:  # escaped, spaced, counted
        attacker.send(spelling)
        assert json.loads(attacker.next('42["chat-error"')[2:])[1]["code"] == "reserved_event"
    attacker.send('42["newMessage","marker"]')
    assert bystander.wait_for("message") == ["marker"]
    assert people(server) == {"status": "ok", "connections": 2, "people": 2}
    attacker.close()
    assert bystander.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert people(server)["people"] == 1
    assert [name for name, _ in bystander.events] == ["user-joined", "message", "user-left"]
    assert server.log().count("refused the reserved event name") == 1
    assert tracebacks(server) == 0


def test_reserved_event_names_take_flood_allowance(live_server):
    """Count a reserved name against the flood limit: a forged connect does not refill the bucket."""
    server = live_server("production", FLOOD_BURST=3, FLOOD_RATE=0.01)
    attacker = RawSocket(server)
    for ack_id in range(1, 4):
        attacker.send(f'42{ack_id}["connect"]')
        assert attacker.ack(ack_id)["code"] == "reserved_event"
    attacker.send('424["newMessage","one more"]')
    assert attacker.ack(4)["code"] == "rate_limited"
    attacker.close()


# --- Malformed and binary frames ----------------------------------------------------------


@pytest.mark.parametrize("kind", ["production", "gunicorn", "flask"])
@pytest.mark.parametrize(
    "frame",
    [
        "",  # an empty text frame
        "x",  # not an Engine.IO packet type
        b"\x04binary",  # a binary Engine.IO message
        "bBAQI=",  # a base64 binary message
        '451-["newMessage",{"_placeholder":true,"num":0}]',  # a binary event announcing an attachment
        '461-[{"_placeholder":true,"num":0}]',  # a binary acknowledgement
        "42[1]",  # an event whose name is a number
        "49",  # an unknown Socket.IO packet type
    ],
)
def test_a_bad_frame_closes_only_its_own_connection(live_server, peer, kind, frame):
    """Close the sender of a malformed or binary frame at once: its people leave, others chat on."""
    server = live_server(kind)
    bystander = peer(server)
    sender = RawSocket(server)
    assert bystander.wait_for("user-joined") == [USER_JOINED]
    sender.send(frame)
    assert bystander.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert people(server)["people"] == 1
    sender.frames_until_closed()  # the server closed it
    assert bystander.send("still here") == {"ok": True}
    assert "closing" in server.log() and tracebacks(server) == 0


def test_binary_attachments_are_not_buffered(live_server, peer):
    """Close a connection that announces attachments before any is buffered: the next frames go nowhere."""
    server = live_server("production")
    bystander = peer(server)
    sender = RawSocket(server)
    sender.send('459999999999-["newMessage",{"_placeholder":true,"num":0}]')
    sender.frames_until_closed()
    assert bystander.wait_for("user-left") == [USER_LEFT]
    assert "announced a binary attachment" in server.log()


# --- Long-polling POSTs -------------------------------------------------------------------


SMALL_PACKETS = {"FLOOD_BURST": 1, "MAX_MESSAGE_LENGTH": 100, "MAX_PACKET_BYTES": 2000}


@pytest.mark.parametrize("kind", ["production", "flask"])
def test_an_oversize_post_is_answered_at_once_with_no_get_waiting(live_server, peer, kind):
    """Answer 413 to a POST announcing more than MAX_PACKET_BYTES, unread; close its session; stop promptly."""
    server = live_server(kind)
    bystander = peer(server)
    session = RawPolling(server)
    assert bystander.wait_for("user-joined") == [USER_JOINED]
    assert session.raw_post("Content-Length: 3000000\r\n") == 413
    assert bystander.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert bystander.send("still here") == {"ok": True}
    if kind == "production":
        server.process.terminate()  # nothing holds it for gunicorn's 30-second graceful timeout
        assert server.process.wait(TIMEOUT) == 0


@pytest.mark.parametrize("kind", ["production", "flask"])
def test_an_oversize_chunked_post_is_refused_without_reading_it_all(live_server, peer, kind):
    """Answer 413 to a chunked POST (no Content-Length) longer than MAX_PACKET_BYTES, and close its session."""
    server = live_server(kind, **SMALL_PACKETS)
    bystander = peer(server)
    session = RawPolling(server)
    chunk = b"4" + b"x" * 999
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(3)) + b"0\r\n\r\n"
    assert session.raw_post("Transfer-Encoding: chunked\r\n", body) == 413
    assert bystander.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"", 400),
        (b"x", 400),
        (b"\xff\xfe", 400),
        (b"4hello\x1e", 400),
        (b"0", 400),
        (b"2", 400),
        (b"6", 400),  # a NOOP: Engine.IO would close the session and wait for a poll, never answering
        (b"bBAQI=", 400),
        (b"451-[{}]", 200),  # well framed for Engine.IO: the Socket.IO packet is refused above it
    ],
)
def test_a_malformed_post_closes_its_session(live_server, peer, body, status):
    """Answer 400 to a long-polling body Engine.IO cannot decode, and close only that session."""
    server = live_server("production")
    bystander = peer(server)
    session = RawPolling(server)
    assert session.post(body).status_code == status
    assert bystander.wait_for("user-left") == [USER_LEFT]
    server.wait_for_connections(1)
    assert tracebacks(server) == 0


# --- Length before parsing ----------------------------------------------------------------


@pytest.mark.parametrize("kind", ["production", "flask"])
def test_an_event_past_the_longest_valid_one_is_refused_unparsed(live_server, peer, kind):
    """Refuse too_long from the length alone: a packet that is not even valid JSON gets the same refusal."""
    server = live_server(kind)
    bystander = peer(server)
    sender = RawSocket(server)
    sender.send('4217["newMessage","' + "x" * 200_000)  # past any MAX_EVENT_LENGTH, never closed: not JSON
    error, ack = sender.refusal(17)
    assert ack["ok"] is False and ack["code"] == "too_long", ack
    assert error["event"] == "newMessage" and error["code"] == "too_long"
    sender.send('4218["newMessage","after"]')
    assert sender.ack(18) == {"ok": True}
    assert bystander.wait_for("message") == ["after"]
    assert tracebacks(server) == 0
    sender.close()


def test_the_longest_valid_message_still_fits(live_server, peer):
    """Accept a longest message escaped at its longest: the length bound refuses no valid event."""
    server = live_server("production")
    sender = peer(server)
    text = "😀" * 2000  # python-socketio's json.dumps escapes each as \ud83d\ude00: 24,000 characters
    assert (
        sender.send({"room": "general", "text": text, "clientId": "\x02" * 64}, event="send-message")["code"]
        == "unknown_event"
    )  # protocol 1: but not too_long
    assert sender.send(text) == {"ok": True}


# --- Start-up -----------------------------------------------------------------------------


def test_other_library_versions_stop_the_start(monkeypatch):
    """Refuse to start on a python-socketio other than the one chat/transport/ was written for, naming both."""
    real = metadata.version
    monkeypatch.setattr(metadata, "version", lambda name: "5.99.0" if name == "python-socketio" else real(name))
    with pytest.raises(RuntimeError, match=r"python-socketio 5\.18\.1.*python-socketio 5\.99\.0"):
        create_app(TEST_SETTINGS)


# --- Fuzzing ------------------------------------------------------------------------------

EVENT_NAMES = [
    "newMessage",
    "send-message",
    "join-room",
    "leave-room",
    "create-room",
    "list-rooms",
    "rename",
    "typing",
    "history",
    "connect",
    "disconnect",
    "*",
    "transport-refused",
    "message",
    "user-left",
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@st.composite
def socketio_packets(draw):
    """Draw a Socket.IO packet: well formed, of any type, or with a random tail."""
    kind = draw(st.sampled_from("0123456789x"))
    attachments = draw(st.sampled_from(["", "", "1-", "9999999999-", "0-"]))
    namespace = draw(st.sampled_from(["", "", "", "/", "/admin,", "/,"]))
    ack_id = draw(st.sampled_from(["", "", "1", "99", "9" * 101]))
    data = draw(
        st.one_of(
            st.tuples(st.sampled_from(EVENT_NAMES), st.lists(JSON_VALUES, max_size=3)).map(
                lambda event: json.dumps([event[0], *event[1]])
            ),
            JSON_VALUES.map(json.dumps),
            st.text(max_size=60),
        )
    )
    return kind + attachments + namespace + ack_id + data


@st.composite
def mutated(draw, packets):
    """Draw a packet and perhaps break it: cut it short, or change, add or drop characters."""
    text = draw(packets)
    for _ in range(draw(st.integers(0, 3))):
        where = draw(st.integers(0, len(text)))
        how = draw(st.sampled_from(["cut", "insert", "drop", "long"]))
        if how == "cut":
            text = text[:where]
        elif how == "insert":
            text = text[:where] + draw(st.text(min_size=1, max_size=3)) + text[where:]
        elif how == "drop":
            text = text[:where] + text[where + 1 :]
        else:
            text = text[:where] + "x" * 20_000 + text[where:]
    return text


ENGINEIO_FRAMES = st.one_of(
    mutated(socketio_packets()).map(lambda packet: "4" + packet),
    mutated(st.sampled_from(["1", "2", "2probe", "3", "5", "6", "0", "9", "b", "bAAE=", "4"])),
    st.text(max_size=30),
    st.binary(max_size=30),
)


def fuzz_websocket(server, frames, connect):
    """Send ``frames`` over one raw WebSocket, joining the namespace first if ``connect``; then close."""
    ws = websocket.create_connection(
        server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
    )
    try:
        ws.recv()
        if connect:
            ws.send("40")
        for frame in frames:
            ws.send_binary(frame) if isinstance(frame, bytes) else ws.send(frame)
    except (OSError, websocket.WebSocketException):
        pass  # the server closed it: as it should for many of these
    finally:
        ws.close()


def fuzz_polling(server, frames, connect):
    """Send ``frames`` in long-polling POSTs of one session, joining the namespace first if ``connect``; then close."""
    url = server.url + "/socket.io/?EIO=4&transport=polling"
    sid = json.loads(requests.get(url, timeout=TIMEOUT).text[1:])["sid"]
    url += f"&sid={sid}"
    if connect:
        requests.post(url, data="40", timeout=TIMEOUT)
    batch = [frame.decode("latin-1") if isinstance(frame, bytes) else frame for frame in frames]
    for start in range(0, len(batch), 5):
        requests.post(url, data="\x1e".join(batch[start : start + 5]).encode(), timeout=TIMEOUT)
    requests.post(url, data="1", timeout=TIMEOUT)


@pytest.mark.fuzz
def test_fuzzed_packets_forge_nothing_and_leave_nothing(live_server, peer):
    """Survive a few thousand random and mutated packets on both transports, forging and leaving nothing."""
    server = live_server("production", CONNECTIONS_PER_MINUTE=0, FLOOD_BURST=0, PRESENCE_GRACE=0)
    bystander = peer(server)
    sent = []

    @settings(max_examples=600, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(frames=st.lists(ENGINEIO_FRAMES, min_size=8, max_size=30), polling=st.booleans(), connect=st.booleans())
    def fuzz(frames, polling, connect):
        (fuzz_polling if polling else fuzz_websocket)(server, frames, connect)
        sent.append(len(frames))

    fuzz()
    assert sum(sent) >= 3000  # a few thousand packets
    assert server.process.poll() is None
    server.wait_for_connections(1)
    assert people(server) == {"status": "ok", "connections": 1, "people": 1}
    assert bystander.send("marker") == {"ok": True}
    while bystander.received("message")[-1:] != ["marker"]:
        bystander.wait_for("message", len(bystander.received("message")) + 1)
    online = 0
    for event, payload in bystander.events:
        if event == "user-joined":
            online += 1
        elif event == "user-left":
            online -= 1
            assert online >= 0, "a departure nobody arrived for"
        else:
            assert event == "message" and isinstance(payload, str), (event, payload)
    assert online == 0, "an arrival that never left"
    assert "Traceback" not in server.log()


def test_an_event_length_below_the_longest_valid_packet_stops_the_start():
    """Refuse a MAX_EVENT_LENGTH that would refuse valid events, naming the setting."""
    with pytest.raises(ValueError, match="CHAT_MAX_EVENT_LENGTH"):
        create_app({**TEST_SETTINGS, "MAX_EVENT_LENGTH": 1000})
