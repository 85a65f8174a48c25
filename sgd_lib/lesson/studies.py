"""Studies: one setting trained over many seeds at once, and what those runs say together.

A single run of SGD is one draw of its batches; whether it looks fast or slow is partly luck.
The site's comparisons show the median and the 10-90% band over hundreds of seeds, and the
one run each setting animates is a typical seed, chosen by SEED_RULE, never a lucky one.

`train_many` runs every seed of a setting in one tensor operation per update. It draws each
seed's batches exactly as `training.train` does (the same generator, the same numbers, the
same rows) and makes the same update, so seed by seed it gives the loop's parameters: tests
hold it to that. A batch enters as two sums, x_bᵀx_b and x_bᵀy_b, taken for every update at
once before the first: the MSE is quadratic, so they give its gradient anywhere and its
Hessian, and an update costs the same whatever the batch size. The sums are float64 and the
loop is float32: the two agree to the loop's rounding.
"""

from dataclasses import dataclass, replace

import numpy as np
import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.experiments import Experiment, study_seeds
from sgd_lib.lesson.loss import mse
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import A0, BLOWUP, Batch, train

# What decides which seed a setting animates: words for the manifest and the pages.
SEED_RULE = (
    "ends between the 40th and 60th percentile of final loss; of those, the closest on average "
    "to the median loss curve (log scale)"
)
TYPICAL_END = (0.4, 0.6)  # the animated run ends in this middle band of the seeds' final loss
BAND = (0.1, 0.5, 0.9)  # the quantiles every comparison shows: 10%, median, 90%


@dataclass(frozen=True, eq=False)
class Study:
    """Every seed of one setting. A run that diverged keeps its last sane parameters, and its
    loss counts as the blow-up bound from the update it was stopped at (so that medians and
    bands stay finite and a diverged run sits at the top of every picture)."""

    experiment: Experiment
    seeds: list[int]
    params: torch.Tensor  # (S, T+1, 2)
    loss: torch.Tensor  # (S, T+1): full-data loss, the bound after a divergence
    diverged_at: torch.Tensor  # (S,): the update that left the sane region; 0 if none did
    limit: float  # the blow-up bound, BLOWUP times the initial guess's loss
    # (2,) the problem's answer, float64: the least-squares line, the cross-entropy's
    # minimiser; None where there is none (separable classes)
    ols: torch.Tensor | None
    gradients: torch.Tensor  # (T+1,): gradient evaluations by each step, all told (every seed's)

    def band(self, values: torch.Tensor | None = None) -> torch.Tensor:
        """The 10%, 50% and 90% quantiles over seeds of `values` (S, ...): shape (3, ...).
        Quantiles are values some seed had ("lower"): no averaging with an infinity."""
        v = (self.loss if values is None else values).double()
        q = torch.tensor(BAND, dtype=torch.float64)
        return torch.quantile(v, q, dim=0, interpolation="lower")

    def distance(self) -> torch.Tensor:
        """(S, T+1): each seed's distance from the problem's answer at every step (there
        must be one)."""
        if self.ols is None:
            raise ValueError(f"{self.experiment.problem}: no answer to measure a distance from")
        return (self.params.double() - self.ols).norm(dim=-1)

    def typical(self) -> int:
        """The index of the seed SEED_RULE picks: of the seeds whose final loss lies between
        the 40th and 60th percentile (so the animation ends where a typical run ends), the one
        with the smallest mean absolute difference, over steps, between its log loss and the
        median log loss (so it gets there the typical way); ties: the first seed."""
        log = self.loss.double().log()
        median = torch.quantile(log, 0.5, dim=0, interpolation="lower")
        low, high = torch.quantile(
            log[:, -1], torch.tensor(TYPICAL_END, dtype=torch.float64), interpolation="lower"
        )
        score = (log - median).abs().mean(dim=1)
        ends_typically = (log[:, -1] >= low) & (log[:, -1] <= high)
        return int(torch.where(ends_typically, score, torch.inf).argmin())


class Summed(Batch):
    """Every seed's batch at one update, known by its sums. The MSE is quadratic in `a`, so
    two sums say everything an optimizer can ask of a batch: its Hessian (2/B) x_bᵀx_b and,
    at any `a`, its gradient (2/B)(x_bᵀx_b a - x_bᵀy_b), what autograd computes for the loop.

    hessian: (S, 2, 2) and pull: (S, 2), float64, the factor 2/B included."""

    def __init__(self, hessian: torch.Tensor, pull: torch.Tensor):
        self.H, self.pull = hessian, pull
        self.gradients = 1  # the one that stands for a.grad
        self.hessians = 0

    def at(self, a: torch.Tensor) -> torch.Tensor:
        """The batch MSE's gradient at `a` (S, 2), in `a`'s dtype; not counted."""
        return ((self.H @ a.double().unsqueeze(-1)).squeeze(-1) - self.pull).to(a.dtype)

    def gradient(self, a: torch.Tensor) -> torch.Tensor:
        self.gradients += 1
        return self.at(a)

    def hessian(self, a: torch.Tensor) -> torch.Tensor:
        self.hessians += 1
        return self.H.float()


_SUMS: dict[tuple, torch.Tensor] = {}  # (data, batch size, seeds, sampler) -> sums so far


def batch_sums(data: Data, batch_size: int, steps: int, seeds: list[int], sampler: str):
    """(steps, S, 2, 2) and (steps, S, 2), float64: x_bᵀx_b and x_bᵀy_b of the batch `train`
    draws at each update, for each seed. The learning rates of one batch size share their
    seeds, so what was summed for a longer run is reused: a generator gives the same numbers
    whether drawn n at a time or k × n at once."""
    key = (data.spec, batch_size, tuple(seeds), sampler)
    sums = _SUMS.get(key)
    if sums is None or len(sums) < steps:
        if len(_SUMS) > 40:  # a few settings' worth, a few MB each: the build needs no more
            _SUMS.clear()
        x, y = data.x.double(), data.y.double()
        # Each point's part in the five sums; a batch's sums are its rows' parts added up.
        parts = torch.stack([x[:, 0] * x[:, 0], x[:, 0] * x[:, 1], x[:, 1] * x[:, 1],
                             x[:, 0] * y, x[:, 1] * y], dim=1)  # fmt: skip
        per_seed = [_rows(len(y), batch_size, steps, s, sampler).double() @ parts for s in seeds]
        sums = _SUMS[key] = torch.stack(per_seed, dim=1)  # (steps, S, 5)
    xx = sums[:steps, :, [0, 1, 1, 2]].reshape(steps, len(seeds), 2, 2)
    return xx, sums[:steps, :, 3:]


def _rows(n: int, batch_size: int, steps: int, seed: int, sampler: str) -> torch.Tensor:
    """(steps, n) bool: which rows `train` draws into each update's batch, for this seed."""
    g = torch.Generator().manual_seed(seed)
    if sampler == "random":
        # The batch_size smallest of each update's n numbers, as training.batch_indices takes
        # them; numpy finds each row's cut in a fraction of topk's time.
        numbers = torch.rand(steps, n, generator=g)
        cut = np.partition(numbers.numpy(), batch_size - 1, axis=1)[:, batch_size - 1 : batch_size]
        rows = numbers <= torch.from_numpy(cut)
        tied = (rows.sum(dim=1) != batch_size).nonzero().squeeze(1)
        if len(tied):  # two equal numbers at the cut (rare in float32): topk decides, as there
            picked = numbers[tied].topk(batch_size, dim=1, largest=False).indices
            rows[tied] = torch.zeros(len(tied), n, dtype=torch.bool).scatter_(1, picked, True)
        return rows
    per_epoch = n // batch_size
    epochs = -(-steps // per_epoch)
    order = torch.rand(epochs, n, generator=g).argsort(dim=1, stable=True)
    cut = order[:, : per_epoch * batch_size].reshape(epochs * per_epoch, batch_size)[:steps]
    return torch.zeros(steps, n, dtype=torch.bool).scatter_(1, cut, True)


def train_many(data: Data, experiment: Experiment, seeds: list[int] | None = None) -> Study:
    """Train `experiment` once per seed (by default its study seeds), all seeds at once."""
    e = experiment
    seeds = study_seeds(e) if seeds is None else list(seeds)
    if e.batch_size is None:  # full batch: nothing is drawn, and every seed is the same run
        return _full_batch(data, e, seeds)
    if e.problem != "line":  # not a quadratic: each seed's rows, as the loop takes them
        return _gathered(data, e, seeds)
    update, hyper = OPTIMIZERS[e.optimizer].update, e.hyper
    schedule = SCHEDULES[e.schedule]
    x, y = data.x, data.y
    T = e.steps
    state = {}  # the optimizer's, for every seed at once
    with torch.no_grad():
        start = mse(x @ torch.tensor(A0), y).item()
    xx, xy = batch_sums(data, e.batch_size, T, seeds, e.sampler)
    hessians, pulls = (2 / e.batch_size) * xx, (2 / e.batch_size) * xy

    def step(t: int, a: torch.Tensor):
        batch = Summed(hessians[t - 1], pulls[t - 1])
        stepped = a.clone()
        stepped.grad = batch.at(a)
        update(stepped, state, schedule(e.lr, t, T), batch, **hyper)
        stepped.grad = None
        return stepped, ((stepped @ x.T - y) ** 2).mean(dim=1), batch.gradients

    return _every_seed(data, e, seeds, start, step)


def _every_seed(data: Data, e: Experiment, seeds: list[int], start: float, step) -> Study:
    """The seeds' shared loop. `step(t, a)` makes update t from every seed's `a` (S, 2):
    (the parameters after it, their full-data loss (S,), the gradients it evaluated). A seed
    whose loss leaves the sane region keeps its last sane parameters and counts as the
    blow-up bound from then on."""
    S, T = len(seeds), e.steps
    a = torch.tensor(A0).repeat(S, 1)  # (S, 2)
    limit = BLOWUP * start
    gradients = [0]
    params = torch.empty(S, T + 1, 2)
    loss = torch.empty(S, T + 1)
    params[:, 0], loss[:, 0] = a, start
    alive = torch.ones(S, dtype=torch.bool)
    diverged_at = torch.zeros(S, dtype=torch.long)
    bound = torch.tensor(limit)
    for t in range(1, T + 1):
        stepped, full, evaluated = step(t, a)
        gradients.append(gradients[-1] + evaluated)
        sane = alive & (full <= limit)  # NaN and inf fail the comparison too
        diverged_at = torch.where(alive & ~sane, t, diverged_at)
        alive = sane
        a = torch.where(alive.unsqueeze(1), stepped, a)
        params[:, t] = a
        loss[:, t] = torch.where(alive, full, bound)
    return Study(e, seeds, params, loss, diverged_at, limit, _answer(data, e),
                 torch.tensor(gradients))  # fmt: skip


def _answer(data: Data, e: Experiment) -> torch.Tensor | None:
    return PROBLEMS[e.problem].fn("answer")(data.x, data.y)


def _gathered(data: Data, e: Experiment, seeds: list[int]) -> Study:
    """Every seed at once for a problem whose loss is not quadratic: each update gathers
    every seed's rows, (S, B, 2), as `train` draws them, and autograd takes the gradient of
    the sum of the seeds' batch losses (seeds are independent: each gets its own). The rows
    of a batch are summed in index order, not the loop's draw order: the two agree to the
    loop's rounding."""
    problem = PROBLEMS[e.problem]
    loss_of = problem.fn("loss")
    update, hyper = OPTIMIZERS[e.optimizer].update, e.hyper
    schedule = SCHEDULES[e.schedule]
    x, y = data.x, data.y
    S, T, B = len(seeds), e.steps, e.batch_size
    # (T, S, B): each update's rows for each seed, in index order
    rows = torch.stack([_rows(len(y), B, T, s, e.sampler).nonzero()[:, 1].reshape(T, B)
                        for s in seeds], dim=1)  # fmt: skip
    state = {}
    with torch.no_grad():
        start = loss_of(x @ torch.tensor(A0), y).item()
    ys = y.expand(S, -1)

    def step(t: int, a: torch.Tensor):
        batch = Batch(x[rows[t - 1]], y[rows[t - 1]], problem)
        stepped = a.clone().requires_grad_()
        batch.value(stepped).sum().backward()
        with torch.no_grad():
            update(stepped, state, schedule(e.lr, t, T), batch, **hyper)
            stepped.grad = None
            stepped = stepped.detach()
            return stepped, loss_of(stepped @ x.T, ys), batch.gradients

    return _every_seed(data, e, seeds, start, step)


def _full_batch(data: Data, e: Experiment, seeds: list[int]) -> Study:
    """The loop's one run, as a study of `seeds` identical runs."""
    h = train(data, e)
    T, S = e.steps, len(seeds)
    limit = BLOWUP * h.loss[0].item()
    params = torch.empty(T + 1, 2)
    loss = torch.full((T + 1,), limit)
    gradients = torch.empty(T + 1, dtype=torch.long)
    params[: h.steps_run + 1], loss[: h.steps_run + 1] = h.params, h.loss
    gradients[: h.steps_run + 1] = h.gradients
    params[h.steps_run + 1 :] = h.params[-1]  # a diverged run keeps its last sane parameters
    per_update = OPTIMIZERS[e.optimizer].gradients_per_update
    after = torch.arange(1, T - h.steps_run + 1)
    gradients[h.steps_run + 1 :] = h.gradients[-1] + per_update * after
    diverged_at = torch.full((S,), h.diverged_at or 0)
    return Study(e, seeds, params.repeat(S, 1, 1), loss.repeat(S, 1), diverged_at, limit,
                 _answer(data, e), gradients)  # fmt: skip


def typical_experiment(study: Study) -> Experiment:
    """The setting with its animated seed: the one SEED_RULE picks."""
    return replace(study.experiment, seed=study.seeds[study.typical()])


def _round(v: float) -> float:
    return round(v, 10)  # as summary() does: digits that mean something, byte-identical output


def statistics(study: Study) -> dict:
    """What the study adds to a run's results in the manifest: plain, finite numbers."""
    last = study.loss[:, -1]
    final_distance = None if study.ols is None else study.distance()[:, -1]
    diverged = study.diverged_at > 0
    return {
        "seeds": len(study.seeds),
        "seed_rule": SEED_RULE,
        # [10%, median, 90%] over seeds, at the last update
        "loss_band": [_round(v) for v in study.band(last).tolist()],
        "distance_band": None
        if final_distance is None
        else [_round(v) for v in study.band(final_distance).tolist()],
        "diverged_share": _round(diverged.double().mean().item()),
        # the median update at which the runs that diverged were stopped; None if none did
        "diverged_at_median": (
            int(study.diverged_at[diverged].median().item()) if diverged.any() else None
        ),
    }
