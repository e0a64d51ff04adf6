"""The fault suite's scenario: several processes on PostgreSQL and Redis, clients of both protocols, faults.

``run_scenario(seed, duration, directory)`` starts the cluster, has the clients send for
``duration`` seconds while faults strike on a plan drawn from ``random.Random(seed)`` (which
faults, which target, when, for how long; the clients draw their own worst moments from the
seed too), heals (everything restarted, clients back and caught up), reads the database and
returns the recorded ``Run`` with the plan. Thread timing is not reproducible; every decision is.
"""

import os
import random
import signal
import time
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

from support import TIMEOUT
from support.postgres import PostgresServer
from support.relay import TcpProxy
from support.servers import LiveServer, RedisServer

from .checker import Run, Stored
from .clients import FullProtocolClient, Odds, OriginalProtocolClient, wait_until

PROCESSES = 3
FULL_CLIENTS = 8
ORIGINAL_CLIENTS = 3
CONVERSATIONS = ["general", "faults"]
HEAL_TIMEOUT = 60  # seconds healing may take: every resend acknowledged, every client caught up
# The suite's settings: every client comes from 127.0.0.1, so the per-address connection
# limit would refuse the reconnections of a bad day; what is tested here is delivery.
SETTINGS = {"CONNECTIONS_PER_MINUTE": 0, "PRESENCE_GRACE": 1}


@dataclass(frozen=True)
class Fault:
    """One fault of the plan: at ``at`` seconds, ``kind`` strikes ``target`` for ``hold`` seconds, then is undone."""

    at: float
    kind: str
    target: int
    hold: float

    def __str__(self) -> str:
        return f"{self.at:5.1f}s {self.kind} {self.target} for {self.hold:.1f}s"


# kind: (weight, shortest hold, longest hold). "stop" may outlast the 10 s after which the others drop a silent process.
FAULTS = {
    "cut": (4, 0.0, 2.0),  # one client's relay: its connections drop, new ones refused
    "partition": (1, 0.5, 3.0),  # every client's relay at once
    "kill": (2, 0.5, 3.0),  # kill -9 of a server process, then restarted
    "stop": (2, 1.0, 13.0),  # SIGSTOP of a server process, then SIGCONT
    "term": (1, 0.0, 1.0),  # SIGTERM (a deploy), then restarted
    "redis": (1, 0.5, 2.0),  # kill -9 of redis-server, then restarted on its data
    "postgres": (1, 0.5, 2.0),  # kill -9 of PostgreSQL, then restarted (it recovers from its WAL)
}


def plan_faults(seed: int, duration: float) -> list[Fault]:
    """Draw the faults of a run from its seed: one after another, a pause between, until ``duration``."""
    rng = random.Random(seed)
    kinds = list(FAULTS)
    plan, at = [], rng.uniform(1.0, 3.0)
    while at < duration:
        kind = rng.choices(kinds, weights=[FAULTS[kind][0] for kind in kinds])[0]
        hold = rng.uniform(*FAULTS[kind][1:])
        target = rng.randrange(FULL_CLIENTS + ORIGINAL_CLIENTS if kind == "cut" else PROCESSES)
        plan.append(Fault(round(at, 1), kind, target, round(hold, 1)))
        at += hold + rng.uniform(0.5, 3.0)
    return plan


def worker_pid(server: LiveServer) -> int | None:
    """Return the pid of the gunicorn worker of ``server`` (the process serving its clients), or None."""
    pid = server.process.pid
    children = Path(f"/proc/{pid}/task/{pid}/children")
    found = children.read_text().split() if children.exists() else []
    return int(found[0]) if found else None


class Cluster:
    """Server processes (the production command) on a private PostgreSQL and redis-server, and the clients' relays."""

    def __init__(self, directory: Path, seed: int):
        self.directory = directory
        self.postgres = PostgresServer().start()
        self.database = self.postgres.database()
        self.redis = RedisServer(directory).start()
        settings = {**SETTINGS, "REDIS_URL": self.redis.url, "DATABASE_URL": self.database}
        self.servers = [LiveServer(directory / f"server-{n}.log", settings, "production") for n in range(PROCESSES)]
        for server in self.servers:
            server.start()
        self.balance = random.Random(f"{seed}-balancer")
        self.relays: list[TcpProxy] = []

    def relay(self) -> TcpProxy:
        """Return a new relay that sends each connection to one of the processes, as a balancer without health checks."""
        relay = TcpProxy(lambda: self.balance.choice(self.servers).port)
        self.relays.append(relay)
        return relay

    def strike(self, fault: Fault, clients: list) -> None:
        """Apply ``fault``, hold it, undo it."""
        if fault.kind == "cut":
            relay = clients[fault.target].relay
            relay.cut()
            time.sleep(fault.hold)
            relay.restore()
        elif fault.kind == "partition":
            for relay in self.relays:
                relay.cut()
            time.sleep(fault.hold)
            for relay in self.relays:
                relay.restore()
        elif fault.kind in ("kill", "term"):
            server = self.servers[fault.target]
            if fault.kind == "kill" and (worker := worker_pid(server)):
                os.kill(worker, signal.SIGKILL)
            server.stop(kill=fault.kind == "kill")
            time.sleep(fault.hold)
            server.start()
        elif fault.kind == "stop":
            worker = worker_pid(self.servers[fault.target])
            if worker:
                os.kill(worker, signal.SIGSTOP)
                time.sleep(fault.hold)
                os.kill(worker, signal.SIGCONT)
        elif fault.kind == "redis":
            self.redis.stop(kill=True)
            time.sleep(fault.hold)
            self.redis.start()
        elif fault.kind == "postgres":
            self.postgres.stop(kill=True)
            time.sleep(fault.hold)
            self.postgres.start()

    def stored(self) -> list[Stored]:
        """Return every message the database holds, by conversation and id."""
        from chat.stores.sql.schema import messages  # its text type gives the text back exactly as stored

        engine = sa.create_engine(self.database.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as connection:
                query = sa.select(messages.c.room, messages.c.id, messages.c.text).order_by(
                    messages.c.room, messages.c.id
                )
                rows = connection.execute(query).all()
        finally:
            engine.dispose()
        return [Stored(room, message_id, text) for room, message_id, text in rows]

    def close(self) -> None:
        for relay in self.relays:
            relay.close()
        for server in self.servers:
            server.stop(kill=True)
        self.redis.stop(kill=True)
        self.postgres.remove()


def create_room(cluster: Cluster, room: str) -> None:
    """Create ``room`` through a short-lived full-protocol client."""
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(cluster.servers[0].url, transports=["websocket"], auth={"protocol": 2}, wait_timeout=TIMEOUT)
    try:
        answer = client.call("create-room", {"room": room}, timeout=TIMEOUT)
        assert answer["ok"], answer
    finally:
        client.disconnect()


def run_scenario(seed: int, duration: float, directory: Path, odds: Odds | None = None) -> tuple[Run, list[Fault]]:
    """Run the clients through the faults of ``seed`` for ``duration`` seconds, heal, return (the run, the plan)."""
    odds = odds or Odds()
    plan = plan_faults(seed, duration)
    run = Run(seed)
    cluster = Cluster(directory, seed)
    clients: list = []
    try:
        create_room(cluster, "faults")
        clients = [
            FullProtocolClient(f"f{n}", cluster.relay(), seed, run, odds, CONVERSATIONS) for n in range(FULL_CLIENTS)
        ]
        clients += [OriginalProtocolClient(f"o{n}", cluster.relay(), seed, run, odds) for n in range(ORIGINAL_CLIENTS)]
        for client in clients:
            client.start()
        started = time.monotonic()
        for fault in plan:
            time.sleep(max(0.0, started + fault.at - time.monotonic()))
            cluster.strike(fault, clients)
        time.sleep(max(0.0, started + duration - time.monotonic()))
        heal(cluster, clients)
        run.stored = cluster.stored()
    finally:
        for client in clients:
            client.stop()
        cluster.close()
    return run, plan


def heal(cluster: Cluster, clients: list) -> None:
    """Stop the faults and new messages; bring every client back until each resend is acknowledged and each view caught up.

    A client that has not caught up with the database's last ids after a while is disconnected
    and connects again, catching up with ``lastSeen``, as a reloaded page would.
    """
    for client in clients:
        client.faults = False
        client.sending = False
        client.reload()
    for relay in cluster.relays:
        relay.restore()
    full = [client for client in clients if isinstance(client, FullProtocolClient)]
    if not wait_until(lambda: not any(client.pending() for client in full), HEAL_TIMEOUT):
        raise AssertionError(f"resends never acknowledged: {[(c, c.unsent) for c in full if c.pending()]}")
    last = {}
    for message in cluster.stored():
        last[message.conversation] = max(last.get(message.conversation, 0), message.id)

    def caught_up(client):
        return all(client.last.get(conversation, 0) >= last_id for conversation, last_id in last.items())

    if wait_until(lambda: all(caught_up(client) for client in full), 10):
        return
    for client in full:
        if not caught_up(client):
            client.client.disconnect()  # the thread connects again, with lastSeen
    if not wait_until(lambda: all(caught_up(client) for client in full), HEAL_TIMEOUT):
        behind = {client.name: client.last for client in full if not caught_up(client)}
        raise AssertionError(f"clients never caught up with {last}: {behind}")


def reproduce_command(seed: int, duration: float) -> str:
    """Return the command that runs the scenario of ``seed`` again."""
    return f".venv-test/bin/python -m pytest tests/faults --fault-seeds {seed} --fault-duration {duration:g}"
