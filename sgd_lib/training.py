"""Training, as the lesson writes it: autograd for the gradient, a hand-written update."""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
from torch import nn

from sgd_lib.data import Data
from sgd_lib.experiments import Experiment
from sgd_lib.loss import least_squares, mse

A0 = (-1.0, 1.0)  # the lesson's initial guess (slope, intercept)
# A run has diverged once its full-data loss is this many times the initial guess's (or
# anything turns non-finite): its line is then ~10x further off than the guess, outside any
# picture of the problem, and left alone it heads for inf and NaN.
BLOWUP = 100.0


@dataclass(frozen=True, eq=False)
class History:
    """Everything a picture of the run needs; every value in it is finite.

    Steps are numbered from 0 (the initial guess) to T = steps_run. A diverged run stops
    before the update that left the sane region, so T < experiment.steps.
    """

    experiment: Experiment
    params: torch.Tensor  # (T+1, 2): [slope, intercept] after each update, from the guess on
    loss: torch.Tensor  # (T+1,): full-data MSE at each step
    batch_loss: torch.Tensor  # (T,): the MSE on the batch each update was computed from
    batches: torch.Tensor | None  # (T, batch_size) indices of each update's batch; None for GD
    diverged_at: int | None  # the update that left the sane region; None if none did

    @property
    def diverged(self) -> bool:
        return self.diverged_at is not None

    @property
    def steps_run(self) -> int:
        return len(self.batch_loss)


# --8<-- [start:batch]
def batch_indices(n: int, batch_size: int | None, g: torch.Generator) -> torch.Tensor | slice:
    """The rows one update sees: all of them for gradient descent, else a random subset."""
    if batch_size is None:
        return slice(None)
    # Every point draws a random number; the batch_size points with the smallest are the
    # batch: a random subset, each equally likely.
    return torch.rand(n, generator=g).topk(batch_size, largest=False).indices


def sample_batches(n: int, batch_size: int | None, sampler: str, g: torch.Generator) -> Iterator:
    """The rows of each update in turn. "random": a fresh random batch every update, so a
    point can come up twice before another comes up once. "epoch": one shuffle of all the
    points, cut into n // batch_size batches, then a new shuffle (the points left over at
    the end of a shuffle wait for the next one, as with drop_last in PyTorch's DataLoader)."""
    if batch_size is None or sampler == "random":
        while True:
            yield batch_indices(n, batch_size, g)
    while True:  # one epoch: every point once (but for the few left over)
        order = torch.rand(n, generator=g).argsort(stable=True)
        for k in range(n // batch_size):
            yield order[k * batch_size : (k + 1) * batch_size]


# --8<-- [end:batch]


def _stack_batches(batches: list[torch.Tensor], batch_size: int | None) -> torch.Tensor | None:
    if batch_size is None:
        return None
    return torch.stack(batches) if batches else torch.empty(0, batch_size, dtype=torch.long)


def _sane(loss: float, limit: float) -> bool:
    # Every row of x holds the bias column's 1, so a non-finite parameter always makes the
    # loss non-finite: checking the loss checks both. (NaN fails every comparison.)
    return math.isfinite(loss) and loss <= limit


def train(data: Data, experiment: Experiment) -> History:
    """Fit a line to `data` with the experiment's learning rate, batch size and steps."""
    x, y = data.x, data.y
    lr, batch_size = experiment.lr, experiment.batch_size
    g = torch.Generator().manual_seed(experiment.seed)
    a = nn.Parameter(torch.tensor(A0))

    with torch.no_grad():
        start = mse(x @ a, y)
    limit = BLOWUP * start.item()
    params, losses, batch_losses, batches = [a.detach().clone()], [start], [], []
    diverged_at = None

    rows = sample_batches(len(y), batch_size, experiment.sampler, g)
    for t in range(1, experiment.steps + 1):
        idx = next(rows)
        # --8<-- [start:update]
        y_hat = x[idx] @ a
        loss = mse(y_hat, y[idx])
        loss.backward()
        with torch.no_grad():
            a.sub_(lr * a.grad)
            a.grad.zero_()
        # --8<-- [end:update]
        with torch.no_grad():
            full = mse(x @ a, y)
        if not _sane(full.item(), limit):
            diverged_at = t
            break
        params.append(a.detach().clone())
        losses.append(full)
        batch_losses.append(loss.detach())
        if batch_size is not None:
            batches.append(idx)

    return History(
        experiment=experiment,
        params=torch.stack(params),
        loss=torch.stack(losses),
        batch_loss=torch.stack(batch_losses) if batch_losses else torch.empty(0),
        batches=_stack_batches(batches, batch_size),
        diverged_at=diverged_at,
    )


def summary(h: History, data: Data) -> dict:
    """The run as plain, finite Python values: the JSON contract of DESIGN.md, and more."""
    e = h.experiment
    ols = least_squares(data.x, data.y)
    distance = (h.params[-1].double() - ols).norm().item()  # from the least-squares answer
    return {
        "slug": e.slug,
        "lr": e.lr,
        "batch_size": e.batch_size,
        "steps": e.steps,
        "seed": e.seed,
        "sampler": e.sampler,
        "params": h.params[-1].tolist(),
        "loss": h.loss[-1].item(),
        "initial_loss": h.loss[0].item(),
        # LAPACK's float64 answer can differ in its last bits from call to call; ten decimals
        # keep every digit that means anything and make the output byte-identical.
        "ols": [round(v, 10) for v in ols.tolist()],
        "distance": round(distance, 10),
        "a_true": list(e.data.a_true),
        "diverged": h.diverged,
        "diverged_at": h.diverged_at,
        "steps_run": h.steps_run,
    }
