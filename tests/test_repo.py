"""The repository's own promises: lint is clean and the venv is not rebuilt needlessly."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("command", [["check", "."], ["format", "--check", "."]])
def test_ruff_is_clean(command):
    done = subprocess.run(
        [sys.executable, "-m", "ruff", *command], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.skipif(
    Path(sys.prefix).resolve() != (ROOT / ".venv").resolve() or not shutil.which("make"),
    reason="runs only inside the repository's own .venv, as `make test` does",
)
def test_second_make_does_not_reinstall():
    # `make -q` exits 0 only when the target is up to date, i.e. nothing would run.
    done = subprocess.run(["make", "-q", "venv"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, "make would reinstall the venv: " + done.stdout
