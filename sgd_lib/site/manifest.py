"""The asset manifest: what the build vouches for, and the schema a manifest must meet to be
believed. One that does not is no manifest: the build renders what it must.

Torch-free: the pages and the build's staleness check read it in milliseconds.
"""

import json
import math
import re
from pathlib import Path

from sgd_lib.lesson.experiments import PICKED
from sgd_lib.site.outdir import MANIFEST, is_ours, read_regular

HEX64 = re.compile(r"[0-9a-f]{64}", re.ASCII)


def _number(v) -> bool:
    if isinstance(v, bool) or not isinstance(v, int | float):
        return False
    # A float, or an int a float can hold: 10**400 is JSON, but no number the build writes.
    return math.isfinite(v) if isinstance(v, float) else abs(v) <= 2**53


def _whole(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool) and v >= 0


def _text(v) -> bool:
    return isinstance(v, str) and 0 < len(v) <= 200


def _hex(v) -> bool:
    return isinstance(v, str) and HEX64.fullmatch(v) is not None


def _pair(v) -> bool:
    return isinstance(v, list) and len(v) == 2 and all(_number(x) for x in v)


def _steps(v) -> bool:
    return isinstance(v, list) and all(_whole(x) for x in v)


def _readouts(v) -> bool:
    return isinstance(v, list) and all(
        isinstance(row, list) and all(isinstance(x, str) and 0 < len(x) <= 20 for x in row)
        for row in v
    )


def _texts(v) -> bool:
    return isinstance(v, list) and all(_text(x) for x in v)


FILE_FIELDS = {  # one entry of "files": a file the build wrote, and how
    "name": lambda v: isinstance(v, str) and is_ours(v) and v != MANIFEST,
    "slug": _text,
    "kind": _text,
    "theme": _text,
    "experiments": _texts,
    "width": _whole,
    "height": _whole,
    "frames": _whole,
    # An animation's frames: the training step each shows (the player steps by them), and
    # the full-data MSE of each run drawn, at that step or, once a run has ended, at its
    # end, as the frame's readout writes it. Empty for a still.
    "steps": _steps,
    "mse": _readouts,
    "text_px": lambda v: v is None or (_number(v) and v > 0),  # the smallest text, in pixels
    "bytes": _whole,
    "sha256": _hex,
    "key": _hex,
}
RUN_FIELDS = {  # one value of "runs": summary() of the animated run, statistics(), its key
    "slug": _text,
    "problem": _text,
    "lr": _number,
    "batch_size": lambda v: v is None or _whole(v),
    "steps": _whole,
    "seed": _whole,
    "sampler": _text,
    "params": _pair,
    "loss": _number,
    "initial_loss": _number,
    "answer": lambda v: v is None or _pair(v),  # None: the problem has no answer
    "answer_is": _text,
    "ols": lambda v: v is None or _pair(v),  # the line's answer; None for other problems
    "distance": lambda v: v is None or _number(v),
    "a_true": _pair,
    "diverged": lambda v: isinstance(v, bool),
    "diverged_at": lambda v: v is None or _whole(v),
    "steps_run": _whole,
    "x_shift": _number,
    "centred": lambda v: isinstance(v, bool),
    "scaled": lambda v: isinstance(v, bool),
    "optimizer": _text,
    "hyper": lambda v: (
        isinstance(v, dict) and all(_text(k) and (_number(x) or _pair(x)) for k, x in v.items())
    ),
    "schedule": _text,
    "picked": lambda v: v in PICKED,
    "gradient_evaluations": _whole,
    "hessian_evaluations": _whole,
    "seeds": _whole,
    "seed_rule": _text,
    "loss_band": lambda v: isinstance(v, list) and len(v) == 3 and all(_number(x) for x in v),
    "distance_band": lambda v: (
        v is None or (isinstance(v, list) and len(v) == 3 and all(_number(x) for x in v))
    ),
    "diverged_share": _number,
    "diverged_at_median": lambda v: v is None or _whole(v),
    "key": _hex,
}


TOP = {"files", "runs", "facts", "table", "figures", "tuning"}


def _record(value, fields: dict, what: str) -> str | None:
    if not isinstance(value, dict) or value.keys() != fields.keys():
        return f"{what} does not have the fields {', '.join(fields)}"
    bad = next((k for k, ok in fields.items() if not ok(value[k])), None)
    return f"{what} has a bad {bad!r}" if bad else None


def problem(manifest) -> str | None:
    """What keeps `manifest` (parsed JSON) from being one this build wrote; None if nothing."""
    if not isinstance(manifest, dict) or manifest.keys() != TOP:
        return "the top level is not {files, runs, facts, table, figures, tuning}"
    files, runs = manifest["files"], manifest["runs"]
    if not isinstance(files, list) or not isinstance(runs, dict):
        return "files is not a list or runs is not an object"
    for i, entry in enumerate(files):
        if found := _record(entry, FILE_FIELDS, f"files[{i}]"):
            return found
        if entry["steps"] and not len(entry["steps"]) == len(entry["mse"]) == entry["frames"]:
            return f"files[{i}] does not have a step and an MSE for each frame"
    if len({f["name"] for f in files}) != len(files):
        return "a file is listed twice"
    for slug, run in runs.items():
        if found := _record(run, RUN_FIELDS, f"runs[{slug!r}]"):
            return found
    facts = manifest["facts"]
    if not isinstance(facts, dict):
        return "facts is not an object"
    for name, values in facts.items():
        if not _text(name) or not isinstance(values, dict) or not _hex(values.get("key")):
            return f"facts[{name!r}] is not an object with a key"
        if not all(_text(k) and (v is None or _number(v)) for k, v in values.items() if k != "key"):
            return f"facts[{name!r}] holds something that is not a number"
    table, figures = manifest["table"], manifest["figures"]
    if not _texts(table) or not isinstance(figures, dict):
        return "table is not a list of slugs or figures is not an object"
    if not all(_text(k) and _texts(v) for k, v in figures.items()):
        return "figures is not an object of slug lists"
    tuning = manifest["tuning"]  # its contents are checked where they are used
    if not isinstance(tuning, dict) or not all(
        _text(k) and isinstance(v, dict) and _hex(v.get("key")) for k, v in tuning.items()
    ):
        return "tuning is not an object of records with a key"
    return None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not JSON")  # NaN and Infinity: the build never writes them


def load(out: Path) -> tuple[dict | None, str | None]:
    """The manifest in `out` and None, or None and why it cannot be believed ("missing" if
    there is none)."""
    path = out / MANIFEST
    if not path.exists() and not path.is_symlink():
        return None, "missing"
    return parse(read_regular(path))


def parse(payload: bytes | None) -> tuple[dict | None, str | None]:
    """A manifest's bytes (None: not a regular file) as a manifest and None, or None and why
    they cannot be believed."""
    if payload is None:
        return None, "not a regular file of a sane size"
    try:
        manifest = json.loads(payload, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as e:  # RecursionError: arrays nested thousands deep
        return None, f"not JSON ({str(e).splitlines()[0][:80]})"
    found = problem(manifest)
    return (None, found) if found else (manifest, None)


def dump(files: dict[str, dict], runs: dict[str, dict], facts: dict, layout: dict,
         check: bool = False) -> bytes:  # fmt: skip
    """The manifest's bytes. Compact JSON, one file entry to a line: the build rewrites it as
    each job finishes, and the indenting encoder took seconds of a build. With `check`, the
    writer first meets its own schema (the build checks the last manifest it writes)."""
    manifest = {
        "files": [files[name] for name in sorted(files)],
        "runs": {slug: runs[slug] for slug in sorted(runs)},  # each run's numbers, for pages
        "facts": {name: facts[name] for name in sorted(facts)},  # named numbers, for pages
        **layout,
    }
    if check:
        assert problem(manifest) is None, problem(manifest)
    compact = {"separators": (",", ":"), "allow_nan": False}
    files_text = ",\n".join(json.dumps(entry, **compact) for entry in manifest["files"])
    rest = json.dumps({k: v for k, v in manifest.items() if k != "files"}, **compact)
    return f'{{"files":[\n{files_text}\n],\n{rest[1:]}\n'.encode()
