"""Why classification uses the cross-entropy and not the mean squared error: the same classes,
the same starting guesses, gradient descent on each loss, and the updates it takes until the
classifier is as good as it will get.

The MSE on the probabilities, ((sigmoid(x @ a) - y) ** 2).mean(), has the gradient
2 (p - y) p (1 - p) x / n: from a start that is confidently wrong (p near 1 where y = 0), the
factor p (1 - p) is near 0 and descent crawls along a plateau. The cross-entropy's gradient,
(p - y) x / n, stays large for as long as the model is wrong.

The protocol, fixed before the runs: each loss gets its own learning rate, the one of TUNE_LRS
whose runs reach the target from the most starts (then: in the fewest updates, by the median)
on the tuning seeds' data; it is then measured on other seeds' data, from every start of the
grid. Every run is full-batch gradient descent, as the lesson's loop makes it (a test holds
the batched loop here equal to `train`).
"""

import math
from dataclasses import dataclass

import torch

from sgd_lib.lesson.logistic import cross_entropy, make_classes, minimiser
from sgd_lib.lesson.specs import ClassSpec


# --8<-- [start:mse-probabilities]
def mse_on_probabilities(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The MSE between the predicted probability and the label (0 or 1), for log-odds z."""
    return ((torch.sigmoid(z) - y) ** 2).mean(-1)


# --8<-- [end:mse-probabilities]

LOSSES = {"cross-entropy": cross_entropy, "MSE": mse_on_probabilities}
# --8<-- [start:protocol]
SLOPES = (-12.0, -8.0, -4.0, 0.0, 4.0, 8.0, 12.0)  # the starts: every slope with every
INTERCEPTS = (-6.0, -3.0, 0.0, 3.0, 6.0)  # intercept; the true slope is 3, the true intercept 0.5
TUNE_LRS = tuple(float(f"{10 ** (k / 2):.3g}") for k in range(-2, 5))  # 0.1, 0.316, ... 100
TUNE_SEEDS = tuple(range(10))  # the data the learning rates are tuned on
MEASURE_SEEDS = tuple(range(1000, 1030))  # the data they are measured on: never tuned on
BUDGET = 1000  # updates each run may take
SLACK = 0.02  # the target: accuracy within 2 points of the cross-entropy minimiser's, kept
# --8<-- [end:protocol]
WRONG = (-8.0, 0.0)  # the confidently wrong start the maps show (p = 0.9997 at x = -1, y = 0)


def starts() -> torch.Tensor:
    """(K, 2): every start of the grid, slope by slope."""
    return torch.tensor([(s, b) for s in SLOPES for b in INTERCEPTS])


def accuracy(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The count of points on the right side of the threshold p = 1/2 (z = 0), last axis:
    a whole number, so that "within 2 points" is exact (a share in float32 would round
    0.80 - 0.02 above 0.78)."""
    return ((z > 0).to(y.dtype) == y).sum(-1, dtype=torch.int64)


def descend(x, y, a0, lrs, loss, steps):
    """Full-batch gradient descent on `loss` for every learning rate, data set and start at
    once: x (D, n, 2), y (D, n), a0 (K, 2), lrs (L,). Returns the parameters and the number
    of points classified right after every update: (L, D, K, steps + 1, 2) and
    (L, D, K, steps + 1)."""
    L, D, K = len(lrs), len(x), len(a0)
    a = a0.to(x.dtype).expand(L, D, K, 2).clone()
    lr = torch.as_tensor(lrs, dtype=x.dtype).reshape(L, 1, 1, 1)
    xt, yk = x.transpose(-1, -2).unsqueeze(0), y.unsqueeze(0).unsqueeze(2)  # (1,D,2,n), (1,D,1,n)
    params = torch.empty(L, D, K, steps + 1, 2, dtype=x.dtype)
    acc = torch.empty(L, D, K, steps + 1, dtype=torch.int64)
    for t in range(steps + 1):
        a.requires_grad_()
        z = a @ xt  # (L, D, K, n): every run's log-odds
        params[..., t, :], acc[..., t] = a.detach(), accuracy(z.detach(), yk)
        if t == steps:
            break
        loss(z, yk).sum().backward()  # every run's own gradient: the runs are independent
        with torch.no_grad():
            a = (a - lr * a.grad).detach()  # the lesson's a.sub_(lr * a.grad)
    return params, acc


def updates_to_target(acc: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """(...,): the first update from which the count of points classified right stays at or
    above `target` (...,) to the end of the run; inf where it never does."""
    below = acc < target.unsqueeze(-1)
    steps = acc.shape[-1]
    # the last update below the target, + 1; 0 if none was below
    last_below = torch.where(below, torch.arange(steps), -1).amax(-1)
    return torch.where(last_below == steps - 1, math.inf, (last_below + 1).double())


@dataclass(frozen=True)
class Outcome:
    """One loss's runs from every start on the measured seeds, at its tuned learning rate."""

    loss: str
    lr: float
    updates: torch.Tensor  # (D, K): updates to the target, inf where not reached
    tuning: dict  # lr -> (share of runs that reached the target, median updates) when tuning


def _data(seeds) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """x (D, n, 2), y (D, n) of the overlapping classes drawn with each seed, float64, and
    each one's target accuracy (D,)."""
    sets = [make_classes(ClassSpec(seed=s)) for s in seeds]
    x = torch.stack([d.x for d in sets]).double()
    y = torch.stack([d.y for d in sets]).double()
    best = torch.stack([accuracy(xs @ minimiser(xs, ys), ys) for xs, ys in zip(x, y, strict=True)])
    return x, y, best - round(SLACK * y.shape[-1])  # points, not shares


def _median(updates: torch.Tensor) -> float:
    return torch.quantile(updates.flatten(), 0.5, interpolation="lower").item()


def run_study() -> dict[str, Outcome]:
    """The protocol, for both losses."""
    x, y, target = _data(TUNE_SEEDS)
    mx, my, mtarget = _data(MEASURE_SEEDS)
    a0 = starts().double()
    out = {}
    for name, loss in LOSSES.items():
        _, acc = descend(x, y, a0, TUNE_LRS, loss, BUDGET)
        reached = updates_to_target(acc, target.reshape(1, -1, 1))  # (L, D, K)
        tuning = {lr: ((r < math.inf).double().mean().item(), _median(r))
                  for lr, r in zip(TUNE_LRS, reached, strict=True)}  # fmt: skip
        best = min(TUNE_LRS, key=lambda lr: (-tuning[lr][0], tuning[lr][1], lr))
        _, acc = descend(mx, my, a0, (best,), loss, BUDGET)
        out[name] = Outcome(name, best, updates_to_target(acc, mtarget.reshape(1, -1, 1))[0],
                            tuning)  # fmt: skip
    return out
