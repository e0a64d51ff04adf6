"""The chat's state for one server process, built from the settings; no Flask or Socket.IO here."""

import threading
import time
from dataclasses import dataclass, field

from .history import History
from .presence import Presence
from .rate_limit import ConnectionLimit, FloodControl
from .rooms import Rooms
from .typists import Typing


@dataclass
class ChatState:
    """What the event handlers consult and change."""

    max_message_length: int
    rooms_per_connection: int
    flood: FloodControl
    typing_limit: FloodControl
    connections: ConnectionLimit
    presence: Presence
    rooms: Rooms
    typing: Typing
    history: History
    _room_locks: tuple = field(default_factory=lambda: tuple(threading.Lock() for _ in range(64)))

    @classmethod
    def from_config(cls, config, clock=time.monotonic):
        """Build the state from a Flask config mapping; ``clock`` times every limit and expiry."""
        return cls(
            max_message_length=config["MAX_MESSAGE_LENGTH"],
            rooms_per_connection=config["ROOMS_PER_CONNECTION"],
            flood=FloodControl(config["FLOOD_BURST"], config["FLOOD_RATE"], clock),
            typing_limit=FloodControl(config["TYPING_BURST"], config["TYPING_RATE"], clock),
            connections=ConnectionLimit(config["CONNECTIONS_PER_MINUTE"], clock),
            presence=Presence(config["PRESENCE_GRACE"], clock),
            rooms=Rooms(config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], clock),
            typing=Typing(config["TYPING_TIMEOUT"], clock),
            history=History(),
        )

    def room_lock(self, room):
        """Return the lock that keeps ``room``'s messages numbered and delivered in one order.

        Rooms share a fixed set of locks, so the set does not grow with every room ever made.
        """
        return self._room_locks[hash(room) % len(self._room_locks)]

    def expire(self):
        """Run every expiry; return (departures, typing ended, rooms removed)."""
        return self.presence.expire(), self.typing.expire(), self.rooms.expire()
