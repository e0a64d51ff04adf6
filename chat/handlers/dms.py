"""The direct message handlers: open one, list one's own; and the access check every DM request passes.

A direct message (DM) is a conversation of two people, named ``dm:`` and 24 hex digits
(chat/state.py). Its messages reach every full-protocol connection of both people, in
their ``dms:<person id>`` groups, so neither needs to join it to receive them; the events
that take a room take its id too, and give its history, catch-up and typing as a room's.
Anyone but its two people is refused ``not_found``, as for a DM that does not exist.
"""

from flask import request

from .. import socketio
from ..model import ChatError, full_person_group, no_such_conversation
from ..validation import is_dm
from ..validation import person_id as valid_person_id
from . import chat_state, full_protocol_event


def may_read(dm):
    """Return whether the current connection's person is one of ``dm``'s two."""
    state = chat_state()
    people = state.dms.people(dm)
    return people is not None and state.presence.member(request.sid).id in people


def require_dm(dm):
    """Raise ChatError ``not_found`` unless the current connection's person is one of ``dm``'s two."""
    if not may_read(dm):
        raise no_such_conversation(dm)


def require_in(room):
    """Raise ChatError unless the current connection may read and write ``room``, a room or a DM."""
    if is_dm(room):
        require_dm(room)
    else:
        chat_state().presence.require_in(request.sid, room)


def members(dm):
    """Return ``dm``'s two people, the current connection's person first: who a mention in it may name."""
    state = chat_state()
    me = state.presence.member(request.sid)
    return [me] + [other for known, other in state.dms.of_person(me.id) if known == dm]


def audience(room):
    """Return the Socket.IO groups a DM's messages and typing go to (both people's), or None for a room."""
    return chat_state().dms.groups(room) if is_dm(room) else None


def enter_dm(dm, send_history):
    """Send the current connection ``dm``'s history with ``send_history(upto)``, met with its live delivery.

    The connection is in its person's DM group from the connect on, so there is nothing to
    join: the delivery only orders that history with what is in flight.
    """
    require_dm(dm)
    chat_state().delivery.enter(dm, lambda: None, send_history)


def _as_dict(dm, other):
    return {"id": dm, "with": other.as_dict()}


@full_protocol_event("open-dm")
def open_dm(payload):
    """Sent by a full-protocol client with a person's id: open (or reopen) the DM of the two; acknowledge with it.

    The other person must be online, or have been seen within DM_SEEN_SECONDS, unless the
    DM exists already. A new DM is announced (``dm-opened``) to the other person's
    connections and to the opener's other connections.
    """
    state = chat_state()
    person = valid_person_id(payload.get("person"))
    me = state.presence.member(request.sid)
    if person == me.id:
        raise ChatError("bad_arguments", "a direct message is with someone else: you cannot open one with yourself")
    dm = state.dm_id(me.id, person)
    known = dict(state.dms.of_person(me.id))
    other = state.dms.seen(person) or known.get(dm)
    if other is None:
        raise ChatError("not_found", "there is nobody with that id online or seen recently")
    if state.dms.open(dm, me, other):
        socketio.emit("dm-opened", {"dm": _as_dict(dm, me)}, to=full_person_group(other.id))
        socketio.emit("dm-opened", {"dm": _as_dict(dm, other)}, to=full_person_group(me.id), skip_sid=request.sid)
    return {"ok": True, "dm": _as_dict(dm, other)}


@full_protocol_event("list-dms", limit=False)
def list_dms(payload):
    """Sent by a full-protocol client: acknowledge with its person's DMs, each with the other person and its last id.

    A page asks on every connect, so it takes from the read allowance, as mark-read does,
    not from the flood allowance that sending needs.
    """
    state = chat_state()
    wait = state.read_limit.take(request.sid)
    if wait:
        raise ChatError("rate_limited", f"too many requests: wait {wait:.1f} s before asking again")
    me = state.presence.member(request.sid)
    return {"ok": True, "dms": [{**_as_dict(dm, other), "lastId": state.history.last_id(dm)}
                                for dm, other in state.dms.of_person(me.id)]}
