"""Benchmark: the statistics of every setting, batched against the lesson's loop.

    python scripts/bench_studies.py [--loop-seeds K] [--repeat R]

Times, in fresh processes (cold: imports included, nothing cached), `studies.train_many` for
every mini-batch setting of the experiments table, then for every study the figures add (the
samplers, the long lr 1 run), all of their seeds: in one process, and split over two
processes as the asset build's two workers would run them. The loop (`training.train`, one
seed at a time) is timed the same ways on K seeds per setting and scaled to the full count:
running it on all of them takes minutes, so its seconds are an estimate. Prints medians of R
runs and their ratios, loop / batched; the target is that ratio on two processes, which a
busy neighbour slows on both sides. Numbers come from this machine, now: run it, don't quote
it.
"""

import argparse
import json
import statistics
import subprocess
import sys
import time

# loop / batched, both on two processes, cold, 200 seeds of every setting. Measured on
# 2026-12-05 (main at 07148f4), on a shared and busy 2-core machine: 64x and 66x for the
# table, 81x and 68x for every study (on one process, from 11.6x to 102x: pairing each loop
# with a batched timing steadies the ratio). The target leaves half of the lowest for a
# busier day; the old one, 5 s on two cores, read from 2.9 s to 20 s the same day.
TARGET = 30.0

CHILD = r"""
import json, sys, time
start = time.perf_counter()
import torch
from sgd_lib.site.assets import plan
from sgd_lib.lesson.experiments import EXPERIMENTS
from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.experiments import study_seeds
from sgd_lib.lesson.studies import train_many
from sgd_lib.lesson.training import train
part, parts, loop_seeds = (int(v) for v in sys.argv[1:4])
if parts > 1:
    torch.set_num_threads(1)  # as the asset build's workers do: one core each
table_only = sys.argv[4] == "table"
settings = {e for job in plan() for e in job.runs if e.seeds > 1}
if table_only:
    settings = {e for e in EXPERIMENTS if e.seeds > 1}
# Settings that draw the same batches (one batch size, sampler and set of seeds) stay in one
# process: the longest run draws them and the others reuse its draws, as in a worker of the
# asset build. These families are shared out, the costliest first, to the process with the
# least so far. Costs, per seed, roughly as measured: drawing an update's batch costs about
# what training it costs, whatever its size.
def key(e):
    return e.batch_size, e.sampler, e.data, tuple(study_seeds(e))
def cost(family):
    return family[0].seeds * (max(e.steps for e in family) + sum(e.steps for e in family))
families = {}
for e in sorted(settings, key=lambda e: (-e.steps, e.slug, e.sampler, e.schedule)):
    families.setdefault(key(e), []).append(e)
loads = [[] for _ in range(parts)]
for family in sorted(families.values(), key=lambda f: (-cost(f), f[0].slug)):
    min(loads, key=lambda l: sum(map(cost, l))).append(family)
mine = [e for family in loads[part] for e in family]
data = make_data()
imported = time.perf_counter()
if loop_seeds:
    seeds = 0
    for e in mine:
        for s in study_seeds(e)[:loop_seeds]:
            train(data, e.__class__(**{**e.__dict__, "seed": s, "seeds": 1}))
            seeds += 1
    scale = sum(e.seeds for e in mine) / seeds
else:
    for e in mine:
        train_many(data, e)
    scale = 1.0
done = time.perf_counter()
print(json.dumps({"settings": len(mine), "seeds": sum(e.seeds for e in mine),
                  "import_s": imported - start, "work_s": (done - imported) * scale,
                  "total_s": imported - start + (done - imported) * scale}))
"""


def run(part: int, parts: int, loop_seeds: int, which: str) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, str(part), str(parts), str(loop_seeds), which],
        stdout=subprocess.PIPE,
        text=True,
    )


def timed(parts: int, loop_seeds: int = 0, which: str = "all") -> tuple[float, dict]:
    """Wall seconds for `parts` processes started together, and the first one's report."""
    start = time.perf_counter()
    children = [run(p, parts, loop_seeds, which) for p in range(parts)]
    reports = [json.loads(c.communicate()[0]) for c in children]
    wall = time.perf_counter() - start
    if loop_seeds:  # the loop's work was scaled: its wall time is the slowest part's total
        wall = max(r["total_s"] for r in reports)
    return wall, reports[0]


def paired(parts: int, which: str, loop_seeds: int, repeat: int) -> tuple[float, float, float]:
    """Median seconds of the batched trainer and of the loop, and the median of their ratios,
    each loop timed right after a batched one: a neighbour who comes or goes between them
    moves one pair, not every loop against every batched timing."""
    pairs = [(timed(parts, 0, which)[0], timed(parts, loop_seeds, which)[0]) for _ in range(repeat)]
    return (
        statistics.median(fast for fast, _ in pairs),
        statistics.median(slow for _, slow in pairs),
        statistics.median(slow / fast for fast, slow in pairs),
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-seeds", type=int, default=5)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    for which, what in (("table", "the table's settings"), ("all", "every study the figures use")):
        report = timed(1, which=which)[1]
        b1, l1, r1 = paired(1, which, args.loop_seeds, args.repeat)
        b2, l2, r2 = paired(2, which, args.loop_seeds, args.repeat)
        print(f"{what}: {report['settings']} settings, {report['seeds']} seeds in all")
        print(f"  batched : median {b1:.2f} s on 1 process, {b2:.2f} s on 2 (cold, with imports)")
        print(f"  the loop: median {l1:.1f} s on 1 process, {l2:.1f} s on 2 (estimated: timed on "
              f"{args.loop_seeds} seeds per setting, scaled to all of them)")  # fmt: skip
        print(f"  loop / batched: {r1:.1f}x on 1 process, {r2:.1f}x on 2   target >= {TARGET:g} "
              f"on 2   {'meets' if r2 >= TARGET else 'MISSES'}")  # fmt: skip
    print(f"(ratios: the median over {args.repeat} pairs, the loop timed right after the batched)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
