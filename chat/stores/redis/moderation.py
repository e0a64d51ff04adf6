"""Room owners, bans, mutes and the moderation record in Redis, shared by every process: the twin
of chat/stores/local/moderation.py.

Keys, under a prefix (default ``chat:``):

- ``owners``: a hash from room to its owner's person id;
- ``ban:<room>``, ``mute:<room>``: sorted sets of person ids scored by the Unix time their
  ban or mute ends;
- ``moderation:<room>``: a list of the room's recorded actions as JSON, newest last.
"""

import json

from .. import base
from . import PREFIX, decoding_client


class RedisModeration(base.Moderation):
    """Owners, bans, mutes and the moderation record in Redis."""

    def __init__(self, redis, keep=1000, wall_clock=None, prefix=PREFIX):
        """Use ``redis``, a client made with decode_responses=True."""
        super().__init__(keep, wall_clock)
        self._redis = decoding_client(redis)
        self._prefix = prefix

    def _key(self, *parts):
        return self._prefix + ":".join(parts)

    def set_owner(self, room, person_id):
        self._redis.hset(self._key("owners"), room, person_id)

    def owner(self, room):
        return self._redis.hget(self._key("owners"), room)

    def restrict(self, kind, room, person_id, until):
        key = self._key(kind, room)
        with self._redis.pipeline() as pipe:
            pipe.zremrangebyscore(key, "-inf", self.wall_clock())  # ended ones, so the set stays small
            pipe.zadd(key, {person_id: float(until)})
            pipe.execute()

    def lift(self, kind, room, person_id):
        key = self._key(kind, room)
        with self._redis.pipeline() as pipe:
            pipe.zscore(key, person_id)
            pipe.zrem(key, person_id)
            until, _ = pipe.execute()
        return until is not None and until > self.wall_clock()

    def until(self, kind, room, person_id):
        until = self._redis.zscore(self._key(kind, room), person_id)
        return until if until is not None and until > self.wall_clock() else None

    def record(self, room, action):
        key = self._key("moderation", room)
        with self._redis.pipeline() as pipe:
            pipe.rpush(key, json.dumps(action))
            if self.keep:
                pipe.ltrim(key, -self.keep, -1)
            pipe.execute()

    def log(self, room, limit=100):
        return [json.loads(action) for action in self._redis.lrange(self._key("moderation", room), -limit, -1)]

    def remove_room(self, room):
        with self._redis.pipeline() as pipe:
            pipe.hdel(self._key("owners"), room)
            pipe.delete(*(self._key(kind, room) for kind in self.KINDS))
            pipe.execute()
