"""When the classes separate: no minimiser exists, and what each optimizer does instead.

Soudry et al. (2018), "The implicit bias of gradient descent on separable data": gradient
descent on the cross-entropy (at a rate below 2/L) drives the loss towards 0 like 1/t, the
norm of `a` grows like log t, and the direction of `a` turns towards the maximum-margin
separator. This module measures each of those on the build's own runs (the experiments
table's runs on the separable classes), and the same for every other optimizer, which the
theorem says nothing about.
"""

import math

import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.logistic import max_margin
from sgd_lib.lesson.training import History

CHECKPOINTS = (10, 100, 1000, 10_000)  # the updates the angle and the norm are read at


def angles(h: History, u: torch.Tensor) -> torch.Tensor:
    """(T+1,): the angle, in degrees, between `a` at each step and the unit direction u."""
    p = h.params.double()
    cos = (p @ u) / p.norm(dim=1).clamp(min=1e-300)
    return torch.rad2deg(torch.acos(cos.clamp(-1, 1)))


def decade_slope(values: torch.Tensor, t: int) -> float | None:
    """The slope of log10(values) against log10(updates) from update t/10 to t: -1 for a
    loss falling like 1/t; None where the run did not get to t or a value is 0."""
    if t >= len(values) or t < 10:
        return None
    lo, hi = values[t // 10].item(), values[t].item()
    if lo <= 0 or hi <= 0:
        return None
    return math.log10(hi / lo)


def run_facts(h: History, data: Data) -> dict:
    """What one run on separable classes did: its angle to the max-margin direction and its
    norm at each checkpoint it reached, the loss's slope per decade, and whether `a` was
    still moving at the end (a method can stop: a step too small for float32 to show, a
    Hessian that vanished)."""
    u = max_margin(data.x, data.y)
    angle = angles(h, u)
    norm = h.params.double().norm(dim=1)
    T = h.steps_run
    last = min(T, CHECKPOINTS[-1])
    moved = T >= 2 and not torch.equal(h.params[-1], h.params[max(0, T - T // 10)])
    return {
        "angle": {t: round(angle[t].item(), 4) for t in CHECKPOINTS if t <= T},
        "norm": {t: round(norm[t].item(), 3) for t in CHECKPOINTS if t <= T},
        "loss": {t: float(f"{h.loss[t].item():.4g}") for t in CHECKPOINTS if t <= T},
        "final_angle": round(angle[T].item(), 4),
        # the closest the run came to u, and when; the farthest it was over the last tenth
        "angle_min": round(angle[1:].min().item(), 4) if T else None,
        "angle_min_at": int(angle[1:].argmin()) + 1 if T else None,
        "angle_last_max": round(angle[T - T // 10 :].max().item(), 4),
        "angle_last_min": float(f"{angle[T - T // 10 :].min().item():.3g}"),
        "final_norm": round(norm[T].item(), 3),
        "loss_slope": {
            t: round(s, 3)
            for t in CHECKPOINTS[1:]
            if (s := decade_slope(h.loss.double(), t)) is not None
        },
        # ‖a‖ gained per factor e of updates over the last decade: log t growth is a constant
        "norm_per_log": round((norm[last] - norm[last // 10]).item() / math.log(10), 3)
        if last >= 10
        else None,
        "moving": bool(moved),  # a changed over the last tenth of the run
        "steps_run": T,
        "diverged_at": h.diverged_at,
    }


def margin(data: Data) -> float:
    """The largest smallest margin a unit direction gets, min over points of ±(x @ u)."""
    u = max_margin(data.x, data.y)
    s = 2 * data.y.double() - 1
    return (s[:, None] * data.x.double() @ u).min().item()
