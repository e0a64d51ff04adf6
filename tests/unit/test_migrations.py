"""The schema's migrations (Alembic): databases earlier releases wrote are upgraded in place, keeping everything."""

import shutil
import sqlite3
import subprocess
import sys
import time

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory

from chat.cli import create_app as maintenance_app
from chat.model import Member
from chat.stores import StartupError
from chat.stores.sql import Database
from chat.stores.sql.migrate import MIGRATIONS, alembic_config, current, upgrade
from support import ROOT, TIMEOUT
from support.clock import WALL_CLOCK_START
from support.databases import RELEASE_TEXTS, first_release_history, last_hand_written_release

ALICE, BOB = Member("p1", "Alice"), Member("p2", "Bob", True)
HEAD = ScriptDirectory(str(MIGRATIONS)).get_current_head()  # the newest revision


def test_the_first_release_database_is_upgraded_keeping_its_message(tmp_path, make_durable):
    """Upgrade the first release's file in place: its message reads back, numbering goes on, the rest is added."""
    path = first_release_history(str(tmp_path / "old.sqlite3"), ts=7)
    stores = make_durable(path)
    assert [(m.id, m.ts, m.text, m.user) for m in stores.history.after("a", 0, 10)[0]] == [(1, 7, "old", ALICE)]
    assert stores.history.append("a", ALICE, "new", "c1")[0].id == 2
    assert stores.dms.open("dm:1", ALICE, BOB) and stores.reads.mark(ALICE, "a", 2) == 0
    assert current(Database(path)) == (HEAD, HEAD)


def test_the_last_hand_written_release_database_keeps_every_row(tmp_path, make_durable):
    """Upgrade the last hand-written schema: messages, changes, DMs, markers, mentions and moderation all kept."""
    ts = WALL_CLOCK_START * 1000
    path = last_hand_written_release(str(tmp_path / "old.sqlite3"), ts)
    stores = make_durable(path)
    history = stores.history
    messages, _ = history.after("a", 0, 10)
    assert [(m.id, m.text, m.client_id, m.deleted) for m in messages] == [
        (1, "plain", "c1", False),
        (2, "half \ud83d", None, False),
        (3, "", None, True),
    ]
    assert messages[0].edited_at == ts + 5 and messages[0].reactions == {"👍": ["p2"]}
    assert messages[1].mentions == ("p2",)
    assert history.append("a", ALICE, "resent", "c1") == (messages[0], False)
    assert history.append("a", ALICE, "next")[0].id == 4
    assert history.after("dm:1", 0, 10)[0][0].text == "just us"
    assert stores.changes.after("a", 0) == (
        [{"event": "message-edited", "room": "a", "id": 1, "text": "plain", "change": 1}],
        False,
        False,
    )
    assert stores.changes.edit("a", 1, "p1", "edited")["change"] == 2
    assert stores.dms.people("dm:1") == ("p1", "p2") and stores.dms.of_person("p1") == [("dm:1", BOB)]
    assert stores.reads.marker("p2", "a") == 2 and stores.reads.belongs("p2") == ["a"]
    assert stores.reads.mentions_after("p2", "a", 0) == 1
    assert stores.moderation.owner("a") == "p1" and stores.moderation.until("ban", "a", "p2") == ts / 1000 + 3600
    assert stores.moderation.log("a") == [{"action": "ban"}]
    with sqlite3.connect(path) as db:  # text is bytes from now on, as new rows are
        assert {kind for (kind,) in db.execute("SELECT typeof(text) FROM messages")} == {"blob"}


def test_upgrading_twice_changes_nothing(database_url):
    """Leave a database at the newest revision as it is (every process start asks)."""
    database = Database(database_url)
    upgrade(database)
    upgrade(database)
    assert current(database) == (HEAD, HEAD)
    database.close()


def test_without_upgrading_on_start_the_command_does_it(tmp_path, make_durable, monkeypatch):
    """Refuse to start on a schema behind, naming the command; start once `db-upgrade` ran."""
    path = first_release_history(str(tmp_path / "old.sqlite3"), ts=7)
    with pytest.raises(StartupError, match="db-upgrade"):
        make_durable(path, DATABASE_UPGRADE_ON_START=False)
    monkeypatch.setenv("CHAT_DATABASE_URL", path)
    result = maintenance_app().test_cli_runner().invoke(args=["db-upgrade"])
    assert result.exit_code == 0 and f"database at revision {HEAD}" in result.output, result.output
    stores = make_durable(path, DATABASE_UPGRADE_ON_START=False)
    assert stores.history.after("a", 0, 10)[0][0].text == "old"


@pytest.mark.postgres
def test_processes_starting_at_once_upgrade_one_postgresql_database_once(postgres):
    """Upgrade under the advisory lock: four processes at once, one schema, no error."""
    url = postgres.database()
    script = (
        "import sys; from chat.stores.sql import Database; from chat.stores.sql.migrate import upgrade; "
        "upgrade(Database(sys.argv[1]))"
    )
    processes = [
        subprocess.Popen([sys.executable, "-c", script, url], cwd=ROOT, stderr=subprocess.PIPE) for _ in range(4)
    ]
    failures = [process.communicate(timeout=TIMEOUT * 4)[1] for process in processes if process.wait() != 0]
    assert failures == [] and current(Database(url)) == (HEAD, HEAD)


@pytest.mark.parametrize("release", sorted(path.name for path in (ROOT / "tests" / "data").glob("release-*.sqlite3")))
def test_a_database_a_tagged_release_wrote_opens_with_every_row(release, tmp_path, make_durable):
    """Open a copy of the database each issue's landing commit wrote (write_release_data): every row reads back."""
    path = tmp_path / release
    shutil.copyfile(ROOT / "tests" / "data" / release, path)
    stores = make_durable(str(path))
    messages, _ = stores.history.after("a", 0, 10)
    assert [(m.id, m.client_id) for m in messages] == [(1, "c1"), (2, "c2"), (3, "c3"), (4, "c4")]
    assert [m.text for m in messages] == ["plain, edited", *RELEASE_TEXTS[1:]]  # every code point kept
    assert messages[0].mentions == ("p2",) and messages[1].reactions == {"👍": ["p2"]}
    assert stores.history.append("a", ALICE, "resent", "c3")[0] == messages[2]  # idempotent across releases
    assert stores.history.append("a", ALICE, "next")[0].id == 5
    assert stores.changes.last_change("a") == 2
    assert stores.history.after("dm:1", 0, 10)[0][0].text == "just us" and stores.dms.people("dm:1") == ("p1", "p2")
    assert stores.reads.marker("p2", "a") == 2 and stores.reads.mentions_after("p2", "a", 0) == 1
    assert stores.moderation.owner("a") == "p1" and stores.moderation.until("ban", "a", "p3") == 2_000_000_000
    assert stores.moderation.log("a") == [{"action": "ban", "person": "p3"}]
    assert current(Database(str(path)))[0] == current(Database(str(path)))[1]  # upgraded to the newest


def test_the_guests_an_older_database_knows_of_get_a_lifetime_and_then_go(tmp_path, make_durable):
    """Record the release's guest (Bob, a DM's other person and a reader) as seen at the upgrade; forget them later.

    Forgetting a guest deletes their DM whole (both people's rows and its messages) and their
    read markers; the room's messages stay.
    """
    path = tmp_path / "release-issue-17.sqlite3"
    shutil.copyfile(ROOT / "tests" / "data" / "release-issue-17.sqlite3", path)
    stores = make_durable(str(path))
    dms = stores.dms
    assert dms.expired_guests(time.time() - 60, 10) == []
    assert dms.expired_guests(time.time() + 60, 10) == ["p2"]
    assert dms.forget_guests(["p2"]) == ["dm:1"]
    assert dms.people("dm:1") is None and dms.of_person("p1") == []
    assert stores.history.after("dm:1", 0, 10)[0] == [] and stores.history.last_id("dm:1") == 0
    assert stores.reads.marker("p2", "a") == 0 and stores.reads.mentions_after("p2", "a", 0) == 0
    assert len(stores.history.after("a", 0, 10)[0]) == 4
    assert dms.expired_guests(time.time() + 60, 10) == []


def test_upgrading_makes_a_client_id_its_senders_own(tmp_path, make_durable):
    """Index clientIds per (room, sender) after upgrading the last release's file: its messages kept, resends found."""
    path = tmp_path / "release-issue-17.sqlite3"
    shutil.copyfile(ROOT / "tests" / "data" / "release-issue-17.sqlite3", path)
    stores = make_durable(str(path))
    history = stores.history
    originals, _ = history.after("a", 0, 10)
    assert len(originals) == 4
    assert history.append("a", ALICE, "resent", "c3") == (originals[2], False)
    bobs, new = history.append("a", BOB, "his own c3", "c3")
    assert new and bobs.id == 5 and history.find("a", BOB.id, "c3") == bobs
    assert history.find("a", ALICE.id, "c3") == originals[2]
    engine = sa.create_engine(f"sqlite:///{path}")
    indexes = {index["name"]: index for index in sa.inspect(engine).get_indexes("messages")}
    engine.dispose()
    by_client_id = indexes["messages_by_sender_client_id"]
    assert by_client_id["column_names"] == ["room", "user_id", "client_id"] and by_client_id["unique"]
    assert "messages_by_client_id" not in indexes


def test_going_back_from_per_sender_client_ids_keeps_every_message(durable):
    """Downgrade 0002 on both backends: every message stays; a clientId reused by a later sender is dropped from it."""
    stores = durable()
    history = stores.history
    alices, _ = history.append("a", ALICE, "from Alice", "c-1")
    history.append("a", BOB, "from Bob", "c-1")
    database = Database(durable.url)
    config = alembic_config(database)
    with database._lock, database.engine.connect() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")
    assert current(database)[0] == "0001"
    kept, _ = history.after("a", 0, 10)
    assert [(m.id, m.text, m.client_id) for m in kept] == [(1, "from Alice", "c-1"), (2, "from Bob", None)]
    upgrade(database)
    assert history.append("a", BOB, "from Bob", "c-1")[1] is True  # his clientId was forgotten, not his message
    assert history.append("a", ALICE, "from Alice", "c-1") == (alices, False)
    database.close()


def test_the_room_lifecycle_revision_drops_what_removed_rooms_left_and_keeps_their_counters(database_url, make_durable):
    """Upgrade a database at 0001: a removed room's change records and record go, its counters and all messages stay."""
    database = Database(database_url)
    config = alembic_config(database)
    with database.engine.connect() as connection:
        config.attributes["connection"] = connection
        # The session's PostgreSQL database is at the newest revision already: down to 0001, which tests going down too.
        (command.downgrade if current(database)[0] else command.upgrade)(config, "0001")
        connection.commit()
    with database.engine.begin() as db:
        db.execute(sa.text("INSERT INTO rooms (name, last_id, removed) VALUES ('gone', 7, 1), ('a', 1, 0)"))
        db.execute(sa.text("INSERT INTO change_seq (room, last_change) VALUES ('gone', 3)"))
        db.execute(sa.text("INSERT INTO changes (room, change, id, record) VALUES ('gone', 3, 7, '{}')"))
        db.execute(sa.text("INSERT INTO moderation_log (room, action) VALUES ('gone', '{}'), ('a', '{\"n\": 1}')"))
    upgrade(database)
    stores = make_durable(database_url, REMOVED_ROOMS_KEPT=1)
    assert stores.history.last_id("gone") == 7 and stores.changes.last_change("gone") == 3
    assert stores.changes.after("gone", 0)[0] == [] and stores.moderation.log("gone") == []
    assert stores.moderation.log("a") == [{"n": 1}]
    stores.history.add_room("other")
    stores.history.remove_room("other")  # one more removed than kept: the one removed before the revision goes first
    stores.history.add_room("gone")
    assert stores.history.append("gone", ALICE, "x")[0].id == 8
    assert stores.history.last_id("other") == 0
    database.close()
