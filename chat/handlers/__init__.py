"""Socket.IO event handlers for both protocols: the original gateway's and the full one.

Each handler is short: check the input (chat/validation.py), call the chat state, emit.
Every event, payload and audience is listed in docs/protocol.md. The handlers live by
concern: connections.py (connect, disconnect), rooms.py (list, create, join, leave,
rename), messages.py (messages, history, typing, unknown events, internal errors), dms.py
(direct messages), moderation.py (owners' and administrators' removals, bans, mutes) and expiry.py (the loop that ends what has run out). Clients are grouped in Socket.IO rooms
(named in chat/model.py, because the deliveries address them too):

- ``seed``: clients of the original gateway's protocol, which live in the default room;
- ``full``: full-protocol clients;
- ``room:<name>``: full-protocol connections in a chat room;
- ``person:<id>``: the connections of one person;
- ``full-person:<id>``: that person's full-protocol connections: their direct messages, read
  markers and receipts.

No client is in both ``seed`` and a ``room:`` group, so none receives a message twice.
"""

import functools

from flask import current_app, request, session

from .. import metrics, socketio
from ..model import ChatError, room_group
from ..validation import FULL_PROTOCOL, event_object

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}
ERROR_EVENT = "chat-error"


def chat_state():
    """Return the current app's chat state (chat/state.py)."""
    return current_app.extensions["chat"]


def is_full():
    """Return whether the current connection speaks the full protocol."""
    return session.get("protocol") == FULL_PROTOCOL


def client_event(name, limit=True):
    """Register a handler for client event ``name`` that refuses a ChatError to its sender.

    The refusal goes out twice: as the acknowledgement ``{"ok": false, "error": ...}`` for a
    client that passed a callback, and as a ``chat-error`` event for one that did not. With
    ``limit``, the event first takes a token from the connection's flood allowance.
    """
    metrics.known_event(name)

    def register(handler):
        @functools.wraps(handler)
        def handle(*args):
            try:
                if limit:
                    check_flood()
                return handler(*args)
            except ChatError as error:
                return refuse(name, error)
        return socketio.on(name)(handle)
    return register


def refuse(name, error):
    """Tell the sender of event ``name`` it was refused; return the refusal for its acknowledgement."""
    metrics.refused(name, error.code)
    socketio.emit(ERROR_EVENT, {"event": name, **error.as_dict()}, to=request.sid)
    return {"ok": False, **error.as_dict()}


def full_protocol_event(name, limit=True):
    """Register a handler for an event of the full protocol, taking one object argument."""
    def register(handler):
        @functools.wraps(handler)
        def handle(*args):
            if not is_full():
                raise ChatError("unknown_event", f"{name} is part of the full protocol: connect with "
                                                 f"auth {{\"protocol\": {FULL_PROTOCOL}}} to use it")
            return handler(event_object(name, args))
        return client_event(name, limit)(handle)
    return register


def check_flood():
    """Take a token from the current connection's flood allowance; raise ChatError if none is left."""
    wait = chat_state().flood.take(request.sid)
    if wait:
        raise ChatError("rate_limited", f"too many messages: wait {wait:.1f} s before sending again")


def emit_typing(room, member, is_typing):
    """Tell the room, or a DM's two people, that ``member`` started or stopped typing; not the typist's connections."""
    socketio.emit("typing", {"room": room, "user": member.as_dict(), "typing": is_typing},
                  to=dms.audience(room) or room_group(room),
                  skip_sid=list(chat_state().presence.connections_of_person(member.id)))


def announce_departure(room, member):
    """Tell a room that a person left it, and end their typing there."""
    state = chat_state()
    if state.typing.stop(room, member.id):
        emit_typing(room, member, False)
    socketio.emit("member-left", {"room": room, "user": member.as_dict()}, to=room_group(room))
    state.rooms.occupied(room, state.presence.occupied(room))


# Registering the handlers; last, because each module uses the helpers above.
from . import changes, connections, dms, expiry, messages, moderation, reads, rooms  # noqa: E402, F401
