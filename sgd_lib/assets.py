"""The asset build: every figure of the experiments table, rendered only when stale.

A job's key hashes everything that decides its files' bytes: the settings of the runs it
draws, the rendering code, and the versions of the libraries that train, draw and encode.
A file is fresh when the manifest records its key and its sha256 and the file on disk still
has that hash. Files are written under a temporary name and renamed, so an interrupted build
leaves only whole files, and the manifest (rewritten as each job finishes) vouches only for
files that were completely written.

This module imports neither torch nor matplotlib until a job has to run: a build with
nothing to do finishes in well under a second.
"""

import dataclasses
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from importlib import metadata
from multiprocessing import get_context
from pathlib import Path

from sgd_lib.checks import SettingError
from sgd_lib.experiments import (
    EXPERIMENTS,
    DataSpec,
    Experiment,
    bs_sweep,
    gradient_descent,
    lr_sweep,
    path_runs,
)
from sgd_lib.theme import THEMES

MANIFEST = "manifest.json"
LIBRARIES = ("torch", "numpy", "matplotlib", "pillow")  # what trains, draws and encodes
# Modules that cannot change a figure's bytes: the table's settings enter each key as values,
# so editing one experiment re-renders only what draws it.
NOT_RENDERING = {"experiments.py", "cli.py", "__main__.py", "pages.py"}
SHARED = {  # figure -> the runs it draws, and how it is titled
    "compare-lr": (lr_sweep, "learning rates, batch size {bs}"),
    "compare-bs": (bs_sweep, "batch sizes, lr {lr:g}"),
    "compare-examples": (bs_sweep, "batch sizes, lr {lr:g}: the cost in examples"),
    "compare-gd-sgd": (path_runs, "gradient descent and SGD, lr {lr:g}"),
    "paths": (path_runs, ""),
    "linked": (lambda table: (gradient_descent(table),), ""),
    "data": (lambda table: (), ""),
    "guess": (lambda table: (), ""),
}


@dataclass(frozen=True)
class Job:
    """One unit of work: `figure` drawn from `runs` in every theme."""

    figure: str  # "run" (an experiment's animation, poster and loss) or a SHARED name
    slug: str  # the experiment's slug for "run", else the figure's name
    runs: tuple[Experiment, ...]
    data: DataSpec

    def files(self) -> list[tuple[str, str, str]]:
        """(file name, kind, theme) of everything this job writes."""
        kinds = {"run": [("fit", "gif"), ("poster", "png"), ("loss", "png")],
                 "linked": [("linked", "gif"), ("poster", "png")]}  # fmt: skip
        out = []
        for theme in THEMES:
            for kind, ext in kinds.get(self.figure, [(self.figure, "png")]):
                stem = self.slug if kind == self.figure else f"{self.slug}-{kind}"
                out.append((f"{stem}-{theme.name}.{ext}", kind, theme.name))
        return out

    def key(self, code: str) -> str:
        settings = {
            "figure": self.figure,
            "slug": self.slug,
            "runs": [dataclasses.asdict(e) for e in self.runs],
            "data": dataclasses.asdict(self.data),
            "code": code,
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def plan(table: tuple[Experiment, ...] = EXPERIMENTS) -> list[Job]:
    """Every job of the site: one per experiment, then the shared figures."""
    data = table[0].data
    jobs = [Job("run", e.slug, (e,), e.data) for e in table]
    jobs += [Job(name, name, tuple(pick(table)), data) for name, (pick, _) in SHARED.items()]
    return jobs


def code_version() -> str:
    """A hash of the rendering code and the versions of the libraries it leans on."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if path.name not in NOT_RENDERING:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}\n".encode())
    digest.update(f"python {sys.version_info[:2]}".encode())
    return digest.hexdigest()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def read_manifest(out: Path) -> tuple[dict[str, dict], dict[str, dict]]:
    """The files the last build vouched for, by name, and its runs' results, by slug; both
    empty if there is no readable manifest."""
    try:
        manifest = json.loads((out / MANIFEST).read_text())
        return {f["name"]: f for f in manifest["files"]}, dict(manifest["runs"])
    except (OSError, ValueError, KeyError, TypeError):
        return {}, {}  # no manifest, or not one of ours: every file is rendered again


def is_fresh(job: Job, key: str, out: Path, known: dict[str, dict], runs: dict) -> bool:
    if job.figure == "run" and runs.get(job.slug, {}).get("key") != key:
        return False
    for name, _, _ in job.files():
        entry, path = known.get(name), out / name
        if entry is None or entry.get("key") != key or not path.is_file():
            return False
        if sha256(path) != entry.get("sha256"):
            return False
    return True


def write_atomic(path: Path, payload: bytes) -> None:
    """Write `payload` to `path` so that `path` is never seen half-written."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.write_bytes(payload)
    os.replace(tmp, path)


def remove_leftovers(out: Path) -> None:
    """Temporary files of a build that was interrupted before it could rename them."""
    for tmp in out.glob(".*.tmp-*"):
        tmp.unlink(missing_ok=True)


@dataclass
class Report:
    rendered: list[str]  # files written by this build
    fresh: list[str]  # files that were already up to date
    removed: list[str]  # files of figures no longer in the table
    seconds: float


def select(jobs: list[Job], only: Iterable[str] | None) -> list[Job]:
    """The jobs named by `only` (experiment slugs or shared figure names); all if None."""
    if only is None:
        return jobs
    names = {job.slug: job for job in jobs}
    for slug in only:
        if slug not in names:
            raise SettingError("--only", slug, f"one of {', '.join(names)}")
    return [names[slug] for slug in dict.fromkeys(only)]


def build(
    out: Path,
    *,
    table: tuple[Experiment, ...] = EXPERIMENTS,
    jobs: int = 1,
    force: bool = False,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> Report:
    """Render what is stale into `out` and write its manifest. `out` must be writable."""
    start = time.perf_counter()
    every = plan(table)
    chosen = select(every, only)
    out.mkdir(parents=True, exist_ok=True)
    remove_leftovers(out)
    code = code_version()
    known, known_runs = read_manifest(out)
    keys = {job.slug: job.key(code) for job in every}
    layout = {  # for the pages: the table's order, and which runs each shared figure draws
        "table": [e.slug for e in table],
        "figures": {j.slug: [e.slug for e in j.runs] for j in every if j.figure != "run"},
    }
    stale = [j for j in chosen if force or not is_fresh(j, keys[j.slug], out, known, known_runs)]
    fresh = [name for j in chosen if j not in stale for name, _, _ in j.files()]

    entries = {name: known[name] for name in fresh}
    runs = {j.slug: known_runs[j.slug] for j in chosen if j not in stale and j.figure == "run"}
    if only is not None:  # what was not asked for stays as the manifest had it
        asked = {name for j in chosen for name, _, _ in j.files()}
        entries |= {name: e for name, e in known.items() if name not in asked}
        runs |= {slug: r for slug, r in known_runs.items() if slug not in runs}
    try:
        for done, (written, run) in enumerate(_run(stale, out, keys, jobs), start=1):
            entries |= {e["name"]: e for e in written}
            runs |= run
            # Recorded as each job finishes: a build that is killed resumes where it stopped.
            _write_manifest(out, entries, runs, layout)
            if progress:
                progress(done, len(stale), written[0]["slug"])
    finally:
        removed = _prune(out, every, known, entries, full=only is None)
        if only is None:
            runs = {slug: r for slug, r in runs.items() if slug in keys}
        _write_manifest(out, entries, runs, layout)
    rendered = sorted(name for j in stale for name, _, _ in j.files())
    return Report(rendered, sorted(fresh), removed, time.perf_counter() - start)


def _write_manifest(out: Path, entries: dict[str, dict], runs: dict[str, dict], layout) -> None:
    manifest = {
        "files": [entries[name] for name in sorted(entries)],
        "runs": {slug: runs[slug] for slug in sorted(runs)},  # each run's numbers, for pages
        **layout,
    }
    payload = (json.dumps(manifest, indent=1, allow_nan=False) + "\n").encode()
    path = out / MANIFEST
    # Unchanged, it is left alone: `mkdocs serve` watches docs/ and would rebuild forever.
    if not path.is_file() or path.read_bytes() != payload:
        write_atomic(path, payload)


def _prune(out, every, known, entries, full: bool) -> list[str]:
    """Delete files an earlier build made for figures that are no longer in the table."""
    if not full:
        return []
    current = {name for job in every for name, _, _ in job.files()}
    gone = sorted(name for name in known if name not in current)
    for name in gone:
        (out / name).unlink(missing_ok=True)
        entries.pop(name, None)
    return gone


def _run(stale: list[Job], out: Path, keys: dict[str, str], jobs: int):
    """Yield each finished job's manifest entries; in this process or in `jobs` workers."""
    # Longest first, so that no worker is left with a long job at the end.
    order = sorted(stale, key=lambda j: -max((e.steps for e in j.runs), default=0))
    if jobs == 1 or len(order) <= 1:
        for job in order:
            yield render_job(job, out, keys[job.slug])
        return
    # spawn: workers start clean (no forked torch threads), import once, then take jobs.
    with ProcessPoolExecutor(min(jobs, len(order)), mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(render_job, job, out, keys[job.slug]) for job in order]
        for future in as_completed(futures):
            yield future.result()


def render_job(job: Job, out: Path, key: str) -> tuple[list[dict], dict[str, dict]]:
    """Train what the job draws, render it in every theme, write the files; their manifest
    entries, and the run's results if the job is an experiment's."""
    from sgd_lib.render_job import render  # torch and matplotlib: only where work is done

    encoded, results = render(job)
    runs = {job.slug: {**results, "key": key}} if results else {}
    entries = []
    for (name, kind, theme), (payload, size, frames) in zip(job.files(), encoded, strict=True):
        write_atomic(out / name, payload)
        entries.append({
            "name": name,
            "slug": job.slug,
            "kind": kind,
            "theme": theme,
            "experiments": [e.slug for e in job.runs],
            "width": size[0],
            "height": size[1],
            "frames": frames,
            "bytes": len(payload),
            "sha256": hashlib.sha256(payload).hexdigest(),
            "key": key,
        })  # fmt: skip
    return entries, runs
