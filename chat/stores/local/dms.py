"""Direct messages in one process: whose each one is and each person's list in SQLite, last seen in memory.

The conversations are kept in the history's SQLite file (a connection of their own), so
they outlive a restart as their messages do. Who was seen when is kept in memory, as
presence is: after a restart nobody has been seen yet.
"""

import threading
import time
from collections import OrderedDict

from ...model import Member, too_many_dms
from .. import base
from . import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS dm_people (
    person TEXT NOT NULL,                 -- one of the two people
    dm TEXT NOT NULL,
    other_id TEXT NOT NULL,               -- the other one, as last recorded
    other_name TEXT NOT NULL,
    other_guest INTEGER NOT NULL,
    PRIMARY KEY (person, dm)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dm_people_by_dm ON dm_people (dm);
"""


class LocalDirectMessages(base.DirectMessages):
    """Direct messages and their two people, for this process."""

    def __init__(self, path, per_person, seen_seconds, clock=time.monotonic):
        self._db = open_database(path, SCHEMA)
        self.per_person = per_person
        self.seen_seconds = seen_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._online = {}  # person id -> member, while online with the full protocol
        self._gone = OrderedDict()  # person id -> (member, when they went), oldest first

    def close(self):
        """Let go of the database."""
        with self._lock:
            self._db.close()

    def open(self, dm, opener, other):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                known = self._db.execute("SELECT 1 FROM dm_people WHERE person = ? AND dm = ?",
                                         (opener.id, dm)).fetchone()
                if not known:
                    (count,) = self._db.execute("SELECT count(*) FROM dm_people WHERE person = ?",
                                                (opener.id,)).fetchone()
                    if count >= self.per_person:
                        raise too_many_dms(self.per_person)
                for person, them in ((opener, other), (other, opener)):
                    self._db.execute(
                        "INSERT INTO dm_people VALUES (?, ?, ?, ?, ?) ON CONFLICT (person, dm) DO UPDATE "
                        "SET other_name = excluded.other_name, other_guest = excluded.other_guest",
                        (person.id, dm, them.id, them.name, int(them.guest)))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return not known

    def people(self, dm):
        with self._lock:
            rows = self._db.execute("SELECT person FROM dm_people WHERE dm = ? ORDER BY person", (dm,)).fetchall()
        return tuple(person for (person,) in rows) if rows else None

    def of_person(self, person_id):
        with self._lock:
            rows = self._db.execute("SELECT dm, other_id, other_name, other_guest FROM dm_people "
                                    "WHERE person = ? ORDER BY dm", (person_id,)).fetchall()
        return [(dm, Member(other_id, name, bool(guest))) for dm, other_id, name, guest in rows]

    def arrived(self, member):
        with self._lock:
            self._gone.pop(member.id, None)
            self._online[member.id] = member

    def went(self, member):
        with self._lock:
            self._online.pop(member.id, None)
            self._gone.pop(member.id, None)
            self._gone[member.id] = (member, self._clock())
            self._forget_old()

    def seen(self, person_id):
        with self._lock:
            self._forget_old()
            if person_id in self._online:
                return self._online[person_id]
            member, _ = self._gone.get(person_id, (None, None))
            return member

    def _forget_old(self):
        # Oldest first, so the loop stops at the first one still recent.
        cutoff = self._clock() - self.seen_seconds
        while self._gone:
            person_id, (_, when) = next(iter(self._gone.items()))
            if when >= cutoff:
                break
            del self._gone[person_id]
