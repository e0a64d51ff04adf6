#!/usr/bin/env python3
"""Measure the durable store alone: messages stored a second, in one conversation and in total.

  .venv/bin/python bench/store.py
  .venv/bin/python bench/store.py --databases postgresql --writers 1,2,4 --seconds 5 --rounds 3

Each writer is a process of its own with its own connection, as each server process is, and
appends messages (SqlHistory.append: numbered and stored in one transaction, then committed)
as fast as it can for --seconds. Two layouts per writer count:
  - one conversation: every writer appends to the same room, so the room's counter row (its
    lock) orders them: the most one conversation takes;
  - a room each: every writer its own room: the total the database takes.
SQLite is the one-process database, so it runs with one writer only; PostgreSQL runs on a
private server (tests/support/postgres.py, from Debian's postgresql package) with fsync
and synchronous_commit on, as installed. The databases alternate within every round, and every
round is printed: figures move by tens of percent on a shared machine.
"""

import argparse
import multiprocessing
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from chat.model import Member  # noqa: E402  (after the path: run as a script from anywhere)
from chat.stores.sql import Database  # noqa: E402
from chat.stores.sql.history import SqlHistory  # noqa: E402
from chat.stores.sql.migrate import upgrade  # noqa: E402

TEXT = "a message of a typical length, some forty characters"


def write(url: str, room: str, seconds: float, start: Any, counts: Any, index: int) -> None:
    """Append to ``room`` from ``start``'s release for ``seconds``; put the count in ``counts[index]``."""
    history = SqlHistory(Database(url))
    member = Member(f"writer-{index}", f"Writer {index}")
    history.append(room, member, "warm-up")  # the connection is open before the clock starts
    start.wait()
    done, count = time.monotonic() + seconds, 0
    while time.monotonic() < done:
        history.append(room, member, TEXT)
        count += 1
    counts[index] = count
    history.close()


def measure(url: str, writers: int, one_room: bool, seconds: float) -> float:
    """Return the messages a second ``writers`` processes stored together."""
    context = multiprocessing.get_context("spawn")  # no inherited connections
    start, counts = context.Event(), context.Array("q", writers)
    run = f"{time.monotonic_ns()}"
    processes = [
        context.Process(
            target=write, args=(url, f"bench-{run}" if one_room else f"bench-{run}-{n}", seconds, start, counts, n)
        )
        for n in range(writers)
    ]
    for process in processes:
        process.start()
    time.sleep(1)  # every writer connected and warmed up: nothing to wait on across processes
    start.set()
    for process in processes:
        process.join()
        if process.exitcode:
            raise RuntimeError(f"a writer exited with {process.exitcode}")
    return sum(counts) / seconds


def main() -> int:
    """Alternate the databases for --rounds rounds; print every round's messages a second."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--databases", default="sqlite,postgresql", help="comma-separated: sqlite, postgresql")
    parser.add_argument("--writers", default="1,2,4", help="comma-separated writer process counts (PostgreSQL)")
    parser.add_argument("--seconds", type=float, default=3, help="seconds each measurement appends")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    databases = args.databases.split(",")
    postgres = None
    with tempfile.TemporaryDirectory(prefix="chat-bench-store-") as workdir:
        urls = {"sqlite": str(Path(workdir) / "bench.sqlite3")}
        if "postgresql" in databases:
            from support.postgres import PostgresServer

            postgres = PostgresServer(fsync=True).start()
            urls["postgresql"] = postgres.database()
        try:
            for url in urls.values():
                database = Database(url)
                upgrade(database)
                database.close()
            rows: dict[str, list[float]] = {}
            for number in range(1, args.rounds + 1):
                for name in databases:
                    for writers in [1] if name == "sqlite" else map(int, args.writers.split(",")):
                        for one_room in (True, False) if writers > 1 else (True,):
                            label = f"{name}, {writers} writer(s), " + (
                                "one conversation" if one_room else "a room each"
                            )
                            rate = measure(urls[name], writers, one_room, args.seconds)
                            rows.setdefault(label, []).append(rate)
                            print(f"store.py: round {number}, {label}: {rate:,.0f} messages/s", file=sys.stderr)
        finally:
            if postgres is not None:
                postgres.remove()
    print(f"\n{args.rounds} round(s) of {args.seconds:g} s, messages stored a second, round 1 / 2 / ...:\n")
    print("| database, writers, layout | messages/s |")
    print("|---|---|")
    for label, rates in rows.items():
        print(f"| {label} | {' / '.join(f'{rate:,.0f}' for rate in rates)} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
