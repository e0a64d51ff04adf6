"""The live stores (presence, rooms, typing, limits) of both backends, opened as the app opens them.

Every test that asks for one of these fixtures runs twice: on the in-process stores and on
their Redis twins (against the session's redis-server, emptied first), each opened by
chat.stores.open_stores from the default settings with the test's changes, so the tests
exercise exactly what the app runs.
"""

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from chat.settings import DEFAULTS
from chat.stores import Stores, open_stores
from chat.stores.base import ConnectionLimit, FloodControl, Presence, Rooms, Typing
from support.clock import Clock


def _ignore(*args: Any, **kwargs: Any) -> None:
    """Deliver nothing: the live stores never emit."""


@pytest.fixture(params=["in-process", "redis"])
def live_stores(request: pytest.FixtureRequest, clock: Clock) -> Iterator[Callable[..., Stores]]:
    """Return open(**settings): the stores of one more process, with those settings over the defaults, on ``clock``."""
    redis_url = None
    if request.param == "redis":
        request.getfixturevalue("redis_clients")  # empties the shared Redis
        redis_url = request.getfixturevalue("shared_redis").url
    opened: list[Stores] = []

    def open_(**settings: Any) -> Stores:
        config = {**DEFAULTS, "HISTORY_DATABASE": ":memory:", "REDIS_URL": redis_url, **settings}
        stores = open_stores(config, _ignore, clock)
        if redis_url:
            # open_stores gives Redis stores the wall clock all processes share; these tests
            # move time by hand, as the constructors' own clock argument lets them.
            for store in (stores.presence, stores.rooms, stores.typing, stores.flood, stores.typing_limit,
                          stores.read_limit, stores.connection_limit):
                store._clock = clock
        opened.append(stores)
        return stores

    yield open_
    for stores in opened:
        stores.history.close()


@pytest.fixture
def presence(live_stores: Callable[..., Stores]) -> Presence:
    """Return presence with a 5-second grace period."""
    return live_stores(PRESENCE_GRACE=5).presence


@pytest.fixture
def make_rooms(live_stores: Callable[..., Stores]) -> Callable[[str, int, float], Rooms]:
    """Return a factory of room registries: make_rooms(default, max_rooms, idle_seconds)."""
    def make(default: str, max_rooms: int, idle_seconds: float) -> Rooms:
        return live_stores(DEFAULT_ROOM=default, MAX_ROOMS=max_rooms, ROOM_IDLE_SECONDS=idle_seconds).rooms
    return make


@pytest.fixture
def make_typing(live_stores: Callable[..., Stores]) -> Callable[[float], Typing]:
    """Return a factory of typing states: make_typing(timeout)."""
    def make(timeout: float) -> Typing:
        return live_stores(TYPING_TIMEOUT=timeout).typing
    return make


@pytest.fixture
def make_flood(live_stores: Callable[..., Stores]) -> Callable[[int, float], FloodControl]:
    """Return a factory of flood controls: make_flood(burst, rate), on one more process each with Redis."""
    def make(burst: int, rate: float) -> FloodControl:
        return live_stores(FLOOD_BURST=burst, FLOOD_RATE=rate).flood
    return make


@pytest.fixture
def make_limit(live_stores: Callable[..., Stores]) -> Callable[[int], ConnectionLimit]:
    """Return a factory of connection limits: make_limit(per_minute), on one more process each with Redis."""
    def make(per_minute: int) -> ConnectionLimit:
        return live_stores(CONNECTIONS_PER_MINUTE=per_minute).connection_limit
    return make
