"""Direct messages for every process sharing one Redis server: the twin of chat/stores/local/dms.py.

Keys, under the prefix ("chat:" unless given):

  dm:<dm id>             str   its two person ids as a JSON array, sorted
  dms:<person id>        hash  dm id -> the other person as JSON: the person's direct messages
  dm-seen:<person id>    str   the person as JSON, while online with the full protocol (no expiry),
                               and for ``seen_seconds`` after their last connection ended
"""

import json
import math
import time

from ...model import Member, too_many_dms
from .. import base
from . import PREFIX, decoding_client

OPEN = """
-- KEYS: dms:<opener>, dms:<other>, dm:<dm id>. ARGV: dm id, the other as JSON, the opener as JSON, per_person,
-- the two person ids as JSON.
-- Return 1 if new, 0 if known, -1 if the opener has per_person already.
local known = redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1
if not known and redis.call('HLEN', KEYS[1]) >= tonumber(ARGV[4]) then return -1 end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('SET', KEYS[3], ARGV[5])
if known then return 0 end
return 1
"""


class RedisDirectMessages(base.DirectMessages):
    """Direct messages and their two people, for every process."""

    def __init__(self, redis, per_person, seen_seconds, clock=time.time, prefix=PREFIX):
        """Use ``redis``, a client made with decode_responses=True."""
        self._redis = decoding_client(redis)
        self.per_person = per_person
        self.seen_seconds = seen_seconds
        self._clock = clock
        self._prefix = prefix
        self._open = redis.register_script(OPEN)
        # A dm id's two people are written once, when it is opened, and never change: kept once read.
        self._pairs = {}

    def close(self):
        """Let go of the connection."""
        self._redis.close()

    def _key(self, kind, person_id):
        return f"{self._prefix}{kind}:{person_id}"

    def open(self, dm, opener, other):
        pair = sorted((opener.id, other.id))
        result = self._open(keys=[self._key("dms", opener.id), self._key("dms", other.id), self._key("dm", dm)],
                            args=[dm, json.dumps(other.as_dict()), json.dumps(opener.as_dict()), self.per_person,
                                  json.dumps(pair)])
        if result < 0:
            raise too_many_dms(self.per_person)
        return bool(result)

    def people(self, dm):
        if dm not in self._pairs:
            raw = self._redis.get(self._key("dm", dm))
            if raw is None:
                return None
            self._pairs[dm] = tuple(json.loads(raw))
        return self._pairs[dm]

    def of_person(self, person_id):
        found = self._redis.hgetall(self._key("dms", person_id))
        return [(dm, Member(**json.loads(other))) for dm, other in sorted(found.items())]

    def arrived(self, member):
        self._redis.set(self._key("dm-seen", member.id), json.dumps(member.as_dict()))

    def went(self, member):
        if not self.seen_seconds:
            self._redis.delete(self._key("dm-seen", member.id))
            return
        self._redis.set(self._key("dm-seen", member.id), json.dumps(member.as_dict()),
                        ex=max(1, math.ceil(self.seen_seconds)))

    def seen(self, person_id):
        raw = self._redis.get(self._key("dm-seen", person_id))
        return Member(**json.loads(raw)) if raw else None
