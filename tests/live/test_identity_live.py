"""Signed identities on a real server: a connection whose token expires is told, then ended."""

import pytest

from chat.identity import issue_token
from support import TIMEOUT


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_live_connection_is_ended_when_its_token_expires(live_server, peer, transport):
    """On a real server, a connection whose token expires hears token_expired, then is disconnected."""
    server = live_server("gevent", TOKENS=True, JWT_LEEWAY=0)
    token = issue_token("live-test-secret-of-thirty-two-bytes", "user-42", "Alice", lifetime=2)
    alice = peer(server, transport, auth={"protocol": 2, "token": token})
    assert alice.wait_for("chat-error", timeout=TIMEOUT)[0]["code"] == "token_expired"
    alice.wait_for("disconnect")
    assert [name for name, _ in alice.events][-2:] == ["chat-error", "disconnect"]
    assert not alice.client.connected
