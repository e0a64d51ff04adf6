"""The chat's state for one server process, built from the settings; no Flask or Socket.IO here."""

import threading
from dataclasses import dataclass, field

from .rate_limit import ConnectionLimit, FloodControl


@dataclass
class ChatState:
    """What the event handlers consult and change: limits and who is connected."""

    max_message_length: int
    flood: FloodControl
    connections: ConnectionLimit
    _online: set = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @classmethod
    def from_config(cls, config):
        """Build the state from a Flask config mapping."""
        return cls(
            max_message_length=config["MAX_MESSAGE_LENGTH"],
            flood=FloodControl(config["FLOOD_BURST"], config["FLOOD_RATE"]),
            connections=ConnectionLimit(config["CONNECTIONS_PER_MINUTE"]),
        )

    def joined(self, connection, address):
        """Record a new connection from ``address``."""
        self.flood.open(connection, address)
        with self._lock:
            self._online.add(connection)

    def left(self, connection):
        """Forget a closed connection."""
        self.flood.close(connection)
        with self._lock:
            self._online.discard(connection)

    @property
    def online(self):
        """Return how many connections this process holds."""
        return len(self._online)
