"""The asset build, end to end: completeness, the manifest, budgets, determinism, staleness,
interruption, and bad options."""

import dataclasses
import hashlib
import json
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from PIL import Image

from sgd_lib import EXPERIMENTS, Experiment
from sgd_lib.lesson.protocols import PROTOCOLS
from sgd_lib.pictures.render_fit import frame_steps
from sgd_lib.pictures.theme import THEMES
from sgd_lib.site.assets import FACTS, MANIFEST, SANDBOX, build, plan

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_assets.py"
# Size budgets, per file. Measured: fit GIFs 20-375 KB (the rings round each step's batch
# change pixels all over the plot every frame), the linked GIF about 120 KB, the lockstep
# grids 137 KB and 506 KB, PNGs 8-40 KB; the optimizers' races about 210 KB. The whole set
# is about 19.3 MB (12.3 MB before the optimizers' 20 runs and their figures); the budgets
# leave room, and catch a regression that doubles a file.
# The total grew from 24 to 30 MB with the fair races: 26 runs the tuning picks, each with
# its animation in both schemes (the explorer and the races open them), and ten figures.
# Classification added 38 runs, most of them two-panel animations in both schemes, and six
# figures: about 14 MB, measured; the whole set is now about 41 MB.
BUDGET = {"fit": 450_000, "linked": 250_000, "grid": 650_000, "png": 60_000,
          "total": 45_000_000}  # fmt: skip


def files(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir()) if p.is_file()}


def manifest(out: Path) -> dict[str, dict]:
    return {e["name"]: e for e in json.loads((out / MANIFEST).read_text())["files"]}


@pytest.fixture(scope="module")
def cold(cold_assets) -> Path:
    """A cold build of the whole table with two worker processes (conftest.py)."""
    return cold_assets


def test_every_experiment_has_every_figure_in_both_themes(cold):
    names = set(manifest(cold))
    for e in EXPERIMENTS:
        for theme in THEMES:
            for suffix in ("fit-{}.gif", "poster-{}.png", "loss-{}.png"):
                assert f"{e.slug}-{suffix.format(theme.name)}" in names
    for job in plan():
        if job.spec.per_run or not job.files():  # "numbers" computes facts, draws nothing
            continue
        for theme in THEMES:
            assert any(n.startswith(f"{job.figure}-") and n.endswith(f"{theme.name}.png")
                       for n in names), job.figure  # fmt: skip
    facts = json.loads((cold / MANIFEST).read_text())["facts"]
    assert set(facts) == FACTS and all(len(v) > 1 for v in facts.values())
    assert "linked-light.gif" in names and "linked-dark.gif" in names


def test_manifest_matches_the_files_on_disk(cold):
    entries = manifest(cold)
    on_disk = files(cold)
    # the manifest lists the figures; it and the sandbox's export are the build's two others
    assert set(on_disk) == set(entries) | {MANIFEST, SANDBOX}
    exported = json.loads(on_disk[SANDBOX])
    assert exported["runs"].keys() == json.loads(on_disk[MANIFEST])["runs"].keys()
    for name, entry in entries.items():
        payload = on_disk[name]
        assert entry["bytes"] == len(payload)
        assert entry["sha256"] == hashlib.sha256(payload).hexdigest()
        image = Image.open(cold / name)
        assert (entry["width"], entry["height"]) == image.size
        assert entry["frames"] == getattr(image, "n_frames", 1)
        assert entry["theme"] in {t.name for t in THEMES}


def test_gifs_loop_keep_time_and_fit_the_budget(cold):
    entries = manifest(cold)
    for e in EXPERIMENTS:
        for theme in THEMES:
            name = f"{e.slug}-fit-{theme.name}.gif"
            gif = Image.open(cold / name)
            assert gif.info["loop"] == 0, name
            expected = len(frame_steps(entries[name]["frames"] - 1, e.frames))
            assert gif.n_frames == expected <= e.frames, name
            times = []
            for i in range(gif.n_frames):
                gif.seek(i)
                times.append(gif.info["duration"])
            assert set(times[1:-1]) <= {e.frame_ms}, name
            assert entries[name]["bytes"] <= BUDGET["fit"], name
    for name, entry in entries.items():
        kind = ("png" if name.endswith(".png") else "linked" if entry["kind"] == "linked"
                else "grid" if entry["kind"].startswith("grid") else "fit")  # fmt: skip
        assert entry["bytes"] <= BUDGET[kind], name
    assert sum(e["bytes"] for e in entries.values()) <= BUDGET["total"]


def test_full_runs_have_a_frame_per_step_and_long_runs_are_sampled(cold):
    entries = manifest(cold)
    assert entries["gd-lr0.1-fit-light.gif"]["frames"] == 101
    assert entries["lr0.01-bs16-fit-dark.gif"]["frames"] == 101  # 1000 steps, sampled
    assert entries["lr1.0-bs1-fit-light.gif"]["frames"] < 20  # diverged early


# One job of each kind of figure: rendered again in one process, each gives the bytes the
# two-worker build gave. (The whole table in one process takes a minute: `make bench` builds
# it cold both ways.)
ONE_OF_EACH = list(
    {
        (job.spec.per_run and job.figure, job.spec.render): job.slug for job in reversed(plan())
    }.values()
)


def test_jobs_1_gives_the_same_bytes_as_jobs_2(cold, tmp_path):
    again = tmp_path / "assets"
    report = build(again, jobs=1, only=ONE_OF_EACH)
    assert len(ONE_OF_EACH) >= 10 and report.rendered
    made = files(again)
    made.pop(MANIFEST)
    assert made == {name: data for name, data in files(cold).items() if name in made}


def test_a_warm_build_renders_nothing(cold):
    before = files(cold)
    report = build(cold, jobs=2)
    assert report.rendered == [] and report.removed == []
    assert len(report.fresh) == len(manifest(cold))
    assert files(cold) == before


def test_changing_one_experiment_renders_only_its_files(cold, tmp_path):
    out = tmp_path / "assets"
    shutil.copytree(cold, out)
    changed = next(e for e in EXPERIMENTS if e.slug == "lr0.1-bs4")
    table = tuple(dataclasses.replace(e, seeds=100) if e == changed else e for e in EXPERIMENTS)
    report = build(out, table=table, jobs=1, protocols=tuple(PROTOCOLS.values()))
    drawing_it = [j for j in plan(table) if changed.slug in [e.slug for e in j.runs]]
    assert {j.slug for j in drawing_it} == {changed.slug, "compare-bs", "compare-examples",
                                            "grid-bs", "jitter"}  # fmt: skip
    expected = sorted(name for j in drawing_it for name, _, _ in j.files())
    assert report.rendered == expected
    before, after = files(cold), files(out)
    changed_files = sorted(n for n in before if n != MANIFEST and before[n] != after[n])
    assert set(changed_files) <= {*expected, SANDBOX}  # the export holds every run's result
    assert f"{changed.slug}-loss-light.png" in changed_files  # other seeds, another band


def test_a_file_changed_on_disk_is_rendered_again(cold, tmp_path):
    out = tmp_path / "assets"
    shutil.copytree(cold, out)
    (out / "gd-lr0.1-loss-light.png").write_bytes(b"not a png")
    report = build(out, only=["gd-lr0.1"])
    assert "gd-lr0.1-loss-light.png" in report.rendered
    assert files(out) == files(cold)


def test_an_unreadable_manifest_means_render_everything(cold, tmp_path):
    out = tmp_path / "assets"
    shutil.copytree(cold, out)
    (out / MANIFEST).write_text("{ truncated")
    report = build(out, only=["lr0.1-bs1", "guess"])
    assert report.fresh == [] and len(report.rendered) == 12  # nothing is trusted
    assert all(files(out)[name] == files(cold)[name] for name in report.rendered)


def test_figures_no_longer_in_the_table_are_removed(cold, tmp_path):
    out = tmp_path / "assets"
    shutil.copytree(cold, out)
    table = tuple(e for e in EXPERIMENTS if e.slug != "lr0.01-bs64")
    report = build(out, table=table, jobs=1, protocols=tuple(PROTOCOLS.values()))
    assert report.removed == sorted(n for n in manifest(cold) if n.startswith("lr0.01-bs64-"))
    assert not any(n.startswith("lr0.01-bs64-") for n in files(out))


# Figures of several kinds, a few seconds' work: a kill after the first GIFs lands mid-build.
KILLED = ["grid-lr", "gd-lr0.1", "lr0.1-bs16", "lr1.0-bs4", "gd-lr0.1-momentum", "compare-bs",
          "race"]  # fmt: skip


def test_a_killed_build_leaves_only_whole_files_and_resumes(cold, tmp_path):
    out = tmp_path / "assets"
    command = [sys.executable, str(SCRIPT), "--out", str(out), "--only", *KILLED, "--jobs"]
    build_process = subprocess.Popen([*command, "1"], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.gif"))) < 4:
        time.sleep(0.05)
    build_process.send_signal(signal.SIGKILL)
    build_process.wait()
    expected = {name for job in plan() if job.slug in KILLED for name, _, _ in job.files()}
    written = [p for p in out.iterdir() if not p.name.startswith(".")]
    assert written, "the build was killed before it wrote anything"
    assert len([p for p in written if p.name in expected]) < len(expected), "killed too late"
    for path in written:  # whatever a killed build left is whole
        if path.suffix in (".gif", ".png"):
            Image.open(path).load()
    resumed = subprocess.run([*command, "2"], capture_output=True, text=True, check=True)
    assert "up to date" in resumed.stdout and not resumed.stdout.startswith("assets: 0 up")
    assert not [p for p in out.iterdir() if p.name.startswith(".")]  # no temporary files left
    entries = manifest(out)
    assert set(entries) == expected
    for name, entry in entries.items():  # the bytes an uninterrupted build makes
        assert hashlib.sha256((out / name).read_bytes()).hexdigest() == entry["sha256"]
        assert (out / name).read_bytes() == (cold / name).read_bytes(), name


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--jobs", "0"], "--jobs must be a whole number of at least 1"),
        (["--jobs", "two"], "--jobs must be a whole number of at least 1"),
        (["--only", "lr0.5-bs3"], "--only: each SLUG must be one of gd-lr0.1"),
        # A run the tuning never picks: refused against its picks, before anything is made.
        (["--only", "data", "gd-lr9.0-tuned"], "got 'gd-lr9.0-tuned'"),
        (["--workers", "2"], "unrecognized arguments: --workers 2 (allowed:"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(tmp_path, args, says):
    out = tmp_path / "new" / "assets"
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out), *args],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert not (tmp_path / "new").exists()


@pytest.mark.parametrize(
    ("out", "says"),
    [
        ("a-file", "is a file"),
        ("a-file/assets", "which is a file"),
        ("/proc/sgd-assets", "cannot create it or write there"),
    ],
)
def test_an_output_path_that_cannot_be_a_directory_exits_2(tmp_path, out, says):
    (tmp_path / "a-file").write_text("keep me")
    target = out if out.startswith("/") else str(tmp_path / out)
    done = subprocess.run([sys.executable, str(SCRIPT), "--out", target],
                          capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and says in done.stderr, done.stderr
    assert (tmp_path / "a-file").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_the_table_can_be_extended_without_touching_the_build(tmp_path):
    extra = Experiment(0.05, 8)
    table = (*EXPERIMENTS[:2], extra)
    out = tmp_path / "assets"
    build(out, table=table, only=[extra.slug])
    assert sorted(manifest(out)) == sorted(n for n, _, _ in plan(table)[2].files())
