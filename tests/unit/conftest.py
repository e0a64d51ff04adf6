"""The live stores (presence, rooms, typing, limits) of both backends, opened as the app opens them.

Every test that asks for one of these fixtures runs twice: on the in-process stores and on
their Redis twins (against the session's redis-server, emptied first), each opened by
chat.stores.open_live_stores, as open_stores opens them, from the default settings with the
test's changes: the tests exercise exactly what the app runs.
"""

from collections.abc import Callable
from typing import Any

import pytest

from chat.settings import DEFAULTS
from chat.stores import LiveStores, open_live_stores
from chat.stores.base import ConnectionLimit, FloodControl, Presence, Rooms, Typing
from support.clock import Clock


@pytest.fixture(params=["in-process", "redis"])
def live_stores(request: pytest.FixtureRequest, clock: Clock) -> Callable[..., LiveStores]:
    """Return open(**settings): the live stores of one more process, with those settings over the defaults, on ``clock``."""
    connect = request.getfixturevalue("redis_clients") if request.param == "redis" else None  # empties Redis
    opened: list[LiveStores] = []

    def open_(**settings: Any) -> LiveStores:
        # Each call is one more process: its own Redis client and host id.
        redis = connect() if connect else None
        stores = open_live_stores({**DEFAULTS, **settings}, clock, redis, host_id=f"process-{len(opened)}")
        opened.append(stores)
        if redis is not None:
            # Redis stores run on the wall clock all processes share; these tests move time by
            # hand, as the constructors' own clock argument lets them.
            for store in stores:
                store._clock = clock
        return stores

    return open_


@pytest.fixture
def presence(live_stores: Callable[..., LiveStores]) -> Presence:
    """Return presence with a 5-second grace period."""
    return live_stores(PRESENCE_GRACE=5).presence


@pytest.fixture
def make_rooms(live_stores: Callable[..., LiveStores]) -> Callable[[str, int, float], Rooms]:
    """Return a factory of room registries: make_rooms(default, max_rooms, idle_seconds)."""

    def make(default: str, max_rooms: int, idle_seconds: float) -> Rooms:
        return live_stores(DEFAULT_ROOM=default, MAX_ROOMS=max_rooms, ROOM_IDLE_SECONDS=idle_seconds).rooms

    return make


@pytest.fixture
def make_typing(live_stores: Callable[..., LiveStores]) -> Callable[[float], Typing]:
    """Return a factory of typing states: make_typing(timeout)."""

    def make(timeout: float) -> Typing:
        return live_stores(TYPING_TIMEOUT=timeout).typing

    return make


@pytest.fixture
def make_flood(live_stores: Callable[..., LiveStores]) -> Callable[[int, float], FloodControl]:
    """Return a factory of flood controls: make_flood(burst, rate), on one more process each with Redis."""

    def make(burst: int, rate: float) -> FloodControl:
        return live_stores(FLOOD_BURST=burst, FLOOD_RATE=rate).flood

    return make


@pytest.fixture
def make_limit(live_stores: Callable[..., LiveStores]) -> Callable[[int], ConnectionLimit]:
    """Return a factory of connection limits: make_limit(per_minute), on one more process each with Redis."""

    def make(per_minute: int) -> ConnectionLimit:
        return live_stores(CONNECTIONS_PER_MINUTE=per_minute).connection_limit

    return make
