"""Chat history in Redis, shared by every server process, delivered in one order.

The twin of ``history.History`` for several processes. One Lua script numbers a message,
stores it, remembers its client id and publishes its delivery on Flask-SocketIO's Redis
channel, all in one atomic step. Redis hands published messages to every subscriber in
the order they were published, so every process (and so every client) receives a room's
messages in id order, whichever process each sender is on.

Keys, under a prefix (default ``chat:``):

- ``history-rooms``: the set of rooms that have a history;
- ``seq:<room>``: the room's last id, which never goes back;
- ``messages:<room>``: a sorted set of the messages as JSON, scored by id;
- ``client-ids:<room>``: a hash from the senders' client ids to message ids.

Redis must keep what it acknowledges: run it with ``appendonly yes`` and
``appendfsync always`` (see the README), or an acknowledged message can be lost when
Redis itself dies.
"""

import json
import time

from .history import Message
from .presence import Member
from .shared_state import decoding_client

# The host id of the publisher: no server process has it, so every process, the sender's
# included, delivers these messages when they come back from Redis.
PUBLISHER = "chat-history"

APPEND = """
-- KEYS: seq, messages, client-ids. ARGV: client id ('' for none), the message JSON before and
-- after its id, the channel, the delivery JSON before and after the message, a second delivery.
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
redis.call('PUBLISH', ARGV[4], ARGV[5] .. message .. ARGV[6])
if ARGV[7] ~= '' then redis.call('PUBLISH', ARGV[4], ARGV[7]) end
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
    return Message(data["room"], data["id"], data["ts"], Member(**data["user"]), data["text"], data.get("clientId"))


def _emit(event, data, room):
    """Return the JSON of a Flask-SocketIO queue message that emits ``event`` to ``room``."""
    return json.dumps({"method": "emit", "event": event, "data": [data], "binary": False, "namespace": "/",
                       "room": room, "skip_sid": None, "callback": None, "host_id": PUBLISHER})


class RedisHistory:
    """Every room's messages, numbered 1, 2, 3, ... per room, stored and published in one step."""

    publishes = True  # append() delivers the message too; the caller must not emit it again

    def __init__(self, redis, channel, prefix="chat:", clock=time.time):
        """Use ``redis``, a client made with decode_responses=True, and Flask-SocketIO's ``channel``."""
        self._redis = decoding_client(redis)
        self._channel = channel
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
        """Record that ``room`` exists."""
        self._redis.sadd(self._key("history-rooms"), room)

    def remove_room(self, room):
        """Forget ``room`` and its messages; its numbering carries on if it is made again."""
        pipe = self._redis.pipeline()
        pipe.srem(self._key("history-rooms"), room)
        pipe.delete(self._key("messages", room), self._key("client-ids", room))
        pipe.execute()

    # --- Messages ---

    def append(self, room, user, text, client_id=None, seed_channel=None):
        """Store a message and publish its delivery; return (message, True), or (original, False) for a resend.

        The delivery is ``room-message`` to the Socket.IO room ``room:<room>`` and, with a
        ``seed_channel``, the bare text as ``message`` to that Socket.IO room too.
        """
        fields = {"room": room, "ts": int(self._clock() * 1000), "user": user.as_dict(), "text": text}
        if client_id is not None:
            fields["clientId"] = client_id
        rest = json.dumps(fields)
        delivery = _emit("room-message", "__MESSAGE__", f"room:{room}").split('"__MESSAGE__"')
        new, raw = self._append(
            keys=[self._key("seq", room), self._key("messages", room), self._key("client-ids", room)],
            args=[client_id or "", '{"id": ', ", " + rest[1:], self._channel, delivery[0], delivery[1],
                  _emit("message", text, seed_channel) if seed_channel else ""])
        return _message(raw), bool(new)

    def find(self, room, client_id):
        """Return the stored message with the sender's ``client_id`` in ``room``, or None."""
        known = self._redis.hget(self._key("client-ids", room), client_id)
        if known is None:
            return None
        stored = self._redis.zrange(self._key("messages", room), int(known), int(known), byscore=True)
        return _message(stored[0]) if stored else None

    def latest(self, room, limit, upto=None):
        """Return the last ``limit`` messages of ``room`` (up to id ``upto``), oldest first, and whether older exist."""
        return self.before(room, None if upto is None else upto + 1, limit)

    def before(self, room, before_id, limit):
        """Return up to ``limit`` messages of ``room`` older than ``before_id``, oldest first, and whether more exist."""
        top = "+inf" if before_id is None else f"({before_id}"
        rows = self._redis.zrange(self._key("messages", room), top, "-inf", desc=True, byscore=True,
                                  offset=0, num=limit + 1)
        return [_message(row) for row in reversed(rows[:limit])], len(rows) > limit

    def after(self, room, after_id, limit, upto=None):
        """Return up to ``limit`` messages of ``room`` newer than ``after_id`` (up to ``upto``), oldest first."""
        rows = self._redis.zrange(self._key("messages", room), f"({after_id}", "+inf" if upto is None else upto,
                                  byscore=True, offset=0, num=limit + 1)
        return [_message(row) for row in rows[:limit]], len(rows) > limit

    def last_id(self, room):
        """Return the id of ``room``'s newest message ever, 0 if none."""
        return int(self._redis.get(self._key("seq", room)) or 0)

    def first_id(self, room):
        """Return the id of ``room``'s oldest stored message, or None."""
        first = self._redis.zrange(self._key("messages", room), 0, 0, withscores=True)
        return int(first[0][1]) if first else None

    def retain(self, per_room, max_age_seconds):
        """Delete messages beyond the newest ``per_room`` of each room or older than ``max_age_seconds``."""
        cutoff = int((self._clock() - max_age_seconds) * 1000) if max_age_seconds else 0
        deleted = 0
        for room in self.rooms():
            highest = self.last_id(room) - per_room if per_room else -1
            deleted += self._trim(keys=[self._key("messages", room), self._key("client-ids", room)],
                                  args=[highest, cutoff])
        return deleted
