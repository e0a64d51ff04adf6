"""What one address can add in a minute at the default limits: storage and memory, measured over a short window.

Against the production command (gunicorn, gevent, one worker) with every limit at its default,
one address does everything a client can for WINDOW seconds: it connects guests (and drops
some, as churn), sends the longest messages, opens DMs and writes in them, creates and enters
rooms, reacts, marks read, types. The growth of the database (bytes and rows) and of the
worker's memory, brought to a minute, must stay under the bounds each limit sets, as
docs/architecture.md writes them (``bounds()`` below computes them from the defaults). The
figures are printed (``-s``).
"""

import sqlite3
import threading
import time
from collections import Counter
from pathlib import Path

import socketio

from chat.settings import DEFAULTS

WINDOW = 12.0  # seconds of attack: CI's budget, long enough for every limit to bite
GUESTS = 24  # guests kept connected: what a 2-core CI can drive in the window
TABLES = ("messages", "changes", "dm_people", "read_markers", "mentions", "memberships", "rooms", "guests")
# A message's worst case in storage: its code points as 4-byte UTF-8, its row and index entries.
MESSAGE_BYTES = 4 * DEFAULTS["MAX_MESSAGE_LENGTH"] + 512
ROW_BYTES = 512  # any other row, with its index entries, at most
CONNECTION_MEMORY = 256 * 1024  # the worker's memory per connection (sockets, greenlet, presence), at most


def bounds(minutes: float = 1.0) -> dict[str, float]:
    """Return the most one address can add in ``minutes`` (the first ones, buckets full) at the default limits."""
    d = DEFAULTS
    connections = d["CONNECTIONS_PER_MINUTE"] * (1 + minutes)  # a burst, then the refill
    per_connection = d["FLOOD_BURST"] + d["FLOOD_RATE"] * 60 * minutes  # events, each at most one message
    hours = minutes / 60
    dms = d["DMS_OPENED_PER_ADDRESS"] * (1 + hours)
    rooms = d["ROOMS_CREATED_PER_ADDRESS"] * (1 + hours)
    rows = {
        "messages": connections * per_connection,
        "guests": connections,
        "dm_people": 2 * dms,
        "rooms": rooms + dms,  # a DM's counter row
        # A marker per room or DM entered or read, per person: a connection is in ROOMS_PER_CONNECTION at most.
        "read_markers": connections * d["ROOMS_PER_CONNECTION"] + 2 * dms,
    }
    rows["changes"] = rows["messages"]  # each change is a flood event as well
    rows["mentions"] = rows["messages"] * d["MAX_MENTIONS"]
    rows["memberships"] = 0  # guests never belong past their connections
    other_rows = sum(count for table, count in rows.items() if table != "messages")
    rows["bytes"] = rows["messages"] * MESSAGE_BYTES + other_rows * ROW_BYTES
    rows["memory"] = connections * CONNECTION_MEMORY + connections * d["MAX_QUEUED_BYTES"]
    return rows


def worker_pid(server) -> int:
    """Return the pid of the one gunicorn worker of ``server``."""
    pid = server.process.pid
    [child] = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return int(child)


def rss(pid: int) -> int:
    """Return the resident memory of process ``pid``, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError(f"no VmRSS for {pid}")


def storage(path: Path) -> dict[str, int]:
    """Return the database's bytes on disk (the file and its WAL) and each table's rows."""
    sizes = sum(p.stat().st_size for p in (path, Path(f"{path}-wal")) if p.exists())
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30) as db:
        counts = {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in TABLES}  # noqa: S608
    return {"bytes": sizes, **counts}


class Attacker:
    """One guest of the attacking address, and what it made so far."""

    def __init__(self, peer, server, n: int) -> None:
        self.client = peer(server, auth={"protocol": 2, "name": f"Bot {n}"})
        self.client.wait_for("history")
        self.id = self.client.received("welcome")[0]["user"]["id"]
        self.n, self.rooms, self.dms, self.last = n, 1, [], 0

    def round(self, others: list["Attacker"], text: str, turn: int) -> dict[str, bool]:
        """Try one of everything; return which kinds were accepted."""
        send = self.client.send
        done = {}
        sent = send({"room": "general", "text": text, "mentions": [o.id for o in others[:3]]}, event="send-message")
        done["message"] = sent["ok"]
        if sent["ok"]:
            self.last = sent["message"]["id"]
            done["react"] = send({"room": "general", "id": self.last, "emoji": f"e{turn}"}, event="react")["ok"]
            done["mark"] = send({"room": "general", "id": self.last}, event="mark-read").get("ok", False)
        room = f"bot-{self.n}-{turn}"
        done["room"] = send({"room": room}, event="create-room")["ok"]
        if done["room"] and self.rooms < DEFAULTS["ROOMS_PER_CONNECTION"]:
            self.rooms += send({"room": room}, event="join-room")["ok"]
        other = others[turn % len(others)]
        opened = send({"person": other.id}, event="open-dm")
        done["dm"] = opened["ok"]
        if opened["ok"]:
            dm = opened["dm"]["id"]
            done["dm message"] = send({"room": dm, "text": text}, event="send-message")["ok"]
        send({"room": "general", "typing": True}, event="typing")
        return done


def test_what_one_address_adds_in_a_minute_stays_under_the_bounds(live_server, peer):
    """Attack for WINDOW seconds from one address; bring each growth to a minute; compare it with its bound."""
    server = live_server("gevent")
    database = Path(server.settings["HISTORY_DATABASE"])
    worker = worker_pid(server)
    text = "😀" * DEFAULTS["MAX_MESSAGE_LENGTH"]  # the most bytes a message may take
    before, memory_before = storage(database), rss(worker)
    start = time.monotonic()
    attackers = [Attacker(peer, server, n) for n in range(GUESTS)]
    accepted: Counter[str] = Counter()
    churn = Counter()
    lock = threading.Lock()

    def attack(attacker: Attacker) -> None:
        others = [a for a in attackers if a is not attacker]
        turn = 0
        while time.monotonic() - start < WINDOW:
            done = attacker.round(others, text, turn)
            with lock:
                accepted.update(kind for kind, ok in done.items() if ok)
            turn += 1

    def come_and_go() -> None:
        # Guests that connect and leave at once, as fast as the connection limit lets them.
        while time.monotonic() - start < WINDOW:
            try:
                peer(server, auth={"protocol": 2}).close()
                churn["connected"] += 1
            except socketio.exceptions.ConnectionError:
                churn["refused"] += 1

    threads = [threading.Thread(target=attack, args=(a,)) for a in attackers]
    threads.append(threading.Thread(target=come_and_go))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    after, memory_after = storage(database), rss(worker)
    per_minute = {key: (after[key] - before[key]) * 60 / elapsed for key in after}
    per_minute["memory"] = (memory_after - memory_before) * 60 / elapsed
    bound = {key: value * 60 / elapsed for key, value in bounds(elapsed / 60).items()}
    print(f"\none address, {elapsed:.1f} s, {GUESTS} guests, churn {dict(churn)}, accepted {dict(accepted)}")
    for key in sorted(per_minute):
        print(f"  {key:>13}: {per_minute[key]:>14,.0f} a minute (bound {bound[key]:>16,.0f})")
    assert accepted["room"] <= DEFAULTS["ROOMS_CREATED_PER_ADDRESS"] and accepted["dm"] >= 1
    assert churn["connected"] + GUESTS <= DEFAULTS["CONNECTIONS_PER_MINUTE"] * (1 + elapsed / 60)
    for key, value in per_minute.items():
        assert value <= bound[key], (key, value, bound[key])
