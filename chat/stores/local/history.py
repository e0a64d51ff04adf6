"""Chat history in SQLite, for one process: messages numbered per room, stored before they are delivered.

One connection, shared by the process's threads or greenlets behind a lock; each call is
one short transaction. WAL mode with synchronous=NORMAL: a committed message survives the
process being killed (the operating system holds it), which is what "acknowledged" means
here; surviving a power cut would need synchronous=FULL.
"""

import json
import sqlite3
import threading
import time

from ...model import Member, Message
from .. import base
from . import open_database

SCHEMA = """
CREATE TABLE IF NOT EXISTS rooms (
    name TEXT PRIMARY KEY,
    last_id INTEGER NOT NULL DEFAULT 0,   -- never goes back, even when messages are deleted
    removed INTEGER NOT NULL DEFAULT 0
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS messages (
    room TEXT NOT NULL,
    id INTEGER NOT NULL,
    ts INTEGER NOT NULL,                  -- milliseconds since the Unix epoch
    user_id TEXT NOT NULL,
    user_name TEXT NOT NULL,
    user_guest INTEGER NOT NULL,
    text TEXT NOT NULL,
    client_id TEXT,                       -- the sender's own id for the message, for idempotent resends
    PRIMARY KEY (room, id)
) WITHOUT ROWID;
CREATE UNIQUE INDEX IF NOT EXISTS messages_by_client_id ON messages (room, client_id) WHERE client_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS messages_by_time ON messages (ts);
CREATE TABLE IF NOT EXISTS change_seq (
    room TEXT PRIMARY KEY,
    last_change INTEGER NOT NULL          -- never goes back, as rooms.last_id
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS changes (      -- edits, deletions and reactions, for catching up (local/changes.py)
    room TEXT NOT NULL,
    change INTEGER NOT NULL,
    id INTEGER NOT NULL,                  -- the message changed
    record TEXT NOT NULL,                 -- the change as JSON, as it was delivered live
    PRIMARY KEY (room, change)
) WITHOUT ROWID;
"""

# Columns added after the first schema, each with its type: added with ALTER TABLE to a
# database made before them.
ADDED_COLUMNS = {"messages": [
    ("edited_at", "INTEGER"),                   # when the sender last edited it (ms), NULL if never
    ("deleted", "INTEGER NOT NULL DEFAULT 0"),  # a tombstone: text "", id kept in place
    ("reactions", "TEXT"),                      # JSON: emoji -> [person ids], NULL for none
    ("mentions", "TEXT"),                       # JSON: the person ids it mentions, NULL for none
]}


def _stored_text(text):
    """Return ``text`` as SQLite can keep it: a lone surrogate (half an emoji, which a JavaScript
    string can hold) is not valid UTF-8, so such text is kept as bytes instead."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "surrogatepass")
    return text


def _message(row):
    room, message_id, ts, user_id, user_name, user_guest, text, client_id, mentions, edited_at, deleted, reactions = row
    if isinstance(text, bytes):
        text = text.decode("utf-8", "surrogatepass")
    return Message(room, message_id, ts, Member(user_id, user_name, bool(user_guest)), text, client_id,
                   edited_at=edited_at, deleted=bool(deleted), reactions=json.loads(reactions) if reactions else None,
                   mentions=tuple(json.loads(mentions)) if mentions else ())


def migrate(db):
    """Add to ``db`` the columns of ADDED_COLUMNS it lacks (a database made before they existed)."""
    for table, columns in ADDED_COLUMNS.items():
        have = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        for name, kind in columns:
            if name not in have:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {name} {kind}")


COLUMNS = "room, id, ts, user_id, user_name, user_guest, text, client_id, mentions"
READ_COLUMNS = COLUMNS + ", edited_at, deleted, reactions"


class LocalHistory(base.History):
    """Every room's messages, numbered 1, 2, 3, ... per room with no gaps, in the order accepted."""

    def __init__(self, path, clock=time.time):
        self._db = open_database(path, SCHEMA)
        self._db.execute("PRAGMA synchronous=NORMAL")  # see the module docstring
        migrate(self._db)
        self._clock = clock
        self._lock = threading.Lock()

    def close(self):
        with self._lock:
            self._db.close()

    def check(self):
        """Return None if the database answers, else what is wrong with it."""
        try:
            with self._lock:
                self._db.execute("SELECT count(*) FROM rooms").fetchone()
        except sqlite3.Error as error:
            return str(error)
        return None

    def _transaction(self, work):
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                result = work(self._db)
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")
            return result

    # --- Rooms ---

    def rooms(self):
        with self._lock:
            return [name for (name,) in self._db.execute("SELECT name FROM rooms WHERE NOT removed ORDER BY name")]

    def add_room(self, room):
        self._transaction(lambda db: db.execute(
            "INSERT INTO rooms (name) VALUES (?) ON CONFLICT (name) DO UPDATE SET removed = 0", (room,)))

    def remove_room(self, room):
        def work(db):
            db.execute("UPDATE rooms SET removed = 1 WHERE name = ?", (room,))
            db.execute("DELETE FROM messages WHERE room = ?", (room,))
        self._transaction(work)

    # --- Messages ---

    def append(self, room, user, text, client_id=None, mentions=()):
        def work(db):
            if client_id is not None:
                original = self.find(room, client_id, db)
                if original is not None:
                    return original, False
            (message_id,) = db.execute(
                "INSERT INTO rooms (name, last_id) VALUES (?, 1) ON CONFLICT (name) DO UPDATE "
                "SET last_id = last_id + 1 RETURNING last_id", (room,)).fetchone()
            message = Message(room, message_id, int(self._clock() * 1000), user, text, client_id, mentions=tuple(mentions))
            db.execute(f"INSERT INTO messages ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (room, message_id, message.ts, user.id, user.name, int(user.guest), _stored_text(text),
                        client_id, json.dumps(list(mentions)) if mentions else None))
            return message, True
        return self._transaction(work)

    def find(self, room, client_id, db=None):
        query = f"SELECT {READ_COLUMNS} FROM messages WHERE room = ? AND client_id = ?"
        if db is not None:
            row = db.execute(query, (room, client_id)).fetchone()
        else:
            with self._lock:
                row = self._db.execute(query, (room, client_id)).fetchone()
        return _message(row) if row else None

    def before(self, room, before_id, limit):
        with self._lock:
            rows = self._db.execute(
                f"SELECT {READ_COLUMNS} FROM messages WHERE room = ? AND id < ? ORDER BY id DESC LIMIT ?",
                (room, before_id if before_id is not None else 2 ** 62, limit + 1)).fetchall()
        return [_message(row) for row in reversed(rows[:limit])], len(rows) > limit

    def after(self, room, after_id, limit, upto=None):
        with self._lock:
            rows = self._db.execute(
                f"SELECT {READ_COLUMNS} FROM messages WHERE room = ? AND id > ? AND id <= ? ORDER BY id LIMIT ?",
                (room, after_id, upto if upto is not None else 2 ** 62, limit + 1)).fetchall()
        return [_message(row) for row in rows[:limit]], len(rows) > limit

    def last_id(self, room):
        with self._lock:
            row = self._db.execute("SELECT last_id FROM rooms WHERE name = ?", (room,)).fetchone()
        return row[0] if row else 0

    def first_id(self, room):
        with self._lock:
            (first,) = self._db.execute("SELECT MIN(id) FROM messages WHERE room = ?", (room,)).fetchone()
        return first

    def retain(self, per_room, max_age_seconds):
        def work(db):
            deleted = 0
            if per_room:
                deleted += db.execute(
                    "DELETE FROM messages WHERE id <= (SELECT last_id FROM rooms WHERE rooms.name = messages.room) - ?",
                    (per_room,)).rowcount
            if max_age_seconds:
                cutoff = int((self._clock() - max_age_seconds) * 1000)
                deleted += db.execute("DELETE FROM messages WHERE ts < ?", (cutoff,)).rowcount
            return deleted
        return self._transaction(work)
