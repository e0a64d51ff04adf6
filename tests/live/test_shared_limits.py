"""The flood and connection limits of a deployment on Redis: one limit for all its processes, not one each."""

import pytest
import requests

from support import TIMEOUT

USER_LEFT = {"message": "A user left the chat"}


def handshake(server):
    """Open an Engine.IO session over long-polling, on a new TCP connection; return the HTTP status."""
    # A new requests call is a new TCP connection, so the workers of one port each take some.
    return requests.get(f"{server.url}/socket.io/?EIO=4&transport=polling", timeout=TIMEOUT).status_code


def test_the_per_address_limit_holds_for_every_worker_on_one_port(redis_server, live_server):
    """Admit 5 sessions a minute from one address among 3 gunicorn workers together, whichever gets each."""
    server = live_server("gevent-workers", REDIS_URL=redis_server.url, CONNECTIONS_PER_MINUTE=5)
    assert [handshake(server) for _ in range(5)] == [200] * 5
    # Counted per worker, 3 workers would admit up to 15 between them.
    assert [handshake(server) for _ in range(10)] == [401] * 10


@pytest.fixture
def two_servers(redis_server, live_server):
    """Start two gevent server processes, each on its own port, sharing one Redis."""

    def start(**settings):
        return [live_server("gevent", REDIS_URL=redis_server.url, **settings) for _ in range(2)]

    return start


def test_the_per_address_limit_holds_across_processes(two_servers):
    """Count an address's sessions on either process against one limit."""
    a, b = two_servers(CONNECTIONS_PER_MINUTE=4)
    assert [handshake(a), handshake(b), handshake(a), handshake(b)] == [200] * 4
    assert [handshake(a), handshake(b)] == [401, 401]


def test_reconnecting_to_another_process_does_not_refill_the_flood_allowance(two_servers, peer):
    """Hand a used allowance to the same address's next connection, on the other process."""
    a, b = two_servers(FLOOD_BURST=3, FLOOD_RATE=0.01)
    watcher = peer(b)
    flooder = peer(a)
    assert [flooder.send(f"m{n}") for n in range(3)] == [{"ok": True}] * 3
    assert flooder.send("m4")["code"] == "rate_limited"
    flooder.close()
    # Process a parks the allowance before it says the user left.
    assert watcher.wait_for("user-left") == [USER_LEFT]
    again = peer(b)
    assert again.send("m5")["code"] == "rate_limited"
