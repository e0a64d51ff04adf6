"""The live stores for several server processes sharing one Redis server, on one host or many.

Redis holds nothing durable: messages, rooms that exist, direct messages, changes, read
markers and moderation are in the SQL database (chat/stores/sql/, PostgreSQL when several
processes share it). A Redis that loses everything loses only live state, which rebuilds
itself as clients reconnect.

Each module here implements the store of the same name in chat/stores/base/, as its twin
in chat/stores/local/ does for one process: the same methods, arguments, results and rules,
so the handlers never ask which one runs. Presence, rooms and typing are described here;
delivery.py, limits.py and dms.py describe their own keys (and channel).

Two rules make that work:

- Every change is one Lua script (or one MULTI/EXEC transaction). Redis runs it whole,
  with no other process's command in between, so no process sees half a change.
- Every departure, typing end and room removal is taken out of Redis by exactly one
  script run, and only that run returns it: when two processes expire at the same moment,
  one reports it and the other sees nothing left.

Names are unique by their key, a UTS #39 skeleton (chat.names.name_key), which Lua cannot
compute: Python picks a name that looks free, and the script claims it only if
its key is still free; if another process took it in between, Python looks and picks again.

Deadlines are wall-clock times (time.time), which all processes share. A process records a
heartbeat every second; when one stops (killed, or cut off), another's ``expire`` drops
its connections as if they had disconnected, so its people leave after the grace period.

Keys, under a prefix ("chat:" unless given):

  connections              hash  connection id -> person id, for every process
  connection-opened        hash  a guest's connection id -> when its Engine.IO session opened
  host:<host>              set   the connections a process opened
  hosts                    zset  host -> time of its last heartbeat
  dead-host:<host>         str   set for a day when others dropped the host's connections
  epoch                    str   a token set by the first process to find it missing: a new
                                 one tells each process that Redis lost everything
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

from redis import Redis

PREFIX = "chat:"


def decoding_client(redis: Redis) -> Redis:
    """Return ``redis`` if it decodes replies to str; raise ValueError if not."""
    if not redis.get_connection_kwargs().get("decode_responses"):
        raise ValueError(
            "the Redis client must return str: make it with decode_responses=True, "
            "e.g. Redis.from_url(url, decode_responses=True)"
        )
    return redis
