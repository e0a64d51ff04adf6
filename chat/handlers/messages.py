"""The message handlers: newMessage and send-message, history pages, typing; unknown events, errors."""

from flask import current_app, request, session

from .. import metrics, socketio, transport
from ..mentions import kept, resolved
from ..mentions import requested as requested_mentions
from ..model import ChatError, no_such_conversation
from ..validation import client_id as valid_client_id
from ..validation import conversation, is_dm, message_id, message_text, page_limit, typing_flag
from . import chat_state, check_flood, client_event, dms, emit_typing, full_protocol_event, moderation, refuse


def _post(room, text, client_id=None, mentions=None):
    """Store ``text`` for ``room`` from the current connection and deliver it to the room.

    ``mentions`` is the person ids the sender names, kept only for the room's members; None
    resolves ``@name`` in the text instead (protocol 1). Return (the message, True), or
    (the original, False) for a resend of a stored ``client_id``.
    """
    state = chat_state()
    dms.require_in(room)
    member = state.presence.member(request.sid)
    moderation.require_not_muted(room, member.id)
    mentioned = _mentioned(room, text, mentions)
    message, new = state.delivery.post(room, member, text, client_id, to_seed=room == state.rooms.default,
                                       groups=dms.audience(room), mentions=mentioned)
    if new:
        metrics.message_accepted()
    if new and mentioned:
        state.reads.mention(room, message.id, mentioned)
    if new and state.typing.stop(room, member.id):
        emit_typing(room, member, False)
    return message, new


def _mentioned(room, text, mentions):
    """Return the person ids ``text`` mentions in ``room``: those of ``mentions`` among its members, or its @names.

    A DM's members are its two people.
    """
    state = chat_state()

    def members():
        return dms.members(room) if is_dm(room) else state.presence.members(room)

    if mentions is None:
        # Only text with an @ can name anyone: most messages never look at the room's members.
        return resolved(text, members(), state.max_mentions) if "@" in text else []
    return kept(mentions, members(), state.max_mentions) if mentions else []


@client_event("newMessage")
def new_message(*args):
    """Sent by a client with the message text: deliver it to the default room, sender included.

    Seed clients receive ``message`` with the bare text; full-protocol clients in the
    default room receive ``room-message``, with the ``@name`` mentions resolved to person ids.
    """
    state = chat_state()
    _post(state.rooms.default, message_text(args, state.max_message_length))
    return {"ok": True}


@full_protocol_event("send-message", limit=False)
def send_message(payload):
    """Sent by a full-protocol client with a room and text: store it, deliver it to the room, sender included.

    ``mentions`` lists the ids of people it mentions; only the room's members are kept.
    A resend with a ``clientId`` already stored for the room is acknowledged with the
    original message, and neither stored nor delivered again; it costs no flood allowance.
    """
    state = chat_state()
    room = conversation(payload.get("room"))
    text = message_text((payload.get("text"),), state.max_message_length)
    client_id = valid_client_id(payload.get("clientId"))
    if is_dm(room) and not dms.may_read(room):  # before a resend is looked up: its original is theirs alone
        check_flood()  # a refusal costs a send's allowance, as not_in_room does in a room
        raise no_such_conversation(room)
    mentions = requested_mentions(payload.get("mentions"), state.max_mentions)
    if client_id is not None and (original := state.history.find(room, client_id)) is not None:
        return {"ok": True, "message": original.as_dict(), "duplicate": True}
    check_flood()
    message, _ = _post(room, text, client_id, mentions)
    return {"ok": True, "message": message.as_dict()}


@full_protocol_event("history")
def history_page(payload):
    """Sent by a full-protocol client in a room: acknowledge with a page of older messages."""
    state = chat_state()
    room = conversation(payload.get("room"))
    dms.require_in(room)
    before = message_id(payload.get("before"), "before")
    limit = page_limit(payload.get("limit", state.history_limit), state.history_page_max)
    messages, more = state.history.before(room, before, limit)
    return {"ok": True, "room": room, "messages": [m.as_dict() for m in messages], "more": more}


@full_protocol_event("typing", limit=False)
def typing(payload):
    """Sent by a full-protocol client while typing: tell the others in the room when it starts or stops.

    Typing events over their own small allowance are dropped quietly.
    """
    state = chat_state()
    if state.typing_limit.take(request.sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    dms.require_in(room)
    is_typing = typing_flag(payload.get("typing", True))
    member = state.presence.member(request.sid)
    changed = state.typing.start(room, member) if is_typing else state.typing.stop(room, member.id)
    if changed:
        emit_typing(room, member, is_typing)
    return {"ok": True}


# --- Everything else ----------------------------------------------------------------------


@socketio.on("*")
def unknown_event(event, *args):
    """Sent by a client with an event this server does not know: log it, broadcast nothing.

    A client that passed a callback is answered, so it does not wait for nothing.
    """
    current_app.logger.info("ignored unknown event %.64r from %s", event, request.sid)
    metrics.refused(event, "unknown_event")
    return {"ok": False, "error": f"unknown event {event[:64]!r}", "code": "unknown_event"}


@socketio.on(transport.REFUSED_EVENT)
def refused_unread(refusal):
    """Sent by the transport (chat/transport.py) in place of an event it refused unread: refuse it to its sender.

    An event with a name the server reserves (``connect``, ``disconnect``, ...) never
    reaches that name's handler; one longer than any valid event is refused ``too_long``
    without being parsed. Either takes a token from the flood allowance; a reserved name
    is logged once per connection.
    """
    event = refusal["event"][:64]
    try:
        check_flood()
        if refusal["code"] == "reserved_event":
            if not session.get("reserved_event_logged"):
                session["reserved_event_logged"] = True
                current_app.logger.warning("refused the reserved event name %r from %s", event, request.sid)
            raise ChatError("reserved_event", f"{event!r} is a name the server reserves: it cannot be sent as an event")
        raise ChatError("too_long", f"the {event!r} event is too long: {refusal['length']:,} characters, "
                                    f"the limit is {refusal['limit']:,}")
    except ChatError as error:
        return refuse(event, error)


@socketio.on_error_default
def internal_error(error):
    """Log a handler's unexpected exception; refuse the event to its sender, keep serving."""
    current_app.logger.exception("error handling a Socket.IO event from %s", request.sid)
    metrics.refused(getattr(request, "event", {}).get("message"), "internal")
    return {"ok": False, "error": "internal server error", "code": "internal"}
