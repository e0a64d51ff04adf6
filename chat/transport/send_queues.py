"""Send-queue bounds: a client that stops reading is cut, not queued for without limit.

Engine.IO queues every packet for a client without limit, so a client that stops reading
(or reads slower than the chat talks) would grow the process's memory for as long as it
stays connected. Two changes bound it: Engine.IO's queue class is replaced (through its
private per-mode table, ``Server._async``) by one that counts bytes, and its
``Server.send_packet`` is wrapped to check both bounds before queueing. A WebSocket client
on the fast path has an ``Outbox`` instead, which checks the same bounds itself.
"""

import threading
from collections.abc import Callable
from typing import Any

from .framing import queued_bytes
from .outbox import Outbox
from .slow_clients import cut


def bound_send_queues(eio_server: Any, max_packets: int, max_bytes: int, count_cut: Callable[[], object]) -> None:
    """Close a connection once ``max_packets``, or more than ``max_bytes``, wait to be sent to it.

    Past either bound its connection is closed, so it reconnects and catches up from the
    history instead, and ``count_cut`` is called once. The bytes are counted by the queue
    itself (``_SendQueue``): whatever the writer, that is where packets wait.
    """
    send_packet = eio_server.send_packet
    sockets = eio_server.sockets
    queue_class = send_queue_class(eio_server._async["queue"])
    # Engine.IO shares one _async table per mode across servers: replace it, don't mutate it.
    eio_server._async = {**eio_server._async, "queue": queue_class}
    eio_server.chat_send_bounds = (max_packets, max_bytes)  # for the Outboxes, made later
    eio_server.chat_count_cut = count_cut  # for slow_clients.cut, whichever queue calls it

    def bounded_send_packet(sid: str, pkt: Any) -> None:
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
            waiting = getattr(queue, "bytes", 0) + queued_bytes(pkt)
            if queue.qsize() >= max_packets:
                return cut(eio_server, engineio_socket, "%d packets wait to be sent to it", max_packets)
            if waiting > max_bytes:
                return cut(eio_server, engineio_socket, "%d bytes wait to be sent to it", waiting)
        send_packet(sid, pkt)

    eio_server.send_packet = bounded_send_packet


def send_queue_class(base: type[Any]) -> type[Any]:
    """Return a subclass of Engine.IO's queue class that counts the bytes of the packets in it.

    Engine.IO puts every packet for a client in its socket's queue, and both writers (the
    WebSocket writer task and a long-polling GET) take them out only through ``get`` in
    ``Socket.poll``, so counting in ``put`` and ``get`` sees every packet once each way.
    """

    class _SendQueue(base):  # type: ignore[misc]  # a class found at run time: Any to mypy
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.bytes = 0
            self._bytes_lock = threading.Lock()  # handlers and the writer change it from several threads

        def put(self, item: Any, *args: Any, **kwargs: Any) -> None:
            size = queued_bytes(item)
            with self._bytes_lock:
                self.bytes += size
            super().put(item, *args, **kwargs)

        def get(self, *args: Any, **kwargs: Any) -> Any:
            item = super().get(*args, **kwargs)
            size = queued_bytes(item)
            with self._bytes_lock:
                self.bytes -= size
            return item

    return _SendQueue
