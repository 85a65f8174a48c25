import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from sgd_lib import DataSpec, least_squares, make_data


@pytest.fixture(scope="session")
def data():
    return make_data(DataSpec())


@pytest.fixture(scope="session")
def ols(data):
    return least_squares(data.x, data.y)


ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="session")
def site_dir(tmp_path_factory) -> Path:
    """The site, built as `make site` builds it (strict), into a temporary directory."""
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    # --strict fails on MkDocs' warnings; this also catches any a plugin logs after it.
    assert not re.search(r"^WARNING\s+-", done.stderr, re.M), done.stderr[-3000:]
    return out
