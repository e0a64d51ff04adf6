"""Flood, connection and creation limits for every process sharing one Redis server: the twin of chat/stores/local/limits.py.

A token bucket is kept as one number: the time it is full again. At ``now`` it holds
``burst - (full - now) * rate`` tokens (``burst`` once ``full`` is past), and taking one
moves ``full`` on by ``1 / rate``. Each take, park and take-over is one Lua script, so
two processes counting for one address at once cannot both spend its last token.

Keys, under the prefix ("chat:" unless given), each expiring soon after its bucket is full,
when forgetting it is the same as keeping it:

  <name>:bucket:<connection>  str   when the connection's bucket is full again (none: full)
  <name>:parked:<address>     zset  parked bucket (its connection) -> when it is full again
  connection-limit:<address>  str   when the address's bucket of new connections is full again
  <limit>:<key>               str   the same for a rate limit per address or person (RedisRateLimit):
                                    "rooms-by-person", "rooms-by-address", "dms-by-address"

``<name>`` is the allowance's: "flood" for messages, "typing-limit" for typing events.
Times are wall-clock (time.time), which every process shares.
"""

import time

from redis import Redis

from .. import base
from . import PREFIX, decoding_client

# Scripts format times with 17 digits: Lua's default of 14 would round wall-clock
# seconds to a tenth of a millisecond, and the sums would drift from the local twin's.
TAKE = """
-- Take one token from the bucket at KEYS[1]. ARGV: now, burst, rate. Return '0', or the seconds to wait.
local now, burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local full = math.max(tonumber(redis.call('GET', KEYS[1]) or ARGV[1]), now)
local tokens = burst - (full - now) * rate
if tokens < 1 - 1e-9 then
  return string.format('%.17g', (1 - tokens) / rate)
end
full = full + 1 / rate
redis.call('SET', KEYS[1], string.format('%.17g', full), 'PX', math.ceil((full - now) * 1000) + 1000)
return '0'
"""

OPEN = """
-- Give a new connection's bucket KEYS[1] the most used bucket parked at KEYS[2], if any. ARGV: now.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
redis.call('DEL', KEYS[1])
local parked = redis.call('ZPOPMAX', KEYS[2])
if parked[2] then
  redis.call('SET', KEYS[1], parked[2], 'PX', math.ceil((tonumber(parked[2]) - tonumber(ARGV[1])) * 1000) + 1000)
end
"""

CLOSE = """
-- Park the bucket KEYS[1] at KEYS[2] under ARGV[2] unless it is full. ARGV: now, connection.
local now = tonumber(ARGV[1])
local full = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
if full and tonumber(full) > now then
  redis.call('ZADD', KEYS[2], full, ARGV[2])
  local latest = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES')
  redis.call('PEXPIRE', KEYS[2], math.ceil((tonumber(latest[2]) - now) * 1000) + 1000)
end
"""


def _time(now: float) -> str:
    return repr(float(now))


class RedisFloodControl(base.FloodControl):
    """Give each connection an allowance of events, parked per address in Redis for every process."""

    def __init__(
        self, redis: Redis, name: str, burst: int, rate: float, clock: base.Clock = time.time, prefix: str = PREFIX
    ) -> None:
        self.burst = burst
        self.rate = rate
        self._clock = clock
        self._prefix = f"{prefix}{name}:"
        # Only the process a connection is on counts for it, so its address stays here.
        self._open: dict[str, str | None] = {}  # connection -> address
        redis = decoding_client(redis)
        self._take = redis.register_script(TAKE)
        self._open_script = redis.register_script(OPEN)
        self._close = redis.register_script(CLOSE)

    def _keys(self, connection: str, address: str | None) -> list[str]:
        return [f"{self._prefix}bucket:{connection}", f"{self._prefix}parked:{address or ''}"]

    def open(self, connection: str, address: str | None) -> None:
        if not self.enabled:
            return
        self._open[connection] = address
        self._open_script(keys=self._keys(connection, address), args=[_time(self._clock())])

    def take(self, connection: str) -> float:
        if not self.enabled or connection not in self._open:
            return 0.0
        wait = self._take(
            keys=[f"{self._prefix}bucket:{connection}"], args=[_time(self._clock()), self.burst, repr(float(self.rate))]
        )
        return float(wait)

    def close(self, connection: str) -> None:
        if not self.enabled or connection not in self._open:
            return
        address = self._open.pop(connection)
        self._close(keys=self._keys(connection, address), args=[_time(self._clock()), connection])


class RedisRateLimit(base.RateLimit):
    """Count events per key in Redis for every process together: a burst of ``burst``, refilled over ``period``."""

    def __init__(
        self, redis: Redis, name: str, burst: int, period: float, clock: base.Clock = time.time, prefix: str = PREFIX
    ) -> None:
        self.burst = burst
        self.period = period
        self._clock = clock
        self._prefix = f"{prefix}{name}:"
        self._take = decoding_client(redis).register_script(TAKE)

    def take(self, key: str) -> float:
        if self.burst <= 0:
            return 0.0
        wait = self._take(
            keys=[f"{self._prefix}{key or ''}"],
            args=[_time(self._clock()), self.burst, repr(self.burst / self.period)],
        )
        return float(wait)


class RedisConnectionLimit(RedisRateLimit, base.ConnectionLimit):
    """Limit new connections per client address, counted in Redis for every process together."""

    def __init__(self, redis: Redis, per_minute: int, clock: base.Clock = time.time, prefix: str = PREFIX) -> None:
        super().__init__(redis, "connection-limit", per_minute, 60.0, clock, prefix)

    @property
    def per_minute(self) -> int:
        """Return the connections an address may open in a minute."""
        return self.burst
