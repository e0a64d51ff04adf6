"""The Lua scripts of Redis presence (presence.py): each change to who is online, atomic for every process.

The keys they use, and the two rules every script keeps, are described in chat/stores/redis/__init__.py.
"""

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
-- {id, name, guest, room}. With `keep`, the person is kept even with nothing left (a
-- client resuming it). Return whether the connection was there to drop.
local function drop(prefix, connection, host, deadline, departures, keep)
  local id = redis.call('HGET', prefix .. 'connections', connection)
  if not id then return false end
  redis.call('HDEL', prefix .. 'connections', connection)
  redis.call('HDEL', prefix .. 'connection-opened', connection)
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
  if not keep then forget_if_gone(prefix, id) end
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
-- may be taken from that browser's guest with no connection left; then the person's earlier
-- connection a resuming client proved it had ("" if none), the host that held it, and the
-- grace deadline ("" for none); then when this connection's Engine.IO session opened ("" if
-- unknown). A client that proved it is the guest's tab takes the guest over: every
-- connection of the guest opened before this one is one the tab left (that one, or a later
-- one whose welcome it never got), and is dropped first, whichever process holds it,
-- keeping the person; one opened after it is the tab's newer connection (this connect
-- reached presence late, from a process stopped meanwhile), which stays. Return {name,
-- guest, departures} (departures as {id, name, guest, room} lists); 'live' for a guest
-- connected already; false if someone online has that name key: the caller then picks
-- another name.
local prefix, connection, id, host = ARGV[1], ARGV[2], ARGV[3], ARGV[4]
local person = prefix .. 'person:' .. id
local departures = {}
if ARGV[13] ~= '' then
  local hosts = redis.call('ZRANGE', prefix .. 'hosts', 0, -1)
  for _, old in ipairs(redis.call('SMEMBERS', prefix .. 'person-connections:' .. id)) do
    local opened = redis.call('HGET', prefix .. 'connection-opened', old)
    local left = ARGV[16] == '' or not opened or tonumber(opened) <= tonumber(ARGV[16])
    local holder = ARGV[14]
    if redis.call('SISMEMBER', prefix .. 'host:' .. holder, old) == 0 then
      for _, each in ipairs(hosts) do
        if redis.call('SISMEMBER', prefix .. 'host:' .. each, old) == 1 then holder = each end
      end
    end
    if left then drop(prefix, old, holder, ARGV[15], departures, true) end
  end
end
if ARGV[10] == '1' and redis.call('EXISTS', prefix .. 'person-connections:' .. id) == 1 then return 'live' end
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
if ARGV[16] ~= '' then redis.call('HSET', prefix .. 'connection-opened', connection, ARGV[16]) end
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
