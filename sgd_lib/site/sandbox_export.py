"""What the sandbox's JavaScript twin of the lesson reads, exported from the lesson itself:
each data setting's x and y with its answer and Hessian eigenvalues (the line's four, and
the classes of the other problems, each with its model), the
optimizer and schedule registries' names, defaults and limits, the training loop's
constants, and every run of the table as the build made it. Nothing is typed twice.

Its bytes carry a key (the code, the data settings, the runs): a build with nothing to do
compares keys and imports no torch."""

import hashlib
import json
import math

from sgd_lib.lesson.experiments import (
    EXPERIMENTS,
    MAX_SEED,
    MAX_STEPS,
    SAMPLERS,
    ClassSpec,
    DataSpec,
)
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import problem_of


def data_key(run: dict) -> str:
    """A run's data setting by name (the explorer's and the sandbox's): lesson, moved,
    centred or standardised; for another problem than the line, the problem's name. `run`
    has the manifest's problem, x_shift, centred and scaled."""
    if run.get("problem", "line") != "line":
        return run["problem"]
    if run["centred"]:
        return "standardised" if run["scaled"] else "centred"
    return "moved" if run["x_shift"] else "lesson"


def _spec_key(spec: DataSpec | ClassSpec) -> str:
    if isinstance(spec, ClassSpec):
        return problem_of(spec).name
    return data_key({"centred": spec.centred, "scaled": spec.scaled, "x_shift": spec.x_shift})


# The data settings of the experiments table, by those names.
DATA = {_spec_key(e.data): e.data for e in EXPERIMENTS}
# What the sandbox needs of a run of the table to replay it (manifest RUN_FIELDS).
RUN_KEYS = ("lr", "batch_size", "steps", "seed", "sampler", "optimizer", "hyper", "schedule",
            "params", "diverged_at", "picked", "problem", "x_shift", "centred",
            "scaled")  # fmt: skip


def key(code: str, runs: dict[str, dict]) -> str:
    """What decides the export's bytes."""
    digest = hashlib.sha256(code.encode())
    digest.update(repr(sorted(DATA.items())).encode())
    digest.update(json.dumps(_runs(runs), sort_keys=True).encode())
    return digest.hexdigest()


def _runs(runs: dict[str, dict]) -> dict[str, dict]:
    out = {}
    for slug, run in sorted(runs.items()):
        kept = {k: run[k] for k in RUN_KEYS
                if k not in ("problem", "x_shift", "centred", "scaled")}  # fmt: skip
        out[slug] = {**kept, "data": data_key(run)}
    return out


def _hyper(h) -> dict:
    return {
        "name": h.name,
        "default": list(h.default) if isinstance(h.default, tuple) else h.default,
        "low": h.low,
        "high": None if h.high == math.inf else h.high,
        "lowOpen": h.low_open,
        "highOpen": h.high_open,
        "whole": h.whole,
        "count": h.flag_values,
        "allowed": h.allowed,
    }


def _optimizers() -> list[dict]:
    return [
        {
            "name": o.name,
            "title": o.title,
            "hyper": [_hyper(h) for h in o.hyper],
            "fullBatchOnly": o.full_batch_only,
            "minBatch": o.min_batch,
            "gradientsPerUpdate": o.gradients_per_update,
            "hessiansPerUpdate": o.hessians_per_update,
        }
        for o in OPTIMIZERS.values()
    ]


def _data(spec: DataSpec | ClassSpec) -> dict:
    """One data setting: its points, its problem's model and loss's name, its answer (the
    least-squares line, the cross-entropy's minimiser; None where there is none) and the
    answer's loss (the floor; 0 where there is no answer), and the Hessian's eigenvalues
    (the MSE's, the same everywhere; for the cross-entropy, the bound on its largest)."""
    import torch

    from sgd_lib.lesson.problems import make

    problem = problem_of(spec)
    data = make(spec)
    x, y = data.x.double(), data.y.double()
    answer = problem.fn("answer")(data.x, data.y)
    # The cross-entropy's p(1 - p) is at most 1/4: its Hessian is never steeper than at p = 1/2
    hessian = (2 / len(y)) * x.T @ x if problem.model == "line" else x.T @ x / len(y) / 4
    eig = torch.linalg.eigvalsh(hessian).tolist()
    floor = 0.0 if answer is None else problem.fn("loss")(x @ answer, y).item()
    return {
        "n": spec.n,
        "model": problem.model,
        "loss": problem.loss_short,
        "xShift": getattr(spec, "x_shift", 0.0),
        "centred": getattr(spec, "centred", False),
        "scaled": getattr(spec, "scaled", False),
        "aTrue": list(spec.a_true),
        "x": data.x[:, 0].tolist(),  # float32 values, exact as float64
        "y": data.y.tolist(),
        "ols": None if answer is None else [round(v, 10) for v in answer.tolist()],
        "floor": round(floor, 12),  # the answer's loss: the least-squares MSE, for the line
        "lambdaMax": round(eig[1], 12),
        "lambdaMin": round(eig[0], 12),
    }


def _themes() -> dict:
    from sgd_lib.pictures.theme import THEMES

    parts = ("bg", "fg", "muted", "grid", "data", "fit", "truth", "batch", "alarm")
    return {t.name: {**{p: getattr(t, p) for p in parts}, "methods": list(t.methods)}
            for t in THEMES}  # fmt: skip


def export(code: str, runs: dict[str, dict]) -> bytes:
    """The sandbox's JSON: imports torch to make the data."""
    from sgd_lib.lesson.training import A0, BLOWUP

    payload = {
        "key": key(code, runs),
        "lesson": {
            "a0": list(A0),
            "blowup": BLOWUP,
            "maxSteps": MAX_STEPS,
            "maxSeed": str(MAX_SEED),
            "samplers": list(SAMPLERS),
        },
        "optimizers": _optimizers(),
        "schedules": list(SCHEDULES),
        "data": {name: _data(spec) for name, spec in DATA.items()},
        "themes": _themes(),  # the figures' palette, light and dark
        "runs": _runs(runs),
    }
    return (json.dumps(payload, separators=(",", ":"), allow_nan=False) + "\n").encode()


def is_current(payload: bytes | None, code: str, runs: dict[str, dict]) -> bool:
    """Whether an export on disk is the one `export` would write now."""
    if payload is None:
        return False
    try:
        return json.loads(payload).get("key") == key(code, runs)
    except (ValueError, AttributeError, RecursionError):
        return False
