"""When people were last seen, for every process sharing one Redis server: the live half of direct messages.

The conversations themselves are durable, in the SQL database (chat/stores/sql/dms.py).

Keys, under the prefix ("chat:" unless given):

  dm-seen:<person id>    str   the person as JSON, while online with the full protocol (no expiry),
                               and for ``seen_seconds`` after their last connection ended
"""

import json
import math

from redis import Redis

from ...model import Member
from . import PREFIX, decoding_client


class RedisLastSeen:
    """People online with the full protocol, and those gone for at most ``seen_seconds``, for every process."""

    def __init__(self, redis: Redis, seen_seconds: float, prefix: str = PREFIX) -> None:
        """Use ``redis``, a client made with decode_responses=True."""
        self._redis = decoding_client(redis)
        self.seen_seconds = seen_seconds
        self._prefix = prefix

    def _key(self, person_id: str) -> str:
        return f"{self._prefix}dm-seen:{person_id}"

    def arrived(self, member: Member) -> None:
        """Record that ``member`` is online with the full protocol."""
        self._redis.set(self._key(member.id), json.dumps(member.as_dict()))

    def went(self, member: Member) -> None:
        """Record that ``member``'s last connection ended now; Redis forgets them after ``seen_seconds``."""
        if not self.seen_seconds:
            self._redis.delete(self._key(member.id))
            return
        self._redis.set(self._key(member.id), json.dumps(member.as_dict()), ex=max(1, math.ceil(self.seen_seconds)))

    def seen(self, person_id: str) -> Member | None:
        """Return the person as last seen, if online or gone for at most ``seen_seconds``; else None."""
        raw = self._redis.get(self._key(person_id))
        return Member(**json.loads(raw)) if raw else None
