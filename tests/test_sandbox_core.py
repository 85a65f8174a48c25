"""The sandbox's JavaScript core held to the Python lesson: fixtures from the trainer, checked
by `node --test tests/js/oracle.mjs` (Node's own test runner, nothing installed).

Every optimizer × schedule × data setting, at full batch and batch sizes 1 and 16, run by
training.train in float64: the JS core fed the same batches matches it at every update within
1e-9 relative, diverging at the same update; the table's float32 runs, replayed from their
seeds by the JS core's own copy of torch's generator, draw the same batches and end within
1e-4 of them."""

import json
import os
import shutil
import subprocess
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.experiments import EXPERIMENTS, Experiment
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import make as make_data
from sgd_lib.lesson.problems import problem_of
from sgd_lib.lesson.training import History, sample_batches, summary, train
from sgd_lib.site import sandbox_export

ROOT = Path(__file__).parents[1]
NODE = shutil.which("node")
# The learning rate of each optimizer's fixture runs: stable on every data setting but the
# moved one's sharpest direction (where the JS must diverge where Python does).
LRS = {"sgd": 0.08, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.05, "adam": 0.1,
       "newton": 0.9, "cg": 1.0, "lbfgs": 1.0}  # fmt: skip
HYPER = {"momentum": {"momentum": 0.8}, "adam": {"betas": (0.8, 0.99)}}  # off the defaults too


def as_double(data: Data) -> Data:
    return replace(data, x=data.x.double(), y=data.y.double())


def drawn(e: Experiment, n: int) -> list | None:
    """The rows of every update the run could make, the one that diverged included (History
    keeps the batches of the updates it kept)."""
    if e.batch_size is None:
        return None
    rows = sample_batches(n, e.batch_size, e.sampler, torch.Generator().manual_seed(e.seed))
    return [next(rows).tolist() for _ in range(e.steps)]


def record(h: History) -> dict:
    e = h.experiment
    batches = drawn(e, e.data.n)
    if h.batches is not None:
        assert h.batches.tolist() == batches[: h.steps_run]
    hyper = {k: list(v) if isinstance(v, tuple) else v for k, v in e.hyper.items()}
    settings = {"optimizer": e.optimizer, "hyper": hyper, "lr": e.lr, "batchSize": e.batch_size,
                "sampler": e.sampler, "schedule": e.schedule, "steps": e.steps,
                "seed": str(e.seed)}  # fmt: skip
    where = {"problem": e.problem, "centred": getattr(e.data, "centred", False),
             "scaled": getattr(e.data, "scaled", False),
             "x_shift": getattr(e.data, "x_shift", 0.0)}  # fmt: skip
    return {
        "settings": settings,
        "data": sandbox_export.data_key(where),
        "slug": e.slug,
        "params": h.params.tolist(),
        "loss": h.loss.tolist(),
        "batches": batches,
        "divergedAt": h.diverged_at,
        "gradients": h.gradients.tolist(),
        "hessians": h.hessians,
    }


def batch_sizes(o) -> list:
    sizes = [b for b in (None, 1, 16) if b is None or b >= o.min_batch]
    return [None] if o.full_batch_only else sizes


def rounding_floor(data: Data, e: Experiment, h: History, batches: list | None) -> list:
    """How far the trainer's own float64 run moves when only its rounding changes: the same
    points in reverse order (every sum taken in another order), the same batches. Conjugate
    gradient on the moved data with a decaying rate amplifies rounding by ~κ an update; no
    twin can agree with a run closer than the run agrees with itself. (T+1,) per update."""
    flipped = replace(data, x=data.x.flip(0), y=data.y.flip(0))
    n = len(data.y)
    other = train_given(flipped, e, reversed_rows(batches, n))
    t = min(len(h.params), len(other.params))
    return (h.params[:t] - other.params[:t]).abs().amax(-1).tolist()


def reversed_rows(batches: list | None, n: int) -> list | None:
    """The same batches' rows, counted from the other end (the points in reverse order)."""
    return None if batches is None else [[n - 1 - i for i in b] for b in batches]


def train_given(data: Data, e: Experiment, rows: list | None) -> History:
    """training.train with the batches given, not drawn."""
    if rows is None:
        return train(data, e)
    import sgd_lib.lesson.training as training

    real = training.sample_batches
    training.sample_batches = lambda *_: iter(torch.tensor(r) for r in rows)
    try:
        return train(data, e)
    finally:
        training.sample_batches = real


def float64_runs() -> list[dict]:
    out = []
    for name, spec in sandbox_export.DATA.items():
        data = as_double(make_data(spec))
        for o in OPTIMIZERS.values():
            for schedule in SCHEDULES:
                for bs in batch_sizes(o):
                    lr = LRS[o.name] * (3 if name == "moved" and o.name == "sgd" else 1)
                    # Newton on separable classes drives p(1 - p) to 0 and its Hessian to
                    # singular: its steps then amplify the last bit of p(1 - p) without
                    # bound (the twin and the trainer part by 4e-9 at update 33 with the
                    # full batch, by 2e-3 at 19 with 16 points). Its first 12 updates.
                    steps = 12 if (o.name, name) == ("newton", "logistic-separable") else 60
                    e = Experiment(lr, bs, steps=steps, seed=11, optimizer=o.name, data=spec,
                                   schedule=schedule, problem=problem_of(spec).name,
                                   **HYPER.get(o.name, {}))  # fmt: skip
                    h = train(data, e)
                    out.append(record(h) | {"floor": rounding_floor(data, e, h, drawn(e, spec.n))})
    # Past the stability limit 2/λ_max ≈ 0.9985: gradient descent diverges (at update ~764)
    e = Experiment(1.01, None, steps=1000)
    data = as_double(make_data(e.data))
    h = train(data, e)
    out.append(record(h) | {"floor": rounding_floor(data, e, h, None)})
    return out


def float32_runs() -> list[dict]:
    # Every run's batches; the ends of the line's runs. The classes' ends, several of which
    # float32's rounding decides (separable classes), are held by the replay test below,
    # against float64 runs and their own rounding.
    return [record(train(make_data(e.data), e)) | {"endHolds": e.problem == "line"}
            for e in EXPERIMENTS]  # fmt: skip


@pytest.fixture(scope="module")
def fixtures(tmp_path_factory) -> Path:
    where = tmp_path_factory.mktemp("sandbox")
    runs = {e.slug: summary(train(make_data(e.data), e), make_data(e.data))
            for e in EXPERIMENTS[:12]}  # fmt: skip
    (where / "sandbox.json").write_bytes(sandbox_export.export("test", runs))
    (where / "float64.json").write_text(json.dumps(float64_runs()))
    (where / "float32.json").write_text(json.dumps(float32_runs()))
    return where


@pytest.mark.skipif(NODE is None, reason="node is not on this machine")
def test_the_javascript_core_is_the_python_lesson_update_by_update(fixtures):
    tests = [str(ROOT / "tests" / "js" / name) for name in ("oracle.mjs", "state.mjs")]
    done = subprocess.run([NODE, "--test", *tests],
                          env={**os.environ, "SANDBOX_FIXTURES": str(fixtures)},
                          capture_output=True, text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout and "# pass 0" not in done.stdout


def test_the_fixtures_cover_every_optimizer_schedule_data_and_batch_size():
    runs = float64_runs()
    seen = {(r["settings"]["optimizer"], r["settings"]["schedule"], r["data"],
             r["settings"]["batchSize"]) for r in runs}  # fmt: skip
    for o in OPTIMIZERS.values():
        for bs in batch_sizes(o):
            assert {(o.name, s, d, bs) for s in SCHEDULES for d in sandbox_export.DATA} <= seen
    assert any(r["divergedAt"] for r in runs)
    assert torch.get_default_dtype() == torch.float32


@pytest.mark.skipif(NODE is None, reason="node is not on this machine")
def test_every_run_of_the_built_table_replays_live_to_the_builds_end(cold_assets, tmp_path):
    # Each run again in float64, from the build's seed: where float32's rounding alone moves
    # a run's end by more than 1e-4 or its divergence (RMSProp circling the floor on the
    # moved data; most optimizers on separable classes, where float32 rounds the loss to 0),
    # the twin, which computes in float64, is held to that run instead: to 1e-9, or to ten
    # times what the same float64 run moves when only its rounding changes (the points in
    # reverse order), and to its divergence if that rounding leaves it where it was.
    exported = json.loads((cold_assets / "sandbox.json").read_bytes())
    ends = {}
    for slug, run in exported["runs"].items():
        spec = sandbox_export.DATA[run["data"]]
        hyper = {k: tuple(v) if isinstance(v, list) else v for k, v in run["hyper"].items()}
        e = Experiment(run["lr"], run["batch_size"], run["steps"], run["seed"],
                       sampler=run["sampler"], data=spec, optimizer=run["optimizer"],
                       schedule=run["schedule"], problem=problem_of(spec).name,
                       **hyper)  # fmt: skip
        data = as_double(make_data(spec))
        h = train(data, e)
        rounding = max(
            abs(a - b) for a, b in zip(h.params[-1].tolist(), run["params"], strict=True)
        )
        ends[slug] = {"params": h.params[-1].tolist(), "divergedAt": h.diverged_at,
                      "rounding": rounding, "floor": 0.0, "divergenceHolds": True}  # fmt: skip
        if rounding > 1e-4 or h.diverged_at != run["diverged_at"]:
            other = train_given(replace(data, x=data.x.flip(0), y=data.y.flip(0)), e,
                                reversed_rows(drawn(e, spec.n), spec.n))  # fmt: skip
            same = other.diverged_at == h.diverged_at
            # where rounding alone moves the divergence, the ends cannot be compared at all
            floor = (other.params[-1] - h.params[-1]).abs().max().item() if same else 1e300
            ends[slug] |= {"floor": floor, "divergenceHolds": same}
    (tmp_path / "float64.json").write_text(json.dumps(ends))
    env = {
        "SANDBOX_JSON": str(cold_assets / "sandbox.json"),
        "FLOAT64": str(tmp_path / "float64.json"),
    }
    done = subprocess.run([NODE, "--test", str(ROOT / "tests" / "js" / "replay.mjs")],
                          env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300)  # fmt: skip
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout


def test_the_export_is_the_lesson(cold_assets):
    exported = json.loads((cold_assets / "sandbox.json").read_bytes())
    assert [o["name"] for o in exported["optimizers"]] == list(OPTIMIZERS)
    assert exported["schedules"] == list(SCHEDULES)
    for name, spec in sandbox_export.DATA.items():
        data = make_data(spec)
        assert exported["data"][name]["x"] == data.x[:, 0].tolist()
        assert exported["data"][name]["y"] == data.y.tolist()
    manifest = json.loads((cold_assets / "manifest.json").read_bytes())
    assert exported["runs"].keys() == manifest["runs"].keys()
    for slug, run in exported["runs"].items():
        assert run["seed"] == manifest["runs"][slug]["seed"]
        assert run["params"] == manifest["runs"][slug]["params"]
    # The loss plot draws pinned runs on other data settings against the live one's floor:
    # moving, centring or scaling x leaves the least-squares residuals, so the floors agree.
    floors = [d["floor"] for d in exported["data"].values() if d["model"] == "line"]
    assert max(floors) - min(floors) < 1e-6 * min(floors)
