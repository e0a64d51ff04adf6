"""Recognise a resend by (room, sender, client id), no longer by (room, client id).

A client id is its sender's own: keyed by the room alone, anyone who reused another
person's client id got that person's message back as a "duplicate", and their own text was
dropped. The unique index gains the sender (``user_id``). Every row is kept: an index over
more columns holds every row the narrower one held.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

WITH_CLIENT_ID = sa.text("client_id IS NOT NULL")


def upgrade() -> None:
    """Replace the per-room client id index by a per-(room, sender) one."""
    op.create_index(
        "messages_by_sender_client_id",
        "messages",
        ["room", "user_id", "client_id"],
        unique=True,
        sqlite_where=WITH_CLIENT_ID,
        postgresql_where=WITH_CLIENT_ID,
    )
    op.drop_index("messages_by_client_id", table_name="messages")


def downgrade() -> None:
    """Go back to one client id per room: a later sender's reuse of a client id loses it (the message stays)."""
    op.execute(
        "UPDATE messages SET client_id = NULL WHERE client_id IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM messages AS earlier WHERE earlier.room = messages.room "
        "AND earlier.client_id = messages.client_id AND earlier.id < messages.id)"
    )
    op.create_index(
        "messages_by_client_id",
        "messages",
        ["room", "client_id"],
        unique=True,
        sqlite_where=WITH_CLIENT_ID,
        postgresql_where=WITH_CLIENT_ID,
    )
    op.drop_index("messages_by_sender_client_id", table_name="messages")
