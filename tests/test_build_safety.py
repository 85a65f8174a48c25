"""The asset build against hostile input and interruption: it touches only files of its own
inside --out, believes no manifest it would not have written, stops cleanly on a signal, lets
no worker outlive it, builds one at a time, and says in one line what the system refused."""

import errno
import hashlib
import importlib.util
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sgd_lib.lesson.experiments import Experiment, make_table
from sgd_lib.lesson.training import summary
from sgd_lib.pictures.theme import THEMES
from sgd_lib.site import outdir
from sgd_lib.site.assets import build, plan
from sgd_lib.site.manifest import FILE_FIELDS, RUN_FIELDS, load
from sgd_lib.site.outdir import MANIFEST, SANDBOX, TMP_NAME, OutDir

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "scripts" / "build_assets.py"
# A table of two short runs: every kind of figure, rendered in a few seconds.
SMALL = make_table(Experiment(0.1, None, steps=10), Experiment(0.1, 16, steps=10))
NAMES = sorted(name for job in plan(SMALL) for name, _, _ in job.files())
EVERY = sum(len(job.files()) for job in plan())  # files of the whole table


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(out: Path) -> dict[str, str]:
    return {p.name: sha(p) for p in sorted(out.iterdir()) if p.is_file() and not p.is_symlink()}


def assert_vouched(out: Path) -> dict:
    """The manifest is the build's own, and vouches for exactly the figures on disk."""
    manifest, problem = load(out)
    assert problem is None, problem
    on_disk = {p.name for p in out.iterdir() if outdir.FIGURE_NAME.fullmatch(p.name)}
    listed = {f["name"]: f for f in manifest["files"]}
    assert set(listed) == on_disk
    for name, entry in listed.items():
        assert sha(out / name) == entry["sha256"], name
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    return manifest


RENDERED: dict[tuple[str, str], tuple] = {}  # (slug, key) -> what render_job returned


@pytest.fixture(scope="module")
def small(tmp_path_factory) -> Path:
    """A whole build of SMALL; what each of its jobs rendered is kept in RENDERED."""
    from sgd_lib.site import assets

    out = tmp_path_factory.mktemp("small") / "assets"
    render = assets.render_job

    def recorded(task):
        RENDERED[task[0].slug, task[1]] = result = render(task)
        return result

    assets.render_job = recorded
    try:
        build(out, table=SMALL)
    finally:
        assets.render_job = render
    return out


@pytest.fixture
def replay(small, monkeypatch) -> None:
    """Builds in this process render a job of SMALL as `small` did, from RENDERED: rendering
    gives the same bytes every time (test_assets.py), and it is not what these tests test."""
    from sgd_lib.site import assets

    render = assets.render_job
    monkeypatch.setattr(assets, "render_job", lambda task: RENDERED.get(
        (task[0].slug, task[1])) or render(task))  # fmt: skip


@pytest.fixture
def assets(small, replay, tmp_path) -> Path:
    """A copy of a whole small build, with a canary file beside it and one in /tmp."""
    out = tmp_path / "assets"
    shutil.copytree(small, out)
    (tmp_path / "canary.txt").write_text("keep me")
    return out


def add_entries(out: Path, names: list[str], sha256: str | None = None) -> None:
    manifest = json.loads((out / MANIFEST).read_text())
    template = manifest["files"][0]
    for name in names:
        manifest["files"].append({**template, "name": name, "sha256": sha256 or "0" * 64})
    (out / MANIFEST).write_text(json.dumps(manifest))


# ---- names in a manifest are data ---------------------------------------------------


def test_the_schema_knows_every_field_the_build_writes(small, data):
    manifest = json.loads((small / MANIFEST).read_text())
    assert all(entry.keys() == FILE_FIELDS.keys() for entry in manifest["files"])
    from sgd_lib.lesson.studies import statistics, train_many
    from sgd_lib.lesson.training import train

    run = summary(train(data, SMALL[1]), data) | statistics(train_many(data, SMALL[1]))
    assert {**run, "key": "0" * 64}.keys() == RUN_FIELDS.keys()
    assert all(run.keys() <= r.keys() for r in manifest["runs"].values())
    assert all(set(f) > {"key"} for f in manifest["facts"].values())


@pytest.mark.parametrize(
    "name", ["../canary.txt", "ABSOLUTE", "sub/x-light.png", "..", "a\0b-light.png"]
)
def test_a_manifest_naming_paths_outside_is_ignored_and_nothing_is_touched(assets, name):
    outside = Path("/tmp") / f"canary-{os.getpid()}.txt"
    outside.write_text("keep me")
    try:
        (assets / "sub").mkdir()
        (assets / "sub" / "x-light.png").write_text("keep me")
        add_entries(assets, [str(outside) if name == "ABSOLUTE" else name])
        report = build(assets, table=SMALL)
        assert "bad 'name'" in report.distrusted
        assert outside.read_text() == "keep me"
        assert (assets.parent / "canary.txt").read_text() == "keep me"
        assert (assets / "sub" / "x-light.png").read_text() == "keep me"
        assert report.removed == [] and report.rendered == NAMES  # nothing was believed
        assert_vouched(assets)
    finally:
        outside.unlink()


def test_pruning_deletes_only_regular_files_of_ours_with_the_bytes_it_wrote(assets):
    canary = assets.parent / "canary.txt"
    kept = {  # names of files an experiment of another table would have
        "lr0.5-bs3-fit-light.gif": lambda p: p.symlink_to(canary),  # a link out of --out
        "lr0.5-bs3-fit-dark.gif": lambda p: p.mkdir(),  # a directory
        "lr0.5-bs3-loss-light.png": lambda p: p.write_text("changed since"),  # not its bytes
        "lr0.5-bs3-poster-dark.png": lambda p: os.link(canary, p),  # the outside file itself
    }
    for name, make in kept.items():
        make(assets / name)
    (assets / "logo-light.png").write_text("the site's own")  # not a name the build makes
    (assets / "lr0.5-bs3-loss-dark.png").write_text("what the build wrote")  # the control
    add_entries(assets, list(kept), sha256=sha(canary))
    add_entries(assets, ["logo-light.png"], sha256=sha(assets / "logo-light.png"))
    add_entries(assets, ["lr0.5-bs3-loss-dark.png"], sha256=sha(assets / "lr0.5-bs3-loss-dark.png"))

    report = build(assets, table=SMALL)
    assert report.distrusted is None and report.rendered == []
    # A hard link to the outside file has our name and its bytes: unlinking it is the one
    # deletion here that is not the control, and the file outside keeps its bytes.
    assert report.removed == ["lr0.5-bs3-loss-dark.png", "lr0.5-bs3-poster-dark.png"]
    assert not (assets / "lr0.5-bs3-loss-dark.png").exists()
    assert canary.read_text() == "keep me" and (assets / "lr0.5-bs3-fit-light.gif").is_symlink()
    assert (assets / "lr0.5-bs3-fit-dark.gif").is_dir()
    assert (assets / "lr0.5-bs3-loss-light.png").read_text() == "changed since"
    assert (assets / "logo-light.png").read_text() == "the site's own"
    manifest = json.loads((assets / MANIFEST).read_text())
    assert sorted(f["name"] for f in manifest["files"]) == NAMES  # and forgets the rest


def test_an_only_build_keeps_a_stale_entry_for_the_full_build_to_prune(assets):
    old = assets / "lr0.5-bs3-loss-dark.png"
    old.write_text("what the build wrote")
    add_entries(assets, [old.name], sha256=sha(old))
    build(assets, table=SMALL, only=["data"])
    assert old.exists()
    assert build(assets, table=SMALL).removed == [old.name]


def test_only_the_builds_own_leftover_temporary_files_are_removed(assets):
    canary = assets.parent / "canary.txt"
    leftover = assets / ".data-light.png.123-0123abcd.tmp"
    leftover.write_bytes(b"half a png")
    link = assets / ".data-dark.png.123-0123abcd.tmp"
    link.symlink_to(canary)
    (assets / ".guess-dark.png.9-0123abcd.tmp").mkdir()
    (assets / ".notes.txt.1-0123abcd.tmp").write_text("not ours")
    build(assets, table=SMALL)
    assert not leftover.exists()
    assert link.is_symlink() and canary.read_text() == "keep me"
    assert (assets / ".guess-dark.png.9-0123abcd.tmp").is_dir()
    assert (assets / ".notes.txt.1-0123abcd.tmp").read_text() == "not ours"


# ---- a bad manifest is no manifest -------------------------------------------------


def runs_value_of_wrong_shape(text: str) -> str:
    manifest = json.loads(text)
    manifest["runs"]["gd-lr0.1"] = 5
    return json.dumps(manifest)


CORRUPT = {
    "a run that is a number": runs_value_of_wrong_shape,
    "arrays nested deeply": lambda text: "[" * 100_000 + "]" * 100_000,
    "NaN": lambda text: text.replace('"loss":', '"loss":NaN,"x":', 1),
    "a list": lambda text: "[]",
    "truncated": lambda text: text[: len(text) // 2],
    "not UTF-8": lambda text: "\udcff",
    "a file entry without its hash": lambda text: text.replace('"sha256"', '"sha"', 1),
    "a name listed twice": lambda text: text.replace('"compare-bs-light.png"', '"data-light.png"'),
    "a number no float holds": lambda text: re.sub(
        r'"loss":[^,]+', '"loss":1' + "0" * 400, text, count=1
    ),
    "an int of 5000 digits": lambda text: text.replace('"width":', '"width":1' + "0" * 5000, 1),
}


@pytest.mark.parametrize("corrupt", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_manifest_that_is_not_the_builds_own_is_no_manifest(assets, corrupt):
    broken = corrupt((assets / MANIFEST).read_text())
    (assets / MANIFEST).write_bytes(broken.encode(errors="surrogateescape"))
    report = build(assets, table=SMALL)
    assert report.distrusted and report.rendered == NAMES
    assert_vouched(assets)
    again = build(assets, table=SMALL)  # and the next build is warm again
    assert again.distrusted is None and again.rendered == []


@pytest.mark.parametrize("kind", ["fifo", "symlink"])
def test_a_manifest_that_is_not_a_regular_file_is_not_read(assets, kind):
    target = assets / MANIFEST
    target.unlink()
    if kind == "fifo":
        os.mkfifo(target)  # reading it would block forever
    else:
        target.symlink_to(assets.parent / "canary.txt")
    report = build(assets, table=SMALL)
    assert "not a regular file" in report.distrusted and report.rendered == NAMES
    assert (assets.parent / "canary.txt").read_text() == "keep me"
    assert_vouched(assets)


def test_the_script_says_in_one_line_that_it_ignored_the_manifest(tmp_path):
    out = tmp_path / "assets"
    out.mkdir()
    (out / MANIFEST).write_text('{"files": [], "runs": {"gd-lr0.1": 5}}')
    done = run_script("--out", str(out), "--only", "data", "--jobs", "1")
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("\n") == 1 and "was ignored (the top level is" in done.stderr


# ---- the script: processes, signals, locks ------------------------------------------


def run_script(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True,
                          **kwargs)  # fmt: skip


def children(pid: int) -> set[int]:
    """The processes `pid` started, and theirs."""
    found = set()
    try:
        for task in os.listdir(f"/proc/{pid}/task"):
            for child in Path(f"/proc/{pid}/task/{task}/children").read_text().split():
                found |= {int(child)} | children(int(child))
    except FileNotFoundError:
        pass
    return found


def alive(pid: int) -> bool:
    """Running: not gone, and not a zombie waiting for a parent that will never reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def start_build(out: Path, preexec_fn: Callable | None = None) -> tuple[subprocess.Popen, set[int]]:
    """A two-worker build of the whole table, in its own process group as a terminal starts
    it, once both workers are rendering."""
    command = [sys.executable, str(SCRIPT), "--out", str(out), "--jobs", "2"]
    build_process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True,
                                     preexec_fn=preexec_fn)  # fmt: skip
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(list(out.glob("*.gif"))) < 2:
        time.sleep(0.05)
    workers = children(build_process.pid)
    assert len(workers) >= 2, "the build did not start its workers"
    return build_process, workers


def wait_until_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.05)
    return {p for p in pids if alive(p)}


@pytest.fixture
def cleanup():
    """Processes a test started, killed by id whatever the test's outcome."""
    pids: set[int] = set()
    yield pids
    for pid in pids:
        if alive(pid):
            os.kill(pid, signal.SIGKILL)


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize(
    ("how", "status"),
    [("Ctrl-C", 130), ("Ctrl-C x3", 130), ("SIGTERM", 143), ("SIGKILL", -signal.SIGKILL)],
)
def test_a_signalled_build_stops_at_once_and_no_worker_outlives_it(
    tmp_path, cleanup, ctrl_c_able, how, status
):
    out = tmp_path / "assets"
    build_process, workers = start_build(out, preexec_fn=ctrl_c_able)
    cleanup |= workers | {build_process.pid}
    if how.startswith("Ctrl-C"):  # a terminal signals the whole foreground group: workers too
        for _ in range(3 if how.endswith("x3") else 1):  # an impatient reader presses again
            os.killpg(build_process.pid, signal.SIGINT)
            time.sleep(0.01)
    else:  # what `timeout`, a CI cancel or `kill -9` does: the build's process only
        build_process.send_signal(getattr(signal, how))
    try:
        _, stderr = build_process.communicate(timeout=5)  # the rest takes ~10 s more
    except subprocess.TimeoutExpired:
        pytest.fail("the build went on rendering after the signal")
    assert build_process.returncode == status
    assert wait_until_gone(workers, 5) == set(), "workers outlived the build"
    if how == "SIGKILL":  # no last word: what the manifest lists is still whole and true
        manifest, _ = load(out)
        for entry in manifest["files"] if manifest else []:
            assert sha(out / entry["name"]) == entry["sha256"]
        return
    name = "SIGINT" if how.startswith("Ctrl-C") else how
    assert stderr == f"build_assets.py: interrupted ({name})\n"  # and no worker's traceback
    assert 0 < len(assert_vouched(out)["files"]) < EVERY / 2


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads processes from /proc")
@pytest.mark.parametrize("signum", [signal.SIGKILL, signal.SIGTERM], ids=["SIGKILL", "SIGTERM"])
def test_workers_die_with_their_parent_even_in_the_middle_of_a_task(cleanup, signum):
    # Tasks of a minute each: a worker that outlives its parent is still there to be seen.
    code = "import time\nfrom sgd_lib.site.workers import run_parallel\n" \
        "list(run_parallel(time.sleep, [60, 60], 2))"  # fmt: skip
    parent = subprocess.Popen([sys.executable, "-c", code])
    cleanup.add(parent.pid)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(children(parent.pid)) < 3:
        time.sleep(0.05)  # the resource tracker and two workers
    time.sleep(1)  # and the workers are asleep in their tasks
    workers = children(parent.pid)
    cleanup |= workers
    parent.send_signal(signum)
    parent.wait()
    assert wait_until_gone(workers, 2) == set(), "workers outlived their parent"


@pytest.mark.parametrize("after", [0.5, 1.2])
def test_ctrl_c_while_a_one_process_build_loads_torch_is_one_line(
    tmp_path, cleanup, ctrl_c_able, after
):
    command = [sys.executable, str(SCRIPT), "--out", str(tmp_path / "a"), "--jobs", "1",
               "--only", "data", "--force"]  # fmt: skip
    run = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=ctrl_c_able)  # fmt: skip
    cleanup.add(run.pid)
    time.sleep(after)
    run.send_signal(signal.SIGINT)
    _, stderr = run.communicate(timeout=30)
    assert (run.returncode, stderr) == (130, "build_assets.py: interrupted (SIGINT)\n")
    if (tmp_path / "a" / MANIFEST).exists():  # else it stopped before it wrote anything
        assert_vouched(tmp_path / "a")
    else:
        assert not list((tmp_path / "a").iterdir())


def test_a_second_build_waits_for_the_first_or_refuses_at_once(tmp_path, cleanup):
    out = tmp_path / "assets"
    out.mkdir()
    with OutDir.locked(out):  # what a running build holds
        refused = run_script("--out", str(out), "--only", "data", "--no-wait")
        assert refused.returncode == 1 and refused.stdout == ""
        assert refused.stderr == f"build_assets.py: error: another build is writing to {out}; " \
            "without --no-wait, this waits\n"  # fmt: skip
        waiting = subprocess.Popen(
            [sys.executable, str(SCRIPT), "--out", str(out), "--only", "data"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        cleanup.add(waiting.pid)
        line = waiting.stderr.readline()
        assert line == f"build_assets.py: waiting for another build writing to {out}\n"
        time.sleep(0.5)
        assert waiting.poll() is None and list(out.iterdir()) == []  # it wrote nothing
    stdout, stderr = waiting.communicate(timeout=120)
    assert waiting.returncode == 0 and stderr == "", stderr
    assert "2 rendered" in stdout
    assert_vouched(out)


def test_two_overlapping_builds_both_finish_and_agree(tmp_path, tuned_out):
    out = tuned_out(tmp_path / "assets")
    args = ("--out", str(out), "--jobs", "1", "--only", "data", "guess", "gd-lr0.1")
    results = []
    threads = [threading.Thread(target=lambda: results.append(run_script(*args)))
               for _ in range(2)]  # fmt: skip
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [r.returncode for r in results] == [0, 0], [r.stderr for r in results]
    assert sorted(r.stdout.split(",")[0] for r in results) == ["assets: 0 rendered",
                                                              "assets: 14 rendered"]  # fmt: skip
    assert_vouched(out)


# ---- what the system refuses: one line, status 1, nothing half-written -------------


def load_script():
    spec = importlib.util.spec_from_file_location("build_assets_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def inject(monkeypatch, err: int, stage: str, manifest_after: int | None = None,
           everything: bool = False) -> None:  # fmt: skip
    """Make the system refuse, with `err` at `stage`, every write of a figure; or with
    `manifest_after`, every write of the manifest after that many; or with `everything`,
    every write at all (a disk that stays full)."""
    manifests = []

    def refused(name: str) -> bool:
        tmp = TMP_NAME.fullmatch(Path(name).name)
        if not tmp:
            return False
        if everything:
            return True
        if tmp["name"] != MANIFEST:
            return manifest_after is None
        manifests.append(name)
        return manifest_after is not None and len(manifests) > manifest_after

    def failure(name):
        return OSError(err, os.strerror(err), name)

    real_open, real_replace, real_fdopen = os.open, os.replace, os.fdopen

    def fake_open(path, flags, *args, **kwargs):
        if flags & os.O_CREAT and stage == "open" and refused(path):
            raise failure(path)
        return real_open(path, flags, *args, **kwargs)

    def fake_replace(src, dst, **kwargs):
        if stage == "replace" and refused(src):
            raise failure(src)
        return real_replace(src, dst, **kwargs)

    class Full:  # the disk fills while the bytes are written
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, payload):
            self.f.write(payload[: len(payload) // 2])
            raise OSError(err, os.strerror(err))

    def fake_fdopen(fd, mode="r", *args, **kwargs):
        f = real_fdopen(fd, mode, *args, **kwargs)
        name = os.readlink(f"/proc/self/fd/{fd}")
        return Full(f) if "w" in mode and stage == "write" and refused(name) else f

    monkeypatch.setattr(os, "open", fake_open)
    monkeypatch.setattr(os, "replace", fake_replace)
    monkeypatch.setattr(os, "fdopen", fake_fdopen)


def give_the_tuning(out: Path, tuned_manifest: dict) -> None:
    """Put the site's tuning record in `out`'s manifest (of SMALL, which has none), so that a
    build of the site's table there reuses it rather than training it again (8 s)."""
    manifest = json.loads((out / MANIFEST).read_text())
    (out / MANIFEST).write_text(json.dumps({**manifest, "tuning": tuned_manifest["tuning"]}))


def run_in_process(args: list[str]) -> int:
    script = load_script()
    return script.run_command("build_assets.py", lambda: script.main(args))


@pytest.mark.parametrize(
    ("err", "stage"),
    [
        (errno.ENOSPC, "write"),
        (errno.ENAMETOOLONG, "open"),
        (errno.EISDIR, "replace"),
        (errno.EACCES, "replace"),
        (errno.EACCES, "open"),
    ],
)
def test_a_write_the_system_refuses_is_one_line_and_leaves_no_trace(
    small, tuned_manifest, tmp_path, monkeypatch, capsys, err, stage
):
    out = tmp_path / "assets"
    shutil.copytree(small, out)
    give_the_tuning(out, tuned_manifest)
    (out / "data-light.png").write_bytes(b"stale")  # so the build has to write the job
    before = snapshot(out)
    load_script()  # before the system starts refusing
    inject(monkeypatch, err, stage)
    status = run_in_process(["--out", str(out), "--only", "data", "--jobs", "1"])
    monkeypatch.undo()
    _, stderr = capsys.readouterr()
    assert status == 1
    first = out / f"data-{THEMES[0].name}.png"  # the first file the job writes
    assert stderr == f"build_assets.py: error: {first}: {os.strerror(err)}\n"
    after = snapshot(out)
    assert after.keys() == before.keys()  # no temporary file; nothing else changed
    assert {n: h for n, h in after.items() if n != MANIFEST} == {
        n: h for n, h in before.items() if n != MANIFEST
    }
    manifest = json.loads((out / MANIFEST).read_text())
    assert "data-light.png" not in {f["name"] for f in manifest["files"]}  # not vouched for
    assert len(manifest["files"]) == len(NAMES) - 1


@pytest.mark.parametrize("stage", ["open", "write", "replace"])
def test_a_manifest_that_cannot_be_written_never_vouches_for_replaced_bytes(
    small, tuned_manifest, tmp_path, monkeypatch, capsys, stage
):
    out = tmp_path / "assets"
    shutil.copytree(small, out)
    give_the_tuning(out, tuned_manifest)
    load_script()
    # The first manifest write (which stops vouching for the files about to be replaced)
    # goes through; every later one meets a full disk.
    inject(monkeypatch, errno.ENOSPC, stage, manifest_after=1)
    status = run_in_process(["--out", str(out), "--only", "data", "--jobs", "1", "--force"])
    monkeypatch.undo()
    _, stderr = capsys.readouterr()
    assert status == 1 and stderr == f"build_assets.py: error: {out / MANIFEST}: " \
        f"{os.strerror(errno.ENOSPC)}\n"  # fmt: skip
    manifest = json.loads((out / MANIFEST).read_text())
    for entry in manifest["files"]:  # what it lists, it still vouches for truly
        assert sha(out / entry["name"]) == entry["sha256"], entry["name"]
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


def test_a_disk_that_stays_full_is_told_by_its_first_refusal(tmp_path, monkeypatch, capsys):
    out = tmp_path / "assets"
    load_script()
    inject(monkeypatch, errno.ENOSPC, "write", everything=True)
    status = run_in_process(["--out", str(out), "--only", "data", "--jobs", "1"])
    monkeypatch.undo()
    _, stderr = capsys.readouterr()
    # A cold build's first write is a figure's: the manifest, refused on the way out too,
    # does not hide that failure behind its own.
    first = out / f"data-{THEMES[0].name}.png"
    assert status == 1 and stderr == f"build_assets.py: error: {first}: " \
        f"{os.strerror(errno.ENOSPC)}\n"  # fmt: skip
    assert list(out.iterdir()) == []  # nothing half-written, no temporary file


def test_writes_go_to_the_locked_directory_even_if_its_name_is_swapped(tmp_path):
    out, moved, elsewhere = tmp_path / "assets", tmp_path / "moved", tmp_path / "elsewhere"
    elsewhere.mkdir()

    def swap(done: int, total: int, slug: str) -> None:
        if done == 1:  # after the first job: --out now leads somewhere else
            out.rename(moved)
            out.symlink_to(elsewhere)

    build(out, table=SMALL, progress=swap)
    assert list(elsewhere.iterdir()) == []
    assert sorted(snapshot(moved)) == sorted([*NAMES, MANIFEST, SANDBOX])
    assert_vouched(moved)


def test_a_worker_that_dies_is_one_line_and_what_finished_is_kept(tmp_path, cleanup, tuned_out):
    out = tuned_out(tmp_path / "assets")
    build_process, workers = start_build(out)
    cleanup |= workers | {build_process.pid}
    worker = next(p for p in workers if b"spawn_main" in Path(f"/proc/{p}/cmdline").read_bytes())
    os.kill(worker, signal.SIGKILL)  # what the kernel's out-of-memory killer does
    _, stderr = build_process.communicate(timeout=30)
    assert build_process.returncode == 1
    said = r"build_assets.py: error: a worker died \(killed by SIGKILL\) on [a-z0-9.-]+; "
    assert re.fullmatch(said + r"the manifest lists what was finished\n", stderr), stderr
    assert wait_until_gone(workers, 5) == set()
    assert_vouched(out)


# What a worker's (or the one process's) rendering meets: injected into every process of
# the build through sitecustomize, which Python imports at start-up from PYTHONPATH.
SITECUSTOMIZE = """
import errno, os
from sgd_lib.site import assets

_render = assets.render_job


def failing(task):
    if task[0].slug == os.environ["SGD_FAIL_SLUG"]:
        kind = os.environ["SGD_FAIL"]
        if kind == "memory":
            raise MemoryError
        if kind == "torch":  # what torch's allocator raises
            raise RuntimeError("[enforce fail at alloc_cpu.cpp:127] DefaultCPUAllocator: "
                               "can't allocate memory: you tried to allocate 1024 bytes.")
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), "/some/cache/file")
    return _render(task)


assets.render_job = failing
"""


@pytest.mark.parametrize("jobs", ["1", "2"])
@pytest.mark.parametrize(
    ("kind", "reason"),
    [
        ("memory", "out of memory"),
        ("torch", "out of memory"),
        ("oserror", "/some/cache/file: No space left on device"),
    ],
)
def test_a_failure_of_the_system_while_rendering_is_one_line_naming_the_figure(
    tmp_path, tuned_out, jobs, kind, reason
):
    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**os.environ, "PYTHONPATH": str(tmp_path / "inject"), "SGD_FAIL": kind,
           "SGD_FAIL_SLUG": "guess"}  # fmt: skip
    out = tuned_out(tmp_path / "assets")
    done = run_script("--out", str(out), "--only", "data", "guess", "--jobs", jobs, env=env)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    assert done.stderr == f"build_assets.py: error: {reason}, rendering guess; the manifest " \
        "lists what was finished\n"  # fmt: skip
    vouched = assert_vouched(out)
    assert not any(name.startswith("guess") for name in vouched)
    assert not [p for p in out.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize("where", ["a/b/LONG", "LONG", "there/LONG/x"])
def test_an_out_whose_name_is_too_long_is_refused_and_nothing_is_made(tmp_path, where):
    (tmp_path / "there").mkdir()
    out = tmp_path / where.replace("LONG", "c" * 300)
    done = run_script("--out", str(out), "--only", "data")
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert "File name too long" in done.stderr and "Traceback" not in done.stderr
    # neither a/ nor a/b/ is left behind, nor anything in there/
    assert [p.name for p in tmp_path.rglob("*")] == ["there"]


def test_reading_a_small_file_does_not_ask_for_the_read_limit(tmp_path):
    import tracemalloc

    (tmp_path / "small").write_bytes(b"{}")
    tracemalloc.start()
    try:
        assert outdir.read_regular(tmp_path / "small") == b"{}"
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2**20  # under memory pressure, each manifest read asked for 64 MiB


@pytest.mark.parametrize("under", ["", "sub", "sub/deeper"])
def test_an_out_that_is_or_is_inside_a_dangling_link_says_so(tmp_path, under):
    (tmp_path / "out").symlink_to(tmp_path / "nowhere" / "deep")
    done = run_script("--out", str(tmp_path / "out" / under), "--only", "data")
    assert done.returncode == 2 and done.stderr.count("\n") == 1
    assert "a link to" in done.stderr and "which leads to no directory" in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_directory_where_a_figure_goes_is_one_line_and_status_1(tmp_path, tuned_out):
    out = tuned_out(tmp_path / "assets")
    (out / "data-dark.png").mkdir()
    done = run_script("--out", str(out), "--only", "data", "--jobs", "1")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr == f"build_assets.py: error: {out / 'data-dark.png'}: Is a directory\n"
    assert sorted(p.name for p in out.iterdir()) == ["data-dark.png", "data-light.png",
                                                     MANIFEST]  # fmt: skip
    manifest = json.loads((out / MANIFEST).read_text())
    assert [f["name"] for f in manifest["files"]] == ["data-light.png"]


# ---- bad options --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--out", ""], "--out must name a directory, got ''"),
        (["--out", " "], "--out must name a directory, got ' '"),
        (["--jobs", "²"], "--jobs must be a whole number of at least 1, got '²'"),
        (["--jobs", "\uff11"], "--jobs must be a whole number of at least 1, got '\uff11'"),
        (["--jobs", "1", "--jobs", "2"], "--jobs is given twice; give it once"),
        (["--jobs", "1" * 5000], "--jobs must be a whole number of at least 1, got '1111"),
        (["--only", "data", "--only", "guess"], "--only is given twice; give it once"),
        (["--force", "--force"], "--force is given twice"),
        (["--job", "2"], "unrecognized arguments: --job 2"),
    ],
)
def test_bad_options_are_one_line_and_write_nothing(tmp_path, args, says):
    done = run_script(*args, cwd=tmp_path)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr == f"build_assets.py: error: {says}\n" or (
        done.stderr.count("\n") == 1 and says in done.stderr
    ), done.stderr
    assert list(tmp_path.iterdir()) == []


def test_optimised_python_builds_too(tmp_path):  # -OO drops docstrings
    done = subprocess.run([sys.executable, "-OO", str(SCRIPT), "--out", str(tmp_path / "a"),
                           "--only", "data"], capture_output=True, text=True)  # fmt: skip
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_more_jobs_than_cpus_are_capped_and_said_so(tmp_path, tuned_out):
    out = tuned_out(tmp_path / "assets")
    done = run_script("--out", str(out), "--jobs", "64", "--only", "data")
    assert done.returncode == 0
    cpus = len(os.sched_getaffinity(0))
    assert done.stderr == f"build_assets.py: --jobs 64: using at most {cpus} workers, " \
        "one per CPU here\n"  # fmt: skip


# ---- an interrupt at every point of a build -----------------------------------------


def interrupt_at(k: int, codes: set) -> Callable[[], bool]:
    """Trace the build and raise KeyboardInterrupt at the k-th line it runs in `codes`, as a
    Ctrl-C landing there would; returns whether it fired."""
    seen, fired = [0], [False]

    def local(frame, event, arg):
        if event == "line":
            seen[0] += 1
            if seen[0] == k:
                fired[0] = True
                raise KeyboardInterrupt
        return local

    sys.settrace(lambda frame, event, arg: local if frame.f_code in codes else None)
    return lambda: fired[0]


@pytest.mark.parametrize(
    "how", [{"only": ["data"], "force": True}, {}], ids=["rendering", "pruning"]
)
def test_an_interrupt_anywhere_in_a_build_leaves_only_whole_vouched_files(
    small, replay, tmp_path, how
):
    from sgd_lib.site import assets

    # Every function that writes or deletes (reading ones only pass a Ctrl-C on).
    functions = (assets._build_locked, assets._write_manifest, assets._prune, OutDir.write,
                 OutDir.remove, OutDir.remove_leftovers)  # fmt: skip
    codes = {f.__code__ for f in functions}
    k = 0
    while True:  # a Ctrl-C at the first line the build runs, then the second, ...
        k += 1
        out = tmp_path / f"assets-{k}"
        shutil.copytree(small, out)
        old = out / "lr0.5-bs3-loss-dark.png"  # a file for a full build to prune
        old.write_bytes(b"old")
        add_entries(out, [old.name], sha256=sha(old))
        fired = interrupt_at(k, codes)
        try:
            build(out, table=SMALL, **how)
        except KeyboardInterrupt:
            pass
        finally:
            sys.settrace(None)
        assert_vouched(out)
        if not fired():
            break
    assert k > 30  # it went through the whole build, line by line
