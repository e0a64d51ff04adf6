"""The message handlers: newMessage and send-message, history pages, typing; unknown events, errors."""

from typing import Any

from flask import current_app, request, session

from .. import metrics, socketio, transport
from ..events import chat, client_event, current_sid, full_protocol_event, refuse
from ..mentions import requested as requested_mentions
from ..model import ChatError
from ..validation import client_id as valid_client_id
from ..validation import conversation, message_id, message_text, page_limit, typing_flag


@client_event("newMessage")
def new_message(*args: Any) -> dict[str, Any]:
    """Sent by a client with the message text: deliver it to the default room, sender included.

    Seed clients receive ``message`` with the bare text; full-protocol clients in the
    default room receive ``room-message``, with the ``@name`` mentions resolved to person ids.
    """
    core = chat()
    text = message_text(args, core.settings.max_message_length)
    if core.messages.post_default(current_sid(), text).new:
        metrics.message_accepted()
    return {"ok": True}


@full_protocol_event("send-message", limit=False)
def send_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room and text: store it, deliver it to the room, sender included.

    ``mentions`` lists the ids of people it mentions; only the room's members are kept.
    A resend with a ``clientId`` already stored for the room is acknowledged with the
    original message, and neither stored nor delivered again; it costs no flood allowance.
    """
    core = chat()
    room = conversation(payload.get("room"))
    text = message_text((payload.get("text"),), core.settings.max_message_length)
    client_id = valid_client_id(payload.get("clientId"))
    mentions = requested_mentions(payload.get("mentions"), core.settings.max_mentions)
    sent = core.messages.send(current_sid(), room, text, client_id, mentions)
    if sent.new:
        metrics.message_accepted()
    if sent.duplicate:
        return {"ok": True, "message": sent.message.as_dict(), "duplicate": True}
    return {"ok": True, "message": sent.message.as_dict()}


@full_protocol_event("history")
def history_page(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client in a room: acknowledge with a page of older messages."""
    core = chat()
    room = conversation(payload.get("room"))
    before = message_id(payload.get("before"), "before")
    limit = payload.get("limit")
    if limit is not None:
        limit = page_limit(limit, core.settings.history_page_max)
    messages, more = core.messages.history_page(current_sid(), room, before, limit)
    return {"ok": True, "room": room, "messages": [m.as_dict() for m in messages], "more": more}


@full_protocol_event("typing", limit=False)
def typing(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client while typing: tell the others in the room when it starts or stops.

    Typing events over their own small allowance are dropped quietly.
    """
    core, sid = chat(), current_sid()
    if not core.messages.take_typing_allowance(sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    is_typing = typing_flag(payload.get("typing", True))
    core.messages.typing(sid, room, is_typing)
    return {"ok": True}


# --- Everything else ----------------------------------------------------------------------


@socketio.on("*")
def unknown_event(event: str, *args: Any) -> dict[str, Any]:
    """Sent by a client with an event this server does not know: log it, broadcast nothing.

    A client that passed a callback is answered, so it does not wait for nothing.
    """
    current_app.logger.info("ignored unknown event %.64r from %s", event, current_sid())
    metrics.refused(event, "unknown_event")
    return {"ok": False, "error": f"unknown event {event[:64]!r}", "code": "unknown_event"}


@socketio.on(transport.REFUSED_EVENT)
def refused_unread(refusal: dict[str, Any]) -> dict[str, Any]:
    """Sent by the transport (chat/transport/packets.py) instead of an event it refused unread: refuse it to its sender.

    An event with a name the server reserves (``connect``, ``disconnect``, ...) never
    reaches that name's handler; one longer than any valid event is refused ``too_long``
    without being parsed. Either takes a token from the flood allowance; a reserved name
    is logged once per connection.
    """
    event, sid = refusal["event"][:64], current_sid()
    try:
        chat().messages.take_flood(sid)
        if refusal["code"] == "reserved_event":
            if not session.get("reserved_event_logged"):
                session["reserved_event_logged"] = True
                current_app.logger.warning("refused the reserved event name %r from %s", event, sid)
            raise ChatError("reserved_event", f"{event!r} is a name the server reserves: it cannot be sent as an event")
        raise ChatError(
            "too_long",
            f"the {event!r} event is too long: {refusal['length']:,} characters, the limit is {refusal['limit']:,}",
        )
    except ChatError as error:
        return refuse(event, error)


@socketio.on_error_default
def internal_error(error: Exception) -> dict[str, Any]:
    """Log a handler's unexpected exception; refuse the event to its sender, keep serving."""
    current_app.logger.exception("error handling a Socket.IO event from %s", current_sid())
    metrics.refused(getattr(request, "event", {}).get("message"), "internal")
    return {"ok": False, "error": "internal server error", "code": "internal"}
