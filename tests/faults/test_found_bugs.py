"""Bugs the fault suite found, each reproduced alone and deterministically."""

import time

import pytest
import redis
import socketio

from chat.stores.redis.presence import RedisPresence
from support.postgres import PostgresServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def test_a_connect_that_fails_in_its_handler_is_not_left_open_unserved(redis_server, live_server, peer):
    """Refuse a connect whose handler fails (Redis down), or serve it once Redis is back: never answer it `internal`."""
    server = live_server("gevent", REDIS_URL=redis_server.url, CONNECTIONS_PER_MINUTE=0)
    redis_server.stop(kill=True)
    try:
        client = peer(server, auth={"protocol": 2, "name": "Alice"})
    except socketio.exceptions.ConnectionError:
        return  # refused: the client connects again later, as it should
    finally:
        redis_server.start()
    ack = client.send({"room": "general", "text": "after Redis is back"}, event="send-message")
    assert ack["ok"], ack


def test_a_connect_while_postgresql_is_down_is_not_left_out_of_its_rooms(redis_server, live_server, peer):
    """Refuse a connect whose handler fails (PostgreSQL down), or put it in its rooms: never leave it `not_in_room`."""
    database = PostgresServer().start()
    try:
        server = live_server("gevent", REDIS_URL=redis_server.url, DATABASE_URL=database.database())
        database.stop()
        try:
            client = peer(server, auth={"protocol": 2, "name": "Alice"})
        except socketio.exceptions.ConnectionError:
            return  # refused: the client connects again later, as it should
        finally:
            database.start()
        server.wait_for_status(200)
        ack = client.send({"room": "general", "text": "after PostgreSQL is back"}, event="send-message")
        assert ack["ok"], ack
    finally:
        database.remove()


def test_an_event_from_a_connection_other_processes_dropped_ends_its_transport(redis_server, live_server, peer):
    """End the transport of a connection presence no longer knows, at its first event: never answer it `internal`.

    A stalled process's clients are dropped by the others; when it resumes, the events its
    clients sent meanwhile are handled before its heartbeat learns of the drop. Here another
    process drops this one (its clock far ahead, this one seems silent) and the client sends
    at once: it must be told nothing, its transport end, and it must come back by itself.
    """
    server = live_server("gevent", REDIS_URL=redis_server.url, CONNECTIONS_PER_MINUTE=0)
    client = peer(server)  # an original-protocol client; its connect starts the process's heartbeats
    other = RedisPresence(
        redis.Redis(port=redis_server.port, decode_responses=True), "other", 1, clock=lambda: time.time() + 60
    )
    other.heartbeat()
    assert other.drop_silent_hosts()[1] == 1  # the process seems silent for a minute: its connection is dropped
    with pytest.raises(socketio.exceptions.TimeoutError):
        client.send("sent while the process was taken for dead")  # no answer: the transport ends
    disconnects = [reason for event, reason in client.events if event == "disconnect"]
    assert len(disconnects) == 1 and disconnects[0] in {"transport close", "transport error"}
    assert not client.received("chat-error")
