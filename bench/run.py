#!/usr/bin/env python3
"""Benchmark the chat server in its deployment modes: throughput, latency, connect fan-out, memory.

For each mode and client count N it starts the server on a free 127.0.0.1 port (the production
settings, but see LIMITS below), waits for /healthz, runs bench/load.js (N socket.io clients,
S of them sending R messages a second in total for D seconds, checking the seed contract on the
way), samples the server's process tree from /proc (RSS and CPU), stops the server and prints a
table, then one JSON line per run (also appended to --out). Memory per connection is
(RSS with N clients connected and idle - RSS before any client) / N; us/deliv is the server's
CPU time per delivery, the figure least moved by other work on the machine.

  .venv/bin/python bench/run.py                                   # every mode, N=50 and 200, R=20 msg/s, 5 s
  .venv/bin/python bench/run.py --mode gunicorn-gevent --clients 200,500 --saturate   # max sustained deliveries/s
  .venv/bin/python bench/run.py --mode flask --clients 50 --rate 100 --duration 10 --transport polling --out runs.jsonl
  .venv/bin/python bench/run.py --mode node --clients 500 --rate 40 --duration 4     # the Node reference server

The mode `node` is not this project: it is bench/reference/server.js, plain Node socket.io 4.8
keeping the original gateway's contract, the yardstick (bench/side_by_side.py alternates it with
this server, round after round).

--saturate [F] multiplies R by F (default 1.5) after every passing step, starting at 1,000
deliveries/s (R = 1000 / N) unless --rate is given, until fewer than 99 % of deliveries arrive or
p99 passes 500 ms; it reports the best passing step. Needs Python 3.11 and Node.js with npm; the
servers run from the run environment .venv, built from requirements.txt alone by
scripts/demo.sh or scripts/test.sh. The Node packages install on first use.
The load generator shares the machine with the server: its CPU is reported too.
"""

import argparse
import dataclasses
import json
import os
import resource
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
FLASK, GUNICORN = "flask", "gunicorn"  # from the run environment of the checkout that serves (command)
MODES: dict[str, Callable[[int], list[str]]] = {
    "flask": lambda port: [FLASK, "--app", "app", "run", "--host", "127.0.0.1", "--port", str(port)],
    "gunicorn-threads": lambda port: [
        GUNICORN,
        "--workers",
        "1",
        "--threads",
        "200",
        "--no-control-socket",
        "--graceful-timeout",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    "gunicorn-gevent": lambda port: [
        GUNICORN,
        "--worker-class",
        "gevent",
        "--workers",
        "1",
        "--worker-connections",
        "10000",
        "--no-control-socket",
        "--graceful-timeout",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    # Several processes: two gevent workers on one Redis (WebSocket clients), with a redis-server of its own.
    "gunicorn-gevent-redis": lambda port: [
        GUNICORN,
        "--worker-class",
        "gevent",
        "--workers",
        "2",
        "--worker-connections",
        "10000",
        "--no-control-socket",
        "--graceful-timeout",
        "2",
        "--bind",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
    # Not this project: the yardstick, plain Node socket.io 4.8 with the original gateway's contract.
    "node": lambda port: ["node", str(BENCH / "reference" / "server.js"), str(port)],
}
REFERENCE = "node"
DEFAULT_MODES = ["flask", "gunicorn-threads", "gunicorn-gevent"]
# Every client comes from 127.0.0.1 and senders send far more than a person does: the only
# settings changed from production are these two limits.
LIMITS = {"CHAT_FLOOD_BURST": "0", "CHAT_CONNECTIONS_PER_MINUTE": "0"}
LIMITS_NOTE = (
    "Production settings, except flood control and the per-address connection limit, "
    "turned off (CHAT_FLOOD_BURST=0, CHAT_CONNECTIONS_PER_MINUTE=0): all clients share "
    "one address and senders send many messages a second."
)
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


@dataclasses.dataclass(frozen=True)
class Load:
    """What load.js sends: N clients, S senders, R messages a second for D seconds, stepped up with saturate."""

    clients: int
    senders: int = 10
    rate: float | None = None  # messages a second, all senders together; None: 20, or 1,000 deliveries/s saturating
    duration: float = 5
    transport: str = "websocket"
    saturate: float | None = None  # the factor R grows by after each passing step
    max_steps: int = 20
    metrics: str = "off"

    def start_rate(self) -> float:
        """Return the first step's messages a second."""
        return self.rate or (round(1000 / self.clients, 2) if self.saturate else 20)


def install_node_packages() -> None:
    """Run npm ci in bench/ when node_modules is missing or older than the lock file."""
    lock, stamp = BENCH / "package-lock.json", BENCH / "node_modules" / ".installed-lock"
    if stamp.exists() and stamp.read_bytes() == lock.read_bytes():
        return
    print("run.py: installing the Node packages (npm ci in bench/)", file=sys.stderr)
    subprocess.run(
        ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=BENCH, check=True, stdout=sys.stderr
    )
    shutil.copyfile(lock, stamp)


def free_port() -> int:
    """Return a TCP port free on 127.0.0.1 now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def tree(root: int) -> tuple[int, int]:
    """Return (RSS bytes, CPU ticks) of process ``root`` and all its descendants."""
    stats = {}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone meanwhile
        # after the name: state ppid ... utime(12th) stime(13th) ... rss(22nd)
        stats[int(pid)] = (int(fields[1]), int(fields[11]) + int(fields[12]), int(fields[21]) * PAGE)
    family, grew = {root}, True
    while grew:
        grew = False
        for pid, (ppid, _, _) in stats.items():
            if ppid in family and pid not in family:
                family.add(pid)
                grew = True
    return (sum(stats[p][2] for p in family if p in stats), sum(stats[p][1] for p in family if p in stats))


class Sampler(threading.Thread):
    """Read the server tree's RSS and CPU every 0.1 s: [(epoch ms, RSS bytes, CPU ticks)]."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.samples, self.done = pid, [], threading.Event()
        self.start()

    def run(self) -> None:
        while not self.done.wait(0.1):
            self.samples.append((time.time() * 1000, *tree(self.pid)))

    def window(self, start_ms: float, end_ms: float) -> list[tuple[float, int, int]]:
        """Return the samples taken between two epoch times, in ms."""
        return [s for s in self.samples if start_ms <= s[0] <= end_ms]

    def cpu_pct(self, start_ms: float, end_ms: float) -> float | None:
        """Return the tree's CPU use between two epoch times, in % of one core."""
        w = self.window(start_ms, end_ms)
        return round(100 * (w[-1][2] - w[0][2]) / TICKS / ((w[-1][0] - w[0][0]) / 1000), 1) if len(w) > 1 else None


def start_postgres() -> Any:
    """Start a private PostgreSQL server (tests/support/postgres.py, Debian's postgresql package); return it."""
    sys.path.insert(0, str(ROOT / "tests"))
    from support.postgres import PostgresServer

    return PostgresServer(fsync=True).start()


def start_redis(workdir: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start a redis-server that keeps what it acknowledges; return (process, URL)."""
    port = free_port()
    redis = subprocess.Popen(
        [
            "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
            "--save",
            "",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return redis, f"redis://127.0.0.1:{port}/0"
        except OSError:
            time.sleep(0.05)  # not listening yet
    raise RuntimeError("redis-server did not start")


def mode_name(mode: str) -> str:
    """Return the mode of ``mode`` without its checkout: ``gunicorn-gevent@../before`` -> ``gunicorn-gevent``."""
    return mode.partition("@")[0]


def command(mode: str, port: int) -> tuple[list[str], Path]:
    """Return the command that starts ``mode`` on ``port``, and the folder it runs in.

    ``MODE@DIR`` runs the mode from another checkout of this project (DIR, with its own .venv
    built from its requirements.txt): the same load against two commits, for a before and after.
    """
    name, _, checkout = mode.partition("@")
    root = Path(checkout).resolve() if checkout else ROOT
    argv = MODES[name](port)
    if argv[0] in (FLASK, GUNICORN):
        argv[0] = str(root / ".venv" / "bin" / argv[0])
    return argv, root


def start_server(
    mode: str,
    port: int,
    workdir: str,
    redis_url: str | None = None,
    metrics: bool = False,
    database_url: str | None = None,
) -> subprocess.Popen[bytes]:
    """Start ``mode`` on ``port`` with the production settings but LIMITS; return once /healthz answers."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAT_", "FLASK_", "PROMETHEUS_"))}
    env.update(
        LIMITS,
        CHAT_SECRET_KEY=secrets.token_hex(32),
        CHAT_HISTORY_DATABASE=str(Path(workdir) / f"{mode_name(mode)}-{port}.sqlite3"),
    )
    if metrics:
        # As in production with several workers: counted in prometheus_client's multiprocess files.
        directory = Path(workdir) / f"metrics-{port}"
        directory.mkdir()  # flask run has no gunicorn.conf.py to make it
        env.update(CHAT_METRICS="true", PROMETHEUS_MULTIPROC_DIR=str(directory))
    if redis_url:
        env["CHAT_REDIS_URL"] = redis_url
    if database_url:
        env["CHAT_DATABASE_URL"] = database_url
    argv, root = command(mode, port)
    with open(Path(workdir) / f"{mode_name(mode)}-{port}.log", "wb") as log:
        server = subprocess.Popen(
            argv, cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )  # its own process group: stopped as one
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"{mode} exited with {server.returncode}: {Path(log.name).read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return server
        except OSError:
            time.sleep(0.1)  # not listening yet
    stop_server(server)
    raise RuntimeError(f"{mode} did not answer /healthz in 30 s: {Path(log.name).read_text()[-2000:]}")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """Stop a server's whole process group: SIGTERM, then SIGKILL."""
    for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
        if server.poll() is None:
            os.killpg(server.pid, sig)
            try:
                server.wait(wait)
            except subprocess.TimeoutExpired:
                pass


def measure(mode: str, load: Load, workdir: str) -> dict[str, Any]:
    """Benchmark one mode under one load on a server of its own; return its record."""
    n = load.clients
    port = free_port()
    redis, redis_url = start_redis(workdir) if mode_name(mode).endswith("-redis") else (None, None)
    # Several processes share their durable data in PostgreSQL: a private server for the run.
    postgres = start_postgres() if redis else None
    try:
        server = start_server(
            mode, port, workdir, redis_url, load.metrics == "on", postgres.database() if postgres else None
        )
    except BaseException:
        for helper in (redis, postgres):
            if helper is not None:
                helper.stop() if helper is postgres else stop_server(helper)
        raise
    sampler = Sampler(server.pid)
    time.sleep(1)  # the idle RSS: a second of samples before any client
    started = time.time() * 1000
    idle = [s[1] for s in sampler.samples]
    rate = load.start_rate()
    command = [
        "node",
        str(BENCH / "load.js"),
        "--url",
        f"http://127.0.0.1:{port}",
        "--clients",
        str(n),
        "--senders",
        str(load.senders),
        "--rate",
        str(rate),
        "--duration",
        str(load.duration),
        "--transport",
        load.transport,
        "--saturate",
        str(load.saturate or 0),
        "--max-steps",
        str(load.max_steps),
    ]
    try:
        generator = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False, timeout=1800)
        lines = generator.stdout.strip().splitlines()
        result = json.loads(lines[-1]) if lines else {"ok": False, "exit": generator.returncode, "error": "no output"}
    except subprocess.TimeoutExpired:
        result = {"ok": False, "exit": 3, "error": "load.js timed out"}
    finally:
        sampler.done.set()
        sampler.join()
        crashed = server.poll()
        stop_server(server)
        if redis is not None:
            stop_server(redis)
        if postgres is not None:
            postgres.stop()
    record = {
        "mode": mode,
        "clients": n,
        "transport": load.transport,
        "rate": rate,
        "duration": load.duration,
        "saturate": load.saturate or None,
        "settings": {} if mode == REFERENCE else LIMITS,
        "metrics": load.metrics,
        **result,
        "server_exited_early": crashed,
        "idle_rss_mb": round(min(idle) / 2**20, 1) if idle else None,
        "peak_rss_mb": round(max(s[1] for s in sampler.samples) / 2**20, 1),
    }
    connected = [s[1] for s in sampler.window(result.get("t_connected", 0), result.get("t_send", 0))]
    if idle and connected:
        record["connected_rss_mb"] = round(max(connected) / 2**20, 1)
        record["kb_per_connection"] = round((max(connected) - min(idle)) / 1024 / n, 1)
    record["server_cpu_pct_connecting"] = sampler.cpu_pct(started, result.get("t_connected", 0))
    for step in result.get("steps", []):
        step["server_cpu_pct"] = sampler.cpu_pct(step["t_start"], step["t_end"])
        if step["server_cpu_pct"] and step["deliveries_per_s"]:  # the server's CPU time per delivery
            step["server_us_per_delivery"] = round(step["server_cpu_pct"] * 1e4 / step["deliveries_per_s"], 1)
    return record


COLUMNS = [
    ("mode", 16, "mode"),
    ("N", 4, "clients"),
    ("R msg/s", 8, "rate"),
    ("deliv/s", 8, "deliveries_per_s"),
    ("deliv %", 7, "delivered_pct"),
    ("p50", 7, "p50"),
    ("p90", 7, "p90"),
    ("p99", 7, "p99"),
    ("max", 7, "max"),
    ("srv CPU%", 8, "server_cpu_pct"),
    ("us/deliv", 8, "server_us_per_delivery"),
    ("gen CPU%", 8, "loadgen_cpu_pct"),
    ("connect ms", 10, "connect_ms"),
    ("joins ms", 8, "joins_ms"),
    ("idle MB", 7, "idle_rss_mb"),
    ("N conn MB", 9, "connected_rss_mb"),
    ("KB/conn", 7, "kb_per_connection"),
    ("result", 6, "result"),
]


def print_table(records: list[dict[str, Any]]) -> None:
    """Print one line per step of every run, then each run's maximum and problems."""
    print("  ".join(title.rjust(width) for title, width, _ in COLUMNS))
    for r in records:
        steps = r.get("steps") or [{}]
        for i, step in enumerate(steps):
            status = "ok" if r.get("ok") else f"FAIL {r.get('exit')}"
            if r.get("saturate"):
                status = "pass" if step.get("pass") else "fail"
            row = {**(r if i == 0 else {"mode": "", "clients": ""}), **step, "result": status}
            print(
                "  ".join(
                    ("-" if row.get(key) is None else str(row.get(key))).rjust(width) for _, width, key in COLUMNS
                )
            )
        if r.get("saturate"):
            best = r.get("max_sustained_deliveries_per_s")
            print(f"  {r['mode']} N={r['clients']}: max sustained {best} deliveries/s")
        for problem in (r.get("violations") or []) + (r.get("errors") or []) + [r.get("error")] * bool(r.get("error")):
            print(f"  {r['mode']} N={r['clients']}: {problem}")


def prepare(modes: list[str]) -> None:
    """Check what the modes need, install the Node packages, and allow a socket per client."""
    for mode in set(modes) - {REFERENCE}:
        program, root = command(mode, 0)
        if not Path(program[0]).exists():
            raise SystemExit(f"{root / '.venv'} is missing: build it with `bash scripts/demo.sh` (or scripts/test.sh)")
    install_node_packages()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # so a stopped run still stops its server
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)  # a socket per client, in the server and load.js
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 65536)), hard))


def main() -> int:
    """Run every mode at every N; print the table and the JSON lines; return 1 if a run failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        default=",".join(DEFAULT_MODES),
        help=f"comma-separated: {', '.join(MODES)} (default: {','.join(DEFAULT_MODES)})",
    )
    parser.add_argument("--clients", default="50,200", help="comma-separated client counts N")
    parser.add_argument("--senders", type=int, default=10, help="clients that send (at most N)")
    parser.add_argument("--rate", type=float, help="messages a second, all senders together (default 20)")
    parser.add_argument("--duration", type=float, default=5, help="seconds of sending per step")
    parser.add_argument("--transport", choices=["websocket", "polling"], default="websocket")
    parser.add_argument(
        "--saturate",
        type=float,
        nargs="?",
        const=1.5,
        metavar="FACTOR",
        help="raise R by FACTOR each step until one fails",
    )
    parser.add_argument("--max-steps", type=int, default=20, help="most steps of one --saturate run")
    parser.add_argument("--out", type=Path, help="append the JSON lines to this file too")
    parser.add_argument(
        "--metrics",
        choices=["off", "on"],
        default="off",
        help="serve /metrics and count (CHAT_METRICS, in multiprocess mode); default off",
    )
    args = parser.parse_args()
    modes = args.mode.split(",")
    if unknown := {mode_name(mode) for mode in modes} - set(MODES):
        parser.error(f"unknown mode {', '.join(unknown)}")
    prepare(modes)
    records = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as workdir:
        for mode in modes:
            for n in map(int, args.clients.split(",")):
                print(f"run.py: {mode}, N={n}", file=sys.stderr)
                load = Load(
                    n,
                    args.senders,
                    args.rate,
                    args.duration,
                    args.transport,
                    args.saturate,
                    args.max_steps,
                    args.metrics,
                )
                try:
                    records.append(measure(mode, load, workdir))
                except RuntimeError as error:
                    records.append({"mode": mode, "clients": n, "ok": False, "exit": 3, "error": str(error)})
    print_table(records)
    print(f"Note: {LIMITS_NOTE} Latencies in ms. RSS is the server's whole process tree.")
    if REFERENCE in modes:
        print(f"Mode {REFERENCE} is the Node socket.io reference server (bench/reference/server.js), not this project.")
    for record in records:
        line = json.dumps(record)
        print(line)
        if args.out:
            with open(args.out, "a") as out:
                out.write(line + "\n")
    return 0 if all(r.get("ok") for r in records) else 1


if __name__ == "__main__":
    sys.exit(main())
