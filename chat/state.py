"""The chat's state, built from the settings: in this process, or in Redis when several
processes share it (shared_state.py, shared_history.py). No Flask or Socket.IO here."""

import threading
import time
from dataclasses import dataclass, field

from .guests import Guests
from .history import History
from .identity import TokenExpiry, Tokens
from .presence import Presence
from .rate_limit import ConnectionLimit, FloodControl
from .rooms import Rooms
from .typists import Typing


@dataclass
class ChatState:
    """What the event handlers consult and change."""

    max_message_length: int
    rooms_per_connection: int
    history_limit: int
    history_page_max: int
    retention_messages: int
    retention_seconds: float
    flood: FloodControl
    typing_limit: FloodControl
    connections: ConnectionLimit
    presence: Presence  # or shared_state.RedisPresence: the same methods; likewise below
    rooms: Rooms
    typing: Typing
    history: History
    tokens: Tokens  # None unless signed identities are required
    token_expiry: TokenExpiry  # when each connection's token expires; None without tokens
    guests: Guests  # guest credentials, used while nobody signs in
    _room_locks: tuple = field(default_factory=lambda: tuple(threading.Lock() for _ in range(64)))

    @classmethod
    def from_config(cls, config, clock=time.monotonic, host_id=None):
        """Build the state from a Flask config mapping; ``clock`` times every limit and expiry.

        With REDIS_URL, everything several processes must agree on lives in Redis, and
        ``host_id`` names this process there.
        """
        if config["REDIS_URL"]:
            history, presence, rooms, typing = _shared(config, host_id)
        else:
            history = History(config["HISTORY_DATABASE"])
            presence = Presence(config["PRESENCE_GRACE"], clock)
            rooms = Rooms(config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], clock)
            typing = Typing(config["TYPING_TIMEOUT"], clock)
        history.add_room(config["DEFAULT_ROOM"])
        for room in history.rooms():
            rooms.restore(room)
        return cls(
            max_message_length=config["MAX_MESSAGE_LENGTH"],
            rooms_per_connection=config["ROOMS_PER_CONNECTION"],
            history_limit=config["HISTORY_LIMIT"],
            history_page_max=config["HISTORY_PAGE_MAX"],
            retention_messages=config["RETENTION_MESSAGES"],
            retention_seconds=config["RETENTION_DAYS"] * 86400,
            flood=FloodControl(config["FLOOD_BURST"], config["FLOOD_RATE"], clock),
            typing_limit=FloodControl(config["TYPING_BURST"], config["TYPING_RATE"], clock),
            connections=ConnectionLimit(config["CONNECTIONS_PER_MINUTE"], clock),
            presence=presence,
            rooms=rooms,
            typing=typing,
            history=history,
            tokens=Tokens.from_config(config) if config["TOKENS"] else None,
            token_expiry=TokenExpiry(clock) if config["TOKENS"] else None,
            guests=Guests(config["SECRET_KEY"]),
        )

    def heartbeat(self):
        """Tell other processes this one is alive; return False if they gave it up for dead already."""
        return self.presence.heartbeat() if hasattr(self.presence, "heartbeat") else True

    def room_lock(self, room):
        """Return the lock that keeps ``room``'s messages numbered and delivered in one order.

        Rooms share a fixed set of locks, so the set does not grow with every room ever made.
        """
        return self._room_locks[hash(room) % len(self._room_locks)]

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
        departures, dropped = self.presence.drop_silent_hosts()
        return departures + self.presence.expire(), self.typing.expire(), removed, dropped

    def retain(self):
        """Apply the retention settings to the history; return how many messages went."""
        return self.history.retain(self.retention_messages, self.retention_seconds)


def _shared(config, host_id):
    """Return the Redis-backed history, presence, rooms and typing for several processes."""
    from redis import Redis

    from .shared_history import RedisHistory
    from .shared_state import RedisPresence, RedisRooms, RedisTyping

    redis = Redis.from_url(config["REDIS_URL"], decode_responses=True)
    return (RedisHistory(redis, config["REDIS_CHANNEL"]),
            RedisPresence(redis, host_id, config["PRESENCE_GRACE"]),
            RedisRooms(redis, config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"]),
            RedisTyping(redis, config["TYPING_TIMEOUT"]))
