"""The step after the Socket.IO CONNECT: what a connection gets once it is told it is connected.

python-socketio 5.18.1 (``always_connect=False``, kept so that a refused handshake is a
``connect_error`` with its code) calls the connect handler before it sends CONNECT, so
whatever the handler emits reaches the client first. The socket.io JavaScript client
buffers events that arrive before CONNECT and does not clear that buffer when the
transport dies: a connection cut inside the connect handler replays its ``welcome`` and
catch-up into the next one. So the connect handler only authorises, and the rest runs in
one step right after CONNECT: ``AFTER_CONNECT_EVENT``, dispatched to its handler as
Flask-SocketIO dispatches any event (same request context, same session).

It runs inside python-socketio's private ``Server._handle_connect``, in the call that
handled the client's CONNECT packet: a client's packets are handled one at a time, in
order (Engine.IO's handlers are never asynchronous under python-socketio, and the chat sets
``async_handlers=False``), so the client's first event waits for the step to end.

What is sent to the connection from its CONNECT packet's arrival to the step's end
(CONNECT first, then the step's events and any broadcast to the groups it joined) is
held, and handed to Engine.IO in that order once the step ends: the client learns it is
connected only once it is in its groups, so it misses nothing sent after, and a transport
that dies meanwhile leaves it nothing at all. Engine.IO's ``disconnect`` handler waits for
the step too: a transport that dies during it is disconnected after it, never halfway
through it, nor while the connect handler runs (where python-socketio would skip the
disconnect handler of a connection not yet connected).
"""

import threading
from dataclasses import dataclass, field
from typing import Any

AFTER_CONNECT_EVENT = "after-connect"  # reserved: a client sending it is refused (packets.RESERVED_EVENTS)


@dataclass
class _Held:
    """The packets held for one connection while it connects, and whether they went out."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    packets: list[Any] = field(default_factory=list)
    released: bool = False


def run_after_connect(sio_server: Any) -> None:
    """Dispatch ``AFTER_CONNECT_EVENT`` for each connection right after its CONNECT; send both together.

    Only a connect that succeeded gets the step: not a refused handshake, nor a second
    CONNECT on a session connected already (which python-socketio refuses). Engine.IO's
    ``send_packet`` is wrapped to hold what is sent to a connecting session; install this
    after the send bounds (``bound_send_queues``), so that what is held goes through them.
    """
    handle_connect = sio_server._handle_connect
    eio_server = sio_server.eio
    handle_eio_disconnect = eio_server.handlers["disconnect"]  # python-socketio's _handle_eio_disconnect
    send_packet = eio_server.send_packet
    running: dict[str, threading.RLock] = {}  # Engine.IO id -> the lock its connect holds, while it runs
    holding: dict[str, _Held] = {}  # Engine.IO id -> what is held for it, while it connects
    guard = threading.Lock()

    def handle(eio_sid: str, namespace: str | None, data: Any) -> Any:
        namespace = namespace or "/"
        manager = sio_server.manager
        if manager.sid_from_eio_sid(eio_sid, namespace) is not None:
            return handle_connect(eio_sid, namespace, data)  # connected already: refused as before
        # Reentrant: the step may close its own connection, which runs the disconnect handler in this call.
        step, held = threading.RLock(), _Held()
        with guard:
            running[eio_sid] = step
            holding[eio_sid] = held
        try:
            with step:
                result = handle_connect(eio_sid, namespace, data)
                sid = manager.sid_from_eio_sid(eio_sid, namespace)
                if sid is not None and manager.is_connected(sid, namespace):
                    sio_server._trigger_event(AFTER_CONNECT_EVENT, namespace, sid)
                return result
        finally:
            with held.lock:  # a sender waiting for it sends after what was held
                if eio_sid in eio_server.sockets:  # not when the step closed its connection: nothing, not even CONNECT
                    for pkt in held.packets:
                        send_packet(eio_sid, pkt)
                held.released = True
            with guard:
                running.pop(eio_sid, None)
                holding.pop(eio_sid, None)

    def held_send_packet(eio_sid: str, pkt: Any) -> None:
        held = holding.get(eio_sid)
        if held is not None:
            with held.lock:
                if not held.released:
                    held.packets.append(pkt)
                    return
        send_packet(eio_sid, pkt)

    def disconnect(eio_sid: str, reason: Any = None) -> Any:
        with guard:
            step = running.get(eio_sid)
        if step is not None:
            with step:  # wait for the connect and its step to end
                pass
        return handle_eio_disconnect(eio_sid, reason)

    sio_server._handle_connect = handle
    eio_server.send_packet = held_send_packet
    eio_server.on("disconnect", disconnect)
