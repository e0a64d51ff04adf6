"""Read markers, memberships and mentions in Redis, shared by every process: the twin of chat/stores/local/reads.py.

Keys, under a prefix (default ``chat:``):

- ``reads:<room>``: a sorted set of person ids scored by the id each has read up to;
- ``readers:<room>``: a hash from person id to the reader as JSON, for "seen by" (absent
  for a marker set by ``start``: that person never read anything there themselves);
- ``belongs:<person>``: the set of rooms the person belongs to;
- ``belonging:<room>``: the set of people who belong to the room, to forget them with it;
- ``mentions:<room>:<person>``: a sorted set of the ids of the room's messages that
  mention the person, scored by id;
- ``mentioned:<room>``: the set of people mentioned in the room, to forget them with it.
"""

import json

from ...model import Member
from .. import base
from . import PREFIX, decoding_client

MARK = """
-- KEYS: reads, readers. ARGV: person id, the new marker, the reader as JSON.
-- Only forward: return the previous marker (0 if none), or -1 if it did not move.
local previous = tonumber(redis.call('ZSCORE', KEYS[1], ARGV[1]) or '0')
if tonumber(ARGV[2]) <= previous then return -1 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
return previous
"""


class RedisReads(base.Reads):
    """Read markers, memberships and mentions in Redis, one atomic step per change."""

    def __init__(self, redis, prefix=PREFIX):
        """Use ``redis``, a client made with decode_responses=True."""
        self._redis = decoding_client(redis)
        self._prefix = prefix
        self._mark = redis.register_script(MARK)

    def _key(self, *parts):
        return self._prefix + ":".join(parts)

    def mark(self, member, room, upto):
        previous = self._mark(keys=[self._key("reads", room), self._key("readers", room)],
                              args=[member.id, upto, json.dumps(member.as_dict())])
        return None if previous < 0 else previous

    def start(self, person_id, room, upto):
        self._redis.zadd(self._key("reads", room), {person_id: upto}, nx=True)

    def marker(self, person_id, room):
        return int(self._redis.zscore(self._key("reads", room), person_id) or 0)

    def readers(self, room, message_id, limit):
        people = []
        offset = 0
        # Markers set by start() have no reader entry: skip them, page by page.
        while len(people) <= limit:
            ids = self._redis.zrange(self._key("reads", room), message_id, "+inf", byscore=True,
                                     offset=offset, num=limit + 1)
            if not ids:
                break
            offset += len(ids)
            for raw in self._redis.hmget(self._key("readers", room), ids):
                if raw is not None:
                    people.append(Member(**json.loads(raw)))
        return people[:limit], len(people) > limit

    def mention(self, room, message_id, person_ids):
        pipe = self._redis.pipeline()
        for person in person_ids:
            pipe.zadd(self._key("mentions", room, person), {str(message_id): message_id})
            pipe.sadd(self._key("mentioned", room), person)
        pipe.execute()

    def mentions_after(self, person_id, room, after_id):
        return self._redis.zcount(self._key("mentions", room, person_id), f"({after_id}", "+inf")

    def join(self, person_id, room):
        pipe = self._redis.pipeline()
        pipe.sadd(self._key("belongs", person_id), room)
        pipe.sadd(self._key("belonging", room), person_id)
        pipe.execute()

    def leave(self, person_id, room):
        pipe = self._redis.pipeline()
        pipe.srem(self._key("belongs", person_id), room)
        pipe.srem(self._key("belonging", room), person_id)
        pipe.execute()

    def belongs(self, person_id):
        return sorted(self._redis.smembers(self._key("belongs", person_id)))

    def remove_room(self, room):
        people = self._redis.smembers(self._key("belonging", room))
        mentioned = self._redis.smembers(self._key("mentioned", room))
        pipe = self._redis.pipeline()
        for person in people:
            pipe.srem(self._key("belongs", person), room)
        pipe.delete(self._key("reads", room), self._key("readers", room), self._key("belonging", room),
                    self._key("mentioned", room), *(self._key("mentions", room, person) for person in mentioned))
        pipe.execute()
