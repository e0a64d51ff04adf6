"""Fixtures: the app and its test clients, real server processes, and real Socket.IO clients.

Fixtures only: the classes and helpers behind them, which tests may import too, are in tests/support/.
"""

import inspect
from pathlib import Path

import pytest
import redis

from chat import create_app
from chat import socketio as server_socketio
from support import TEST_SETTINGS
from support.clients import Peer
from support.clock import WALL_CLOCK_START, Clock
from support.postgres import PostgresServer, empty_database
from support.relay import TcpProxy
from support.servers import LiveServer, RedisServer

# ---------------------------------------------------------------------------
# Markers: the level from the folder, `redis` from what a test uses (pyproject.toml lists the -m selections)

LEVELS = ("unit", "app", "live", "browser", "adversarial", "faults")
REDIS_FIXTURES = {"redis_server", "shared_redis", "redis_clients", "redis_db"}


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add the fault suite's long form: which seeds (``--fault-seeds 1-20``) and for how long each runs."""
    group = parser.getgroup("faults", "the randomized fault suite (tests/faults)")
    group.addoption("--fault-seeds", help="seeds to run: 7, 3,9 or 1-20 (default: the short form's)")
    group.addoption("--fault-duration", type=float, help="seconds of faults per seed (default: the short form's)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test with its level (its folder under tests/) and with ``redis`` when it starts redis-server."""
    tests = Path(__file__).parent
    for item in items:
        level = item.path.relative_to(tests).parts[0] if item.path.is_relative_to(tests) else None
        if level in LEVELS:
            item.add_marker(getattr(pytest.mark, level))
        if _uses_redis(item):
            item.add_marker(pytest.mark.redis)


def _uses_redis(item: pytest.Item) -> bool:
    """Tell whether a test starts a real redis-server: a Redis fixture, a "redis" parameter, or its own RedisServer."""
    if REDIS_FIXTURES & set(getattr(item, "fixturenames", ())):
        return True
    # Backend-parametrized fixtures ask for a Redis fixture only for their Redis parameter
    # (request.getfixturevalue), which collection cannot see: their parameter names it.
    params = getattr(getattr(item, "callspec", None), "params", {})
    if any(isinstance(value, str) and "redis" in value.lower() for value in params.values()):
        return True
    function = getattr(item, "function", None)
    try:
        return function is not None and "RedisServer(" in inspect.getsource(function)
    except (OSError, TypeError):
        return False


@pytest.fixture(autouse=True)
def history_in_memory(monkeypatch):
    """Keep every app's history in memory unless a test says otherwise, never in the instance folder."""
    monkeypatch.setenv("CHAT_HISTORY_DATABASE", ":memory:")


@pytest.fixture
def clock():
    """Return a fake clock; the apps of ``make_app`` time every limit and expiry by it."""
    return Clock()


@pytest.fixture
def make_app(clock):
    """Return a factory of apps with test settings, some changed, whose chat state runs on ``clock``."""

    def make(**settings):
        return create_app({**TEST_SETTINGS, **settings}, clock=clock)

    return make


@pytest.fixture
def app(make_app):
    """Return an app with test settings and the default limits, on the fake clock."""
    return make_app()


@pytest.fixture
def core(tmp_path, clock):
    """Return (chat, fake port): the chat's core on local stores in a temporary file, guests only, no socket."""
    from support.core import make_chat

    return make_chat(tmp_path, clock)


@pytest.fixture
def signed_core(tmp_path, clock):
    """Return (chat, fake port) as ``core`` does, with signed identities on (TOKENS): bans, mutes and owners."""
    from support.core import make_chat

    return make_chat(tmp_path, clock, TOKENS=True)


@pytest.fixture
def client(app):
    """Return an HTTP test client for the app."""
    return app.test_client()


@pytest.fixture
def socket_client(app):
    """Return a factory of Flask-SocketIO test clients, disconnected at teardown."""
    clients = []

    def connect(target_app=None, **kwargs):
        target = target_app or app
        test_client = server_socketio.test_client(target, **kwargs)
        clients.append(test_client)
        return test_client

    yield connect
    for test_client in clients:
        if test_client.is_connected():
            test_client.disconnect()


@pytest.fixture
def full(socket_client, app):
    """Return a factory of full-protocol test clients: full("Alice", rooms=[...], target_app=...)."""

    def connect(name=None, target_app=None, browser=None, **auth):
        if name is not None:
            auth["name"] = name
        return socket_client(target_app or app, auth={"protocol": 2, **auth}, flask_test_client=browser)

    return connect


# ---------------------------------------------------------------------------
# Real servers on real ports


@pytest.fixture
def live_server(request, tmp_path, peer):
    """Return a factory of real server processes, ``live_server(kind, **settings)``, stopped at teardown.

    Servers given REDIS_URL (several processes) share a new PostgreSQL database of the test's
    own, unless given DATABASE_URL.
    """
    # ``kind`` names a command of support.servers.SERVER_COMMANDS, or is a function of the
    # port that returns one. This fixture depends on ``peer`` so that servers stop before
    # clients close: a python-socketio client closing a WebSocket to Werkzeug's server
    # waits three seconds for a close frame.
    servers = []

    shared_database = []

    def start(kind="flask", **settings):
        if settings.get("REDIS_URL") and "DATABASE_URL" not in settings:
            if not shared_database:
                shared_database.append(request.getfixturevalue("postgres").database())
            settings["DATABASE_URL"] = shared_database[0]
        server = LiveServer(tmp_path / f"server-{len(servers)}.log", settings, kind)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


@pytest.fixture
def proxy():
    """Return a factory of TCP proxies to a server port, closed at teardown."""
    proxies = []

    def make(server):
        relay = TcpProxy(server.port)
        proxies.append(relay)
        return relay

    yield make
    for relay in proxies:
        relay.close()


@pytest.fixture
def peer():
    """Return a factory of recording Socket.IO clients for a live server, closed at teardown."""
    peers = []

    def connect(server, transport="websocket", **options):
        connected = Peer(server.url, transport, **options)
        peers.append(connected)
        return connected

    yield connect
    for connected in peers:
        connected.close()


# ---------------------------------------------------------------------------
# Redis, for several server processes


@pytest.fixture
def redis_server(tmp_path):
    """Start a redis-server of its own for one test (which may stop and restart it); stop it at teardown."""
    server = RedisServer(tmp_path).start()
    yield server
    server.stop(kill=True)


@pytest.fixture(scope="session")
def shared_redis(tmp_path_factory):
    """Start one redis-server for the tests that only need an empty one."""
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop(kill=True)


@pytest.fixture
def redis_clients(shared_redis):
    """Return a factory of clients of an emptied Redis; one client stands for one process."""
    redis.Redis(port=shared_redis.port).flushall()
    clients = []

    def connect():
        client = redis.Redis(port=shared_redis.port, decode_responses=True)
        clients.append(client)
        return client

    yield connect
    for client in clients:
        client.close()


@pytest.fixture
def redis_db(redis_clients):
    """Return a client of an emptied Redis."""
    return redis_clients()


# ---------------------------------------------------------------------------
# The SQL database of the durable stores: SQLite, and a private PostgreSQL


@pytest.fixture(scope="session")
def postgres():
    """Start one private PostgreSQL server for the session; stop and remove it at the end."""
    server = PostgresServer().start()
    yield server
    server.remove()


@pytest.fixture(scope="session")
def postgres_database(postgres):
    """Return the URL of one PostgreSQL database for the session's store tests, emptied by each (``database_url``)."""
    return postgres.database()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request, tmp_path):
    """Return the URL of an empty database: a SQLite file, or the session's PostgreSQL database emptied."""
    if request.param == "sqlite":
        return str(tmp_path / "chat.sqlite3")
    url = request.getfixturevalue("postgres_database")
    empty_database(url)
    return url


@pytest.fixture
def wall_clock():
    """Return a fake wall clock for the durable stores."""
    return Clock(WALL_CLOCK_START)


@pytest.fixture
def make_durable(wall_clock):
    """Return a factory of stores opened by open_stores on the database at a URL: ``make_durable(url, **settings)``.

    Each call opens them afresh, as another process (or a restart) would; their emits are
    recorded in the list ``make_durable.emitted`` as (event, data, to); their clocks are ``wall_clock``.
    """
    from chat import settings as chat_settings
    from chat.stores import open_stores

    opened = []
    emitted = []

    def emit(event, data, to=None):
        emitted.append((event, data, to))

    def open_durable(url, **settings):
        stores = open_stores(
            {**chat_settings.DEFAULTS, "DATABASE_URL": url, **settings}, emit, clock=wall_clock, wall_clock=wall_clock
        )
        opened.append(stores)
        return stores

    open_durable.emitted = emitted
    yield open_durable
    for stores in opened:
        stores.history.close()


@pytest.fixture
def durable(database_url, make_durable):
    """Return a factory of stores opened by open_stores on an empty database (sqlite, postgresql): ``durable(**settings)``.

    As ``make_durable``'s: each call opens them afresh; ``durable.emitted`` records their emits.
    """

    def open_durable(**settings):
        return make_durable(database_url, **settings)

    open_durable.emitted = make_durable.emitted
    open_durable.url = database_url
    return open_durable
