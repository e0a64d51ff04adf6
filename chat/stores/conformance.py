"""Check, for mypy only, that both backends build every live store of chat/stores/base/live.py.

Never imported. Each base class is abstract, so mypy refuses to build a backend class that
leaves a method out, and checks every method it has against the base's signature (strict,
see pyproject.toml). The durable stores have one implementation each, in SQL
(chat/stores/sql/), which mypy checks against its base class directly.
"""

from redis import Redis

from . import base
from .local.limits import LocalConnectionLimit, LocalFloodControl, LocalRateLimit
from .local.presence import LocalPresence
from .local.rooms import LocalRooms
from .local.typing import LocalTyping
from .redis.limits import RedisConnectionLimit, RedisFloodControl, RedisRateLimit
from .redis.presence import RedisPresence
from .redis.rooms import RedisRooms
from .redis.typing import RedisTyping


def local_stores(clock: base.Clock) -> None:
    """Build each in-process live store as its interface."""
    presence: base.Presence = LocalPresence(5.0, clock)
    rooms: base.Rooms = LocalRooms("general", 100, 300.0, clock)
    typing: base.Typing = LocalTyping(5.0, clock)
    flood: base.FloodControl = LocalFloodControl(30, 5.0, clock)
    connections: base.ConnectionLimit = LocalConnectionLimit(120, clock)
    creations: base.RateLimit = LocalRateLimit(20, 3600.0, clock)
    del presence, rooms, typing, flood, connections, creations


def redis_stores(client: Redis, clock: base.Clock) -> None:
    """Build each Redis live store as its interface."""
    presence: base.Presence = RedisPresence(client, "host", 5.0, clock)
    rooms: base.Rooms = RedisRooms(client, "general", 100, 300.0, clock)
    typing: base.Typing = RedisTyping(client, 5.0, clock)
    flood: base.FloodControl = RedisFloodControl(client, "flood", 30, 5.0, clock)
    connections: base.ConnectionLimit = RedisConnectionLimit(client, 120, clock)
    creations: base.RateLimit = RedisRateLimit(client, "rooms-by-address", 20, 3600.0, clock)
    del presence, rooms, typing, flood, connections, creations
