import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from sgd_lib import DataSpec, least_squares, make_data


@pytest.fixture(scope="session")
def data():
    return make_data(DataSpec())


@pytest.fixture(scope="session")
def ols(data):
    return least_squares(data.x, data.y)


ROOT = Path(__file__).resolve().parents[1]


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
