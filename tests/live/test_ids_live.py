"""Message ids and the handshake's types checked on a real server, on both history backends.

The same bounds as tests/app/test_ids.py (every id a whole number from 0 to 2**53 - 1), over
real sockets, with the history in SQLite and in a real Redis.
"""

import json

import pytest
import websocket

from support import MAX_MESSAGE_ID, TIMEOUT
from support.clients import connect_error


def raw_connect(server, auth_json):
    """Open a bare WebSocket, send a Socket.IO connect whose auth is ``auth_json``, return the answer packet."""
    ws = websocket.create_connection(
        f"ws://127.0.0.1:{server.port}/socket.io/?EIO=4&transport=websocket", timeout=TIMEOUT
    )
    try:
        assert ws.recv().startswith("0")  # Engine.IO open
        ws.send("40" + auth_json)  # python-socketio's client would send [] as {}
        return ws.recv()
    finally:
        ws.close()


@pytest.fixture(params=["sqlite", "redis"])
def backend(request):
    """Return the extra settings of a server on each history backend: SQLite, or a real Redis."""
    if request.param == "sqlite":
        return {}
    return {"REDIS_URL": request.getfixturevalue("redis_server").url}


def test_ids_are_checked_on_a_real_server(live_server, peer, backend):
    """Refuse huge ids over real sockets as bad_arguments, on both backends, and change nothing."""
    server = live_server("gevent", **backend)
    alice = peer(server, auth={"protocol": 2, "name": "Alice"})
    bob = peer(server, auth={"protocol": 2, "name": "Bob"})
    assert alice.send({"room": "games"}, event="create-room")["ok"]
    assert alice.send({"room": "games"}, event="join-room")["ok"]
    assert alice.send({"room": "games", "text": "one"}, event="send-message")["ok"]

    for before in (2**63, MAX_MESSAGE_ID + 2):  # Redis would take 2**53 + 2 as a score, inexactly
        ack = alice.send({"room": "games", "before": before}, event="history")
        assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert alice.send({"room": "games", "before": MAX_MESSAGE_ID}, event="history")["ok"]

    ack = bob.send({"room": "games", "lastSeen": 2**70}, event="join-room")
    assert ack["ok"] is False and ack["code"] == "bad_arguments", ack
    assert bob.send({"room": "games", "lastSeen": 0}, event="join-room")["ok"]
    alice.wait_for("member-joined", 2)  # Bob's arrival in general, then in games
    assert [(p["room"], p["user"]["name"]) for p in alice.received("member-joined")] == [
        ("general", "Bob"),
        ("games", "Bob"),
    ]
    assert [h["messages"][0]["text"] for h in bob.received("history") if h["room"] == "games"] == ["one"]

    for auth, code in [
        ({"protocol": 2, "lastSeen": {"general": 2**70}}, "bad_arguments"),
        ({"protocol": True}, "bad_handshake"),
        ({"protocol": 2.0}, "bad_handshake"),
    ]:
        assert connect_error(server, auth)["code"] == code, auth
    for auth_json in ("[]", "false", '""'):
        answer = raw_connect(server, auth_json)
        assert answer.startswith("44") and json.loads(answer[2:])["data"]["code"] == "bad_handshake", answer
    assert len(alice.received("member-joined")) == 2  # no refused handshake came in
    assert "Traceback" not in server.log()
