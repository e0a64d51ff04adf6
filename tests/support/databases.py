"""Databases as older releases left them, for the tests that open them with today's stores."""

import sqlite3

FIRST_SCHEMA = """
    CREATE TABLE rooms (name TEXT PRIMARY KEY, last_id INTEGER NOT NULL DEFAULT 0,
                        removed INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;
    CREATE TABLE messages (room TEXT NOT NULL, id INTEGER NOT NULL, ts INTEGER NOT NULL, user_id TEXT NOT NULL,
                           user_name TEXT NOT NULL, user_guest INTEGER NOT NULL, text TEXT NOT NULL,
                           client_id TEXT, PRIMARY KEY (room, id)) WITHOUT ROWID;
"""


def first_release_history(path, ts):
    """Write at ``path`` a history of the first schema, before edits, reactions and mentions, with one message.

    The message is Alice's (person "p1") "old", id 1 of room "a", sent at ``ts``.
    """
    db = sqlite3.connect(path)
    db.executescript(FIRST_SCHEMA + "INSERT INTO rooms VALUES ('a', 1, 0);"
                     f"INSERT INTO messages VALUES ('a', 1, {int(ts)}, 'p1', 'Alice', 0, 'old', NULL);")
    db.close()
    return path
