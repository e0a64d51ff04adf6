"""The durable tables, declared once for SQLite and PostgreSQL alike (SQLAlchemy Core).

Names and columns are those the hand-written SQLite schema of earlier releases used, so the
first migration (migrations/versions/0001_baseline.py) can adopt such a file in place.
Message text and client ids are kept as UTF-8 bytes with ``surrogatepass``
(``ExactText``): a JavaScript string may hold a lone surrogate, which no UTF-8 text column
accepts, and U+0000, which PostgreSQL's ``text`` refuses. Every other JSON is written with
``json.dumps``'s default ASCII escapes, which keep both as escapes.
"""

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata = sa.MetaData()


class ExactText(sa.types.TypeDecorator[str]):
    """A string kept exactly, whatever code points it holds: UTF-8 bytes with lone surrogates passed through."""

    impl = sa.LargeBinary
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> bytes | None:
        return None if value is None else value.encode("utf-8", "surrogatepass")

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):  # a row an older release wrote as text and no migration touched
            return value
        return bytes(value).decode("utf-8", "surrogatepass")


rooms = sa.Table(
    "rooms",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("last_id", sa.BigInteger, nullable=False, server_default="0"),  # never goes back
    sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("removed_at", sa.BigInteger),  # when it was removed (ms); NULL for a room that exists, or long gone
)

counter_floors = sa.Table(
    "counter_floors",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),  # "messages" (rooms.last_id) or "changes" (change_seq)
    sa.Column("value", sa.BigInteger, nullable=False),  # the highest counter of any removed room forgotten
)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("ts", sa.BigInteger, nullable=False),  # milliseconds since the Unix epoch
    sa.Column("user_id", sa.Text, nullable=False),
    sa.Column("user_name", sa.Text, nullable=False),
    sa.Column("user_guest", sa.Integer, nullable=False),
    sa.Column("text", ExactText, nullable=False),
    sa.Column("client_id", ExactText),  # the sender's own id for the message, for idempotent resends
    sa.Column("edited_at", sa.BigInteger),  # when the sender last edited it (ms), NULL if never
    sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),  # a tombstone: text "", id kept
    sa.Column("reactions", sa.Text),  # JSON: emoji -> [person ids], NULL for none
    sa.Column("mentions", sa.Text),  # JSON: the person ids it mentions, NULL for none
)
sa.Index(  # a resend is recognised by (room, sender, client id): one sender's id never finds another's message
    "messages_by_sender_client_id",
    messages.c.room,
    messages.c.user_id,
    messages.c.client_id,
    unique=True,
    sqlite_where=messages.c.client_id.isnot(None),
    postgresql_where=messages.c.client_id.isnot(None),
)
sa.Index("messages_by_time", messages.c.ts)

change_seq = sa.Table(
    "change_seq",
    metadata,
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("last_change", sa.BigInteger, nullable=False),  # never goes back, as rooms.last_id
)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("change", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("id", sa.BigInteger, nullable=False),  # the message changed
    sa.Column("record", sa.Text, nullable=False),  # the change as JSON, as it was delivered live
)

dm_people = sa.Table(
    "dm_people",
    metadata,
    sa.Column("person", sa.Text, primary_key=True),  # one of the two people
    sa.Column("dm", sa.Text, primary_key=True),
    sa.Column("other_id", sa.Text, nullable=False),  # the other one, as last recorded
    sa.Column("other_name", sa.Text, nullable=False),
    sa.Column("other_guest", sa.Integer, nullable=False),
)
sa.Index("dm_people_by_dm", dm_people.c.dm)

guests = sa.Table(
    "guests",
    metadata,
    sa.Column("person", sa.Text, primary_key=True),  # a guest's person id
    sa.Column("seen", sa.BigInteger, nullable=False),  # when they were last connected (ms since the Unix epoch)
)
sa.Index("guests_by_seen", guests.c.seen)

read_markers = sa.Table(
    "read_markers",
    metadata,
    sa.Column("person", sa.Text, primary_key=True),
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("upto", sa.BigInteger, nullable=False),  # the id read up to: only ever grows
    sa.Column("name", sa.Text, nullable=False),  # the reader as they last marked, for "seen by"
    sa.Column("guest", sa.Integer, nullable=False),
)
sa.Index("read_markers_by_room", read_markers.c.room, read_markers.c.upto)

memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("person", sa.Text, primary_key=True),
    sa.Column("room", sa.Text, primary_key=True),
)
sa.Index("memberships_by_room", memberships.c.room)

mentions = sa.Table(
    "mentions",
    metadata,
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("person", sa.Text, primary_key=True),
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
)

room_owners = sa.Table(
    "room_owners",
    metadata,
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("person", sa.Text, nullable=False),
)

restrictions = sa.Table(
    "restrictions",
    metadata,
    sa.Column("kind", sa.Text, primary_key=True),  # ban or mute
    sa.Column("room", sa.Text, primary_key=True),
    sa.Column("person", sa.Text, primary_key=True),
    sa.Column("until", sa.Float, nullable=False),  # a Unix time in seconds
)

moderation_log = sa.Table(
    "moderation_log",
    metadata,
    sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("room", sa.Text, nullable=False),
    sa.Column("action", sa.Text, nullable=False),  # the action as JSON
)
sa.Index("moderation_log_by_room", moderation_log.c.room, moderation_log.c.n)
