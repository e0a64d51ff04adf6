"""Signed identities: JWTs (HS256, RS256, ES256, JWKS), the handshake with tokens on, the demo token route.

Through the test client, beside the tokens' own unit tests; a token expiring on a real
server is in tests/live/test_identity_live.py.
"""

import time

import jwt
import pytest
from itsdangerous import URLSafeTimedSerializer

from chat import sweeper
from chat.identity import TokenExpiry, Tokens, issue_token
from chat.model import ChatError
from support import TEST_SECRET
from support.clients import only, received
from support.jwt_keys import (
    claims,
    ec_key,
    hs256_with,
    jwk,
    private_pem,
    public_pem,
    rsa_key,
    unsigned,
    write_jwks,
    write_public_pem,
)

SECRET = TEST_SECRET
OTHER_SECRET = "another-secret-of-thirty-two-bytes"


@pytest.fixture
def tokens_app(make_app):
    """Return an app that requires signed tokens, with the demo issuer on and no leeway."""
    return make_app(TOKENS=True, DEMO_TOKENS=True, TOKEN_MAX_AGE=60, JWT_LEEWAY=0)


def hs256(payload, key=SECRET, **header):
    return jwt.encode(payload, key, algorithm="HS256", headers=header or None)


def refusal(tokens, token):
    """Return the ChatError code ``tokens`` refuses ``token`` with."""
    with pytest.raises(ChatError) as refused:
        tokens.verify(token)
    return refused.value.code


def test_a_token_carries_id_and_name():
    """Verify a token issued with the same secret: the id from sub, the trimmed name, no admin role."""
    identity = Tokens.with_secret(SECRET).verify(issue_token(SECRET, "u1", "  Alice "))
    assert (identity.id, identity.name, identity.admin) == ("u1", "Alice", False)


def test_a_token_says_when_it_expires():
    """Carry the token's exp, plus the leeway it is granted, as the identity's expiry."""
    token = hs256(claims(exp=2_000_000_000))
    assert Tokens.with_secret(SECRET).verify(token).expires_at == 2_000_000_000
    assert Tokens.with_secret(SECRET, leeway=5).verify(token).expires_at == 2_000_000_005


@pytest.mark.parametrize(
    ("roles", "admin"),
    [
        (["admin"], True),
        (["editor", "admin"], True),
        (["moderator"], False),
        ([], False),
    ],
)
def test_the_admin_role_is_read_from_the_roles_claim(roles, admin):
    """Read the administrator role from the token's roles."""
    assert Tokens.with_secret(SECRET).verify(hs256(claims(roles=roles))).admin is admin


@pytest.mark.parametrize(
    ("token", "code"),
    [
        (None, "token_required"),
        ("", "token_required"),
        (42, "token_required"),
        ("not-a-token", "bad_token"),
        (issue_token(OTHER_SECRET, "u1", "Alice"), "bad_token"),
        # The retired itsdangerous format, with the right key and salt.
        (URLSafeTimedSerializer(SECRET, salt="chat-identity").dumps({"id": "u1", "name": "A"}), "bad_token"),
        (unsigned(claims()), "bad_token"),
        (hs256(claims(exp=None)), "bad_token"),
        (hs256(claims(sub=None)), "bad_token"),
        (hs256(claims(sub="")), "bad_token"),
        (hs256(claims(sub="u" * 65)), "bad_token"),
        (hs256(claims(sub=42)), "bad_token"),
        (hs256(claims(name=None)), "bad_token"),
        (hs256(claims(name="\u202e")), "bad_token"),
        (hs256(claims(name="A" * 33)), "bad_token"),
        (hs256(claims(roles="admin")), "bad_token"),
        (hs256(claims(nbf=2_000_000_000)), "bad_token"),
        (hs256(claims(aud="someone-else")), "bad_token"),
        (hs256(claims(exp=1_700_000_000)), "token_expired"),
    ],
)
def test_bad_tokens_are_refused(token, code):
    """Refuse a missing, malformed, foreign, unsigned, incomplete or expired token, saying which."""
    assert refusal(Tokens.with_secret(SECRET), token) == code


def test_a_refusal_says_why():
    """Name what is wrong with a refused token, so the site that issued it can fix it."""
    with pytest.raises(ChatError, match='"exp" claim'):
        Tokens.with_secret(SECRET).verify(hs256(claims(exp=None)))
    with pytest.raises(ChatError, match="'name' claim"):
        Tokens.with_secret(SECRET).verify(hs256(claims(name=None)))


def test_the_name_claim_is_configurable():
    """Take the display name from the configured claim, and require it."""
    tokens = Tokens.with_secret(SECRET, name_claim="nickname")
    assert tokens.verify(hs256(claims(name=None, nickname=" Ally "))).name == "Ally"
    assert refusal(tokens, hs256(claims())) == "bad_token"


def test_leeway_admits_a_token_just_expired():
    """Accept a token within the leeway after its exp, and refuse it after."""
    token = hs256(claims(exp=int(time.time()) - 3))
    assert Tokens.with_secret(SECRET, leeway=5).verify(token).id == "user-42"
    assert refusal(Tokens.with_secret(SECRET), token) == "token_expired"


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"aud": "chat", "iss": "https://site.example"}, True),
        ({"aud": ["other", "chat"], "iss": "https://site.example"}, True),
        ({"aud": "other", "iss": "https://site.example"}, False),
        ({"iss": "https://site.example"}, False),
        ({"aud": "chat", "iss": "https://evil.example"}, False),
        ({"aud": "chat"}, False),
    ],
)
def test_audience_and_issuer_are_checked_when_configured(changes, accepted):
    """Accept a token only when it names the configured audience and issuer."""
    tokens = Tokens.with_secret(SECRET, audience="chat", issuer="https://site.example")
    token = hs256(claims(**changes))
    if accepted:
        assert tokens.verify(token).id == "user-42"
    else:
        assert refusal(tokens, token) == "bad_token"


# --- Public keys: RS256, ES256, a JWKS ------------------------------------------------------


@pytest.fixture(scope="module")
def keys():
    """Return key pairs for the public-key cases: two RSA, two EC P-256 (generating RSA keys takes a while)."""
    return {"rsa": rsa_key(), "rsa2": rsa_key(), "ec": ec_key(), "ec2": ec_key()}


def signed(key, algorithm, payload=None, **header):
    return jwt.encode(payload or claims(), private_pem(key), algorithm=algorithm, headers=header or None)


@pytest.fixture
def pem_tokens(make_app, tmp_path):
    """Return a function: the Tokens of an app that checks tokens against the public half of ``key``."""

    def tokens(key):
        path = write_public_pem(tmp_path / "public.pem", key)
        return make_app(TOKENS=True, JWT_PUBLIC_KEY_FILE=path).extensions["chat"].tokens

    return tokens


@pytest.mark.parametrize(("kind", "algorithm"), [("rsa", "RS256"), ("ec", "ES256")])
def test_a_token_signed_with_the_private_key_is_accepted(keys, pem_tokens, kind, algorithm):
    """Accept a token signed with the private half of the configured public key."""
    identity = pem_tokens(keys[kind]).verify(signed(keys[kind], algorithm, claims(roles=["admin"])))
    assert (identity.id, identity.name, identity.admin) == ("user-42", "Alice", True)


@pytest.mark.parametrize(
    ("kind", "token"),
    [
        ("rsa", lambda k: signed(k["rsa2"], "RS256")),  # another key
        ("ec", lambda k: signed(k["ec2"], "ES256")),
        ("ec", lambda k: signed(k["rsa"], "RS256")),  # right signer, but the server expects ES256
        ("rsa", lambda k: signed(k["rsa"], "RS512")),  # an algorithm not configured
        ("rsa", lambda k: unsigned(claims())),
        ("rsa", lambda k: hs256(claims())),  # signed with the server's HS256 secret: off with public keys
        # Algorithm confusion: HS256 keyed with the server's public key, which anyone may know.
        ("rsa", lambda k: hs256_with(public_pem(k["rsa"]), claims())),
        ("ec", lambda k: hs256_with(public_pem(k["ec"]), claims())),
        ("rsa", lambda k: signed(k["rsa"], "RS256", claims(exp=None))),
        ("rsa", lambda k: signed(k["rsa"], "RS256", claims(sub=None))),
    ],
)
def test_bad_public_key_tokens_are_refused(keys, pem_tokens, kind, token):
    """Refuse a token from another key, with another algorithm, unsigned, confused or incomplete."""
    assert refusal(pem_tokens(keys[kind]), token(keys)) == "bad_token"


def test_an_expired_public_key_token_is_refused(keys, pem_tokens):
    """Refuse an RS256 token past its exp with token_expired."""
    assert refusal(pem_tokens(keys["rsa"]), signed(keys["rsa"], "RS256", claims(exp=1_700_000_000))) == "token_expired"


@pytest.fixture
def jwks_tokens(make_app, tmp_path, keys):
    """Return the Tokens of an app with a JWKS of two keys: RSA "site-rsa" and EC "site-ec"."""
    path = write_jwks(tmp_path / "jwks.json", [jwk(keys["rsa"], "site-rsa"), jwk(keys["ec"], "site-ec")])
    return make_app(TOKENS=True, JWT_JWKS_FILE=path, JWT_AUDIENCE="chat", JWT_ISSUER="site").extensions["chat"].tokens


def test_a_jwks_key_is_chosen_by_kid(keys, jwks_tokens):
    """Accept tokens from either key of the set, the one their kid names."""
    payload = claims(aud="chat", iss="site")
    assert jwks_tokens.verify(signed(keys["rsa"], "RS256", payload, kid="site-rsa")).id == "user-42"
    assert jwks_tokens.verify(signed(keys["ec"], "ES256", {**payload, "sub": "u7"}, kid="site-ec")).id == "u7"


@pytest.mark.parametrize(
    "token",
    [
        lambda k, p: signed(k["rsa"], "RS256", p),  # no kid
        lambda k, p: signed(k["rsa"], "RS256", p, kid="unknown"),
        lambda k, p: signed(k["rsa"], "RS256", p, kid="site-ec"),  # the other key's kid
        lambda k, p: signed(k["rsa2"], "RS256", p, kid="site-rsa"),  # a key not in the set
        lambda k, p: hs256_with(public_pem(k["rsa"]), p, kid="site-rsa"),
        lambda k, p: signed(k["rsa"], "RS256", {**p, "aud": "other"}, kid="site-rsa"),
        lambda k, p: signed(k["rsa"], "RS256", {**p, "iss": "other"}, kid="site-rsa"),
    ],
)
def test_bad_jwks_tokens_are_refused(keys, jwks_tokens, token):
    """Refuse a token whose kid names no key, or the wrong one, or whose audience or issuer is wrong."""
    assert refusal(jwks_tokens, token(keys, claims(aud="chat", iss="site"))) == "bad_token"


@pytest.mark.parametrize(
    "auth",
    [
        {"protocol": 2, "name": "Alice"},
        {"protocol": 2, "token": "forged"},
        {},
    ],
)
def test_connections_without_a_good_token_are_refused(tokens_app, socket_client, auth):
    """Refuse every connection, seed or full, that has no valid token."""
    assert not socket_client(tokens_app, auth=auth).is_connected()


def test_expired_token_connection_is_refused(tokens_app, socket_client):
    """Refuse a connection whose token has expired."""
    token = hs256(claims(exp=1_700_000_000))
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
    assert Tokens.with_secret(SECRET).verify(response.json["token"]).name == "Alice"
    issued = jwt.decode(response.json["token"], SECRET, algorithms=["HS256"])
    assert issued["exp"] - issued["iat"] == 60 and "roles" not in issued
    bad = client.post("/token", json={"name": "\u202e"})
    assert bad.status_code == 400 and bad.json["code"] == "bad_name"


def test_demo_tokens_name_the_configured_audience_and_issuer(make_app, socket_client):
    """Issue demo tokens that this server accepts when it checks aud and iss."""
    app = make_app(TOKENS=True, DEMO_TOKENS=True, JWT_AUDIENCE="chat", JWT_ISSUER="https://site.example")
    token = app.test_client().post("/token", json={"name": "Alice"}).json["token"]
    assert jwt.decode(token, SECRET, algorithms=["HS256"], audience="chat")["iss"] == "https://site.example"
    assert socket_client(app, auth={"protocol": 2, "token": token}).is_connected()


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


def test_seconds_left_counts_down_to_the_tokens_expiry():
    """Say how long a token has left before its exp, plus the leeway, by the wall clock."""
    now = [2_000_000_000 - 60]
    tokens = Tokens.with_secret(SECRET, leeway=5, wall_clock=lambda: now[0])
    token = hs256(claims(exp=2_000_000_000))
    assert tokens.seconds_left(token) == 65
    now[0] += 45
    assert tokens.seconds_left(token) == 20
    assert tokens.seconds_left(hs256(claims(exp=1_700_000_000))) == 0


def sweep(app):
    with app.app_context():
        sweeper.sweep()


def received_until_closed(test_client):
    """Return (event, first argument) pairs a disconnected test client received before it closed."""
    # get_received() refuses a disconnected client; its queue still holds what came before.
    return [(item["name"], item["args"][0]) for item in test_client.queue]


EXPIRED = {"event": "connect", "code": "token_expired", "error": "your token has expired: connect again with a new one"}


def test_a_connection_is_told_and_ended_when_its_token_expires(tokens_app, socket_client, clock):
    """Send chat-error token_expired to a connection whose token expires, then disconnect it; no one else."""
    start = int(time.time())
    wall = [start]
    tokens_app.extensions["chat"].tokens.wall_clock = lambda: wall[0]

    def token(sub, name, lifetime=60):
        return hs256(claims(sub=sub, name=name, exp=wall[0] + lifetime))

    alice = socket_client(tokens_app, auth={"protocol": 2, "token": token("user-42", "Alice")})
    wall[0] += 30
    clock.advance(30)  # the chat's clock moves with the wall clock
    bob = socket_client(tokens_app, auth={"protocol": 2, "token": token("user-7", "Bob")})
    seed = socket_client(tokens_app, auth={"token": token("user-9", "Carol")})
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
