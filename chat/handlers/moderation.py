"""The moderation handlers: remove anyone's message, ban and mute people in a room, and lift those.

Moderation needs signed identities (``TOKENS``): a room created by a signed person is theirs
to moderate; a server administrator (``roles`` containing ``"admin"`` in the token) may
moderate every room, the default room included. Every action is recorded by the moderation
store and shown to the room's full-protocol connections as a ``moderation`` notice; seed
clients are told nothing, but are refused the same way when banned or muted.
"""

import time

from flask import request, session
from flask_socketio import leave_room

from .. import socketio
from ..model import ChatError, banned, iso_time, muted, not_a_moderator, room_group
from ..validation import duration, message_id, moderation_reason, page_limit, person_id, room_name
from . import announce_departure, chat_state, full_protocol_event, reads


def _moderator(payload):
    """Return (room, the current connection's member) if that person may moderate the payload's room; else refuse."""
    state = chat_state()
    room = room_name(payload.get("room"))
    if not state.tokens:
        raise not_a_moderator("moderation needs signed identities, and this server runs without them (TOKENS)")
    state.rooms.require(room)
    member = state.presence.member(request.sid)
    if session.get("admin"):
        return room, member
    if room == state.rooms.default:
        raise not_a_moderator(f"only a server administrator may moderate the default room {room!r}")
    if state.moderation.owner(room) != member.id:
        raise not_a_moderator(f"only the owner of the room {room!r} or a server administrator may moderate it")
    return room, member


def _target(payload, member):
    """Return the person id a ban or mute is for; refuse one's own."""
    target = person_id(payload.get("person"))
    if target == member.id:
        raise ChatError("bad_arguments", "you cannot ban or mute yourself")
    return target


def _person(person):
    """Return the person ``person`` (an id) as others see them: as they are online, or by id alone."""
    presence = chat_state().presence
    for connection in presence.connections_of_person(person):
        try:
            return presence.member(connection).as_dict()
        except KeyError:  # gone meanwhile
            continue
    return {"id": person}


def _notice(room, member, action, **details):
    """Record a moderation action in ``room`` and show it there as a ``moderation`` notice; return the notice."""
    notice = {"room": room, "action": action, "by": member.as_dict(),
              **{key: value for key, value in details.items() if value not in (None, "")}}
    chat_state().moderation.record(room, {**notice, "ts": int(time.time() * 1000)})
    socketio.emit("moderation", notice, to=room_group(room))
    return notice


def _restrict(kind, payload, max_seconds):
    """Ban or mute (``kind``) the payload's person in its room for its seconds; return (room, person, notice)."""
    state = chat_state()
    room, member = _moderator(payload)
    target = _target(payload, member)
    seconds = duration(payload.get("seconds"), "seconds", max_seconds)
    reason = moderation_reason(payload.get("reason"), state.max_moderation_reason)
    until = time.time() + seconds
    state.moderation.restrict(kind, room, target, until)
    notice = _notice(room, member, kind, person=_person(target), until=iso_time(until), seconds=seconds,
                     reason=reason)
    return room, target, notice


@full_protocol_event("remove-message")
def remove_message(payload):
    """Sent by a room's owner or an administrator with a room and a message id: delete anyone's message there.

    Everyone in the room gets ``message-deleted`` (the history keeps a tombstone), then the
    ``moderation`` notice.
    """
    room, member = _moderator(payload)
    target = message_id(payload.get("id"), "id")
    if target is None:
        raise ChatError("bad_arguments", "id must be the id of a message in the room")
    change = chat_state().changes.delete(room, target)
    return {"ok": True, **change, "notice": _notice(room, member, "remove-message", id=target)}


@full_protocol_event("ban")
def ban(payload):
    """Sent by a room's owner or an administrator with a room, a person, seconds and a reason: remove them from it.

    The room gets the ``moderation`` notice (the banned person's connections there too),
    then their connections leave it (``member-left``). Until the ban ends, joining the room
    is refused ``banned``; a ban from the default room refuses their connections, and ends
    those open now.
    """
    state = chat_state()
    room, target, notice = _restrict("ban", payload, state.max_ban_seconds)
    connections = state.presence.connections_of_person(target)
    if room == state.rooms.default:
        for connection in connections:
            socketio.server.disconnect(connection)  # on another process too: through the message queue
    else:
        _remove(room, connections)
    return {"ok": True, "notice": notice}


def _remove(room, connections):
    """Take ``connections`` (of one person, on any process) out of ``room``; tell the room if the person left."""
    presence = chat_state().presence
    for connection in connections:
        try:
            member, left = presence.exit(connection, room)
        except (ChatError, KeyError):  # not in it, or gone meanwhile
            continue
        leave_room(room_group(room), sid=connection)
        if left:
            announce_departure(room, member)
            reads.left(member, room)


@full_protocol_event("mute")
def mute(payload):
    """Sent by a room's owner or an administrator with a room, a person, seconds and a reason: mute them there.

    The room gets the ``moderation`` notice. Until the mute ends, the person's sends to the
    room (``send-message``, and ``newMessage`` in the default room) are refused ``muted``.
    """
    _, _, notice = _restrict("mute", payload, chat_state().max_mute_seconds)
    return {"ok": True, "notice": notice}


def _lift(kind, payload):
    """End the payload's person's ban or mute (``kind``) in its room; return the acknowledgement."""
    state = chat_state()
    room, member = _moderator(payload)
    target = person_id(payload.get("person"))
    if not state.moderation.lift(kind, room, target):
        raise ChatError("not_found", f"{target!r} is not {'banned from' if kind == 'ban' else 'muted in'} "
                                     f"the room {room!r}")
    return {"ok": True, "notice": _notice(room, member, "un" + kind, person=_person(target))}


@full_protocol_event("unban")
def unban(payload):
    """Sent by a room's owner or an administrator with a room and a person: end their ban; the room gets the notice."""
    return _lift("ban", payload)


@full_protocol_event("unmute")
def unmute(payload):
    """Sent by a room's owner or an administrator with a room and a person: end their mute; the room gets the notice."""
    return _lift("mute", payload)


@full_protocol_event("moderation-log")
def moderation_log(payload):
    """Sent by a room's owner or an administrator with a room: acknowledge with its latest recorded actions.

    ``limit`` (default ``HISTORY_LIMIT``, at most ``HISTORY_PAGE_MAX``) of them, oldest first,
    each a ``moderation`` notice with its time ``ts`` in milliseconds.
    """
    state = chat_state()
    room, _ = _moderator(payload)
    limit = page_limit(payload.get("limit", state.history_limit), state.history_page_max)
    return {"ok": True, "room": room, "actions": state.moderation.log(room, limit)}


# --- Hooks in the connect, join and send paths ------------------------------------------------


def claim(room):
    """Make the current connection's person the owner of ``room``, which they just created, if they are signed."""
    state = chat_state()
    if state.tokens:
        state.moderation.set_owner(room, state.presence.member(request.sid).id)


def owner_of(room):
    """Return ``{"owner": person id}`` for a room with an owner, else {} (and always {} without tokens)."""
    state = chat_state()
    owner = state.moderation.owner(room) if state.tokens else None
    return {"owner": owner} if owner else {}


def require_may_enter(room):
    """Raise ChatError ``banned`` if the current connection's person is banned from ``room`` now; nothing without tokens."""
    if chat_state().tokens:
        require_not_banned(room, chat_state().presence.member(request.sid).id)


def require_not_banned(room, person):
    """Raise ChatError ``banned`` if ``person`` (an id) is banned from ``room`` now; nothing without tokens."""
    state = chat_state()
    if state.tokens and (until := state.moderation.until("ban", room, person)) is not None:
        raise banned(room, until, time.time())


def require_not_muted(room, person):
    """Raise ChatError ``muted`` if ``person`` (an id) is muted in ``room`` now; nothing without tokens."""
    state = chat_state()
    if state.tokens and (until := state.moderation.until("mute", room, person)) is not None:
        raise muted(room, until, time.time())
