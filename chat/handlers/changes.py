"""The change handlers: edit and delete your own messages, react to messages.

Every change is delivered by the changes store to the room's full-protocol connections,
numbered in the room's change sequence (chat/core/changes.py); seed clients are told nothing
of it. In a direct message the same events go to both people's full-protocol connections,
and anyone else is refused ``not_found``.
"""

from typing import Any

from ..events import chat, current_sid, full_protocol_event
from ..model import ChatError
from ..validation import conversation, message_id, message_text, reaction_emoji, reaction_flag


def _target(payload: dict[str, Any]) -> tuple[str, int]:
    """Return (room, message id) of a change request, checked for shape."""
    room = conversation(payload.get("room"))
    target = message_id(payload.get("id"), "id")
    if target is None:
        raise ChatError("bad_arguments", "id must be the id of a message in the room")
    return room, target


@full_protocol_event("edit-message")
def edit_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room, a message id and new text: replace its own message's text.

    Everyone in the room, the sender included, gets ``message-edited``; in a DM, both people.
    """
    core = chat()
    room, target = _target(payload)
    text = message_text((payload.get("text"),), core.settings.max_message_length)
    return {"ok": True, **core.changes.edit(current_sid(), room, target, text)}


@full_protocol_event("delete-message")
def delete_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room and a message id: make its own message a tombstone.

    Everyone in the room, the sender included, gets ``message-deleted``; in a DM, both people.
    """
    room, target = _target(payload)
    return {"ok": True, **chat().changes.delete(current_sid(), room, target)}


@full_protocol_event("react")
def react(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room, a message id, an emoji and on: add or take away its reaction.

    Everyone in the room (in a DM, both people), the sender included, gets ``reaction`` with
    who reacted with that emoji now; a toggle that changes nothing is acknowledged with ``unchanged`` and sent to nobody.
    """
    core = chat()
    room, target = _target(payload)
    emoji = reaction_emoji(payload.get("emoji"), core.settings.max_emoji_length)
    on = reaction_flag(payload.get("on", True))
    change = core.changes.react(current_sid(), room, target, emoji, on)
    if change is None:
        return {"ok": True, "unchanged": True}
    return {"ok": True, **change}
