"""The chat's shared types: a person as others see them, a message, a refusal.

Every store (chat/stores/) and every handler (chat/handlers/) uses these, whichever backend
runs. The refusals that several places raise are built here once, so each reads the same.
"""

import hashlib
import hmac
import json
import math
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True)
class Member:
    """A person as others see them."""

    id: str
    name: str
    guest: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "guest": self.guest}


@dataclass(frozen=True)
class Message:
    """An accepted chat message."""

    room: str
    id: int
    ts: int  # milliseconds since the Unix epoch, server time
    user: Member
    text: str
    client_id: str | None = None  # the sender's own id for it, if the sender gave one
    edited_at: int | None = None  # when its sender last edited it, in milliseconds; None if never
    deleted: bool = False  # a tombstone: its sender deleted it, its text is "" and its id stays in place
    reactions: dict[str, list[str]] | None = (
        None  # emoji -> the ids of the people who reacted with it, in the order they did
    )
    mentions: tuple[str, ...] = ()  # the ids of the people it mentions, as resolved at send time

    def as_dict(self) -> dict[str, Any]:
        message: dict[str, Any] = {
            "room": self.room,
            "id": self.id,
            "ts": self.ts,
            "user": self.user.as_dict(),
            "text": self.text,
        }
        if self.client_id is not None:
            message["clientId"] = self.client_id
        if self.edited_at is not None:
            message["edited"], message["editedAt"] = True, self.edited_at
        if self.deleted:
            message["deleted"] = True
        if self.reactions:
            message["reactions"] = self.reactions
        if self.mentions:
            message["mentions"] = list(self.mentions)
        return message


class ChatError(Exception):
    """A client request refused, with a machine code and a reason a person can read."""

    def __init__(self, code: str, reason: str) -> None:
        super().__init__(reason)
        self.code = code
        self.reason = reason

    def as_dict(self) -> dict[str, str]:
        return {"error": self.reason, "code": self.code}


# --- Refusals raised in several places ------------------------------------------------------


def not_in_room(room: str) -> ChatError:
    """Return the refusal of a request about ``room`` from a connection that is not in it."""
    return ChatError("not_in_room", f"you are not in the room {room!r}")


def no_such_room(room: str) -> ChatError:
    """Return the refusal of a request about ``room``, which does not exist."""
    return ChatError("no_such_room", f"there is no room {room!r}")


def room_exists(room: str) -> ChatError:
    """Return the refusal of creating ``room``, which exists already."""
    return ChatError("room_exists", f"the room {room!r} exists already")


def too_many_rooms_here(count: int) -> ChatError:
    """Return the refusal of entering one more room for a connection in ``count`` rooms, the limit."""
    return ChatError("too_many_rooms", f"you are in {count} rooms, the limit; leave one first")


def no_such_conversation(conversation: str) -> ChatError:
    """Return the refusal of a request about a direct message that does not exist or is not the asker's.

    The two read the same, so a refusal reveals nothing of whether the conversation exists.
    """
    return ChatError("not_found", f"there is no conversation {conversation!r} of yours")


def too_many_dms(per_person: int) -> ChatError:
    """Return the refusal of opening one more direct message for a person who has ``per_person``, the limit."""
    return ChatError("too_many_dms", f"you have {per_person} direct messages, the limit")


def too_many_dms_theirs(per_person: int) -> ChatError:
    """Return the refusal of opening a direct message with a person who is in ``per_person``, the limit."""
    return ChatError("too_many_dms", f"they are in {per_person} direct messages, the limit")


def too_many_rooms_total(max_rooms: int) -> ChatError:
    """Return the refusal of creating a room when ``max_rooms`` exist, the limit."""
    return ChatError("too_many_rooms", f"there are {max_rooms} rooms already, the limit")


def no_such_message(room: str, message_id: int) -> ChatError:
    """Return the refusal of a request about message ``message_id`` of ``room``, which is not there (or deleted)."""
    return ChatError("not_found", f"there is no message {message_id} in the room {room!r}")


def not_your_message(message_id: int) -> ChatError:
    """Return the refusal of changing message ``message_id``, which someone else sent."""
    return ChatError("forbidden", f"message {message_id} is not yours: only its sender may change it")


def too_many_reactions(max_reactions: int) -> ChatError:
    """Return the refusal of one more distinct emoji on a message that has ``max_reactions``, the limit."""
    return ChatError("too_many_reactions", f"a message may carry {max_reactions} different reactions, the limit")


def too_many_restrictions(per_room: int) -> ChatError:
    """Return the refusal of one more ban or mute in a room that has ``per_room`` in force, the limit."""
    return ChatError("too_many_restrictions", f"a room may hold {per_room} bans and mutes in force, the limit")


def iso_time(unix_seconds: float) -> str:
    """Return the Unix time ``unix_seconds`` as an ISO 8601 UTC time to the second, e.g. 2026-12-01T22:30:00Z."""
    return datetime.fromtimestamp(unix_seconds, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def banned(room: str, until: float, now: float) -> ChatError:
    """Return the refusal of entering ``room`` (connecting, for the default room) for a person banned until ``until``."""
    return ChatError(
        "banned", f"you are banned from the room {room!r} until {iso_time(until)} ({math.ceil(until - now)} s left)"
    )


def muted(room: str, until: float, now: float) -> ChatError:
    """Return the refusal of a send to ``room`` from a person muted there until ``until``."""
    return ChatError(
        "muted", f"you are muted in the room {room!r} until {iso_time(until)} ({math.ceil(until - now)} s left)"
    )


def not_a_moderator(reason: str) -> ChatError:
    """Return the refusal of a moderation action from someone who may not moderate there, saying why."""
    return ChatError("forbidden", reason)


# --- The Socket.IO groups a message goes to ---------------------------------------------------
# Named here, not in the handlers, because the deliveries (chat/stores/) address them too.

SEED = "seed"  # clients of the original gateway's protocol, which live in the default room
FULL = "full"  # full-protocol clients


def room_group(room: str) -> str:
    """Return the Socket.IO group of a chat room's full-protocol connections."""
    return f"room:{room}"


def person_group(person_id: str) -> str:
    """Return the Socket.IO group of one person's connections."""
    return f"person:{person_id}"


def full_person_group(person_id: str) -> str:
    """Return the Socket.IO group of one person's full-protocol connections.

    Their direct messages, read markers and receipts go there. Not ``person:<id>``: with
    signed identities a person's protocol 1 connections are in that group too, and must
    hear only the original events.
    """
    return f"full-person:{person_id}"


def dm_id(key: bytes, person_a: str, person_b: str) -> str:
    """Return the id of the direct message of two person ids, keyed by ``key``: the same whichever asks first.

    A keyed hash, so an id says nothing of its two people to anyone without the server's key.
    """
    pair = json.dumps(sorted((person_a, person_b))).encode()  # JSON, so no two pairs of ids read the same
    return "dm:" + hmac.new(key, pair, hashlib.sha256).hexdigest()[:24]
