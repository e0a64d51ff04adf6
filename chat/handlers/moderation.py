"""The moderation handlers: remove anyone's message, ban and mute people in a room, and lift those.

Who may moderate where is the core's policy (chat/core/policy.py); the actions, their
notices and records are chat/core/moderation.py's.
"""

from typing import Any

from ..events import chat, current_sid, full_protocol_event, is_admin
from ..model import ChatError
from ..validation import duration, message_id, moderation_reason, page_limit, person_id, room_name


@full_protocol_event("remove-message")
def remove_message(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room and a message id: delete anyone's message there.

    Everyone in the room gets ``message-deleted`` (the history keeps a tombstone), then the
    ``moderation`` notice.
    """
    room = room_name(payload.get("room"))
    target = message_id(payload.get("id"), "id")
    if target is None:
        raise ChatError("bad_arguments", "id must be the id of a message in the room")
    return {"ok": True, **chat().moderation.remove_message(current_sid(), is_admin(), room, target)}


@full_protocol_event("ban")
def ban(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room, a person, seconds and a reason: remove them from it.

    The room gets the ``moderation`` notice (the banned person's connections there too),
    then their connections leave it (``member-left``). Until the ban ends, joining the room
    is refused ``banned``; a ban from the default room refuses their connections, and ends
    those open now.
    """
    core = chat()
    room, target = room_name(payload.get("room")), person_id(payload.get("person"))
    seconds = duration(payload.get("seconds"), "seconds", core.settings.max_ban_seconds)
    reason = moderation_reason(payload.get("reason"), core.settings.max_moderation_reason)
    return {"ok": True, "notice": core.moderation.ban(current_sid(), is_admin(), room, target, seconds, reason)}


@full_protocol_event("mute")
def mute(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room, a person, seconds and a reason: mute them there.

    The room gets the ``moderation`` notice. Until the mute ends, the person's sends to the
    room (``send-message``, and ``newMessage`` in the default room) are refused ``muted``.
    """
    core = chat()
    room, target = room_name(payload.get("room")), person_id(payload.get("person"))
    seconds = duration(payload.get("seconds"), "seconds", core.settings.max_mute_seconds)
    reason = moderation_reason(payload.get("reason"), core.settings.max_moderation_reason)
    return {"ok": True, "notice": core.moderation.mute(current_sid(), is_admin(), room, target, seconds, reason)}


@full_protocol_event("unban")
def unban(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room and a person: end their ban; the room gets the notice."""
    room, target = room_name(payload.get("room")), person_id(payload.get("person"))
    return {"ok": True, "notice": chat().moderation.lift("ban", current_sid(), is_admin(), room, target)}


@full_protocol_event("unmute")
def unmute(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room and a person: end their mute; the room gets the notice."""
    room, target = room_name(payload.get("room")), person_id(payload.get("person"))
    return {"ok": True, "notice": chat().moderation.lift("mute", current_sid(), is_admin(), room, target)}


@full_protocol_event("moderation-log")
def moderation_log(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a room's owner or an administrator with a room: acknowledge with its latest recorded actions.

    ``limit`` (default ``HISTORY_LIMIT``, at most ``HISTORY_PAGE_MAX``) of them, oldest first,
    each a ``moderation`` notice with its time ``ts`` in milliseconds.
    """
    core = chat()
    room = room_name(payload.get("room"))
    limit = page_limit(payload.get("limit", core.settings.history_limit), core.settings.history_page_max)
    return {"ok": True, "room": room, "actions": core.moderation.log(current_sid(), is_admin(), room, limit)}
