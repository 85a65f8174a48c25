"""What the sandbox's JavaScript twin of the lesson reads, exported from the lesson itself:
each data setting's x and y with its least-squares answer and Hessian eigenvalues, the
optimizer and schedule registries' names, defaults and limits, the training loop's
constants, and every run of the table as the build made it. Nothing is typed twice.

Its bytes carry a key (the code, the data settings, the runs): a build with nothing to do
compares keys and imports no torch."""

import hashlib
import json
import math

from sgd_lib.lesson.experiments import EXPERIMENTS, MAX_SEED, MAX_STEPS, SAMPLERS, DataSpec
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES



def data_key(run: dict) -> str:
    """A run's data setting by name (the explorer's and the sandbox's): lesson, moved,
    centred or standardised; for another problem than the line, the problem's name. `run`
    has the manifest's problem, x_shift, centred and scaled."""
    if run.get("problem", "line") != "line":
        return run["problem"]
    if run["centred"]:
        return "standardised" if run["scaled"] else "centred"
    return "moved" if run["x_shift"] else "lesson"


def _spec_key(spec: DataSpec) -> str:
    return data_key({"centred": spec.centred, "scaled": spec.scaled, "x_shift": spec.x_shift})


# The data settings of the experiments table, by those names.
# The sandbox runs the line only, so far: the classes' runs are left out of its export.
DATA = {_spec_key(e.data): e.data for e in EXPERIMENTS if e.problem == "line"}
# What the sandbox needs of a run of the table to replay it (manifest RUN_FIELDS).
RUN_KEYS = ("lr", "batch_size", "steps", "seed", "sampler", "optimizer", "hyper", "schedule",
            "params", "diverged_at", "picked", "x_shift", "centred", "scaled")  # fmt: skip


def key(code: str, runs: dict[str, dict]) -> str:
    """What decides the export's bytes."""
    digest = hashlib.sha256(code.encode())
    digest.update(repr(sorted(DATA.items())).encode())
    digest.update(json.dumps(_runs(runs), sort_keys=True).encode())
    return digest.hexdigest()


def _runs(runs: dict[str, dict]) -> dict[str, dict]:
    out = {}
    for slug, run in sorted(runs.items()):
        if run["problem"] != "line":
            continue
        kept = {k: run[k] for k in RUN_KEYS if k not in ("x_shift", "centred", "scaled")}
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


def _data(spec: DataSpec) -> dict:
    import torch

    from sgd_lib.lesson.data import make_data
    from sgd_lib.lesson.loss import least_squares, mse

    data = make_data(spec)
    x, y = data.x.double(), data.y.double()
    ols = least_squares(data.x, data.y)
    eig = torch.linalg.eigvalsh((2 / len(y)) * x.T @ x).tolist()
    return {
        "n": spec.n,
        "xShift": spec.x_shift,
        "centred": spec.centred,
        "scaled": spec.scaled,
        "x": data.x[:, 0].tolist(),  # float32 values, exact as float64
        "y": data.y.tolist(),
        "ols": [round(v, 10) for v in ols.tolist()],
        "floor": round(mse(x @ ols, y).item(), 12),  # the least-squares MSE
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
        },  # fmt: skip
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
