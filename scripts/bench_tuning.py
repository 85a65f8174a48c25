"""Benchmark: the tuning protocol's grids, batched, against the lesson's loop seed by seed.

    python scripts/bench_tuning.py [--sample K] [--repeat R]

Times `tuning.grids` for every protocol (every point of every method's grid, every tuning
seed, in one process, after the imports), then the loop (`training.train`, one run per point
and seed) on K points of each grid drawn evenly, scaled to the whole grid: running it all
takes hours. Prints medians of R runs and the ratio. Numbers come from this machine, now.
"""

import argparse
import statistics
import time
from dataclasses import replace

import torch

from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.protocols import GRIDS, PROTOCOLS
from sgd_lib.lesson.training import train
from sgd_lib.lesson.tuning import grids

torch.set_num_threads(1)  # as the asset build's workers do


def batched() -> float:
    start = time.perf_counter()
    for p in PROTOCOLS.values():
        grids(make_data(p.data), p)
    return time.perf_counter() - start


def loop(sample: int) -> float:
    """The loop's seconds for every point and seed of every grid, from a sample of each."""
    total = 0.0
    for p in PROTOCOLS.values():
        data = make_data(p.data)
        seeds = p.tuning_seeds()
        for name in GRIDS:
            settings = p.settings(name)
            picks = settings[:: max(1, len(settings) // sample)][:sample]
            start = time.perf_counter()
            for setting in picks:
                train(data, replace(p.experiment(name, setting), seed=seeds[0], seeds=1))
            per_run = (time.perf_counter() - start) / len(picks)
            total += per_run * len(settings) * len(seeds)
    return total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sample", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    points = sum(len(p.settings(n)) * len(p.tuning_seeds())
                 for p in PROTOCOLS.values() for n in GRIDS)  # fmt: skip
    fast = statistics.median(batched() for _ in range(args.repeat))
    slow = loop(args.sample)
    print(f"tuning: {len(PROTOCOLS)} protocols, {points} runs (grid points x seeds)")
    print(f"  batched, 1 process: median {fast:.2f} s of {args.repeat}")
    print(f"  the loop, seed by seed: {slow:.0f} s (timed on {args.sample} points a grid, scaled)")
    print(f"  loop / batched: {slow / fast:.0f}x")


if __name__ == "__main__":
    main()
