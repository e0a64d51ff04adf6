"""Signed identities: tokens, the handshake with tokens on, and the demo token route."""

import pytest
from itsdangerous import URLSafeTimedSerializer

from chat.handlers import expiry
from chat.identity import TokenExpiry, Tokens, issue_token
from chat.model import ChatError
from conftest import TEST_SECRET, TIMEOUT, only, received

SECRET = TEST_SECRET


@pytest.fixture
def tokens_app(make_app):
    """Return an app that requires signed tokens, with the demo issuer on."""
    return make_app(TOKENS=True, DEMO_TOKENS=True, TOKEN_MAX_AGE=60)


@pytest.fixture
def at_time(monkeypatch):
    """Return a function that sets the time itsdangerous signs and checks with."""
    import itsdangerous.timed

    def set_time(seconds):
        monkeypatch.setattr(itsdangerous.timed.time, "time", lambda: seconds)
    return set_time


def test_a_token_carries_id_and_name():
    """Verify a token issued with the same secret."""
    assert Tokens(SECRET, 60).verify(issue_token(SECRET, "u1", "  Alice ")) == ("u1", "Alice")


@pytest.mark.parametrize(("token", "code"), [
    (None, "token_required"),
    ("", "token_required"),
    ("not-a-token", "bad_token"),
    (issue_token("another-secret-of-thirty-two-bytes", "u1", "Alice"), "bad_token"),
    (URLSafeTimedSerializer(SECRET, salt="other-salt").dumps({"id": "u1", "name": "A"}), "bad_token"),
])
def test_bad_tokens_are_refused(token, code):
    """Refuse a missing, malformed or foreign token, saying which."""
    with pytest.raises(ChatError) as refused:
        Tokens(SECRET, 60).verify(token)
    assert refused.value.code == code


def test_expired_tokens_are_refused(at_time):
    """Refuse a token older than its lifetime."""
    at_time(1_800_000_000)
    token = issue_token(SECRET, "u1", "Alice")
    at_time(1_800_000_061)
    with pytest.raises(ChatError) as refused:
        Tokens(SECRET, 60).verify(token)
    assert refused.value.code == "token_expired"


@pytest.mark.parametrize("auth", [
    {"protocol": 2, "name": "Alice"},
    {"protocol": 2, "token": "forged"},
    {},
])
def test_connections_without_a_good_token_are_refused(tokens_app, socket_client, auth):
    """Refuse every connection, seed or full, that has no valid token."""
    assert not socket_client(tokens_app, auth=auth).is_connected()


def test_expired_token_connection_is_refused(tokens_app, socket_client, at_time):
    """Refuse a connection whose token has expired."""
    at_time(1_800_000_000)
    token = issue_token(SECRET, "u1", "Alice")
    at_time(1_800_000_061)
    assert not socket_client(tokens_app, auth={"protocol": 2, "token": token}).is_connected()


def test_identity_and_name_come_from_the_token(tokens_app, socket_client):
    """Take id and name from the token, ignore the claimed name, refuse renaming."""
    token = issue_token(SECRET, "user-42", "Alice")
    alice = socket_client(tokens_app, auth={"protocol": 2, "token": token, "name": "Mallory"})
    welcome, _, _ = only(alice, "welcome", "presence", "history")
    assert welcome["user"] == {"id": "user-42", "name": "Alice", "guest": False}
    assert alice.emit("rename", {"name": "Mallory"}, callback=True)["code"] == "rename_refused"


def test_a_token_user_is_one_person_across_connections(tokens_app, socket_client):
    """Count every connection of one token user as one person."""
    token = issue_token(SECRET, "user-42", "Alice")
    bob = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-7", "Bob")})
    received(bob)
    socket_client(tokens_app, auth={"protocol": 2, "token": token})
    second = socket_client(tokens_app, auth={"protocol": 2, "token": token})
    assert [m["name"] for m in only(second, "welcome", "presence", "history")[1]["members"]] == ["Alice", "Bob"]
    assert [event for event, _ in received(bob)] == ["member-joined"]


def test_guest_credentials_are_ignored_with_tokens(tokens_app, socket_client):
    """Keep one token user one person whatever guest credential a connection brings, and hand out none."""
    guest = tokens_app.extensions["chat"].guests.issue("someone-else")
    token = issue_token(SECRET, "user-42", "Alice")
    first = socket_client(tokens_app, auth={"protocol": 2, "token": token})
    received(first)
    second = socket_client(tokens_app, auth={"protocol": 2, "token": token, "guest": guest})
    welcome, presence, _ = only(second, "welcome", "presence", "history")
    assert "guest" not in welcome and welcome["user"]["id"] == "user-42"
    assert [m["id"] for m in presence["members"]] == ["user-42"]
    assert received(first) == []


def test_a_seed_client_with_a_token_is_served(tokens_app, socket_client):
    """Serve the original protocol with a token in auth."""
    seed = socket_client(tokens_app, auth={"token": issue_token(SECRET, "u1", "Alice")})
    assert seed.emit("newMessage", "hi", callback=True) == {"ok": True}


def test_demo_token_route(tokens_app):
    """Issue a token for a chosen name in demo mode; refuse a bad name."""
    client = tokens_app.test_client()
    response = client.post("/token", json={"name": "Alice"})
    assert response.status_code == 200
    assert Tokens(SECRET, 60).verify(response.json["token"])[1] == "Alice"
    bad = client.post("/token", json={"name": "\u202e"})
    assert bad.status_code == 400 and bad.json["code"] == "bad_name"


@pytest.mark.parametrize("settings", [{}, {"TOKENS": True}, {"DEMO_TOKENS": True}])
def test_demo_token_route_is_off_unless_both_settings_are_on(make_app, settings):
    """Answer 404 unless tokens and the demo issuer are both on."""
    assert make_app(**settings).test_client().post("/token", json={"name": "A"}).status_code == 404


def test_a_new_token_name_replaces_the_old_one(tokens_app, socket_client):
    """Take the name of the newest token, also for a person still online, and tell those who share a room."""
    bob = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-7", "Bob")})
    first_tab = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-42", "Alice")})
    received(bob), received(first_tab)
    again = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-42", "Alicia")})
    welcome, _, _ = only(again, "welcome", "presence", "history")
    assert welcome["user"]["name"] == "Alicia"
    renamed = {"user": welcome["user"], "previous": "Alice"}
    assert only(bob, "member-renamed") == renamed and only(first_tab, "member-renamed") == renamed
    numbered = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-9", "Bob")})
    assert only(numbered, "welcome", "presence", "history")[0]["user"]["name"] == "Bob 2"


# --- Expiry of a connected token ------------------------------------------------------------


def test_token_expiry_names_the_connections_whose_token_ran_out(clock):
    """Name each connection once its token's time is up, once, and never one that closed."""
    expiry = TokenExpiry(clock)
    expiry.open("a", 10)
    expiry.open("b", 20)
    expiry.open("c", 5)
    expiry.close("c")
    clock.advance(9.9)
    assert expiry.expire() == []
    clock.advance(0.1)
    assert expiry.expire() == ["a"]
    assert expiry.expire() == []
    clock.advance(10)
    assert expiry.expire() == ["b"]


def test_seconds_left_counts_down_to_the_tokens_expiry(at_time):
    """Say how long a token has left, by the same clock itsdangerous judges it with."""
    at_time(1_800_000_000)
    token = issue_token(SECRET, "u1", "Alice")
    assert Tokens(SECRET, 60).seconds_left(token) == 60
    at_time(1_800_000_045)
    assert Tokens(SECRET, 60).seconds_left(token) == 15


def sweep(app):
    with app.app_context():
        expiry.sweep()


def received_until_closed(test_client):
    """Return (event, first argument) pairs a disconnected test client received before it closed."""
    # get_received() refuses a disconnected client; its queue still holds what came before.
    return [(item["name"], item["args"][0]) for item in test_client.queue]


EXPIRED = {"event": "connect", "code": "token_expired", "error": "your token has expired: connect again with a new one"}


def test_a_connection_is_told_and_ended_when_its_token_expires(tokens_app, socket_client, clock, at_time):
    """Send chat-error token_expired to a connection whose token expires, then disconnect it; no one else."""
    at_time(1_800_000_000)
    alice = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-42", "Alice")})
    at_time(1_800_000_030)
    clock.advance(30)  # the chat's clock moves with the wall clock
    bob = socket_client(tokens_app, auth={"protocol": 2, "token": issue_token(SECRET, "user-7", "Bob")})
    seed = socket_client(tokens_app, auth={"token": issue_token(SECRET, "user-9", "Carol")})
    received(alice), received(bob), received(seed)
    clock.advance(29)
    sweep(tokens_app)
    assert alice.is_connected() and received(alice) == []
    clock.advance(1)
    sweep(tokens_app)
    assert not alice.is_connected()
    assert received_until_closed(alice) == [("chat-error", EXPIRED)]
    assert bob.is_connected() and seed.is_connected()
    assert [event for event, _ in received(seed)] == ["user-left"]
    clock.advance(29)
    sweep(tokens_app)
    assert bob.is_connected() and seed.is_connected()
    clock.advance(1)
    sweep(tokens_app)
    assert not bob.is_connected() and not seed.is_connected()
    assert received_until_closed(bob)[-1] == ("chat-error", EXPIRED)
    assert received_until_closed(seed) == [("user-left", {"message": "A user left the chat"}), ("chat-error", EXPIRED)]


@pytest.mark.parametrize("transport", ["websocket", "polling"])
def test_a_live_connection_is_ended_when_its_token_expires(live_server, peer, transport):
    """On a real server, a connection whose token expires hears token_expired, then is disconnected."""
    server = live_server("gevent", TOKENS=True, TOKEN_MAX_AGE=2)
    token = issue_token("live-test-secret-of-thirty-two-bytes", "user-42", "Alice")
    alice = peer(server, transport, auth={"protocol": 2, "token": token})
    assert alice.wait_for("chat-error", timeout=TIMEOUT)[0]["code"] == "token_expired"
    alice.wait_for("disconnect")
    assert [name for name, _ in alice.events][-2:] == ["chat-error", "disconnect"]
    assert not alice.client.connected
