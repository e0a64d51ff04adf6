"""Guests get an end: the ``guests`` table keeps when each guest was last connected.

A guest's credential lasts GUEST_LIFETIME_DAYS after that (chat/guests.py); then the sweep
deletes the guest's DMs, read markers, memberships and mentions (SqlDirectMessages.forget_guests).
The guests an older database already knows of (the other person of a DM, a reader who marked
as a guest) are recorded as seen now, so their lifetime starts with this release.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import time

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    guests = op.create_table(
        "guests",
        sa.Column("person", sa.Text, primary_key=True),
        sa.Column("seen", sa.BigInteger, nullable=False),  # milliseconds since the Unix epoch
    )
    op.create_index("guests_by_seen", "guests", ["seen"])
    now = int(time.time() * 1000)
    dm_people = sa.table("dm_people", sa.column("other_id"), sa.column("other_guest"))
    read_markers = sa.table("read_markers", sa.column("person"), sa.column("guest"))
    known = sa.union(
        sa.select(dm_people.c.other_id.label("person")).where(dm_people.c.other_guest == 1),
        sa.select(read_markers.c.person).where(read_markers.c.guest == 1),
    ).subquery()
    op.execute(
        guests.insert().from_select(["person", "seen"], sa.select(known.c.person, sa.literal(now, sa.BigInteger)))
    )


def downgrade() -> None:
    op.drop_index("guests_by_seen", "guests")
    op.drop_table("guests")
