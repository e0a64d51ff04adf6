"""Real servers on real loopback ports: the app in its own process, and redis-server."""

import hashlib
import json
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import requests

from support import ROOT, TIMEOUT, free_port

# The run environment, built from requirements.txt alone by scripts/demo.sh and scripts/test.sh.
# Servers start from it, not from the tests' own Python, whose test packages (pytest brings
# `packaging`) would hide a package missing from requirements.txt.
RUN_ENV = ROOT / ".venv"


def run_env(program):
    """Return the path of ``program`` in the run environment; fail clearly while it is missing or stale."""
    built_from = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    stamp = RUN_ENV / ".requirements.sha256"
    if not stamp.exists() or stamp.read_text().strip() != built_from:
        raise RuntimeError(
            f"{RUN_ENV} is missing or was built from another requirements.txt: "
            "run `bash scripts/test.sh`, which builds it"
        )
    return str(RUN_ENV / "bin" / program)


SERVER_COMMANDS = {
    # The demo: Werkzeug's threaded server with simple-websocket, as `flask run` starts it.
    "flask": lambda port: [run_env("flask"), "--app", "app", "run", "--host", "127.0.0.1", "--port", str(port)],
    # Production with threads: one thread per connection.
    "gunicorn": lambda port: [
        run_env("gunicorn"),
        "--workers",
        "1",
        "--threads",
        "64",
        "--graceful-timeout",
        "1",
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    # The README's production command: gevent, gunicorn's own 30-second graceful timeout.
    "production": lambda port: [
        run_env("gunicorn"),
        "--worker-class",
        "gevent",
        "--workers",
        "1",
        "--worker-connections",
        "10000",
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    # Several gevent workers behind one port: WebSocket-only clients, broadcasts through Redis.
    "gevent-workers": lambda port: [
        run_env("gunicorn"),
        "--worker-class",
        "gevent",
        "--workers",
        "3",
        "--graceful-timeout",
        "1",
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    # Production with gevent: one greenlet per connection.
    "gevent": lambda port: [
        run_env("gunicorn"),
        "--worker-class",
        "gevent",
        "--workers",
        "1",
        "--graceful-timeout",
        "1",
        "--no-control-socket",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
}


def worker_pid(server):
    """Return the pid of the one gunicorn worker of ``server``, the process that serves its clients."""
    pid = server.process.pid
    [child] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(child)


class LiveServer:
    """The app in its own process on a loopback port, started and stopped by the test."""

    def __init__(self, log_path, settings=None, kind="flask"):
        self.settings = {
            "SECRET_KEY": "live-test-secret-of-thirty-two-bytes",
            "HISTORY_DATABASE": str(Path(log_path).with_suffix(".sqlite3")),
            **(settings or {}),
        }
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
        self.process = subprocess.Popen(command(self.port), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
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


class RedisServer:
    """A real redis-server on a free loopback port, keeping what it acknowledges (AOF, fsync always)."""

    def __init__(self, directory, *options):
        self.directory = directory
        self.options = options  # more redis-server options, e.g. ("--rename-command", "PUBLISH", "")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process = None

    def start(self):
        """Start redis-server (again, with its data) and return once it answers PING."""
        if shutil.which("redis-server") is None:
            raise RuntimeError("redis-server is missing: run `bash scripts/test.sh`, which installs it")
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.directory),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                *self.options,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
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
