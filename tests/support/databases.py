"""Databases as older releases left them, for the tests that open them with today's stores."""

import sqlite3

from chat.model import Member

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
    db.executescript(
        FIRST_SCHEMA + "INSERT INTO rooms VALUES ('a', 1, 0);"
        f"INSERT INTO messages VALUES ('a', 1, {int(ts)}, 'p1', 'Alice', 0, 'old', NULL);"
    )
    db.close()
    return path


# The schema the last release before the SQL stores left (its chat/stores/local/*.py, CREATE
# TABLE IF NOT EXISTS and ALTER TABLE ADD COLUMN): every table in one file.
LAST_HAND_WRITTEN_SCHEMA = (
    FIRST_SCHEMA
    + """
    ALTER TABLE messages ADD COLUMN edited_at INTEGER;
    ALTER TABLE messages ADD COLUMN deleted INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE messages ADD COLUMN reactions TEXT;
    ALTER TABLE messages ADD COLUMN mentions TEXT;
    CREATE UNIQUE INDEX messages_by_client_id ON messages (room, client_id) WHERE client_id IS NOT NULL;
    CREATE INDEX messages_by_time ON messages (ts);
    CREATE TABLE change_seq (room TEXT PRIMARY KEY, last_change INTEGER NOT NULL) WITHOUT ROWID;
    CREATE TABLE changes (room TEXT NOT NULL, change INTEGER NOT NULL, id INTEGER NOT NULL, record TEXT NOT NULL,
                          PRIMARY KEY (room, change)) WITHOUT ROWID;
    CREATE TABLE dm_people (person TEXT NOT NULL, dm TEXT NOT NULL, other_id TEXT NOT NULL, other_name TEXT NOT NULL,
                            other_guest INTEGER NOT NULL, PRIMARY KEY (person, dm)) WITHOUT ROWID;
    CREATE INDEX dm_people_by_dm ON dm_people (dm);
    CREATE TABLE read_markers (person TEXT NOT NULL, room TEXT NOT NULL, upto INTEGER NOT NULL, name TEXT NOT NULL,
                               guest INTEGER NOT NULL, PRIMARY KEY (person, room)) WITHOUT ROWID;
    CREATE INDEX read_markers_by_room ON read_markers (room, upto);
    CREATE TABLE memberships (person TEXT NOT NULL, room TEXT NOT NULL, PRIMARY KEY (person, room)) WITHOUT ROWID;
    CREATE INDEX memberships_by_room ON memberships (room);
    CREATE TABLE mentions (room TEXT NOT NULL, person TEXT NOT NULL, id INTEGER NOT NULL,
                           PRIMARY KEY (room, person, id)) WITHOUT ROWID;
    CREATE TABLE room_owners (room TEXT PRIMARY KEY, person TEXT NOT NULL) WITHOUT ROWID;
    CREATE TABLE restrictions (kind TEXT NOT NULL, room TEXT NOT NULL, person TEXT NOT NULL, until REAL NOT NULL,
                               PRIMARY KEY (kind, room, person)) WITHOUT ROWID;
    CREATE TABLE moderation_log (n INTEGER PRIMARY KEY AUTOINCREMENT, room TEXT NOT NULL, action TEXT NOT NULL);
    CREATE INDEX moderation_log_by_room ON moderation_log (room, n);
"""
)


def last_hand_written_release(path, ts):
    """Write at ``path`` a database of the last hand-written schema, as that release's stores wrote it.

    Room "a" has Alice's (p1) "plain" (clientId "c1", edited, reacted to by p2), a text with a
    lone surrogate (kept as a BLOB, as that release did) mentioning p2, and a deleted message;
    room "a" has had change 1; a DM "dm:1" of p1 and Bob (p2, guest); p2 has read up to 2 in
    "a" and belongs to it; "a" is owned by p1, who banned p2 until ``ts`` / 1000 + 3600.
    """
    db = sqlite3.connect(path)
    db.executescript(LAST_HAND_WRITTEN_SCHEMA)
    ms = int(ts)
    db.execute("INSERT INTO rooms VALUES ('a', 3, 0)")
    db.execute("INSERT INTO rooms VALUES ('dm:1', 1, 0)")
    rows = [
        ("a", 1, ms, "p1", "Alice", 0, "plain", "c1", ms + 5, 0, '{"\\ud83d\\udc4d": ["p2"]}', None),
        ("a", 2, ms, "p1", "Alice", 0, "half \ud83d".encode("utf-8", "surrogatepass"), None, None, 0, None, '["p2"]'),
        ("a", 3, ms, "p1", "Alice", 0, "", None, None, 1, None, None),
        ("dm:1", 1, ms, "p1", "Alice", 0, "just us", "c1", None, 0, None, None),
    ]
    db.executemany(
        "INSERT INTO messages (room, id, ts, user_id, user_name, user_guest, text, client_id, edited_at, "
        "deleted, reactions, mentions) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        rows,
    )
    db.execute("INSERT INTO change_seq VALUES ('a', 1)")
    db.execute(
        "INSERT INTO changes VALUES ('a', 1, 1, ?)",
        ('{"event": "message-edited", "room": "a", "id": 1, "text": "plain", "change": 1}',),
    )
    db.execute("INSERT INTO dm_people VALUES ('p1', 'dm:1', 'p2', 'Bob', 1)")
    db.execute("INSERT INTO dm_people VALUES ('p2', 'dm:1', 'p1', 'Alice', 0)")
    db.execute("INSERT INTO read_markers VALUES ('p2', 'a', 2, 'Bob', 1)")
    db.execute("INSERT INTO memberships VALUES ('p2', 'a')")
    db.execute("INSERT INTO mentions VALUES ('a', 'p2', 2)")
    db.execute("INSERT INTO room_owners VALUES ('a', 'p1')")
    db.execute("INSERT INTO restrictions VALUES ('ban', 'a', 'p2', ?)", (ts / 1000 + 3600,))
    db.execute("INSERT INTO moderation_log (room, action) VALUES ('a', '{\"action\": \"ban\"}')")
    db.commit()
    db.close()
    return path


# Each issue's landing commit writes a database with write_release_data, kept in tests/data/
# as release-<tag>.sqlite3; the next releases open it with their stores (tests/unit/test_migrations.py).
RELEASE_TEXTS = ["plain", "lone \ud83d surrogate", "nul \x00 inside", "é😀"]


def write_release_data(stores):
    """Write with ``stores`` one of everything durable: messages, a change, a reaction, a DM, markers, moderation."""
    alice, bob = Member("p1", "Alice"), Member("p2", "Bob", True)
    history = stores.history
    history.add_room("a")
    for number, text in enumerate(RELEASE_TEXTS, 1):
        history.append("a", alice, text, f"c{number}", ("p2",) if number == 1 else ())
    stores.reads.mention("a", 1, ["p2"])
    stores.changes.edit("a", 1, "p1", "plain, edited")
    stores.changes.react("a", 2, "p2", "👍", True)
    stores.dms.open("dm:1", alice, bob)
    history.append("dm:1", alice, "just us")
    stores.reads.join("p2", "a")
    stores.reads.mark(bob, "a", 2)
    stores.moderation.set_owner("a", "p1")
    stores.moderation.restrict("ban", "a", "p3", 2_000_000_000)
    stores.moderation.record("a", {"action": "ban", "person": "p3"})
