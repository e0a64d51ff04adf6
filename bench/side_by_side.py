#!/usr/bin/env python3
"""Measure this server side by side with the Node socket.io reference, round after round.

  .venv/bin/python bench/side_by_side.py
  .venv/bin/python bench/side_by_side.py --servers node,gunicorn-gevent-redis --clients 200 --rounds 5

Each round runs every server in turn (by default `node`, bench/reference/server.js, then
`gunicorn-gevent`, the production command), each on a fresh server and the same machine, twice:
  - at a fixed rate, --deliveries a second (messages a second x N clients, 20,000 at N=500 by
    default) for --duration seconds: the server's CPU time per delivery, the latency, the time to
    connect N clients (each connect announced to all the others) and the peak RSS;
  - saturating: from 1,000 deliveries a second, x --factor after every passing step, until fewer
    than 99 % arrive or p99 passes 500 ms: the most deliveries a second sustained.
Alternating the servers within every round spreads whatever else the machine does over both;
every round is reported, never only a mean. Figures move by tens of percent between rounds on
a shared machine: quote rounds measured together. The table at the end is Markdown, headed with
the machine, the date and the commit, ready for docs/benchmarks.md; --out FILE keeps every
run's JSON line. Exits 1 if a run broke the contract or lost a connection.
"""

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import LIMITS_NOTE, MODES, REFERENCE, ROOT, Load, measure, mode_name, prepare

Record = dict[str, Any]


def machine() -> str:
    """Describe the machine, the date and the commit the figures come from."""
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor() or "unknown CPU",
    )
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"  # not a git checkout
    load = ", ".join(f"{figure:.1f}" for figure in os.getloadavg())
    today = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return f"{today}, commit {commit}, {os.cpu_count()} × {model}, load average at the start {load}"


def fixed_step(record: Record) -> Record:
    """Return the one step of a fixed-rate run (empty if it never sent)."""
    return (record.get("steps") or [{}])[0]


def figure(value: float | None, unit: str = "", digits: int = 0) -> str:
    """Format one round's figure, or a dash where the run has none."""
    if value is None:
        return "–"
    return f"{value:,.{digits}f}{unit}"


MEASURES: list[tuple[str, str]] = [
    ("cpu", "server CPU per delivery at {deliveries:,} deliveries/s (µs)"),
    ("delivered", "deliveries/s reached at {deliveries:,} (share delivered)"),
    ("p99", "p99 at {deliveries:,} deliveries/s (ms)"),
    ("connect", "connect {clients:,} clients, all joins heard (s)"),
    ("rss", "peak RSS with {clients:,} clients (MB)"),
    ("max", "max sustained deliveries/s (p99 ≤ 500 ms, ≥ 99 % delivered)"),
]


def cell(key: str, fixed: Record, saturated: Record) -> str:
    """Return one round's figure of one measure for one server."""
    step = fixed_step(fixed)
    if key == "cpu":
        return figure(step.get("server_us_per_delivery"), digits=1)
    if key == "delivered":
        return f"{figure(step.get('deliveries_per_s'))} ({figure(step.get('delivered_pct'), ' %', 1)})"
    if key == "p99":
        return figure(step.get("p99"), digits=1)
    if key == "connect":
        joins = fixed.get("joins_ms")
        return figure(joins / 1000 if joins is not None else None, digits=2)
    if key == "rss":
        return figure(fixed.get("peak_rss_mb"), digits=0)
    steps = saturated.get("steps")
    if not steps:
        return "–"
    # A ramp cut short by --max-steps while still passing found a floor, not the maximum.
    return ("≥ " if steps[-1].get("pass") else "") + figure(saturated.get("max_sustained_deliveries_per_s"))


def report(
    rounds: list[dict[str, tuple[Record, Record]]], servers: list[str], args: argparse.Namespace, header: str
) -> None:
    """Print the Markdown table: a row per measure, a column per server, every round in each cell."""
    names = {
        server: "Node socket.io 4.8 (reference)" if server == REFERENCE else f"this server, {server}"
        for server in servers
    }
    print(f"\n{header}")
    print(f"N = {args.clients}, {len(rounds)} round(s), each cell round 1 / 2 / ...:\n")
    print("| measure | " + " | ".join(names[server] for server in servers) + " |")
    print("|---|" + "---|" * len(servers))
    for key, title in MEASURES:
        if key == "max" and args.fixed_only:
            continue
        row = [" / ".join(cell(key, *runs[server]) for runs in rounds) for server in servers]
        print(f"| {title.format(deliveries=args.deliveries, clients=args.clients)} | " + " | ".join(row) + " |")
    print(f"\nThis server: {LIMITS_NOTE} The reference keeps socket.io's defaults.")
    for number, runs in enumerate(rounds, 1):
        for server in servers:
            for record in runs[server]:
                for problem in (
                    (record.get("violations") or [])
                    + (record.get("errors") or [])
                    + ([record["error"]] if record.get("error") else [])
                ):
                    print(f"- round {number}, {server}: {problem}")


def main() -> int:
    """Alternate the servers for --rounds rounds; print every round; return 1 if a run failed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--servers",
        default=f"{REFERENCE},gunicorn-gevent",
        help=f"comma-separated modes of run.py, in the order each round runs them: {', '.join(MODES)};"
        " MODE@DIR runs MODE from another checkout (with its own .venv), for a before and after",
    )
    parser.add_argument("--clients", type=int, default=500, help="N, the clients every message reaches")
    parser.add_argument(
        "--deliveries",
        type=int,
        default=20000,
        help="deliveries a second of the fixed-rate run (messages a second = this / N)",
    )
    parser.add_argument("--duration", type=float, default=4, help="seconds of sending per step")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--factor", type=float, default=1.5, help="how much each saturation step raises the rate")
    parser.add_argument("--max-steps", type=int, default=20, help="most steps of one saturation run")
    parser.add_argument("--senders", type=int, default=10, help="clients that send (at most N)")
    parser.add_argument("--out", type=Path, help="append every run's JSON line to this file")
    parser.add_argument(
        "--fixed-only", action="store_true", help="skip the saturating runs: the CPU per delivery at one rate only"
    )
    args = parser.parse_args()
    servers = args.servers.split(",")
    if unknown := {mode_name(server) for server in servers} - set(MODES):
        parser.error(f"unknown server {', '.join(sorted(unknown))}")
    prepare(servers)
    header = f"Measured {machine()}."
    fixed_load = Load(args.clients, args.senders, rate=round(args.deliveries / args.clients, 2), duration=args.duration)
    saturating = Load(
        args.clients, args.senders, duration=args.duration, saturate=args.factor, max_steps=args.max_steps
    )
    rounds: list[dict[str, tuple[Record, Record]]] = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as workdir:
        for number in range(1, args.rounds + 1):
            runs: dict[str, tuple[Record, Record]] = {}
            for server in servers:
                records = []
                for load in (fixed_load,) if args.fixed_only else (fixed_load, saturating):
                    print(
                        f"side_by_side.py: round {number}, {server}, "
                        f"{'saturating' if load.saturate else f'{args.deliveries} deliveries/s'}",
                        file=sys.stderr,
                    )
                    try:
                        record = measure(server, load, workdir)
                    except RuntimeError as error:
                        record = {"mode": server, "clients": args.clients, "ok": False, "exit": 3, "error": str(error)}
                    record["round"] = number
                    records.append(record)
                    if args.out:
                        with open(args.out, "a") as out:
                            out.write(json.dumps(record) + "\n")
                # Without a saturating run (--fixed-only) its figure is a dash: an empty record.
                runs[server] = (records[0], records[1] if len(records) > 1 else {"ok": True})
                print(
                    f"side_by_side.py: round {number}, {server}: {cell('cpu', *runs[server])} µs a delivery, "
                    f"max {cell('max', *runs[server])} deliveries/s",
                    file=sys.stderr,
                )
            rounds.append(runs)
    report(rounds, servers, args, header)
    failed = [record for runs in rounds for pair in runs.values() for record in pair if not record.get("ok")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
