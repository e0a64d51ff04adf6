"""The documentation stays true: every shell command in it is run by a test, its links resolve, the README stays short."""

import re
from pathlib import Path

import pytest

from support import ROOT
from support.docs import documented_commands, documents, indented_code_blocks

START = "tests/live/test_start_commands.py::test_documented_start_command_serves_clients"
BENCH = "tests/live/test_bench.py::test_documented_benchmark_command_runs"
OTHERS = "tests/live/test_documented_commands.py"

# Every command of a shell block in README.md or docs/*.md, and the test that runs it: as
# written, or (for a command that only makes sense on a production host, or whose full run is
# the whole suite) its local equivalent, said in that test's docstring.
COVERED = {
    "bash scripts/demo.sh": "tests/live/test_start_commands.py::test_demo_command_installs_and_starts_with_debians_python",
    "bash scripts/test.sh": f"{OTHERS}::test_the_test_command_installs_and_runs_pytest",
    ".venv-test/bin/python -m pytest tests/unit tests/app": f"{OTHERS}::test_the_fast_command_runs_the_unit_and_app_levels",
    "CHAT_SECRET_KEY=... .venv/bin/gunicorn --worker-class gevent --workers 1 --worker-connections 10000"
    " --bind 0.0.0.0:8000 wsgi:app": START,
    ".venv/bin/gunicorn --workers 1 --threads 100 --bind 0.0.0.0:8000 wsgi:app": START,
    "CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat CHAT_REDIS_URL=redis://127.0.0.1:6379/0"
    " CHAT_SECRET_KEY=... .venv/bin/gunicorn --worker-class gevent --workers 2"
    " --worker-connections 10000 --bind 0.0.0.0:8000 wsgi:app": START,
    "PROMETHEUS_MULTIPROC_DIR=/tmp/chat-metrics CHAT_METRICS=true CHAT_METRICS_TOKEN=..."
    " CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat CHAT_REDIS_URL=redis://127.0.0.1:6379/0"
    " CHAT_SECRET_KEY=... .venv/bin/gunicorn -c gunicorn.conf.py"
    " --worker-class gevent --workers 2 --worker-connections 10000 --bind 0.0.0.0:8000 wsgi:app": START,
    # The database's commands (docs/storage.md), each on the test's own PostgreSQL, Redis or folder.
    "CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat .venv/bin/flask --app chat.cli db-upgrade": f"{OTHERS}"
    "::test_the_db_upgrade_command_brings_a_postgresql_database_to_the_newest_revision",
    'pg_dump --format=custom --file=chat.dump "$CHAT_DATABASE_URL"': f"{OTHERS}"
    "::test_the_postgresql_backup_commands_dump_and_restore_the_chat",
    'pg_restore --clean --if-exists --dbname="$CHAT_DATABASE_URL" chat.dump': f"{OTHERS}"
    "::test_the_postgresql_backup_commands_dump_and_restore_the_chat",
    'sqlite3 instance/chat.sqlite3 ".backup chat-backup.sqlite3"': f"{OTHERS}"
    "::test_the_sqlite_backup_command_copies_a_running_database",
    "CHAT_DATABASE_URL=postgresql://chat:secret@127.0.0.1/chat CHAT_REDIS_URL=redis://127.0.0.1:6379/0"
    " .venv/bin/flask --app chat.cli move-from-redis": f"{OTHERS}"
    "::test_the_move_from_redis_command_moves_an_older_releases_data",
    ".venv/bin/flask --app app issue-token --admin --name Admin --sub admin-1 --lifetime 3600": f"{OTHERS}::test_the_issue_token_command_prints_an_administrators_token",
    ".venv-test/bin/python -m pytest tests/faults --fault-seeds 1-20 --fault-duration 60": "tests/faults/test_fault_command.py"
    "::test_the_long_form_command_runs_as_written",
    ".venv/bin/python bench/side_by_side.py": BENCH,
    ".venv/bin/python bench/side_by_side.py --servers node,gunicorn-gevent@../before,gunicorn-gevent --fixed-only": BENCH,
    ".venv/bin/python bench/store.py": BENCH,
    ".venv/bin/python bench/side_by_side.py --servers node,gunicorn-gevent-redis": BENCH,
    ".venv/bin/python bench/run.py": BENCH,
    ".venv/bin/python bench/run.py --mode gunicorn-gevent --clients 200,500 --duration 4 --saturate": BENCH,
    ".venv/bin/python bench/run.py --mode gunicorn-gevent-redis --clients 200,500 --duration 4 --saturate": BENCH,
    ".venv/bin/python bench/metrics_cost.py": BENCH,
}
README_MAX_BYTES = 15_000
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def test_every_documented_command_is_run_by_a_test():
    """Find every shell command of the README and docs/ in the registry, and nothing there that is no longer shown."""
    documented = {command.text: command.document for command in documented_commands()}
    missing = {text: document for text, document in documented.items() if text not in COVERED}
    assert not missing, f"add each to COVERED with the test that runs it: {missing}"
    assert set(COVERED) == set(documented), f"no longer documented: {set(COVERED) - set(documented)}"


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.name)
def test_no_command_hides_in_an_indented_code_block(document):
    """Write code in fenced blocks, which the registry reads: an indented block would show a command no test runs."""
    assert not indented_code_blocks(document.read_text())


@pytest.mark.parametrize("target", sorted(set(COVERED.values())))
def test_each_registered_test_exists(target):
    """Point every registry entry at a test function that exists."""
    path, name = target.split("::")
    assert re.search(rf"^def {name}\(", (ROOT / path).read_text(), re.MULTILINE), f"{path} has no {name}"


def test_the_readme_is_short():
    """Keep the README to what a newcomer reads in five minutes; the rest is in docs/."""
    assert len((ROOT / "README.md").read_bytes()) <= README_MAX_BYTES


def test_the_settings_table_sits_between_its_markers():
    """Keep the settings table in one marked block of the README's Settings section."""
    readme = (ROOT / "README.md").read_text()
    assert readme.count("<!-- settings-table:begin -->") == 1 and readme.count("<!-- settings-table:end -->") == 1
    section = readme[readme.index("\n## Settings\n") :]
    block = section[section.index("<!-- settings-table:begin -->") : section.index("<!-- settings-table:end -->")]
    assert "| `CHAT_SECRET_KEY` |" in block and "| `CHAT_REDIS_URL` |" in block


def anchors(path: Path) -> set[str]:
    """Return the anchors GitHub makes of a Markdown file's headings."""
    headings = re.findall(r"^#+ (.+)$", path.read_text(), re.MULTILINE)
    return {re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-") for heading in headings}


@pytest.mark.parametrize("document", documents(), ids=lambda path: path.name)
def test_links_between_the_documents_resolve(document):
    """Resolve every relative link of the README and docs/ to a file, and its #anchor to a heading there."""
    broken = []
    for link in LINK.findall(document.read_text()):
        if re.match(r"[a-z]+:", link):
            continue  # http(s) and mailto: not followed
        target, _, anchor = link.partition("#")
        path = (document.parent / target).resolve() if target else document
        if not path.exists() or (anchor and path.suffix == ".md" and anchor not in anchors(path)):
            broken.append(link)
    assert not broken
