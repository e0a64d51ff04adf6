"""The room registry, for every process sharing one Redis server: the twin of chat/stores/local/rooms.py."""

import time
from collections.abc import Callable, Iterable
from typing import cast

from redis import Redis

from ...model import room_exists, too_many_rooms_total
from ...validation import room_name
from .. import base
from . import PREFIX, decoding_client

CREATE_ROOM = """
-- Create a room, empty since now, unless it exists or the limit is reached.
-- ARGV: prefix, room, the most rooms, now. Return 'created', 'exists' or 'limit'.
local rooms = ARGV[1] .. 'rooms'
if redis.call('HEXISTS', rooms, ARGV[2]) == 1 then return 'exists' end
if redis.call('HLEN', rooms) >= tonumber(ARGV[3]) then return 'limit' end
redis.call('HSET', rooms, ARGV[2], ARGV[4])
return 'created'
"""

ROOM_OCCUPIED = """
-- Record whether anyone is in a created room: '' while someone is, else since when it is empty.
-- ARGV: prefix, default room, room, 1 or 0, now.
local rooms, room = ARGV[1] .. 'rooms', ARGV[3]
if room == ARGV[2] or redis.call('HEXISTS', rooms, room) == 0 then return end
if ARGV[4] == '1' then
  redis.call('HSET', rooms, room, '')
elseif redis.call('HGET', rooms, room) == '' then
  redis.call('HSET', rooms, room, ARGV[5])
end
"""

EXPIRE_ROOMS = """
-- Remove the created rooms empty since the cutoff or before. ARGV: prefix, default room, cutoff.
-- Return their names.
local prefix, default, cutoff = ARGV[1], ARGV[2], tonumber(ARGV[3])
local rooms = prefix .. 'rooms'
local registry = redis.call('HGETALL', rooms)
local removed = {}
for i = 1, #registry, 2 do
  local room, since = registry[i], registry[i + 1]
  if room ~= default and since ~= '' and tonumber(since) <= cutoff then
    if redis.call('EXISTS', prefix .. 'room:' .. room) == 1 then
      -- RedisPresence (same prefix) has people in it: an "empty" report from one process
      -- crossed an arrival on another. It is occupied; its next "empty" report restarts the wait.
      redis.call('HSET', rooms, room, '')
    else
      redis.call('HDEL', rooms, room)
      table.insert(removed, room)
    end
  end
end
return removed
"""


class RedisRooms(base.Rooms):
    """Rooms that exist, for every process: the default one for good, created ones until idle too long."""

    def __init__(
        self,
        redis: Redis,
        default: str,
        max_rooms: int,
        idle_seconds: float,
        clock: base.Clock = time.time,
        prefix: str = PREFIX,
        durable_rooms: Callable[[], Iterable[str]] | None = None,
    ) -> None:
        """Use ``redis``; ``durable_rooms()`` returns the rooms the database says exist."""
        self._redis = decoding_client(redis)
        self.default = default
        self.max_rooms = max_rooms
        self.idle_seconds = idle_seconds
        self.prefix = prefix
        self._clock = clock
        self._rooms = prefix + "rooms"
        self._create = redis.register_script(CREATE_ROOM)
        self._occupied = redis.register_script(ROOM_OCCUPIED)
        self._expire = redis.register_script(EXPIRE_ROOMS)
        self._durable_rooms = durable_rooms or (list)
        redis.hset(self._rooms, default, "")  # never empty, so never removed

    def __contains__(self, room: str) -> bool:
        return bool(self._redis.hexists(self._rooms, room))

    def names(self) -> list[str]:
        return sorted(cast(list[str], self._redis.hkeys(self._rooms)))

    def create(self, room: str) -> str:
        room = room_name(room)
        outcome = self._create(args=[self.prefix, room, self.max_rooms, self._clock()])
        if outcome == "exists":
            raise room_exists(room)
        if outcome == "limit":
            raise too_many_rooms_total(self.max_rooms)
        return room

    def restore(self, room: str) -> None:
        self._redis.hsetnx(self._rooms, room, self._clock())

    def occupied(self, room: str, occupied: bool) -> None:
        self._occupied(args=[self.prefix, self.default, room, int(bool(occupied)), self._clock()])

    def expire(self) -> list[str]:
        if not self._redis.hexists(self._rooms, self.default):
            # Redis lost everything (the default room is never removed): bring back the rooms
            # the database holds, empty from now, as a restart of every process would.
            self._redis.hset(self._rooms, self.default, "")
            for room in self._durable_rooms():
                self.restore(room)
        return sorted(self._expire(args=[self.prefix, self.default, self._clock() - self.idle_seconds]))
