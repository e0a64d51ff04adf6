"""The room handlers: list, create, join and leave rooms, and rename a person; entering a room."""

from flask import request
from flask_socketio import join_room, leave_room

from .. import socketio
from ..model import FULL, ChatError, person_group, room_group, too_many_rooms_here
from ..names import display_name
from ..validation import conversation, is_dm, message_id
from . import announce_departure, chat_state, full_protocol_event, is_full, moderation, reads
from .changes import last_change_of, send_changes
from .dms import enter_dm, require_dm

CATCH_UP_CHUNK = 500


def enter(room, after=None, last_change=None):
    """Put the current connection in ``room`` (which must exist), announcing a newcomer.

    A full-protocol client gets the room's presence, then its history: the latest
    messages, or with ``after`` every message after that id. The delivery makes that
    history and the room's live messages meet: none twice, none missed. With
    ``last_change``, the changes since then to the messages it had (up to ``after``) follow.
    A DM (``room`` a DM id) gives its history (and changes) alone: its people are not
    announced, and need not join.
    """
    if is_dm(room):
        return enter_dm(room, lambda upto: _send_history_and_changes(room, after, upto, last_change))
    state = chat_state()
    state.rooms.require(room)
    moderation.require_may_enter(room)
    rooms = state.presence.rooms_of(request.sid)
    if room in rooms:
        raise ChatError("already_in_room", f"you are in the room {room!r} already")
    if len(rooms) >= state.rooms_per_connection:
        raise too_many_rooms_here(len(rooms))
    member, is_new = state.presence.enter(request.sid, room)
    state.rooms.occupied(room, True)
    if is_new:
        socketio.emit("member-joined", {"room": room, "user": member.as_dict()}, to=room_group(room),
                      skip_sid=request.sid)
    if not is_full():
        return
    reads.entered(member, room)
    members = [m.as_dict() for m in state.presence.members(room)]
    socketio.emit("presence", {"room": room, "members": members, **moderation.owner_of(room)}, to=request.sid)
    state.delivery.enter(room, lambda: join_room(room_group(room)),
                         lambda upto: _send_history_and_changes(room, after, upto, last_change))


def _send_history_and_changes(room, after, upto, last_change):
    """Send the history as ``_send_history`` does; then, with ``last_change``, the changes since to what the client had."""
    _send_history(room, after, upto)
    if last_change is not None:
        # After the join: a change made meanwhile arrives live as well (applying one twice changes nothing).
        send_changes(room, last_change, after)


def _send_history(room, after, upto=None):
    """Send the current connection ``room``'s latest messages, or all those after id ``after`` (up to ``upto``)."""
    state = chat_state()
    history = state.history
    # The room's change number as of this history, read before it: a change in between comes again, harmlessly.
    since = state.changes.last_change(room)
    changed = {"lastChange": since} if since else {}
    if after is None:
        messages, more = history.latest(room, state.history_limit, upto)
        socketio.emit("history", {"room": room, "messages": [m.as_dict() for m in messages], "more": more,
                                  **changed}, to=request.sid)
        return
    first = history.first_id(room)
    gap = (first if first is not None else history.last_id(room) + 1) > after + 1
    while True:
        messages, more = history.after(room, after, CATCH_UP_CHUNK, upto)
        socketio.emit("history", {"room": room, "messages": [m.as_dict() for m in messages],
                                  "after": after, "gap": gap, "more": more, **changed}, to=request.sid)
        if not more:
            return
        after, gap = messages[-1].id, False


@full_protocol_event("list-rooms")
def list_rooms(payload):
    """Sent by a full-protocol client: acknowledge with every room and how many people are in it."""
    state = chat_state()
    return {"ok": True, "rooms": [{"name": room, "people": len(state.presence.members(room))}
                                  for room in state.rooms.names()]}


@full_protocol_event("create-room")
def create_room(payload):
    """Sent by a full-protocol client with a room name: create it, tell every full-protocol client."""
    room = chat_state().create_room(payload.get("room"))
    moderation.claim(room)
    socketio.emit("room-created", {"room": room}, to=FULL)
    return {"ok": True, "room": room}


@full_protocol_event("join-room")
def join(payload):
    """Sent by a full-protocol client: enter a room; it gets a presence snapshot, the room a newcomer.

    With a DM's id it gets the DM's history (or catch-up after ``lastSeen``) alone.
    """
    room = conversation(payload.get("room"))
    enter(room, message_id(payload.get("lastSeen"), "lastSeen"), last_change_of(payload))
    return {"ok": True, "room": room}


@full_protocol_event("leave-room")
def leave(payload):
    """Sent by a full-protocol client: leave a room; the others there are told if the person left.

    A DM cannot be left (its messages reach both people's connections): with its id, only
    the access check is made.
    """
    room = conversation(payload.get("room"))
    if is_dm(room):
        require_dm(room)
        return {"ok": True, "room": room}
    member, left = chat_state().presence.exit(request.sid, room)
    leave_room(room_group(room))
    if left:
        announce_departure(room, member)
        reads.left(member, room)
    return {"ok": True, "room": room}


@full_protocol_event("rename")
def rename(payload):
    """Sent by a full-protocol client with a new name: everyone sharing a room with the person is told."""
    if chat_state().tokens:
        raise ChatError("rename_refused", "names come from your sign-in here: change it there")
    member = rename_person(display_name(payload.get("name")))
    return {"ok": True, "user": member.as_dict()}


def rename_person(name):
    """Rename the current connection's person; tell everyone sharing a room with them, and their connections."""
    presence = chat_state().presence
    member, previous = presence.rename(request.sid, name)
    audience = [person_group(member.id)] + [room_group(room) for room in presence.rooms_of_person(member.id)]
    socketio.emit("member-renamed", {"user": member.as_dict(), "previous": previous}, to=audience)
    return member
