"""The named numbers the optimizers' figures compute for the pages: when each run reaches the
floor, how far it ends from the answer, the data's Hessian, the studies' bands."""

import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.protocols import LATE
from sgd_lib.lesson.studies import Study
from sgd_lib.lesson.training import A0, History

CLOSE = 0.01  # "at the floor": the MSE within 1% of the least-squares MSE


def reach(h: History, floor: float) -> tuple[int | None, int | None]:
    """The first update, and the gradient evaluations spent by then, after which the MSE
    stays within CLOSE of the floor; None if it never does."""
    near = (h.loss.double() <= floor * (1 + CLOSE)).tolist()
    for t in range(len(near)):
        if all(near[t:]):
            return t, int(h.gradients[t])
    return None, None


def hessian_facts(data: Data, prefix: str = "") -> dict:
    """The Hessian's eigenvalues, its condition number κ (the curvature across the valley
    over the curvature along it), the contours' length over their width (√κ), 2/λ_max; and
    κ once each parameter is scaled by its own curvature (the Hessian's diagonal), as a
    per-parameter step size does."""
    x = data.x.double()
    H = 2 / len(x) * x.T @ x
    eig = torch.linalg.eigvalsh(H).tolist()
    scale = H.diagonal().rsqrt()
    scaled = torch.linalg.eigvalsh(scale[:, None] * H * scale[None, :]).tolist()
    return {f"{prefix}lambda_max": eig[1], f"{prefix}lambda_min": eig[0],
            f"{prefix}kappa": eig[1] / eig[0], f"{prefix}aspect": (eig[1] / eig[0]) ** 0.5,
            f"{prefix}lr_max": 2 / eig[1],
            f"{prefix}scaled_kappa": scaled[1] / scaled[0]}  # fmt: skip


def race_facts(histories: list[History], data: Data) -> dict:
    """Per method: updates and gradient evaluations to the floor, the distance from the
    least-squares answer at the end and after its first and second updates; and the data's
    Hessian (eigenvalues, condition number, 2/λ_max)."""
    x, y = data.x.double(), data.y.double()
    ols = least_squares(x, y)
    floor = ((x @ ols - y) ** 2).mean().item()
    out = {"floor": floor, "steps": max(h.steps_run for h in histories), **hessian_facts(data),
           "close_percent": CLOSE * 100,
           # how far the guess's intercept is from the answer's: a method whose steps are at
           # most about lr long needs this over lr updates to get there
           "intercept_gap": abs(ols[1].item() - A0[1])}  # fmt: skip
    for h in histories:
        name = h.experiment.optimizer
        updates, evaluations = reach(h, floor)
        distance = (h.params.double() - ols).norm(dim=1)
        out |= {
            f"{name}_updates": updates,
            f"{name}_evaluations": evaluations,
            f"{name}_distance": distance[-1].item(),
            f"{name}_distance_1": distance[min(1, h.steps_run)].item(),
            f"{name}_distance_2": distance[min(2, h.steps_run)].item(),
            f"{name}_excess": h.loss[-1].item() - floor,
            f"{name}_lr": h.experiment.lr,
            f"{name}_gap_over_lr": out["intercept_gap"] / h.experiment.lr,
        }
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


def schedule_facts(studies: list[Study]) -> dict:
    """Per schedule: the 10%, median and 90% distance from least squares at the end, and the
    median at a tenth of the way (while every schedule's rate is still near its start)."""
    e = studies[0].experiment
    out = {"seeds": len(studies[0].seeds), "steps": e.steps, "lr": e.lr,
           "batch_size": e.batch_size}  # fmt: skip
    for s in studies:
        band = s.band(s.distance())
        low, mid, high = band[:, -1].tolist()
        tenth = s.experiment.steps // 10
        out |= {f"{s.experiment.schedule}_low": low, f"{s.experiment.schedule}_median": mid,
                f"{s.experiment.schedule}_high": high,
                f"{s.experiment.schedule}_median_tenth": band[1, tenth].item()}  # fmt: skip
    out["tenth"] = studies[0].experiment.steps // 10
    for name in ("step", "inverse", "cosine"):
        out[f"constant_over_{name}"] = out["constant_median"] / out[f"{name}_median"]
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


def minibatch_facts(studies: list[Study]) -> dict:
    """Per optimizer at a mini-batch: its settings; the 10%, median and 90% final MSE and
    distance; and, as the tuning protocol measures it, each seed's mean distance over the last
    LATE of the run, its 10%, median and 90% ("late_")."""
    out = {"seeds": len(studies[0].seeds), "batch_size": studies[0].experiment.batch_size,
           "late_percent": LATE * 100}  # fmt: skip
    late_medians = []
    for s in studies:
        e = s.experiment
        # momentum at the tuned SGD's step, beside momentum tuned: "momentum_same_step"
        name = e.optimizer + ("_same_step" if e.picked == "same-step" else "")
        out[f"{name}_lr"] = e.lr
        for k, v in e.hyper.items():
            if k == "betas":
                out |= {f"{name}_beta1": v[0], f"{name}_beta2": v[1]}
            elif isinstance(v, float):
                out[f"{name}_{k}"] = v
        loss = s.band(s.loss[:, -1]).tolist()
        distance = s.band(s.distance()[:, -1]).tolist()
        tail = max(1, round(LATE * e.steps))
        late = s.band(s.distance()[:, -tail:].mean(dim=1)).tolist()
        out |= {f"{name}_loss_median": loss[1], f"{name}_loss_high": loss[2],
                f"{name}_distance_median": distance[1], f"{name}_distance_low": distance[0],
                f"{name}_distance_high": distance[2], f"{name}_late_median": late[1],
                f"{name}_late_low": late[0], f"{name}_late_high": late[2]}  # fmt: skip
        if e.picked != "same-step":
            late_medians.append(late[1])
    # the furthest over the nearest late median, of the methods at their own settings
    out["spread"] = max(late_medians) / min(late_medians)
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}
