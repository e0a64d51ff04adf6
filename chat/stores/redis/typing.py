"""Who is typing where, for every process sharing one Redis server: the twin of chat/stores/local/typing.py."""

import json
import time

from redis import Redis

from ...model import Member
from .. import base
from . import PREFIX, decoding_client

END_TYPING = """
-- End the typing states due by ARGV[2]. ARGV: prefix, now. Return {field, typist JSON} pairs.
local states, typists = ARGV[1] .. 'typing', ARGV[1] .. 'typists'
local ended = {}
for _, field in ipairs(redis.call('ZRANGEBYSCORE', states, '-inf', ARGV[2])) do
  table.insert(ended, {field, redis.call('HGET', typists, field)})
  redis.call('ZREM', states, field)
  redis.call('HDEL', typists, field)
end
return ended
"""


class RedisTyping(base.Typing):
    """Typing states per (room, person) for every process, each ending ``timeout`` seconds after its last renewal."""

    def __init__(self, redis: Redis, timeout: float, clock: base.Clock = time.time, prefix: str = PREFIX) -> None:
        self._redis = decoding_client(redis)
        self.timeout = timeout
        self.prefix = prefix
        self._clock = clock
        self._states = prefix + "typing"
        self._typists = prefix + "typists"
        self._end = redis.register_script(END_TYPING)

    def start(self, room: str, member: Member) -> bool:
        field = json.dumps([room, member.id])
        added: int  # ZADD: how many fields were new
        with self._redis.pipeline() as transaction:
            transaction.zadd(self._states, {field: self._clock() + self.timeout})
            transaction.hset(self._typists, field, json.dumps(member.as_dict()))
            added, _ = transaction.execute()
        return added == 1

    def stop(self, room: str, person_id: str) -> bool:
        field = json.dumps([room, person_id])
        removed: int  # ZREM: how many fields went
        with self._redis.pipeline() as transaction:
            transaction.zrem(self._states, field)
            transaction.hdel(self._typists, field)
            removed, _ = transaction.execute()
        return removed == 1

    def expire(self) -> list[base.Departure]:
        ended = self._end(args=[self.prefix, self._clock()])
        return [(json.loads(field)[0], Member(**json.loads(typist))) for field, typist in ended]
