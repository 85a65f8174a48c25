"""Training, as the lesson writes it: autograd for the gradient, a hand-written update."""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import torch
from torch import nn

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.experiments import Experiment
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import NO_ANSWER, PROBLEMS, Problem

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
    loss: torch.Tensor  # (T+1,): full-data loss (the problem's: the line's MSE) at each step
    batch_loss: torch.Tensor  # (T,): the loss on the batch each update was computed from
    batches: torch.Tensor | None  # (T, batch_size) indices of each update's batch; None for GD
    diverged_at: int | None  # the update that left the sane region; None if none did
    # (T+1,): gradient evaluations made by each step, all told (0 at the guess): an x-axis that
    # charges a method for its line searches. Hessian evaluations are counted apart.
    gradients: torch.Tensor | None = None
    hessians: int = 0  # Hessian evaluations made, all told

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


class Batch:
    """The points one update sees, for the optimizers that ask more of them than `a.grad`:
    the gradient of the batch's loss at another point, its Hessian. Each is counted.

    x: (B, 2) and y: (B,) for one run, or (S, B, 2) and (S, B) for S seeds at once."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, problem: Problem = PROBLEMS["line"]):
        self.x, self.y = x, y
        self.loss, self._hessian = problem.fn("loss"), problem.fn("hessian")
        self.gradients = 1  # the one autograd made for a.grad
        self.hessians = 0

    def value(self, a: torch.Tensor) -> torch.Tensor:
        """The batch's loss at `a` (2,) or (S, 2), as (1,) or (S, 1); not counted."""
        z = (self.x @ a.unsqueeze(-1)).squeeze(-1)
        if z.dim() == 1:
            return self.loss(z, self.y).reshape(1)
        return torch.stack([self.loss(zs, ys) for zs, ys in zip(z, self.y, strict=True)])[:, None]

    def gradient(self, a: torch.Tensor) -> torch.Tensor:
        """The gradient of the batch's loss at `a` (2,) or (S, 2), by autograd."""
        self.gradients += 1
        with torch.enable_grad():
            p = a.detach().requires_grad_()
            self.value(p).sum().backward()  # seeds are independent
        return p.grad

    def hessian(self, a: torch.Tensor) -> torch.Tensor:
        """The batch loss's Hessian at `a`: (2, 2) or (S, 2, 2). The MSE's, (2/B) x_bᵀ x_b,
        is the same at every a; the cross-entropy's changes with it."""
        self.hessians += 1
        return self._hessian(self.x, self.y, a)


def train(
    data: Data,
    experiment: Experiment,
    on_step: Callable[[int, float], None] | None = None,
    start: tuple[float, float] = A0,
) -> History:
    """Fit `data` with the experiment's problem (the lesson's line, by default), optimizer,
    learning rate, batch size and steps.

    `on_step(t, loss)`, if given, hears each step as it is kept: the guess (t = 0) and every
    update after it, with its full-data loss; a run that diverges ends before the update
    that left the sane region, as the History does. The command line prints its progress
    from it; the History it returns is the same with or without it. `start` is the initial
    guess (slope, intercept): the lesson's (-1, 1) unless a study asks for another."""
    x, y = data.x, data.y
    problem = PROBLEMS[experiment.problem]
    loss_of = problem.fn("loss")  # the line's: mse; the classes': the cross-entropy
    lr, batch_size = experiment.lr, experiment.batch_size
    # The optimizer's update (the lesson's, `sgd`, by default) and the learning rate's schedule
    update, hyper = OPTIMIZERS[experiment.optimizer].update, experiment.hyper
    schedule = SCHEDULES[experiment.schedule]
    g = torch.Generator().manual_seed(experiment.seed)
    a = nn.Parameter(torch.tensor(start, dtype=x.dtype))  # float32, as the lesson; or float64
    state = {}  # the optimizer's: velocities, running means, remembered steps

    with torch.no_grad():
        start = loss_of(x @ a, y)
    limit = BLOWUP * start.item()
    if on_step is not None:
        on_step(0, start.item())
    params, losses, batch_losses, batches = [a.detach().clone()], [start], [], []
    gradients, hessians = [0], 0
    diverged_at = None

    rows = sample_batches(len(y), batch_size, experiment.sampler, g)
    for t in range(1, experiment.steps + 1):
        idx = next(rows)
        batch = Batch(x[idx], y[idx], problem)
        # --8<-- [start:update]
        y_hat = x[idx] @ a  # for the classes: the log-odds of y = 1
        loss = loss_of(y_hat, y[idx])  # the line's: mse(y_hat, y[idx])
        loss.backward()
        with torch.no_grad():
            lr_t = schedule(lr, t, experiment.steps)  # lr itself, unless a schedule decays it
            update(a, state, lr_t, batch, **hyper)  # SGD: a.sub_(lr_t * a.grad)
            a.grad.zero_()
        # --8<-- [end:update]
        with torch.no_grad():
            full = loss_of(x @ a, y)
        if not _sane(full.item(), limit):
            diverged_at = t
            break
        params.append(a.detach().clone())
        losses.append(full)
        batch_losses.append(loss.detach())
        gradients.append(gradients[-1] + batch.gradients)
        hessians += batch.hessians
        if batch_size is not None:
            batches.append(idx)
        if on_step is not None:
            on_step(t, full.item())

    return History(
        experiment=experiment,
        params=torch.stack(params),
        loss=torch.stack(losses),
        batch_loss=torch.stack(batch_losses) if batch_losses else torch.empty(0),
        batches=_stack_batches(batches, batch_size),
        diverged_at=diverged_at,
        gradients=torch.tensor(gradients),
        hessians=hessians,
    )


def summary(h: History, data: Data) -> dict:
    """The run as plain, finite Python values: the JSON contract of DESIGN.md, and more."""
    e = h.experiment
    problem = PROBLEMS[e.problem]
    best = problem.fn("answer")(data.x, data.y)  # None: there is none (separable classes)
    # LAPACK's float64 answer can differ in its last bits from call to call; ten decimals
    # keep every digit that means anything and make the output byte-identical.
    answer = None if best is None else [round(v, 10) for v in best.tolist()]
    distance = None if best is None else round((h.params[-1].double() - best).norm().item(), 10)
    return {
        "slug": e.slug,
        "problem": e.problem,
        "lr": e.lr,
        "batch_size": e.batch_size,
        "steps": e.steps,
        "seed": e.seed,
        "sampler": e.sampler,
        "params": h.params[-1].tolist(),
        "loss": h.loss[-1].item(),
        "initial_loss": h.loss[0].item(),
        "answer": answer,  # the problem's: the least-squares line, the minimiser, or None
        # what the answer is; where this draw's classes separate, whatever the problem, none
        "answer_is": problem.answer_is if best is not None else NO_ANSWER,
        "ols": answer if e.problem == "line" else None,  # the line's answer, by its old name
        "distance": distance,  # from the answer; None where there is none
        "a_true": list(e.data.a_true),
        "diverged": h.diverged,
        "diverged_at": h.diverged_at,
        "steps_run": h.steps_run,
        # x as drawn (the classes' always is): moved, centred, standardised
        "x_shift": getattr(e.data, "x_shift", 0.0),
        "centred": getattr(e.data, "centred", False),
        "scaled": getattr(e.data, "scaled", False),
        "optimizer": e.optimizer,
        "hyper": {k: list(v) if isinstance(v, tuple) else v for k, v in e.hyper.items()},
        "schedule": e.schedule,
        "picked": e.picked,  # who chose the settings: "" (the table), "tuned", "theory", ...
        "gradient_evaluations": int(h.gradients[-1]) if h.gradients is not None else h.steps_run,
        "hessian_evaluations": h.hessians,
    }
