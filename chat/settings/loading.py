"""Loading: the defaults, then the environment, then a test's mapping; then the checks."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Mapping, MutableMapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .declared import DEFAULTS, SETTINGS
from .kinds import is_number, is_whole
from .sizes import HANDSHAKE_CONVERSATIONS_PER_ROOM, flood_allowance_bytes, longest_packet

if TYPE_CHECKING:
    from flask import Flask

Config = MutableMapping[str, Any]

# Shortest secret key accepted: 32 bytes, 256 bits, as much as the HMAC-SHA1 behind the session
# cookie and the HMAC-SHA256 behind HS256 identity tokens can use; a short key can be guessed offline from one signed cookie.
MIN_SECRET_KEY_BYTES = 32

# Shortest METRICS_TOKEN accepted: as many bytes as secrets.token_hex(16) writes.
MIN_METRICS_TOKEN_LENGTH = 32


def load(app: Flask, test_config: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` from the defaults, the environment and ``test_config``, then check it."""
    app.config.from_mapping(DEFAULTS)
    # Flask's own settings too (CHAT_SERVER_NAME, CHAT_PREFERRED_URL_SCHEME), parsed as JSON;
    # the chat's own are then parsed again by their type.
    app.config.from_prefixed_env("CHAT")
    for setting in SETTINGS:
        text = os.environ.get(f"CHAT_{setting.name}")
        if text is not None:
            app.config[setting.name] = setting.parse(text)
    if test_config:
        app.config.from_mapping(test_config)
    config = app.config
    config["CORS_ORIGINS"] = _origins(config["CORS_ORIGINS"])
    config["PUBLIC_ORIGIN"] = _public_origin(config)
    check(config)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(app)
    if not config["HISTORY_DATABASE"]:
        config["HISTORY_DATABASE"] = str(Path(app.instance_path) / "chat.sqlite3")
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = config["HISTORY_DATABASE"]


def check(config: Config) -> None:
    """Raise ValueError naming the first setting that makes no sense; fill in the derived ones.

    Each setting's own check first, then the derived settings (which need the others sound),
    then the settings that must agree with each other.
    """
    for setting in SETTINGS:
        if setting.check is not None and setting.derive is None:
            setting.check(setting.name, config[setting.name])
    for setting in SETTINGS:
        if setting.derive is not None:
            if config[setting.name] is None:
                config[setting.name] = setting.derive(config)
            if setting.check is not None:
                setting.check(setting.name, config[setting.name])
    for relation in RELATIONS:
        relation(config)


def _origins(value: str | list[str] | None) -> list[str]:
    """Return the allowed origins, from a comma-separated string or a list, without trailing slashes."""
    origins = value.split(",") if isinstance(value, str) else value or []
    return [origin.strip().rstrip("/") for origin in origins if origin.strip()]


def _public_origin(config: Mapping[str, Any]) -> str | None:
    """Return the configured public origin, or one derived from SERVER_NAME; None for neither."""
    origin = config["PUBLIC_ORIGIN"]
    if not origin and config.get("SERVER_NAME"):
        origin = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    if not origin:
        return None
    parts = urlsplit(origin) if isinstance(origin, str) else None
    if (
        not parts
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username
    ):
        raise ValueError(f"CHAT_PUBLIC_ORIGIN must be an origin such as https://chat.example.com, not {origin!r}")
    return str(origin).rstrip("/")


# ---------------------------------------------------------------------------
# Settings that must agree with each other


def _flood(config: Mapping[str, Any]) -> None:
    """Refuse a flood rate that cannot refill, while flood control is on; or too few packets for a burst."""
    if config["FLOOD_BURST"] and (not is_number(config["FLOOD_RATE"]) or config["FLOOD_RATE"] <= 0):
        raise ValueError(f"CHAT_FLOOD_RATE must be a positive number, not {config['FLOOD_RATE']!r}")
    if config["MAX_PACKETS_PER_REQUEST"] < config["FLOOD_BURST"] + 16:
        raise ValueError(
            f"CHAT_MAX_PACKETS_PER_REQUEST must leave room for a full flood burst "
            f"and Engine.IO's own packets: at least {config['FLOOD_BURST'] + 16}"
        )


def _packet_bytes_fit(config: Mapping[str, Any]) -> None:
    """Refuse a packet limit too small for a full flood burst of longest messages in one request."""
    if config["MAX_PACKET_BYTES"] < flood_allowance_bytes(config):
        raise ValueError(
            f"CHAT_MAX_PACKET_BYTES ({config['MAX_PACKET_BYTES']}) is too small for a full flood burst "
            f"of longest messages in one long-polling request ({flood_allowance_bytes(config)} bytes)"
        )


def _history_bytes_fit(config: Mapping[str, Any]) -> None:
    """Refuse histories so large that a handshake's would fill more than half of a client's send queue."""
    conversations = HANDSHAKE_CONVERSATIONS_PER_ROOM * config["ROOMS_PER_CONNECTION"]
    if 2 * conversations * config["HISTORY_MAX_BYTES"] > config["MAX_QUEUED_BYTES"]:
        raise ValueError(
            f"CHAT_HISTORY_MAX_BYTES ({config['HISTORY_MAX_BYTES']}) is too large: the histories of a handshake's "
            f"{conversations} rooms and DMs must fit in half of CHAT_MAX_QUEUED_BYTES ({config['MAX_QUEUED_BYTES']}), "
            f"so at most {config['MAX_QUEUED_BYTES'] // (2 * conversations)}"
        )


def _secret_key(config: Mapping[str, Any]) -> None:
    """Refuse a secret key short enough to guess."""
    key = config["SECRET_KEY"]
    if key and len(key.encode() if isinstance(key, str) else key) < MIN_SECRET_KEY_BYTES:
        raise ValueError(
            f"CHAT_SECRET_KEY is too short: at least {MIN_SECRET_KEY_BYTES} bytes, such as the output of "
            f"`python3 -c 'import secrets; print(secrets.token_hex(32))'`"
        )


def _jwt(config: Mapping[str, Any]) -> None:
    """Refuse a short token secret, or two ways of checking tokens at once."""
    secret = config["JWT_SECRET"]
    if secret and len(secret.encode() if isinstance(secret, str) else secret) < MIN_SECRET_KEY_BYTES:
        raise ValueError(f"CHAT_JWT_SECRET is too short: at least {MIN_SECRET_KEY_BYTES} bytes, as for CHAT_SECRET_KEY")
    public = [key for key in ("JWT_PUBLIC_KEY_FILE", "JWT_JWKS_FILE") if config[key]]
    if len(public) > 1:
        raise ValueError("CHAT_JWT_PUBLIC_KEY_FILE and CHAT_JWT_JWKS_FILE are both set: choose one")
    if public and secret:
        # One way of checking tokens: a secret beside public keys would let HS256 tokens in too.
        raise ValueError(f"CHAT_JWT_SECRET and CHAT_{public[0]} are both set: choose HS256 or public keys")
    if public and config["DEMO_TOKENS"]:
        raise ValueError(
            f"CHAT_DEMO_TOKENS is on with CHAT_{public[0]}: demo tokens are HS256 only, so they "
            f"are off whenever public keys check tokens; turn CHAT_DEMO_TOKENS off"
        )


def _metrics_token(config: Mapping[str, Any]) -> None:
    """Refuse a METRICS_TOKEN that is not a string, or short enough to guess."""
    token = config["METRICS_TOKEN"]
    if token is not None and (
        not isinstance(token, str) or len(token) < MIN_METRICS_TOKEN_LENGTH or not token.isprintable() or " " in token
    ):
        raise ValueError(
            f"CHAT_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} printable characters "
            f"without spaces, such as the output of `python3 -c 'import secrets; "
            f"print(secrets.token_hex(16))'`"
        )


def _event_length(config: Mapping[str, Any]) -> None:
    """Refuse an event length limit below the longest valid packet."""
    if not is_whole(config["MAX_EVENT_LENGTH"]) or config["MAX_EVENT_LENGTH"] < longest_packet(config):
        raise ValueError(
            f"CHAT_MAX_EVENT_LENGTH must be a whole number of characters, at least the longest "
            f"valid packet ({longest_packet(config)}), not {config['MAX_EVENT_LENGTH']!r}"
        )


def _cors(config: Mapping[str, Any]) -> None:
    """Refuse "*" beside named origins: it would say both "anyone" and "only these"."""
    if "*" in config["CORS_ORIGINS"] and len(config["CORS_ORIGINS"]) > 1:
        raise ValueError("CHAT_CORS_ORIGINS is either * or a list of origins, not both")


RELATIONS: tuple[Callable[[Mapping[str, Any]], None], ...] = (
    _flood,
    _packet_bytes_fit,
    _history_bytes_fit,
    _secret_key,
    _jwt,
    _metrics_token,
    _event_length,
    _cors,
)


def _instance_secret(app: Flask) -> str:
    """Return the secret kept in the instance folder, creating it on first use."""
    path = Path(app.config["SECRET_KEY_FILE"] or Path(app.instance_path) / "secret_key")
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    draft = path.with_name(f"{path.name}.{os.getpid()}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_hex(32))
    try:
        os.link(draft, path)  # atomic: a second process starting at once reads the first one's key
    except FileExistsError:
        return path.read_text().strip()
    finally:
        draft.unlink()
    app.logger.warning(
        "CHAT_SECRET_KEY is not set: generated a secret key and saved it in %s. "
        "Several server processes must share one key: set CHAT_SECRET_KEY for all of them.",
        path,
    )
    return path.read_text().strip()
