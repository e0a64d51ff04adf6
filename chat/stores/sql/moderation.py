"""Room owners, bans, mutes and the moderation record in the SQL database."""

import json
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...model import too_many_restrictions
from .. import base
from . import Database
from .schema import moderation_log, restrictions, room_owners, rooms


class SqlModeration(base.Moderation):
    """Owners, bans, mutes and the moderation record, one transaction per change."""

    def __init__(
        self,
        database: Database,
        keep: int = 1000,
        wall_clock: Callable[[], float] | None = None,
        per_room: int = 1000,
    ) -> None:
        super().__init__(keep, wall_clock, per_room)
        self.database = database

    def close(self) -> None:
        self.database.close()

    def set_owner(self, room: str, person_id: str) -> None:
        statement = (
            self.database.insert(room_owners)
            .values(room=room, person=person_id)
            .on_conflict_do_update(index_elements=[room_owners.c.room], set_={"person": person_id})
        )
        self.database.transaction(lambda db: db.execute(statement))

    def owner(self, room: str) -> str | None:
        query = sa.select(room_owners.c.person).where(room_owners.c.room == room)
        return self.database.read(lambda db: db.execute(query).scalar())

    def _one(self, kind: str, room: str, person_id: str) -> Any:
        return sa.and_(restrictions.c.kind == kind, restrictions.c.room == room, restrictions.c.person == person_id)

    def restrict(self, kind: str, room: str, person_id: str, until: float) -> None:
        statement = (
            self.database.insert(restrictions)
            .values(kind=kind, room=room, person=person_id, until=float(until))
            .on_conflict_do_update(
                index_elements=[restrictions.c.kind, restrictions.c.room, restrictions.c.person],
                set_={"until": float(until)},
            )
        )
        others = (
            sa.select(sa.func.count())
            .select_from(restrictions)
            .where(
                restrictions.c.room == room,
                restrictions.c.until > sa.bindparam("now"),
                sa.not_(self._one(kind, room, person_id)),
            )
        )

        def work(db: Connection) -> None:
            # The room's row, locked on PostgreSQL, makes two moderators of one room count in turn.
            db.execute(sa.select(rooms.c.name).where(rooms.c.name == room).with_for_update())
            if db.execute(others, {"now": self.wall_clock()}).scalar_one() >= self.per_room:
                raise too_many_restrictions(self.per_room)
            db.execute(statement)

        self.database.transaction(work)

    def expire(self) -> int:
        statement = restrictions.delete().where(restrictions.c.until <= self.wall_clock())
        return self.database.transaction(lambda db: db.execute(statement).rowcount)

    def lift(self, kind: str, room: str, person_id: str) -> bool:
        def work(db: Connection) -> bool:
            # One that had ended already goes too, but was not in force.
            until = db.execute(
                restrictions.delete().where(self._one(kind, room, person_id)).returning(restrictions.c.until)
            ).scalar()
            return until is not None and until > self.wall_clock()

        return self.database.transaction(work)

    def until(self, kind: str, room: str, person_id: str) -> float | None:
        query = sa.select(restrictions.c.until).where(
            self._one(kind, room, person_id), restrictions.c.until > self.wall_clock()
        )
        return self.database.read(lambda db: db.execute(query).scalar())

    def record(self, room: str, action: dict[str, Any]) -> None:
        def work(db: Connection) -> None:
            db.execute(moderation_log.insert().values(room=room, action=json.dumps(action)))
            if self.keep:
                kept = (
                    sa.select(moderation_log.c.n)
                    .where(moderation_log.c.room == room)
                    .order_by(moderation_log.c.n.desc())
                    .limit(self.keep)
                )
                db.execute(
                    moderation_log.delete().where(moderation_log.c.room == room, moderation_log.c.n.not_in(kept))
                )

        self.database.transaction(work)

    def log(self, room: str, limit: int = 100) -> list[dict[str, Any]]:
        query = (
            sa.select(moderation_log.c.action)
            .where(moderation_log.c.room == room)
            .order_by(moderation_log.c.n.desc())
            .limit(limit)
        )
        actions = self.database.read(lambda db: list(db.execute(query).scalars()))
        return [json.loads(action) for action in reversed(actions)]

    def remove_room(self, room: str) -> None:
        def work(db: Connection) -> None:
            db.execute(room_owners.delete().where(room_owners.c.room == room))
            db.execute(restrictions.delete().where(restrictions.c.room == room))
            db.execute(moderation_log.delete().where(moderation_log.c.room == room))

        self.database.transaction(work)
