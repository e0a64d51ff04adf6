"""Room owners, bans, mutes and the moderation record in SQLite, for one process: the twin of
chat/stores/redis/moderation.py.

The tables sit in the history's database file (their own connection), so owners, bans and
the record survive a restart as the messages do.
"""

import json
import threading

from .. import base
from . import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS room_owners (
    room TEXT PRIMARY KEY,
    person TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS restrictions (
    kind TEXT NOT NULL,                   -- ban or mute
    room TEXT NOT NULL,
    person TEXT NOT NULL,
    until REAL NOT NULL,                  -- a Unix time in seconds
    PRIMARY KEY (kind, room, person)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS moderation_log (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    room TEXT NOT NULL,
    action TEXT NOT NULL                  -- the action as JSON
);
CREATE INDEX IF NOT EXISTS moderation_log_by_room ON moderation_log (room, n);
"""


class LocalModeration(base.Moderation):
    """Owners, bans, mutes and the moderation record in one process's SQLite file."""

    def __init__(self, path, keep=1000, wall_clock=None):
        super().__init__(keep, wall_clock)
        self._db = open_database(path, SCHEMA)
        self._lock = threading.Lock()

    def close(self):
        with self._lock:
            self._db.close()

    def _run(self, query, args=()):
        with self._lock:
            cursor = self._db.execute(query, args)
            return cursor.fetchall(), cursor.rowcount

    def set_owner(self, room, person_id):
        self._run("INSERT OR REPLACE INTO room_owners (room, person) VALUES (?, ?)", (room, person_id))

    def owner(self, room):
        rows, _ = self._run("SELECT person FROM room_owners WHERE room = ?", (room,))
        return rows[0][0] if rows else None

    def restrict(self, kind, room, person_id, until):
        self._run("INSERT OR REPLACE INTO restrictions (kind, room, person, until) VALUES (?, ?, ?, ?)",
                  (kind, room, person_id, float(until)))

    def lift(self, kind, room, person_id):
        _, count = self._run("DELETE FROM restrictions WHERE kind = ? AND room = ? AND person = ? AND until > ?",
                             (kind, room, person_id, self.wall_clock()))
        # One that had ended already goes too, but was not in force.
        self._run("DELETE FROM restrictions WHERE kind = ? AND room = ? AND person = ?", (kind, room, person_id))
        return count > 0

    def until(self, kind, room, person_id):
        rows, _ = self._run("SELECT until FROM restrictions WHERE kind = ? AND room = ? AND person = ? AND until > ?",
                            (kind, room, person_id, self.wall_clock()))
        return rows[0][0] if rows else None

    def record(self, room, action):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO moderation_log (room, action) VALUES (?, ?)", (room, json.dumps(action)))
                if self.keep:
                    self._db.execute("DELETE FROM moderation_log WHERE room = ? AND n NOT IN "
                                     "(SELECT n FROM moderation_log WHERE room = ? ORDER BY n DESC LIMIT ?)",
                                     (room, room, self.keep))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise

    def log(self, room, limit=100):
        rows, _ = self._run("SELECT action FROM moderation_log WHERE room = ? ORDER BY n DESC LIMIT ?", (room, limit))
        return [json.loads(action) for action, in reversed(rows)]

    def remove_room(self, room):
        self._run("DELETE FROM room_owners WHERE room = ?", (room,))
        self._run("DELETE FROM restrictions WHERE room = ?", (room,))
