"""The schema of the first SQL release, adopting any database the hand-written SQLite code made.

A new database gets every table. A SQLite file from an earlier release (whose code created
its tables with ``CREATE TABLE IF NOT EXISTS`` and added columns with ``ALTER TABLE``) keeps
its data: its missing tables, columns and indexes are added, and message text and client
ids it kept as text become UTF-8 bytes, as they are kept from now on (schema.ExactText).

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def tables() -> sa.MetaData:
    """Return the tables of this revision, frozen here as they were (schema.py moves on)."""
    metadata = sa.MetaData()
    sa.Table(
        "rooms",
        metadata,
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("last_id", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("removed", sa.Integer, nullable=False, server_default="0"),
    )
    messages = sa.Table(
        "messages",
        metadata,
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("ts", sa.BigInteger, nullable=False),
        sa.Column("user_id", sa.Text, nullable=False),
        sa.Column("user_name", sa.Text, nullable=False),
        sa.Column("user_guest", sa.Integer, nullable=False),
        sa.Column("text", sa.LargeBinary, nullable=False),
        sa.Column("client_id", sa.LargeBinary),
        sa.Column("edited_at", sa.BigInteger),
        sa.Column("deleted", sa.Integer, nullable=False, server_default="0"),
        sa.Column("reactions", sa.Text),
        sa.Column("mentions", sa.Text),
    )
    sa.Index(
        "messages_by_client_id",
        messages.c.room,
        messages.c.client_id,
        unique=True,
        sqlite_where=messages.c.client_id.isnot(None),
        postgresql_where=messages.c.client_id.isnot(None),
    )
    sa.Index("messages_by_time", messages.c.ts)
    sa.Table(
        "change_seq",
        metadata,
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("last_change", sa.BigInteger, nullable=False),
    )
    sa.Table(
        "changes",
        metadata,
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("change", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("id", sa.BigInteger, nullable=False),
        sa.Column("record", sa.Text, nullable=False),
    )
    dm_people = sa.Table(
        "dm_people",
        metadata,
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("dm", sa.Text, primary_key=True),
        sa.Column("other_id", sa.Text, nullable=False),
        sa.Column("other_name", sa.Text, nullable=False),
        sa.Column("other_guest", sa.Integer, nullable=False),
    )
    sa.Index("dm_people_by_dm", dm_people.c.dm)
    read_markers = sa.Table(
        "read_markers",
        metadata,
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("upto", sa.BigInteger, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
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
    sa.Table(
        "mentions",
        metadata,
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    )
    sa.Table(
        "room_owners",
        metadata,
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("person", sa.Text, nullable=False),
    )
    sa.Table(
        "restrictions",
        metadata,
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("room", sa.Text, primary_key=True),
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("until", sa.Float, nullable=False),
    )
    moderation_log = sa.Table(
        "moderation_log",
        metadata,
        sa.Column("n", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("room", sa.Text, nullable=False),
        sa.Column("action", sa.Text, nullable=False),
    )
    sa.Index("moderation_log_by_room", moderation_log.c.room, moderation_log.c.n)
    return metadata


def upgrade() -> None:
    """Create what is missing; bring an earlier release's SQLite tables to this schema, keeping their rows."""
    bind = op.get_bind()
    inspector = sa.inspect(bind)
    existing = set(inspector.get_table_names())
    metadata = tables()
    for table in metadata.sorted_tables:
        if table.name not in existing:
            table.create(bind)  # with its indexes
            continue
        have = {column["name"] for column in inspector.get_columns(table.name)}
        for column in table.columns:
            if column.name not in have:
                # Added by ALTER TABLE in earlier releases, as here: nullable, or with a default.
                default = _literal_default(column)
                op.add_column(
                    table.name, sa.Column(column.name, column.type, nullable=column.nullable, server_default=default)
                )
        indexes = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(bind)
    if "messages" in existing and bind.dialect.name == "sqlite":
        # Earlier releases kept text as TEXT, and as a BLOB only when it held a lone surrogate.
        for name in ("text", "client_id"):
            op.execute(f"UPDATE messages SET {name} = CAST({name} AS BLOB) WHERE typeof({name}) = 'text'")


def _literal_default(column: sa.Column[Any]) -> str | None:
    """Return ``column``'s server default, a literal in this revision (``server_default="0"``), or None if it has none."""
    server_default = column.server_default
    if isinstance(server_default, sa.DefaultClause) and isinstance(server_default.arg, str):
        return server_default.arg
    return None


def downgrade() -> None:
    """Drop every table: there is no schema before this one to go back to."""
    for table in reversed(tables().sorted_tables):
        op.drop_table(table.name)
