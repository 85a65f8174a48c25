"""The repository's own promises: lint is clean and the venv is not rebuilt needlessly."""

import os
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


FAKE_MKDOCS = """#!/bin/sh
# mkdocs build ... --site-dir DIR: writes DIR/index.html, or fails half-way if told to.
while [ $# -gt 0 ]; do [ "$1" = --site-dir ] && dir=$2; shift; done
mkdir -p "$dir" && echo "$VERSION" > "$dir/index.html"
[ -z "$FAIL" ] || exit 1
"""


@pytest.mark.skipif(not shutil.which("make"), reason="needs make")
def test_make_site_replaces_site_only_when_the_build_succeeds(tmp_path):
    for name in ("Makefile", "requirements.lock", "pyproject.toml"):
        shutil.copy2(ROOT / name, tmp_path / name)
    mkdocs = tmp_path / ".venv" / "bin" / "mkdocs"
    mkdocs.parent.mkdir(parents=True)
    mkdocs.write_text(FAKE_MKDOCS)
    mkdocs.chmod(0o755)
    (tmp_path / ".venv" / ".installed").touch()  # the venv is up to date: nothing installs

    def make_site(version: str, fail: bool = False) -> int:
        env = {**os.environ, "VERSION": version, "FAIL": "1" if fail else ""}
        return subprocess.run(["make", "-s", "site"], cwd=tmp_path, env=env,
                              capture_output=True).returncode  # fmt: skip

    assert make_site("one") == 0
    assert (tmp_path / "site" / "index.html").read_text() == "one\n"
    assert make_site("broken", fail=True) != 0
    assert (tmp_path / "site" / "index.html").read_text() == "one\n"  # still there to serve
    assert make_site("two") == 0
    assert (tmp_path / "site" / "index.html").read_text() == "two\n"
    assert sorted(p.name for p in (tmp_path / "build").iterdir()) == []  # nothing left over
