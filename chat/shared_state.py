"""Presence, rooms and typing shared by several server processes through one Redis server.

``RedisPresence``, ``RedisRooms`` and ``RedisTyping`` are the twins of ``Presence``
(chat/presence.py), ``Rooms`` (chat/rooms.py) and ``Typing`` (chat/typists.py): the same
methods, arguments, results and rules, so the event handlers can use either. They are for
the chat running as several processes, on one host or many, that must see one world.

Two rules make that work:

- Every change is one Lua script (or one MULTI/EXEC transaction). Redis runs it whole,
  with no other process's command in between, so no process sees half a change.
- Every departure, typing end and room removal is taken out of Redis by exactly one
  script run, and only that run returns it: when two processes expire at the same moment,
  one reports it and the other sees nothing left.

Names are unique after NFKC normalisation and case folding (chat.names.name_key), which
Lua cannot compute: Python picks a name that looks free, and the script claims it only if
its key is still free; if another process took it in between, Python looks and picks again.

Deadlines are wall-clock times (time.time), which all processes share. A process records a
heartbeat every second; when one stops (killed, or cut off), another's ``expire`` drops
its connections as if they had disconnected, so its people leave after the grace period.

Keys, under a prefix ("chat:" unless given):

  connections              hash  connection id -> person id, for every process
  host:<host>              set   the connections a process opened
  hosts                    zset  host -> time of its last heartbeat
  dead-host:<host>         str   set for a day when others dropped the host's connections
  names                    hash  name key -> person id: one per person online
  person:<id>              hash  name, key (the name's key), guest and stable ("1" or "0"),
                                 browser (a guest's browser, or "")
  person-connections:<id>  set   the person's connections
  person-rooms:<id>        hash  room -> how many of the person's connections are in it
  leaving:<id>             hash  room -> deadline: dropped, not left, may come back
  deadlines                zset  '["<id>","<room>"]' -> deadline, one per leaving entry
  connection-rooms:<c>     set   the rooms a connection is in
  room:<room>              set   ids of the people in the room, or within their grace period
  rooms                    hash  room -> "" while occupied, else when it became empty
  typing                   zset  '["<room>","<id>"]' -> when the typing state ends
  typists                  hash  the same field -> the typist as JSON

Redis deletes a set or hash when its last member goes, so "exists" means "not empty".
The scripts build key names from the prefix, so they need one Redis server (replicas
allowed), not a Redis Cluster. Each class needs a client made with decode_responses=True.
"""

import json
import time
from dataclasses import replace

from .names import guest_name, name_key, with_suffix
from .presence import Member
from .rooms import room_name
from .validation import ChatError

PREFIX = "chat:"
DEAD_HOST_MEMORY = 86400  # seconds a dropped host can still learn so from heartbeat()


def _member(person_id, name, guest):
    return Member(person_id, name, guest == "1")


def decoding_client(redis):
    """Return ``redis`` if it decodes replies to str; raise ValueError if not."""
    if not redis.get_connection_kwargs().get("decode_responses"):
        raise ValueError("the Redis client must return str: make it with decode_responses=True, "
                         "e.g. Redis.from_url(url, decode_responses=True)")
    return redis


# --- Presence -----------------------------------------------------------------------------

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

CONNECT = PEOPLE_LUA + """
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

DISCONNECT = PEOPLE_LUA + """
-- Drop a connection. ARGV: prefix, connection, host, grace deadline ('' for none).
-- Return the departures that happen now, as {id, name, guest, room} lists.
local departures = {}
drop(ARGV[1], ARGV[2], ARGV[3], ARGV[4], departures)
return departures
"""

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

END_GRACE = PEOPLE_LUA + """
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

DROP_HOST = PEOPLE_LUA + """
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


class RedisPresence:
    """People online across every process sharing ``redis``, per room; names unique among them.

    ``host_id`` names this process, uniquely among those running (a random id per start
    does). ``host_timeout`` is how long another process waits after this one's last
    heartbeat before dropping its connections.
    """

    def __init__(self, redis, host_id, grace_seconds, clock=time.time, host_timeout=10, prefix=PREFIX):
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

    def _key(self, *parts):
        return self.prefix + "".join(parts)

    def _deadline(self):
        """Return when a grace period starting now ends, or "" for no grace period."""
        return self._clock() + self.grace_seconds if self.grace_seconds > 0 else ""

    def connect(self, connection, person_id, name=None, stable=True):
        """Add ``connection`` for ``person_id``; return the person as others see them.

        A person already online keeps their name. A new one gets ``name`` (or a guest
        name), with a number added when someone online has the same name.
        """
        member, _ = self._add(connection, person_id, name, stable)
        return member

    def connect_guest(self, connection, guest_id, name=None, browser=None):
        """Add ``connection`` as guest ``guest_id`` of ``browser``; return (member, departures now).

        A guest has one connection at a time: while ``guest_id`` has an open one (a
        duplicated tab), add nothing and return (None, []), so the caller makes the
        newcomer a new guest. A new guest asking for a name held only by a guest of the
        same browser with no connection left (a tab closed within its grace period) gets
        that name, and that guest leaves their rooms now: those are the departures.
        """
        return self._add(connection, guest_id, name, True, alone=True, browser=browser)

    def _add(self, connection, person_id, name, stable, alone=False, browser=None):
        wanted = name or guest_name()
        taken = set()
        while True:
            chosen = with_suffix(wanted, taken)
            # Only the name asked for may be taken from the browser's closed tab, never a numbered one.
            take_over = browser is not None and name is not None and chosen == name
            found = self._connect(args=[self.prefix, connection, person_id, self.host_id, self._clock(),
                                        chosen, name_key(chosen), int(name is None), int(stable),
                                        int(alone), browser or "", int(take_over)])
            if found == "live":
                return None, []
            if found is not None:
                found_name, guest, departures = found
                return _member(person_id, found_name, guest), [
                    (room, _member(gone_id, gone_name, gone_guest)) for gone_id, gone_name, gone_guest, room in departures]
            taken = set(self._redis.hkeys(self._key("names")))  # someone has that name: look, pick again

    def disconnect(self, connection):
        """Drop ``connection``; return the (room, member) departures that happen now.

        Rooms whose last connection of a stable person this was are kept for the grace
        period instead; ``expire`` reports them if the person has not come back.
        """
        departures = self._disconnect(args=[self.prefix, connection, self.host_id, self._deadline()])
        return [(room, _member(person_id, name, guest)) for person_id, name, guest, room in departures]

    def enter(self, connection, room):
        """Put ``connection`` in ``room``; return (member, whether the person is new to the room)."""
        found = self._enter(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        person_id, name, guest, is_new = found
        return _member(person_id, name, guest), bool(is_new)

    def exit(self, connection, room):
        """Take ``connection`` out of ``room``; return (member, whether the person left the room)."""
        found = self._exit(args=[self.prefix, connection, room])
        if found is None:
            raise KeyError(connection)
        if found == "not_in_room":
            raise ChatError("not_in_room", f"you are not in the room {room!r}")
        person_id, name, guest, left = found
        return _member(person_id, name, guest), bool(left)

    def rename(self, connection, name):
        """Rename the person behind ``connection``; return (member, previous name)."""
        while True:
            member = self.member(connection)
            taken = {key for key, owner in self._redis.hgetall(self._key("names")).items() if owner != member.id}
            chosen = with_suffix(name, taken)
            # The script refuses if the person was renamed, or the name taken, since we looked.
            if self._rename(args=[self.prefix, connection, member.name, chosen, name_key(chosen)]):
                return replace(member, name=chosen, guest=False), member.name

    def member(self, connection):
        """Return the person behind ``connection`` as others see them."""
        found = self._member(args=[self.prefix, connection])
        if found is None:
            raise KeyError(connection)
        return _member(*found)

    def rooms_of(self, connection):
        """Return the rooms ``connection`` is in."""
        with self._redis.pipeline() as transaction:
            transaction.hexists(self._key("connections"), connection)
            transaction.smembers(self._key("connection-rooms:", connection))
            known, rooms = transaction.execute()
        if not known:
            raise KeyError(connection)
        return rooms

    def rooms_of_person(self, person_id):
        """Return the rooms others see the person in (including those within their grace period)."""
        with self._redis.pipeline() as transaction:
            transaction.hkeys(self._key("person-rooms:", person_id))
            transaction.hkeys(self._key("leaving:", person_id))
            present, leaving = transaction.execute()
        return set(present) | set(leaving)

    def connections_of_person(self, person_id):
        """Return every open connection of the person, on any process."""
        return self._redis.smembers(self._key("person-connections:", person_id))

    def members(self, room):
        """Return the people in ``room`` (including those within their grace period), by name."""
        return sorted((_member(*found) for found in self._members(args=[self.prefix, room])),
                      key=lambda member: name_key(member.name))

    def occupied(self, room):
        """Return whether anyone is in ``room``, or may come back to it."""
        return bool(self._redis.exists(self._key("room:", room)))

    @property
    def people(self):
        """Return how many people are online, on every process."""
        return self._redis.hlen(self._key("names"))

    @property
    def connections(self):
        """Return how many connections are open, on every process."""
        return self._redis.hlen(self._key("connections"))

    def heartbeat(self):
        """Record this process as alive: call it every second or so, from the expiry loop.

        Return False if other processes took it for dead meanwhile and dropped its
        connections: its clients are online for nobody now, so disconnect them (they will
        reconnect, and be connected afresh).
        """
        with self._redis.pipeline() as transaction:
            transaction.zadd(self._key("hosts"), {self.host_id: self._clock()})
            transaction.delete(self._key("dead-host:", self.host_id))
            _, dropped = transaction.execute()
        return not dropped

    def drop_silent_hosts(self):
        """Drop the connections of other processes silent too long; return (departures, connections dropped).

        Every other process whose heartbeat is more than ``host_timeout`` seconds old loses
        its connections, as if each had disconnected: their people get the grace period
        too, and those with none leave now, in the departures. Only the one call that drops
        a host counts its connections, so each is counted once among all processes.
        """
        cutoff = self._clock() - self.host_timeout
        departures, dropped = [], 0
        for host in self._redis.zrangebyscore(self._key("hosts"), "-inf", f"({cutoff!r}"):  # "(": before
            if host != self.host_id:  # this process is running, whatever its last heartbeat says
                count, gone = self._drop_host(args=[self.prefix, host, cutoff, self._deadline(), DEAD_HOST_MEMORY])
                departures += [(room, _member(person_id, name, guest)) for person_id, name, guest, room in gone]
                dropped += count
        return departures, dropped

    def expire(self):
        """End grace periods that ran out; return those (room, member) departures.

        First drop the connections of silent processes (``drop_silent_hosts``): those
        departures are reported here too.
        """
        departures, _ = self.drop_silent_hosts()
        ended = self._end_grace(args=[self.prefix, self._clock()])
        return departures + [(room, _member(person_id, name, guest)) for person_id, name, guest, room in ended]


# --- Rooms --------------------------------------------------------------------------------

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


class RedisRooms:
    """Rooms that exist, for every process: the default one for good, created ones until idle too long."""

    def __init__(self, redis, default, max_rooms, idle_seconds, clock=time.time, prefix=PREFIX):
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
        redis.hset(self._rooms, default, "")  # never empty, so never removed

    def __contains__(self, room):
        return bool(self._redis.hexists(self._rooms, room))

    def names(self):
        """Return the room names, sorted."""
        return sorted(self._redis.hkeys(self._rooms))

    def create(self, room):
        """Create ``room``, empty; raise ChatError if it exists or the limit is reached."""
        room = room_name(room)
        outcome = self._create(args=[self.prefix, room, self.max_rooms, self._clock()])
        if outcome == "exists":
            raise ChatError("room_exists", f"the room {room!r} exists already")
        if outcome == "limit":
            raise ChatError("too_many_rooms", f"there are {self.max_rooms} rooms already, the limit")
        return room

    def restore(self, room):
        """Bring back a room that existed before a restart, empty from now."""
        self._redis.hsetnx(self._rooms, room, self._clock())

    def require(self, room):
        """Return ``room`` if it exists; raise ChatError if not."""
        room = room_name(room)
        if room not in self:
            raise ChatError("no_such_room", f"there is no room {room!r}")
        return room

    def occupied(self, room, occupied):
        """Record whether anyone is in ``room`` now."""
        self._occupied(args=[self.prefix, self.default, room, int(bool(occupied)), self._clock()])

    def expire(self):
        """Remove created rooms that have been empty for ``idle_seconds``; return their names."""
        return sorted(self._expire(args=[self.prefix, self.default, self._clock() - self.idle_seconds]))


# --- Typing -------------------------------------------------------------------------------

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


class RedisTyping:
    """Typing states per (room, person) for every process, each ending ``timeout`` seconds after its last renewal."""

    def __init__(self, redis, timeout, clock=time.time, prefix=PREFIX):
        self._redis = decoding_client(redis)
        self.timeout = timeout
        self.prefix = prefix
        self._clock = clock
        self._states = prefix + "typing"
        self._typists = prefix + "typists"
        self._end = redis.register_script(END_TYPING)

    def start(self, room, member):
        """Start or renew ``member``'s typing in ``room``; return True if they were not typing there."""
        field = json.dumps([room, member.id])
        with self._redis.pipeline() as transaction:
            transaction.zadd(self._states, {field: self._clock() + self.timeout})
            transaction.hset(self._typists, field, json.dumps(member.as_dict()))
            added, _ = transaction.execute()
        return added == 1

    def stop(self, room, person_id):
        """Stop typing; return True if the person was typing there."""
        field = json.dumps([room, person_id])
        with self._redis.pipeline() as transaction:
            transaction.zrem(self._states, field)
            transaction.hdel(self._typists, field)
            removed, _ = transaction.execute()
        return removed == 1

    def expire(self):
        """End the states not renewed in time; return their (room, member) pairs."""
        ended = self._end(args=[self.prefix, self._clock()])
        return [(json.loads(field)[0], Member(**json.loads(typist))) for field, typist in ended]
