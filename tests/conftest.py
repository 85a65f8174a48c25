import json
import os
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path

# One torch thread in this process and in every one a test starts (they inherit it), set
# before torch loads. The tensors are tiny: as the asset build's workers know
# (pictures/runs.py), a second thread only spins against the other processes for the same
# cores. The build's own process trains the tuning with one thread too (tuning_stage.py).
# Results are the same bytes either way.
os.environ.setdefault("OMP_NUM_THREADS", "1")

import pytest
import torch  # after OMP_NUM_THREADS: torch reads it as it loads

from sgd_lib import DataSpec, least_squares, make_data


@pytest.fixture(scope="session")
def data():
    return make_data(DataSpec())


@pytest.fixture(scope="session")
def ols(data):
    return least_squares(data.x, data.y)


ROOT = Path(__file__).resolve().parents[1]


def _sigint_at_its_default() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


@pytest.fixture(scope="session")
def ctrl_c_able():
    """preexec_fn for a child that a test will Ctrl-C: SIGINT at its default, as a terminal's
    foreground job has it. Started from `nohup ... &` or a background job, pytest ignores
    SIGINT and its children inherit that: the test's Ctrl-C would never reach them."""
    return _sigint_at_its_default


@pytest.fixture(scope="session")
def assert_as_the_loop():
    """The batched trainer's numbers against the loop's. It takes each batch's gradient from
    the batch's sums in float64, the loop from autograd in float32: they differ by the
    loop's rounding, a few float32 steps of the terms (under 5e-6 here). A run off the rails
    (lr 1, `unstable`) magnifies every difference as it magnifies the run, so there they
    agree to 1e-4 of the run's largest value. A wrong update is off by far more; the batches
    themselves are held to 1e-12 by their sums."""

    def check(batched, loop, unstable: bool = False):
        scale = max(1.0, loop.abs().max().item())
        tol = 1e-4 * scale if unstable else 5e-6
        torch.testing.assert_close(batched, loop, atol=tol, rtol=0 if unstable else 5e-6)

    return check


@pytest.fixture(scope="session")
def cold_assets(tmp_path_factory) -> Path:
    """A cold build of the whole table with two worker processes, once per session."""
    from sgd_lib.site.assets import build
    from sgd_lib.site.manifest import load

    out = tmp_path_factory.mktemp("cold") / "assets"
    report = build(out, jobs=2)
    assert report.fresh == [] and len(report.rendered) == len(load(out)[0]["files"])
    return out


@pytest.fixture(scope="session")
def tuned_manifest(tmp_path_factory) -> dict:
    """A manifest of the site's table with the tuning stage's record and no file, once per
    session. A build into an --out that holds it reuses the record where it would train the
    tuning's grids again (8 s of CPU a build), and renders all else as into an empty one."""
    from sgd_lib.site.assets import build
    from sgd_lib.site.manifest import load

    out = tmp_path_factory.mktemp("tuned") / "assets"
    build(out, jobs=1, only=["data"])
    manifest, problem = load(out)
    assert problem is None, problem
    return {**manifest, "files": [], "runs": {}, "facts": {}}


@pytest.fixture
def tuned_out(tuned_manifest):
    """Make a directory an --out whose tuning is done (tuned_manifest): for the tests whose
    subject is what comes after it (rendering, signals, failures), not the tuning."""
    from sgd_lib.site.outdir import MANIFEST

    def make(out: Path) -> Path:
        out.mkdir(parents=True, exist_ok=True)
        (out / MANIFEST).write_text(json.dumps(tuned_manifest))
        return out

    return make


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory, cold_assets) -> Path:
    """The site, built as `make site` builds it (strict), into a temporary directory."""
    from sgd_lib.site.outdir import FIGURE_NAME, MANIFEST

    # Its figures are the session's cold build: builds are byte-identical (test_assets.py),
    # so these are the bytes the site's own hook would render, and it finds them fresh.
    assets = ROOT / "docs" / "assets"
    assets.mkdir(exist_ok=True)
    for path in cold_assets.iterdir():
        if FIGURE_NAME.fullmatch(path.name) or path.name == MANIFEST:
            shutil.copy2(path, assets / path.name)
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    # --strict fails on MkDocs' warnings; this also catches any a plugin logs after it.
    assert not re.search(r"^WARNING\s+-", done.stderr, re.M), done.stderr[-3000:]
    return out
