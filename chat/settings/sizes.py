"""The sizes derived from other settings: the longest valid packet, the largest request."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The most one code point can take in a JSON packet: a client that escapes everything outside
# ASCII (Python's json.dumps does by default) writes an emoji as a surrogate pair, \ud83d\ude00:
# twelve characters, twelve bytes. (A lone surrogate or a control character is \uXXXX: six.)
WORST_BYTES_PER_CODE_POINT = 12
PACKET_OVERHEAD_BYTES = 64

# Beside the message text, the longest strings of a valid packet: a room name (32 code points),
# a display name (32), a clientId (64, validation.CLIENT_ID_MAX), and a signed identity token: a JWT
# with a 4096-bit RSA signature (683 characters) and a site's own claims beside ours.
ROOM_NAME_CODE_POINTS, NAME_CODE_POINTS, CLIENT_ID_CODE_POINTS, TOKEN_BYTES = 32, 32, 64, 4096
# A mentioned person's id (at most 64 code points, as a token's sub), quoted, with its comma.
MENTION_ID_CODE_POINTS = 64
PERSON_ID_MAX = 256  # chat/validation.py PERSON_ID_MAX: a ban's or mute's person


def flood_allowance_bytes(config: Mapping[str, Any]) -> int:
    """Return the size of a long-polling request carrying a full burst of longest messages."""
    per_message = config["MAX_MESSAGE_LENGTH"] * WORST_BYTES_PER_CODE_POINT + PACKET_OVERHEAD_BYTES
    return int(max(config["FLOOD_BURST"], 1) * per_message)


def longest_packet(config: Mapping[str, Any]) -> int:
    """Return an upper bound on the length of a valid packet from a client, in characters.

    It covers the longest ``send-message`` (a longest message, room, clientId and mentions) and the
    longest handshake (every room twice, in ``rooms`` and ``lastSeen``, a name and a token),
    with every code point JSON-escaped at its longest (WORST_BYTES_PER_CODE_POINT).
    """
    # lastChange lists the rooms a third time: room names are plain ASCII, so their share counted
    # escaped at its longest (12 characters each) already holds it several times over.
    code_points = (
        config["MAX_MESSAGE_LENGTH"]
        + CLIENT_ID_CODE_POINTS
        + NAME_CODE_POINTS
        + (2 * config["ROOMS_PER_CONNECTION"] + 1) * ROOM_NAME_CODE_POINTS
        + config["MAX_MENTIONS"] * (MENTION_ID_CODE_POINTS + 3)
    )
    # A ban or mute (a room, a person's id, a reason) is shorter at the defaults; a long MAX_MODERATION_REASON is not.
    code_points = max(code_points, ROOM_NAME_CODE_POINTS + PERSON_ID_MAX + config["MAX_MODERATION_REASON"])
    return int(code_points * WORST_BYTES_PER_CODE_POINT + TOKEN_BYTES + 4 * PACKET_OVERHEAD_BYTES)


def packet_bytes(config: Mapping[str, Any]) -> int:
    """Return the default MAX_PACKET_BYTES: a full flood burst of longest messages, 1 MB at least."""
    return max(1_000_000, flood_allowance_bytes(config))


# Conversations a handshake may enter at once: ROOMS_PER_CONNECTION rooms and as many DMs.
HANDSHAKE_CONVERSATIONS_PER_ROOM = 2


def history_bytes(config: Mapping[str, Any]) -> int:
    """Return the default HISTORY_MAX_BYTES: every history of a handshake together in half of MAX_QUEUED_BYTES.

    So a client that reads is never cut for connecting, whatever its rooms hold, and the
    other half is left for the live traffic meanwhile.
    """
    return max(1, config["MAX_QUEUED_BYTES"] // (2 * HANDSHAKE_CONVERSATIONS_PER_ROOM * config["ROOMS_PER_CONNECTION"]))
