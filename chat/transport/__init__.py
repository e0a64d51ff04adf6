"""The transport: what the chat changes in python-socketio, python-engineio and simple-websocket.

Every reach into those libraries' internals lives in this package, written for the
versions in ``versions.WRITTEN_FOR``; ``check_versions`` refuses to start with others.
``create_app`` calls two functions, in this order:

1. ``socketio_options(config)``, before ``SocketIO.init_app``: the supported options
   (``options.py``), the packet class among them (``packets.ChatPacket``).
2. ``install(app, sio_server, ...)``, after it: every change to the libraries, in
   the order written in its body.

One module per concern:

- ``versions``: the versions written for, and their check;
- ``options``: ``SocketIO.init_app``'s keyword arguments;
- ``websocket``: the simple-websocket server wrapper (message size limit, compression, fast path);
- ``framing``: server frames, and what a waiting packet counts;
- ``outbox``: the ``Outbox``, a WebSocket client's send queue on the fast path;
- ``engineio_fork``: the copy of Engine.IO's WebSocket handler, alone;
- ``send_queues`` and ``slow_clients``: the send-queue bounds, and the cut of a slow client;
- ``sessions``: the per-address limit, idle sessions, a falsy ``auth``;
- ``after_connect``: the step after the Socket.IO CONNECT (groups, welcome, catch-up);
- ``packets``: what a client may send (``ChatPacket``, ``guard_packets``, malformed frames);
- ``polling``: the WSGI ``PollingGuard``, and the packets a long-polling request may carry;
- ``message_queue``: the Redis queue's message format and the hooks of its emits;
- ``connections``: the connections and recipients the metrics and the graceful stop read, and their close.

docs/transport.md lists every change with the version it was written for and why.
"""

from collections.abc import Callable
from typing import Any

from flask import Flask

from .after_connect import AFTER_CONNECT_EVENT, run_after_connect
from .connections import (
    close_local_transports,
    close_transport,
    connections_by_transport,
    count_recipients,
    local_connections,
)
from .message_queue import QueueManager, emit_message
from .options import socketio_options
from .packets import REFUSED_EVENT, guard_packets
from .polling import PollingGuard, allow_batched_packets
from .send_queues import bound_send_queues
from .sessions import OPENED, AddressLimit, close_idle_sessions, keep_falsy_auth, limit_sessions
from .versions import WRITTEN_FOR, check_versions
from .websocket import configure_websockets

# What the rest of the application uses; everything else is reached through its module.
__all__ = [
    "AFTER_CONNECT_EVENT",
    "OPENED",
    "REFUSED_EVENT",
    "WRITTEN_FOR",
    "AddressLimit",
    "QueueManager",
    "check_versions",
    "close_local_transports",
    "close_transport",
    "connections_by_transport",
    "count_recipients",
    "emit_message",
    "install",
    "local_connections",
    "socketio_options",
]


def install(
    app: Flask, sio_server: Any, connections: AddressLimit, count_slow_client_cut: Callable[[], object]
) -> None:
    """Make every change to the libraries under ``sio_server`` (``SocketIO.server``), after ``SocketIO.init_app``.

    ``connections`` is the per-address limit on new sessions (``stores.connection_limit``);
    ``count_slow_client_cut`` is called once for each client cut by the send bounds. The
    limits come from ``app.config``. docs/transport.md describes each step, in this order.
    """
    config = app.config
    eio_server = sio_server.eio
    # 1. Before anything is touched: every change below is written for these versions.
    check_versions()
    # 2. Engine.IO's WebSocket class (Server._async["websocket"]): bounded messages,
    #    compression only if configured, and the fast path under gevent (engineio_fork).
    configure_websockets(eio_server, config["MAX_PACKET_BYTES"], config["WEBSOCKET_COMPRESSION"])
    # 3. Engine.IO's Payload.max_decode_packets, a class attribute: one value per process.
    allow_batched_packets(config["MAX_PACKETS_PER_REQUEST"])
    # 4. Engine.IO's queue class (Server._async["queue"]) and Server.send_packet: the send
    #    bounds. After step 2 or before it alike: each replaces its own entry of a copy.
    bound_send_queues(eio_server, config["MAX_QUEUED_PACKETS"], config["MAX_QUEUED_BYTES"], count_slow_client_cut)
    # 5, 6. Engine.IO's connect handler (python-socketio's), wrapped twice. A handler wrapped
    #    later runs first, and passes on to the earlier: close_idle_sessions, outermost,
    #    records only the sessions limit_sessions admitted.
    limit_sessions(eio_server, connections)
    close_idle_sessions(sio_server, config["CONNECT_TIMEOUT"])
    # 7. python-socketio's Server._handle_connect: a falsy auth reaches the handler as itself.
    keep_falsy_auth(sio_server)
    # 8. The same, wrapped again, Engine.IO's send_packet (after step 4: what it holds goes
    #    through the bounds) and its disconnect handler: AFTER_CONNECT_EVENT right after each
    #    CONNECT, sent with it, and no disconnect handled while it runs.
    run_after_connect(sio_server)
    # 9. Engine.IO's message handler (python-socketio's): packets checked before decoding.
    guard_packets(sio_server)
    # 10. Last, and around the app as it is now: middleware that must see Engine.IO's own
    #    answers (the security headers, ProxyFix) goes around it afterwards, in create_app.
    wsgi_app: Callable[..., Any] = app.wsgi_app
    app.wsgi_app = PollingGuard(wsgi_app, sio_server, config["MAX_PACKET_BYTES"])  # type: ignore[method-assign]
