"""Fixtures: the app and its test clients, real server processes, and real Socket.IO clients."""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import engineio
import pytest
import redis
import requests
import socketio
from engineio.payload import Payload

from chat import create_app
from chat import socketio as server_socketio

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 15  # seconds any single awaited event may take before a test fails

TEST_SECRET = "test-secret-of-thirty-two-bytes!"  # CHAT_SECRET_KEY must be 32 bytes or more
TEST_SETTINGS = {"TESTING": True, "SECRET_KEY": TEST_SECRET}


@pytest.fixture(autouse=True)
def history_in_memory(monkeypatch):
    """Keep every app's history in memory unless a test says otherwise, never in the instance folder."""
    monkeypatch.setenv("CHAT_HISTORY_DATABASE", ":memory:")


class Clock:
    """A monotonic clock that moves only when told to."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


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


def received(test_client):
    """Drain ``test_client``; return (event, first argument) pairs."""
    return [(item["name"], item["args"] if item["name"] == "message" else (item["args"] or [None])[0])
            for item in test_client.get_received()]


def only(test_client, *expected):
    """Drain ``test_client``, assert it received exactly the ``expected`` events, return their payloads."""
    got = received(test_client)
    assert [event for event, _ in got] == list(expected), got
    return [payload for _, payload in got] if len(expected) != 1 else got[0][1]


# ---------------------------------------------------------------------------
# Real servers on real ports


def free_port():
    """Return a TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# The run environment, built from requirements.txt alone by scripts/demo.sh and scripts/test.sh.
# Servers start from it, not from the tests' own Python, whose test packages (pytest brings
# `packaging`) would hide a package missing from requirements.txt.
RUN_ENV = ROOT / ".venv"


def run_env(program):
    """Return the path of ``program`` in the run environment; fail clearly while it is missing or stale."""
    built_from = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    stamp = RUN_ENV / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text().strip() != built_from:
        raise RuntimeError(f"{RUN_ENV} is missing or was built from another requirements.txt: "
                           "run `bash scripts/test.sh`, which builds it")
    return str(RUN_ENV / "bin" / program)


SERVER_COMMANDS = {
    # The demo: Werkzeug's threaded server with simple-websocket, as `flask run` starts it.
    "flask": lambda port: [run_env("flask"), "--app", "app", "run",
                           "--host", "127.0.0.1", "--port", str(port)],
    # Production with threads: one thread per connection.
    "gunicorn": lambda port: [run_env("gunicorn"), "--workers", "1", "--threads", "64",
                              "--graceful-timeout", "1", "--no-control-socket",
                              "--bind", f"127.0.0.1:{port}", "wsgi:app"],
    # The README's production command: gevent, gunicorn's own 30-second graceful timeout.
    "production": lambda port: [run_env("gunicorn"), "--worker-class", "gevent", "--workers", "1",
                                "--worker-connections", "10000", "--no-control-socket",
                                "--bind", f"127.0.0.1:{port}", "wsgi:app"],
    # Several gevent workers behind one port: WebSocket-only clients, broadcasts through Redis.
    "gevent-workers": lambda port: [run_env("gunicorn"), "--worker-class", "gevent", "--workers", "3",
                                    "--graceful-timeout", "1", "--no-control-socket",
                                    "--bind", f"127.0.0.1:{port}", "wsgi:app"],
    # Production with gevent: one greenlet per connection.
    "gevent": lambda port: [run_env("gunicorn"), "--worker-class", "gevent", "--workers", "1",
                            "--graceful-timeout", "1", "--no-control-socket",
                            "--bind", f"127.0.0.1:{port}", "wsgi:app"],
}


class LiveServer:
    """The app in its own process on a loopback port, started and stopped by the test."""

    def __init__(self, log_path, settings=None, kind="flask"):
        self.settings = {"SECRET_KEY": "live-test-secret-of-thirty-two-bytes",
                         "HISTORY_DATABASE": str(Path(log_path).with_suffix(".sqlite3")), **(settings or {})}
        self.kind = kind
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.process = None

    def start(self):
        """Start the server and return once it answers /healthz."""
        env = {**os.environ, **{f"CHAT_{key}": json.dumps(value) for key, value in self.settings.items()}}
        env.pop("FLASK_APP", None)
        command = SERVER_COMMANDS[self.kind] if isinstance(self.kind, str) else self.kind
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(command(self.port), cwd=ROOT, env=env,
                                        stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log()}")
            try:
                if requests.get(self.url + "/healthz", timeout=2).ok:
                    return self
            except (requests.ConnectionError, requests.Timeout):
                pass  # not listening yet, or still starting up
            time.sleep(0.05)  # polling a process that has no way to tell us it is ready
        raise RuntimeError(f"server did not start in {TIMEOUT} s:\n{self.log()}")

    def stop(self, kill=False):
        """Stop the server (SIGTERM, or SIGKILL with ``kill``) and wait for it to exit."""
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            try:
                self.process.wait(TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def wait_for_connections(self, count):
        """Wait until /healthz reports ``count`` open connections."""
        deadline = time.monotonic() + TIMEOUT
        while (seen := requests.get(self.url + "/healthz", timeout=TIMEOUT).json()["connections"]) != count:
            if time.monotonic() > deadline:
                raise AssertionError(f"{seen} connections open, expected {count}")
            time.sleep(0.05)  # the server's count has no event to wait on

    def wait_for_status(self, status):
        """Wait until /healthz answers ``status``."""
        deadline = time.monotonic() + TIMEOUT
        while requests.get(self.url + "/healthz", timeout=TIMEOUT).status_code != status:
            if time.monotonic() > deadline:
                raise AssertionError(f"/healthz never answered {status}")
            time.sleep(0.05)  # the server's health has no event to wait on

    def log(self):
        return Path(self.log_path).read_text(errors="replace")


@pytest.fixture
def live_server(tmp_path, peer):
    """Return a factory that starts the app in a real server process; all are stopped at teardown.

    ``kind`` names a command of ``SERVER_COMMANDS``, or is a function of the port that returns one.

    It depends on ``peer`` so that servers stop before clients close: a python-socketio
    client closing a WebSocket to Werkzeug's server waits three seconds for a close frame.
    """
    servers = []

    def start(kind="flask", **settings):
        server = LiveServer(tmp_path / f"server-{len(servers)}.log", settings, kind)
        servers.append(server)
        return server.start()

    yield start
    for server in servers:
        server.stop()


class TcpProxy:
    """A TCP relay on a free loopback port that a test can cut, and keep cut, like a network."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.open = threading.Event()
        self.open.set()
        self._pairs = set()
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            with self._lock:  # so a cut() cannot slip between the check and the registration
                if not self.open.is_set():
                    client.close()  # the network is down: the connection fails at once
                    continue
                try:
                    upstream = socket.create_connection(("127.0.0.1", self.target_port))
                except OSError:
                    client.close()  # the server is down: so is this connection
                    continue
                pair = (client, upstream)
                self._pairs.add(pair)
            for a, b in (pair, pair[::-1]):
                threading.Thread(target=self._pipe, args=(a, b, pair), daemon=True).start()

    def _pipe(self, source, sink, pair):
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        self._close(pair)

    def _close(self, pair):
        with self._lock:
            self._pairs.discard(pair)
        for sock in pair:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def cut(self):
        """Drop every open connection and refuse new ones until ``restore``."""
        with self._lock:
            self.open.clear()
            pairs = list(self._pairs)
        for pair in pairs:
            self._close(pair)

    def restore(self):
        """Let connections through again."""
        self.open.set()

    def close(self):
        self.cut()
        self.listener.close()


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


class InOrderEngineIOClient(engineio.Client):
    """python-engineio's client, without two of its races that would fool the tests.

    - It starts a thread per received message, so a program can see events out of the
      order the server sent them in: here each is handed on before the next is read.
    - On long-polling, disconnect() can stop the sending loop before it posts the
      goodbye, so the server learns of it only at the heartbeat timeout: here the
      goodbye is posted first.
    """

    def _trigger_event(self, event, *args, **kwargs):
        kwargs["run_async"] = False
        return super()._trigger_event(event, *args, **kwargs)

    def disconnect(self, abort=False, reason=None):
        if self.state == "connected" and self.current_transport == "polling":
            self._send_packet(engineio.packet.Packet(engineio.packet.CLOSE))
            with self.queue.all_tasks_done:  # bounded: the server may be gone already
                self.queue.all_tasks_done.wait_for(lambda: not self.queue.unfinished_tasks, timeout=2)
        super().disconnect(abort=abort, reason=reason)


class InOrderClient(socketio.Client):
    """python-socketio client that sees events in the order they arrived."""

    def _engineio_client_class(self):
        return InOrderEngineIOClient


class Peer:
    """A python-socketio client that records every event it receives, in order."""

    def __init__(self, url, transport, headers=None, auth=None, **options):
        # Engine.IO's client, like its server, drops a long-polling response of more than
        # 16 packets; a busy chat sends far more. The app raises the limit for the server
        # side, but in this process a later create_app() may have set it again.
        Payload.max_decode_packets = 100_000
        options.setdefault("reconnection", False)
        self.client = InOrderClient(**options)
        self.events = []
        self._changed = threading.Condition()
        self.client.on("*", self._record)
        self.client.on("disconnect", lambda reason=None: self._record("disconnect", reason))
        transports = None if transport == "default" else [transport]
        self.client.connect(url, transports=transports, headers=headers or {}, auth=auth,
                            wait_timeout=TIMEOUT)

    def _record(self, event, *args):
        with self._changed:
            self.events.append((event, args[0] if len(args) == 1 else args))
            self._changed.notify_all()

    def received(self, event):
        """Return the payloads of ``event`` received so far, in order."""
        with self._changed:
            return [payload for name, payload in self.events if name == event]

    def wait_for(self, event, count=1, timeout=TIMEOUT):
        """Wait until ``event`` has been received ``count`` times; return those payloads."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.received(event)) >= count, timeout):
                raise AssertionError(f"got {len(self.received(event))} {event!r}, expected {count}: "
                                     f"{self.events[-5:]}")
        return self.received(event)

    def send(self, *args, event="newMessage"):
        """Emit ``event`` and return the server's acknowledgement."""
        data = args[0] if len(args) == 1 else (args or None)
        return self.client.call(event, data, timeout=TIMEOUT)

    def close(self):
        if self.client.connected:
            self.client.disconnect()


def send_all_at_once(clients, emits):
    """Have every client emit ``emits(index)`` (event, payload) pairs, in order, all clients at once."""
    start = threading.Barrier(len(clients))

    def run(index, client):
        start.wait()
        for event, payload in emits(index):
            client.client.emit(event, payload)

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


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


class RedisServer:
    """A real redis-server on a free loopback port, keeping what it acknowledges (AOF, fsync always)."""

    def __init__(self, directory):
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        """Start redis-server (again, with its data) and return once it answers PING."""
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is missing: run `bash scripts/test.sh`, which installs it")
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--dir", str(self.directory),
             "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as probe:
                    probe.sendall(b"PING\r\n")
                    if probe.recv(16).startswith(b"+PONG"):
                        return self
            except OSError:
                pass
            time.sleep(0.05)  # redis-server has no way to tell us it is ready
        raise RuntimeError("redis-server did not start")

    def stop(self, kill=False):
        """Stop redis-server: SIGTERM (it saves and exits) or SIGKILL."""
        if self.process and self.process.poll() is None:
            self.process.kill() if kill else self.process.terminate()
            self.process.wait(TIMEOUT)


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
