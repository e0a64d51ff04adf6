"""Bugs the fault suite found, each reproduced alone and deterministically."""

import pytest
import socketio

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
