"""The chat's state for one server process, built from the settings; no Flask or Socket.IO here."""

import time
from dataclasses import dataclass

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

    def expire(self):
        """Run every expiry; return (departures, typing ended, rooms removed)."""
        return self.presence.expire(), self.typing.expire(), self.rooms.expire()
