"""The documented commands that start no server, run as the README and docs/ write them.

Each test takes its command from the documentation itself (support.docs), so a command changed
there is the command run here; tests/unit/test_docs.py checks that every documented command has
a test that runs it.
"""

import json
import os
import re
import subprocess

import jwt
import pytest

from chat.model import Member
from support import ROOT
from support.docs import documented_commands, split_command
from support.servers import run_env

# Every key an older release's Redis stores wrote for a few messages, a DM, changes, read
# markers, mentions and moderation records (tests/unit/test_move_from_redis.py reads it too).
REDIS_BEFORE_SQL = ROOT / "tests" / "data" / "redis-before-sql.json"


def documented_text(prefix: str) -> str:
    """Return the one documented command that starts with ``prefix`` after its VAR=value assignments, lines joined."""
    found = {
        command.text
        for command in documented_commands()
        if re.sub(r"^([A-Z_]+=\S* )+", "", command.text).startswith(prefix)
    }
    assert len(found) == 1, f"expected one documented command starting {prefix!r}, found {found}"
    return found.pop()


def documented(prefix: str) -> list[str]:
    """Return the words of the one documented command that starts with ``prefix``."""
    assignments, words = split_command(documented_text(prefix))
    assert not assignments, "this test sets no variables: say what it sets them to"
    return words


def documented_with(prefix: str, **values: str) -> list[str]:
    """Return the words of the one documented command starting with ``prefix``, which sets the variables of ``values``.

    ``values`` must name every variable the command sets (the test's own servers in place of the
    documentation's examples), each with the scheme the documentation shows; the test runs the
    words with ``values`` in their environment.
    """
    assignments, words = split_command(documented_text(prefix))
    assert set(assignments) == set(values), f"say what the test sets {set(assignments) ^ set(values)} to"
    for name, value in values.items():
        scheme = assignments[name].split("://")[0]
        assert value.startswith(scheme + "://"), f"{name}: the documentation shows {scheme}, the test {value}"
    return words


def collected(output: str) -> list[str]:
    """Return the test ids that ``pytest --collect-only -q`` printed."""
    return [line for line in output.splitlines() if "::" in line and not line.startswith(" ")]


def clean_environment() -> dict[str, str]:
    """Return this process's environment without what pytest sets for itself, as a shell has it."""
    return {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}


def test_the_test_command_installs_and_runs_pytest():
    """Run the test command with pytest's --collect-only added: it reuses the environments and collects every level.

    The command alone runs the whole suite, this one included, as CI does (.ci/run): collecting
    shows it installs nothing missing and hands its arguments to pytest over every level.
    """
    words = documented("bash scripts/test.sh")
    finished = subprocess.run(
        [*words, "--collect-only", "-q"],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    levels = {test_id.split("/")[1] for test_id in collected(finished.stdout)}
    assert levels >= {"unit", "app", "live", "browser"}
    assert "building" not in finished.stderr  # both environments were reused, as the README says


def test_the_fast_command_runs_the_unit_and_app_levels():
    """Collect with the documented fast command: the unit and app levels, and nothing that starts a server."""
    words = documented(".venv-test/bin/python -m pytest tests/unit")
    finished = subprocess.run(
        [*words, "--collect-only", "-q"],
        cwd=ROOT,
        env=clean_environment(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert finished.returncode == 0, finished.stdout[-3000:]
    test_ids = collected(finished.stdout)
    assert {test_id.split("/")[1] for test_id in test_ids} == {"unit", "app"}
    assert len(test_ids) > 800


def test_the_issue_token_command_prints_an_administrators_token(tmp_path):
    """Run flask issue-token as documented: an administrator's token, signed with the key the server reads."""
    words = documented(".venv/bin/flask --app app issue-token")
    run_env("flask")  # fail with its clear message while .venv is missing or stale
    key_file, database = tmp_path / "secret_key", tmp_path / "chat.sqlite3"
    # The key the documentation promises is the one a server from this checkout would read: its
    # instance folder's, kept here in a temporary file rather than in the checkout.
    env = {name: value for name, value in clean_environment().items() if not name.startswith(("CHAT_", "FLASK_"))}
    env.update(CHAT_SECRET_KEY_FILE=str(key_file), CHAT_HISTORY_DATABASE=str(database))
    finished = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=60)
    assert finished.returncode == 0, finished.stderr
    token = finished.stdout.strip().splitlines()[-1]
    claims = jwt.decode(token, key_file.read_text().strip(), algorithms=["HS256"])
    assert claims["roles"] == ["admin"]
    assert (claims["name"], claims["sub"]) == ("Admin", "admin-1")
    assert claims["exp"] - claims["iat"] == 3600


def command_env(tmp_path, **variables: str) -> dict[str, str]:
    """Return a shell's environment without the chat's settings, plus ``variables`` and a key of the test's own."""
    env = {name: value for name, value in clean_environment().items() if not name.startswith(("CHAT_", "FLASK_"))}
    # The maintenance app loads every setting: a key of its own keeps it from writing one to the checkout.
    return {**env, "CHAT_SECRET_KEY_FILE": str(tmp_path / "secret_key"), **variables}


def run_command(words, env, cwd=ROOT):
    """Run a documented command's words; fail with its output unless it succeeds; return its stdout."""
    finished = subprocess.run(words, cwd=cwd, env=env, capture_output=True, text=True, check=False, timeout=120)
    assert finished.returncode == 0, finished.stdout[-3000:] + finished.stderr[-3000:]
    return finished.stdout


def run_shell(text, env, cwd):
    """Run a documented command through bash, as a reader's shell would (its quotes and $VARIABLES)."""
    return run_command(["bash", "-c", text], env, cwd)


@pytest.mark.postgres
def test_the_db_upgrade_command_brings_a_postgresql_database_to_the_newest_revision(postgres, tmp_path):
    """Run flask --app chat.cli db-upgrade as documented on an empty PostgreSQL database: it holds the schema after."""
    from chat.stores.sql import Database
    from chat.stores.sql.migrate import current

    run_env("flask")  # fail with its clear message while .venv is missing or stale
    url = postgres.database()
    words = documented_with(".venv/bin/flask --app chat.cli db-upgrade", CHAT_DATABASE_URL=url)
    printed = run_command(words, command_env(tmp_path, CHAT_DATABASE_URL=url))
    database = Database(url)
    try:
        revision, head = current(database)
    finally:
        database.close()
    assert revision == head and f"database at revision {head}" in printed


@pytest.mark.postgres
def test_the_postgresql_backup_commands_dump_and_restore_the_chat(postgres, make_durable, tmp_path):
    """Dump a database with a message in it, as documented, add one more, restore: the first is back alone."""
    url = postgres.database()
    alice = Member("p1", "Alice")
    stores = make_durable(url)
    stores.history.append("general", alice, "kept")
    env = command_env(tmp_path, CHAT_DATABASE_URL=url)
    run_shell(documented_text('pg_dump --format=custom --file=chat.dump "$CHAT_DATABASE_URL"'), env, tmp_path)
    assert (tmp_path / "chat.dump").stat().st_size > 0
    stores.history.append("general", alice, "after the dump")
    run_shell(documented_text("pg_restore "), env, tmp_path)
    restored = make_durable(url).history.after("general", 0, 10)[0]
    assert [message.text for message in restored] == ["kept"]


def test_the_sqlite_backup_command_copies_a_running_database(make_durable, tmp_path):
    """Copy an open SQLite file with sqlite3's .backup as documented, from the folder it names: the copy has the messages."""
    (tmp_path / "instance").mkdir()
    stores = make_durable(str(tmp_path / "instance" / "chat.sqlite3"))  # open, as a running server holds it
    stores.history.append("general", Member("p1", "Alice"), "kept")
    run_shell(documented_text("sqlite3 "), command_env(tmp_path), tmp_path)
    copied = make_durable(str(tmp_path / "chat-backup.sqlite3")).history.after("general", 0, 10)[0]
    assert [message.text for message in copied] == ["kept"]


def load_redis_before_sql(redis):
    """Write every key of the older release's Redis dump into ``redis``."""
    for key, (kind, value) in json.loads(REDIS_BEFORE_SQL.read_text()).items():
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


@pytest.mark.postgres
def test_the_move_from_redis_command_moves_an_older_releases_data(
    postgres, shared_redis, redis_db, make_durable, tmp_path
):
    """Run flask --app chat.cli move-from-redis as documented on an older release's Redis: the messages move, ids kept."""
    run_env("flask")
    load_redis_before_sql(redis_db)
    url = postgres.database()
    variables = {"CHAT_DATABASE_URL": url, "CHAT_REDIS_URL": shared_redis.url}
    words = documented_with(".venv/bin/flask --app chat.cli move-from-redis", **variables)
    printed = run_command(words, command_env(tmp_path, **variables))
    assert "moved 2 rooms, 5 messages" in printed
    assert not [key for key in redis_db.scan_iter("chat:*") if not key.startswith("chat:dm-seen:")]
    moved = make_durable(url).history.after("general", 0, 10)[0]
    assert [message.id for message in moved] == [1, 2, 3]
