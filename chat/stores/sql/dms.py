"""Direct messages in the SQL database: whose each one is and each person's list of them.

Who was seen when is live state, not kept here: the ``last_seen`` store given (in memory
for one process, chat/stores/local/dms.py; in Redis for several, chat/stores/redis/dms.py)
answers ``arrived``, ``went`` and ``seen``.
"""

import time
from collections.abc import Callable, Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...model import Member, too_many_dms, too_many_dms_theirs
from .. import base
from . import Database, Rollback
from .schema import change_seq, changes, dm_people, guests, memberships, mentions, messages, read_markers, rooms

# Every row a DM or a person has, by the column that names it: what forgetting a guest deletes.
BY_CONVERSATION = ((messages, "room"), (changes, "room"), (change_seq, "room"), (rooms, "name"))
BY_PERSON = (read_markers, memberships, mentions)


class SqlDirectMessages(base.DirectMessages):
    """Direct messages and their two people, in the SQL database; last seen in ``last_seen``."""

    def __init__(
        self, database: Database, per_person: int, last_seen: Any, wall_clock: Callable[[], float] = time.time
    ) -> None:
        self.database = database
        self._wall_clock = wall_clock
        self.per_person = per_person
        self.last_seen = last_seen
        self.seen_seconds = last_seen.seen_seconds
        # A dm id's two people are written once, when it is opened, and never change: kept once read.
        self._pairs: dict[str, tuple[str, ...]] = {}
        seen = database.insert(guests)
        self._seen = seen.on_conflict_do_update(index_elements=[guests.c.person], set_={"seen": seen.excluded.seen})
        insert = database.insert(dm_people)
        self._person = insert.on_conflict_do_update(
            index_elements=[dm_people.c.person, dm_people.c.dm],
            set_={"other_name": insert.excluded.other_name, "other_guest": insert.excluded.other_guest},
        )

    def close(self) -> None:
        self.database.close()

    def open(self, dm: str, opener: Member, other: Member) -> bool:
        def work(db: Connection) -> bool | str:
            known = (
                db.execute(
                    sa.select(sa.literal(1)).where(dm_people.c.person == opener.id, dm_people.c.dm == dm)
                ).first()
                is not None
            )
            if not known:
                counts: dict[str, int] = dict(
                    db.execute(
                        sa.select(dm_people.c.person, sa.func.count())
                        .where(dm_people.c.person.in_([opener.id, other.id]))
                        .group_by(dm_people.c.person)
                    ).all()
                )
                for who, person in (("opener", opener), ("other", other)):
                    if counts.get(person.id, 0) >= self.per_person:
                        raise Rollback(who)
            for person, them in ((opener, other), (other, opener)):
                db.execute(
                    self._person.values(
                        person=person.id, dm=dm, other_id=them.id, other_name=them.name, other_guest=int(them.guest)
                    )
                )
            return not known

        new = self.database.transaction(work)
        if new == "opener":
            raise too_many_dms(self.per_person)
        if new == "other":
            raise too_many_dms_theirs(self.per_person)
        return bool(new)

    def people(self, dm: str) -> tuple[str, ...] | None:
        if dm not in self._pairs:
            query = sa.select(dm_people.c.person).where(dm_people.c.dm == dm).order_by(dm_people.c.person)
            people = self.database.read(lambda db: tuple(db.execute(query).scalars()))
            if not people:
                return None
            self._pairs[dm] = people
        return self._pairs[dm]

    def of_person(self, person_id: str) -> list[tuple[str, Member]]:
        query = (
            sa.select(dm_people.c.dm, dm_people.c.other_id, dm_people.c.other_name, dm_people.c.other_guest)
            .where(dm_people.c.person == person_id)
            .order_by(dm_people.c.dm)
        )
        rows = self.database.read(lambda db: db.execute(query).all())
        return [(dm, Member(other_id, name, bool(guest))) for dm, other_id, name, guest in rows]

    def arrived(self, member: Member) -> None:
        self.last_seen.arrived(member)

    def went(self, member: Member) -> None:
        self.last_seen.went(member)

    def guest_seen(self, person_id: str) -> None:
        statement = self._seen.values(person=person_id, seen=int(self._wall_clock() * 1000))
        self.database.transaction(lambda db: db.execute(statement))

    def expired_guests(self, before: float, limit: int) -> list[str]:
        query = (
            sa.select(guests.c.person)
            .where(guests.c.seen < int(before * 1000))
            .order_by(guests.c.seen, guests.c.person)
            .limit(limit)
        )
        return self.database.read(lambda db: list(db.execute(query).scalars()))

    def forget_guests(self, person_ids: Iterable[str]) -> list[str]:
        people = list(person_ids)

        def work(db: Connection) -> list[str]:
            dms = list(db.execute(sa.select(dm_people.c.dm).where(dm_people.c.person.in_(people))).scalars())
            for table, column in BY_CONVERSATION:
                db.execute(table.delete().where(table.c[column].in_(dms)))
            for table in BY_PERSON:
                db.execute(table.delete().where(sa.or_(table.c.person.in_(people), table.c.room.in_(dms))))
            db.execute(dm_people.delete().where(dm_people.c.dm.in_(dms)))
            db.execute(guests.delete().where(guests.c.person.in_(people)))
            return dms

        if not people:
            return []
        dms = self.database.transaction(work)
        for dm in dms:
            self._pairs.pop(dm, None)
        return dms

    def seen(self, person_id: str) -> Member | None:
        member: Member | None = self.last_seen.seen(person_id)  # LocalLastSeen or RedisLastSeen: given untyped
        return member
