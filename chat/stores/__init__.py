"""The chat's stores, and the one place that picks their backend from the settings.

Without REDIS_URL everything lives in this process (chat/stores/local/: memory, and SQLite
for the history). With it, everything several processes must agree on lives in Redis
(chat/stores/redis/), and Flask-SocketIO's message queue runs through the same Redis.
The handlers see only the interfaces of chat/stores/base.py, never which backend runs.
"""

import time
from typing import NamedTuple

from .. import metrics
from ..validation import is_dm
from . import base


class Stores(NamedTuple):
    """The stores of one app, and the Socket.IO client manager their backend needs (or None)."""

    presence: base.Presence
    rooms: base.Rooms
    typing: base.Typing
    history: base.History
    delivery: base.Delivery
    flood: base.FloodControl  # each connection's message allowance
    typing_limit: base.FloodControl  # each connection's typing allowance
    read_limit: base.FloodControl  # each connection's mark-read and seen-by allowance
    connection_limit: base.ConnectionLimit  # new connections per client address
    dms: base.DirectMessages
    reads: base.Reads
    client_manager: object  # the ChatRedisManager for socketio.init_app, or None: Socket.IO's own
    changes: base.Changes = None  # edits, deletions and reactions
    moderation: base.Moderation = None  # room owners, bans, mutes and the record of actions


def open_stores(config, emit, clock=time.monotonic):
    """Open the stores the settings in ``config`` ask for; ``emit(event, data, to=group)`` delivers.

    ``clock`` times the in-process stores' expiries and limits; Redis stores use wall-clock time,
    which every process shares.
    """
    if config["REDIS_URL"]:
        return _redis_stores(config, emit)
    from .local.changes import LocalChanges
    from .local.delivery import LocalDelivery
    from .local.dms import LocalDirectMessages
    from .local.history import LocalHistory
    from .local.limits import LocalConnectionLimit, LocalFloodControl
    from .local.moderation import LocalModeration
    from .local.presence import LocalPresence
    from .local.reads import LocalReads
    from .local.rooms import LocalRooms
    from .local.typing import LocalTyping

    history = _timed(config, LocalHistory(config["HISTORY_DATABASE"]))
    delivery = LocalDelivery(history, emit)
    return Stores(presence=LocalPresence(config["PRESENCE_GRACE"], clock),
                  rooms=LocalRooms(config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], clock),
                  typing=LocalTyping(config["TYPING_TIMEOUT"], clock),
                  history=history,
                  delivery=delivery,
                  flood=LocalFloodControl(config["FLOOD_BURST"], config["FLOOD_RATE"], clock),
                  typing_limit=LocalFloodControl(config["TYPING_BURST"], config["TYPING_RATE"], clock),
                  read_limit=LocalFloodControl(config["READ_BURST"], config["READ_RATE"], clock),
                  connection_limit=LocalConnectionLimit(config["CONNECTIONS_PER_MINUTE"], clock),
                  dms=LocalDirectMessages(config["HISTORY_DATABASE"], config["DMS_PER_PERSON"],
                                          config["DM_SEEN_SECONDS"], clock),
                  changes=LocalChanges(history, emit, delivery.room_lock, config["MAX_REACTIONS_PER_MESSAGE"],
                                       config["CHANGE_RETENTION"]),
                  reads=LocalReads(config["HISTORY_DATABASE"]),
                  moderation=LocalModeration(config["HISTORY_DATABASE"], config["MODERATION_LOG_KEEP"]),
                  client_manager=None)


def _redis_stores(config, emit):
    """Return the Redis-backed stores for several processes, with the message queue's client manager."""
    from redis import Redis

    from .redis.changes import RedisChanges
    from .redis.delivery import ChatRedisManager, RedisDelivery
    from .redis.dms import RedisDirectMessages
    from .redis.history import RedisHistory
    from .redis.limits import RedisConnectionLimit, RedisFloodControl
    from .redis.moderation import RedisModeration
    from .redis.presence import RedisPresence
    from .redis.reads import RedisReads
    from .redis.rooms import RedisRooms
    from .redis.typing import RedisTyping

    manager = ChatRedisManager(config["REDIS_URL"], config["REDIS_CHANNEL"])
    client = Redis.from_url(config["REDIS_URL"], decode_responses=True)
    history = _timed(config, RedisHistory(client))
    dms = RedisDirectMessages(client, config["DMS_PER_PERSON"], config["DM_SEEN_SECONDS"])
    manager.audience = lambda room: dms.groups(room) if is_dm(room) else None  # where a gap's repair goes
    delivery = RedisDelivery(history, manager, emit)
    return Stores(presence=RedisPresence(client, manager.host_id, config["PRESENCE_GRACE"]),
                  rooms=RedisRooms(client, config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"]),
                  typing=RedisTyping(client, config["TYPING_TIMEOUT"]),
                  history=history,
                  delivery=delivery,
                  flood=RedisFloodControl(client, "flood", config["FLOOD_BURST"], config["FLOOD_RATE"]),
                  typing_limit=RedisFloodControl(client, "typing-limit", config["TYPING_BURST"], config["TYPING_RATE"]),
                  read_limit=RedisFloodControl(client, "read-limit", config["READ_BURST"], config["READ_RATE"]),
                  connection_limit=RedisConnectionLimit(client, config["CONNECTIONS_PER_MINUTE"]),
                  dms=dms,
                  changes=RedisChanges(history, emit, delivery.room_lock, config["MAX_REACTIONS_PER_MESSAGE"],
                                       config["CHANGE_RETENTION"], client, manager.channel),
                  reads=RedisReads(client),
                  moderation=RedisModeration(client, config["MODERATION_LOG_KEEP"]),
                  client_manager=manager)


def _timed(config, history):
    """Return ``history``, its appends and reads timed when METRICS is on (chat/metrics.py)."""
    return metrics.time_history(history) if config["METRICS"] else history
