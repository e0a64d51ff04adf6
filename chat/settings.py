"""Settings: defaults in one place, then ``CHAT_*`` environment variables, then test overrides."""

import os
import secrets
from pathlib import Path
from urllib.parse import urlsplit

DEFAULTS = {
    # Secret for signing sessions; from CHAT_SECRET_KEY, else generated once into the instance folder.
    "SECRET_KEY": None,
    # Where the generated secret key is kept. None: "secret_key" in the instance folder.
    "SECRET_KEY_FILE": None,
    # Longest accepted message, in Unicode code points.
    "MAX_MESSAGE_LENGTH": 2000,
    # Flood control per connection: burst size and refill per second. FLOOD_BURST = 0 turns it off.
    "FLOOD_BURST": 30,
    "FLOOD_RATE": 5.0,
    # New connections per client address: a burst of this many, refilled over a minute. 0 turns it off.
    "CONNECTIONS_PER_MINUTE": 120,
    # Largest Engine.IO packet or long-polling request body, in bytes. None: derived (see below).
    "MAX_PACKET_BYTES": None,
    # Typing events a connection may send at once, and their refill per second; more are dropped quietly.
    "TYPING_BURST": 5,
    "TYPING_RATE": 2.0,
    # Seconds a typing state lasts without renewal.
    "TYPING_TIMEOUT": 5.0,
    # Seconds a person whose last connection dropped stays in their rooms, so a quick reconnect does not flap.
    "PRESENCE_GRACE": 5.0,
    # The room every client starts in, where clients of the original gateway live. Never removed.
    "DEFAULT_ROOM": "general",
    # Rooms in total (the default one included), and rooms one connection may be in at once.
    "MAX_ROOMS": 100,
    "ROOMS_PER_CONNECTION": 10,
    # Seconds a created room may stay empty before it is removed.
    "ROOM_IDLE_SECONDS": 300,
    # Direct messages one person may open, and seconds after a person's last connection ended during which
    # others may still open one with them.
    "DMS_PER_PERSON": 100,
    "DM_SEEN_SECONDS": 600,
    # The SQL database of the durable data (docs/storage.md): a SQLite path (one process), or a
    # postgresql:// URL that several processes share. None: HISTORY_DATABASE, its older name.
    "DATABASE_URL": None,
    # The older name of DATABASE_URL, still read. None (both): "chat.sqlite3" in the instance folder.
    "HISTORY_DATABASE": None,
    # Apply the database's migrations when the app starts; false: run `flask --app app db-upgrade` instead.
    "DATABASE_UPGRADE_ON_START": True,
    # Messages a full-protocol client receives on entering a room; the most one page request may ask for.
    "HISTORY_LIMIT": 50,
    "HISTORY_PAGE_MAX": 200,
    # Retention: messages kept per room, and their age in days; 0 keeps any number, or forever.
    "RETENTION_MESSAGES": 10000,
    "RETENTION_DAYS": 30,
    # Edits, deletions and reactions: change records kept per room for clients catching up (0: all),
    # distinct emoji on one message, and the longest emoji in code points.
    "CHANGE_RETENTION": 1000,
    "MAX_REACTIONS_PER_MESSAGE": 20,
    "MAX_EMOJI_LENGTH": 16,
    # Moderation (signed identities only): the longest ban and mute, in seconds; the longest reason, in code
    # points; the actions each room's moderation record keeps (0: all).
    "MAX_BAN_SECONDS": 7 * 86400,
    "MAX_MUTE_SECONDS": 7 * 86400,
    "MAX_MODERATION_REASON": 200,
    "MODERATION_LOG_KEEP": 1000,
    # Read markers and mentions: people one message may mention; people a "seen-by" answer lists at most;
    # the newest messages a read marker's move looks through for receipts to their senders.
    "MAX_MENTIONS": 20,
    "SEEN_BY_MAX": 50,
    "RECEIPTS_SCAN": 200,
    # mark-read and seen-by requests a connection may send at once, and their refill per second; more are
    # dropped quietly. Their own allowance, so reading never costs the flood allowance that sending needs.
    "READ_BURST": 10,
    "READ_RATE": 2.0,
    # Signed identities: with TOKENS on, every connection must present a token, a JWT (see chat/identity.py),
    # and names come from it; TOKEN_MAX_AGE is the lifetime in seconds of the tokens this server issues.
    # DEMO_TOKENS lets the demo page get a token for any name it chooses from POST /token: for demos only,
    # never with a real login.
    "TOKENS": False,
    "TOKEN_MAX_AGE": 3600,
    "DEMO_TOKENS": False,
    # How tokens are signed (chat/identity.py): HS256 with JWT_SECRET (None: SECRET_KEY), or RS256/ES256
    # checked against a PEM public key file or a JWKS file (the token's kid picks the key): one of the three.
    "JWT_SECRET": None,
    "JWT_PUBLIC_KEY_FILE": None,
    "JWT_JWKS_FILE": None,
    # The claim that holds the display name; the audience and issuer a token must name (None: not checked);
    # seconds of clock difference tolerated on exp, nbf and iat.
    "JWT_NAME_CLAIM": "name",
    "JWT_AUDIENCE": None,
    "JWT_ISSUER": None,
    "JWT_LEEWAY": 5,
    # Several server processes: the Redis URL they share (broadcasts, presence, rooms,
    # typing: live state only), and the channel of Flask-SocketIO's message queue. None: one process, SQLite.
    "REDIS_URL": None,
    "REDIS_CHANNEL": "flask-socketio",
    # Most Engine.IO packets in one long-polling request (Engine.IO's own default, 16, drops a
    # whole request of 25 batched messages). A request over it is dropped, and logged.
    "MAX_PACKETS_PER_REQUEST": 500,
    # Longest Socket.IO packet a client may send, in characters, refused from its length before it
    # is parsed. None: derived from MAX_MESSAGE_LENGTH and ROOMS_PER_CONNECTION (see below).
    "MAX_EVENT_LENGTH": None,
    # Packets that may wait to be sent to one client; past it the client is disconnected (it
    # stopped reading), and catches up from the history when it reconnects.
    "MAX_QUEUED_PACKETS": 5000,
    # Bytes that may wait to be sent to one client (the memory its waiting packets hold), as above.
    "MAX_QUEUED_BYTES": 4_000_000,
    # Seconds an Engine.IO session may stay open without a Socket.IO connect before it is closed.
    "CONNECT_TIMEOUT": 5.0,
    # permessage-deflate on WebSocket frames: costs a compression per frame per recipient.
    "WEBSOCKET_COMPRESSION": False,
    # Origins allowed to connect and to read the HTTP routes. Empty: same origin only. "*": any.
    "CORS_ORIGINS": [],
    # The origin the chat is served at ("https://chat.example.com"). Set, Socket.IO accepts this
    # Origin instead of judging by the Host header, which a DNS-rebinding page controls. None:
    # derived from Flask's SERVER_NAME and PREFERRED_URL_SCHEME when SERVER_NAME is set.
    "PUBLIC_ORIGIN": None,
    # "threading" or "gevent". None: gevent when gevent has patched the standard library, else threading.
    "ASYNC_MODE": None,
    # How many proxies in front of the server set X-Forwarded-For/-Proto/-Host (0: none, trust nothing).
    "TRUSTED_PROXIES": 0,
    # Engine.IO heartbeat, in seconds.
    "PING_INTERVAL": 25,
    "PING_TIMEOUT": 20,
    # Prometheus metrics at /metrics (chat/metrics.py): off (404) unless METRICS is true; with
    # METRICS_TOKEN set, a scrape must send it as "Authorization: Bearer <token>".
    "METRICS": False,
    "METRICS_TOKEN": None,
}

# Shortest secret key accepted: 32 bytes, 256 bits, as much as the HMAC-SHA1 behind the session
# cookie and the HMAC-SHA256 behind HS256 identity tokens can use; a short key can be guessed offline from one signed cookie.
MIN_SECRET_KEY_BYTES = 32

# The most one code point can take in a JSON packet: a client that escapes everything outside
# ASCII (Python's json.dumps does by default) writes an emoji as a surrogate pair, \ud83d\ude00:
# twelve characters, twelve bytes. (A lone surrogate or a control character is \uXXXX: six.)
WORST_BYTES_PER_CODE_POINT = 12
PACKET_OVERHEAD_BYTES = 64


def load(app, test_config=None):
    """Fill ``app.config`` from the defaults, the environment and ``test_config``, then check it."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_prefixed_env("CHAT")
    if test_config:
        app.config.from_mapping(test_config)
    config = app.config
    config["CORS_ORIGINS"] = _origins(config["CORS_ORIGINS"])
    config["PUBLIC_ORIGIN"] = _public_origin(config)
    _check(config)
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _instance_secret(app)
    if not config["HISTORY_DATABASE"]:
        config["HISTORY_DATABASE"] = str(Path(app.instance_path) / "chat.sqlite3")
    if not config["DATABASE_URL"]:
        config["DATABASE_URL"] = config["HISTORY_DATABASE"]


def flood_allowance_bytes(config):
    """Return the size of a long-polling request carrying a full burst of longest messages."""
    per_message = config["MAX_MESSAGE_LENGTH"] * WORST_BYTES_PER_CODE_POINT + PACKET_OVERHEAD_BYTES
    return max(config["FLOOD_BURST"], 1) * per_message


# Beside the message text, the longest strings of a valid packet: a room name (32 code points),
# a display name (32), a clientId (64, validation.CLIENT_ID_MAX), and a signed identity token: a JWT
# with a 4096-bit RSA signature (683 characters) and a site's own claims beside ours.
ROOM_NAME_CODE_POINTS, NAME_CODE_POINTS, CLIENT_ID_CODE_POINTS, TOKEN_BYTES = 32, 32, 64, 4096
# A mentioned person's id (at most 64 code points, as a token's sub), quoted, with its comma.
MENTION_ID_CODE_POINTS = 64
PERSON_ID_MAX = 256  # chat/validation.py PERSON_ID_MAX: a ban's or mute's person


def longest_packet(config):
    """Return an upper bound on the length of a valid packet from a client, in characters.

    It covers the longest ``send-message`` (a longest message, room, clientId and mentions) and the
    longest handshake (every room twice, in ``rooms`` and ``lastSeen``, a name and a token),
    with every code point JSON-escaped at its longest (WORST_BYTES_PER_CODE_POINT).
    """
    # lastChange lists the rooms a third time: room names are plain ASCII, so their share counted
    # escaped at its longest (12 characters each) already holds it several times over.
    code_points = (config["MAX_MESSAGE_LENGTH"] + CLIENT_ID_CODE_POINTS + NAME_CODE_POINTS
                   + (2 * config["ROOMS_PER_CONNECTION"] + 1) * ROOM_NAME_CODE_POINTS
                   + config["MAX_MENTIONS"] * (MENTION_ID_CODE_POINTS + 3))
    # A ban or mute (a room, a person's id, a reason) is shorter at the defaults; a long MAX_MODERATION_REASON is not.
    code_points = max(code_points, ROOM_NAME_CODE_POINTS + PERSON_ID_MAX + config["MAX_MODERATION_REASON"])
    return code_points * WORST_BYTES_PER_CODE_POINT + TOKEN_BYTES + 4 * PACKET_OVERHEAD_BYTES


def _origins(value):
    if isinstance(value, str):
        value = value.split(",")
    return [origin.strip().rstrip("/") for origin in value or [] if origin.strip()]


def _public_origin(config):
    """Return the configured public origin, or one derived from SERVER_NAME; None for neither."""
    origin = config["PUBLIC_ORIGIN"]
    if not origin and config.get("SERVER_NAME"):
        origin = f"{config.get('PREFERRED_URL_SCHEME') or 'http'}://{config['SERVER_NAME']}"
    if not origin:
        return None
    parts = urlsplit(origin) if isinstance(origin, str) else None
    if (not parts or parts.scheme not in ("http", "https") or not parts.hostname or parts.path not in ("", "/")
            or parts.query or parts.fragment or parts.username):
        raise ValueError(f"CHAT_PUBLIC_ORIGIN must be an origin such as https://chat.example.com, not {origin!r}")
    return origin.rstrip("/")


def _check(config):
    """Raise ValueError naming the first setting that makes no sense; derive MAX_PACKET_BYTES."""
    for key in ("MAX_MESSAGE_LENGTH", "PING_INTERVAL", "PING_TIMEOUT", "TYPING_RATE", "TYPING_TIMEOUT",
                "MAX_ROOMS", "ROOMS_PER_CONNECTION", "HISTORY_LIMIT", "HISTORY_PAGE_MAX", "TOKEN_MAX_AGE",
                "MAX_QUEUED_PACKETS", "MAX_QUEUED_BYTES", "CONNECT_TIMEOUT", "DMS_PER_PERSON",
                "MAX_REACTIONS_PER_MESSAGE", "MAX_EMOJI_LENGTH", "MAX_BAN_SECONDS", "MAX_MUTE_SECONDS",
                "MAX_MODERATION_REASON"):
        if not _number(config[key]) or config[key] <= 0:
            raise ValueError(f"CHAT_{key} must be a positive number, not {config[key]!r}")
    for key in ("FLOOD_BURST", "CONNECTIONS_PER_MINUTE", "TRUSTED_PROXIES", "MAX_PACKETS_PER_REQUEST",
                "TYPING_BURST", "RETENTION_MESSAGES", "CHANGE_RETENTION",
                "MODERATION_LOG_KEEP"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] < 0:
            raise ValueError(f"CHAT_{key} must be a whole number, 0 or more, not {config[key]!r}")
    if not _number(config["READ_RATE"]) or config["READ_RATE"] <= 0:
        raise ValueError(f"CHAT_READ_RATE must be a positive number, not {config['READ_RATE']!r}")
    if config["FLOOD_BURST"] and (not _number(config["FLOOD_RATE"]) or config["FLOOD_RATE"] <= 0):
        raise ValueError(f"CHAT_FLOOD_RATE must be a positive number, not {config['FLOOD_RATE']!r}")
    if config["MAX_PACKETS_PER_REQUEST"] < config["FLOOD_BURST"] + 16:
        raise ValueError(f"CHAT_MAX_PACKETS_PER_REQUEST must leave room for a full flood burst "
                         f"and Engine.IO's own packets: at least {config['FLOOD_BURST'] + 16}")
    for key in ("MAX_MENTIONS", "SEEN_BY_MAX", "RECEIPTS_SCAN", "READ_BURST"):
        if not isinstance(config[key], int) or isinstance(config[key], bool) or config[key] <= 0:
            raise ValueError(f"CHAT_{key} must be a whole number, 1 or more, not {config[key]!r}")
    for key in ("PRESENCE_GRACE", "ROOM_IDLE_SECONDS", "RETENTION_DAYS", "DM_SEEN_SECONDS"):
        if not _number(config[key]) or config[key] < 0:
            raise ValueError(f"CHAT_{key} must be a number of seconds, 0 or more, not {config[key]!r}")
    from .validation import ROOM_NAME, ROOM_NAME_RULE
    if not isinstance(config["DEFAULT_ROOM"], str) or not ROOM_NAME.fullmatch(config["DEFAULT_ROOM"]):
        raise ValueError(f"CHAT_DEFAULT_ROOM must be a room name ({ROOM_NAME_RULE}), not {config['DEFAULT_ROOM']!r}")
    for key in ("TOKENS", "DEMO_TOKENS", "WEBSOCKET_COMPRESSION", "METRICS", "DATABASE_UPGRADE_ON_START"):
        if not isinstance(config[key], bool):
            raise ValueError(f"CHAT_{key} must be true or false, not {config[key]!r}")
    if config["DATABASE_URL"] is not None and (not isinstance(config["DATABASE_URL"], str)
                                               or not config["DATABASE_URL"].strip()):
        raise ValueError(f"CHAT_DATABASE_URL must be a SQLite path or a database URL, not {config['DATABASE_URL']!r}")
    if config["ASYNC_MODE"] not in (None, "threading", "gevent"):
        raise ValueError(f"CHAT_ASYNC_MODE must be threading or gevent, not {config['ASYNC_MODE']!r}")
    if config["MAX_PACKET_BYTES"] is None:
        config["MAX_PACKET_BYTES"] = max(1_000_000, flood_allowance_bytes(config))
    if not isinstance(config["MAX_PACKET_BYTES"], int) or isinstance(config["MAX_PACKET_BYTES"], bool):
        raise ValueError(f"CHAT_MAX_PACKET_BYTES must be a whole number of bytes, not {config['MAX_PACKET_BYTES']!r}")
    if config["MAX_PACKET_BYTES"] < flood_allowance_bytes(config):
        raise ValueError(
            f"CHAT_MAX_PACKET_BYTES ({config['MAX_PACKET_BYTES']}) is too small for a full flood burst "
            f"of longest messages in one long-polling request ({flood_allowance_bytes(config)} bytes)")
    key = config["SECRET_KEY"]
    if key and len(key.encode() if isinstance(key, str) else key) < MIN_SECRET_KEY_BYTES:
        raise ValueError(f"CHAT_SECRET_KEY is too short: at least {MIN_SECRET_KEY_BYTES} bytes, such as the output of "
                         f"`python3 -c 'import secrets; print(secrets.token_hex(32))'`")
    _check_jwt(config)
    _check_metrics(config)
    if config["MAX_EVENT_LENGTH"] is None:
        config["MAX_EVENT_LENGTH"] = longest_packet(config)
    if (not isinstance(config["MAX_EVENT_LENGTH"], int) or isinstance(config["MAX_EVENT_LENGTH"], bool)
            or config["MAX_EVENT_LENGTH"] < longest_packet(config)):
        raise ValueError(f"CHAT_MAX_EVENT_LENGTH must be a whole number of characters, at least the longest "
                         f"valid packet ({longest_packet(config)}), not {config['MAX_EVENT_LENGTH']!r}")
    if "*" in config["CORS_ORIGINS"] and len(config["CORS_ORIGINS"]) > 1:
        raise ValueError("CHAT_CORS_ORIGINS is either * or a list of origins, not both")


def _check_jwt(config):
    """Raise ValueError naming a token setting that is malformed or contradicts another."""
    for key in ("JWT_SECRET", "JWT_PUBLIC_KEY_FILE", "JWT_JWKS_FILE", "JWT_AUDIENCE", "JWT_ISSUER"):
        if config[key] is not None and not (isinstance(config[key], str) and config[key]
                                            or key == "JWT_SECRET" and isinstance(config[key], bytes)):
            raise ValueError(f"CHAT_{key} must be a non-empty string, not {config[key]!r}")
    if not isinstance(config["JWT_NAME_CLAIM"], str) or not config["JWT_NAME_CLAIM"]:
        raise ValueError(f"CHAT_JWT_NAME_CLAIM must be a claim name, not {config['JWT_NAME_CLAIM']!r}")
    if not _number(config["JWT_LEEWAY"]) or not 0 <= config["JWT_LEEWAY"] <= 300:
        raise ValueError(f"CHAT_JWT_LEEWAY must be a number of seconds from 0 to 300, not {config['JWT_LEEWAY']!r}")
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
        raise ValueError(f"CHAT_DEMO_TOKENS is on with CHAT_{public[0]}: demo tokens are HS256 only, so they "
                         f"are off whenever public keys check tokens; turn CHAT_DEMO_TOKENS off")


# Shortest METRICS_TOKEN accepted: as many bytes as secrets.token_hex(16) writes.
MIN_METRICS_TOKEN_LENGTH = 32


def _check_metrics(config):
    """Raise ValueError for a METRICS_TOKEN that is not a string, or short enough to guess."""
    token = config["METRICS_TOKEN"]
    if token is not None and (not isinstance(token, str) or len(token) < MIN_METRICS_TOKEN_LENGTH
                              or not token.isprintable() or " " in token):
        raise ValueError(f"CHAT_METRICS_TOKEN must be at least {MIN_METRICS_TOKEN_LENGTH} printable characters "
                         f"without spaces, such as the output of `python3 -c 'import secrets; "
                         f"print(secrets.token_hex(16))'`")


def _number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _instance_secret(app):
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
        "Several server processes must share one key: set CHAT_SECRET_KEY for all of them.", path)
    return path.read_text().strip()
