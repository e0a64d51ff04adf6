"""Read markers, memberships and mentions in SQLite, for one process: the twin of chat/stores/redis/reads.py.

The tables sit in the history's database file (their own connection), so a signed
person's markers and rooms survive a restart as the messages do.
"""

import threading

from ...model import Member
from .. import base
from . import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS read_markers (
    person TEXT NOT NULL,
    room TEXT NOT NULL,
    upto INTEGER NOT NULL,                -- the id read up to: only ever grows
    name TEXT NOT NULL,                   -- the reader as they were when they last marked, for "seen by"
    guest INTEGER NOT NULL,
    PRIMARY KEY (person, room)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS read_markers_by_room ON read_markers (room, upto);
CREATE TABLE IF NOT EXISTS memberships (
    person TEXT NOT NULL,
    room TEXT NOT NULL,
    PRIMARY KEY (person, room)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS memberships_by_room ON memberships (room);
CREATE TABLE IF NOT EXISTS mentions (
    room TEXT NOT NULL,
    person TEXT NOT NULL,
    id INTEGER NOT NULL,
    PRIMARY KEY (room, person, id)
) WITHOUT ROWID;
"""


class LocalReads(base.Reads):
    """Read markers, memberships and mentions in one process's SQLite file."""

    def __init__(self, path):
        self._db = open_database(path, SCHEMA)
        self._lock = threading.Lock()

    def close(self):
        with self._lock:
            self._db.close()

    def _run(self, query, args=()):
        with self._lock:
            return self._db.execute(query, args).fetchall()

    def mark(self, member, room, upto):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                row = self._db.execute("SELECT upto FROM read_markers WHERE person = ? AND room = ?",
                                       (member.id, room)).fetchone()
                previous = row[0] if row else 0
                if upto <= previous:
                    self._db.execute("ROLLBACK")
                    return None
                self._db.execute("INSERT INTO read_markers (person, room, upto, name, guest) VALUES (?, ?, ?, ?, ?) "
                                 "ON CONFLICT (person, room) DO UPDATE SET upto = excluded.upto, "
                                 "name = excluded.name, guest = excluded.guest",
                                 (member.id, room, upto, member.name, int(member.guest)))
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return previous

    def start(self, person_id, room, upto):
        self._run("INSERT INTO read_markers (person, room, upto, name, guest) VALUES (?, ?, ?, '', 0) "
                  "ON CONFLICT (person, room) DO NOTHING", (person_id, room, upto))

    def marker(self, person_id, room):
        rows = self._run("SELECT upto FROM read_markers WHERE person = ? AND room = ?", (person_id, room))
        return rows[0][0] if rows else 0

    def readers(self, room, message_id, limit):
        # A marker set by start() has no name: that person never read anything here themselves.
        rows = self._run("SELECT person, name, guest FROM read_markers WHERE room = ? AND upto >= ? AND name != '' "
                         "ORDER BY upto, person LIMIT ?", (room, message_id, limit + 1))
        return [Member(person, name, bool(guest)) for person, name, guest in rows[:limit]], len(rows) > limit

    def mention(self, room, message_id, person_ids):
        with self._lock:
            self._db.executemany("INSERT OR IGNORE INTO mentions (room, person, id) VALUES (?, ?, ?)",
                                 [(room, person, message_id) for person in person_ids])

    def mentions_after(self, person_id, room, after_id):
        return self._run("SELECT count(*) FROM mentions WHERE room = ? AND person = ? AND id > ?",
                         (room, person_id, after_id))[0][0]

    def join(self, person_id, room):
        self._run("INSERT OR IGNORE INTO memberships (person, room) VALUES (?, ?)", (person_id, room))

    def leave(self, person_id, room):
        self._run("DELETE FROM memberships WHERE person = ? AND room = ?", (person_id, room))

    def belongs(self, person_id):
        return [room for (room,) in self._run("SELECT room FROM memberships WHERE person = ? ORDER BY room",
                                              (person_id,))]

    def remove_room(self, room):
        with self._lock:
            for table in ("read_markers", "memberships", "mentions"):
                self._db.execute(f"DELETE FROM {table} WHERE room = ?", (room,))
