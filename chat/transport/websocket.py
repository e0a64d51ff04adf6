"""The WebSocket server Engine.IO uses, wrapped: bounded messages, optional compression, the fast path.

Engine.IO picks its WebSocket class from a private per-mode table (``Server._async``); with
simple-websocket (threading, and gevent under gunicorn) that is ``SimpleWebSocketWSGI``.
``configure_websockets`` gives one Engine.IO server a subclass of it that reads with a
message size limit, checks each frame before Engine.IO decodes it, and, under gevent
without compression, serves the connection with the fork of Engine.IO's handler
(``engineio_fork``) and writes frames itself (``framing``).
"""

import logging
import socket
from collections.abc import Callable, Iterable
from typing import Any

import simple_websocket
from engineio.async_drivers._websocket_wsgi import SimpleWebSocketWSGI
from wsproto.utilities import LocalProtocolError

from .engineio_fork import serve_websocket
from .framing import frame
from .outbox import is_gevent_socket
from .packets import MalformedFrame, frame_problem

logger = logging.getLogger(__name__)


class _UnstartedThread:
    """A reader thread for simple-websocket that never runs: the connection's greenlet reads instead."""

    name = "unstarted (the connection's greenlet reads)"

    def __init__(self, target: Callable[[], object]) -> None:
        pass

    def start(self) -> None:
        pass


class _BoundedWebSocket(simple_websocket.Server):  # type: ignore[misc]  # untyped: its Server is Any
    """simple-websocket's server, made to end its reader when a message is too big.

    On a too-big message simple-websocket wakes the reader before it marks the socket
    closed, so a reader woken in between waits forever, holding its thread and socket.
    """

    def _handle_events(self) -> bool:
        keep_going: bool = super()._handle_events()
        if not keep_going:
            self.connected = False
            self.event.set()
        return keep_going


def configure_websockets(eio_server: Any, max_bytes: int, compression: bool) -> None:
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

    class LimitedWebSocket(websocket_class):  # type: ignore[misc,valid-type]  # a class found at run time
        def __call__(self, environ: dict[str, Any], start_response: Callable[..., object]) -> Iterable[bytes]:
            # As SimpleWebSocketWSGI.__call__, with the bounded server and the size limit.
            if not compression:
                # In place: simple-websocket keeps the environ for the connection's life, and a
                # copy would double what the WSGI server's own reference already holds.
                environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)
            # On the fast path the connection's own greenlet reads its socket (read_inline), so
            # simple-websocket is given a reader thread that never starts.
            self.inline = not compression and is_gevent_socket(
                environ.get("werkzeug.socket") or environ.get("gunicorn.socket")
            )
            args = {**self.server_args, "thread_class": _UnstartedThread} if self.inline else self.server_args
            self.ws = _BoundedWebSocket(environ, max_message_size=max_bytes, **args)
            # Chat frames are small and each should leave at once: without TCP_NODELAY, Nagle's
            # algorithm holds a frame until the previous one is acknowledged (up to 40 ms on Linux).
            self.ws.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            # Let send_queues cut this connection (slow_clients.hang_up): self.app is the Engine.IO
            # socket's handler, bound to that socket.
            self.app.__self__.raw_socket = self.ws.sock
            try:
                if self.inline:
                    result = serve_websocket(self.app.__self__, self)
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

        def wait(self) -> str | bytes | None:
            # Engine.IO decodes each frame outside its try: a frame it cannot decode would end
            # the connection's handler with a traceback and leave the session open, counted.
            message: str | bytes | None = self.read_inline() if self.inline else super().wait()
            problem = frame_problem(message)
            if problem:
                logger.warning("closing %s: %s", self.app.__self__.sid, problem)
                raise MalformedFrame(problem)
            return message

        def read_inline(self) -> str | bytes | None:
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
            return ws.input_buffer.pop(0)  # type: ignore[no-any-return]  # simple-websocket is untyped

        if not compression:

            def send(self, message: str | bytes) -> None:
                # Every delivery of a broadcast ends here, once per recipient. Without
                # compression a server's frame is a 2-to-10-byte header and the payload,
                # so it is written directly instead of through wsproto's general framing.
                if not self.ws.connected:
                    raise OSError("the WebSocket is closed")
                self.ws.sock.sendall(frame(message))

    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "websocket": LimitedWebSocket}
