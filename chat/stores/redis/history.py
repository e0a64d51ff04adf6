"""Chat history in Redis, shared by every server process: the twin of chat/stores/local/history.py.

One Lua script numbers a message, stores it and remembers its client id in one atomic
step; for the Redis delivery (delivery.py) the same step also puts the message on
Flask-SocketIO's Redis channel, so every process receives a room's messages in id order.

Keys, under a prefix (default ``chat:``):

- ``history-rooms``: the set of rooms that have a history;
- ``message-rooms``: the set of rooms messages were stored in, whether recorded or not, for retention;
- ``seq:<room>``: the room's last id, which never goes back;
- ``messages:<room>``: a sorted set of the messages as JSON, scored by id;
- ``client-ids:<room>``: a hash from the senders' client ids to message ids.

Redis must keep what it acknowledges: run it with ``appendonly yes`` and
``appendfsync always`` (see the README), or an acknowledged message can be lost when
Redis itself dies.
"""

import json
import time

from ...model import Member, Message
from .. import base
from . import PREFIX, decoding_client

APPEND = """
-- KEYS: seq, messages, client-ids, message-rooms. ARGV: client id ('' for none), the message JSON
-- before and after its id, the room; then, to publish it, the channel ('' for none), the publication before and
-- after the message JSON, and a second publication ('' for none).
if ARGV[1] ~= '' then
  local known = redis.call('HGET', KEYS[3], ARGV[1])
  if known then
    local stored = redis.call('ZRANGE', KEYS[2], known, known, 'BYSCORE')
    if stored[1] then return {0, stored[1]} end
  end
end
local id = redis.call('INCR', KEYS[1])
local message = ARGV[2] .. id .. ARGV[3]
redis.call('ZADD', KEYS[2], id, message)
if ARGV[1] ~= '' then redis.call('HSET', KEYS[3], ARGV[1], id) end
redis.call('SADD', KEYS[4], ARGV[4])
if ARGV[5] ~= '' then
  redis.call('PUBLISH', ARGV[5], ARGV[6] .. message .. ARGV[7])
  if ARGV[8] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[8]) end
end
return {1, message}
"""

TRIM = """
-- KEYS: messages, client-ids. ARGV: the highest id to delete (or -1), the oldest ts to keep (or 0).
local gone = {}
if tonumber(ARGV[1]) >= 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE')) do table.insert(gone, m) end
end
if tonumber(ARGV[2]) > 0 then
  for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
    local decoded = cjson.decode(m)
    if decoded.ts >= tonumber(ARGV[2]) then break end
    table.insert(gone, m)
  end
end
for _, m in ipairs(gone) do
  if redis.call('ZREM', KEYS[1], m) == 1 then
    local client_id = cjson.decode(m).clientId
    if client_id then redis.call('HDEL', KEYS[2], client_id) end
  end
end
return #gone
"""


def _message(raw):
    data = json.loads(raw)
    return Message(data["room"], data["id"], data["ts"], Member(**data["user"]), data["text"], data.get("clientId"),
                   edited_at=data.get("editedAt"), deleted=bool(data.get("deleted")),
                   reactions=data.get("reactions") or None, mentions=tuple(data.get("mentions", ())))


class RedisHistory(base.History):
    """Every room's messages, numbered 1, 2, 3, ... per room and stored in one step, for every process."""

    def __init__(self, redis, prefix=PREFIX, clock=time.time):
        """Use ``redis``, a client made with decode_responses=True."""
        self._redis = decoding_client(redis)
        self._prefix = prefix
        self._clock = clock
        self._append = redis.register_script(APPEND)
        self._trim = redis.register_script(TRIM)

    def _key(self, kind, room=None):
        return f"{self._prefix}{kind}" if room is None else f"{self._prefix}{kind}:{room}"

    def close(self):
        self._redis.close()

    def check(self):
        """Return None if Redis answers, else what is wrong with it."""
        try:
            self._redis.ping()
        except Exception as error:  # any failure of the connection makes the process unusable
            return f"redis: {error}"
        return None

    # --- Rooms ---

    def rooms(self):
        """Return the names of the rooms that have a history."""
        return sorted(self._redis.smembers(self._key("history-rooms")))

    def add_room(self, room):
        self._redis.sadd(self._key("history-rooms"), room)

    def remove_room(self, room):
        pipe = self._redis.pipeline()
        pipe.srem(self._key("history-rooms"), room)
        pipe.srem(self._key("message-rooms"), room)
        pipe.delete(self._key("messages", room), self._key("client-ids", room))
        pipe.execute()

    # --- Messages ---

    def append(self, room, user, text, client_id=None, mentions=()):
        return self.append_and_publish(room, user, text, client_id, mentions=mentions)

    def append_and_publish(self, room, user, text, client_id=None, channel="", around=("", ""), also="", mentions=()):
        """Store a message as ``append`` does and, in the same atomic step, publish it on ``channel``.

        The publication is ``around[0]``, the message's JSON, ``around[1]``, followed by
        ``also`` unless empty; a resend of a stored ``client_id`` is not published again. This
        is RedisDelivery.post's, which builds the publications.
        """
        fields = {"room": room, "ts": int(self._clock() * 1000), "user": user.as_dict(), "text": text}
        if client_id is not None:
            fields["clientId"] = client_id
        if mentions:
            fields["mentions"] = list(mentions)
        rest = json.dumps(fields)
        new, raw = self._append(
            keys=[self._key("seq", room), self._key("messages", room), self._key("client-ids", room),
                  self._key("message-rooms")],
            args=[client_id or "", '{"id": ', ", " + rest[1:], room, channel, around[0], around[1], also])
        return _message(raw), bool(new)

    def find(self, room, client_id):
        known = self._redis.hget(self._key("client-ids", room), client_id)
        if known is None:
            return None
        stored = self._redis.zrange(self._key("messages", room), int(known), int(known), byscore=True)
        return _message(stored[0]) if stored else None

    def before(self, room, before_id, limit):
        top = "+inf" if before_id is None else f"({before_id}"
        rows = self._redis.zrange(self._key("messages", room), top, "-inf", desc=True, byscore=True,
                                  offset=0, num=limit + 1)
        return [_message(row) for row in reversed(rows[:limit])], len(rows) > limit

    def after(self, room, after_id, limit, upto=None):
        rows = self._redis.zrange(self._key("messages", room), f"({after_id}", "+inf" if upto is None else upto,
                                  byscore=True, offset=0, num=limit + 1)
        return [_message(row) for row in rows[:limit]], len(rows) > limit

    def last_id(self, room):
        return int(self._redis.get(self._key("seq", room)) or 0)

    def first_id(self, room):
        first = self._redis.zrange(self._key("messages", room), 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    def retain(self, per_room, max_age_seconds):
        cutoff = int((self._clock() - max_age_seconds) * 1000) if max_age_seconds else 0
        deleted = 0
        # Every room with messages: one written to after another process removed it has no record.
        for room in self._redis.sunion(self._key("history-rooms"), self._key("message-rooms")):
            highest = self.last_id(room) - per_room if per_room else -1
            deleted += self._trim(keys=[self._key("messages", room), self._key("client-ids", room)],
                                  args=[highest, cutoff])
        return deleted
