#!/usr/bin/env python3
"""Report what counting costs: the server's CPU per delivery with metrics off and on, from run.py's JSON lines.

  .venv/bin/python bench/metrics_cost.py metrics-cost.jsonl

Prints every run's CPU time per delivery, metrics off and on, in the order they ran, then
each side's median and how much more the median with metrics costs. Exits 1 if that is 2 %
or more (issue 13's bound), or if a run failed or either side has no run.
"""

import json
import statistics
import sys

BOUND = 0.02


def main(path):
    runs = {"off": [], "on": []}
    with open(path) as lines:
        for line in lines:
            record = json.loads(line)
            steps = record.get("steps") or [{}]
            cost = steps[-1].get("server_us_per_delivery")
            side = record.get("metrics", "off")
            rate = steps[-1].get("deliveries_per_s")
            print(f"metrics {side:3}  {record.get('mode')} N={record.get('clients')}  "
                  f"{rate} deliveries/s  {cost} us/delivery  {'ok' if record.get('ok') else 'FAILED'}")
            if not record.get("ok") or cost is None:
                print("a run failed: its figures do not count", file=sys.stderr)
                return 1
            runs[side].append(cost)
    if not runs["off"] or not runs["on"]:
        print("need runs with metrics off and on", file=sys.stderr)
        return 1
    off, on = statistics.median(runs["off"]), statistics.median(runs["on"])
    extra = on / off - 1
    print(f"median us/delivery: off {off:.2f} ({len(runs['off'])} runs), on {on:.2f} ({len(runs['on'])} runs): "
          f"{extra:+.1%} (bound {BOUND:.0%})")
    return 0 if extra < BOUND else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
