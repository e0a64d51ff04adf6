"""Edits, deletions and reactions in the SQL database: the message rewritten, numbered and recorded in one transaction.

Each change takes its room's next change number (``change_seq``, a counter row as
``rooms.last_id`` is for messages) in the transaction that rewrites the message and keeps
the change record, and is emitted after the commit, in change order: within a process
under the room's delivery lock; across processes (PostgreSQL) also under a session-level
advisory lock of the room, held from before the transaction to after the emission, so no
process publishes change n + 1 before another has published change n.
"""

import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...model import Message, no_such_message, not_your_message, room_group
from .. import base
from . import Database
from .history import COLUMNS, NO_LIMIT, SqlHistory, message_of
from .schema import change_seq, changes, mentions, messages

EVENTS = {"edit": "message-edited", "delete": "message-deleted", "reaction": "reaction"}

Work = Callable[[Connection, Message], dict[str, Any] | None]


def advisory_key(kind: str, room: str) -> int:
    """Return the 64-bit PostgreSQL advisory lock key of ``kind`` for ``room``."""
    return int.from_bytes(
        hashlib.sha256(f"{kind}:{room}".encode("utf-8", "surrogatepass")).digest()[:8], "big", signed=True
    )


class SqlChanges(base.Changes):
    """Change stored messages in place in the SQL database, and emit each change in change order."""

    history: SqlHistory

    def __init__(
        self,
        history: SqlHistory,
        emit: Callable[..., Any],
        room_lock: Callable[[str], Any],
        max_reactions: int,
        retention: int,
    ) -> None:
        super().__init__(history, emit, room_lock, max_reactions, retention)
        self.database: Database = history.database
        self._next_change = (
            self.database.insert(change_seq)
            .values(room=sa.bindparam("room"), last_change=1)
            .on_conflict_do_update(
                index_elements=[change_seq.c.room], set_={"last_change": change_seq.c.last_change + 1}
            )
            .returning(change_seq.c.last_change)
        )

    def edit(
        self, room: str, message_id: int, person_id: str, text: str, groups: list[str] | None = None
    ) -> dict[str, Any] | None:
        def work(db: Connection, message: Message) -> dict[str, Any]:
            if message.user.id != person_id:
                raise not_your_message(message_id)
            edited_at = int(self.history._clock() * 1000)
            db.execute(self._update(room, message_id).values(text=text, edited_at=edited_at))
            return {"room": room, "id": message_id, "text": text, "editedAt": edited_at}

        return self._change("edit", room, message_id, work, groups)

    def delete(
        self, room: str, message_id: int, person_id: str | None = None, groups: list[str] | None = None
    ) -> dict[str, Any] | None:
        def work(db: Connection, message: Message) -> dict[str, Any]:
            if person_id is not None and message.user.id != person_id:
                raise not_your_message(message_id)
            db.execute(
                self._update(room, message_id).values(text="", deleted=1, reactions=None, edited_at=None, mentions=None)
            )
            db.execute(mentions.delete().where(mentions.c.room == room, mentions.c.id == message_id))
            return {"room": room, "id": message_id}

        return self._change("delete", room, message_id, work, groups)

    def react(
        self, room: str, message_id: int, person_id: str, emoji: str, on: bool, groups: list[str] | None = None
    ) -> dict[str, Any] | None:
        def work(db: Connection, message: Message) -> dict[str, Any] | None:
            toggled = self.toggled(message.reactions, person_id, emoji, on)
            if toggled is None:
                return None
            reactions, users = toggled
            db.execute(self._update(room, message_id).values(reactions=json.dumps(reactions) if reactions else None))
            return {"room": room, "id": message_id, "emoji": emoji, "count": len(users), "users": users}

        return self._change("reaction", room, message_id, work, groups)

    @staticmethod
    def _update(room: str, message_id: int) -> Any:
        return messages.update().where(messages.c.room == room, messages.c.id == message_id)

    def _change(
        self, kind: str, room: str, message_id: int, work: Work, groups: list[str] | None
    ) -> dict[str, Any] | None:
        """Run ``work(db, message)`` in one transaction; number, record and emit (to ``groups``) what it returns."""

        def transaction(db: Connection) -> dict[str, Any] | None:
            # The row lock (FOR UPDATE, PostgreSQL) keeps a concurrent change from reading it meanwhile.
            row = db.execute(
                sa.select(*COLUMNS).where(messages.c.room == room, messages.c.id == message_id).with_for_update()
            ).first()
            message = message_of(row) if row else None
            if message is None or message.deleted:
                raise no_such_message(room, message_id)
            payload = work(db, message)
            if payload is None:
                return None
            change = db.execute(self._next_change, {"room": room}).scalar_one()
            payload["change"] = change
            db.execute(
                changes.insert().values(
                    room=room, change=change, id=message_id, record=json.dumps({"event": EVENTS[kind], **payload})
                )
            )
            if self.retention:
                db.execute(changes.delete().where(changes.c.room == room, changes.c.change <= change - self.retention))
            return payload

        with self.room_lock(room), self._in_change_order(room) as begin:
            with begin() as db:
                payload = transaction(db)
            if payload is not None:
                self._emit(EVENTS[kind], payload, to=groups or room_group(room))
            return payload

    @contextmanager
    def _in_change_order(self, room: str) -> Iterator[Callable[[], Any]]:
        """Yield a ``begin()`` for the change's transaction, holding ``room``'s advisory lock on PostgreSQL."""
        if not self.database.postgresql:
            yield self.database.begin
            return
        key = advisory_key("changes", room)
        with self.database.engine.connect() as connection:
            connection.execute(sa.select(sa.func.pg_advisory_lock(key)))
            connection.commit()

            @contextmanager
            def begin() -> Iterator[Connection]:
                with connection.begin():
                    yield connection

            try:
                yield begin
            finally:
                connection.execute(sa.select(sa.func.pg_advisory_unlock(key)))
                connection.commit()

    def last_change(self, room: str) -> int:
        query = sa.select(change_seq.c.last_change).where(change_seq.c.room == room)
        return self.database.read(lambda db: db.execute(query).scalar()) or 0

    def after(
        self, room: str, after_change: int, upto_id: int | None = None, limit: int = 500
    ) -> tuple[list[dict[str, Any]], bool, bool]:
        def work(db: Connection) -> tuple[Any, Any, list[str]]:
            oldest = db.execute(sa.select(sa.func.min(changes.c.change)).where(changes.c.room == room)).scalar()
            last = db.execute(sa.select(change_seq.c.last_change).where(change_seq.c.room == room)).scalar()
            records = (
                db.execute(
                    sa.select(changes.c.record)
                    .where(
                        changes.c.room == room,
                        changes.c.change > after_change,
                        changes.c.id <= (NO_LIMIT if upto_id is None else upto_id),
                    )
                    .order_by(changes.c.change)
                    .limit(limit + 1)
                )
                .scalars()
                .all()
            )
            return oldest, last or 0, list(records)

        oldest, last, records = self.database.read(work)
        lost = after_change < last and (oldest is None or oldest > after_change + 1)
        return [json.loads(record) for record in records[:limit]], len(records) > limit, lost

    def remove_room(self, room: str) -> None:
        # change_seq stays: a client's stored lastChange never points into a room made again under the name.
        self.database.transaction(lambda db: db.execute(changes.delete().where(changes.c.room == room)))
