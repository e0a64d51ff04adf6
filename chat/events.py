"""The Socket.IO side of the chat: the port the core announces through, and how handlers register.

The handlers (chat/handlers/) register with ``client_event`` or ``full_protocol_event``, which
refuse a ChatError to its sender, and end the transport of a connection presence no longer
knows; they reach the core (chat/core/) with ``chat()``.
"""

import functools
from collections.abc import Callable
from typing import Any

from flask import current_app, request, session
from flask_socketio import SocketIO

from . import metrics, socketio, transport
from .core import Chat
from .core.port import Event, Groups, Skip
from .model import ChatError, full_person_group
from .validation import FULL_PROTOCOL, event_object

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}
ERROR_EVENT = "chat-error"


class SocketIOPort:
    """Deliver the core's events over Socket.IO (through the message queue when several processes run)."""

    def __init__(self, server: SocketIO) -> None:
        self._socketio = server

    def to_connection(self, connection: str, event: str, data: Event) -> None:
        """Send ``event`` to one connection."""
        self._socketio.emit(event, data, to=connection)

    def to_groups(self, groups: Groups, event: str, data: Event, skip: Skip = None) -> None:
        """Send ``event`` to every connection in ``groups``, but not to those of ``skip``."""
        self._socketio.emit(event, data, to=groups, skip_sid=skip)

    def to_person(self, person_id: str, event: str, data: Event, skip: Skip = None) -> None:
        """Send ``event`` to every full-protocol connection of a person, but not to those of ``skip``."""
        self._socketio.emit(event, data, to=full_person_group(person_id), skip_sid=skip)

    def join(self, connection: str, group: str) -> None:
        """Put ``connection`` in ``group``."""
        self._socketio.server.enter_room(connection, group, namespace="/")

    def leave(self, connection: str, group: str) -> None:
        """Take ``connection`` out of ``group``."""
        self._socketio.server.leave_room(connection, group, namespace="/")

    def disconnect(self, connection: str) -> None:
        """End ``connection``, on whichever process holds it (through the message queue)."""
        self._socketio.server.disconnect(connection)

    def close_now(self, connection: str, event: str, data: Event) -> None:
        """Send this process's ``connection`` ``event``, then end it, both straight to it, not through the queue."""
        self._socketio.emit(event, data, to=connection, ignore_queue=True)
        self._socketio.server.disconnect(connection, namespace="/", ignore_queue=True)


def chat() -> Chat:
    """Return the current app's chat (chat/core/)."""
    core: Chat = current_app.extensions["chat"]
    return core


def current_sid() -> str:
    """Return the Socket.IO id of the connection whose event is being handled."""
    # Flask-SocketIO sets ``sid`` on Flask's request for each Socket.IO event at run time;
    # Flask's Request type does not declare it, so this is the one place that says so.
    sid: str = request.sid  # type: ignore[attr-defined]
    return sid


def is_full() -> bool:
    """Return whether the current connection speaks the full protocol."""
    return bool(session.get("protocol") == FULL_PROTOCOL)


def is_admin() -> bool:
    """Return whether the current connection's token made its person a server administrator."""
    return bool(session.get("admin"))


Handler = Callable[..., Any]


def client_event(name: str, limit: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for client event ``name`` that refuses a ChatError to its sender.

    The refusal goes out twice: as the acknowledgement ``{"ok": false, "error": ...}`` for a
    client that passed a callback, and as a ``chat-error`` event for one that did not. With
    ``limit``, the event first takes a token from the connection's flood allowance. An
    event from a connection presence no longer knows (presence raises KeyError with its
    id) ends its transport instead (``dropped``).
    """
    metrics.known_event(name)

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def handle(*args: Any) -> Any:
            try:
                if limit:
                    chat().messages.take_flood(current_sid())
                return handler(*args)
            except ChatError as error:
                return refuse(name, error)
            except KeyError as error:
                if error.args != (current_sid(),):
                    raise
                return dropped(name)

        registered: Handler = socketio.on(name)(handle)
        return registered

    return register


def refuse(name: str, error: ChatError) -> dict[str, Any]:
    """Tell the sender of event ``name`` it was refused; return the refusal for its acknowledgement."""
    metrics.refused(name, error.code)
    socketio.emit(ERROR_EVENT, {"event": name, **error.as_dict()}, to=current_sid())
    return {"ok": False, **error.as_dict()}


def dropped(name: str) -> None:
    """End the transport of the connection of event ``name``, which presence no longer knows; acknowledge nothing.

    Other processes drop the connections of a process silent too long (stalled) and say
    they left. Resumed, it handles the events its clients sent meanwhile before its next
    heartbeat learns of the drop (chat/sweeper.py): answered ``internal``, a client would
    stay on a connection nobody else sees. Its transport ends now, as that heartbeat would
    end it, and the client connects again by itself, afresh.
    """
    sid = current_sid()
    current_app.logger.warning("%s from %s, which other processes dropped: closing its transport", name, sid)
    transport.close_transport(socketio.server, sid)


def full_protocol_event(name: str, limit: bool = True) -> Callable[[Handler], Handler]:
    """Register a handler for an event of the full protocol, taking one object argument."""

    def register(handler: Handler) -> Handler:
        @functools.wraps(handler)
        def handle(*args: Any) -> Any:
            if not is_full():
                raise ChatError(
                    "unknown_event",
                    f'{name} is part of the full protocol: connect with auth {{"protocol": {FULL_PROTOCOL}}} to use it',
                )
            return handler(event_object(name, args))

        return client_event(name, limit)(handle)

    return register
