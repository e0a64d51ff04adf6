"""Edits, deletions and reactions in Redis, for every process: the twin of chat/stores/local/changes.py.

Python reads the message and works out its new state; one Lua script then checks that the
stored message is still exactly what was read, rewrites it in place in ``messages:<room>``
(the sorted set scored by id: the id keeps its place), takes the room's next change number,
keeps the change record and publishes the change on Flask-SocketIO's Redis channel, in one
atomic step: every process receives a room's changes in change order, as appends are
(history.py). If the message changed in between, Python reads it again.

The new JSON is made by Python, never by Lua's cjson, which refuses text that JavaScript
strings may hold (a lone surrogate, half an emoji) and rounds numbers to 14 digits.

Keys, under the prefix: ``change-seq:<room>``, the room's last change number (never goes
back); ``changes:<room>``, a sorted set of change records as JSON, scored by change number,
the newest ``retention`` kept.
"""

import dataclasses
import json

from ...model import ChatError, no_such_message, not_your_message, room_group
from .. import base
from . import PREFIX
from .delivery import queue_message
from .history import _message

CHANGE = """
-- KEYS: messages, change-seq, changes. ARGV: the message id, its JSON as read, its new JSON, the change's
-- payload before and after its change number, the record's start, retention (0: all), the channel ('' for none),
-- the publication before and after the payload.
local stored = redis.call('ZRANGE', KEYS[1], ARGV[1], ARGV[1], 'BYSCORE')
if stored[1] ~= ARGV[2] then return 0 end
local change = redis.call('INCR', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[1], ARGV[1], ARGV[3])
local payload = ARGV[4] .. change .. ARGV[5]
redis.call('ZADD', KEYS[3], change, ARGV[6] .. string.sub(payload, 2))
if tonumber(ARGV[7]) > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', change - tonumber(ARGV[7])) end
if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[8], ARGV[9] .. payload .. ARGV[10]) end
return change
"""

EVENTS = {"edit": "message-edited", "delete": "message-deleted", "reaction": "reaction"}
_CHANGE = "__CHANGE__"  # stands for the change number until the script has taken it
ATTEMPTS = 100  # reads of a message others keep changing before giving up


class RedisChanges(base.Changes):
    """Change stored messages in place in Redis, and publish each change from the same script."""

    def __init__(self, history, emit, room_lock, max_reactions, retention, redis, channel="", prefix=PREFIX):
        """Use ``redis`` (decode_responses=True) and publish on ``channel`` ('' publishes nothing: tests)."""
        super().__init__(history, emit, room_lock, max_reactions, retention)
        self._redis = redis
        self._channel = channel
        self._prefix = prefix
        self._change = redis.register_script(CHANGE)

    def _key(self, kind, room):
        return f"{self._prefix}{kind}:{room}"

    def edit(self, room, message_id, person_id, text, groups=None):
        def work(message):
            if message.user.id != person_id:
                raise not_your_message(message_id)
            edited_at = int(self.history._clock() * 1000)
            return (dataclasses.replace(message, text=text, edited_at=edited_at),
                    {"room": room, "id": message_id, "text": text, "editedAt": edited_at})
        return self._run("edit", room, message_id, work, groups)

    def delete(self, room, message_id, person_id=None, groups=None):
        def work(message):
            if person_id is not None and message.user.id != person_id:
                raise not_your_message(message_id)
            return (dataclasses.replace(message, text="", edited_at=None, deleted=True, reactions=None),
                    {"room": room, "id": message_id})
        return self._run("delete", room, message_id, work, groups)

    def react(self, room, message_id, person_id, emoji, on, groups=None):
        def work(message):
            toggled = self.toggled(message.reactions, person_id, emoji, on)
            if toggled is None:
                return None
            reactions, users = toggled
            return (dataclasses.replace(message, reactions=reactions),
                    {"room": room, "id": message_id, "emoji": emoji, "count": len(users), "users": users})
        return self._run("reaction", room, message_id, work, groups)

    def _run(self, kind, room, message_id, work, groups=None):
        """Read the message, let ``work(message)`` say its new state and payload, and store that if still current.

        The script publishes it to ``groups``, or to the room's group without them.
        """
        event = EVENTS[kind]
        for _ in range(ATTEMPTS):
            stored = self._redis.zrange(self._key("messages", room), message_id, message_id, byscore=True)
            message = _message(stored[0]) if stored else None
            if message is None or message.deleted:
                raise no_such_message(room, message_id)
            changed = work(message)
            if changed is None:
                return None
            new, payload = changed
            before, after = json.dumps({**payload, "change": _CHANGE}).split(json.dumps(_CHANGE))
            around = json.dumps(queue_message(event, _CHANGE, groups or room_group(room))).split(json.dumps(_CHANGE))
            change = self._change(
                keys=[self._key("messages", room), self._key("change-seq", room), self._key("changes", room)],
                args=[message_id, stored[0], json.dumps(new.as_dict()), before, after,
                      '{"event": ' + json.dumps(event) + ", ", self.retention, self._channel,
                      around[0], around[1]])
            if change:
                return {**payload, "change": change}
        raise ChatError("internal", f"message {message_id} kept changing: try again")

    def last_change(self, room):
        return int(self._redis.get(self._key("change-seq", room)) or 0)

    def after(self, room, after_change, upto_id=None, limit=500):
        key = self._key("changes", room)
        oldest = self._redis.zrange(key, 0, 0, withscores=True)
        last = self.last_change(room)
        changes, start = [], after_change
        # Filtered by message id here: read pages of records until more than ``limit`` pass.
        while len(changes) <= limit:
            rows = self._redis.zrange(key, f"({start}", "+inf", byscore=True, offset=0, num=limit + 1)
            for raw in rows:
                record = json.loads(raw)
                start = record["change"]
                if upto_id is None or record["id"] <= upto_id:
                    changes.append(record)
            if len(rows) <= limit:
                break
        lost = after_change < last and (not oldest or int(oldest[0][1]) > after_change + 1)
        return changes[:limit], len(changes) > limit, lost
