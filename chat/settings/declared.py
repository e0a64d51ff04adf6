"""Every setting, declared once: ``SETTINGS``, in the order the README's table lists them."""

from __future__ import annotations

from typing import Any

from .kinds import (
    ASYNC_MODE,
    BOOL,
    BYTES,
    CLAIM,
    COUNT,
    DAYS,
    LEEWAY,
    POSITIVE,
    ROOM,
    SECONDS,
    SECRET,
    TEXT,
    WHOLE,
    Setting,
)
from .sizes import history_bytes, longest_packet, packet_bytes

SETTINGS: tuple[Setting, ...] = (
    Setting(
        "SECRET_KEY",
        str,
        None,
        None,
        "Flask's secret key, at least 32 bytes: `python3 -c 'import secrets; print(secrets.token_hex(32))'`. "
        "Unset: generated once into `SECRET_KEY_FILE`, with a warning. **Several processes must share one key.**",
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
        "new connections per client address (Engine.IO handshakes): a burst of this many, refilled at "
        "this many a minute; `0` turns it off; with `CHAT_REDIS_URL`, for all processes together",
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
    Setting("REMOVED_ROOMS_KEPT", int, 10000, WHOLE, "removed rooms whose ids a new room of the name continues"),
    Setting(
        "ROOMS_CREATED_PER_PERSON",
        int,
        5,
        WHOLE,
        "rooms one person may create an hour (a burst, refilled over the hour); more: `rate_limited`; `0`: off",
    ),
    Setting(
        "ROOMS_CREATED_PER_ADDRESS",
        int,
        20,
        WHOLE,
        "the same, for the people of one client address together",
    ),
    Setting(
        "DMS_PER_PERSON",
        int,
        100,
        POSITIVE,
        "direct messages one person may be in, whoever opened them; not counted in `MAX_ROOMS`",
    ),
    Setting(
        "DMS_OPENED_PER_ADDRESS",
        int,
        120,
        WHOLE,
        "new direct messages the people of one client address may open an hour, as above",
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
        "apply the database's migrations when the app starts; `false`: run `flask --app chat.cli db-upgrade`"
        " before starting instead",
    ),
    Setting("HISTORY_LIMIT", int, 50, POSITIVE, "messages sent on entering a room"),
    Setting("HISTORY_PAGE_MAX", int, 200, POSITIVE, "most messages one history page request may ask for"),
    Setting(
        "HISTORY_MAX_BYTES",
        int,
        None,
        POSITIVE,
        derive=history_bytes,
        meaning="most bytes (JSON) of the history sent on joining a room or DM (`changes` too) and of a"
        " `history` page (one message at least). 2 × `ROOMS_PER_CONNECTION` fit in half"
        " `MAX_QUEUED_BYTES` (checked)",
    ),
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
    Setting("MAX_RESTRICTIONS_PER_ROOM", int, 1000, POSITIVE, "bans and mutes in force one room may hold"),
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
        "GUEST_LIFETIME_DAYS",
        float,
        7,
        POSITIVE,
        "days a guest credential lasts after its last connection; then its DMs and read markers go",
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
        derive=packet_bytes,
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
        "event is refused `too_long`. Never less than the longest valid packet (checked)",
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
        "bytes that may wait for one client, histories included; past it, as above",
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
        "the origin the chat is served at (`https://chat.example.com`), accepted as `Origin` instead of "
        "the `Host` header a DNS-rebinding page controls ([Origins](docs/protocol.md#origins-both-protocols)). "
        "Set it in production",
        shown="none: `Host`, or `CHAT_SERVER_NAME`'s origin",
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
BY_NAME: dict[str, Setting] = {setting.name: setting for setting in SETTINGS}


def derived_defaults() -> dict[str, Any]:
    """Return the defaults with every derived setting computed, in declaration order."""
    config = dict(DEFAULTS)
    for setting in SETTINGS:
        if setting.derive is not None and config[setting.name] is None:
            config[setting.name] = setting.derive(config)
    return config
