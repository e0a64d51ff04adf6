"""/metrics on real servers after real traffic, read with prometheus_client's parser.

One gevent process (the connections by protocol and transport, the counts, a slow client
cut, the Redis queue failing), and several gevent workers on one port and one Redis, in
prometheus_client's multiprocess mode (gunicorn.conf.py): every worker answers the same
summed counters, and the people online from the shared presence.
"""

import socket
import time

import requests
import websocket

from support import TIMEOUT
from support.metrics import SCRAPE_TOKEN, samples, total, value
from support.servers import RedisServer

BEARER = {"Authorization": f"Bearer {SCRAPE_TOKEN}"}
METRICS = {"METRICS": True, "METRICS_TOKEN": SCRAPE_TOKEN}


def scrape(server):
    """Return the samples of ``server``'s /metrics, scraped with the token as Prometheus would."""
    response = requests.get(server.url + "/metrics", headers=BEARER, timeout=TIMEOUT)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("text/plain; version=")
    return samples(response.text)


def scrape_until(server, done):
    """Scrape until ``done(samples)`` holds; return those samples.

    With several workers, each sets its connections gauge once a second (its expiry sweep):
    the figure has no event to wait on.
    """
    deadline = time.monotonic() + TIMEOUT
    while not done(figures := scrape(server)):
        if time.monotonic() > deadline:
            raise AssertionError(f"/metrics never showed the expected figures: {figures}")
        time.sleep(0.1)
    return figures


def test_metrics_after_real_traffic(live_server, peer):
    """Report connections by protocol and transport, messages, deliveries and refusals of real clients."""
    server = live_server("gevent", **METRICS)
    assert requests.get(server.url + "/metrics", timeout=TIMEOUT).status_code == 401
    first, second = peer(server), peer(server)
    polling = peer(server, transport="polling")
    dana = peer(server, auth={"protocol": 2, "name": "Dana"})
    dana.wait_for("welcome")
    server.wait_for_connections(4)
    figures = scrape(server)
    assert value(figures, "chat_connections", protocol="original", transport="websocket") == 2
    assert value(figures, "chat_connections", protocol="original", transport="polling") == 1
    assert value(figures, "chat_connections", protocol="full", transport="websocket") == 1
    assert total(figures, "chat_connections") == 4
    assert value(figures, "chat_people_online") == 4

    assert first.send("hello") == {"ok": True}
    for client in (first, second, polling):
        client.wait_for("message")
    dana.wait_for("room-message")
    assert first.send("") == {"ok": False, "error": first.received("chat-error")[0]["error"], "code": "empty"}
    after = scrape(server)
    assert value(after, "chat_messages_accepted_total") == value(figures, "chat_messages_accepted_total") + 1
    # Four for the message (three original-protocol clients and Dana), one for the refusal's chat-error.
    assert value(after, "chat_deliveries_total") == value(figures, "chat_deliveries_total") + 5
    assert value(after, "chat_refusals_total", event="newMessage", code="empty") == 1
    assert value(after, "chat_history_seconds_count", operation="append") >= 1
    assert value(after, "chat_slow_clients_cut_total") == 0

    second.close()
    server.wait_for_connections(3)
    assert value(scrape(server), "chat_connections", protocol="original", transport="websocket") == 1


def test_a_client_that_upgrades_counts_under_websocket(live_server, peer):
    """Count a client that connected over long-polling under websocket once it has upgraded."""
    server = live_server("gevent", **METRICS)
    upgrading = peer(server, transport="default")  # the socket.io default: polling, then the upgrade
    server.wait_for_connections(1)
    # The upgrade finishes after the connect, with no event the client reports: scrape until it shows.
    figures = scrape_until(
        server, lambda figures: value(figures, "chat_connections", protocol="original", transport="websocket") == 1
    )
    assert value(figures, "chat_connections", protocol="original", transport="polling") == 0
    assert upgrading.client.transport() == "websocket"


def test_a_slow_client_cut_is_counted(live_server, peer):
    """Count a client cut because it stopped reading while packets piled up for it."""
    server = live_server("gevent", MAX_QUEUED_PACKETS=50, FLOOD_BURST=0, **METRICS)
    stalled = websocket.WebSocket(sockopt=[(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)])
    stalled.connect(server.url.replace("http", "ws") + "/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT)
    stalled.recv()
    stalled.send("40")
    stalled.recv()  # connected; from now on it reads nothing
    sender = peer(server)
    server.wait_for_connections(2)
    for _ in range(5000):
        assert sender.send("x" * 2000) == {"ok": True}
        if sender.received("user-left"):
            break
    sender.wait_for("user-left")
    server.wait_for_connections(1)
    assert value(scrape(server), "chat_slow_clients_cut_total") == 1
    stalled.close()


def test_queue_publish_failures_are_counted(live_server, peer, tmp_path):
    """Count what the Redis queue could not publish; /metrics keeps answering, even with Redis gone.

    A Redis that refuses PUBLISH (and nothing else) fails every publication while the
    shared state keeps working, so the connection and its refused message are both seen.
    """
    redis = RedisServer(tmp_path, "--rename-command", "PUBLISH", "").start()
    try:
        server = live_server("gevent", REDIS_URL=redis.url, **METRICS)
        chatter = peer(server)  # its user-joined goes through the queue, which cannot take it
        scrape_until(server, lambda figures: value(figures, "chat_queue_publish_failures_total") >= 1)
        # Committed in PostgreSQL, so acknowledged; its publication fails and is counted (repair delivers it later).
        assert chatter.send("lost") == {"ok": True}
        scrape_until(server, lambda figures: value(figures, "chat_queue_publish_failures_total") >= 2)
        redis.stop(kill=True)  # the presence is in Redis: people online are left out, not made up
        scrape_until(server, lambda figures: ("chat_people_online", ()) not in figures)
    finally:
        redis.stop(kill=True)


def test_several_workers_report_one_deployment(live_server, peer, redis_server, tmp_path, monkeypatch):
    """Sum every worker's counters and connections on any worker's /metrics; people come from the shared presence."""
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path / "metrics"))
    server = live_server("gevent-workers", REDIS_URL=redis_server.url, **METRICS)
    clients = [peer(server) for _ in range(6)]
    server.wait_for_connections(6)
    for client in clients:
        assert client.send("hello") == {"ok": True}
    for client in clients:
        client.wait_for("message", 6)
    # Any worker may answer a scrape (each is a new TCP connection): every one must add up to the same.
    for _ in range(6):
        figures = scrape_until(server, lambda figures: total(figures, "chat_connections") == 6)
        assert value(figures, "chat_messages_accepted_total") == 6
        # Six messages to six clients, and user-joined addressed to the 1, 2, ..., 6 clients there
        # with each newcomer (which the emit skips, but is counted: chat/metrics.py says why).
        assert value(figures, "chat_deliveries_total") == 6 * 6 + 21
        assert value(figures, "chat_people_online") == 6  # the shared presence's count, not one per worker
    assert len(list((tmp_path / "metrics").glob("*.db"))) >= 3
