"""The transport: Socket.IO and Engine.IO options, limits and checks below the event handlers.

Every reach into python-engineio's, python-socketio's or simple-websocket's internals lives
in this module, written for the versions in ``WRITTEN_FOR``; ``check_versions`` refuses to
start with others.
"""

import io
import itertools
import json
import logging
import math
import re
import socket
import sys
import threading
import time
import urllib.parse
from collections import deque
from importlib import metadata

import simple_websocket
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from engineio.payload import Payload
from socketio import packet as sio_packet
from socketio.base_server import BaseServer
from wsproto.utilities import LocalProtocolError

from . import metrics


def async_mode(config):
    """Return the configured async mode, or gevent when gevent has patched the standard library."""
    if config["ASYNC_MODE"]:
        return config["ASYNC_MODE"]
    try:
        from gevent import monkey
    except ImportError:
        return "threading"
    return "gevent" if monkey.is_module_patched("socket") else "threading"


def socketio_options(config):
    """Return the keyword arguments for ``SocketIO.init_app``."""
    origins = config["CORS_ORIGINS"]
    return {
        "async_mode": async_mode(config),
        # None makes Engine.IO accept same-origin requests only; a list or "*" widens that.
        "cors_allowed_origins": ("*" if origins == ["*"] else origins) or None,
        # Handle a connection's events one at a time, in order: per-sender order depends on it.
        "async_handlers": False,
        "max_http_buffer_size": config["MAX_PACKET_BYTES"],
        "ping_interval": config["PING_INTERVAL"],
        "ping_timeout": config["PING_TIMEOUT"],
        "serializer": packet_class(config["MAX_EVENT_LENGTH"]),
    }


def allow_batched_packets(max_packets):
    """Let one long-polling request carry up to ``max_packets`` Engine.IO packets.

    The socket.io JavaScript client sends everything it has queued in one POST; past
    Engine.IO's default of 16 packets the whole request is dropped, messages and all.
    Engine.IO reads this limit from a class attribute, so it is one value per process.
    """
    Payload.max_decode_packets = max_packets


class _UnstartedThread:
    """A reader thread for simple-websocket that never runs: the connection's greenlet reads instead."""

    name = "unstarted (the connection's greenlet reads)"

    def __init__(self, target):
        pass

    def start(self):
        pass


class _BoundedWebSocket(simple_websocket.Server):
    """simple-websocket's server, made to end its reader when a message is too big.

    On a too-big message simple-websocket wakes the reader before it marks the socket
    closed, so a reader woken in between waits forever, holding its thread and socket.
    """

    def _handle_events(self):
        keep_going = super()._handle_events()
        if not keep_going:
            self.connected = False
            self.event.set()
        return keep_going


def configure_websockets(eio_server, max_bytes, compression):
    """Make WebSocket connections refuse a message larger than ``max_bytes`` while reading it,
    and compress frames only with ``compression``.

    Engine.IO checks the size of a WebSocket message only after simple-websocket has
    buffered all of it, so one client could make the server hold any amount of memory.
    simple-websocket can stop at a size (closing with 1009, "message too big"), but
    Engine.IO does not pass one; this wraps its WebSocket class to do so.

    simple-websocket accepts permessage-deflate whenever a client offers it, as browsers and
    Node clients do: one zlib compression per frame per recipient, the most expensive part
    of a broadcast of short chat messages. Without ``compression`` the offer is not seen.
    """
    websocket_class = eio_server._async["websocket"]
    if not (isinstance(websocket_class, type) and issubclass(websocket_class, SimpleWebSocketWSGI)):
        return  # another WebSocket server (gevent-websocket, ...) enforces its own limits

    class LimitedWebSocket(websocket_class):
        def __call__(self, environ, start_response):
            # As SimpleWebSocketWSGI.__call__, with the bounded server and the size limit.
            if not compression:
                # In place: simple-websocket keeps the environ for the connection's life, and a
                # copy would double what the WSGI server's own reference already holds.
                environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
            # On the fast path the connection's own greenlet reads its socket (read_inline), so
            # simple-websocket is given a reader thread that never starts.
            self.inline = not compression and _is_gevent_socket(
                environ.get("werkzeug.socket") or environ.get("gunicorn.socket"))
            args = {**self.server_args, "thread_class": _UnstartedThread} if self.inline else self.server_args
            self.ws = _BoundedWebSocket(environ, max_message_size=max_bytes, **args)
            # Chat frames are small and each should leave at once: without TCP_NODELAY, Nagle's
            # algorithm holds a frame until the previous one is acknowledged (up to 40 ms on Linux).
            self.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Let bound_send_queues cut this connection: self.app is the Engine.IO socket's handler.
            self.app.__self__.raw_socket = self.ws.sock
            try:
                if self.inline:
                    result = _serve_websocket(self.app.__self__, self)
                else:
                    result = self.app(self)
            except MalformedFrame:
                # Raised while upgrading from long-polling, where Engine.IO has no try around
                # its decoding: close the session here, or it stays counted, with its people.
                self.app.__self__.close(wait=False, abort=True)
                self.close()
                result = []
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return result

        def wait(self):
            # Engine.IO decodes each frame outside its try: a frame it cannot decode would end
            # the connection's handler with a traceback and leave the session open, counted.
            message = self.read_inline() if self.inline else super().wait()
            problem = frame_problem(message)
            if problem:
                logger.warning("closing %s: %s", self.app.__self__.sid, problem)
                raise MalformedFrame(problem)
            return message

        def read_inline(self):
            """Return the next message from the socket, read by the calling greenlet; None once it closed.

            simple-websocket's reader thread, run in place: no second greenlet per
            connection, no switch and no Event for every message received.
            """
            ws = self.ws
            while not ws.input_buffer:
                if not ws.connected:
                    return None
                try:
                    data = ws.sock.recv(ws.receive_bytes)
                    if not data:
                        raise OSError("the client closed the connection")
                    ws.ws.receive_data(data)
                    ws.connected = ws._handle_events()
                except (OSError, LocalProtocolError):
                    ws.connected = False
            return ws.input_buffer.pop(0)

        if not compression:
            def send(self, message):
                # Every delivery of a broadcast ends here, once per recipient. Without
                # compression a server's frame is a 2-to-10-byte header and the payload,
                # so it is written directly instead of through wsproto's general framing.
                if not self.ws.connected:
                    raise OSError("the WebSocket is closed")
                self.ws.sock.sendall(_frame(message))

    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "websocket": LimitedWebSocket}


def _frame(message):
    """Return ``message`` as one unmasked, final WebSocket frame: text for str, binary for bytes."""
    if isinstance(message, str):
        payload, opcode = message.encode(), 0x81
    else:
        payload, opcode = bytes(message), 0x82
    size = len(payload)
    if size < 126:
        header = bytes((opcode, size))
    elif size < 65536:
        header = bytes((opcode, 126)) + size.to_bytes(2, "big")
    else:
        header = bytes((opcode, 127)) + size.to_bytes(8, "big")
    return header + payload


logger = logging.getLogger(__name__)


# --- The WebSocket fast path (gevent): a broadcast written straight into each socket -------
#
# Engine.IO queues every packet for a WebSocket client and has a writer greenlet per client
# take it out (building a gevent Timeout per packet), encode it and write it in one system
# call per packet. Here, under gevent and without compression, a client's Engine.IO queue is
# replaced, once it is on WebSocket, by an Outbox: the greenlet that broadcasts writes the
# frame (built once per broadcast, shared by every recipient) into each socket without
# blocking; only what the kernel does not take waits, in order, for a writer greenlet that
# exists only while something waits, and that sends all of it in one system call.

# Linux's IOV_MAX: the most buffers one sendmsg takes.
_MOST_BUFFERS = 1024


def _is_gevent_socket(sock):
    """Return whether ``sock`` is gevent's cooperative socket, which the Outbox writes with (gunicorn's gevent worker)."""
    gevent_socket = sys.modules.get("gevent.socket")  # imported already wherever gevent serves
    return gevent_socket is not None and isinstance(sock, gevent_socket.socket)


def _frame_of(pkt):
    """Return Engine.IO packet ``pkt`` as a WebSocket frame and the bytes it counts, built once per packet.

    python-socketio builds one Engine.IO packet per broadcast and hands that same object
    to every recipient, so the frame is built by the first and shared by the rest.
    """
    try:
        return pkt.chat_frame
    except AttributeError:
        pass
    encoded = pkt.encode()
    frame = _frame(encoded)
    catch_up = isinstance(encoded, str) and encoded.startswith("4" + _CATCH_UP_PREFIX)
    pkt.chat_frame = (frame, 0 if catch_up else len(frame))
    return pkt.chat_frame


class Outbox:
    """A WebSocket client's send queue under gevent, in place of Engine.IO's: the packets go straight out.

    ``put`` writes a packet's frame into the socket at once when nothing waits ahead of it
    (a non-blocking ``sendmsg``: no greenlet switch). What the kernel does not take waits
    in ``chunks``, in order, and a writer greenlet sends all that waits in one call each
    time the socket can take more; later packets queue behind it. ``qsize`` and ``bytes``
    are the frames and the bytes waiting, so ``bound_send_queues`` and ``put`` cut a client
    that stops reading; bytes already in the kernel's send buffer (bounded by the kernel,
    ``net.ipv4.tcp_wmem``) are not counted. Engine.IO's own calls (``put(None)`` on close,
    ``join``) keep their meaning.
    """

    __slots__ = ("engineio_socket", "sock", "close_websocket", "max_packets", "max_bytes",
                 "chunks", "bytes", "writer", "ended", "broken")

    def __init__(self, engineio_socket, sock, close_websocket):
        """Make the send queue of ``engineio_socket``, writing into gevent socket ``sock``.

        ``close_websocket`` sends the WebSocket's close frame, once everything before it went.
        """
        self.engineio_socket = engineio_socket
        self.sock = sock  # gevent's socket: its sendmsg with MSG_DONTWAIT never waits
        self.close_websocket = close_websocket
        bounds = getattr(engineio_socket.server, "chat_send_bounds", None)
        self.max_packets, self.max_bytes = bounds or (math.inf, math.inf)
        self.chunks = deque()  # [buffer, bytes it counts]: frames, or the unsent end of one
        self.bytes = 0
        self.writer = None  # the greenlet sending what waits, while something does
        self.ended = False  # Engine.IO put None: send what waits, then close the WebSocket
        self.broken = False

    def put(self, pkt, *args, **kwargs):
        """Send ``pkt`` now if nothing waits ahead of it, else queue it behind; None ends the connection."""
        if pkt is None:
            if not self.ended:
                self.ended = True
                self._start_writer()
            return
        if self.ended or self.broken:
            return  # as Engine.IO's queue after its close: nobody would send it
        try:
            frame, counted = pkt.chat_frame  # built by the broadcast's first recipient
        except AttributeError:
            frame, counted = _frame_of(pkt)
        if self.chunks or self.writer is not None:
            if len(self.chunks) >= self.max_packets:
                return self._cut("%d packets wait to be sent to it", self.max_packets)
            if self.bytes + counted > self.max_bytes:
                return self._cut("%d bytes wait to be sent to it", self.bytes + counted)
            self.chunks.append([frame, counted])
            self.bytes += counted
            return
        try:
            sent = self.sock.sendmsg((frame,), (), socket.MSG_DONTWAIT)
        except BlockingIOError:
            sent = 0
        except OSError:
            return self._break()
        if sent < len(frame):
            rest = memoryview(frame)[sent:]
            share = min(counted, len(rest))
            self.chunks.append([rest, share])
            self.bytes += share
            self._start_writer()

    def qsize(self):
        """Return how many frames (or ends of one) wait to be sent."""
        return len(self.chunks)

    def empty(self):
        """Return whether nothing waits to be sent."""
        return not self.chunks

    def join(self):
        """Return at once: Engine.IO's close waits for its writer to take every packet, and this one has."""

    def task_done(self):
        """Do nothing: nothing is taken out of an Outbox by ``get``."""

    def get(self, *args, **kwargs):
        """Refuse: only a long-polling GET or Engine.IO's own writer polls a queue, and neither serves a WebSocket."""
        raise RuntimeError("an Outbox is written by its own writer, never polled")

    def _cut(self, reason, amount):
        _cut(self.engineio_socket.server, self.engineio_socket, reason, amount)

    def _break(self):
        """Forget what waits for a connection whose socket failed, and wake its reader to close the session."""
        self.broken = True
        self.chunks.clear()
        self.bytes = 0
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _start_writer(self):
        if self.writer is None:
            import gevent  # only under gevent, which the fast path is for
            self.writer = gevent.spawn(self._write)

    def _write(self):
        """Send what waits, all of it in each call, as fast as the socket takes it; then end if told to."""
        chunks = self.chunks
        try:
            while chunks and not self.broken:
                buffers = [chunk[0] for chunk in itertools.islice(chunks, _MOST_BUFFERS)]
                sent = self.sock.sendmsg(buffers)  # gevent's: waits, without blocking others, for room
                while sent:
                    chunk = chunks[0]
                    size = len(chunk[0])
                    if sent >= size:
                        chunks.popleft()
                        self.bytes -= chunk[1]
                        sent -= size
                    else:
                        chunk[0] = memoryview(chunk[0])[sent:]
                        share = min(chunk[1], size - sent)
                        self.bytes -= chunk[1] - share
                        chunk[1] = share
                        sent = 0
        except OSError:
            self._break()
        finally:
            self.writer = None
        if self.ended and not self.broken:
            try:
                self.close_websocket()
            except (OSError, simple_websocket.ConnectionClosed):
                pass

    def wait_written(self):
        """Wait until the writer, if any, has ended."""
        writer = self.writer
        if writer is not None:
            writer.join()


def _serve_websocket(engineio_socket, websocket):
    """Serve one Engine.IO WebSocket connection as Engine.IO's own handler does, but sending through an Outbox.

    A copy of python-engineio 4.15.1's ``Socket._websocket_handler`` (the upgrade from
    long-polling, then the reading loop), where the writer task and its queue are replaced
    by an Outbox once the connection is on WebSocket.
    """
    s = engineio_socket
    server = s.server

    def websocket_wait():
        data = websocket.wait()
        if data and len(data) > server.max_http_buffer_size:
            raise ValueError("packet is too large")
        return data

    if s.connected:
        # An upgrade from long-polling: the probe, then the UPGRADE packet.
        s.upgrading = True
        decoded = eio_packet.Packet(encoded_packet=websocket_wait())
        if decoded.packet_type != eio_packet.PING or decoded.data != "probe":
            server.logger.info("%s: Failed websocket upgrade, no PING packet", s.sid)
            s.upgrading = False
            return []
        websocket.send(eio_packet.Packet(eio_packet.PONG, data="probe").encode())
        s.queue.put(eio_packet.Packet(eio_packet.NOOP))  # ends the waiting long-polling GET
        encoded = websocket_wait()
        decoded = eio_packet.Packet(encoded_packet=encoded)
        if decoded.packet_type != eio_packet.UPGRADE:
            s.upgraded = False
            server.logger.info("%s: Failed websocket upgrade, expected UPGRADE packet, received %s instead.",
                               s.sid, encoded)
            s.upgrading = False
            return []
        s.upgraded = True
        s.upgrading = False
    else:
        s.connected = True
        s.upgraded = True

    # From here every packet for this client goes through the Outbox, in order: first
    # whatever long-polling left in Engine.IO's queue, then the rest as it comes. No
    # greenlet switch can come between the two.
    outbox = Outbox(s, websocket.ws.sock, websocket.close)
    left = s.queue
    s.queue = outbox
    while not left.empty():
        outbox.put(left.get(block=False))
    del left  # this frame lives as long as the connection: let the old queue go

    server.logger.info("%s: Upgrade to websocket successful", s.sid)
    while True:
        try:
            encoded = websocket_wait()
        except Exception as error:
            if not s.closed:
                server.logger.info('%s: Unexpected error "%s", closing connection', s.sid, str(error))
            break
        if encoded is None:
            break  # the client closed the connection
        try:
            s.receive(eio_packet.Packet(encoded_packet=encoded))
        except engineio_exceptions.UnknownPacketError:
            pass
        except engineio_exceptions.SocketIsClosedError:
            server.logger.info("Receive error -- socket is closed")
            break
        except Exception:
            server.logger.exception("Unknown receive error")
            break

    outbox.put(None)
    outbox.wait_written()
    s.close(wait=False, abort=True, reason=server.reason.TRANSPORT_CLOSE)
    websocket.ws.sock.close()  # as simple-websocket's reader thread does when it ends
    return []


def bound_send_queues(eio_server, max_packets, max_bytes):
    """Close a connection once ``max_packets``, or more than ``max_bytes``, wait to be sent to it.

    Engine.IO queues every packet for a client without limit, so a client that stops
    reading (or reads slower than the chat talks) would grow the process's memory for as
    long as it stays connected. Past either bound its connection is closed, so it
    reconnects and catches up from the history instead. The bytes are counted by the
    queue itself (``_SendQueue``): whatever the writer, that is where packets wait.
    """
    send_packet = eio_server.send_packet
    sockets = eio_server.sockets
    queue_class = _send_queue_class(eio_server._async["queue"])
    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "queue": queue_class}
    eio_server.chat_send_bounds = (max_packets, max_bytes)  # for the Outboxes, made later

    def bounded_send_packet(sid, pkt):
        engineio_socket = sockets.get(sid)
        if engineio_socket is not None:
            queue = engineio_socket.queue
            if queue.__class__ is Outbox:
                # Every delivery of a broadcast to a WebSocket client: straight to its
                # socket, bounded by the Outbox itself (Engine.IO's Socket.send only adds a
                # ping check that its service task makes anyway, and a log line).
                if not engineio_socket.closed:
                    queue.put(pkt)
                return
            waiting = getattr(queue, "bytes", 0) + _queued_bytes(pkt)
            if queue.qsize() >= max_packets:
                return _cut(eio_server, engineio_socket, "%d packets wait to be sent to it", max_packets)
            if waiting > max_bytes:
                return _cut(eio_server, engineio_socket, "%d bytes wait to be sent to it", waiting)
        send_packet(sid, pkt)

    eio_server.send_packet = bounded_send_packet


def _cut(eio_server, engineio_socket, reason, amount):
    """Close a connection that stopped reading, in the background, logging why once."""
    if not getattr(engineio_socket, "hanging_up", False):
        engineio_socket.hanging_up = True  # once: the close happens in the background
        logger.warning("closing %s: " + reason, engineio_socket.sid, amount)
        metrics.slow_client_cut()
        eio_server.start_background_task(_hang_up, engineio_socket)


# A full-protocol client's catch-up: every message after its lastSeen, queued at once when it
# enters a room, possibly more than MAX_QUEUED_BYTES. Counting it would cut a healthy client on
# every reconnect; its size is bounded by the retention and the flood limit on join-room instead.
_CATCH_UP_PREFIX = '2["history",'


def _queued_bytes(pkt):
    """Return the memory ``pkt``'s payload holds while it waits in a send queue; 0 for catch-up history."""
    data = getattr(pkt, "data", None)
    if isinstance(data, str):
        # sys.getsizeof, not len: a str holds 1, 2 or 4 bytes a code point, and it is O(1).
        return 0 if data.startswith(_CATCH_UP_PREFIX) else sys.getsizeof(data)
    if isinstance(data, (bytes, bytearray)):
        return len(data)
    return 0


def _send_queue_class(base):
    """Return a subclass of Engine.IO's queue class that counts the bytes of the packets in it.

    Engine.IO puts every packet for a client in its socket's queue, and both writers (the
    WebSocket writer task and a long-polling GET) take them out only through ``get`` in
    ``Socket.poll``, so counting in ``put`` and ``get`` sees every packet once each way.
    """
    class _SendQueue(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.bytes = 0
            self._bytes_lock = threading.Lock()  # handlers and the writer change it from several threads

        def put(self, item, *args, **kwargs):
            size = _queued_bytes(item)
            with self._bytes_lock:
                self.bytes += size
            super().put(item, *args, **kwargs)

        def get(self, *args, **kwargs):
            item = super().get(*args, **kwargs)
            size = _queued_bytes(item)
            with self._bytes_lock:
                self.bytes -= size
            return item

    return _SendQueue


def _hang_up(engineio_socket):
    """Close an Engine.IO connection now, even one whose writer is stuck on a full TCP buffer."""
    engineio_socket.close(wait=False, abort=True)
    raw_socket = getattr(engineio_socket, "raw_socket", None)
    if raw_socket is not None:
        try:
            raw_socket.shutdown(socket.SHUT_RDWR)  # wakes a writer blocked in send
        except OSError:
            pass


def keep_falsy_auth(sio_server):
    """Hand the connect handler a handshake ``auth`` that is falsy but not an object, so it is refused.

    python-socketio calls the connect handler without ``auth`` when it is falsy, so ``[]``,
    ``0``, ``false`` or ``""`` would look like no ``auth`` at all and pass as protocol 1.
    Wrapped in a list they reach the handler as what they are: not an object.
    """
    handle_connect = sio_server._handle_connect

    def handle(eio_sid, namespace, data):
        if data is not None and not data and not isinstance(data, dict):
            data = [data]
        return handle_connect(eio_sid, namespace, data)

    sio_server._handle_connect = handle


# --- Engine.IO sessions: the per-address limit, and sessions that never connect ------------


def limit_sessions(eio_server, connections):
    """Count each new Engine.IO session against the per-address limit; refuse one past it.

    A session costs memory (and over WebSocket a socket) before any Socket.IO connect, so
    the limit counts sessions, once each, at the Engine.IO handshake: a Socket.IO connect
    on an admitted session is not counted again. A refused handshake is answered
    ``401`` with ``{"message": "too many new connections ..."}``, Engine.IO's own refusal.
    ``REMOTE_ADDR`` is the client's address, from ``X-Forwarded-For`` behind
    ``TRUSTED_PROXIES`` (ProxyFix wraps the whole app).
    """
    accept = eio_server.handlers["connect"]  # python-socketio's, which keeps the environ

    def connect(sid, environ):
        wait = connections.take(environ.get("REMOTE_ADDR"))
        if wait:
            return {"message": f"too many new connections from your address: try again in {math.ceil(wait)} s"}
        return accept(sid, environ)

    eio_server.on("connect", connect)


def close_idle_sessions(sio_server, timeout):
    """Close an Engine.IO session that has not connected to Socket.IO ``timeout`` seconds after it opened.

    Every client connects to Socket.IO at once after the handshake; a session that does
    not (or whose connect was refused) would otherwise be held until the heartbeat fails,
    or for as long as its client answers pings. One background task checks the sessions in
    the order they opened, each once, at its deadline.
    """
    eio_server = sio_server.eio
    accept = eio_server.handlers["connect"]
    opened = deque()  # (deadline, sid): one timeout for all, so the deadlines come in order
    lock = threading.Lock()
    sweeping = [False]

    def connect(sid, environ):
        refusal = accept(sid, environ)
        if refusal is None or refusal is True:
            with lock:
                opened.append((time.monotonic() + timeout, sid))
                start, sweeping[0] = not sweeping[0], True
            if start:
                eio_server.start_background_task(sweep)
        return refusal

    def sweep():
        while True:
            with lock:
                if not opened:
                    sweeping[0] = False
                    return
                deadline, sid = opened[0]
            delay = deadline - time.monotonic()
            if delay > 0:
                eio_server.sleep(delay)
                continue
            with lock:
                opened.popleft()
            try:
                _close_if_unconnected(sio_server, sid)
            except Exception:  # one session's failure must not end the checks of the others
                logger.exception("closing the idle session %s failed", sid)

    eio_server.on("connect", connect)


def _close_if_unconnected(sio_server, sid):
    """Close Engine.IO session ``sid`` unless it is gone or connected to Socket.IO's default namespace."""
    eio_server = sio_server.eio
    engineio_socket = eio_server.sockets.get(sid)
    if engineio_socket is None or engineio_socket.closed or engineio_socket.closing:
        return
    if sio_server.manager.sid_from_eio_sid(sid, "/") is not None:
        return
    logger.info("closing %s: no Socket.IO connect within the connect timeout", sid)
    # Not disconnect(): it waits for a long-polling client to fetch the close packet, which
    # a client that went away never does.
    engineio_socket.close(wait=False)
    eio_server.sockets.pop(sid, None)


# --- What a client may send: checked before it costs anything ------------------------------
#
# Below the event handlers a client speaks Engine.IO frames (WebSocket messages, or packets
# in a long-polling POST) carrying Socket.IO packets. python-socketio hands the reserved
# event names straight to the real connect and disconnect handlers, buffers every binary
# attachment a packet announces, and parses a packet whole before any handler can look at
# its size; python-engineio lets some undecodable frames escape its error handling. The
# checks here sit in front of both libraries.

# gevent too: the WebSocket fast path relies on its sendmsg raising at once with MSG_DONTWAIT.
WRITTEN_FOR = {"python-engineio": "4.15.1", "python-socketio": "5.18.1", "simple-websocket": "1.1.0",
               "gevent": "26.9.0"}


def check_versions():
    """Raise RuntimeError unless the transport libraries are the versions this module was written for."""
    for package, expected in WRITTEN_FOR.items():
        found = metadata.version(package)
        if found != expected:
            raise RuntimeError(
                f"chat/transport.py was written for {package} {expected}, but {package} {found} is installed: "
                f"install the version in requirements.txt, or check chat/transport.py against {found} first")


class MalformedFrame(ValueError):
    """An Engine.IO frame or Socket.IO packet the server will not decode; it closes its sender's connection."""


# The name under which a refused event reaches the handlers; a client sending it is refused too.
REFUSED_EVENT = "transport-refused"
# python-socketio dispatches these itself ("*" as its catch-all): never as a client's event.
RESERVED_EVENTS = frozenset(BaseServer.reserved_events) | {"*", REFUSED_EVENT}
# What a client may send over WebSocket: Engine.IO packet types 0 to 6, as text. Over
# long-polling Engine.IO refuses OPEN (0) and PING (2) from a client by closing the session
# and waiting for a poll that may never come, so there they are malformed.
WEBSOCKET_PACKET_TYPES = frozenset("0123456")
POLLING_PACKET_TYPES = frozenset("13456")
HEAD_SCAN = 600  # characters read to find a long event's name and ack id
EVENT_HEAD = re.compile(r'2(/[^,]{0,200},)?(\d{1,100})?\s*\[\s*"((?:[^"\\]|\\.){1,256})"')


def frame_problem(message, packet_types=WEBSOCKET_PACKET_TYPES):
    """Return why an Engine.IO frame from a client is refused, or None for one it may send.

    The chat uses no binary data, so a binary frame (or a text one carrying base64, "b...")
    is refused before it is decoded, as is an empty frame or one of another packet type.
    """
    if message is None:
        return None  # the client closed the connection
    if not isinstance(message, str) or message.startswith("b"):
        return "it sent a binary message, which this chat never uses"
    if not message or message[0] not in packet_types:
        return f"it sent a malformed Engine.IO packet {message[:16]!r}"
    return None


class ChatPacket(sio_packet.Packet):
    """python-socketio's packet, decoding a client's packet only if the server should dispatch it.

    Given to python-socketio as its ``serializer`` (``packet_class`` makes one per limit).

    - An event with a reserved name, or longer than ``max_length`` characters, decodes as
      ``REFUSED_EVENT`` with its name, its length and the refusal's code, under the client's
      ack id. A long event's name and id are read from its head; the rest is never parsed.
    - A packet that does not decode, or has a shape the server cannot dispatch, raises
      MalformedFrame, which ``guard_packets`` turns into the end of its sender's
      connection, not a traceback.
    """

    max_length = None

    def decode(self, encoded_packet):
        if len(encoded_packet) > self.max_length:
            return self._refuse_unread(encoded_packet)
        try:
            attachments = super().decode(encoded_packet)
        except (ValueError, RecursionError) as error:  # bad JSON, numbers too long, nesting too deep
            raise MalformedFrame(f"it sent a malformed Socket.IO packet ({error.__class__.__name__})") from None
        data = self.data
        if self.packet_type == sio_packet.EVENT:
            if not (data and isinstance(data, list) and isinstance(data[0], str)):
                raise MalformedFrame("it sent an event that is not a list starting with a name")
            if data[0] in RESERVED_EVENTS:
                self.data = [REFUSED_EVENT, {"event": data[0], "code": "reserved_event"}]
        if self.packet_type == sio_packet.ACK and not isinstance(data, list):
            raise MalformedFrame("it sent an acknowledgement that is not a list")
        return attachments

    def _refuse_unread(self, encoded_packet):
        """Decode a packet past the length limit from its head alone, as a too_long refusal of its event."""
        head = EVENT_HEAD.match(encoded_packet, 0, HEAD_SCAN)
        if head is None:
            raise MalformedFrame(f"it sent a packet of {len(encoded_packet):,} characters that is not an event "
                                 f"whose name can be read")
        namespace, ack_id, quoted = head.group(1, 2, 3)
        try:
            name = json.loads(f'"{quoted}"')
        except ValueError:
            raise MalformedFrame("it sent an event whose name is not a JSON string") from None
        code = "reserved_event" if name in RESERVED_EVENTS else "too_long"
        self.packet_type = sio_packet.EVENT
        self.namespace = namespace[:-1].split("?")[0] if namespace else None
        self.id = int(ack_id) if ack_id else None
        self.data = [REFUSED_EVENT, {"event": name, "code": code, "length": len(encoded_packet),
                                     "limit": self.max_length}]
        return 0


def packet_class(max_length):
    """Return a ChatPacket class refusing events longer than ``max_length`` characters unread."""
    return type("ChatPacket", (ChatPacket,), {"max_length": max_length})


def guard_packets(sio_server):
    """Check every Socket.IO packet a client sends before python-socketio decodes it.

    A binary packet (announcing attachments), a binary message, a packet of a type a client
    never sends, or one that ChatPacket cannot decode, closes its sender's connection, logged.
    """
    eio_server = sio_server.eio
    handle_message = eio_server.handlers["message"]  # python-socketio's _handle_eio_message

    def guarded(eio_sid, data):
        engineio_socket = eio_server.sockets.get(eio_sid)
        if engineio_socket is None or engineio_socket.closed:
            return  # the rest of a long-polling batch after its session closed: python-socketio forgot it
        problem = "it sent a binary message, which this chat never uses" if not isinstance(data, str) \
            else _packet_problem(data)
        if problem is None:
            try:
                return handle_message(eio_sid, data)
            except MalformedFrame as error:
                problem = str(error)
        close_connection(sio_server, eio_sid, problem)

    eio_server.on("message", guarded)


def _packet_problem(data):
    """Return why a Socket.IO packet's type is refused, or None for CONNECT, DISCONNECT, EVENT or ACK."""
    if data[:1] in ("5", "6"):
        return "it announced a binary attachment, which this chat never uses"
    if data[:1] not in ("0", "1", "2", "3"):
        return f"it sent a Socket.IO packet of an unknown type {data[:16]!r}"
    return None


def close_connection(sio_server, eio_sid, reason):
    """Close one client's connection now, logged with ``reason``; everyone else is unaffected.

    Socket.IO is told first, so the client knows the server ended it and does not come
    straight back. Nothing waits for the client to collect the goodbye: a long-polling
    client with no request waiting would hold the caller forever.
    """
    logger.warning("closing %s: %s", eio_sid, reason)
    sid = sio_server.manager.sid_from_eio_sid(eio_sid, "/")
    if sid is not None:
        sio_server.disconnect(sid, ignore_queue=True)
    engineio_socket = sio_server.eio.sockets.pop(eio_sid, None)  # a later request is then an unknown session
    if engineio_socket is not None:
        engineio_socket.close(wait=False, abort=False)


class PollingGuard:
    """WSGI middleware checking a long-polling POST before Engine.IO reads it.

    - A body longer than ``max_bytes`` is answered 413 at once, unread (with or without a
      Content-Length), and its session closed. Engine.IO itself would answer only after a
      poll that, with no GET waiting, never comes.
    - A body that does not decode (not UTF-8, an empty or binary packet, a type a client
      never sends) is answered 400, and its session closed, instead of a traceback.
    """

    def __init__(self, wsgi_app, sio_server, max_bytes, path="/socket.io/"):
        self.wsgi_app = wsgi_app
        self.sio_server = sio_server
        self.max_bytes = max_bytes
        self.path = path

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "POST" or not environ.get("PATH_INFO", "").startswith(self.path):
            return self.wsgi_app(environ, start_response)
        query = urllib.parse.parse_qs(environ.get("QUERY_STRING", ""))
        if query.get("transport", ["polling"])[0] != "polling":
            return self.wsgi_app(environ, start_response)
        sid = query.get("sid", [None])[0]
        engineio_socket = self.sio_server.eio.sockets.get(sid)
        if engineio_socket is not None and engineio_socket.closed:
            # Engine.IO keeps a closed session until its next poll, and fails a POST to it with a traceback.
            return self._refuse(sid, start_response, "400 BAD REQUEST", "a POST to its closed session", close=False)
        length = environ.get("CONTENT_LENGTH") or None
        if length is not None and not length.isdigit():
            return self._refuse(sid, start_response, "400 BAD REQUEST", f"a Content-Length of {length[:20]!r}")
        if length is not None and int(length) > self.max_bytes:
            return self._refuse(sid, start_response, "413 CONTENT TOO LARGE",
                                f"a long-polling request of {int(length):,} bytes, over {self.max_bytes:,}")
        if length is not None:
            body = environ["wsgi.input"].read(int(length))
        elif environ.get("wsgi.input_terminated"):  # chunked: read no more than the limit and one byte
            body = environ["wsgi.input"].read(self.max_bytes + 1)
        else:
            body = b""  # neither a length nor chunks: no body
        if len(body) > self.max_bytes:
            return self._refuse(sid, start_response, "413 CONTENT TOO LARGE",
                                f"a long-polling request of more than {self.max_bytes:,} bytes")
        problem = _payload_problem(body)
        if problem:
            return self._refuse(sid, start_response, "400 BAD REQUEST", problem.removeprefix("it sent "))
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.wsgi_app(environ, start_response)

    def _refuse(self, sid, start_response, status, problem, close=True):
        if close and sid in self.sio_server.eio.sockets:
            close_connection(self.sio_server, sid, f"it sent {problem}")
        else:
            logger.info("refused %s: %s", sid, problem)
        start_response(status, [("Content-Type", "text/plain"), ("Connection", "close")])
        return [status.split(" ", 1)[1].capitalize().encode()]


def _payload_problem(body):
    """Return why a long-polling request body is refused, or None for one Engine.IO can decode."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        return "it sent a long-polling request that is not UTF-8"
    if text.startswith("d="):  # JSONP, form-encoded
        text = urllib.parse.parse_qs(text).get("d", [""])[0]
    for encoded in text.split("\x1e"):
        problem = frame_problem(encoded, POLLING_PACKET_TYPES)
        if problem:
            return problem
    return None
