"""The change handlers: edit and delete your own messages, react to messages; catching up on changes.

Every change is delivered by the changes store (chat/stores/base.py Changes) to the room's
full-protocol connections, numbered in the room's change sequence; seed clients are told
nothing of it. In a direct message (``room`` a DM id) the same events go to both people's
full-protocol connections, and anyone else is refused ``not_found``.
"""

from flask import request

from .. import socketio
from ..model import ChatError
from ..validation import change_number, conversation, message_id, message_text, reaction_emoji, reaction_flag
from . import chat_state, dms, full_protocol_event

CATCH_UP_CHUNK = 500


def _target(payload):
    """Return (room, message id) of a change request from a connection in that room, or one of a DM's people."""
    room = conversation(payload.get("room"))
    dms.require_in(room)
    target = message_id(payload.get("id"), "id")
    if target is None:
        raise ChatError("bad_arguments", "id must be the id of a message in the room")
    return room, target


def _person():
    return chat_state().presence.member(request.sid).id


@full_protocol_event("edit-message")
def edit_message(payload):
    """Sent by a full-protocol client with a room, a message id and new text: replace its own message's text.

    Everyone in the room, the sender included, gets ``message-edited``; in a DM, both people.
    """
    state = chat_state()
    room, target = _target(payload)
    text = message_text((payload.get("text"),), state.max_message_length)
    return {"ok": True, **state.changes.edit(room, target, _person(), text, dms.audience(room))}


@full_protocol_event("delete-message")
def delete_message(payload):
    """Sent by a full-protocol client with a room and a message id: make its own message a tombstone.

    Everyone in the room, the sender included, gets ``message-deleted``; in a DM, both people.
    """
    room, target = _target(payload)
    return {"ok": True, **chat_state().changes.delete(room, target, _person(), groups=dms.audience(room))}


@full_protocol_event("react")
def react(payload):
    """Sent by a full-protocol client with a room, a message id, an emoji and on: add or take away its reaction.

    Everyone in the room (in a DM, both people), the sender included, gets ``reaction`` with
    who reacted with that emoji now; a toggle that changes nothing is acknowledged with ``unchanged`` and sent to nobody.
    """
    state = chat_state()
    room, target = _target(payload)
    emoji = reaction_emoji(payload.get("emoji"), state.max_emoji_length)
    on = reaction_flag(payload.get("on", True))
    change = state.changes.react(room, target, _person(), emoji, on, dms.audience(room))
    if change is None:
        return {"ok": True, "unchanged": True}
    return {"ok": True, **change}


def send_changes(room, after_change, upto_id):
    """Send the current connection ``room``'s changes after ``after_change`` to messages up to id ``upto_id``.

    In chunks of ``changes`` events; ``gap`` says some changes were lost under retention
    (reload the history to be sure of every message).
    """
    changes = chat_state().changes
    last = changes.last_change(room)
    records, more, gap = changes.after(room, after_change, upto_id, CATCH_UP_CHUNK)
    while True:
        socketio.emit("changes", {"room": room, "after": after_change, "changes": records, "last": last,
                                  "gap": gap, "more": more}, to=request.sid)
        if not more:
            return
        after_change, gap = records[-1]["change"], False
        records, more, _ = changes.after(room, after_change, upto_id, CATCH_UP_CHUNK)


def last_change_of(payload):
    """Return the ``lastChange`` of a join-room request, or None."""
    return change_number(payload.get("lastChange"), "lastChange")
