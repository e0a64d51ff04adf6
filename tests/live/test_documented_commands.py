"""The documented commands that start no server, run as the README and docs/ write them.

Each test takes its command from the documentation itself (support.docs), so a command changed
there is the command run here; tests/unit/test_docs.py checks that every documented command has
a test that runs it.
"""

import os
import subprocess

import jwt

from support import ROOT
from support.docs import documented_commands, split_command
from support.servers import run_env


def documented(prefix: str) -> list[str]:
    """Return the words of the one documented command that starts with ``prefix``."""
    found = {command.text for command in documented_commands() if command.text.startswith(prefix)}
    assert len(found) == 1, f"expected one documented command starting {prefix!r}, found {found}"
    assignments, words = split_command(found.pop())
    assert not assignments, "this test sets no variables: say what it sets them to"
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
    words = documented(".venv-test/bin/python -m pytest")
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
