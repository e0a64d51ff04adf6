"""Edits, deletions and reactions in Redis, for every process: the twin of chat/stores/local/changes.py.

One Lua script checks the message, rewrites it in place in ``messages:<room>`` (the sorted
set scored by id: the id keeps its place), takes the room's next change number, keeps the
change record and publishes the change on Flask-SocketIO's Redis channel, in one atomic
step: every process receives a room's changes in change order, as appends are (history.py).

Keys, under the prefix: ``change-seq:<room>``, the room's last change number (never goes
back); ``changes:<room>``, a sorted set of change records as JSON, scored by change number,
the newest ``retention`` kept.

Lua's cjson rewrites the message's JSON: it writes numbers with 14 significant digits,
exact for ids and millisecond times below 10**14 (about the year 5000).
"""

import json

from ...model import ChatError, no_such_message, not_your_message, room_group, too_many_reactions
from .. import base
from . import PREFIX
from .delivery import PUBLISHER

CHANGE = """
-- KEYS: messages, change-seq, changes. ARGV: kind (edit, delete, reaction), message id, person id ('' for
-- anyone), text or emoji, on ('1' or '0'), now (ms), max reactions, retention (0: all), channel, room,
-- room group, publisher host id, event name.
local stored = redis.call('ZRANGE', KEYS[1], ARGV[2], ARGV[2], 'BYSCORE')
if not stored[1] then return {-1, 'not_found'} end
local m = cjson.decode(stored[1])
if m.deleted then return {-1, 'not_found'} end
local kind, id, person = ARGV[1], tonumber(ARGV[2]), ARGV[3]
if kind ~= 'reaction' and person ~= '' and m.user.id ~= person then return {-1, 'forbidden'} end
local payload
if kind == 'edit' then
  m.text = ARGV[4]
  m.edited = true
  m.editedAt = tonumber(ARGV[6])
  payload = {room = ARGV[10], id = id, text = ARGV[4], editedAt = m.editedAt}
elseif kind == 'delete' then
  m.text = ''
  m.deleted = true
  m.reactions = nil
  m.edited = nil
  m.editedAt = nil
  payload = {room = ARGV[10], id = id}
else
  local reactions = m.reactions or {}
  local users = reactions[ARGV[4]] or {}
  local at = nil
  for i, user in ipairs(users) do if user == person then at = i end end
  local on = ARGV[5] == '1'
  if (at ~= nil) == on then return {0} end
  if on then
    if not reactions[ARGV[4]] then
      local distinct = 0
      for _ in pairs(reactions) do distinct = distinct + 1 end
      if distinct >= tonumber(ARGV[7]) then return {-1, 'too_many_reactions'} end
    end
    table.insert(users, person)
  else
    table.remove(users, at)
  end
  if #users > 0 then reactions[ARGV[4]] = users else reactions[ARGV[4]] = nil end
  if next(reactions) == nil then m.reactions = nil else m.reactions = reactions end
  payload = {room = ARGV[10], id = id, emoji = ARGV[4], count = #users, users = users}
end
local change = redis.call('INCR', KEYS[2])
payload.change = change
redis.call('ZREMRANGEBYSCORE', KEYS[1], id, id)
redis.call('ZADD', KEYS[1], id, cjson.encode(m))
-- cjson writes an empty table as {}: the users of a reaction nobody has left are [].
local encoded = string.gsub(cjson.encode(payload), '"users":{}', '"users":[]')
local record = '{"event":' .. cjson.encode(ARGV[13]) .. ',' .. string.sub(encoded, 2)
redis.call('ZADD', KEYS[3], change, record)
if tonumber(ARGV[8]) > 0 then redis.call('ZREMRANGEBYSCORE', KEYS[3], '-inf', change - tonumber(ARGV[8])) end
if ARGV[9] ~= '' then
  redis.call('PUBLISH', ARGV[9], '{"method":"emit","event":' .. cjson.encode(ARGV[13]) .. ',"data":[' .. encoded ..
    '],"binary":false,"namespace":"/","room":' .. cjson.encode(ARGV[11]) ..
    ',"skip_sid":null,"callback":null,"host_id":' .. cjson.encode(ARGV[12]) .. '}')
end
return {1, encoded}
"""

EVENTS = {"edit": "message-edited", "delete": "message-deleted", "reaction": "reaction"}


class RedisChanges(base.Changes):
    """Change stored messages in place in Redis, and publish each change from the same script."""

    def __init__(self, history, emit, room_lock, max_reactions, retention, redis, channel="", prefix=PREFIX):
        """Use ``redis`` (decode_responses=True) and publish on ``channel`` ('' publishes nothing: tests)."""
        super().__init__(history, emit, room_lock, max_reactions, retention)
        self._redis = redis
        self._channel = channel
        self._prefix = prefix
        self._change = redis.register_script(CHANGE)

    def _key(self, kind, room):
        return f"{self._prefix}{kind}:{room}"

    def edit(self, room, message_id, person_id, text):
        return self._run("edit", room, message_id, person_id, text)

    def delete(self, room, message_id, person_id=None):
        return self._run("delete", room, message_id, person_id or "")

    def react(self, room, message_id, person_id, emoji, on):
        return self._run("reaction", room, message_id, person_id, emoji, on)

    def _run(self, kind, room, message_id, person_id, value="", on=False):
        result = self._change(
            keys=[self._key("messages", room), self._key("change-seq", room), self._key("changes", room)],
            args=[kind, message_id, person_id, value, "1" if on else "0", int(self.history._clock() * 1000),
                  self.max_reactions, self.retention, self._channel, room, room_group(room), PUBLISHER,
                  EVENTS[kind]])
        if result[0] == -1:
            raise {"not_found": lambda: no_such_message(room, message_id),
                   "forbidden": lambda: not_your_message(message_id),
                   "too_many_reactions": lambda: too_many_reactions(self.max_reactions)}.get(
                result[1], lambda: ChatError("internal", result[1]))()
        if result[0] == 0:
            return None
        return json.loads(result[1])

    def last_change(self, room):
        return int(self._redis.get(self._key("change-seq", room)) or 0)

    def after(self, room, after_change, upto_id=None, limit=500):
        key = self._key("changes", room)
        oldest = self._redis.zrange(key, 0, 0, withscores=True)
        last = self.last_change(room)
        changes, more, start = [], False, after_change
        # Filtered by message id in Python: fetch pages of records until ``limit`` pass.
        while len(changes) <= limit:
            rows = self._redis.zrange(key, f"({start}", "+inf", byscore=True, offset=0, num=limit + 1)
            if not rows:
                break
            for raw in rows:
                record = json.loads(raw)
                start = record["change"]
                if upto_id is None or record["id"] <= upto_id:
                    changes.append(record)
            if len(rows) <= limit:
                break
        if len(changes) > limit:
            changes, more = changes[:limit], True
        lost = after_change < last and (not oldest or int(oldest[0][1]) > after_change + 1)
        return changes, more, lost
