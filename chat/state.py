"""The chat's state: its stores (chat/stores/, whichever backend runs, limits included), composed.

No Flask or Socket.IO here, and no question of which backend runs.
"""

import hashlib
import hmac
import time
from dataclasses import dataclass

from .guests import Guests
from .identity import TokenExpiry, Tokens
from .model import dm_id
from .stores import base
from .validation import is_dm


@dataclass
class ChatState:
    """What the event handlers consult and change."""

    max_message_length: int
    rooms_per_connection: int
    history_limit: int
    history_page_max: int
    retention_messages: int
    retention_seconds: float
    flood: base.FloodControl
    typing_limit: base.FloodControl
    connections: base.ConnectionLimit
    presence: base.Presence
    rooms: base.Rooms
    typing: base.Typing
    history: base.History
    delivery: base.Delivery
    tokens: Tokens  # None unless signed identities are required
    token_expiry: TokenExpiry  # when each connection's token expires; None without tokens
    guests: Guests  # guest credentials, used while nobody signs in
    reads: base.Reads  # read markers, memberships, mentions
    max_mentions: int
    seen_by_max: int
    receipts_scan: int
    read_limit: base.FloodControl  # mark-read and seen-by, apart from the flood allowance
    dms: base.DirectMessages = None
    dm_key: bytes = b""  # keys the hash that names a direct message, so an id reveals nothing of its people
    changes: base.Changes = None  # edits, deletions and reactions
    max_emoji_length: int = 16
    moderation: base.Moderation = None  # room owners, bans, mutes and the record of actions
    max_ban_seconds: int = 7 * 86400
    max_mute_seconds: int = 7 * 86400
    max_moderation_reason: int = 200

    @classmethod
    def from_config(cls, config, stores, clock=time.monotonic):
        """Build the state from a Flask config mapping and the ``stores`` it opened; ``clock`` times token expiries."""
        history, rooms = stores.history, stores.rooms
        history.add_room(config["DEFAULT_ROOM"])
        for room in history.rooms():
            if not is_dm(room):  # a direct message's messages make it known to the history, never a room
                rooms.restore(room)
        return cls(
            max_message_length=config["MAX_MESSAGE_LENGTH"],
            rooms_per_connection=config["ROOMS_PER_CONNECTION"],
            history_limit=config["HISTORY_LIMIT"],
            history_page_max=config["HISTORY_PAGE_MAX"],
            retention_messages=config["RETENTION_MESSAGES"],
            retention_seconds=config["RETENTION_DAYS"] * 86400,
            flood=stores.flood,
            typing_limit=stores.typing_limit,
            connections=stores.connection_limit,
            presence=stores.presence,
            rooms=rooms,
            typing=stores.typing,
            history=history,
            delivery=stores.delivery,
            tokens=Tokens.from_config(config) if config["TOKENS"] else None,
            token_expiry=TokenExpiry(clock) if config["TOKENS"] else None,
            guests=Guests(config["SECRET_KEY"]),
            dms=stores.dms,
            dm_key=hmac.new(_bytes(config["SECRET_KEY"]), b"direct messages", hashlib.sha256).digest(),
            changes=stores.changes,
            max_emoji_length=config["MAX_EMOJI_LENGTH"],
            reads=stores.reads,
            max_mentions=config["MAX_MENTIONS"],
            seen_by_max=config["SEEN_BY_MAX"],
            receipts_scan=config["RECEIPTS_SCAN"],
            read_limit=stores.read_limit,
            moderation=stores.moderation,
            max_ban_seconds=config["MAX_BAN_SECONDS"],
            max_mute_seconds=config["MAX_MUTE_SECONDS"],
            max_moderation_reason=config["MAX_MODERATION_REASON"],
        )

    def dm_id(self, person_a, person_b):
        """Return the id of the direct message of two person ids: the same whichever of them asks."""
        return dm_id(self.dm_key, person_a, person_b)

    def create_room(self, room):
        """Create ``room`` and record it in the history; return its name."""
        room = self.rooms.create(room)
        self.history.add_room(room)
        return room

    def expire(self):
        """Run every expiry; return (departures, typing ended, rooms removed, connections dropped).

        Connections dropped are those of other processes given up for dead (with Redis),
        which never disconnect here: their seed audience must still be told they left.
        """
        removed = self.rooms.expire()
        for room in removed:
            self.history.remove_room(room)
            self.reads.remove_room(room)
            if self.moderation is not None:
                self.moderation.remove_room(room)  # a room of that name made later is its maker's
        departures, dropped = self.presence.drop_silent_hosts()
        return departures + self.presence.expire(), self.typing.expire(), removed, dropped

    def retain(self):
        """Apply the retention settings to the history; return how many messages went."""
        return self.history.retain(self.retention_messages, self.retention_seconds)



def _bytes(key):
    return key.encode() if isinstance(key, str) else key
