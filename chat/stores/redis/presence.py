"""Who is online, for every process sharing one Redis server: the twin of chat/stores/local/presence.py.

The keys, and the two rules every script keeps, are described in chat/stores/redis/__init__.py.
"""

import time
from dataclasses import replace
from typing import cast

from redis import Redis

from ...model import Member, not_in_room
from ...names import guest_name, name_key, with_suffix
from .. import base
from . import PREFIX, decoding_client

DEAD_HOST_MEMORY = 86400  # seconds a dropped host can still learn so from heartbeat()


def _member(person_id: str, name: str, guest: str) -> Member:
    return Member(person_id, name, guest == "1")


# Shared by the scripts that drop connections or end grace periods. Every script gets the
# key prefix as ARGV[1].
PEOPLE_LUA = """
-- Forget a person with no connection and no pending departure left, freeing their name.
local function forget_if_gone(prefix, id)
  if redis.call('EXISTS', prefix .. 'person-connections:' .. id, prefix .. 'leaving:' .. id) > 0 then
    return
  end
  local person = prefix .. 'person:' .. id
  local key = redis.call('HGET', person, 'key')
  if key and redis.call('HGET', prefix .. 'names', key) == id then
    redis.call('HDEL', prefix .. 'names', key)
  end
  redis.call('DEL', person, prefix .. 'person-rooms:' .. id)
end

-- Drop a connection, as Presence.disconnect does. In each room the person is now in
-- through no other connection, a stable person starts a grace period ending at
-- `deadline` ('' for none); anyone else leaves at once, appended to `departures` as
-- {id, name, guest, room}. Return whether the connection was there to drop.
local function drop(prefix, connection, host, deadline, departures)
  local id = redis.call('HGET', prefix .. 'connections', connection)
  if not id then return false end
  redis.call('HDEL', prefix .. 'connections', connection)
  redis.call('SREM', prefix .. 'host:' .. host, connection)
  redis.call('SREM', prefix .. 'person-connections:' .. id, connection)
  local name, guest, stable = unpack(redis.call('HMGET', prefix .. 'person:' .. id, 'name', 'guest', 'stable'))
  local rooms = prefix .. 'connection-rooms:' .. connection
  for _, room in ipairs(redis.call('SMEMBERS', rooms)) do
    if redis.call('HINCRBY', prefix .. 'person-rooms:' .. id, room, -1) == 0 then
      redis.call('HDEL', prefix .. 'person-rooms:' .. id, room)
      if stable == '1' and deadline ~= '' then
        redis.call('HSET', prefix .. 'leaving:' .. id, room, deadline)
        redis.call('ZADD', prefix .. 'deadlines', deadline, cjson.encode({id, room}))
      else
        redis.call('SREM', prefix .. 'room:' .. room, id)
        table.insert(departures, {id, name, guest, room})
      end
    end
  end
  redis.call('DEL', rooms)
  forget_if_gone(prefix, id)
  return true
end
"""

CONNECT = (
    PEOPLE_LUA
    + """
-- End the grace periods of a person with no connection now, appending the departures to
-- `departures` as {id, name, guest, room}, and forget them, freeing their name.
local function release(prefix, id, departures)
  local name, guest = unpack(redis.call('HMGET', prefix .. 'person:' .. id, 'name', 'guest'))
  for _, room in ipairs(redis.call('HKEYS', prefix .. 'leaving:' .. id)) do
    redis.call('ZREM', prefix .. 'deadlines', cjson.encode({id, room}))
    redis.call('SREM', prefix .. 'room:' .. room, id)
    table.insert(departures, {id, name, guest, room})
  end
  redis.call('DEL', prefix .. 'leaving:' .. id)
  forget_if_gone(prefix, id)
end

-- Add a connection for a person. ARGV: prefix, connection, person id, host, now, and for a
-- person not online yet: name, name key, guest, stable; then "1" if the person may have
-- only this connection (a guest), the guest's browser ("" if none), and "1" if the name
-- may be taken from that browser's guest with no connection left.
-- Return {name, guest, departures} (departures as {id, name, guest, room} lists); 'live'
-- for a guest connected already; false if someone online has that name key: the caller
-- then picks another name.
local prefix, connection, id, host = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local person = prefix .. 'person:' .. id
if ARGV[10] == '1' and redis.call('EXISTS', prefix .. 'person-connections:' .. id) == 1 then return 'live' end
local departures = {}
if redis.call('EXISTS', person) == 0 then
  local owner = redis.call('HGET', prefix .. 'names', ARGV[7])
  if owner and ARGV[12] == '1' and ARGV[11] ~= ''
      and redis.call('HGET', prefix .. 'person:' .. owner, 'browser') == ARGV[11]
      and redis.call('EXISTS', prefix .. 'person-connections:' .. owner) == 0 then
    release(prefix, owner, departures)
  end
  if redis.call('HSETNX', prefix .. 'names', ARGV[7], id) == 0 then return false end
  redis.call('HSET', person, 'name', ARGV[6], 'key', ARGV[7], 'guest', ARGV[8], 'stable', ARGV[9],
             'browser', ARGV[11])
end
redis.call('HSET', prefix .. 'connections', connection, id)
redis.call('SADD', prefix .. 'person-connections:' .. id, connection)
redis.call('SADD', prefix .. 'host:' .. host, connection)
-- Known from its first connection on, a host that never beats is dropped too.
redis.call('ZADD', prefix .. 'hosts', 'NX', ARGV[5], host)
local name, guest = unpack(redis.call('HMGET', person, 'name', 'guest'))
return {name, guest, departures}
"""
)

DISCONNECT = (
    PEOPLE_LUA
    + """
-- Drop a connection. ARGV: prefix, connection, host, grace deadline ('' for none).
-- Return {1 if the connection was there to drop else 0, the departures that happen now,
-- as {id, name, guest, room} lists}.
local departures = {}
local known = drop(ARGV[1], ARGV[2], ARGV[3], ARGV[4], departures)
return {known and 1 or 0, departures}
"""
)

ENTER = """
-- Put a connection in a room. ARGV: prefix, connection, room.
-- Return {person id, name, guest, 1 if the person is new to the room else 0}; false for an
-- unknown connection.
local prefix, connection, room = ARGV[1], ARGV[2], ARGV[3]
local id = redis.call('HGET', prefix .. 'connections', connection)
if not id then return false end
-- Back within their grace period: the person never left, so is not new either.
local returning = redis.call('HDEL', prefix .. 'leaving:' .. id, room) == 1
if returning then redis.call('ZREM', prefix .. 'deadlines', cjson.encode({id, room})) end
local is_new = 0
if redis.call('SADD', prefix .. 'connection-rooms:' .. connection, room) == 1 then
  local count = redis.call('HINCRBY', prefix .. 'person-rooms:' .. id, room, 1)
  if count == 1 and not returning then is_new = 1 end
end
redis.call('SADD', prefix .. 'room:' .. room, id)
local name, guest = unpack(redis.call('HMGET', prefix .. 'person:' .. id, 'name', 'guest'))
return {id, name, guest, is_new}
"""

EXIT = """
-- Take a connection out of a room. ARGV: prefix, connection, room.
-- Return {person id, name, guest, 1 if the person left the room else 0}; 'not_in_room' if the
-- connection is not in it; false for an unknown connection.
local prefix, connection, room = ARGV[1], ARGV[2], ARGV[3]
local id = redis.call('HGET', prefix .. 'connections', connection)
if not id then return false end
if redis.call('SREM', prefix .. 'connection-rooms:' .. connection, room) == 0 then return 'not_in_room' end
local left = 0
if redis.call('HINCRBY', prefix .. 'person-rooms:' .. id, room, -1) == 0 then
  redis.call('HDEL', prefix .. 'person-rooms:' .. id, room)
  redis.call('SREM', prefix .. 'room:' .. room, id)
  left = 1
end
local name, guest = unpack(redis.call('HMGET', prefix .. 'person:' .. id, 'name', 'guest'))
return {id, name, guest, left}
"""

RENAME = """
-- Rename the person behind a connection, if they are still called ARGV[3] and nobody else
-- has the new name's key. ARGV: prefix, connection, previous name, new name, new key.
-- Return 1 if renamed, 0 if the caller must look again.
local prefix, connection, key = ARGV[1], ARGV[2], ARGV[5]
local id = redis.call('HGET', prefix .. 'connections', connection)
if not id then return 0 end
local person = prefix .. 'person:' .. id
local owner = redis.call('HGET', prefix .. 'names', key)
if redis.call('HGET', person, 'name') ~= ARGV[3] or (owner and owner ~= id) then return 0 end
redis.call('HDEL', prefix .. 'names', redis.call('HGET', person, 'key'))
redis.call('HSET', prefix .. 'names', key, id)
redis.call('HSET', person, 'name', ARGV[4], 'key', key, 'guest', '0')
return 1
"""

MEMBER = """
-- Return {person id, name, guest} of a connection's person, or false. ARGV: prefix, connection.
local id = redis.call('HGET', ARGV[1] .. 'connections', ARGV[2])
if not id then return false end
local name, guest = unpack(redis.call('HMGET', ARGV[1] .. 'person:' .. id, 'name', 'guest'))
return {id, name, guest}
"""

MEMBERS = """
-- Return {id, name, guest} for each person in a room or within their grace period there.
-- ARGV: prefix, room.
local people = {}
for _, id in ipairs(redis.call('SMEMBERS', ARGV[1] .. 'room:' .. ARGV[2])) do
  local name, guest = unpack(redis.call('HMGET', ARGV[1] .. 'person:' .. id, 'name', 'guest'))
  table.insert(people, {id, name, guest})
end
return people
"""

END_GRACE = (
    PEOPLE_LUA
    + """
-- End the grace periods due by ARGV[2]. ARGV: prefix, now.
-- Return those departures as {id, name, guest, room} lists.
local prefix = ARGV[1]
local departures = {}
for _, entry in ipairs(redis.call('ZRANGEBYSCORE', prefix .. 'deadlines', '-inf', ARGV[2])) do
  local id, room = unpack(cjson.decode(entry))
  redis.call('ZREM', prefix .. 'deadlines', entry)
  redis.call('HDEL', prefix .. 'leaving:' .. id, room)
  redis.call('SREM', prefix .. 'room:' .. room, id)
  local name, guest = unpack(redis.call('HMGET', prefix .. 'person:' .. id, 'name', 'guest'))
  table.insert(departures, {id, name, guest, room})
  forget_if_gone(prefix, id)
end
return departures
"""
)

DROP_HOST = (
    PEOPLE_LUA
    + """
-- Drop every connection of a host whose last heartbeat is before a cutoff, as if each
-- had disconnected; nothing if it beat since, or another process dropped it first.
-- ARGV: prefix, host, cutoff, grace deadline ('' for none), seconds to keep its tombstone.
-- Return {how many connections were dropped, the departures that happen now as
-- {id, name, guest, room} lists}.
local prefix, host = ARGV[1], ARGV[2]
local beat = redis.call('ZSCORE', prefix .. 'hosts', host)
if not beat or tonumber(beat) >= tonumber(ARGV[3]) then return {0, {}} end
local departures, dropped = {}, 0
for _, connection in ipairs(redis.call('SMEMBERS', prefix .. 'host:' .. host)) do
  if drop(prefix, connection, host, ARGV[4], departures) then dropped = dropped + 1 end
end
redis.call('DEL', prefix .. 'host:' .. host)
redis.call('ZREM', prefix .. 'hosts', host)
-- If the host was only stalled, its next heartbeat learns that its clients were dropped.
redis.call('SET', prefix .. 'dead-host:' .. host, '1', 'EX', ARGV[5])
return {dropped, departures}
"""
)


class RedisPresence(base.Presence):
    """People online across every process sharing ``redis``, per room; names unique among them.

    ``host_id`` names this process, uniquely among those running (a random id per start
    does). ``host_timeout`` is how long another process waits after this one's last
    heartbeat before dropping its connections.
    """

    def __init__(
        self,
        redis: Redis,
        host_id: str,
        grace_seconds: float,
        clock: base.Clock = time.time,
        host_timeout: float = 10,
        prefix: str = PREFIX,
    ) -> None:
        self._redis = decoding_client(redis)
        self.host_id = host_id
        self.grace_seconds = grace_seconds
        self.host_timeout = host_timeout
        self.prefix = prefix
        self._clock = clock
        self._connect = redis.register_script(CONNECT)
        self._disconnect = redis.register_script(DISCONNECT)
        self._enter = redis.register_script(ENTER)
        self._exit = redis.register_script(EXIT)
        self._rename = redis.register_script(RENAME)
        self._member = redis.register_script(MEMBER)
        self._members = redis.register_script(MEMBERS)
        self._end_grace = redis.register_script(END_GRACE)
        self._drop_host = redis.register_script(DROP_HOST)

    def _key(self, *parts: str) -> str:
        return self.prefix + "".join(parts)

    def _deadline(self) -> float | str:
        """Return when a grace period starting now ends, or "" for no grace period."""
        return self._clock() + self.grace_seconds if self.grace_seconds > 0 else ""

    def connect(self, connection: str, person_id: str, name: str | None = None, stable: bool = True) -> Member:
        member, _ = self._add(connection, person_id, name, stable)
        return cast(Member, member)  # None only for a guest (alone), whose tab is open elsewhere

    def connect_guest(
        self, connection: str, guest_id: str, name: str | None = None, browser: str | None = None
    ) -> tuple[Member | None, list[base.Departure]]:
        return self._add(connection, guest_id, name, True, alone=True, browser=browser)

    def _add(
        self,
        connection: str,
        person_id: str,
        name: str | None,
        stable: bool,
        alone: bool = False,
        browser: str | None = None,
    ) -> tuple[Member | None, list[base.Departure]]:
        wanted = name or guest_name()
        taken: set[str] = set()
        while True:
            chosen = with_suffix(wanted, taken)
            # Only the name asked for may be taken from the browser's closed tab, never a numbered one.
            take_over = browser is not None and name is not None and chosen == name
            found = self._connect(
                args=[
                    self.prefix,
                    connection,
                    person_id,
                    self.host_id,
                    self._clock(),
                    chosen,
                    name_key(chosen),
                    int(name is None),
                    int(stable),
                    int(alone),
                    browser or "",
                    int(take_over),
                ]
            )
            if found == "live":
                return None, []
            if found is not None:
                found_name, guest, departures = found
                return _member(person_id, found_name, guest), [
                    (room, _member(gone_id, gone_name, gone_guest))
                    for gone_id, gone_name, gone_guest, room in departures
                ]
            taken = set(
                cast(list[str], self._redis.hkeys(self._key("names")))
            )  # someone has that name: look, pick again

    def disconnect_known(self, connection: str) -> tuple[bool, list[base.Departure]]:
        known, departures = self._disconnect(args=[self.prefix, connection, self.host_id, self._deadline()])
        return bool(known), [(room, _member(person_id, name, guest)) for person_id, name, guest, room in departures]

    def enter(self, connection: str, room: str) -> tuple[Member, bool]:
        found = self._enter(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        person_id, name, guest, is_new = found
        return _member(person_id, name, guest), bool(is_new)

    def exit(self, connection: str, room: str) -> tuple[Member, bool]:
        found = self._exit(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        if found == "not_in_room":
            raise not_in_room(room)
        person_id, name, guest, left = found
        return _member(person_id, name, guest), bool(left)

    def rename(self, connection: str, name: str | None) -> tuple[Member, str]:
        while True:
            member = self.member(connection)
            taken = {key for key, owner in self._redis.hgetall(self._key("names")).items() if owner != member.id}
            chosen = with_suffix(name, taken)
            # The script refuses if the person was renamed, or the name taken, since we looked.
            if self._rename(args=[self.prefix, connection, member.name, chosen, name_key(chosen)]):
                return replace(member, name=chosen, guest=False), member.name

    def member(self, connection: str) -> Member:
        found = self._member(args=[self.prefix, connection])
        if found is None:
            raise KeyError(connection)
        return _member(*found)

    def rooms_of(self, connection: str) -> set[str]:
        rooms: set[str]
        with self._redis.pipeline() as transaction:
            transaction.hexists(self._key("connections"), connection)
            transaction.smembers(self._key("connection-rooms:", connection))
            known, rooms = transaction.execute()
        if not known:
            raise KeyError(connection)
        return rooms

    def rooms_of_person(self, person_id: str) -> set[str]:
        with self._redis.pipeline() as transaction:
            transaction.hkeys(self._key("person-rooms:", person_id))
            transaction.hkeys(self._key("leaving:", person_id))
            present, leaving = transaction.execute()
        return set(present) | set(leaving)

    def connections_of_person(self, person_id: str) -> set[str]:
        return cast(set[str], self._redis.smembers(self._key("person-connections:", person_id)))

    def members(self, room: str) -> list[Member]:
        return sorted(
            (_member(*found) for found in self._members(args=[self.prefix, room])),
            key=lambda member: name_key(member.name),
        )

    def occupied(self, room: str) -> bool:
        return bool(self._redis.exists(self._key("room:", room)))

    @property
    def people(self) -> int:
        return self._redis.hlen(self._key("names"))

    @property
    def connections(self) -> int:
        return self._redis.hlen(self._key("connections"))

    def heartbeat(self) -> bool:
        with self._redis.pipeline() as transaction:
            transaction.zadd(self._key("hosts"), {self.host_id: self._clock()})
            transaction.delete(self._key("dead-host:", self.host_id))
            added, dropped = transaction.execute()
        # Missing from the hosts after a heartbeat of its own: Redis lost everything (a restart
        # without persistence), this process's connections with it, so they must reconnect too.
        lost, self._beaten = added and getattr(self, "_beaten", False), True
        return not dropped and not lost

    def drop_silent_hosts(self) -> tuple[list[base.Departure], int]:
        """Drop the connections of other processes silent too long; return (departures, connections dropped).

        Every other process whose heartbeat is more than ``host_timeout`` seconds old loses
        its connections, as if each had disconnected: their people get the grace period
        too, and those with none leave now, in the departures. Only the one call that drops
        a host counts its connections, so each is counted once among all processes.
        """
        cutoff = self._clock() - self.host_timeout
        departures: list[base.Departure] = []
        dropped = 0
        silent = cast(list[str], self._redis.zrangebyscore(self._key("hosts"), "-inf", f"({cutoff!r}"))  # "(": before
        for host in silent:
            if host != self.host_id:  # this process is running, whatever its last heartbeat says
                count, gone = self._drop_host(args=[self.prefix, host, cutoff, self._deadline(), DEAD_HOST_MEMORY])
                departures += [(room, _member(person_id, name, guest)) for person_id, name, guest, room in gone]
                dropped += count
        return departures, dropped

    def expire(self) -> list[base.Departure]:
        """End grace periods that ran out; return those (room, member) departures.

        First drop the connections of silent processes (``drop_silent_hosts``): those
        departures are reported here too.
        """
        departures, _ = self.drop_silent_hosts()
        ended = self._end_grace(args=[self.prefix, self._clock()])
        return departures + [(room, _member(person_id, name, guest)) for person_id, name, guest, room in ended]
