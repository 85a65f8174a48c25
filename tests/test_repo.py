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


# The library's three parts, in the order the work flows: a module may import from its own
# part and the ones before it, never from a later one. checks.py serves them all.
PARTS = {"lesson": 0, "pictures": 1, "site": 2}


def sgd_imports(path: Path) -> set[str]:
    """The sgd_lib modules a file imports, anywhere in it (at the top or inside a function)."""
    import ast

    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("sgd_lib"):
            names = [f"{node.module}.{a.name}" for a in node.names]
            found |= {n for n in names if (ROOT / (n.replace(".", "/") + ".py")).exists()}
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("sgd_lib")}
    return {m for m in found if (ROOT / (m.replace(".", "/") + ".py")).exists()}


def test_the_layout_flows_one_way_and_has_no_import_cycle():
    modules = {
        ".".join(p.relative_to(ROOT).with_suffix("").parts): p
        for p in (ROOT / "sgd_lib").rglob("*.py")
    }
    graph = {name: sgd_imports(path) - {name} for name, path in modules.items()}
    for name, imported in graph.items():
        part = name.split(".")[1]
        for other in imported:
            other_part = other.split(".")[1]
            if part in PARTS and other_part in PARTS:
                assert PARTS[other_part] <= PARTS[part], f"{name} imports {other}"
            if part in PARTS:
                assert other_part in PARTS or other == "sgd_lib.checks", f"{name} imports {other}"
    assert all(m.split(".")[1] in PARTS for m in graph if m.count(".") == 2)
    # No cycle, at any depth: the graph can be put in order.
    done, visiting = set(), []

    def visit(name):
        assert name not in visiting, f"import cycle: {' -> '.join([*visiting, name])}"
        if name in done:
            return
        visiting.append(name)
        for other in graph.get(name, ()):
            visit(other)
        visiting.pop()
        done.add(name)

    for name in graph:
        visit(name)
