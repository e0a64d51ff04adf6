"""Cutting a client that stopped reading: the one end of both send-queue bounds (``send_queues``, ``outbox``)."""

import logging
import socket
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)


def _count_nothing() -> None:
    """Count nothing: an Engine.IO server whose bounds ``send_queues`` did not set counts no cut."""


def cut(eio_server: Any, engineio_socket: Any, reason: str, amount: float) -> None:
    """Close a connection that stopped reading, in the background, logging and counting it once."""
    if not getattr(engineio_socket, "hanging_up", False):
        engineio_socket.hanging_up = True  # once: the close happens in the background
        logger.warning("closing %s: " + reason, engineio_socket.sid, amount)
        count_cut: Callable[[], object] = getattr(eio_server, "chat_count_cut", _count_nothing)
        count_cut()
        eio_server.start_background_task(hang_up, engineio_socket)


def hang_up(engineio_socket: Any) -> None:
    """Close an Engine.IO connection now, even one whose writer is stuck on a full TCP buffer."""
    engineio_socket.close(wait=False, abort=True)
    # Set by websocket.py for every WebSocket connection: Engine.IO's socket does not know its own.
    raw_socket = getattr(engineio_socket, "raw_socket", None)
    if raw_socket is not None:
        try:
            raw_socket.shutdown(socket.SHUT_RDWR)  # wakes a writer blocked in send
        except OSError:
            pass
