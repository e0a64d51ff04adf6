"""The application factory: settings, secret key, origins, HTTP routes."""

import json
import logging
import re

import pytest

from chat import create_app
from chat.settings import flood_allowance_bytes

HANDSHAKE = "/socket.io/?EIO=4&transport=polling"
KEY = "k" * 32


def test_test_config_overrides_defaults():
    """Apply the test mapping over the defaults."""
    assert create_app({"SECRET_KEY": KEY}).config["MAX_MESSAGE_LENGTH"] == 2000
    assert create_app({"SECRET_KEY": KEY, "MAX_MESSAGE_LENGTH": 10}).config["MAX_MESSAGE_LENGTH"] == 10


def test_settings_come_from_chat_environment_variables(monkeypatch):
    """Read CHAT_* variables, parsed as JSON where they are JSON."""
    monkeypatch.setenv("CHAT_SECRET_KEY", "from-env-" + "e" * 32)
    monkeypatch.setenv("CHAT_FLOOD_RATE", "2.5")
    monkeypatch.setenv("CHAT_CORS_ORIGINS", "http://localhost:3001, https://chat.example/")
    config = create_app().config
    assert config["SECRET_KEY"] == "from-env-" + "e" * 32
    assert config["FLOOD_RATE"] == 2.5
    assert config["CORS_ORIGINS"] == ["http://localhost:3001", "https://chat.example"]


@pytest.mark.parametrize(
    "settings",
    [
        {"MAX_MESSAGE_LENGTH": 0},
        {"MAX_MESSAGE_LENGTH": "long"},
        {"FLOOD_BURST": -1},
        {"FLOOD_BURST": 1.5},
        {"FLOOD_RATE": 0},
        {"CONNECTIONS_PER_MINUTE": -5},
        {"ASYNC_MODE": "eventlet"},
        {"MAX_PACKET_BYTES": 1000},
        {"CORS_ORIGINS": ["*", "http://a.example"]},
    ],
)
def test_bad_settings_stop_the_start(settings):
    """Refuse to start with a setting that makes no sense, naming it."""
    with pytest.raises(ValueError, match=f"CHAT_{next(iter(settings))}"):
        create_app({"SECRET_KEY": KEY, **settings})


@pytest.mark.parametrize("key", ["x", "test-secret", "k" * 31, b"k" * 31])
def test_a_short_secret_key_stops_the_start(key):
    """Refuse a secret key shorter than 32 bytes, naming the setting: a short key can be guessed."""
    with pytest.raises(ValueError, match="CHAT_SECRET_KEY is too short: at least 32 bytes"):
        create_app({"SECRET_KEY": key})


def test_a_short_secret_key_from_the_environment_stops_the_start(monkeypatch):
    """Refuse CHAT_SECRET_KEY=x, as the benchmark commands once used."""
    monkeypatch.setenv("CHAT_SECRET_KEY", "x")
    with pytest.raises(ValueError, match="CHAT_SECRET_KEY"):
        create_app()


@pytest.mark.parametrize("key", ["k" * 32, "é" * 16, b"k" * 32])
def test_a_secret_key_of_32_bytes_is_accepted(key):
    """Accept a key of 32 bytes, counted in UTF-8 bytes, not characters."""
    assert create_app({"SECRET_KEY": key}).config["SECRET_KEY"] == key


def test_packet_limit_admits_a_full_flood_burst_of_longest_messages():
    """Derive the engine limit so a burst of maximum-length messages fits in one request."""
    app = create_app({"SECRET_KEY": KEY, "MAX_MESSAGE_LENGTH": 20_000, "FLOOD_BURST": 30})
    assert app.config["MAX_PACKET_BYTES"] == flood_allowance_bytes(app.config) > 30 * 20_000 * 6
    assert create_app({"SECRET_KEY": KEY}).config["MAX_PACKET_BYTES"] == 1_000_000


def test_secret_key_is_generated_once_and_kept(tmp_path, monkeypatch, caplog):
    """Generate a random key into the instance folder when unset, warn, and reuse it."""
    monkeypatch.delenv("CHAT_SECRET_KEY", raising=False)
    key_file = tmp_path / "instance" / "secret_key"
    with caplog.at_level(logging.WARNING):
        first = create_app({"SECRET_KEY_FILE": str(key_file)}).config["SECRET_KEY"]
    assert "CHAT_SECRET_KEY is not set" in caplog.text
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert key_file.stat().st_mode & 0o077 == 0
    assert create_app({"SECRET_KEY_FILE": str(key_file)}).config["SECRET_KEY"] == first
    other = create_app({"SECRET_KEY_FILE": str(tmp_path / "other")}).config["SECRET_KEY"]
    assert other != first


def test_healthz(client):
    """Answer load balancers with JSON."""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "connections": 0, "people": 0}


def test_healthz_answers_503_when_storage_fails(app, client):
    """Tell load balancers to stop sending clients when the history cannot be used."""
    app.extensions["chat"].stores.history.close()
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["status"] == "unavailable" and response.json["storage"]


def test_healthz_counts_connections(app, client, socket_client):
    """Count this process's open Socket.IO connections."""
    socket_client(), socket_client()
    assert client.get("/healthz").json["connections"] == 2


def test_index_serves_the_demo_page_with_local_assets(client):
    """Serve the page, with every script and stylesheet from this server."""
    response = client.get("/")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assets = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert "/static/vendor/socket.io/socket.io.min.js" in assets
    assert all(asset.startswith("/static/") for asset in assets)
    assert client.get("/static/vendor/socket.io/socket.io.min.js").status_code == 200


@pytest.mark.parametrize(
    ("origin", "allowed"),
    [
        ("http://localhost", True),
        ("http://evil.example", False),
    ],
)
def test_socketio_is_same_origin_by_default(client, origin, allowed):
    """Accept Socket.IO handshakes from the page's own origin only."""
    response = client.get(HANDSHAKE, headers={"Origin": origin})
    assert (response.status_code == 200) is allowed


def test_configured_origins_apply_to_socketio_and_http(make_app):
    """Let a configured origin connect and read the HTTP routes; no one else."""
    client = make_app(CORS_ORIGINS="http://localhost:3001").test_client()
    allowed = {"Origin": "http://localhost:3001"}
    response = client.get(HANDSHAKE, headers=allowed)
    assert response.status_code == 200
    assert response.headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
    assert client.get("/healthz", headers=allowed).headers["Access-Control-Allow-Origin"] == "http://localhost:3001"
    assert client.get(HANDSHAKE, headers={"Origin": "http://evil.example"}).status_code == 400
    assert (
        "Access-Control-Allow-Origin" not in client.get("/healthz", headers={"Origin": "http://evil.example"}).headers
    )


def test_http_routes_send_no_cors_headers_by_default(client):
    """Leave cross-origin reads of the HTTP routes to the browser's same-origin rule."""
    response = client.get("/healthz", headers={"Origin": "http://evil.example"})
    assert "Access-Control-Allow-Origin" not in response.headers


def test_any_origin_only_when_configured(make_app):
    """Accept every origin when CORS_ORIGINS is "*"."""
    client = make_app(CORS_ORIGINS="*").test_client()
    assert client.get(HANDSHAKE, headers={"Origin": "http://anywhere.example"}).status_code == 200


# --- Signed identities: how tokens are checked ----------------------------------------------


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        ({"JWT_SECRET": "s" * 31}, "CHAT_JWT_SECRET is too short"),
        ({"JWT_SECRET": 42}, "CHAT_JWT_SECRET"),
        ({"JWT_LEEWAY": -1}, "CHAT_JWT_LEEWAY"),
        ({"JWT_LEEWAY": 3600}, "CHAT_JWT_LEEWAY"),
        ({"JWT_NAME_CLAIM": ""}, "CHAT_JWT_NAME_CLAIM"),
        ({"JWT_AUDIENCE": ["a", "b"]}, "CHAT_JWT_AUDIENCE"),
        (
            {"JWT_PUBLIC_KEY_FILE": "a.pem", "JWT_JWKS_FILE": "b.json"},
            "CHAT_JWT_PUBLIC_KEY_FILE and CHAT_JWT_JWKS_FILE",
        ),
        ({"JWT_SECRET": "s" * 32, "JWT_PUBLIC_KEY_FILE": "a.pem"}, "CHAT_JWT_SECRET and CHAT_JWT_PUBLIC_KEY_FILE"),
        ({"JWT_SECRET": "s" * 32, "JWT_JWKS_FILE": "b.json"}, "CHAT_JWT_SECRET and CHAT_JWT_JWKS_FILE"),
        ({"TOKENS": True, "DEMO_TOKENS": True, "JWT_PUBLIC_KEY_FILE": "a.pem"}, "CHAT_DEMO_TOKENS"),
        ({"TOKENS": True, "DEMO_TOKENS": True, "JWT_JWKS_FILE": "b.json"}, "CHAT_DEMO_TOKENS"),
    ],
)
def test_inconsistent_token_settings_stop_the_start(settings, named):
    """Refuse a malformed token setting, or two ways of checking tokens at once, naming the settings."""
    with pytest.raises(ValueError, match=re.escape(named)):
        create_app({"SECRET_KEY": KEY, **settings})


def public_key_cases():
    """Return (setting, file contents, what the refusal says) for key files the server cannot use."""
    from cryptography.hazmat.primitives.asymmetric import ec

    from support.jwt_keys import ec_key, jwk, private_pem, public_pem, rsa_key

    rsa = rsa_key()
    return [
        ("JWT_PUBLIC_KEY_FILE", None, "cannot read a PEM public key"),
        ("JWT_PUBLIC_KEY_FILE", b"not a key", "cannot read a PEM public key"),
        ("JWT_PUBLIC_KEY_FILE", private_pem(rsa).encode(), "cannot read a PEM public key"),
        ("JWT_PUBLIC_KEY_FILE", public_pem(rsa_key(1024)), "at least 2048"),
        ("JWT_PUBLIC_KEY_FILE", public_pem(ec_key(ec.SECP384R1())), "EC P-256"),
        ("JWT_JWKS_FILE", None, "cannot read a JWKS"),
        ("JWT_JWKS_FILE", b'{"keys": []}', "cannot read a JWKS"),
        ("JWT_JWKS_FILE", b'{"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]}', "RSA or EC public key"),
        ("JWT_JWKS_FILE", json.dumps({"keys": [{**jwk(rsa, "a"), "kid": None}]}).encode(), "kid of its own"),
        ("JWT_JWKS_FILE", json.dumps({"keys": [jwk(rsa, "a"), jwk(ec_key(), "a")]}).encode(), "kid of its own"),
        ("JWT_JWKS_FILE", json.dumps({"keys": [{**jwk(rsa, "a"), "alg": "HS256"}]}).encode(), "only RS256"),
        ("JWT_JWKS_FILE", json.dumps({"keys": [{**jwk(rsa, "a"), "use": "enc"}]}).encode(), "not for signatures"),
        ("JWT_JWKS_FILE", json.dumps({"keys": [jwk(ec_key(ec.SECP384R1()), "a")]}).encode(), "EC P-256"),
    ]


@pytest.mark.parametrize(
    ("setting", "contents", "says"),
    public_key_cases(),
    ids=lambda value: value if isinstance(value, str) and len(value) < 40 else "",
)
def test_an_unusable_public_key_stops_the_start(tmp_path, setting, contents, says):
    """Refuse a missing or unreadable key file, a private, weak or unsupported key, or a JWKS that is not one."""
    path = tmp_path / "key"
    if contents is not None:
        path.write_bytes(contents)
    with pytest.raises(ValueError, match=f"CHAT_{setting}.*{says}"):
        create_app({"SECRET_KEY": KEY, "TOKENS": True, setting: str(path)})


def test_jwt_secret_defaults_to_the_secret_key():
    """Check HS256 tokens with SECRET_KEY unless JWT_SECRET is set, then with it alone."""
    from chat.identity import issue_token

    assert (
        create_app({"SECRET_KEY": KEY, "TOKENS": True})
        .extensions["chat"]
        .tokens.verify(issue_token(KEY, "u1", "Alice"))
        .id
        == "u1"
    )
    own = create_app({"SECRET_KEY": KEY, "TOKENS": True, "JWT_SECRET": "j" * 32}).extensions["chat"].tokens
    assert own.verify(issue_token("j" * 32, "u1", "Alice")).id == "u1"
    with pytest.raises(Exception, match="not valid"):
        own.verify(issue_token(KEY, "u1", "Alice"))
