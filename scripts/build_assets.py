"""Build every figure of the experiments table into DIR (default docs/assets) with a manifest.

    python scripts/build_assets.py [--out DIR] [--jobs N] [--force] [--only SLUG ...]

Only stale files are rendered. Exit status 0 on success, 2 on bad input (one line on stderr,
nothing written).
"""

import argparse
import os
import sys
from pathlib import Path

from sgd_lib.assets import build, plan, select
from sgd_lib.checks import Parser, SettingError

ROOT = Path(__file__).resolve().parents[1]


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(prog="build_assets.py", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "assets", help="output dir")
    parser.add_argument("--jobs", default=str(os.cpu_count() or 1), help="worker processes")
    parser.add_argument("--force", action="store_true", help="render everything again")
    parser.add_argument("--only", nargs="+", metavar="SLUG", help="only these figures")
    args, extra = parser.parse_known_args(argv)
    parser.reject(extra)
    if not args.jobs.isdigit() or int(args.jobs) < 1:
        parser.error(f"--jobs must be a whole number of at least 1, got {args.jobs!r}")
    args.jobs = int(args.jobs)
    try:
        select(plan(), args.only)
    except SettingError as e:
        parser.error(f"--only: each SLUG must be {e.allowed}, got {e.value!r}")
    problem = unwritable(args.out)
    if problem:
        parser.error(f"--out {str(args.out)!r}: {problem}")
    return args


def unwritable(out: Path) -> str | None:
    """Why `out` cannot be the output directory, or None; creates nothing."""
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
        probe = out / f".write-test-{os.getpid()}"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as e:
        for path in made:  # innermost first: leave no trace
            if path.is_dir():
                path.rmdir()
        return f"cannot create it or write there: {e.strerror or e}"
    return None


def progress_bar(done: int, total: int, slug: str) -> None:
    width = 30
    filled = width * done // total
    line = f"\r  [{'#' * filled}{'.' * (width - filled)}] {done}/{total} {slug:<20}"
    sys.stderr.write(line + ("\n" if done == total else ""))
    sys.stderr.flush()


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    problem = make_dir(args.out)
    if problem:
        print(f"build_assets.py: error: --out {str(args.out)!r}: {problem}", file=sys.stderr)
        return 2
    report = build(
        args.out,
        jobs=args.jobs,
        force=args.force,
        only=args.only,
        progress=progress_bar if sys.stderr.isatty() else None,
    )
    print(
        f"assets: {len(report.rendered)} rendered, {len(report.fresh)} up to date, "
        f"{len(report.removed)} removed in {report.seconds:.1f} s -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
