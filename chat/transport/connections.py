"""This process's connections as the metrics and the graceful stop see them, who each emit reaches, and their close.

Read from python-socketio's client manager (its ``rooms`` table and ``get_participants``)
and Engine.IO's sessions (``Server.sockets``, each with its ``upgraded`` flag): neither is
documented API, so they are read here only.
"""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

TRANSPORTS = ("polling", "websocket")


def count_recipients(manager: Any, count: Callable[[int], object]) -> None:
    """Call ``count`` with the number of recipients of every emit ``manager`` (the client manager) sends.

    Every emit, in this process's own or arriving from the Redis queue, asks the manager for
    its participants once; their number is counted then, in one call.
    """
    participants = manager.get_participants

    def counted_participants(namespace: str, room: str | None) -> list[tuple[str, str]]:
        recipients = list(participants(namespace, room))
        count(len(recipients))
        return recipients

    manager.get_participants = counted_participants


def connections_by_transport(sio_server: Any, groups: Iterable[str]) -> dict[str, dict[str, int]]:
    """Return, for each Socket.IO group of the default namespace, how many of its connections use each transport.

    Only this process's connections count; one without an Engine.IO session (the
    Flask-SocketIO test client's) counts on no transport.
    """
    rooms = sio_server.manager.rooms.get("/", {})
    sockets = sio_server.eio.sockets
    counted = {}
    for group in groups:
        counts = dict.fromkeys(TRANSPORTS, 0)
        for eio_sid in list(rooms.get(group, {}).values()):
            engineio_socket = sockets.get(eio_sid)
            if engineio_socket is not None:
                counts["websocket" if engineio_socket.upgraded else "polling"] += 1
        counted[group] = counts
    return counted


def local_connections(sio_server: Any) -> Iterator[str]:
    """Yield the Socket.IO id of every connection of this process in the default namespace, from a snapshot."""
    for sid, _ in list(sio_server.manager.get_participants("/", None)):
        yield sid


def close_transport(sio_server: Any, sid: str) -> None:
    """Close the Engine.IO session under Socket.IO connection ``sid`` of this process, without a Socket.IO DISCONNECT.

    The client sees its transport end, as when a network fails, and every stock client
    (socket.io's, python-socketio's) reconnects by itself. Not a Socket.IO DISCONNECT, nor
    even Engine.IO's CLOSE packet: python-socketio's client takes either for the server
    ending it, and stays offline. The disconnect handler runs now, in this call. A
    long-polling client's waiting request is answered empty; its next request finds an
    unknown session.
    """
    eio_sid = sio_server.manager.eio_sid_from_sid(sid, "/")
    engineio_socket = sio_server.eio.sockets.pop(eio_sid, None) if eio_sid is not None else None
    if engineio_socket is not None:
        engineio_socket.close(wait=False, abort=True)


def close_local_transports(sio_server: Any) -> None:
    """Close the transport of every connection of this process (with several processes, only this one's)."""
    for sid in local_connections(sio_server):
        close_transport(sio_server, sid)
