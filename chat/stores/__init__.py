"""The chat's stores, and the one place that picks their backends from the settings.

Two halves, chosen apart:

- Durable data (rooms that exist, the history, direct messages, changes, read markers,
  mentions, moderation) lives in one SQL database (chat/stores/sql/), from DATABASE_URL:
  a SQLite file for one process, PostgreSQL for several.
- Live state (presence, room occupancy, typing, limits, last seen, delivery) lives in this
  process (chat/stores/local/) without REDIS_URL, else in Redis (chat/stores/redis/), whose
  server also carries Flask-SocketIO's message queue. Redis holds nothing durable: losing it
  loses no message, room, direct message or record.

The handlers see only the interfaces of chat/stores/base/, never which backend runs.
"""

import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, NamedTuple

from .. import metrics
from ..validation import is_dm
from . import base

if TYPE_CHECKING:  # for the annotations only: the functions below import the SQL stores when they run
    from .sql import Database
    from .sql.history import SqlHistory
    from .sql.moderation import SqlModeration
    from .sql.reads import SqlReads


HOUR = 3600.0  # the period of the creation limits (rooms, DMs): their settings count per hour


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
    rooms_by_person: base.RateLimit  # rooms each person creates
    rooms_by_address: base.RateLimit  # rooms the people of each client address create
    dms_by_address: base.RateLimit  # new DMs the people of each client address open
    dms: base.DirectMessages
    reads: base.Reads
    client_manager: object  # the ChatRedisManager for socketio.init_app, or None: Socket.IO's own
    changes: base.Changes  # edits, deletions and reactions
    moderation: base.Moderation  # room owners, bans, mutes and the record of actions


class LiveStores(NamedTuple):
    """The live state of one app (presence, rooms that exist, typing, limits): in this process or in Redis."""

    presence: base.Presence
    rooms: base.Rooms
    typing: base.Typing
    flood: base.FloodControl
    typing_limit: base.FloodControl
    read_limit: base.FloodControl
    connection_limit: base.ConnectionLimit
    rooms_by_person: base.RateLimit
    rooms_by_address: base.RateLimit
    dms_by_address: base.RateLimit


class StartupError(RuntimeError):
    """The settings or the data found make this process unable to start; the message says what to do."""


def open_database(config: Mapping[str, Any]) -> "Database":
    """Open the SQL database of ``config["DATABASE_URL"]``, upgraded to the newest schema unless told not to."""
    from .sql import Database
    from .sql.migrate import current, upgrade

    database = Database(config["DATABASE_URL"])
    if config.get("DATABASE_UPGRADE_ON_START", True):
        upgrade(database)
    else:
        revision, head = current(database)
        if revision != head:
            database.close()
            raise StartupError(
                f"the database's schema is at revision {revision}, not {head}: run "
                "`flask --app chat.cli db-upgrade` (or set CHAT_DATABASE_UPGRADE_ON_START=true)"
            )
    return database


def open_stores(
    config: Mapping[str, Any],
    emit: Callable[..., Any],
    clock: Callable[[], float] = time.monotonic,
    wall_clock: Callable[[], float] = time.time,
) -> Stores:
    """Open the stores the settings in ``config`` ask for; ``emit(event, data, to=group)`` delivers.

    ``clock`` times the in-process stores' expiries and limits; Redis stores and the durable
    ones use ``wall_clock``, which every process shares.
    """
    from .sql.changes import SqlChanges
    from .sql.dms import SqlDirectMessages
    from .sql.history import SqlHistory
    from .sql.moderation import SqlModeration
    from .sql.reads import SqlReads

    database = open_database(config)
    if config["REDIS_URL"] and not database.shared:
        database.close()
        raise StartupError(
            "REDIS_URL is set (several processes) but the database is SQLite, one file per "
            "process, whose ids would diverge: set CHAT_DATABASE_URL to a PostgreSQL URL "
            "(postgresql://user:password@host/db) shared by every process"
        )
    history = SqlHistory(database, wall_clock, config["REMOVED_ROOMS_KEPT"])
    if config["METRICS"]:
        metrics.time_history(history)
    reads = SqlReads(database)
    moderation = SqlModeration(
        database, config["MODERATION_LOG_KEEP"], wall_clock, per_room=config["MAX_RESTRICTIONS_PER_ROOM"]
    )
    if config["REDIS_URL"]:
        return _redis_stores(config, emit, history, reads, moderation)

    from .local.delivery import LocalDelivery
    from .local.dms import LocalLastSeen

    delivery = LocalDelivery(history, emit)
    live = open_live_stores(config, clock)
    return Stores(
        **live._asdict(),
        history=history,
        delivery=delivery,
        dms=SqlDirectMessages(
            database, config["DMS_PER_PERSON"], LocalLastSeen(config["DM_SEEN_SECONDS"], clock), wall_clock
        ),
        changes=SqlChanges(
            history, emit, delivery.room_lock, config["MAX_REACTIONS_PER_MESSAGE"], config["CHANGE_RETENTION"]
        ),
        reads=reads,
        moderation=moderation,
        client_manager=None,
    )


def open_live_stores(
    config: Mapping[str, Any],
    clock: Callable[[], float] = time.monotonic,
    redis: Any = None,
    host_id: str = "",
    durable_rooms: Callable[[], list[str]] = list,
) -> LiveStores:
    """Open the live stores: in this process on ``clock`` without ``redis``, else in Redis on the wall clock.

    ``host_id`` names this process in Redis presence; ``durable_rooms()`` returns the rooms the
    database holds, which Redis rooms bring back if Redis restarts empty.
    """
    if redis is None:
        from .local.limits import LocalConnectionLimit, LocalFloodControl, LocalRateLimit
        from .local.presence import LocalPresence
        from .local.rooms import LocalRooms
        from .local.typing import LocalTyping

        return LiveStores(
            presence=LocalPresence(config["PRESENCE_GRACE"], clock),
            rooms=LocalRooms(config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], clock),
            typing=LocalTyping(config["TYPING_TIMEOUT"], clock),
            flood=LocalFloodControl(config["FLOOD_BURST"], config["FLOOD_RATE"], clock),
            typing_limit=LocalFloodControl(config["TYPING_BURST"], config["TYPING_RATE"], clock),
            read_limit=LocalFloodControl(config["READ_BURST"], config["READ_RATE"], clock),
            connection_limit=LocalConnectionLimit(config["CONNECTIONS_PER_MINUTE"], clock),
            rooms_by_person=LocalRateLimit(config["ROOMS_CREATED_PER_PERSON"], HOUR, clock),
            rooms_by_address=LocalRateLimit(config["ROOMS_CREATED_PER_ADDRESS"], HOUR, clock),
            dms_by_address=LocalRateLimit(config["DMS_OPENED_PER_ADDRESS"], HOUR, clock),
        )

    from .redis.limits import RedisConnectionLimit, RedisFloodControl, RedisRateLimit
    from .redis.presence import RedisPresence
    from .redis.rooms import RedisRooms
    from .redis.typing import RedisTyping

    return LiveStores(
        presence=RedisPresence(redis, host_id, config["PRESENCE_GRACE"]),
        rooms=RedisRooms(
            redis, config["DEFAULT_ROOM"], config["MAX_ROOMS"], config["ROOM_IDLE_SECONDS"], durable_rooms=durable_rooms
        ),
        typing=RedisTyping(redis, config["TYPING_TIMEOUT"]),
        flood=RedisFloodControl(redis, "flood", config["FLOOD_BURST"], config["FLOOD_RATE"]),
        typing_limit=RedisFloodControl(redis, "typing-limit", config["TYPING_BURST"], config["TYPING_RATE"]),
        read_limit=RedisFloodControl(redis, "read-limit", config["READ_BURST"], config["READ_RATE"]),
        connection_limit=RedisConnectionLimit(redis, config["CONNECTIONS_PER_MINUTE"]),
        rooms_by_person=RedisRateLimit(redis, "rooms-by-person", config["ROOMS_CREATED_PER_PERSON"], HOUR),
        rooms_by_address=RedisRateLimit(redis, "rooms-by-address", config["ROOMS_CREATED_PER_ADDRESS"], HOUR),
        dms_by_address=RedisRateLimit(redis, "dms-by-address", config["DMS_OPENED_PER_ADDRESS"], HOUR),
    )


def _redis_stores(
    config: Mapping[str, Any],
    emit: Callable[..., Any],
    history: "SqlHistory",
    reads: "SqlReads",
    moderation: "SqlModeration",
) -> Stores:
    """Return the stores for several processes: live state in Redis, with the message queue's client manager."""
    from redis import Redis

    from .redis.delivery import ChatRedisManager, RedisDelivery
    from .redis.dms import RedisLastSeen
    from .sql.changes import SqlChanges
    from .sql.dms import SqlDirectMessages
    from .sql.from_redis import holds_durable_data

    client = Redis.from_url(config["REDIS_URL"], decode_responses=True)
    if holds_durable_data(client):
        client.close()
        raise StartupError(
            "Redis holds messages an older release kept there: stop every server process and run "
            "`flask --app chat.cli move-from-redis` once, which moves them into CHAT_DATABASE_URL"
        )
    manager = ChatRedisManager(config["REDIS_URL"], config["REDIS_CHANNEL"])
    history.also_check.append(lambda: _ping(client))
    dms = SqlDirectMessages(
        history.database, config["DMS_PER_PERSON"], RedisLastSeen(client, config["DM_SEEN_SECONDS"])
    )
    manager.audience = lambda room: dms.groups(room) if is_dm(room) else None  # where a gap's repair goes
    delivery = RedisDelivery(history, manager, emit)
    live = open_live_stores(
        config,
        redis=client,
        host_id=manager.host_id,
        durable_rooms=lambda: [room for room in history.rooms() if not is_dm(room)],
    )
    return Stores(
        **live._asdict(),
        history=history,
        delivery=delivery,
        dms=dms,
        changes=SqlChanges(
            history, emit, delivery.room_lock, config["MAX_REACTIONS_PER_MESSAGE"], config["CHANGE_RETENTION"]
        ),
        reads=reads,
        moderation=moderation,
        client_manager=manager,
    )


def _ping(redis: Any) -> str | None:
    """Return None if Redis answers, else what is wrong with it."""
    try:
        redis.ping()
    except Exception as error:  # any failure of the connection makes the process unusable
        return f"redis: {error}"
    return None
