"""Benchmark: the sandbox's JavaScript core against the Python lesson's loop, and the page's
frame time.

    python scripts/bench_sandbox.py [--repeat R] [--assets DIR] [--site DIR]

1. Updates per second of batch-size-1 SGD and Adam (the lesson's data, 2000 updates): the
   Python trainer (`training.train`, after the imports) and the JS core in Node, each the
   median of R runs, in this run, and their ratio.
2. If a built site is at --site: the sandbox page in headless Chromium at its fastest speed
   with four pinned runs and the live one, the median frame's script time (the page's own
   `sgd-sandbox-frame` measures) as a fraction of the 16.7 ms frame budget.
Numbers come from this machine, now: a benchmark, not a test.
"""

import argparse
import json
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import torch

from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.experiments import Experiment
from sgd_lib.lesson.training import train
from sgd_lib.site.freshness import code_version
from sgd_lib.site.sandbox_export import export

ROOT = Path(__file__).resolve().parents[1]
CASES = {"SGD, batch 1": Experiment(0.05, 1, steps=2000, optimizer="sgd"),
         "Adam, batch 1": Experiment(0.05, 1, steps=2000, optimizer="adam")}  # fmt: skip
FRAME_MS = 1000 / 60

torch.set_num_threads(1)


def python_rate(e: Experiment, repeat: int) -> float:
    data = make_data(e.data)
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        train(data, e)
        times.append(time.perf_counter() - start)
    return e.steps / statistics.median(times)


def node_rates(exported: Path, repeat: int) -> list[float]:
    cases = [{"data": "lesson", "settings": {"optimizer": e.optimizer, "hyper": e.hyper | (
        {"betas": list(e.hyper["betas"])} if "betas" in e.hyper else {}), "lr": e.lr,
        "batchSize": e.batch_size, "sampler": e.sampler, "schedule": e.schedule,
        "steps": e.steps, "seed": "0"}} for e in CASES.values()]  # fmt: skip
    node = shutil.which("node")
    if node is None:
        raise SystemExit("bench_sandbox: node is not on this machine")
    done = subprocess.run([node, str(ROOT / "scripts" / "bench_sandbox.mjs"), str(exported),
                           json.dumps(cases), str(repeat)], capture_output=True, text=True,
                          check=True)  # fmt: skip
    return json.loads(done.stdout)


def frame_fraction(site: Path) -> float | None:
    """The median frame's script time over the frame budget, with five runs on one clock."""
    import functools
    import http.server
    import threading

    from playwright.sync_api import sync_playwright

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(site))
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with sync_playwright() as p:
            args = ["--headless", "--no-sandbox", "--disable-gpu"]
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            origin = f"http://127.0.0.1:{server.server_address[1]}"
            page.goto(f"{origin}/sandbox.html?batch-size=1&steps=100000&lr=0.05")
            page.wait_for_selector("#sgd-sandbox[data-ready=true]")
            for _ in range(4):
                page.get_by_role("button", name="Pin this run").click()
            page.get_by_label("Speed").select_option("max")
            page.get_by_role("button", name="Play").click()
            page.wait_for_timeout(5000)
            frames = page.evaluate(
                "performance.getEntriesByName('sgd-sandbox-frame').map(e => e.duration)"
            )
            browser.close()
    finally:
        server.shutdown()
    return statistics.median(frames) / FRAME_MS if frames else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, choices=range(1, 50), metavar="R")
    parser.add_argument("--site", type=Path, default=ROOT / "site", help="a built site")
    args = parser.parse_args()
    exported = ROOT / "build" / "bench-sandbox.json"
    exported.parent.mkdir(exist_ok=True)
    exported.write_bytes(export(code_version(), {}))
    js = node_rates(exported, args.repeat)
    for (name, e), rate in zip(CASES.items(), js, strict=True):
        py = python_rate(e, args.repeat)
        print(f"{name}: Python loop {py:,.0f} updates/s, JS core in Node {rate:,.0f} updates/s, "
              f"ratio {rate / py:.0f}x")  # fmt: skip
    if (args.site / "sandbox.html").is_file():
        fraction = frame_fraction(args.site)
        verdict = "met" if fraction is not None and fraction < 0.5 else "MISSED"
        print(f"sandbox page, fastest speed, five runs: median frame's script time "
              f"{fraction:.2f} of the 16.7 ms frame (< 0.5: {verdict})")  # fmt: skip
    else:
        print(f"sandbox page: no built site at {args.site} (make site), frame time not measured")


if __name__ == "__main__":
    main()
