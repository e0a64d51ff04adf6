#!/usr/bin/env python3
"""Measure what counting costs: the server's CPU per delivery with metrics off and on, alternating.

  .venv/bin/python bench/metrics_cost.py
  .venv/bin/python bench/metrics_cost.py --rounds 5 --out metrics-cost.jsonl
  .venv/bin/python bench/metrics_cost.py --from metrics-cost.jsonl     # report on runs already made

Each round runs the production command (one gevent worker, metrics in prometheus_client's
multiprocess mode when on) at N=200 clients and 100 messages a second, each reaching all 200:
20,000 deliveries a second, first with metrics off, then on, each on a fresh server. Then it
prints every run's CPU time per delivery, in the order they ran, each side's median and how much
more the median with metrics costs. Exits 1 if that is 2 % or more (issue 13's bound), or if a
run failed or either side has no run.
"""

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

from run import Load, measure, prepare

BOUND = 0.02
MODE = "gunicorn-gevent"


def measure_rounds(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Run metrics off then on, --rounds times; return the records in the order they ran."""
    prepare([MODE])
    records = []
    with tempfile.TemporaryDirectory(prefix="chat-bench-") as workdir:
        for number in range(1, args.rounds + 1):
            for metrics in ("off", "on"):
                print(f"metrics_cost.py: round {number}, metrics {metrics}", file=sys.stderr)
                load = Load(args.clients, rate=args.rate, duration=args.duration, metrics=metrics)
                try:
                    record = measure(MODE, load, workdir)
                except RuntimeError as error:
                    record = {
                        "mode": MODE,
                        "clients": args.clients,
                        "metrics": metrics,
                        "ok": False,
                        "exit": 3,
                        "error": str(error),
                    }
                records.append(record)
                if args.out:
                    with open(args.out, "a") as out:
                        out.write(json.dumps(record) + "\n")
    return records


def report(records: list[dict[str, Any]]) -> int:
    """Print every run and the medians; return 0 if counting stays under the bound."""
    runs: dict[str, list[float]] = {"off": [], "on": []}
    for record in records:
        steps = record.get("steps") or [{}]
        cost = steps[-1].get("server_us_per_delivery")
        side = record.get("metrics", "off")
        rate = steps[-1].get("deliveries_per_s")
        print(
            f"metrics {side:3}  {record.get('mode')} N={record.get('clients')}  "
            f"{rate} deliveries/s  {cost} us/delivery  {'ok' if record.get('ok') else 'FAILED'}"
        )
        if not record.get("ok"):
            problems = (
                [record.get("error")] if record.get("error") else record.get("violations") or record.get("errors")
            )
            print(f"a run failed, so its figures do not count: {problems}", file=sys.stderr)
            return 1
        if cost is None:
            print(
                "a run's server used too little CPU to measure (under a clock tick): raise --rate or --duration",
                file=sys.stderr,
            )
            return 1
        runs[side].append(cost)
    if not runs["off"] or not runs["on"]:
        print("need runs with metrics off and on", file=sys.stderr)
        return 1
    off, on = statistics.median(runs["off"]), statistics.median(runs["on"])
    extra = on / off - 1
    print(
        f"median us/delivery: off {off:.2f} ({len(runs['off'])} runs), on {on:.2f} ({len(runs['on'])} runs): "
        f"{extra:+.1%} (bound {BOUND:.0%})"
    )
    return 0 if extra < BOUND else 1


def main() -> int:
    """Measure (or read) the runs, then report on them."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds of metrics off, then on")
    parser.add_argument("--clients", type=int, default=200, help="N, the clients every message reaches")
    parser.add_argument("--rate", type=float, default=100, help="messages a second, all senders together")
    parser.add_argument("--duration", type=float, default=10, help="seconds of sending per run")
    parser.add_argument("--out", type=Path, help="append every run's JSON line to this file")
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        metavar="FILE",
        help="measure nothing: report on the JSON lines of earlier runs (run.py --out)",
    )
    args = parser.parse_args()
    if args.source:
        with open(args.source) as lines:
            return report([json.loads(line) for line in lines if line.strip()])
    return report(measure_rounds(args))


if __name__ == "__main__":
    sys.exit(main())
