"""The read-marker handlers: mark-read and seen-by; unread counts, read markers and receipts sent out.

A person's marker in a room is "read up to id", shared by all their connections. Who
belongs to a room: with signed identities, the rooms the person joined until they leave
them (kept in the Reads store); for guests, the rooms of their current connections. A
person belongs to each of their direct messages (DMs) too, signed or guest: a DM's markers,
receipts, seen-by and mentions work as a room's, and anyone else is refused ``not_found``.
Receipts go to a message's sender only, at most one per sender per move of a marker, and
only for the newest RECEIPTS_SCAN messages the marker passed: a room of any size costs a
reader's move at most that many messages read and one receipt per sender among them.
"""

from flask import request

from .. import socketio
from ..model import ChatError, full_person_group, not_in_room
from ..validation import conversation, is_dm, message_id
from . import chat_state, dms, full_protocol_event


def belongs(person_id, connection):
    """Return the rooms the person belongs to, in the sense above, sorted; only rooms that exist (no DMs)."""
    state = chat_state()
    rooms = set(state.presence.rooms_of_person(person_id)) | set(state.presence.rooms_of(connection))
    if state.tokens:
        rooms |= set(state.reads.belongs(person_id))
    return sorted(room for room in rooms if room in state.rooms)


def unread(person_id, room):
    """Return the person's unread count in ``room``: {"count", "mentions", "readUpTo"}."""
    state = chat_state()
    upto = state.reads.marker(person_id, room)
    return {"count": max(0, state.history.last_id(room) - upto),
            "mentions": state.reads.mentions_after(person_id, room, upto), "readUpTo": upto}


def unread_on_connect(member, entering):
    """Return ``welcome``'s unread counts: {room: unread(...)} for every room the person belongs to or is entering.

    Their DMs are counted too: a DM's marker starts at 0, so its every message counts until read.
    A room entered for the first time starts read up to its last id, as ``entered`` makes it.
    """
    state = chat_state()
    for room in entering:
        if room in state.rooms:
            state.reads.start(member.id, room, state.history.last_id(room))
    rooms = set(belongs(member.id, request.sid)) | {room for room in entering if room in state.rooms}
    rooms |= {dm for dm, _ in state.dms.of_person(member.id)}
    return {room: unread(member.id, room) for room in sorted(rooms)}


def entered(member, room):
    """Record that ``member`` entered ``room``: a first marker at its last id, and (signed) their belonging."""
    state = chat_state()
    state.reads.start(member.id, room, state.history.last_id(room))
    if state.tokens:
        state.reads.join(member.id, room)


def left(member, room):
    """Record that ``member`` left ``room`` of their own accord: a signed person no longer belongs to it."""
    state = chat_state()
    if state.tokens:
        state.reads.leave(member.id, room)


def _require_belonging(room):
    """Return the current connection's person; raise ChatError unless they belong to ``room``, a room or a DM.

    ``not_in_room`` for a room; ``not_found`` for a DM, as for one that does not exist.
    """
    state = chat_state()
    if is_dm(room):
        dms.require_dm(room)
        return state.presence.member(request.sid)
    member = state.presence.member(request.sid)
    if room not in belongs(member.id, request.sid):
        raise not_in_room(room)
    return member


def _required_id(payload):
    value = message_id(payload.get("id"), "id")
    if value is None:
        raise ChatError("bad_arguments", "id must be a message id, a whole number")
    return value


@full_protocol_event("mark-read", limit=False)
def mark_read(payload):
    """Sent by a full-protocol client with a room and a message id: move its person's marker forward to it.

    The marker never goes back, nor past the room's last id. When it moves, every connection
    of the person gets ``read-marker``, and the senders of the messages it passed get a
    ``receipt`` each (see the module's docstring for the bound). Requests over the read
    allowance are dropped quietly, as typing events are.
    """
    state = chat_state()
    if state.read_limit.take(request.sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    upto = _required_id(payload)
    member = _require_belonging(room)
    upto = min(upto, state.history.last_id(room))
    previous = state.reads.mark(member, room, upto)
    counts = unread(member.id, room)
    if previous is None:
        return {"ok": True, "room": room, "id": counts["readUpTo"], "unread": counts["count"],
                "mentions": counts["mentions"], "moved": False}
    marker = {"room": room, "id": upto, "unread": counts["count"], "mentions": counts["mentions"]}
    socketio.emit("read-marker", marker, to=full_person_group(member.id))
    _send_receipts(room, member, previous, upto)
    return {"ok": True, **marker, "moved": True}


def _send_receipts(room, reader, previous, upto):
    """Tell each sender of a message ``reader`` passed (after ``previous``, up to ``upto``) once, with their newest."""
    state = chat_state()
    messages, _ = state.history.latest(room, min(state.receipts_scan, upto - previous), upto)
    newest = {}
    for message in messages:
        if message.id > previous and message.user.id != reader.id:
            newest[message.user.id] = message.id
    for sender, newest_id in newest.items():
        socketio.emit("receipt", {"room": room, "id": newest_id, "by": reader.as_dict()},
                      to=full_person_group(sender))


@full_protocol_event("seen-by", limit=False)
def seen_by(payload):
    """Sent by a full-protocol client with a room and a message id: acknowledge with who has read up to it or past it.

    At most SEEN_BY_MAX people, with ``more`` saying whether others have too. Requests over
    the read allowance are dropped quietly.
    """
    state = chat_state()
    if state.read_limit.take(request.sid):
        return {"ok": True, "dropped": True}
    room = conversation(payload.get("room"))
    upto = _required_id(payload)
    _require_belonging(room)
    readers, more = state.reads.readers(room, upto, state.seen_by_max)
    return {"ok": True, "room": room, "id": upto, "by": [reader.as_dict() for reader in readers], "more": more}
