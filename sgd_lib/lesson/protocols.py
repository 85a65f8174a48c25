"""The tuning protocol: how each first-order method is given its best setting before a race.

Comparing methods at one shared learning rate lets the protocol pick the winner: momentum at
0.9 moves like plain SGD at ten times the rate, Adam moves each parameter about `lr` per
update whatever the gradient. Choi et al. (2019) and Schmidt et al. (2021) showed rankings of
optimizers flip with how each is tuned. So each method gets the same grid of learning rates
(and a small grid of its other hyper-parameters), the same budget, and one metric, all
stated here before any run is made:

- full batch: the first update from which the MSE stays within CLOSE (1%) of the
  least-squares floor until the end of the budget; a run that never does scores nothing;
- mini-batches: the median, over seeds, of each run's mean distance from the least-squares
  answer over the last LATE (a tenth) of the budget's updates (each of these methods spends
  one gradient evaluation per update). At first this was the distance at the last update
  alone; a reader showed that it rewards where a swing of the velocity happens to be then.

The best setting is the one with the smallest metric; of equal ones, the first in the
grid's order (smaller learning rate, then the hyper-parameters in the order listed). The
mini-batch tuning uses seeds of its own (TUNING_SEED_OFFSET), so the tuned runs the pages
show are measured on seeds the tuning never saw.

Plain Python, no torch: the asset build decides what is stale from these declarations.
"""

from dataclasses import dataclass

from sgd_lib.lesson.experiments import (
    ILL,
    SEED_BLOCK,
    STUDY_SEEDS,
    DataSpec,
    Experiment,
    make_table,
)
from sgd_lib.lesson.optimizers import OPTIMIZERS

# --8<-- [start:protocol]
CLOSE = 0.01  # "at the floor": the MSE within 1% of the least-squares MSE
PER_DECADE = 8  # learning rates per factor of ten
# 0.001 to 31.6, rounded to three digits so that slugs and tables read plainly.
LRS = tuple(float(f"{10 ** (k / PER_DECADE):.3g}") for k in range(-3 * PER_DECADE, 12 + 1))
MOMENTA = (0.1, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95)
# Each tuned method and the grid of its hyper-parameters beside the learning rate: name ->
# the values tried (torch.optim's names). eps stays at its default: it only keeps a division
# finite here.
GRIDS = {
    "sgd": {},
    "momentum": {"momentum": MOMENTA},
    "nesterov": {"momentum": MOMENTA},
    "rmsprop": {"alpha": (0.9, 0.99)},
    "adam": {"betas": ((0.0, 0.999), (0.5, 0.999), (0.9, 0.999), (0.9, 0.99))},
}
TUNING_SEED_OFFSET = 500  # batch size B's tuning seeds: B * SEED_BLOCK + 500, 501, ...
LATE = 0.1  # mini-batches: the distance is averaged over this last share of the budget
# --8<-- [end:protocol]


@dataclass(frozen=True)
class Protocol:
    """One setting the pages compare methods in, and its tuning budget."""

    name: str  # in file names: tuning-NAME
    title: str  # in figure titles
    data: DataSpec
    batch_size: int | None  # None: the full batch
    budget: int  # updates each run is given (one gradient evaluation each)
    seeds: int = 1  # seeds per point of the grid (mini-batches)

    @property
    def metric(self) -> str:
        return "updates" if self.batch_size is None else "distance"

    def tuning_seeds(self) -> list[int]:
        if self.batch_size is None:
            return [0]
        first = SEED_BLOCK * self.batch_size + TUNING_SEED_OFFSET
        return list(range(first, first + self.seeds))

    def settings(self, optimizer: str) -> list[dict]:
        """Every point of the method's grid, in the grid's order: {"lr": ..., hyper ...}."""
        points = [{"lr": lr} for lr in LRS]
        for name, values in GRIDS[optimizer].items():
            points = [{**p, name: v} for p in points for v in values]
        return points

    def experiment(self, optimizer: str, setting: dict, picked: str = "tuned") -> Experiment:
        """The run a point of the grid (or a setting like one) makes, as the table writes
        it; over the table's STUDY_SEEDS seeds with mini-batches."""
        hyper = {k: tuple(v) if k == "betas" else v for k, v in setting.items() if k != "lr"}
        seeds = 1 if self.batch_size is None else STUDY_SEEDS
        return Experiment(setting["lr"], self.batch_size, steps=self.budget,
                          optimizer=optimizer, data=self.data, seeds=seeds,
                          picked=picked, **hyper)  # fmt: skip

    def runs(self, table: tuple[Experiment, ...], picked: str = "tuned") -> tuple:
        """The table's runs of this protocol's setting that `picked` chose, in the registry's
        order of optimizers."""
        return tuple(sorted((e for e in table if e.picked == picked and e.data == self.data
                             and e.batch_size == self.batch_size and e.steps == self.budget),
                            key=lambda e: list(OPTIMIZERS).index(e.optimizer)))  # fmt: skip


PROTOCOLS = {
    p.name: p
    for p in (
        Protocol("full-lesson", "full batch, the lesson's data", DataSpec(), None, 100),
        Protocol("full-moved", "full batch, x moved off 0", ILL, None, 2000),
        Protocol("batch-16", "batch size 16", DataSpec(), 16, 100, seeds=100),
        Protocol("batch-1", "batch size 1", DataSpec(), 1, 1000, seeds=100),
    )
}

SAME_STEP_MOMENTUM = 0.9  # torch.optim's usual momentum, run at the tuned SGD's effective step


def _digits(v: float, n: int = 4) -> float:
    return float(f"{v:.{n}g}")


def picked_runs(record: dict) -> list[Experiment]:
    """The runs the tuning record chose (sgd_lib.lesson.tuning.record): each method at its
    best point; with the full batch, gradient descent and heavy ball at the rate theory's
    settings; with mini-batches, momentum SAME_STEP_MOMENTUM at the tuned SGD's lr/(1 - m)."""
    runs = []
    for name, p in PROTOCOLS.items():
        if name not in record:
            continue
        methods = record[name]["methods"]
        best = {m: methods[m]["settings"][methods[m]["best"]] for m in GRIDS}
        runs += [p.experiment(m, best[m]) for m in GRIDS]
        if p.batch_size is None:
            theory = record[name]["theory"]
            # Eight digits: rounder settings would split heavy ball's double roots measurably.
            runs.append(p.experiment("sgd", {"lr": _digits(theory["gd_lr"], 8)}, "theory"))
            hb = {"lr": _digits(theory["hb_lr"], 8),
                  "momentum": _digits(theory["hb_momentum"], 8)}  # fmt: skip
            runs.append(p.experiment("momentum", hb, "theory"))
        else:
            m = SAME_STEP_MOMENTUM
            same = {"lr": _digits(best["sgd"]["lr"] * (1 - m), 3), "momentum": m}
            runs.append(p.experiment("momentum", same, "same-step"))
    return runs


def with_picked(table: tuple[Experiment, ...], record: dict) -> tuple[Experiment, ...]:
    """The table and the runs the tuning record chose (those it does not have already)."""
    slugs = {e.slug for e in table}
    return make_table(*table, *(e for e in picked_runs(record) if e.slug not in slugs))
