"""The WebSocket fast path (gevent): a broadcast written straight into each socket, through an Outbox.

Engine.IO queues every packet for a WebSocket client and has a writer greenlet per client
take it out (building a gevent Timeout per packet), encode it and write it in one system
call per packet. Here, under gevent and without compression, a client's Engine.IO queue is
replaced, once it is on WebSocket, by an Outbox (``engineio_fork.serve_websocket`` does
it): the greenlet that broadcasts writes the frame (built once per broadcast, shared by
every recipient) into each socket without blocking; only what the kernel does not take
waits, in order, for a writer greenlet that exists only while something waits, and that
sends all of it in one system call.
"""

import itertools
import math
import socket
import sys
from collections import deque
from collections.abc import Callable
from typing import Any

import simple_websocket

from .framing import frame_of
from .slow_clients import cut

# Linux's IOV_MAX: the most buffers one sendmsg takes.
MOST_BUFFERS = 1024


def is_gevent_socket(sock: object) -> bool:
    """Return whether ``sock`` is gevent's cooperative socket (gunicorn's gevent worker), which the Outbox needs."""
    gevent_socket = sys.modules.get("gevent.socket")  # imported already wherever gevent serves
    return gevent_socket is not None and isinstance(sock, gevent_socket.socket)


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

    __slots__ = (
        "engineio_socket",
        "sock",
        "close_websocket",
        "max_packets",
        "max_bytes",
        "chunks",
        "bytes",
        "writer",
        "ended",
        "broken",
    )

    engineio_socket: Any  # Engine.IO's Socket, untyped
    sock: Any  # gevent's socket, whose stubs know no MSG_DONTWAIT sendmsg on a memoryview
    close_websocket: Callable[[], object]
    max_packets: float
    max_bytes: float
    chunks: deque[list[Any]]
    bytes: int
    writer: Any  # a gevent Greenlet
    ended: bool
    broken: bool

    def __init__(self, engineio_socket: Any, sock: Any, close_websocket: Callable[[], object]) -> None:
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

    def put(self, pkt: Any, *args: Any, **kwargs: Any) -> None:
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
            frame, counted = frame_of(pkt)
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
            if share > self.max_bytes:  # one packet larger than the bound, that the kernel did not take
                self.broken = True  # half a frame went: nothing may follow it on this socket
                return self._cut("%d bytes wait to be sent to it", share)
            self.chunks.append([rest, share])
            self.bytes += share
            self._start_writer()

    def qsize(self) -> int:
        """Return how many frames (or ends of one) wait to be sent."""
        return len(self.chunks)

    def empty(self) -> bool:
        """Return whether nothing waits to be sent."""
        return not self.chunks

    def join(self) -> None:
        """Return at once: Engine.IO's close waits for its writer to take every packet, and this one has."""

    def task_done(self) -> None:
        """Do nothing: nothing is taken out of an Outbox by ``get``."""

    def get(self, *args: Any, **kwargs: Any) -> Any:
        """Refuse: only a long-polling GET or Engine.IO's own writer polls a queue, and neither serves a WebSocket."""
        raise RuntimeError("an Outbox is written by its own writer, never polled")

    def _cut(self, reason: str, amount: float) -> None:
        cut(self.engineio_socket.server, self.engineio_socket, reason, amount)

    def _break(self) -> None:
        """Forget what waits for a connection whose socket failed, and wake its reader to close the session."""
        self.broken = True
        self.chunks.clear()
        self.bytes = 0
        try:
            self.sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _start_writer(self) -> None:
        if self.writer is None:
            import gevent  # only under gevent, which the fast path is for

            self.writer = gevent.spawn(self._write)

    def _write(self) -> None:
        """Send what waits, all of it in each call, as fast as the socket takes it; then end if told to."""
        chunks = self.chunks
        try:
            while chunks and not self.broken:
                buffers = [chunk[0] for chunk in itertools.islice(chunks, MOST_BUFFERS)]
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

    def wait_written(self) -> None:
        """Wait until the writer, if any, has ended."""
        writer = self.writer
        if writer is not None:
            writer.join()
