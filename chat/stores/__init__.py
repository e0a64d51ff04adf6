"""The chat's stores, and the one place that picks their backend from the settings.

Without REDIS_URL everything lives in this process (chat/stores/local/: memory, and SQLite
for the history). With it, everything several processes must agree on lives in Redis
(chat/stores/redis/), and Flask-SocketIO's message queue runs through the same Redis.
The handlers see only the interfaces of chat/stores/base.py, never which backend runs.
"""

import time
from typing import NamedTuple

from . import base


class Stores(NamedTuple):
    """The stores of one app, and the Socket.IO client manager their backend needs (or None)."""

    presence: base.Presence
    rooms: base.Rooms
    typing: base.Typing
    history: base.History
    delivery: base.Delivery
    reads: base.Reads
    client_manager: object  # the ChatRedisManager for socketio.init_app, or None: Socket.IO's own


def open_stores(config, emit, clock=time.monotonic):
    """Open the stores the settings in ``config`` ask for; ``emit(event, data, to=group)`` delivers.

    ``clock`` times the in-process stores' expiries; Redis stores use wall-clock time,
    which every process shares.
    """
    if config["REDIS_URL"]:
        return _redis_stores(config, emit)
    from .local.delivery import LocalDelivery
    from .local.history import LocalHistory
    from .local.presence import LocalPresence
    from .local.reads import LocalReads
    from .local.rooms import LocalRooms
    from .local.typing import LocalTyping

    history = LocalHistory(config["HISTORY_DATABASE"])
    return Stores(presence=LocalPresence(config["PRESENCE_GRACE"], clock),
                  rooms=LocalRooms(config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], clock),
                  typing=LocalTyping(config["TYPING_TIMEOUT"], clock),
                  history=history,
                  delivery=LocalDelivery(history, emit),
                  reads=LocalReads(config["HISTORY_DATABASE"]),
                  client_manager=None)


def _redis_stores(config, emit):
    """Return the Redis-backed stores for several processes, with the message queue's client manager."""
    from redis import Redis

    from .redis.delivery import ChatRedisManager, RedisDelivery
    from .redis.history import RedisHistory
    from .redis.presence import RedisPresence
    from .redis.reads import RedisReads
    from .redis.rooms import RedisRooms
    from .redis.typing import RedisTyping

    manager = ChatRedisManager(config["REDIS_URL"], config["REDIS_CHANNEL"])
    client = Redis.from_url(config["REDIS_URL"], decode_responses=True)
    history = RedisHistory(client)
    return Stores(presence=RedisPresence(client, manager.host_id, config["PRESENCE_GRACE"]),
                  rooms=RedisRooms(client, config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"]),
                  typing=RedisTyping(client, config["TYPING_TIMEOUT"]),
                  history=history,
                  delivery=RedisDelivery(history, manager, emit),
                  reads=RedisReads(client),
                  client_manager=manager)
