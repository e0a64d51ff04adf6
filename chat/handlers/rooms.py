"""The room handlers: list, create, join and leave rooms, and rename a person."""

from typing import Any

from ..events import chat, current_sid, full_protocol_event
from ..names import display_name
from ..validation import change_number, conversation, message_id, room_name


@full_protocol_event("list-rooms")
def list_rooms(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client: acknowledge with every room and how many people are in it."""
    return {"ok": True, "rooms": chat().rooms.counts()}


@full_protocol_event("create-room")
def create_room(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a room name: create it, tell every full-protocol client."""
    room = chat().rooms.create(current_sid(), room_name(payload.get("room")))
    return {"ok": True, "room": room}


@full_protocol_event("join-room")
def join(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client: enter a room; it gets a presence snapshot, the room a newcomer.

    With a DM's id it gets the DM's history (or catch-up after ``lastSeen``) alone.
    """
    room = conversation(payload.get("room"))
    last_seen = message_id(payload.get("lastSeen"), "lastSeen")
    last_change = change_number(payload.get("lastChange"), "lastChange")
    chat().rooms.enter(current_sid(), True, room, last_seen, last_change)
    return {"ok": True, "room": room}


@full_protocol_event("leave-room")
def leave(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client: leave a room; the others there are told if the person left.

    A DM cannot be left (its messages reach both people's connections): with its id, only
    the access check is made.
    """
    room = conversation(payload.get("room"))
    chat().rooms.leave(current_sid(), room)
    return {"ok": True, "room": room}


@full_protocol_event("rename")
def rename(payload: dict[str, Any]) -> dict[str, Any]:
    """Sent by a full-protocol client with a new name: everyone sharing a room with the person is told.

    With signed identities the name is the token's, and a rename is refused.
    """
    member = chat().rooms.rename(current_sid(), display_name(payload.get("name")))
    return {"ok": True, "user": member.as_dict()}
