"""The benchmark's documented commands, each run from the checkout with a tiny load: they work as written.

docs/benchmarks.md shows the commands with their real sizes (N=500, seconds per step, three
rounds); this runs each one with the same script and options but a few clients for a second or
two, one round and a short ramp, so its documented form stays true at the cost of a smoke test.
The figures themselves are not checked: only that every run keeps the seed contract and reports.
"""

import json
import os
import subprocess

import pytest

from support import ROOT
from support.docs import documented_commands, split_command
from support.servers import run_env

# Per script, the options that size a run and the tiny values they get here.
TINY = {
    "bench/run.py": {"--clients": "20", "--duration": "1"},
    "bench/side_by_side.py": {
        "--clients": "20",
        "--deliveries": "400",
        "--duration": "1",
        "--rounds": "1",
        "--max-steps": "2",
    },
    "bench/metrics_cost.py": {"--clients": "20", "--duration": "2", "--rounds": "1"},
    "bench/store.py": {"--seconds": "0.3", "--rounds": "1", "--writers": "1,2"},
}
SATURATING = {"--max-steps": "2"}  # run.py's ramp, cut short


def benchmark_commands() -> list[str]:
    """Return the documented commands that run a script of bench/."""
    return sorted({command.text for command in documented_commands() if "bench/" in command.text})


def shrunk(words: list[str]) -> list[str]:
    """Return the command with its sizing options set to tiny values, every other word as written."""
    script = next(word for word in words if word.startswith("bench/"))
    tiny = dict(TINY[script])
    if "--saturate" in words:
        tiny.update(SATURATING)
    # MODE@DIR (a before and after): the other checkout is this one, which has its .venv.
    words = [word.replace("@../before", f"@{ROOT}") for word in words]
    for option, value in tiny.items():
        if option in words:
            words[words.index(option) + 1] = value
        else:
            words += [option, value]
    return words


def json_lines(output: str) -> list[dict]:
    """Return the JSON records a benchmark printed, one a line."""
    return [json.loads(line) for line in output.splitlines() if line.startswith("{")]


def test_every_bench_script_is_documented():
    """Find a documented command for each of bench/'s scripts, so each is smoke-run below."""
    assert {next(w for w in command.split() if w.startswith("bench/")) for command in benchmark_commands()} == set(TINY)


@pytest.mark.parametrize("command", benchmark_commands())
def test_documented_benchmark_command_runs(command, tmp_path):
    """Run a documented benchmark command with a tiny load: every run keeps the contract and is reported."""
    run_env("gunicorn")  # fail with its clear message before a run that cannot work
    assignments, words = split_command(command)
    assert not assignments and words[0] == ".venv/bin/python"
    env = {name: value for name, value in os.environ.items() if not name.startswith("PYTEST_")}
    env["TMPDIR"] = str(tmp_path)  # the runs' databases and logs
    words = shrunk(words)
    finished = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, check=False, timeout=600)
    output = finished.stdout
    problems = f"{output[-3000:]}\n{finished.stderr[-3000:]}"
    script = words[1]
    if script == "bench/run.py":
        assert finished.returncode == 0, problems
        records = json_lines(output)
        expected = (
            words[words.index("--mode") + 1].split(",")
            if "--mode" in words
            else ["flask", "gunicorn-threads", "gunicorn-gevent"]
        )
        assert [record["mode"] for record in records] == expected
        assert all(record["ok"] and record["steps"] for record in records), problems
        if "--saturate" in words:
            assert all(record["max_sustained_deliveries_per_s"] > 0 for record in records), problems
    elif script == "bench/side_by_side.py":
        assert finished.returncode == 0, problems
        servers = (
            words[words.index("--servers") + 1].split(",") if "--servers" in words else ["node", "gunicorn-gevent"]
        )
        assert "Measured " in output and ", commit " in output
        header = next(line for line in output.splitlines() if line.startswith("| measure |"))
        assert header.count("|") == len(servers) + 2
        assert "Node socket.io 4.8 (reference)" in header and f"this server, {servers[1]}" in header
        rows = {line.split(" | ")[0]: line for line in output.splitlines() if line.startswith("| ")}
        cpu = next(line for title, line in rows.items() if title.startswith("| server CPU per delivery"))
        assert "–" not in cpu, cpu  # every server's CPU per delivery was measured
        assert any(title.startswith("| max sustained") for title in rows) != ("--fixed-only" in words)
    elif script == "bench/store.py":
        assert finished.returncode == 0, problems
        rows = [line for line in output.splitlines() if line.startswith("| ") and "messages/s" not in line]
        databases = (
            words[words.index("--databases") + 1].split(",") if "--databases" in words else ["sqlite", "postgresql"]
        )
        # SQLite: one writer; PostgreSQL: 1 writer, then 2 in one conversation and in a room each.
        assert [row.split(",")[0] for row in rows] == [
            f"| {name}" for name in databases for _ in ([1] if name == "sqlite" else [1, 2, 3])
        ], problems
        assert all(float(row.split(" | ")[1].rstrip(" |").replace(",", "")) > 0 for row in rows), problems
    else:  # bench/metrics_cost.py: with so small a load the 2 % bound itself may go either way
        assert finished.returncode in (0, 1), problems
        assert [line.split()[1] for line in output.splitlines() if line.startswith("metrics ")] == ["off", "on"]
        assert "FAILED" not in output and "median us/delivery" in output, problems
