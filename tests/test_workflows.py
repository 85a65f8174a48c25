"""The GitHub Actions workflows, checked offline: valid against GitHub's schema, no zizmor
finding at medium severity or above, every action pinned to a commit, every build, test or
deploy step a Makefile target, and the least privilege each job needs."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
BIN = Path(sys.executable).parent
# `uses: owner/repo@<40-hex commit> # vX.Y.Z`
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
PINNED_LINE = re.compile(r"uses:\s*(\S+)\s*#\s*v\d+(\.\d+)*\s*$")
MAKE = re.compile(r"^make [a-z][a-z-]*$")


def load(path: Path) -> dict:
    # YAML reads the key `on` as True; put it back.
    data = yaml.safe_load(path.read_text())
    data["on"] = data.pop(True, data.get("on"))
    return data


def problems(path: Path) -> list[str]:
    """Everything wrong with one workflow, by the rules above."""
    found = []
    text = path.read_text()
    data = load(path)
    if "pull_request_target" in (data["on"] or {}):
        found.append("pull_request_target runs untrusted code with secrets")
    if data.get("permissions") != {"contents": "read"}:
        found.append(f"default permissions must be contents: read, not {data.get('permissions')}")
    for line in text.splitlines():
        if "uses:" in line and not PINNED_LINE.search(line):
            found.append(f"not pinned with its version in a comment: {line.strip()}")
    for name, job in data["jobs"].items():
        granted = job.get("permissions", {})
        if granted and name != "deploy":
            found.append(f"job {name} asks for {granted}; only deploy may")
        for step in job["steps"]:
            uses, run = step.get("uses"), step.get("run")
            if uses and not PINNED.match(uses):
                found.append(f"job {name}: {uses} is not pinned to a full commit SHA")
            keeps_token = (step.get("with") or {}).get("persist-credentials") is not False
            if uses and uses.startswith("actions/checkout@") and keeps_token:
                found.append(f"job {name}: checkout without persist-credentials: false")
            if run is not None:
                for command in filter(None, (c.strip() for c in run.splitlines())):
                    if not MAKE.match(command) or "${{" in command:
                        found.append(f"job {name}: `{command}` does not go through the Makefile")
    return found


def test_there_are_test_and_pages_workflows():
    assert {p.name for p in WORKFLOWS} >= {"test.yml", "pages.yml"}


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_follows_the_rules(path):
    assert problems(path) == []


def test_the_rules_catch_what_they_are_for(tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: [pull_request_target]\n"
        "permissions: write-all\n"
        "jobs:\n  build:\n    runs-on: ubuntu-latest\n    permissions:\n      pages: write\n"
        "    steps:\n      - uses: actions/checkout@v7\n"
        "      - run: pip install -r requirements.lock\n"
        "      - run: make site ${{ github.event.pull_request.title }}\n"
    )
    found = "\n".join(problems(bad))
    for expected in ("pull_request_target", "default permissions", "not pinned with its version",
                     "only deploy may", "full commit SHA", "persist-credentials",
                     "`pip install -r requirements.lock` does not go through the Makefile",
                     "github.event.pull_request.title"):  # fmt: skip
        assert expected in found, expected


def test_pages_deploys_only_from_main_in_its_own_job():
    data = load(ROOT / ".github" / "workflows" / "pages.yml")
    deploy = data["jobs"]["deploy"]
    assert deploy["environment"]["name"] == "github-pages"
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert "refs/heads/main" in deploy["if"] and "pull_request" in deploy["if"]
    assert deploy["needs"] == "build"  # a failing build deploys nothing
    build_uses = [s.get("uses", "") for s in data["jobs"]["build"]["steps"]]
    assert any(u.startswith("actions/cache@") for u in build_uses)
    assert any(u.startswith("actions/upload-pages-artifact@") for u in build_uses)
    assert any(u.startswith("actions/upload-artifact@") for u in build_uses)  # PR preview
    assert "concurrency" in data


def test_workflows_validate_against_githubs_schema():
    command = [str(BIN / "check-jsonschema"), "--builtin-schema", "vendor.github-workflows"]
    done = subprocess.run(command + [str(p) for p in WORKFLOWS], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_zizmor_finds_nothing_at_medium_or_above():
    command = [str(BIN / "zizmor"), "--offline", "--min-severity", "medium", "--no-progress",
               str(ROOT / ".github" / "workflows")]  # fmt: skip
    done = subprocess.run(command, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
