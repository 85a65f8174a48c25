"""Build every figure of the experiments table into DIR (default docs/assets) with a manifest.

    python scripts/build_assets.py [--out DIR] [--jobs N] [--force] [--no-wait] [--only SLUG ...]

Only stale files are rendered. One build at a time writes to DIR: another one waits for it,
or with --no-wait refuses at once. Exit status 0 on success; 2 on bad input (one line on
stderr, nothing written); 1 when the system fails (one line naming the path and the reason)
or DIR is busy with --no-wait; 130 on Ctrl-C and 143 on SIGTERM, after the manifest has been
written for every whole file.
"""

import contextlib
import os
import sys
from pathlib import Path

PROG = "build_assets.py"

try:  # a Ctrl-C while Python is still loading the build (slow on a busy machine): one line too
    from sgd_lib.checks import Parser, SettingError, run_command, whole
    from sgd_lib.lesson.protocols import PROTOCOLS
    from sgd_lib.site.assets import build, check_only, cpus
    from sgd_lib.site.outdir import Busy, check_writable
    from sgd_lib.site.workers import WorkerDied
except KeyboardInterrupt:
    print(f"{PROG}: interrupted (SIGINT)", file=sys.stderr)
    sys.exit(130)

ROOT = Path(__file__).resolve().parents[1]


def parse(argv: list[str] | None):
    parser = Parser(prog=PROG, description="Build every figure of the experiments table.")
    parser.add_argument("--out", default=str(ROOT / "docs" / "assets"), help="output dir")
    parser.add_argument("--jobs", default=str(cpus()), help="worker processes (at most the CPUs)")
    parser.add_argument("--force", action="store_true", help="render everything again")
    parser.add_argument("--no-wait", action="store_true", help="refuse if DIR is busy")
    parser.add_argument("--only", nargs="+", metavar="SLUG",
                        help="one or more experiments' slugs or shared figures' names")  # fmt: skip
    args, extra = parser.parse_known_args(argv)
    parser.reject(extra)
    jobs = whole(args.jobs)
    if isinstance(jobs, str) or jobs < 1:
        parser.error(f"--jobs must be a whole number of at least 1, got {args.jobs!r}")
    args.jobs = jobs
    if not args.out.strip():
        parser.error(f"--out must name a directory, got {args.out!r}")
    args.out = Path(args.out)
    try:  # before anything is written: a run the tuning picks is checked against its picks
        check_only(args.only, protocols=tuple(PROTOCOLS.values()), out=args.out)
    except SettingError as e:
        parser.error(f"--only: each SLUG must be {e.allowed}, got {e.value!r}")
    problem = unwritable(args.out)
    if problem:
        parser.error(f"--out {str(args.out)!r}: {problem}")
    return args


def unwritable(out: Path) -> str | None:
    """Why `out` cannot be the output directory, or None; creates nothing."""
    try:
        return _unwritable(out)
    except OSError as e:  # a name too long, say: the system cannot even look it up
        return f"{e.strerror or e}; give a directory the file system can hold"


def _unwritable(out: Path) -> str | None:
    for path in (out, *out.parents):
        if path.is_symlink() and not path.exists():
            where = "is" if path == out else f"is inside {str(path)!r}, which is"
            return (f"{where} a link to {os.readlink(path)!r}, which leads to no directory; "
                    "give a directory")  # fmt: skip
    probe = out
    while not probe.exists():
        if probe.parent == probe:
            break
        probe = probe.parent
    if probe.exists() and not probe.is_dir():
        where = "is a file" if probe == out else f"is inside {str(probe)!r}, which is a file"
        return f"{where}; give a directory (it is created if missing)"
    if not os.access(probe, os.W_OK | os.X_OK):
        return f"{str(probe)!r} is not writable"
    return None


def make_dir(out: Path) -> str | None:
    """Create `out` and check a file can be written there; on failure undo and say why."""
    made, path = [], out
    while not path.exists():
        made.append(path)
        path = path.parent
    try:
        out.mkdir(parents=True, exist_ok=True)
        check_writable(out)
    except OSError as e:
        for path in made:  # innermost first: leave no trace
            with contextlib.suppress(OSError):  # (a name too long cannot even be asked about)
                path.rmdir()
        return f"cannot create it or write there: {e.strerror or e}"
    return None


def progress_bar(done: int, total: int, slug: str) -> None:
    width = 30
    filled = width * done // total
    line = f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {slug:<20}"
    sys.stderr.write(line + ("\n" if done == total else ""))
    sys.stderr.flush()


def say(message: str) -> None:
    """A note on stderr; a build does not fail because nobody can read its notes."""
    with contextlib.suppress(OSError, AttributeError):  # stderr full, or closed (None)
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    problem = make_dir(args.out)
    if problem:
        print(f"{PROG}: error: --out {str(args.out)!r}: {problem}", file=sys.stderr)
        return 2
    if args.jobs > cpus():
        say(f"--jobs {args.jobs}: using at most {cpus()} workers, one per CPU here")
    try:
        report = build(
            args.out,
            jobs=args.jobs,
            force=args.force,
            only=args.only,
            progress=progress_bar if sys.stderr and sys.stderr.isatty() else None,
            wait=not args.no_wait,
            on_wait=lambda: say(f"waiting for another build writing to {args.out}"),
        )
    except Busy:
        say(f"error: another build is writing to {args.out}; without --no-wait, this waits")
        return 1
    except WorkerDied as e:  # the system's doing (out of memory, say): what finished is kept
        say(f"error: {e}; the manifest lists what was finished")
        return 1
    if report.distrusted:
        say(f"{args.out / 'manifest.json'} was ignored ({report.distrusted}); rendered anew")
    print(
        f"assets: {len(report.rendered)} rendered, {len(report.fresh)} up to date, "
        f"{len(report.removed)} removed in {report.seconds:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(run_command(PROG, main))
