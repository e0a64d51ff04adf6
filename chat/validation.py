"""Check what clients send: one pure function per kind of input, each raising ChatError.

None of these consults the chat's state: whatever a check needs (a limit, the default
room) is an argument, so each is unit-tested on its own (tests/unit/test_validation.py).
"""

import re
import unicodedata

from .model import ChatError
from .names import display_name
from .text import plain

FULL_PROTOCOL = 2

ROOM_NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
ROOM_NAME_RULE = "1 to 32 characters: lower-case letters a-z, digits, - and _, starting with a letter or digit"

# A direct message's id: no room name can take it, for a room name has no colon.
DM_ID = re.compile(r"dm:[0-9a-f]{24}")

# The largest id exact both as a JavaScript number and as a Redis score (a double); SQLite's
# INTEGER would overflow only at 2**63, so the two backends agree only below this.
MAX_MESSAGE_ID = 2**53 - 1

CLIENT_ID_MAX = 64


def kind_of(value):
    """Return what kind of JSON value ``value`` is, for a refusal to say: "a number", "an array", "null"..."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (bytes, bytearray)):
        return "binary data"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def message_text(args, max_length):
    """Return the message text from a ``newMessage`` event's arguments, exactly as sent.

    Raise ChatError unless there is exactly one argument, a string that is not blank
    and has at most ``max_length`` code points.
    """
    if len(args) != 1:
        raise ChatError("bad_arguments", f"newMessage takes one argument, the message text; got {len(args)}")
    text = args[0]
    if not isinstance(text, str):
        raise ChatError("not_text", f"the message must be a string, not {kind_of(text)}")
    if not text.strip():
        raise ChatError("empty", "the message is empty")
    if len(text) > max_length:
        raise ChatError("too_long", f"the message is too long: {len(text):,} characters, the limit is {max_length:,}")
    return text


def room_name(value):
    """Return ``value`` if it is a valid room name; raise ChatError if not."""
    if not isinstance(value, str) or not ROOM_NAME.fullmatch(value):
        raise ChatError("bad_room", f"a room name is {ROOM_NAME_RULE}")
    return value


def is_dm(value):
    """Return whether ``value`` is a direct message's id (whether or not that conversation exists)."""
    return isinstance(value, str) and DM_ID.fullmatch(value) is not None


def conversation(value):
    """Return ``value`` if it is a room name or a direct message's id; raise ChatError if neither."""
    if is_dm(value):
        return value
    if not isinstance(value, str) or not ROOM_NAME.fullmatch(value):
        raise ChatError("bad_room", f"a room name is {ROOM_NAME_RULE}; a direct message's id is dm: and 24 hex digits")
    return value


def message_id(value, field):
    """Return ``value`` as a message id (None if absent); raise ChatError if it is not one."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_MESSAGE_ID:
        raise ChatError("bad_arguments", f"{field} must be a message id, a whole number from 0 to {MAX_MESSAGE_ID}")
    return value


def client_id(value):
    """Return ``value`` as a sender's own message id (None if absent); raise ChatError if it is not one."""
    if value is None:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= CLIENT_ID_MAX:
        raise ChatError("bad_arguments", f"clientId must be a string of 1 to {CLIENT_ID_MAX} characters")
    return plain(value, "clientId")


def page_limit(value, page_max):
    """Return ``value`` as a history page's size; raise ChatError unless it is from 1 to ``page_max``."""
    if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= page_max:
        raise ChatError("bad_arguments", f"limit must be a whole number from 1 to {page_max}")
    return value


def typing_flag(value):
    """Return ``value`` if it says whether someone is typing; raise ChatError if it is not a boolean."""
    if not isinstance(value, bool):
        raise ChatError("bad_arguments", "typing must be true or false")
    return value


def event_object(event, args):
    """Return the one object argument of full-protocol ``event`` ({} if none); raise ChatError if not so."""
    if len(args) > 1 or (args and not isinstance(args[0], dict)):
        raise ChatError("bad_arguments", f"{event} takes one object argument")
    return args[0] if args else {}


# --- The handshake --------------------------------------------------------------------------
# Checked in the order a connect has always checked it; the handler verifies the token or
# the guest credential between handshake_auth and handshake_rooms.


def handshake_auth(auth):
    """Return (the handshake's ``auth`` as a dict, whether it asks for the full protocol).

    Raise ChatError unless ``auth`` is absent or an object whose ``protocol``, if given, is
    exactly the integer 1 (the original gateway's) or 2 (the full one).
    """
    if auth is None:
        auth = {}
    if not isinstance(auth, dict):
        raise ChatError("bad_handshake", "the handshake auth must be an object")
    protocol = auth.get("protocol", 1)
    # Exactly the integer: True == 1 and 2.0 == 2 in Python, but neither is a protocol number.
    if type(protocol) is not int or protocol not in (1, FULL_PROTOCOL):
        raise ChatError("bad_handshake", f"protocol must be 1 (the original gateway's) or {FULL_PROTOCOL} (full)")
    return auth, protocol == FULL_PROTOCOL


def guest_credential(auth, full):
    """Return the guest credential a full-protocol handshake passes back, or None; raise ChatError if not a string."""
    credential = auth.get("guest") if full else None
    if credential is not None and not isinstance(credential, str):
        raise ChatError("bad_handshake", "guest must be the credential a welcome gave")
    return credential if credential is None else plain(credential, "guest", "bad_handshake")


def resume_secret(auth, full):
    """Return the resume secret a full-protocol handshake passes back, or None; raise ChatError if not a string."""
    secret = auth.get("resume") if full else None
    if secret is not None and not isinstance(secret, str):
        raise ChatError("bad_handshake", "resume must be the secret a welcome gave")
    return secret


def requested_name(auth, full):
    """Return the display name a full-protocol handshake asks for, or None; raise ChatError if it is not valid."""
    return display_name(auth["name"]) if auth.get("name") is not None and full else None


def handshake_rooms(auth, default_room, rooms_per_connection, dms_max=0):
    """Return {room: the last message id seen there, or None} from a full-protocol handshake.

    ``rooms`` defaults to the default room alone; ``lastSeen`` maps rooms to message ids.
    ``rooms`` may also name up to ``dms_max`` direct messages by id, which do not count
    against ``rooms_per_connection``.
    """
    rooms = auth.get("rooms", [default_room])
    dms = [room for room in rooms if is_dm(room)] if isinstance(rooms, list) else []
    if not isinstance(rooms, list) or len(rooms) - len(dms) > rooms_per_connection:
        raise ChatError("bad_handshake", f"rooms must be a list of at most {rooms_per_connection} room names")
    if len(dms) > dms_max:
        raise ChatError("bad_handshake", f"rooms may name at most {dms_max} direct messages")
    last_seen = auth.get("lastSeen", {})
    if not isinstance(last_seen, dict):
        raise ChatError("bad_handshake", "lastSeen must map room names to message ids")
    return {room if is_dm(room) else room_name(room): message_id(last_seen.get(room), "lastSeen") for room in rooms}


# --- Edits, deletions and reactions -----------------------------------------------------------


def reaction_emoji(value, max_length):
    """Return ``value`` as a reaction: a string of 1 to ``max_length`` code points, no control characters.

    Raise ChatError ``bad_emoji`` if it is not one.
    """
    if (
        not isinstance(value, str)
        or not 0 < len(value) <= max_length
        or not value.strip()
        or any(unicodedata.category(c) in ("Cc", "Zl", "Zp") for c in value)
    ):
        raise ChatError("bad_emoji", f"a reaction is 1 to {max_length} characters, no control characters")
    return plain(value, "the reaction", "bad_emoji")


def reaction_flag(value):
    """Return ``value`` if it says whether the reaction is on; raise ChatError if it is not a boolean."""
    if not isinstance(value, bool):
        raise ChatError("bad_arguments", "on must be true or false")
    return value


def handshake_changes(auth, rooms):
    """Return {room: the last change number seen there} from a handshake's ``lastChange``, for ``rooms``."""
    last_change = auth.get("lastChange", {})
    if not isinstance(last_change, dict):
        raise ChatError("bad_handshake", "lastChange must map room names to change numbers")
    return {room: change_number(last_change[room], "lastChange") for room in rooms if last_change.get(room) is not None}


def change_number(value, field):
    """Return ``value`` as a change number (None if absent); raise ChatError if it is not one."""
    if value is None:
        return None
    if type(value) is not int or not 0 <= value <= MAX_MESSAGE_ID:
        raise ChatError("bad_arguments", f"{field} must be a change number, a whole number from 0 to {MAX_MESSAGE_ID}")
    return value


PERSON_ID_MAX = 256


def person_id(value):
    """Return ``value`` as a person's id, as ``user.id`` shows it; raise ChatError if it cannot be one."""
    if not isinstance(value, str) or not 0 < len(value) <= PERSON_ID_MAX:
        raise ChatError(
            "bad_arguments", f"person must be a person's id (user.id), a string of 1 to {PERSON_ID_MAX} characters"
        )
    return plain(value, "person")


def duration(value, field, max_seconds):
    """Return ``value`` as a ban's or mute's length in seconds; raise ChatError unless it is 1 to ``max_seconds``."""
    if type(value) is not int or not 0 < value <= max_seconds:
        raise ChatError("bad_arguments", f"{field} must be a whole number of seconds from 1 to {max_seconds:,}")
    return value


def moderation_reason(value, max_length):
    """Return a moderation action's reason ("" if absent); raise ChatError unless a string of ``max_length`` at most."""
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ChatError("bad_arguments", f"reason must be a string, not {kind_of(value)}")
    if len(value) > max_length:
        raise ChatError("too_long", f"the reason is too long: {len(value):,} characters, the limit is {max_length:,}")
    return plain(value, "reason").strip()
