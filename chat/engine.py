"""Socket.IO and Engine.IO server options derived from the settings."""

import logging
import socket

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


def bound_send_queues(eio_server, max_packets):
    """Close a connection once ``max_packets`` are waiting to be sent to it.

    Engine.IO queues every packet for a client without limit, so a client that stops
    reading (or reads slower than the chat talks) would grow the process's memory for as
    long as it stays connected. Past the bound its connection is closed, so it
    reconnects and catches up from the history instead.
    """
    send_packet = eio_server.send_packet

    def bounded_send_packet(sid, pkt):
        engineio_socket = eio_server.sockets.get(sid)
        if engineio_socket is not None and engineio_socket.queue.qsize() >= max_packets:
            if not getattr(engineio_socket, "hanging_up", False):
                engineio_socket.hanging_up = True  # once: the close happens in the background
                logger.warning("closing %s: %d packets wait to be sent to it", sid, max_packets)
                eio_server.start_background_task(_hang_up, engineio_socket)
            return
        send_packet(sid, pkt)

    eio_server.send_packet = bounded_send_packet


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
