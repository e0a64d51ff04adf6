"""Move durable data an older release kept in Redis into the SQL database, keeping every id.

Earlier releases kept, with REDIS_URL, the history, direct messages, changes, read
markers, mentions and moderation records in Redis (keys under ``chat:``, listed below as
they were). ``flask --app chat.cli move-from-redis`` runs ``move`` once, with every server
process stopped: it copies them into the SQL database with their message ids, change
numbers, clientIds and direct message ids, then deletes those keys from Redis, whose
remaining keys are live state.

  history-rooms, message-rooms       sets of room names
  seq:<room>                         the room's last id
  messages:<room>                    zset of message JSON scored by id
  client-ids:<room>                  hash clientId -> id
  change-seq:<room>, changes:<room>  last change number; zset of change records by number
  dm:<dm>, dms:<person>              the two person ids (JSON); hash dm -> the other as JSON
  reads:<room>, readers:<room>       zset person -> marker; hash person -> reader as JSON
  belongs:<person>, belonging:<room> sets
  mentions:<room>:<person>, mentioned:<room>
  owners, ban:<room>, mute:<room>    hash room -> owner; zsets person -> until
  moderation:<room>                  list of actions as JSON, oldest first
"""

import json
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from . import Database
from .schema import (
    change_seq,
    changes,
    dm_people,
    memberships,
    mentions,
    messages,
    moderation_log,
    read_markers,
    restrictions,
    room_owners,
    rooms,
)

PREFIX = "chat:"
MARKERS = ("history-rooms", "message-rooms", "owners")  # one of these exists wherever an older release ran
KINDS = (
    "seq",
    "messages",
    "client-ids",
    "change-seq",
    "changes",
    "dm",
    "dms",
    "reads",
    "readers",
    "belongs",
    "belonging",
    "mentions",
    "mentioned",
    "ban",
    "mute",
    "moderation",
)


def holds_durable_data(redis: Any, prefix: str = PREFIX) -> bool:
    """Return whether Redis holds data an older release kept there (and so is to be moved)."""
    return bool(redis.exists(*(prefix + marker for marker in MARKERS)))


def _keys(redis: Any, prefix: str, kind: str) -> list[str]:
    return sorted(redis.scan_iter(match=f"{prefix}{kind}:*", count=1000))


def move(redis: Any, database: Database, prefix: str = PREFIX, delete: bool = True) -> dict[str, int]:
    """Copy the durable data of ``redis`` into ``database`` in one transaction; return how many of each moved.

    With ``delete``, the moved keys then go from Redis. ``redis`` is a client made with
    decode_responses=True. Rows the database has already (a move run twice) are kept.
    """
    counts = {
        "rooms": 0,
        "messages": 0,
        "changes": 0,
        "dms": 0,
        "read markers": 0,
        "memberships": 0,
        "mentions": 0,
        "owners": 0,
        "restrictions": 0,
        "moderation records": 0,
    }

    def strip(key: str, kind: str) -> str:
        return key[len(prefix) + len(kind) + 1 :]

    def work(db: Connection) -> None:
        insert = database.insert
        recorded = set(redis.smembers(prefix + "history-rooms"))
        numbered = {strip(key, "seq"): int(redis.get(key) or 0) for key in _keys(redis, prefix, "seq")}
        for room in sorted(recorded | set(redis.smembers(prefix + "message-rooms")) | set(numbered)):
            last = numbered.get(room, 0)
            db.execute(
                insert(rooms)
                .values(name=room, last_id=last, removed=0 if room in recorded else 1)
                .on_conflict_do_update(
                    index_elements=[rooms.c.name],
                    set_={
                        "last_id": sa.func.max(rooms.c.last_id, last)
                        if database.sqlite
                        else sa.func.greatest(rooms.c.last_id, last)
                    },
                )
            )
            counts["rooms"] += room in recorded
            rows = []
            for raw in redis.zrange(prefix + "messages:" + room, 0, -1):
                data = json.loads(raw)
                user = data["user"]
                rows.append(
                    {
                        "room": room,
                        "id": data["id"],
                        "ts": data["ts"],
                        "user_id": user["id"],
                        "user_name": user["name"],
                        "user_guest": int(bool(user.get("guest"))),
                        "text": data["text"],
                        "client_id": data.get("clientId"),
                        "edited_at": data.get("editedAt"),
                        "deleted": int(bool(data.get("deleted"))),
                        "reactions": json.dumps(data["reactions"]) if data.get("reactions") else None,
                        "mentions": json.dumps(data["mentions"]) if data.get("mentions") else None,
                    }
                )
            if rows:
                db.execute(insert(messages).on_conflict_do_nothing(), rows)
                counts["messages"] += len(rows)
        for key in _keys(redis, prefix, "change-seq"):
            room, last = strip(key, "change-seq"), int(redis.get(key) or 0)
            db.execute(insert(change_seq).values(room=room, last_change=last).on_conflict_do_nothing())
            records = [json.loads(raw) for raw in redis.zrange(prefix + "changes:" + room, 0, -1)]
            if records:
                db.execute(
                    insert(changes).on_conflict_do_nothing(),
                    [
                        {"room": room, "change": record["change"], "id": record["id"], "record": json.dumps(record)}
                        for record in records
                    ],
                )
                counts["changes"] += len(records)
        for key in _keys(redis, prefix, "dms"):
            person = strip(key, "dms")
            for dm, other in sorted(redis.hgetall(key).items()):
                other = json.loads(other)
                db.execute(
                    insert(dm_people)
                    .values(
                        person=person,
                        dm=dm,
                        other_id=other["id"],
                        other_name=other["name"],
                        other_guest=int(bool(other.get("guest"))),
                    )
                    .on_conflict_do_nothing()
                )
                counts["dms"] += 1
        for key in _keys(redis, prefix, "reads"):
            room = strip(key, "reads")
            readers = redis.hgetall(prefix + "readers:" + room)
            for person, upto in redis.zrange(key, 0, -1, withscores=True):
                reader = json.loads(readers[person]) if person in readers else {"name": "", "guest": False}
                db.execute(
                    insert(read_markers)
                    .values(
                        person=person,
                        room=room,
                        upto=int(upto),
                        name=reader["name"],
                        guest=int(bool(reader.get("guest"))),
                    )
                    .on_conflict_do_nothing()
                )
                counts["read markers"] += 1
        for key in _keys(redis, prefix, "belongs"):
            person = strip(key, "belongs")
            for room in sorted(redis.smembers(key)):
                db.execute(insert(memberships).values(person=person, room=room).on_conflict_do_nothing())
                counts["memberships"] += 1
        for key in _keys(redis, prefix, "mentioned"):
            room = strip(key, "mentioned")
            for person in sorted(redis.smembers(key)):
                for message_id in redis.zrange(f"{prefix}mentions:{room}:{person}", 0, -1):
                    db.execute(
                        insert(mentions).values(room=room, person=person, id=int(message_id)).on_conflict_do_nothing()
                    )
                    counts["mentions"] += 1
        for room, person in sorted(redis.hgetall(prefix + "owners").items()):
            db.execute(insert(room_owners).values(room=room, person=person).on_conflict_do_nothing())
            counts["owners"] += 1
        for kind in ("ban", "mute"):
            for key in _keys(redis, prefix, kind):
                room = strip(key, kind)
                for person, until in redis.zrange(key, 0, -1, withscores=True):
                    db.execute(
                        insert(restrictions)
                        .values(kind=kind, room=room, person=person, until=until)
                        .on_conflict_do_nothing()
                    )
                    counts["restrictions"] += 1
        for key in _keys(redis, prefix, "moderation"):
            room = strip(key, "moderation")
            actions = redis.lrange(key, 0, -1)
            if actions:
                db.execute(moderation_log.insert(), [{"room": room, "action": action} for action in actions])
                counts["moderation records"] += len(actions)

    database.transaction(work)
    if delete:
        gone = [prefix + marker for marker in MARKERS]
        for kind in KINDS:
            gone += _keys(redis, prefix, kind)
        for start in range(0, len(gone), 500):
            redis.delete(*gone[start : start + 500])
    return counts
