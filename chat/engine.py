"""Socket.IO and Engine.IO server options derived from the settings."""

import logging
import math
import socket
import sys
import threading
import time
from collections import deque

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from engineio.payload import Payload


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
    }


def allow_batched_packets(max_packets):
    """Let one long-polling request carry up to ``max_packets`` Engine.IO packets.

    The socket.io JavaScript client sends everything it has queued in one POST; past
    Engine.IO's default of 16 packets the whole request is dropped, messages and all.
    Engine.IO reads this limit from a class attribute, so it is one value per process.
    """
    Payload.max_decode_packets = max_packets


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
                environ = {key: value for key, value in environ.items() if key != "HTTP_SEC_WEBSOCKET_EXTENSIONS"}
            self.ws = _BoundedWebSocket(environ, max_message_size=max_bytes, **self.server_args)
            # Chat frames are small and each should leave at once: without TCP_NODELAY, Nagle's
            # algorithm holds a frame until the previous one is acknowledged (up to 40 ms on Linux).
            self.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Let bound_send_queues cut this connection: self.app is the Engine.IO socket's handler.
            self.app.__self__.raw_socket = self.ws.sock
            result = self.app(self)
            if self.ws.mode == "gunicorn":
                raise StopIteration()
            if self.ws.mode == "werkzeug":
                raise ConnectionError()
            return result

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


def bound_send_queues(eio_server, max_packets, max_bytes):
    """Close a connection once ``max_packets``, or more than ``max_bytes``, wait to be sent to it.

    Engine.IO queues every packet for a client without limit, so a client that stops
    reading (or reads slower than the chat talks) would grow the process's memory for as
    long as it stays connected. Past either bound its connection is closed, so it
    reconnects and catches up from the history instead. The bytes are counted by the
    queue itself (``_SendQueue``): whatever the writer, that is where packets wait.
    """
    send_packet = eio_server.send_packet
    queue_class = _send_queue_class(eio_server._async["queue"])
    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "queue": queue_class}

    def bounded_send_packet(sid, pkt):
        engineio_socket = eio_server.sockets.get(sid)
        if engineio_socket is not None:
            queue = engineio_socket.queue
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
