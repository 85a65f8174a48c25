"""Benchmark: our GIF renderer against the seed-style one, then the asset build against it.

    python scripts/bench_render.py [--slugs SLUG ...] [--jobs N]

The seed-style renderer is the lesson's recipe: a pyplot figure, FuncAnimation whose update
function trains, saved with PillowWriter; same pixel size and frame count as ours. Prints
seconds (ours: the median of three renderings) and bytes per GIF for both, their ratios, and
the medians; then the asset build in fresh processes, cold three times (the median counts)
and then warm, each cold build between two of the GIFs. Every target is a ratio of two
timings taken in this run, so a busy neighbour slows both sides: the cold build against an
estimate of the seed-style recipe for the same files (its seconds a frame, measured here on
those GIFs, times every frame in the build's manifest), in CPU seconds, and by the wall for
information; the warm build as a fraction of the cold one. Numbers come from this machine,
now: run it, don't quote it.
"""

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import torch
from matplotlib import animation
from torch import nn

from sgd_lib import find, make_data, mse, train
from sgd_lib.lesson.training import A0, batch_indices
from sgd_lib.pictures.encode import gif_bytes
from sgd_lib.pictures.render_fit import FIT_SIZE, animate_fit, frame_steps
from sgd_lib.pictures.theme import LIGHT

ROOT = Path(__file__).resolve().parents[1]
# A converging GD run, SGD at three batch sizes and the slow learning rate: not the
# diverging runs, whose GIFs stop after a few frames.
SLUGS = ("gd-lr0.1", "lr0.1-bs16", "lr0.1-bs1", "lr0.1-bs64", "lr0.01-bs16")
COLD_RUNS = 3
# Each target is a ratio of timings from the same run; ">=" or "<=" says which way is good.
#   speed: seed-style seconds / ours, per GIF (median);  bytes: ours / seed-style, per GIF.
#   cold: the seed-style recipe's CPU seconds for the build's frames (estimated from the GIFs
#     here) / the cold build's CPU seconds, its workers included. Measured on 2026-12-05 (main
#     at 07148f4) on a shared 2-core machine: 21.4x when quiet, 13.1x when busy (its builds
#     11.4x to 18.3x: contention inflates CPU seconds too, the two workers' more); by the
#     wall, runs read 4.4x to 31.6x. 8 leaves a third below the lowest build for a busier
#     day, and the estimate, which prices the drawing only, already leans the recipe's way.
#   warm: warm build / cold build, wall seconds. A warm build renders nothing: it starts,
#     plans, hashes and finds every file fresh. Measured the same day: 0.0013 to 0.008 (0.25 s
#     to 0.29 s against cold builds of 37 s to 209 s); a twentieth leaves six times that.
TARGETS = {
    "speed": (">=", 25.0),
    "bytes": ("<=", 0.25),
    "cold": (">=", 8.0),
    "warm": ("<=", 0.05),
}


def seed_style(data, e, frames: int, path: Path) -> None:
    """The lesson's way: redraw the whole figure every frame, training inside the update. It
    draws what ours draws: the points, the line, the step and its MSE, and (since issue 10)
    rings on the points of the batch behind the step, so that both GIFs show the same
    picture and the ratios compare the ways of making it, not what is in it."""
    x, y = data.x, data.y
    a = nn.Parameter(torch.tensor(A0))
    g = torch.Generator().manual_seed(e.seed)
    per_frame = max(1, round(e.steps / (frames - 1)))  # long runs: several updates per frame
    fig = plt.figure(figsize=(FIT_SIZE[0] / 100, FIT_SIZE[1] / 100), dpi=100)
    plt.scatter(x[:, 0], y, c="orange")
    (line,) = plt.plot(x[:, 0], (x @ a).detach())
    rings = plt.scatter([], [], s=55, facecolors="none", edgecolors="firebrick", linewidths=1.4)
    title = plt.title("")

    def update(i):
        for _ in range(per_frame if i else 0):
            idx = batch_indices(len(y), e.batch_size, g)
            if e.batch_size is not None:
                rings.set_offsets(torch.stack([x[idx, 0], y[idx]], 1))
            loss = mse(x[idx] @ a, y[idx])
            loss.backward()
            with torch.no_grad():
                a.sub_(e.lr * a.grad)
                a.grad.zero_()
        line.set_ydata((x @ a).detach())
        title.set_text(f"step {i * per_frame}   MSE {mse(x @ a, y).item():.4g}")
        return line, rings, title

    anim = animation.FuncAnimation(fig, update, frames=frames, interval=e.frame_ms)
    anim.save(path, writer=animation.PillowWriter(fps=1000 / e.frame_ms), dpi=100)
    plt.close(fig)


def ours(data, e) -> bytes:
    h = train(data, e)
    a = animate_fit(h, data, LIGHT)
    return gif_bytes(a.frames, a.palette, a.durations_ms)


def timed(fn, *args):
    start = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - start, result


def children_cpu() -> float:
    """CPU seconds of every process this one has waited for (and those they waited for)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def build_seconds(out: Path, jobs: int) -> tuple[float, float]:
    """Wall and CPU seconds of one build into `out`, its workers' CPU included."""
    start, cpu = time.perf_counter(), children_cpu()
    script = ROOT / "scripts" / "build_assets.py"
    command = [sys.executable, str(script), "--out", str(out), "--jobs", str(jobs)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start, children_cpu() - cpu


def build_frames(out: Path) -> tuple[int, int, int]:
    """Animations, their frames, and still images in the manifest of the build in `out`."""
    files = json.loads((out / "manifest.json").read_text())["files"]
    movies = [f for f in files if f["frames"] > 1]
    return len(movies), sum(f["frames"] for f in movies), len(files) - len(movies)


def row(data, e, tmp: Path) -> dict:
    """One GIF both ways: the seed-style seconds and bytes, and ours (the median of three)."""
    frames = len(frame_steps(e.steps, e.frames))
    path = tmp / f"{e.slug}.gif"
    cpu = time.process_time()
    seed_s, _ = timed(seed_style, data, e, frames, path)
    seed_cpu = time.process_time() - cpu
    # Ours takes half a second, where a busy neighbour shows: the median of three.
    runs = [timed(ours, data, e) for _ in range(3)]
    ours_s = statistics.median(t for t, _ in runs)
    ours_kb, seed_kb = len(runs[0][1]) / 1000, path.stat().st_size / 1000
    print(f"{e.slug:<14}{frames:7d}{seed_s:8.2f}{seed_kb:9.0f}{ours_s:8.3f}{ours_kb:9.0f}"
          f"{seed_s / ours_s:9.1f}{ours_kb / seed_kb:9.2f}")  # fmt: skip
    return {"slug": e.slug, "frames": frames, "seed_s": seed_s, "seed_cpu": seed_cpu,
            "speed": seed_s / ours_s, "bytes": ours_kb / seed_kb}  # fmt: skip


def rows_and_builds(data, experiments, jobs: int) -> tuple[list, list, float, tuple]:
    """The GIFs' rows; COLD_RUNS cold builds, each into a fresh directory, as (the row
    rendered just before it, wall s, CPU s); a warm build over the last; that build's frames."""
    rows, colds = [], []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        seed_style(data, experiments[0], 3, tmp / "warm.gif")  # fonts, caches and lazy
        ours(data, experiments[0])  # imports load outside the timings
        print(f"{'experiment':<14}{'frames':>7}{'seed s':>8}{'seed KB':>9}{'ours s':>8}"
              f"{'ours KB':>9}{'speed x':>9}{'bytes x':>9}")  # fmt: skip
        # A neighbour who comes and goes moves the seconds five times over: each cold build
        # runs between two of the seed-style GIFs, which price its frames by the wall, so
        # that they meet much the load it met.
        for k, e in enumerate(experiments):
            rows.append(row(data, e, tmp))
            while len(colds) < COLD_RUNS and (len(colds) == k or k == len(experiments) - 1):
                colds.append((k, *build_seconds(tmp / f"assets-{len(colds)}", jobs)))
        last = tmp / f"assets-{COLD_RUNS - 1}"
        warm, _ = build_seconds(last, jobs)
        return rows, colds, warm, build_frames(last)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slugs", nargs="+", default=SLUGS, metavar="SLUG")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    experiments = [find(slug) for slug in args.slugs]
    rows, colds, warm, (movies, movie_frames, stills) = rows_and_builds(
        make_data(), experiments, args.jobs
    )
    frames = movie_frames + stills  # a still is one frame
    print(f"\ncold builds, --jobs {args.jobs}, against the seed-style recipe for the same files: "
          f"the build's {movie_frames} frames of {movies} animations and {stills} stills, one "
          "frame each")  # fmt: skip
    walls = []
    for i, (k, cold, cpu) in enumerate(colds):
        around = rows[k : k + 2]  # the GIFs rendered just before and just after it
        per_frame = sum(r["seed_s"] for r in around) / sum(r["frames"] for r in around)
        naive = per_frame * frames / args.jobs  # shared perfectly over the same workers
        walls.append(naive / cold)
        print(f"  build {i + 1}: {cold:5.1f} s, {cpu:5.1f} s CPU; seed-style at "
              f"{per_frame * 1000:3.0f} ms a frame (the GIFs before and after it), over "
              f"{args.jobs} workers: {naive:4.0f} s, {naive / cold:4.1f}x")  # fmt: skip
    # A neighbour moves wall seconds five times over within minutes, and the GIFs around a
    # build sample only moments of it (by the wall, runs read 4.4x to 31.6x): the target is
    # set on CPU seconds, which a neighbour moves far less (13.1x busy, 21.4x quiet).
    per_cpu = sum(r["seed_cpu"] for r in rows) / sum(r["frames"] for r in rows)
    cold_cpu = statistics.median(cpu for _, _, cpu in colds)
    print(f"  CPU: seed-style {per_cpu * 1000:.0f} ms a frame (the {len(rows)} GIFs above) x "
          f"{frames} frames = {per_cpu * frames:.0f} s; the builds' median {cold_cpu:.1f} s; "
          f"{per_cpu * frames / cold_cpu:.1f}x")  # fmt: skip
    print("  the seed-style seconds are an estimate, not a run (it would take half an hour "
          "or more): they price")  # fmt: skip
    print(f"  the drawing only, not the statistics and tuning the build also runs, and every "
          f"frame at {FIT_SIZE[0]}x{FIT_SIZE[1]} px")  # fmt: skip
    cold = statistics.median(c for _, c, _ in colds)
    print(f"warm build over the last cold one: {warm:.2f} s; cold median {cold:.1f} s")
    results = {
        "speed": (statistics.median(r["speed"] for r in rows), "median: seed-style s / ours"),
        "bytes": (statistics.median(r["bytes"] for r in rows), "median: ours / seed-style"),
        "cold": (per_cpu * frames / cold_cpu, "CPU: seed-style estimate / median cold build"),
        "cold-wall": (statistics.median(walls), "no target; the wall's ratio, median of builds"),
        "warm": (warm / cold, "warm build / median cold build"),
    }
    print()
    for name, (value, what) in results.items():
        if name not in TARGETS:
            print(f"{name:<9}{value:8.3g}{'':28}({what})")
            continue
        sign, target = TARGETS[name]
        verdict = "meets " if (value >= target if sign == ">=" else value <= target) else "MISSES"
        print(f"{name:<9}{value:8.3g}   target {sign} {target:<5g} {verdict}   ({what})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
