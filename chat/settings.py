"""Settings, each declared once: its name, type, default, check and meaning.

``SETTINGS`` is the one list. From it ``load`` fills ``app.config`` (the defaults, then ``CHAT_*``
environment variables parsed by type, then a ``test_config`` mapping) and runs the start-up
checks, and ``table`` writes the README's settings table: ``python -m chat.settings`` prints it.
"""

from __future__ import annotations

import json
import os
import secrets
import sys
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .validation import ROOM_NAME, ROOM_NAME_RULE

if TYPE_CHECKING:
    from flask import Flask

Config = MutableMapping[str, Any]

# Shortest secret key accepted: 32 bytes, 256 bits, as much as the HMAC-SHA1 behind the session
# cookie and the HMAC-SHA256 behind HS256 identity tokens can use; a short key can be guessed offline from one signed cookie.
MIN_SECRET_KEY_BYTES = 32

# Shortest METRICS_TOKEN accepted: as many bytes as secrets.token_hex(16) writes.
MIN_METRICS_TOKEN_LENGTH = 32

# The most one code point can take in a JSON packet: a client that escapes everything outside
# ASCII (Python's json.dumps does by default) writes an emoji as a surrogate pair, \ud83d\ude00:
# twelve characters, twelve bytes. (A lone surrogate or a control character is \uXXXX: six.)
WORST_BYTES_PER_CODE_POINT = 12
PACKET_OVERHEAD_BYTES = 64

# Beside the message text, the longest strings of a valid packet: a room name (32 code points),
# a display name (32), a clientId (64, validation.CLIENT_ID_MAX), and a signed identity token: a JWT
# with a 4096-bit RSA signature (683 characters) and a site's own claims beside ours.
ROOM_NAME_CODE_POINTS, NAME_CODE_POINTS, CLIENT_ID_CODE_POINTS, TOKEN_BYTES = 32, 32, 64, 4096
# A mentioned person's id (at most 64 code points, as a token's sub), quoted, with its comma.
MENTION_ID_CODE_POINTS = 64
PERSON_ID_MAX = 256  # chat/validation.py PERSON_ID_MAX: a ban's or mute's person

# The lines around the settings table in README.md, which `python -m chat.settings --readme` rewrites.
TABLE_BEGIN = "<!-- settings-table:begin -->"
TABLE_END = "<!-- settings-table:end -->"


def flood_allowance_bytes(config: Mapping[str, Any]) -> int:
    """Return the size of a long-polling request carrying a full burst of longest messages."""
    per_message = config["MAX_MESSAGE_LENGTH"] * WORST_BYTES_PER_CODE_POINT + PACKET_OVERHEAD_BYTES
    return int(max(config["FLOOD_BURST"], 1) * per_message)


def longest_packet(config: Mapping[str, Any]) -> int:
    """Return an upper bound on the length of a valid packet from a client, in characters.

    It covers the longest ``send-message`` (a longest message, room, clientId and mentions) and the
    longest handshake (every room twice, in ``rooms`` and ``lastSeen``, a name and a token),
    with every code point JSON-escaped at its longest (WORST_BYTES_PER_CODE_POINT).
    """
    # lastChange lists the rooms a third time: room names are plain ASCII, so their share counted
    # escaped at its longest (12 characters each) already holds it several times over.
    code_points = (
        config["MAX_MESSAGE_LENGTH"]
        + CLIENT_ID_CODE_POINTS
        + NAME_CODE_POINTS
        + (2 * config["ROOMS_PER_CONNECTION"] + 1) * ROOM_NAME_CODE_POINTS
        + config["MAX_MENTIONS"] * (MENTION_ID_CODE_POINTS + 3)
    )
    # A ban or mute (a room, a person's id, a reason) is shorter at the defaults; a long MAX_MODERATION_REASON is not.
    code_points = max(code_points, ROOM_NAME_CODE_POINTS + PERSON_ID_MAX + config["MAX_MODERATION_REASON"])
    return int(code_points * WORST_BYTES_PER_CODE_POINT + TOKEN_BYTES + 4 * PACKET_OVERHEAD_BYTES)


def _packet_bytes(config: Mapping[str, Any]) -> int:
    return max(1_000_000, flood_allowance_bytes(config))


# ---------------------------------------------------------------------------
# Checks of one value: each says what the value must be, for the message naming the setting.


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@dataclass(frozen=True)
class Check:
    """A rule one setting's value must meet, and what it must be, as the refusal says it."""

    must_be: str
    test: Callable[[Any], bool]

    def __call__(self, name: str, value: object) -> None:
        """Raise ValueError naming ``CHAT_<name>`` unless ``value`` passes."""
        if not self.test(value):
            raise ValueError(f"CHAT_{name} must be {self.must_be}, not {value!r}")


POSITIVE = Check("a positive number", lambda value: _number(value) and value > 0)
WHOLE = Check("a whole number, 0 or more", lambda value: _whole(value) and value >= 0)
COUNT = Check("a whole number, 1 or more", lambda value: _whole(value) and value >= 1)
SECONDS = Check("a number of seconds, 0 or more", lambda value: _number(value) and value >= 0)
DAYS = Check("a number of days, 0 or more", lambda value: _number(value) and value >= 0)
BOOL = Check("true or false", lambda value: isinstance(value, bool))
BYTES = Check("a whole number of bytes", _whole)
ROOM = Check(
    f"a room name ({ROOM_NAME_RULE})", lambda value: isinstance(value, str) and ROOM_NAME.fullmatch(value) is not None
)
ASYNC_MODE = Check("threading or gevent", lambda value: value in (None, "threading", "gevent"))
TEXT = Check("a non-empty string", lambda value: value is None or isinstance(value, str) and value != "")
# A JWT secret may also be bytes (from test_config), as SECRET_KEY may.
SECRET = Check(
    "a non-empty string",
    lambda value: value is None or isinstance(value, bytes) or isinstance(value, str) and value != "",
)
CLAIM = Check("a claim name", lambda value: isinstance(value, str) and value != "")
LEEWAY = Check("a number of seconds from 0 to 300", lambda value: _number(value) and 0 <= value <= 300)


@dataclass(frozen=True)
class Setting:
    """One setting: ``CHAT_<name>`` in the environment, ``app.config[name]`` in the code.

    ``type`` is the value's type (str, int, float, bool or list), which decides how the
    environment's text is read (``parse``); ``check`` (if any) refuses a value that
    makes no sense on its own (settings that must agree are checked by ``RELATIONS``); ``derive``
    (if any) computes the value from the others when it is None; ``shown`` is the default as the
    README says it, where the value itself would not say it well.
    """

    name: str
    type: type
    default: Any
    check: Check | None
    meaning: str
    shown: str | None = None
    derive: Callable[[Mapping[str, Any]], Any] | None = None

    def shown_default(self) -> str:
        """Return the default as the README's table says it."""
        if self.shown is not None:
            return self.shown
        if self.derive is not None:
            return f"derived: `{_derived_defaults()[self.name]}`"
        if self.default is None:
            return "none"
        if isinstance(self.default, bool):
            return f"`{json.dumps(self.default)}`"
        return f"`{self.default}`"

    def parse(self, text: str) -> Any:
        """Return the value of ``CHAT_<name>=text``: JSON where it is JSON, else the text itself.

        A string setting keeps its text when the text is JSON of another type (a secret of
        digits, a room named ``true``); ``null`` clears a setting whose default is None.
        """
        try:
            value = json.loads(text)
        except ValueError:
            return text
        if self.type is str and not isinstance(value, str) and not (value is None and self.default is None):
            return text
        return value


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        str,
        None,
        None,
        "Flask's secret key, at least 32 bytes (a shorter one stops the start): `python3 -c 'import "
        "secrets; print(secrets.token_hex(32))'`. When unset, one is generated once, kept in "
        "`SECRET_KEY_FILE`, and a warning is logged. **Several processes must share one key: set it "
        "explicitly.**",
        shown="generated",
    ),
    Setting(
        "SECRET_KEY_FILE", str, None, None, "where the generated key is kept (mode 0600)", shown="`instance/secret_key`"
    ),
    Setting("MAX_MESSAGE_LENGTH", int, 2000, POSITIVE, "longest message, in Unicode code points"),
    Setting("FLOOD_BURST", int, 30, WHOLE, "messages a connection may send at once; `0` turns flood control off"),
    Setting("FLOOD_RATE", float, 5.0, None, "messages a second the allowance refills at"),
    Setting(
        "CONNECTIONS_PER_MINUTE",
        int,
        120,
        WHOLE,
        "new connections per client address: a burst of this many, refilled at this many a minute; `0` "
        "turns it off. Counted once per Engine.IO session, at its handshake, whether or not it goes on to"
        " connect to Socket.IO; with `CHAT_REDIS_URL`, for all processes together",
    ),
    Setting(
        "CONNECT_TIMEOUT",
        float,
        5.0,
        POSITIVE,
        "seconds an Engine.IO session may stay open without a Socket.IO connect before the server closes it",
    ),
    Setting("TYPING_BURST", int, 5, WHOLE, "typing events a connection may send at once; more are dropped quietly"),
    Setting("TYPING_RATE", float, 2.0, POSITIVE, "typing events a second that allowance refills at"),
    Setting("TYPING_TIMEOUT", float, 5.0, POSITIVE, "seconds a typing state lasts without renewal"),
    Setting(
        "PRESENCE_GRACE",
        float,
        5.0,
        SECONDS,
        "seconds a person whose last connection dropped stays in their rooms, so a quick reconnect does not flap",
    ),
    Setting(
        "DEFAULT_ROOM",
        str,
        "general",
        ROOM,
        "the room every client starts in, where original-protocol clients live; never removed",
    ),
    Setting("MAX_ROOMS", int, 100, POSITIVE, "rooms in total, the default one included"),
    Setting("ROOMS_PER_CONNECTION", int, 10, POSITIVE, "rooms one connection may be in at once"),
    Setting("ROOM_IDLE_SECONDS", float, 300, SECONDS, "seconds a created room may stay empty before it is removed"),
    Setting(
        "DMS_PER_PERSON",
        int,
        100,
        POSITIVE,
        "direct messages one person may open (those others open with them do not count); not counted in "
        "`MAX_ROOMS` or `ROOMS_PER_CONNECTION`",
    ),
    Setting(
        "DM_SEEN_SECONDS",
        float,
        600,
        SECONDS,
        "seconds after a person's last connection ended during which others may still open a direct message with them",
    ),
    Setting(
        "DATABASE_URL",
        str,
        None,
        TEXT,
        "the SQL database of the durable data ([docs/storage.md](docs/storage.md)): a SQLite path (one"
        " process), or a `postgresql://` URL that several processes share",
        shown="`HISTORY_DATABASE`",
    ),
    Setting(
        "HISTORY_DATABASE",
        str,
        None,
        TEXT,
        "the older name of `DATABASE_URL`, still read",
        shown="`instance/chat.sqlite3`",
    ),
    Setting(
        "DATABASE_UPGRADE_ON_START",
        bool,
        True,
        BOOL,
        "apply the database's migrations when the app starts; `false`: run `flask --app app db-upgrade`"
        " before starting instead",
    ),
    Setting("HISTORY_LIMIT", int, 50, POSITIVE, "messages sent on entering a room"),
    Setting("HISTORY_PAGE_MAX", int, 200, POSITIVE, "most messages one history page request may ask for"),
    Setting("RETENTION_MESSAGES", int, 10000, WHOLE, "messages kept per room; `0` keeps any number"),
    Setting("RETENTION_DAYS", float, 30, DAYS, "days a message is kept; `0` keeps them forever"),
    Setting(
        "CHANGE_RETENTION",
        int,
        1000,
        WHOLE,
        "change records (edits, deletions, reactions) kept per room for clients catching up with "
        "`lastChange`; older ones go, and a catch-up from before them says `gap`; `0` keeps all",
    ),
    Setting("MAX_REACTIONS_PER_MESSAGE", int, 20, POSITIVE, "distinct emoji one message may carry"),
    Setting("MAX_EMOJI_LENGTH", int, 16, POSITIVE, "longest reaction, in Unicode code points"),
    Setting(
        "MAX_BAN_SECONDS",
        float,
        7 * 86400,
        POSITIVE,
        "longest ban from a room ([moderation](docs/protocol.md#moderation))",
        shown="`604800` (7 days)",
    ),
    Setting("MAX_MUTE_SECONDS", float, 7 * 86400, POSITIVE, "longest mute in a room", shown="`604800` (7 days)"),
    Setting("MAX_MODERATION_REASON", int, 200, POSITIVE, "longest reason of a ban or mute, in Unicode code points"),
    Setting("MODERATION_LOG_KEEP", int, 1000, WHOLE, "moderation actions each room's record keeps; `0` keeps all"),
    Setting(
        "MAX_MENTIONS",
        int,
        20,
        COUNT,
        "people one message may mention ([mentions](docs/protocol.md#read-markers-receipts-and-mentions))",
    ),
    Setting("SEEN_BY_MAX", int, 50, COUNT, "readers one `seen-by` answer lists at most"),
    Setting(
        "READ_BURST",
        int,
        10,
        COUNT,
        "`mark-read`, `seen-by` and `list-dms` requests a connection may send at once, apart from the "
        "flood allowance; more `mark-read` and `seen-by` are dropped quietly, more `list-dms` refused "
        "`rate_limited`",
    ),
    Setting("READ_RATE", float, 2.0, POSITIVE, "those requests a second that allowance refills at"),
    Setting(
        "RECEIPTS_SCAN",
        int,
        200,
        COUNT,
        "the newest messages a read marker's move looks through for receipts to their senders: a move "
        "costs at most this many messages read and one receipt per sender",
    ),
    Setting(
        "TOKENS",
        bool,
        False,
        BOOL,
        "require a signed identity token on every connection ([how](docs/protocol.md#signed-identities))",
    ),
    Setting(
        "TOKEN_MAX_AGE",
        float,
        3600,
        POSITIVE,
        "seconds a token this server issues (`POST /token`, `issue_token`) is valid; a site's tokens say "
        "their own `exp`. A connection whose token expires is told (`token_expired`) and disconnected",
    ),
    Setting(
        "DEMO_TOKENS",
        bool,
        False,
        BOOL,
        "with `CHAT_TOKENS`, let anyone get a token for any name from `POST /token`: demos only. HS256, "
        "never with a role; with a public key file set it stops the start",
    ),
    Setting(
        "JWT_SECRET",
        str,
        None,
        SECRET,
        "the HS256 secret tokens are signed with, at least 32 bytes (a shorter one stops the start); "
        "better one of its own, so the site holds no key to the chat's cookies",
        shown="`CHAT_SECRET_KEY`",
    ),
    Setting(
        "JWT_PUBLIC_KEY_FILE",
        str,
        None,
        TEXT,
        "a PEM public key (RSA of 2048 bits or more: RS256; EC P-256: ES256) that checks tokens instead of a secret",
        shown="none",
    ),
    Setting(
        "JWT_JWKS_FILE",
        str,
        None,
        TEXT,
        "a JWKS file of RSA or EC P-256 public keys, each with a `kid`; the token's `kid` picks the key. "
        "One of `JWT_SECRET`, `JWT_PUBLIC_KEY_FILE`, `JWT_JWKS_FILE` (two stop the start)",
        shown="none",
    ),
    Setting("JWT_NAME_CLAIM", str, "name", CLAIM, "the claim that holds the display name; required in every token"),
    Setting(
        "JWT_AUDIENCE",
        str,
        None,
        TEXT,
        "the `aud` every token must name (without it, a token with an `aud` is refused)",
        shown="none: not checked",
    ),
    Setting("JWT_ISSUER", str, None, TEXT, "the `iss` every token must have", shown="none: not checked"),
    Setting("JWT_LEEWAY", float, 5, LEEWAY, "seconds of clock difference allowed on `exp`, `nbf` and `iat` (0 to 300)"),
    Setting(
        "REDIS_URL",
        str,
        None,
        None,
        "Redis shared by several server processes: broadcasts, presence, rooms, typing (live state only;"
        " the durable data is in `DATABASE_URL`) ([Several servers](#several-servers))",
        shown="none: one process",
    ),
    Setting("REDIS_CHANNEL", str, "flask-socketio", None, "the Redis channel of the message queue"),
    Setting(
        "MAX_PACKET_BYTES",
        int,
        None,
        BYTES,
        derive=_packet_bytes,
        meaning="largest Engine.IO packet or long-polling request; more closes the sender's connection (a POST "
        "gets 413 at once). Never less than a full flood burst of longest messages (checked)",
    ),
    Setting(
        "MAX_EVENT_LENGTH",
        int,
        None,
        None,
        derive=longest_packet,
        meaning="longest Socket.IO packet a client may send, in characters, judged before it is parsed: a longer "
        "event is refused `too_long`. Never less than the longest valid packet, derived from "
        "`MAX_MESSAGE_LENGTH`, `MAX_MENTIONS` and `ROOMS_PER_CONNECTION` (checked)",
    ),
    Setting(
        "MAX_PACKETS_PER_REQUEST",
        int,
        500,
        WHOLE,
        "most packets in one long-polling request (Engine.IO's default of 16 drops batched bursts)",
    ),
    Setting(
        "MAX_QUEUED_PACKETS",
        int,
        5000,
        POSITIVE,
        "packets that may wait to be sent to one client; past it the client (which stopped reading) is "
        "disconnected and catches up when it returns",
    ),
    Setting(
        "MAX_QUEUED_BYTES",
        int,
        4000000,
        POSITIVE,
        "bytes that may wait to be sent to one client (the memory its waiting packets hold; over "
        "WebSocket under gevent, the frame bytes its socket has not taken yet; a room's history on "
        "entering it is not counted); past it the client is disconnected, as above",
    ),
    Setting(
        "WEBSOCKET_COMPRESSION",
        bool,
        False,
        BOOL,
        "accept permessage-deflate on WebSocket frames; costs a compression per frame per recipient",
    ),
    Setting(
        "CORS_ORIGINS",
        list,
        [],
        None,
        "origins allowed to connect and to read the HTTP routes, comma-separated or a JSON list; `*` for any",
        shown="none: same origin",
    ),
    Setting(
        "PUBLIC_ORIGIN",
        str,
        None,
        None,
        "the origin the chat is served at (`https://chat.example.com`): Socket.IO then accepts this "
        "`Origin` (and `CORS_ORIGINS`) instead of comparing it with the `Host` header, which a "
        "DNS-rebinding page controls ([Origins](docs/protocol.md#origins-both-protocols)). Set it in "
        "production",
        shown="none: judged by `Host`; or `CHAT_PREFERRED_URL_SCHEME://CHAT_SERVER_NAME` when "
        "`CHAT_SERVER_NAME` is set",
    ),
    Setting(
        "ASYNC_MODE",
        str,
        None,
        ASYNC_MODE,
        "`threading` or `gevent`; by default gevent when gevent has patched the standard library "
        "(gunicorn's gevent worker), else threading",
        shown="automatic",
    ),
    Setting(
        "TRUSTED_PROXIES",
        int,
        0,
        WHOLE,
        "how many reverse proxies in front set `X-Forwarded-For`/`-Proto`/`-Host`; `0` trusts none",
    ),
    Setting("PING_INTERVAL", float, 25, POSITIVE, "Engine.IO heartbeat interval, seconds"),
    Setting("PING_TIMEOUT", float, 20, POSITIVE, "seconds without a heartbeat answer before a client counts as gone"),
    Setting(
        "METRICS",
        bool,
        False,
        BOOL,
        "serve Prometheus metrics at `/metrics` ([Metrics](#metrics)); off, `/metrics` answers 404",
    ),
    Setting(
        "METRICS_TOKEN",
        str,
        None,
        None,
        "a scrape of `/metrics` must send `Authorization: Bearer <token>`, else 401; at least 32 "
        "printable characters without spaces (`python3 -c 'import secrets; "
        "print(secrets.token_hex(16))'`)",
        shown="none: no token",
    ),
)

DEFAULTS: dict[str, Any] = {setting.name: setting.default for setting in SETTINGS}
_BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def _derived_defaults() -> dict[str, Any]:
    """Return the defaults with every derived setting computed, in declaration order."""
    config = dict(DEFAULTS)
    for setting in SETTINGS:
        if setting.derive is not None and config[setting.name] is None:
            config[setting.name] = setting.derive(config)
    return config


# ---------------------------------------------------------------------------
# Loading


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
    if config["FLOOD_BURST"] and (not _number(config["FLOOD_RATE"]) or config["FLOOD_RATE"] <= 0):
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
    if not _whole(config["MAX_EVENT_LENGTH"]) or config["MAX_EVENT_LENGTH"] < longest_packet(config):
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


# ---------------------------------------------------------------------------
# The README's table


def table() -> str:
    """Return the Markdown table of every setting: its variable, default and meaning."""
    lines = ["| setting | default | meaning |", "|---|---|---|"]
    lines += [f"| `CHAT_{setting.name}` | {setting.shown_default()} | {setting.meaning} |" for setting in SETTINGS]
    return "\n".join(lines) + "\n"


def readme_table(readme: str) -> str:
    """Return the text between the settings-table markers of ``readme``, blank lines included; ValueError without them."""
    try:
        start = readme.index(TABLE_BEGIN + "\n") + len(TABLE_BEGIN) + 1
        end = readme.index(TABLE_END, start)
    except ValueError:
        raise ValueError(f"README.md has no {TABLE_BEGIN} ... {TABLE_END} block") from None
    return readme[start:end]


def write_readme_table(path: Path) -> None:
    """Replace the settings table between the markers of the README at ``path`` with ``table()``."""
    readme = path.read_text(encoding="utf-8")
    old = readme_table(readme)
    start = readme.index(TABLE_BEGIN + "\n") + len(TABLE_BEGIN) + 1
    # Blank lines around the table, so Markdown never reads a marker as a row of it.
    path.write_text(readme[:start] + "\n" + table() + "\n" + readme[start + len(old) :], encoding="utf-8")


def main(argv: list[str]) -> int:
    """Print the settings table; with ``--readme``, write it into README.md instead."""
    if argv == ["--readme"]:
        write_readme_table(Path(__file__).resolve().parent.parent / "README.md")
    elif argv:
        print("usage: python -m chat.settings [--readme]", file=sys.stderr)
        return 2
    else:
        sys.stdout.write(table())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
