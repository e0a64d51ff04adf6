"""A removed room's counters are kept for a bounded number of rooms, and nothing else of it stays.

``rooms.removed_at`` says when a room was removed, so the oldest removed rooms' counter rows
can be forgotten once ``REMOVED_ROOMS_KEPT`` are kept; ``counter_floors`` keeps the highest
counters forgotten, from which a room made later numbers on. Rooms removed before this
revision count as removed at time 0, the first to be forgotten. The change records and the
moderation record of rooms removed before this revision, which earlier releases left behind,
go; no message is touched.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``rooms.removed_at`` and ``counter_floors``; drop what removed rooms left behind."""
    op.add_column("rooms", sa.Column("removed_at", sa.BigInteger))
    op.execute("UPDATE rooms SET removed_at = 0 WHERE removed = 1")
    op.create_table(
        "counter_floors",
        sa.Column("kind", sa.Text, primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )
    for table in ("changes", "moderation_log"):
        op.execute(f"DELETE FROM {table} WHERE room IN (SELECT name FROM rooms WHERE removed = 1)")


def downgrade() -> None:
    """Drop ``counter_floors`` and ``rooms.removed_at`` (what was deleted stays deleted)."""
    op.drop_table("counter_floors")
    with op.batch_alter_table("rooms") as batch:
        batch.drop_column("removed_at")
