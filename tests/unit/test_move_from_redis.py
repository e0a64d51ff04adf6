"""Moving an older release's durable data out of Redis into the SQL database, and refusing to start before it.

tests/data/redis-before-sql.json is every key the last release's Redis stores wrote for a
few messages (a lone surrogate and a U+0000 among them), a DM, changes, read markers,
mentions and moderation records: loaded into an emptied Redis, it is that deployment's data.
"""

import json
from pathlib import Path

import pytest

from chat.cli import create_app as maintenance_app
from chat.model import Member
from chat.stores import StartupError

DUMP = Path(__file__).resolve().parent.parent / "data" / "redis-before-sql.json"
DM = "dm:" + "ab" * 12
ALICE, BOB = Member("p1", "Alice"), Member("p2", "Bob", True)

pytestmark = pytest.mark.postgres


def load_dump(redis):
    """Write every key of the dump into ``redis``."""
    for key, (kind, value) in json.loads(DUMP.read_text()).items():
        if kind == "string":
            redis.set(key, value)
        elif kind == "set":
            redis.sadd(key, *value)
        elif kind == "hash":
            redis.hset(key, mapping=value)
        elif kind == "zset":
            redis.zadd(key, dict(value))
        elif kind == "list":
            redis.rpush(key, *value)


@pytest.fixture
def several(request, postgres, shared_redis, redis_db, make_durable, monkeypatch):
    """Return (open the stores of a process of the deployment, its settings), on Redis holding the old data."""
    load_dump(redis_db)
    settings = {"DATABASE_URL": postgres.database(), "REDIS_URL": shared_redis.url}
    for key, value in settings.items():
        monkeypatch.setenv(f"CHAT_{key}", value)
    return (lambda: make_durable(settings["DATABASE_URL"], REDIS_URL=settings["REDIS_URL"])), redis_db


def test_a_process_refuses_to_start_on_redis_holding_messages_and_names_the_move(several):
    """Refuse to start, naming the command, while Redis holds an older release's messages."""
    open_process, _ = several
    with pytest.raises(StartupError, match="move-from-redis"):
        open_process()


def test_the_move_keeps_every_id_and_record_and_empties_redis_of_them(several, wall_clock):
    """Move messages, rooms, DMs, changes, markers, mentions and moderation with their ids; then start."""
    open_process, redis = several
    result = maintenance_app().test_cli_runner().invoke(args=["move-from-redis"])
    assert result.exit_code == 0, result.output
    assert "moved 2 rooms, 5 messages, 3 changes, 2 dms" in result.output
    assert not [key for key in redis.scan_iter("chat:*") if not key.startswith("chat:dm-seen:")]
    stores = open_process()
    history = stores.history
    assert sorted(history.rooms()) == ["games", "general"]
    general, _ = history.after("general", 0, 10)
    assert [(m.id, m.text, m.client_id, m.deleted) for m in general] == [
        (1, "hello, edited", "c-1", False),
        (2, "half \ud83d and nul \x00", "c-2", False),
        (3, "", None, True),
    ]
    assert general[1].reactions == {"👍": ["p1"]} and general[1].mentions == ("p1",)
    assert history.find("games", ALICE.id, "c-1").text == "in games"
    assert history.append("general", ALICE, "next")[0].id == 4
    assert history.append("general", BOB, "resent", "c-2")[1] is False  # a clientId is its sender's
    assert stores.changes.last_change("general") == 3
    changes, more, lost = stores.changes.after("general", 0)
    assert [change["change"] for change in changes] == [1, 2, 3] and not more and not lost
    assert stores.dms.people(DM) == ("p1", "p2") and stores.dms.of_person("p1") == [(DM, BOB)]
    assert [m.text for m in history.after(DM, 0, 10)[0]] == ["just us"]
    reads = stores.reads
    assert (reads.marker("p1", "general"), reads.marker("p2", "general")) == (2, 1)
    assert reads.readers("general", 1, 10) == ([ALICE], False)
    assert reads.belongs("p1") == ["games", "general"] and reads.mentions_after("p1", "general", 0) == 1
    moderation = stores.moderation
    assert moderation.owner("games") == "p1"
    assert moderation.until("ban", "games", "p2") == 1_900_000_000.0
    assert moderation.until("mute", "games", "p3") == 1_900_000_000.0
    assert [action["action"] for action in moderation.log("games")] == ["ban", "mute"]


def test_redis_with_a_sqlite_database_refuses_to_start(tmp_path, shared_redis, make_durable):
    """Refuse several processes on SQLite files, naming CHAT_DATABASE_URL."""
    with pytest.raises(StartupError, match="CHAT_DATABASE_URL"):
        make_durable(str(tmp_path / "chat.sqlite3"), REDIS_URL=shared_redis.url)
