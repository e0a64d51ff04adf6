"""Edits, deletions and reactions in one process: the message rewritten in SQLite, numbered, emitted.

Each change runs in one transaction of the history's database (the message, the room's
change number and the change record together) and is emitted under the room's delivery
lock, so every connection receives a room's messages and changes in the order they happened.
"""

import json

from ...model import no_such_message, not_your_message, room_group
from .. import base
from .history import _stored_text

EVENTS = {"edit": "message-edited", "delete": "message-deleted", "reaction": "reaction"}


class LocalChanges(base.Changes):
    """Change stored messages in place, in the local history's SQLite database."""

    def edit(self, room, message_id, person_id, text, groups=None):
        def work(db, row):
            _, user_id, _, _ = row
            if user_id != person_id:
                raise not_your_message(message_id)
            edited_at = int(self.history._clock() * 1000)
            db.execute("UPDATE messages SET text = ?, edited_at = ? WHERE room = ? AND id = ?",
                       (_stored_text(text), edited_at, room, message_id))
            return {"room": room, "id": message_id, "text": text, "editedAt": edited_at}
        return self._change("edit", room, message_id, work, groups)

    def delete(self, room, message_id, person_id=None, groups=None):
        def work(db, row):
            _, user_id, _, _ = row
            if person_id is not None and user_id != person_id:
                raise not_your_message(message_id)
            db.execute("UPDATE messages SET text = '', deleted = 1, reactions = NULL, edited_at = NULL "
                       "WHERE room = ? AND id = ?", (room, message_id))
            return {"room": room, "id": message_id}
        return self._change("delete", room, message_id, work, groups)

    def react(self, room, message_id, person_id, emoji, on, groups=None):
        def work(db, row):
            toggled = self.toggled(json.loads(row[3]) if row[3] else None, person_id, emoji, on)
            if toggled is None:
                return None
            reactions, users = toggled
            db.execute("UPDATE messages SET reactions = ? WHERE room = ? AND id = ?",
                       (json.dumps(reactions) if reactions else None, room, message_id))
            return {"room": room, "id": message_id, "emoji": emoji, "count": len(users), "users": users}
        return self._change("reaction", room, message_id, work, groups)

    def _change(self, kind, room, message_id, work, groups=None):
        """Run ``work(db, row)`` on the message in one transaction; number, record and emit what it returns.

        It is emitted to ``groups``, or to the room's group without them.
        """
        def transaction(db):
            row = db.execute("SELECT id, user_id, deleted, reactions FROM messages WHERE room = ? AND id = ?",
                             (room, message_id)).fetchone()
            if row is None or row[2]:
                raise no_such_message(room, message_id)
            payload = work(db, row)
            if payload is None:
                return None
            (change,) = db.execute(
                "INSERT INTO change_seq (room, last_change) VALUES (?, 1) ON CONFLICT (room) DO UPDATE "
                "SET last_change = last_change + 1 RETURNING last_change", (room,)).fetchone()
            payload["change"] = change
            db.execute("INSERT INTO changes (room, change, id, record) VALUES (?, ?, ?, ?)",
                       (room, change, message_id, json.dumps({"event": EVENTS[kind], **payload})))
            if self.retention:
                db.execute("DELETE FROM changes WHERE room = ? AND change <= ?", (room, change - self.retention))
            return payload

        with self.room_lock(room):
            payload = self.history._transaction(transaction)
            if payload is not None:
                self._emit(EVENTS[kind], payload, to=groups or room_group(room))
            return payload

    def last_change(self, room):
        with self.history._lock:
            row = self.history._db.execute("SELECT last_change FROM change_seq WHERE room = ?", (room,)).fetchone()
        return row[0] if row else 0

    def after(self, room, after_change, upto_id=None, limit=500):
        with self.history._lock:
            db = self.history._db
            (oldest,) = db.execute("SELECT MIN(change) FROM changes WHERE room = ?", (room,)).fetchone()
            last = db.execute("SELECT last_change FROM change_seq WHERE room = ?", (room,)).fetchone()
            rows = db.execute("SELECT record FROM changes WHERE room = ? AND change > ? AND id <= ? "
                              "ORDER BY change LIMIT ?",
                              (room, after_change, upto_id if upto_id is not None else 2 ** 62, limit + 1)).fetchall()
        last = last[0] if last else 0
        lost = after_change < last and (oldest is None or oldest > after_change + 1)
        return [json.loads(record) for (record,) in rows[:limit]], len(rows) > limit, lost
