"""The chat's rules as plain Python: no Flask, no Socket.IO.

``Chat`` composes one object per concern, each a module here: connections, rooms, messages,
DMs, changes, reads, moderation and expiry, all asking one access policy (policy.py) before
acting on a conversation. The handlers (chat/handlers/) check a request's shape, call one
operation with the connection's id, and acknowledge; what is announced goes out through the
port (port.py) the core is given, which chat/events.py implements over Socket.IO.
"""

import hashlib
import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..guests import Guests
from ..identity import TokenExpiry, Tokens
from ..stores import Stores, base
from ..validation import is_dm
from .announce import Announce
from .changes import Changes
from .config import Settings
from .connections import Connections, Handshake, Limits
from .creations import Creations
from .dms import DirectMessages
from .expiry import Expiry
from .messages import Messages, Sent
from .moderation import Moderation
from .policy import Policy
from .port import Port
from .reads import Reads
from .rooms import Rooms

__all__ = ["Chat", "Handshake", "Port", "Sent", "Settings"]


class Chat:
    """The chat: its operations by concern, over the stores it is given, announcing through ``port``."""

    def __init__(
        self,
        stores: Stores,
        port: Port,
        settings: Settings,
        tokens: Tokens | None,
        guests: Guests,
        dm_key: bytes,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.stores = stores  # for the health check and the metrics; the operations below are the rules
        self.settings = settings
        self.tokens = tokens  # None unless signed identities are required
        self.guests = guests  # guest credentials, used while nobody signs in
        token_expiry = TokenExpiry(clock) if tokens else None
        s = stores
        moderation_store: base.Moderation = s.moderation
        changes_store: base.Changes = s.changes
        policy = Policy(settings, s.presence, s.rooms, s.dms, s.reads, moderation_store, tokens is not None, wall_clock)
        announce = Announce(port, s.presence, s.rooms, s.typing, s.dms)
        creations = Creations(s.rooms_by_person, s.rooms_by_address, s.dms_by_address)
        self.dms = DirectMessages(port, policy, s.dms, s.history, s.delivery, s.read_limit, creations, dm_key)
        self.changes = Changes(port, policy, announce, changes_store)
        self.reads = Reads(port, policy, settings, s.rooms, s.history, s.reads, s.dms, s.read_limit)
        self.moderation = Moderation(
            port, policy, announce, self.reads, settings, s.presence, changes_store, moderation_store, wall_clock
        )
        self.rooms = Rooms(
            port,
            policy,
            announce,
            settings,
            s.presence,
            s.rooms,
            s.history,
            s.delivery,
            self.dms,
            self.changes,
            self.reads,
            self.moderation,
            creations,
        )
        self.messages = Messages(
            policy,
            announce,
            settings,
            s.presence,
            s.history,
            s.delivery,
            s.typing,
            s.reads,
            self.dms,
            s.flood,
            s.typing_limit,
        )
        self.connections = Connections(
            port,
            policy,
            announce,
            settings,
            s.presence,
            s.dms,
            Limits(s.flood, s.typing_limit, s.read_limit, creations),
            self.rooms,
            self.reads,
            tokens,
            token_expiry,
            guests,
            wall_clock,
        )
        self.expiry = Expiry(
            port,
            announce,
            settings,
            s.presence,
            s.rooms,
            s.typing,
            s.history,
            changes_store,
            s.delivery,
            s.reads,
            moderation_store,
            token_expiry,
        )
        # The rooms the history knows of come back after a restart; the default room always exists.
        s.history.add_room(settings.default_room)
        for room in s.history.rooms():
            if not is_dm(room):  # a DM's messages make it known to the history, never a room
                s.rooms.restore(room)

    @classmethod
    def from_config(
        cls, config: Mapping[str, Any], stores: Stores, port: Port, clock: Callable[[], float] = time.monotonic
    ) -> "Chat":
        """Build the chat from a Flask config mapping, the ``stores`` it opened and ``port``; ``clock`` times tokens."""
        key = config["SECRET_KEY"]
        key_bytes = key.encode() if isinstance(key, str) else bytes(key)
        return cls(
            stores,
            port,
            Settings.from_config(config),
            tokens=Tokens.from_config(config) if config["TOKENS"] else None,
            guests=Guests(config["SECRET_KEY"], config["GUEST_LIFETIME_DAYS"] * 86400),
            dm_key=hmac.new(key_bytes, b"direct messages", hashlib.sha256).digest(),
            clock=clock,
        )

    @property
    def presence(self) -> base.Presence:
        """Return the presence store: who is online (chat/metrics.py counts them)."""
        return self.stores.presence
