"""Engine.IO sessions and the Socket.IO connect: the per-address limit, idle sessions, a falsy ``auth``.

Each change wraps a handler the libraries call: Engine.IO's ``connect`` handler (which
python-socketio registers through ``Server.on``, and which keeps the WSGI environ), and
python-socketio's private ``Server._handle_connect``.
"""

import logging
import math
import threading
import time
from collections import deque
from typing import Any, Protocol

logger = logging.getLogger(__name__)

# The WSGI environ's key for the wall-clock time the Engine.IO session opened (``limit_sessions``).
OPENED = "chat.session_opened"


class AddressLimit(Protocol):
    """The per-address limit on new connections (``stores.connection_limit``): a ``ConnectionLimit`` store."""

    def take(self, address: str | None) -> float:
        """Count a new connection from ``address``; return 0 if allowed, else the seconds to wait."""


def limit_sessions(eio_server: Any, connections: AddressLimit) -> None:
    """Count each new Engine.IO session against the per-address limit; refuse one past it.

    A session costs memory (and over WebSocket a socket) before any Socket.IO connect, so
    the limit counts sessions, once each, at the Engine.IO handshake: a Socket.IO connect
    on an admitted session is not counted again. A refused handshake is answered
    ``401`` with ``{"message": "too many new connections ..."}``, Engine.IO's own refusal.
    ``REMOTE_ADDR`` is the client's address, from ``X-Forwarded-For`` behind
    ``TRUSTED_PROXIES`` (ProxyFix wraps the whole app). The time the session opened is
    kept in its environ (``OPENED``), which the Socket.IO handlers see as their request's:
    a connect handled late (its process stopped meanwhile) still knows when it began.
    """
    accept = eio_server.handlers["connect"]  # python-socketio's, which keeps the environ

    def connect(sid: str, environ: dict[str, Any]) -> Any:
        environ[OPENED] = time.time()
        wait = connections.take(environ.get("REMOTE_ADDR"))
        if wait:
            return {"message": f"too many new connections from your address: try again in {math.ceil(wait)} s"}
        return accept(sid, environ)

    eio_server.on("connect", connect)


def close_idle_sessions(sio_server: Any, timeout: float) -> None:
    """Close an Engine.IO session that has not connected to Socket.IO ``timeout`` seconds after it opened.

    Every client connects to Socket.IO at once after the handshake; a session that does
    not (or whose connect was refused) would otherwise be held until the heartbeat fails,
    or for as long as its client answers pings. One background task checks the sessions in
    the order they opened, each once, at its deadline.
    """
    eio_server = sio_server.eio
    accept = eio_server.handlers["connect"]
    opened: deque[tuple[float, str]] = deque()  # (deadline, sid): one timeout for all, so the deadlines come in order
    lock = threading.Lock()
    sweeping = [False]

    def connect(sid: str, environ: dict[str, Any]) -> Any:
        refusal = accept(sid, environ)
        if refusal is None or refusal is True:
            with lock:
                opened.append((time.monotonic() + timeout, sid))
                start, sweeping[0] = not sweeping[0], True
            if start:
                eio_server.start_background_task(sweep)
        return refusal

    def sweep() -> None:
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


def _close_if_unconnected(sio_server: Any, sid: str) -> None:
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


def keep_falsy_auth(sio_server: Any) -> None:
    """Hand the connect handler a handshake ``auth`` that is falsy but not an object, so it is refused.

    python-socketio calls the connect handler without ``auth`` when it is falsy, so ``[]``,
    ``0``, ``false`` or ``""`` would look like no ``auth`` at all and pass as protocol 1.
    Wrapped in a list they reach the handler as what they are: not an object.
    """
    handle_connect = sio_server._handle_connect

    def handle(eio_sid: str, namespace: str | None, data: Any) -> Any:
        if data is not None and not data and not isinstance(data, dict):
            data = [data]
        return handle_connect(eio_sid, namespace, data)

    sio_server._handle_connect = handle
