"""Socket.IO event handlers: the original gateway's contract.

Each handler is short: check the input, consult the chat state, emit. Every event, payload
and audience is listed in docs/protocol.md.
"""

import functools
import math

from flask import current_app, request
from flask_socketio import ConnectionRefusedError, emit

from . import socketio
from .validation import ChatError, message_text

USER_JOINED = {"message": "A user joined the chat"}
USER_LEFT = {"message": "A user left the chat"}
ERROR_EVENT = "chat-error"


def _state():
    return current_app.extensions["chat"]


def client_event(name):
    """Register a handler for client event ``name`` that refuses a ChatError to its sender.

    The refusal goes out twice: as the acknowledgement ``{"ok": false, "error": ...}`` for a
    client that passed a callback, and as a ``chat-error`` event for one that did not.
    """
    def register(handler):
        @functools.wraps(handler)
        def handle(*args):
            try:
                return handler(*args)
            except ChatError as error:
                emit(ERROR_EVENT, {"event": name, **error.as_dict()})
                return {"ok": False, **error.as_dict()}
        return socketio.on(name)(handle)
    return register


def _check_flood():
    wait = _state().flood.take(request.sid)
    if wait:
        raise ChatError("rate_limited", f"too many messages: wait {wait:.1f} s before sending again")


@socketio.on("connect")
def connect(auth=None):
    """Sent by a client connecting: broadcast ``user-joined`` to every other client."""
    state = _state()
    wait = state.connections.take(request.remote_addr)
    if wait:
        raise ConnectionRefusedError(
            f"too many new connections from your address: try again in {math.ceil(wait)} s")
    state.joined(request.sid, request.remote_addr)
    emit("user-joined", USER_JOINED, broadcast=True, include_self=False)


@socketio.on("disconnect")
def disconnect(reason=None):
    """Sent when a client's connection ends: broadcast ``user-left`` to every client left."""
    _state().left(request.sid)
    emit("user-left", USER_LEFT, broadcast=True, include_self=False)


@client_event("newMessage")
def new_message(*args):
    """Sent by a client with the message text: broadcast ``message`` to everyone, sender included."""
    _check_flood()
    text = message_text(args, _state().max_message_length)
    emit("message", text, broadcast=True)
    return {"ok": True}


@socketio.on("*")
def unknown_event(event, *args):
    """Sent by a client with an event this server does not know: log it, broadcast nothing.

    A client that passed a callback is answered, so it does not wait for nothing.
    """
    current_app.logger.info("ignored unknown event %.64r from %s", event, request.sid)
    return {"ok": False, "error": f"unknown event {event[:64]!r}", "code": "unknown_event"}


@socketio.on_error_default
def internal_error(error):
    """Log a handler's unexpected exception; refuse the event to its sender, keep serving."""
    current_app.logger.exception("error handling a Socket.IO event from %s", request.sid)
    return {"ok": False, "error": "internal server error", "code": "internal"}
