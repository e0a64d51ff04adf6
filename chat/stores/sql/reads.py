"""Read markers, memberships and mentions in the SQL database."""

from collections.abc import Iterable

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from ...model import Member
from .. import base
from . import Database, Rollback
from .schema import memberships, mentions, read_markers


class SqlReads(base.Reads):
    """Read markers, memberships and mentions, one transaction per change."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def close(self) -> None:
        self.database.close()

    def mark(self, member: Member, room: str, upto: int) -> int | None:
        def work(db: Connection) -> int | None:
            previous = (
                db.execute(
                    sa.select(read_markers.c.upto)
                    .where(read_markers.c.person == member.id, read_markers.c.room == room)
                    .with_for_update()
                ).scalar()
                or 0
            )
            if upto <= previous:
                raise Rollback(None)
            db.execute(
                self.database.insert(read_markers)
                .values(person=member.id, room=room, upto=upto, name=member.name, guest=int(member.guest))
                .on_conflict_do_update(
                    index_elements=[read_markers.c.person, read_markers.c.room],
                    set_={"upto": upto, "name": member.name, "guest": int(member.guest)},
                    where=read_markers.c.upto < upto,
                )
            )
            return previous

        return self.database.transaction(work)

    def start(self, person_id: str, room: str, upto: int) -> None:
        statement = (
            self.database.insert(read_markers)
            .values(person=person_id, room=room, upto=upto, name="", guest=0)
            .on_conflict_do_nothing(index_elements=[read_markers.c.person, read_markers.c.room])
        )
        self.database.transaction(lambda db: db.execute(statement))

    def marker(self, person_id: str, room: str) -> int:
        query = sa.select(read_markers.c.upto).where(read_markers.c.person == person_id, read_markers.c.room == room)
        return self.database.read(lambda db: db.execute(query).scalar()) or 0

    def readers(self, room: str, message_id: int, limit: int) -> tuple[list[Member], bool]:
        # A marker set by start() has no name: that person never read anything here themselves.
        query = (
            sa.select(read_markers.c.person, read_markers.c.name, read_markers.c.guest)
            .where(read_markers.c.room == room, read_markers.c.upto >= message_id, read_markers.c.name != "")
            .order_by(read_markers.c.upto, read_markers.c.person)
            .limit(limit + 1)
        )
        rows = self.database.read(lambda db: db.execute(query).all())
        return [Member(person, name, bool(guest)) for person, name, guest in rows[:limit]], len(rows) > limit

    def mention(self, room: str, message_id: int, person_ids: list[str]) -> None:
        if not person_ids:
            return
        statement = (
            self.database.insert(mentions)
            .values([{"room": room, "person": person, "id": message_id} for person in person_ids])
            .on_conflict_do_nothing()
        )
        self.database.transaction(lambda db: db.execute(statement))

    def mentions_after(self, person_id: str, room: str, after_id: int) -> int:
        query = (
            sa.select(sa.func.count())
            .select_from(mentions)
            .where(mentions.c.room == room, mentions.c.person == person_id, mentions.c.id > after_id)
        )
        return self.database.read(lambda db: db.execute(query).scalar_one())

    def markers(self, person_id: str, rooms: Iterable[str]) -> dict[str, int]:
        wanted = list(rooms)
        query = sa.select(read_markers.c.room, read_markers.c.upto).where(
            read_markers.c.person == person_id, read_markers.c.room.in_(wanted)
        )
        found = dict(self.database.read(lambda db: db.execute(query).all()))
        return {room: found.get(room) or 0 for room in wanted}

    def unread_mentions(self, person_id: str, rooms: Iterable[str]) -> dict[str, int]:
        wanted = list(rooms)
        marker = (
            sa.select(read_markers.c.upto)
            .where(read_markers.c.person == person_id, read_markers.c.room == mentions.c.room)
            .scalar_subquery()
        )
        query = (
            sa.select(mentions.c.room, sa.func.count())
            .where(
                mentions.c.person == person_id,
                mentions.c.room.in_(wanted),
                mentions.c.id > sa.func.coalesce(marker, 0),
            )
            .group_by(mentions.c.room)
        )
        found: dict[str, int] = dict(self.database.read(lambda db: db.execute(query).all()))
        return {room: found.get(room, 0) for room in wanted}

    def join(self, person_id: str, room: str) -> None:
        statement = self.database.insert(memberships).values(person=person_id, room=room).on_conflict_do_nothing()
        self.database.transaction(lambda db: db.execute(statement))

    def leave(self, person_id: str, room: str) -> None:
        statement = memberships.delete().where(memberships.c.person == person_id, memberships.c.room == room)
        self.database.transaction(lambda db: db.execute(statement))

    def belongs(self, person_id: str) -> list[str]:
        query = sa.select(memberships.c.room).where(memberships.c.person == person_id).order_by(memberships.c.room)
        return self.database.read(lambda db: list(db.execute(query).scalars()))

    def remove_room(self, room: str) -> None:
        def work(db: Connection) -> None:
            for table in (read_markers, memberships, mentions):
                db.execute(table.delete().where(table.c.room == room))

        self.database.transaction(work)
