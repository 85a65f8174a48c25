"""The asset build: every figure of the experiments table, rendered only when stale.

A job's key hashes everything that decides its files' bytes: the settings of the runs it
draws, the rendering code, and the versions of the libraries that train, draw and encode.
A file is fresh when the manifest records its key and its sha256 and the file on disk still
has that hash. Files are written under a temporary name and renamed, so an interrupted build
leaves only whole files, and the manifest (rewritten as each job finishes, and once more
however the build ends) vouches for exactly the files of ours whose bytes it recorded.

The build only creates, replaces or deletes files directly inside its output directory,
under names it makes itself (sgd_lib.site.outdir); names read from a manifest are only data.

This module imports neither torch nor matplotlib until a job has to run: a build with
nothing to do finishes in well under a second.
"""

import contextlib
import os
import re
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from sgd_lib.checks import SettingError, signals_held
from sgd_lib.lesson.experiments import EXPERIMENTS, Experiment
from sgd_lib.lesson.protocols import PROTOCOLS, Protocol, with_picked
from sgd_lib.pictures.figures import FIGURES, Job, plan
from sgd_lib.site import sandbox_export
from sgd_lib.site.freshness import FACTS, code_version, is_fresh, read_manifest, was_run_file
from sgd_lib.site.manifest import dump, load
from sgd_lib.site.outdir import MANIFEST, SANDBOX, OutDir, digest
from sgd_lib.site.tuning_stage import tune
from sgd_lib.site.workers import WorkerDied, run_parallel, system_failure


@dataclass
class Report:
    rendered: list[str]  # files written by this build
    fresh: list[str]  # files that were already up to date
    removed: list[str]  # files of figures no longer in the table
    seconds: float
    distrusted: str | None = None  # why the old manifest was ignored, if it was


def select(jobs: list[Job], only: Iterable[str] | None) -> list[Job]:
    """The jobs named by `only` (experiment slugs or shared figure names); all if None."""
    if only is None:
        return jobs
    names = {job.slug: job for job in jobs}
    for slug in only:
        if slug not in names:
            raise SettingError("--only", slug, f"one of {', '.join(names)}")
    return [names[slug] for slug in dict.fromkeys(only)]


def cpus() -> int:
    """The CPUs this process may run on: more workers than these only compete for them."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def build(
    out: Path,
    *,
    table: tuple[Experiment, ...] = EXPERIMENTS,
    protocols: tuple[Protocol, ...] | None = None,
    jobs: int = 1,
    force: bool = False,
    only: Iterable[str] | None = None,
    progress: Callable[[int, int, str], None] | None = None,
    wait: bool = True,
    on_wait: Callable[[], None] | None = None,
) -> Report:
    """Render what is stale into `out` and write its manifest. `out` must be writable.

    One build at a time holds `out`: another one waits for it (`on_wait` is called once), or
    with `wait=False` raises outdir.Busy. Whatever stops the build (an error, Ctrl-C), the
    manifest it leaves vouches for exactly the whole files of ours on disk.

    First the tuning `protocols` (by default, PROTOCOLS for the site's own table and none for
    another) pick their runs, which join the table; their record is the manifest's too."""
    start = time.perf_counter()
    if protocols is None:
        protocols = tuple(PROTOCOLS.values()) if table is EXPERIMENTS else ()
    check_only(only and [name for name in only if not PICKED_SLUG.search(name)], table)
    out.mkdir(parents=True, exist_ok=True)
    with OutDir.locked(out, wait, on_wait) as disk:
        disk.remove_leftovers()
        code = code_version()
        known, known_runs, known_facts, known_tuning, distrusted = read_manifest(disk)
        tuning = tune(protocols, known_tuning, code)
        table = with_picked(table, tuning)
        every = plan(table, tuning)
        chosen = select(every, only)
        last = (known, known_runs, known_facts, distrusted)
        return _build_locked(disk, table, every, chosen, jobs, force, only, progress, start,
                             code, last, tuning)  # fmt: skip


# The slugs of runs a tuning stage picks: gd-lr0.562-tuned, lr0.075-bs16-momentum-...-same-step
PICKED_SLUG = re.compile(r"-(tuned|theory|same-step)$")


def check_only(only: Iterable[str] | None, table: tuple[Experiment, ...] = EXPERIMENTS,
               protocols: tuple[Protocol, ...] = (), out: Path | None = None) -> None:  # fmt: skip
    """A SettingError if `only` names what no build of `table` makes. A figure of the
    registry is checked in the build (one the tuning draws needs its record); the name of a
    run the tuning picks is checked against the tuning's picks, which this trains (or reads
    from `out`'s manifest, when it is that of this code) if `only` names one."""
    picked = [name for name in only or () if PICKED_SLUG.search(name)]
    if picked and protocols:
        known = (load(out)[0] or {}).get("tuning", {}) if out is not None else {}
        tuning = tune(protocols, known, code_version())
        select(plan(with_picked(table, tuning), tuning), picked)
    select(plan(table), only and [n for n in only if n not in FIGURES and n not in picked])


def _build_locked(disk, table, every, chosen, jobs, force, only, progress, start, code, last,
                  tuning) -> Report:  # fmt: skip
    known, known_runs, known_facts, distrusted = last
    keys = {job.slug: job.key(code) for job in every}
    layout = {  # for the pages: the table's order, and which runs each shared figure draws
        "table": [e.slug for e in table],
        "figures": {j.slug: [e.slug for e in j.runs] for j in every if not j.spec.per_run},
        "tuning": tuning,  # what the tuning protocol measured and picked
    }
    stale = [
        j
        for j in chosen
        if force or not is_fresh(j, keys[j.slug], disk, known, known_runs, known_facts)
    ]
    fresh = [name for j in chosen if j not in stale for name, _, _ in j.files()]
    current = {name for job in every for name, _, _ in job.files()}
    # What the last build made is vouched for until it is replaced, if it is intact (and, in
    # a full build, until pruned); what this build makes, from the moment it is about to be
    # written, if it got there whole.
    entries, new, runs, facts = dict(known), {}, dict(known_runs), dict(known_facts)
    removed: list[str] = []

    def finish() -> None:  # the manifest, however the build ends
        kept_runs, kept_facts = runs, facts
        if only is None:
            kept_runs = {slug: r for slug, r in runs.items() if slug in keys}
            kept_facts = {slug: f for slug, f in facts.items() if slug in keys}
        # Held: a second Ctrl-C landing in this last write would leave the one before it,
        # which does not list the files written since (an impatient reader presses again).
        with signals_held():
            _write_manifest(disk, _vouched(disk, entries, new), kept_runs, kept_facts, layout,
                            check=True)  # fmt: skip

    try:
        tasks = [(job, keys[job.slug]) for job in _longest_first(stale)]
        results = _results(tasks, min(jobs, cpus(), len(stale)))
        with closing(results):
            for done, (written, run, found, payloads) in enumerate(results, start=1):
                # First the manifest stops vouching for what is about to be replaced: if the
                # disk fills up from here on, no manifest vouches for bytes no longer there.
                replaced = {entry["name"] for entry in written}
                if replaced & (entries.keys() | new.keys()):  # (none, in a cold build)
                    vouched = _vouched(disk, entries, new, skip=replaced)
                    _write_manifest(disk, vouched, runs, facts, layout)
                new |= {entry["name"]: entry for entry in written}
                for entry, payload in zip(written, payloads, strict=True):
                    disk.write(entry["name"], payload)
                runs |= run
                facts |= found
                # Recorded as each job finishes: a build that is killed resumes where it stopped.
                _write_manifest(disk, _vouched(disk, entries, new), runs, facts, layout)
                if progress:
                    progress(done, len(stale), next(iter(run | found), None) or written[0]["slug"])
        if only is None:
            gone = sorted(name for name in entries if name not in current)
            # Again, the manifest stops listing files before they go.
            _write_manifest(disk, _vouched(disk, entries, new, skip=set(gone)), runs, facts, layout)
            removed = _prune(disk, entries, gone)
    except BaseException:
        # If writing the manifest fails too (the disk still full), the last one written
        # stands, and it is true: the first failure is the one to tell.
        with contextlib.suppress(OSError, MemoryError):
            finish()
        raise
    finish()
    if only is None:
        _export_sandbox(disk, {slug: r for slug, r in runs.items() if slug in keys})
    rendered = sorted(name for j in stale for name, _, _ in j.files())
    seconds = time.perf_counter() - start
    return Report(rendered, sorted(fresh), removed, seconds, distrusted)


def _export_sandbox(disk: OutDir, runs: dict[str, dict]) -> None:
    """The sandbox's JSON (its data, registries and the table's runs), if it is stale."""
    code = code_version(skip=frozenset())  # every module: the export's own code included
    if sandbox_export.is_current(disk.read(SANDBOX), code, runs):
        return
    with signals_held():  # torch makes the data
        payload = sandbox_export.export(code, runs)
    disk.write(SANDBOX, payload)


def _vouched(disk: OutDir, *layers: dict[str, dict], skip=frozenset()) -> dict:
    """For every name not in `skip`, the newest entry (of `layers`, oldest first) whose
    bytes are on disk. Wherever an interruption lands, this is the truth."""
    out = {}
    for layer in layers:
        for name, entry in layer.items():
            if name not in skip and disk.sha(name) == entry["sha256"]:
                out[name] = entry
    return out


def _write_manifest(disk: OutDir, entries: dict[str, dict], runs: dict[str, dict], facts: dict,
                    layout, check: bool = False) -> None:  # fmt: skip
    payload = dump(entries, runs, facts, layout, check)
    # Unchanged, it is left alone: `mkdocs serve` watches docs/ and would rebuild forever.
    if disk.read(MANIFEST) != payload:
        disk.write(MANIFEST, payload)


def _prune(disk: OutDir, entries: dict[str, dict], gone: list[str]) -> list[str]:
    """Delete the files `gone` an earlier build made for experiments no longer in the table:
    only names an experiment's files have, only regular files, only if they still hold the
    bytes the build wrote. Anything else is forgotten, never deleted."""
    removed = []
    for name in gone:
        if was_run_file(name) and disk.remove(name, entries[name]["sha256"]):
            removed.append(name)
        del entries[name]  # after the file: an interruption between leaves nothing unlisted
    return removed


def _longest_first(stale: list[Job]) -> list[Job]:
    # Longest first, so that no worker is left with a long job at the end.
    return sorted(stale, key=lambda j: -max((e.steps for e in j.runs), default=0))


def _results(tasks: list[tuple[Job, str]], workers: int) -> Iterator:
    """Each job's rendering, in this process or in worker processes."""
    if workers <= 1:
        # Held while rendering here: a Ctrl-C landing inside matplotlib can be swallowed
        # there. It is delivered between jobs instead, a second or so later.
        return (_held(render_job, task) for task in tasks)
    return run_parallel(render_job, tasks, workers, label=lambda task: task[0].slug)


def _held(work: Callable, task):
    with signals_held():
        try:
            return work(task)
        except Exception as e:  # the system's failure is one line, as from a worker
            reason = system_failure(e)
            if reason is None:
                raise
            raise WorkerDied(f"{reason}, rendering {task[0].slug}") from None


def render_job(task: tuple[Job, str]) -> tuple[list[dict], dict[str, dict], dict, list[bytes]]:
    """Train what the job draws and render it in every theme: its files' manifest entries,
    the run's results if the job is an experiment's, its facts if it computes some, and the
    files' bytes (which the build writes: workers write nothing)."""
    with signals_held():  # torch and matplotlib: only where work is done
        from sgd_lib.pictures.render_job import render

    job, key = task
    encoded, results = render(job)
    runs = {job.slug: {**results, "key": key}} if results and job.spec.per_run else {}
    facts = {job.slug: {**results, "key": key}} if results and job.figure in FACTS else {}
    entries, payloads = [], []
    for (name, kind, theme), (payload, size, frames, steps, mse, text_px) in zip(
        job.files(), encoded, strict=True
    ):
        payloads.append(payload)
        entries.append({
            "name": name,
            "slug": job.slug,
            "kind": kind,
            "theme": theme,
            "experiments": [e.slug for e in job.runs],
            "width": size[0],
            "height": size[1],
            "frames": frames,
            "steps": steps,
            "mse": mse,
            "text_px": text_px,  # the smallest text, in pixels (tests hold it readable)
            "bytes": len(payload),
            "sha256": digest(payload),
            "key": key,
        })  # fmt: skip
    return entries, runs, facts, payloads
