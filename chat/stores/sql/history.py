"""Every room's messages in the SQL database, numbered per room in the transaction that stores them.

A message's id is its room's counter row (``rooms.last_id``) moved on by one, in the same
transaction as its INSERT: on PostgreSQL the row stays locked until the commit, so two
processes posting to one room at once are numbered one after the other and commit in id
order; a failed transaction takes its number back with it. Nothing is returned (so nothing
acknowledged or delivered) before the commit.
"""

import json
import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...model import Member, Message
from .. import base
from . import Database, Rollback
from .schema import change_seq, changes, counter_floors, mentions, messages, read_markers, rooms

NO_LIMIT = 2**62  # an id no room reaches

# SQLite's append, as _append_sqlite runs it (the same statements SQLAlchemy builds for PostgreSQL).
SQLITE_NEXT_ID = (
    "INSERT INTO rooms (name, last_id) VALUES (?, 1) ON CONFLICT (name) DO UPDATE "
    "SET last_id = rooms.last_id + 1 RETURNING last_id"
)
SQLITE_FIND = (
    "SELECT room, id, ts, user_id, user_name, user_guest, text, client_id, mentions, edited_at, deleted, "
    "reactions FROM messages WHERE room = ? AND user_id = ? AND client_id = ?"
)
SQLITE_INSERT = (
    "INSERT INTO messages (room, id, ts, user_id, user_name, user_guest, text, client_id, mentions) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
)

COLUMNS = (
    messages.c.room,
    messages.c.id,
    messages.c.ts,
    messages.c.user_id,
    messages.c.user_name,
    messages.c.user_guest,
    messages.c.text,
    messages.c.client_id,
    messages.c.mentions,
    messages.c.edited_at,
    messages.c.deleted,
    messages.c.reactions,
)


def message_of(row: Any) -> Message:
    """Return the Message of a row of ``COLUMNS``."""
    (room, message_id, ts, user_id, user_name, user_guest, text, client_id, mentions, edited_at, deleted, reactions) = (
        row
    )
    return Message(
        room,
        message_id,
        ts,
        Member(user_id, user_name, bool(user_guest)),
        text,
        client_id,
        edited_at=edited_at,
        deleted=bool(deleted),
        reactions=json.loads(reactions) if reactions else None,
        mentions=tuple(json.loads(mentions)) if mentions else (),
    )


class SqlHistory(base.History):
    """Every room's messages, numbered 1, 2, 3, ... per room with no gaps, in the order committed."""

    def __init__(self, database: Database, clock: Callable[[], float] = time.time, removed_kept: int = 10000) -> None:
        self.database = database
        self._clock = clock
        self.removed_kept = removed_kept
        # More storage a process cannot serve without (Redis, with several), asked after the database.
        self.also_check: list[Callable[[], str | None]] = []
        self._next_id = (
            database.insert(rooms)
            .values(name=sa.bindparam("room"), last_id=1)
            .on_conflict_do_update(index_elements=[rooms.c.name], set_={"last_id": rooms.c.last_id + 1})
            .returning(rooms.c.last_id)
        )
        # The hot path's statements, built once: building a statement costs more than SQLite running it.
        self._insert = messages.insert()
        self._by_client_id = sa.select(*COLUMNS).where(
            messages.c.room == sa.bindparam("room"),
            messages.c.user_id == sa.bindparam("user_id"),
            messages.c.client_id == sa.bindparam("client_id"),
        )

    def close(self) -> None:
        self.database.close()

    def check(self) -> str | None:
        """Return None if the database (and whatever ``also_check`` holds) answers, else what is wrong."""
        for check in (self.database.check, *self.also_check):
            problem = check()
            if problem is not None:
                return problem
        return None

    # --- Rooms ---

    def rooms(self) -> list[str]:
        query = sa.select(rooms.c.name).where(rooms.c.removed == 0).order_by(rooms.c.name)
        return self.database.read(lambda db: list(db.execute(query).scalars()))

    def add_room(self, room: str) -> None:
        def work(db: Connection) -> None:
            known = sa.select(rooms.c.name).where(rooms.c.name == room)
            if db.execute(known).first() is not None:  # it exists, or its counters are kept
                db.execute(rooms.update().where(rooms.c.name == room).values(removed=0, removed_at=None))
                return
            query = sa.select(counter_floors.c.kind, counter_floors.c.value)
            floors: dict[str, int] = {row.kind: row.value for row in db.execute(query)}
            db.execute(
                self.database.insert(rooms)
                .values(name=room, last_id=floors.get("messages", 0))
                .on_conflict_do_update(index_elements=[rooms.c.name], set_={"removed": 0, "removed_at": None})
            )
            if floors.get("changes"):
                db.execute(
                    self.database.insert(change_seq)
                    .values(room=room, last_change=floors["changes"])
                    .on_conflict_do_nothing(index_elements=[change_seq.c.room])
                )

        self.database.transaction(work)

    def remove_room(self, room: str) -> None:
        def work(db: Connection) -> None:
            now = int(self._clock() * 1000)
            db.execute(rooms.update().where(rooms.c.name == room).values(removed=1, removed_at=now))
            db.execute(messages.delete().where(messages.c.room == room))
            self._forget_oldest_removed(db)

        self.database.transaction(work)

    def _forget_oldest_removed(self, db: Connection) -> None:
        """Forget the counters of the oldest removed rooms past ``removed_kept``, raising the floors past theirs."""
        removed = db.execute(sa.select(sa.func.count()).select_from(rooms).where(rooms.c.removed == 1)).scalar_one()
        if removed <= self.removed_kept:
            return
        oldest = (
            sa.select(rooms.c.name)
            .where(rooms.c.removed == 1)
            .order_by(sa.func.coalesce(rooms.c.removed_at, 0), rooms.c.name)
            .limit(removed - self.removed_kept)
        )
        names = list(db.execute(oldest).scalars())
        highest = {
            "messages": sa.select(sa.func.max(rooms.c.last_id)).where(rooms.c.name.in_(names)),
            "changes": sa.select(sa.func.max(change_seq.c.last_change)).where(change_seq.c.room.in_(names)),
        }
        for kind, query in highest.items():
            value = db.execute(query).scalar() or 0
            statement = self.database.insert(counter_floors).values(kind=kind, value=value)
            db.execute(
                statement.on_conflict_do_update(
                    index_elements=[counter_floors.c.kind],
                    set_={"value": value},
                    where=counter_floors.c.value < value,
                )
            )
        db.execute(rooms.delete().where(rooms.c.name.in_(names)))
        db.execute(change_seq.delete().where(change_seq.c.room.in_(names)))

    # --- Messages ---

    def append(
        self, room: str, user: Member, text: str, client_id: str | None = None, mentions: Iterable[str] = ()
    ) -> tuple[Message, bool]:
        mentions = tuple(mentions)

        if self.database.sqlite:
            return self.database.driver_transaction(
                lambda raw: self._append_sqlite(raw, room, user, text, client_id, mentions)
            )

        def work(db: Connection) -> tuple[Message, bool]:
            # Number first: the counter row's lock makes a concurrent resend of the same
            # clientId wait here, then find the one committed before it.
            message_id = db.execute(self._next_id, {"room": room}).scalar_one()
            if client_id is not None:
                original = self._find(db, room, user.id, client_id)
                if original is not None:
                    raise Rollback((original, False))
            message = Message(room, message_id, int(self._clock() * 1000), user, text, client_id, mentions=mentions)
            db.execute(
                self._insert,
                {
                    "room": room,
                    "id": message_id,
                    "ts": message.ts,
                    "user_id": user.id,
                    "user_name": user.name,
                    "user_guest": int(user.guest),
                    "text": text,
                    "client_id": client_id,
                    "mentions": json.dumps(list(mentions)) if mentions else None,
                },
            )
            return message, True

        return self.database.transaction(work)

    def _append_sqlite(
        self, raw: Any, room: str, user: Member, text: str, client_id: str | None, mentions: tuple[str, ...]
    ) -> tuple[Message, bool]:
        """Append as ``append`` does on PostgreSQL, on the sqlite3 connection ``raw`` (Database.driver_transaction)."""
        (message_id,) = raw.execute(SQLITE_NEXT_ID, (room,)).fetchone()
        stored_id = None if client_id is None else client_id.encode("utf-8", "surrogatepass")
        if stored_id is not None:
            row = raw.execute(SQLITE_FIND, (room, user.id, stored_id)).fetchone()
            if row is not None:
                exact = [
                    bytes(value).decode("utf-8", "surrogatepass") if isinstance(value, bytes) else value
                    for value in row
                ]
                raise Rollback((message_of(exact), False))
        message = Message(room, message_id, int(self._clock() * 1000), user, text, client_id, mentions=mentions)
        raw.execute(
            SQLITE_INSERT,
            (
                room,
                message_id,
                message.ts,
                user.id,
                user.name,
                int(user.guest),
                text.encode("utf-8", "surrogatepass"),
                stored_id,
                json.dumps(list(mentions)) if mentions else None,
            ),
        )
        return message, True

    def _find(self, db: Connection, room: str, sender_id: str, client_id: str) -> Message | None:
        row = db.execute(self._by_client_id, {"room": room, "user_id": sender_id, "client_id": client_id}).first()
        return message_of(row) if row else None

    def find(self, room: str, sender_id: str, client_id: str) -> Message | None:
        return self.database.read(lambda db: self._find(db, room, sender_id, client_id))

    def before(self, room: str, before_id: int | None, limit: int) -> tuple[list[Message], bool]:
        query = (
            sa.select(*COLUMNS)
            .where(messages.c.room == room, messages.c.id < (NO_LIMIT if before_id is None else before_id))
            .order_by(messages.c.id.desc())
            .limit(limit + 1)
        )
        rows = self.database.read(lambda db: db.execute(query).all())
        return [message_of(row) for row in reversed(rows[:limit])], len(rows) > limit

    def after(self, room: str, after_id: int, limit: int, upto: int | None = None) -> tuple[list[Message], bool]:
        query = (
            sa.select(*COLUMNS)
            .where(
                messages.c.room == room, messages.c.id > after_id, messages.c.id <= (NO_LIMIT if upto is None else upto)
            )
            .order_by(messages.c.id)
            .limit(limit + 1)
        )
        rows = self.database.read(lambda db: db.execute(query).all())
        return [message_of(row) for row in rows[:limit]], len(rows) > limit

    def last_id(self, room: str) -> int:
        query = sa.select(rooms.c.last_id).where(rooms.c.name == room)
        return self.database.read(lambda db: db.execute(query).scalar()) or 0

    def last_ids(self, names: Iterable[str]) -> dict[str, int]:
        wanted = list(names)
        query = sa.select(rooms.c.name, rooms.c.last_id).where(rooms.c.name.in_(wanted))
        found = dict(self.database.read(lambda db: db.execute(query).all()))
        return {room: found.get(room) or 0 for room in wanted}

    def first_id(self, room: str) -> int | None:
        query = sa.select(sa.func.min(messages.c.id)).where(messages.c.room == room)
        return self.database.read(lambda db: db.execute(query).scalar())

    def retain(self, per_room: int, max_age_seconds: float) -> int:
        def work(db: Connection) -> int:
            deleted = 0
            if per_room:
                newest = sa.select(rooms.c.last_id).where(rooms.c.name == messages.c.room).scalar_subquery()
                deleted += db.execute(messages.delete().where(messages.c.id <= newest - per_room)).rowcount
            if max_age_seconds:
                cutoff = int((self._clock() - max_age_seconds) * 1000)
                deleted += db.execute(messages.delete().where(messages.c.ts < cutoff)).rowcount
            # Their side records go with them (those an older release left behind too).
            for table in (mentions, changes):
                gone = ~sa.exists().where(messages.c.room == table.c.room, messages.c.id == table.c.id)
                db.execute(table.delete().where(gone))
            if deleted:
                # What is gone is not unread: a marker behind the oldest message kept moves up to it.
                oldest = sa.select(sa.func.min(messages.c.id)).where(messages.c.room == read_markers.c.room)
                last = sa.select(rooms.c.last_id).where(rooms.c.name == read_markers.c.room)
                floor = sa.func.coalesce(oldest.scalar_subquery() - 1, last.scalar_subquery())
                db.execute(read_markers.update().where(read_markers.c.upto < floor).values(upto=floor))
            return deleted

        return self.database.transaction(work)
