"""What decides whether a file of the asset build is fresh: the code and library versions
that render it, the last manifest's records, and which names are the build's own."""

import hashlib
import re
import sys
from importlib import metadata
from pathlib import Path

from sgd_lib.lesson.experiments import SLUG, DataSpec
from sgd_lib.pictures.figures import FIGURES, Job
from sgd_lib.site.manifest import parse
from sgd_lib.site.outdir import MANIFEST, OutDir

LIBRARIES = ("torch", "numpy", "matplotlib", "pillow")  # what trains, draws and encodes
PACKAGE = Path(__file__).parents[1]
# Modules that cannot change a figure's bytes: the table's settings enter each key as values,
# so editing one experiment re-renders only what draws it.
NOT_RENDERING = {"lesson/experiments.py", "lesson/selections.py", "lesson/specs.py",
                 "cli.py", "__main__.py", "site/pages.py",
                 "site/page_data.py", "site/page_figures.py", "site/page_views.py",
                 "site/outdir.py", "site/manifest.py", "site/workers.py",
                 "site/sandbox_export.py"}  # fmt: skip
# Figures that also compute named numbers for the pages ({{ fact FIGURE NAME }}).
FACTS = {name for name, f in FIGURES.items() if f.facts}


# The names of an experiment's files, for any slug Experiment.slug can make.
RUN_FILE = re.compile(
    "|".join(
        re.escape(name).replace("SLUG", f"(?:{SLUG.pattern})")
        for f in FIGURES.values()
        if f.per_run
        for name, _, _ in Job(f.name, "SLUG", (), DataSpec()).files()
    ),
    re.ASCII,
)


def code_version(skip: frozenset[str] | set[str] = NOT_RENDERING) -> str:
    """A hash of the library's code (but the modules in `skip`) and the versions of the
    libraries it leans on; by default, of everything that decides a figure's bytes."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name not in skip and not path.name.startswith("."):  # editors' lock files
            digest.update(name.encode() + b"\0" + path.read_bytes())
    for name in LIBRARIES:
        digest.update(f"{name}=={metadata.version(name)}\n".encode())
    digest.update(f"python {sys.version_info[:2]}".encode())
    return digest.hexdigest()


def read_manifest(out: OutDir) -> tuple[dict, dict, dict, dict, str | None]:
    """The files the last build vouched for, by name, its runs' results, by slug, its facts,
    by figure, and its tuning record, by protocol; all empty, with the reason, if there is no
    manifest this build would have written."""
    if not out.exists(MANIFEST):
        return {}, {}, {}, {}, None
    manifest, problem = parse(out.read(MANIFEST))
    if manifest is None:
        return {}, {}, {}, {}, problem
    files = {f["name"]: f for f in manifest["files"]}
    return files, manifest["runs"], manifest["facts"], manifest["tuning"], None


def is_fresh(job: Job, key: str, disk: OutDir, known: dict[str, dict], runs: dict,
             facts: dict) -> bool:  # fmt: skip
    if job.spec.per_run and runs.get(job.slug, {}).get("key") != key:
        return False
    if job.figure in FACTS and facts.get(job.slug, {}).get("key") != key:
        return False
    for name, _, _ in job.files():
        entry = known.get(name)
        if entry is None or entry["key"] != key or disk.sha(name) != entry["sha256"]:
            return False
    return True


def was_run_file(name: str) -> bool:
    """Whether `name` is a file the build makes for some experiment (of any table)."""
    return RUN_FILE.fullmatch(name) is not None
