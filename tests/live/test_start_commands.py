"""Every documented way to start the server, run as the README and docs/ write it, serving real clients.

The servers run from the run environment, .venv, built from requirements.txt alone, so a
package that requirements.txt leaves out fails here even when the tests' own Python has it.
"""

import os
import signal
import subprocess
import time

import pytest
import requests

from support import ROOT, TIMEOUT
from support.docs import documented_commands, split_command
from support.metrics import SCRAPE_TOKEN, samples, value
from support.servers import free_port, run_env

USER_JOINED = {"message": "A user joined the chat"}

# The start commands of the README and docs/deployment.md, continuation lines joined; the test
# runs each as written but on a free loopback port, with the test's values for the settings the
# documentation leaves to you.
DOCUMENTED = {
    "demo": "bash scripts/demo.sh",
    "gunicorn-threads": ".venv/bin/gunicorn --workers 1 --threads 100 --bind 0.0.0.0:8000 wsgi:app",
    "gunicorn-gevent": "CHAT_SECRET_KEY=... .venv/bin/gunicorn --worker-class gevent --workers 1"
    " --worker-connections 10000 --bind 0.0.0.0:8000 wsgi:app",
    "gevent-workers-on-postgresql-and-redis": "CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat"
    " CHAT_REDIS_URL=redis://127.0.0.1:6379/0 CHAT_SECRET_KEY=..."
    " .venv/bin/gunicorn --worker-class gevent --workers 2"
    " --worker-connections 10000 --bind 0.0.0.0:8000 wsgi:app",
    "metrics-on-gevent-workers": "PROMETHEUS_MULTIPROC_DIR=/tmp/chat-metrics CHAT_METRICS=true CHAT_METRICS_TOKEN=..."
    " CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat CHAT_REDIS_URL=redis://127.0.0.1:6379/0"
    " CHAT_SECRET_KEY=..."
    " .venv/bin/gunicorn -c gunicorn.conf.py --worker-class gevent --workers 2"
    " --worker-connections 10000 --bind 0.0.0.0:8000 wsgi:app",
}
STARTERS = {"flask", "gunicorn", ".venv/bin/flask", ".venv/bin/gunicorn", "scripts/demo.sh"}
# Flask commands the documentation shows that print and exit, never start a server (chat/cli.py;
# run as written in tests/live/test_documented_commands.py).
ONE_OFF = {"issue-token", "db-upgrade", "move-from-redis"}


def start_commands() -> set[str]:
    """Return the documented commands that start a server, wherever the README or docs/ show them."""
    starting = set()
    for command in documented_commands():
        words = split_command(command.text)[1]
        if set(words[:2]) & STARTERS and not set(words) & ONE_OFF:
            starting.add(command.text)
    return starting


def test_every_documented_start_command_is_tested():
    """Test exactly the documented start commands, each from the run environment the README builds."""
    assert start_commands() == set(DOCUMENTED.values())


@pytest.mark.parametrize("name", DOCUMENTED)
def test_documented_start_command_serves_clients(name, request, live_server, peer, redis_server, tmp_path, monkeypatch):
    """Start the command as documented and have six real clients join and chat over WebSocket."""
    run_env("gunicorn")  # fail with its clear message before a start that cannot work
    # gunicorn's control socket is one per user by default: keep this one's to the test.
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    assignments, words = split_command(DOCUMENTED[name])
    settings = {}
    for variable in assignments:
        assert variable in {
            "CHAT_SECRET_KEY",
            "CHAT_DATABASE_URL",
            "CHAT_REDIS_URL",
            "PROMETHEUS_MULTIPROC_DIR",
            "CHAT_METRICS",
            "CHAT_METRICS_TOKEN",
        }, f"say what the test sets {variable} to"
        if variable == "CHAT_DATABASE_URL":
            assert assignments[variable].startswith("postgresql://"), "several processes share PostgreSQL"
            settings["DATABASE_URL"] = request.getfixturevalue("postgres").database()
        if variable == "CHAT_REDIS_URL":
            settings["REDIS_URL"] = redis_server.url  # LiveServer sets SECRET_KEY already
        if variable == "PROMETHEUS_MULTIPROC_DIR":
            monkeypatch.setenv(variable, str(tmp_path / "metrics"))
        if variable == "CHAT_METRICS":
            settings["METRICS"] = assignments[variable] == "true"
        if variable == "CHAT_METRICS_TOKEN":
            settings["METRICS_TOKEN"] = SCRAPE_TOKEN

    def command(port):
        if words[-1] == "scripts/demo.sh":
            return [*words, "--port", str(port)]  # the demo's extra arguments go to flask run
        return [f"127.0.0.1:{port}" if word == "0.0.0.0:8000" else word for word in words]

    server = live_server(command, **settings)
    # Several workers share one port, so the clients land on different processes.
    clients = [peer(server) for _ in range(6)]
    for index, client in enumerate(clients):
        if index < len(clients) - 1:
            assert client.wait_for("user-joined", len(clients) - 1 - index)[-1] == USER_JOINED
    assert clients[-1].send("hello") == {"ok": True}
    for client in clients:
        assert client.wait_for("message") == ["hello"]
    assert requests.get(server.url + "/healthz", timeout=TIMEOUT).json()["connections"] == len(clients)
    if settings.get("METRICS"):
        scraped = requests.get(
            server.url + "/metrics", headers={"Authorization": f"Bearer {SCRAPE_TOKEN}"}, timeout=TIMEOUT
        )
        assert value(samples(scraped.text), "chat_messages_accepted_total") == 1


def wait_until_answering(url, process, log, deadline):
    """Poll ``url`` until it answers 200; fail if ``process`` exits first or ``deadline`` passes."""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited with {process.returncode}:\n{log.read_text(errors='replace')}")
        try:
            response = requests.get(url, timeout=2)
            if response.ok:
                return response
        except (requests.ConnectionError, requests.Timeout):
            pass  # still installing, or not listening yet
        time.sleep(0.2)  # the script has no way to tell us it is ready
    raise AssertionError(f"{url} did not answer:\n{log.read_text(errors='replace')}")


def test_demo_command_installs_and_starts_with_debians_python(tmp_path):
    """Run the README's demo command in a fresh clone on Debian's python3: it serves, and a second run reuses .venv."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    port = free_port()
    # /usr/bin first and alone: Debian's python3 builds the environment, as on a fresh machine.
    env = {**os.environ, "PATH": "/usr/bin:/bin", "FLASK_RUN_PORT": str(port)}
    for variable in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYENV_VERSION", "FLASK_APP"):
        env.pop(variable, None)
    url = f"http://127.0.0.1:{port}"
    for run in ("first", "second"):
        log = tmp_path / f"{run}.log"
        with open(log, "wb") as output:
            # Its own process group, so stopping it stops whatever it started.
            demo = subprocess.Popen(
                ["bash", "scripts/demo.sh"],
                cwd=clone,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            # The first run downloads the packages from PyPI (pip's cache helps): be generous.
            page = wait_until_answering(url + "/", demo, log, time.monotonic() + 600)
            assert "<html" in page.text.lower()
            assert requests.get(url + "/healthz", timeout=TIMEOUT).json()["status"] == "ok"
        finally:
            os.killpg(demo.pid, signal.SIGTERM)
            demo.wait(TIMEOUT)
        built = "building .venv" in log.read_text()
        assert built == (run == "first"), log.read_text()
    assert "home = /usr/bin" in (clone / ".venv" / "pyvenv.cfg").read_text()
