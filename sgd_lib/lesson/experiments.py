"""The experiments table: every run the site shows, and the single source of its settings.

Plain Python with no torch import, so that the asset build can decide what is stale in
milliseconds."""

import re
from dataclasses import dataclass, replace

from sgd_lib.checks import SettingError, is_finite, is_whole
from sgd_lib.lesson.optimizers import HYPERS, OPTIMIZERS, SCHEDULES, check_hyper

NOISES = ("normal", "uniform")
PICKED = ("", "tuned", "theory", "same-step")  # who chose a run's settings (Experiment.picked)
SAMPLERS = ("random", "epoch")  # a fresh random batch per update, or shuffled passes
MAX_SEED = 2**64 - 1  # torch.Generator.manual_seed takes 64 bits
SEEDS = f"a whole number from 0 to {MAX_SEED} (2**64 - 1)"


def is_seed(value: object) -> bool:
    return is_whole(value) and 0 <= value <= MAX_SEED


@dataclass(frozen=True)
class DataSpec:
    """What decides the data: the same spec always gives the same tensors."""

    n: int = 100  # number of points
    # (slope, intercept) the noise hides: the 2019 write-up's; the lesson's notebook has (3, 2)
    a_true: tuple[float, float] = (3.0, 10.0)
    noise: str = "normal"  # "normal": N(0, sd²); "uniform": torch.rand, U[0, 1)
    sd: float = 0.6  # sd of the normal noise, the 2019 write-up's (the notebook's: 0.25)
    seed: int = 42  # seeds the data's own generator; the global RNG is never touched
    # x is drawn uniform in [-1, 1), then moved by x_shift: shifted off 0, the slope and the
    # intercept pull against each other and the loss's valley turns long and narrow.
    x_shift: float = 0.0
    centred: bool = False  # measure x from its mean (the same points): the valley is mild again
    scaled: bool = False  # and in units of its standard deviation (standardised): round

    def __post_init__(self):
        where = repr(self)
        if not is_finite(self.x_shift) or abs(self.x_shift) > 100:
            raise SettingError("x_shift", self.x_shift, "a number from -100 to 100", where)
        if not isinstance(self.centred, bool):
            raise SettingError("centred", self.centred, "True or False", where)
        if not isinstance(self.scaled, bool):
            raise SettingError("scaled", self.scaled, "True or False", where)
        if self.scaled and not self.centred:
            raise SettingError("scaled", self.scaled, "False unless centred (standardising "
                               "centres x first)", where)  # fmt: skip
        if not is_whole(self.n) or self.n < 2:
            # Two parameters need at least two points for a unique least-squares line.
            raise SettingError("n", self.n, "a whole number of at least 2", where)
        if len(self.a_true) != 2 or not all(is_finite(v) for v in self.a_true):
            raise SettingError(
                "a_true", self.a_true, "two finite numbers (slope, intercept)", where
            )
        if self.noise not in NOISES:
            raise SettingError("noise", self.noise, f"one of {', '.join(NOISES)}", where)
        if not is_finite(self.sd) or self.sd < 0:
            raise SettingError("sd", self.sd, "a finite number of at least 0", where)
        if not is_seed(self.seed):
            raise SettingError("seed", self.seed, SEEDS, where)


# Every slug `Experiment.slug` can make: the float's repr, the batch size, then what is not
# the lesson's (the sampler, the optimizer and its hyper-parameters, the schedule, the data).
_LR = r"[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?"
_TAIL = (
    r"(-epoch)?"
    rf"(-({'|'.join(o for o in OPTIMIZERS if o != 'sgd')}))?"
    rf"(-({'|'.join(h for h in HYPERS if h != 'betas')}){_LR})*"
    rf"(-betas{_LR},{_LR})?"
    rf"(-({'|'.join(s for s in SCHEDULES if s != 'constant')}))?"
    rf"(-shift-?{_LR})?(-centred|-standardised)?(-(tuned|theory|same-step))?"
)
SLUG = re.compile(rf"(gd-lr{_LR}|lr{_LR}-bs[1-9][0-9]*){_TAIL}", re.ASCII)

MAX_SEEDS = 1000  # a setting's statistics use at most this many seeds
SEED_BLOCK = 1000  # batch size B's study seeds are B * SEED_BLOCK + 0, 1, 2, ...
MAX_STEPS = 100_000  # a guard against typos: the site's longest run is a few thousand updates
MAX_FRAMES = 500  # an animation longer than this is too heavy for a page


@dataclass(frozen=True)
class Experiment:
    """One run: its settings decide every number and picture made from it."""

    lr: float  # learning rate: each update is a.sub_(lr * a.grad)
    batch_size: int | None = None  # None: full-batch gradient descent; else mini-batch SGD
    steps: int = 100  # number of updates
    seed: int = 0  # seeds the generator that draws the mini-batch indices
    # How many seeds the statistics use (1: just `seed`); the table's settings animate the
    # typical one of them (sgd_lib.lesson.studies.SEED_RULE), whatever `seed` says.
    seeds: int = 1
    sampler: str = "random"  # see training.sample_batches: "random" or "epoch"
    data: DataSpec = DataSpec()  # the points being fitted
    frames: int = 101  # at most this many animation frames; longer runs are sampled evenly
    frame_ms: int = 60  # how long each animation frame shows (GIF timing is in 10-ms units)
    optimizer: str = "sgd"  # a name in sgd_lib.lesson.optimizers.OPTIMIZERS: the lesson's update
    # The optimizer's hyper-parameters, torch.optim's names and meanings; None: its default
    # (and an optimizer that does not take one must leave it None).
    momentum: float | None = None
    betas: tuple[float, float] | None = None
    alpha: float | None = None
    eps: float | None = None
    history: int | None = None
    schedule: str = "constant"  # how lr changes over the run: sgd_lib.lesson.optimizers.SCHEDULES
    # Who chose the settings, if not the table: "tuned" (the tuning protocol's best),
    # "theory" (the rate theory's best for this quadratic) or "same-step" (momentum at the
    # tuned SGD's effective step); see sgd_lib.lesson.protocols.
    picked: str = ""

    def __post_init__(self):
        where = repr(self)
        if not is_finite(self.lr) or self.lr <= 0:
            raise SettingError("lr", self.lr, "a finite number greater than 0", where)
        bs, n = self.batch_size, self.data.n
        if bs is not None and (not is_whole(bs) or not 1 <= bs <= n):
            raise SettingError("batch_size", bs, f"a whole number from 1 to n ({n})", where)
        if not is_whole(self.steps) or not 1 <= self.steps <= MAX_STEPS:
            raise SettingError("steps", self.steps, f"a whole number from 1 to {MAX_STEPS}", where)
        if not is_seed(self.seed):
            raise SettingError("seed", self.seed, SEEDS, where)
        if self.sampler not in SAMPLERS:
            raise SettingError("sampler", self.sampler, f"one of {', '.join(SAMPLERS)}", where)
        if not is_whole(self.seeds) or not 1 <= self.seeds <= MAX_SEEDS:
            raise SettingError("seeds", self.seeds, f"a whole number from 1 to {MAX_SEEDS}", where)
        if not is_whole(self.frames) or not 2 <= self.frames <= MAX_FRAMES:
            raise SettingError(
                "frames", self.frames, f"a whole number from 2 to {MAX_FRAMES}", where
            )
        if not is_whole(self.frame_ms) or self.frame_ms % 10 or not 20 <= self.frame_ms <= 1000:
            raise SettingError("frame_ms", self.frame_ms, "a multiple of 10 from 20 to 1000", where)
        self._check_optimizer(where)

    def _check_optimizer(self, where: str) -> None:
        o = OPTIMIZERS.get(self.optimizer) if isinstance(self.optimizer, str) else None
        if o is None:
            allowed = f"one of {', '.join(OPTIMIZERS)}"
            raise SettingError("optimizer", self.optimizer, allowed, where)
        problem = check_hyper(self.optimizer, self.given_hyper())
        if problem:
            raise SettingError(*problem, where)
        if o.full_batch_only and self.batch_size is not None:
            raise SettingError("batch_size", self.batch_size,
                               f"omitted (full batch): {o.name} needs the same loss at every "
                               "update", where)  # fmt: skip
        if self.batch_size is not None and self.batch_size < o.min_batch:
            raise SettingError("batch_size", self.batch_size,
                               f"at least {o.min_batch} for {o.name}", where)  # fmt: skip
        if self.schedule not in SCHEDULES:
            raise SettingError("schedule", self.schedule, f"one of {', '.join(SCHEDULES)}", where)
        if self.picked not in PICKED:
            raise SettingError("picked", self.picked, f"one of {PICKED}", where)

    def given_hyper(self) -> dict:
        return {name: getattr(self, name) for name in HYPERS}

    @property
    def hyper(self) -> dict:
        """The optimizer's hyper-parameters, defaults filled in: name -> value."""
        given = self.given_hyper()
        return {h.name: h.default if given[h.name] is None else given[h.name]
                for h in OPTIMIZERS[self.optimizer].hyper}  # fmt: skip

    @property
    def method(self) -> str:
        return "gd" if self.batch_size is None else "sgd"

    @property
    def slug(self) -> str:
        """The name of every file this experiment produces: gd-lr0.1, lr0.1-bs16, and
        lr0.1-bs16-epoch for the epoch sampler."""
        lr = repr(float(self.lr))
        if self.batch_size is None:
            slug = f"gd-lr{lr}"
        else:
            slug = f"lr{lr}-bs{self.batch_size}" + ("-epoch" if self.sampler == "epoch" else "")
        if self.optimizer != "sgd":
            slug += f"-{self.optimizer}"
        for name, value in self.given_hyper().items():
            if value is not None and name != "betas":
                slug += f"-{name}{value if is_whole(value) else float(value)!r}"
        if self.betas is not None:
            slug += f"-betas{float(self.betas[0])!r},{float(self.betas[1])!r}"
        if self.schedule != "constant":
            slug += f"-{self.schedule}"
        if self.data.x_shift:
            slug += f"-shift{float(self.data.x_shift)!r}"
        return (
            slug
            + ("-standardised" if self.data.scaled else "-centred" if self.data.centred else "")
            + (f"-{self.picked}" if self.picked else "")
        )


def study_seeds(e: Experiment) -> list[int]:
    """The seeds a setting's statistics use. Each batch size has its own block, so no two
    batch sizes share a seed (and with it their batches' luck); the learning rates of one
    batch size share theirs, so that they are compared on the same batches."""
    if e.seeds == 1 or e.batch_size is None:  # gradient descent draws nothing at random
        return [e.seed]
    return [SEED_BLOCK * e.batch_size + i for i in range(e.seeds)]


def make_table(*experiments: Experiment) -> tuple[Experiment, ...]:
    """The experiments as a tuple, refusing two entries whose files would share a name."""
    seen: dict[str, Experiment] = {}
    for e in experiments:
        if e.slug in seen:
            raise SettingError("slug", e.slug, f"unique, but {seen[e.slug]!r} has it too", repr(e))
        seen[e.slug] = e
    return tuple(experiments)


# --8<-- [start:table]
LRS = (0.01, 0.1, 1.0)  # the 2019 write-up's sweep: "takes an age", works, "off the rails"
BATCH_SIZES = (1, 2, 4, 8, 16, 32, 64)  # the 2019 write-up's batch-size sweep
STEPS = 100  # the updates of the lesson's notebook and the write-ups
SLOW_STEPS = 1000  # lr 0.01 "takes an age" but gets there: give it the updates to show that
STUDY_SEEDS = 200  # every mini-batch setting is run over this many seeds (its own, per batch size)


def steps_for(lr: float) -> int:
    return SLOW_STEPS if lr < 0.1 else STEPS


LESSON = (
    Experiment(lr=0.1, batch_size=None, steps=STEPS),  # full-batch gradient descent
    *(
        Experiment(lr, bs, steps=steps_for(lr), seeds=STUDY_SEEDS)
        for lr in LRS
        for bs in BATCH_SIZES
    ),
)

# Beyond SGD: every optimizer on the lesson's line. First-order methods take the lesson's
# lr 0.1; Newton, conjugate gradient and L-BFGS their natural step, 1 (a whole Newton step,
# a whole line search).
FULL_BATCH_LRS = {"momentum": 0.1, "nesterov": 0.1, "rmsprop": 0.1, "adam": 0.1,
                  "newton": 1.0, "cg": 1.0, "lbfgs": 1.0}  # fmt: skip
MINI_BATCH_OPTIMIZERS = ("momentum", "nesterov", "rmsprop", "adam")  # at SWEEP_*, over seeds
# The same points moved along x, away from 0: slope and intercept pull against each other
# and the Hessian's condition number grows past 100. Then centred again.
ILL = DataSpec(x_shift=3.0)
CENTRED = DataSpec(x_shift=3.0, centred=True)
STANDARDISED = DataSpec(x_shift=3.0, centred=True, scaled=True)
# Standardised, the Hessian is 2·I: gradient descent at lr 1/2 lands on the answer at once;
# a few updates show it stays there.
STANDARDISED_LR = 0.5
STANDARDISED_STEPS = 10
ILL_STEPS = 200
# On ILL the largest stable rate of gradient descent is ~0.095 (2/λ_max, computed by the
# build); 0.05 keeps momentum's look-ahead (Nesterov) stable too. The adaptive methods keep
# the lesson's 0.1: their step is in the parameters' own units.
ILL_LRS = {"sgd": 0.05, "momentum": 0.05, "nesterov": 0.05, "rmsprop": 0.1, "adam": 0.1,
           "newton": 1.0, "cg": 1.0, "lbfgs": 1.0}  # fmt: skip

# Batch size 1 "will never stop jittering" at a constant rate; with a decaying one, at the
# batch-size sweep's lr 0.1, over a longer run.
SCHEDULE_BATCH_SIZE = 1
SCHEDULE_STEPS = 1000
DECAYING = ("step", "inverse", "cosine")

EXPERIMENTS = make_table(
    *LESSON,
    *(Experiment(lr, optimizer=name) for name, lr in FULL_BATCH_LRS.items()),
    *(Experiment(0.1, 16, optimizer=name, seeds=STUDY_SEEDS) for name in MINI_BATCH_OPTIMIZERS),
    *(Experiment(lr, steps=ILL_STEPS, optimizer=name, data=ILL) for name, lr in ILL_LRS.items()),
    Experiment(ILL_LRS["sgd"], steps=ILL_STEPS, data=CENTRED),
    Experiment(STANDARDISED_LR, steps=STANDARDISED_STEPS, data=STANDARDISED),
    *(
        Experiment(0.1, SCHEDULE_BATCH_SIZE, steps=SCHEDULE_STEPS, schedule=s, seeds=STUDY_SEEDS)
        for s in DECAYING
    ),
)
# --8<-- [end:table]


# The comparisons the site draws, as the 2019 write-up makes them.
SWEEP_BATCH_SIZE = 16  # learning rates are compared at this batch size
SWEEP_LR = 0.1  # batch sizes are compared at this learning rate
PATH_BATCH_SIZES = (16, 1)  # SGD runs drawn beside gradient descent in parameter space
JITTER_LRS = (0.01, 0.1)  # where the runs end is compared at these learning rates


def is_lesson(e: Experiment) -> bool:
    """A run of the lesson's own kind: SGD (or GD) at a constant rate, on the default data."""
    return (e.optimizer == "sgd" and e.schedule == "constant" and e.data == DataSpec()
            and not e.picked)  # fmt: skip


def lesson(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in table if is_lesson(e))


def lr_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in lesson(table) if e.batch_size == SWEEP_BATCH_SIZE)


def bs_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in lesson(table) if e.lr == SWEEP_LR and e.batch_size is not None)


def gradient_descent(table: tuple[Experiment, ...]) -> Experiment:
    return next(e for e in lesson(table) if e.batch_size is None and e.lr == SWEEP_LR)


def path_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, then the SGD runs whose paths are drawn beside it."""
    sgd = [e for b in PATH_BATCH_SIZES for e in bs_sweep(table) if e.batch_size == b]
    return (gradient_descent(table), *sgd)


SAMPLER_BATCH_SIZES = (1, 16)  # the two samplers are compared at these batch sizes, lr 0.1


def sampler_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """The batch-size sweep's runs at SAMPLER_BATCH_SIZES, with each sampler."""
    runs = [e for e in bs_sweep(table) if e.batch_size in SAMPLER_BATCH_SIZES]
    return tuple(replace(e, sampler=s) for e in runs for s in SAMPLERS)


def jitter_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every mini-batch run at the two learning rates that converge: where they end."""
    return tuple(e for e in lesson(table) if e.batch_size is not None and e.lr in JITTER_LRS)


def numbers_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, and the largest batch at the largest learning rate (lr 1 in the
    site's table) run SLOW_STEPS updates: does it stay on the rails if given the time?"""
    sgd = [e for e in lesson(table) if e.batch_size is not None]
    if not sgd:
        return (gradient_descent(table),)
    big = max(sgd, key=lambda e: (e.lr, e.batch_size))
    return gradient_descent(table), replace(big, steps=max(big.steps, SLOW_STEPS))


def _in_registry_order(runs) -> tuple[Experiment, ...]:
    """The runs in the registry's order of optimizers; none if SGD is all there is (a
    comparison of optimizers needs more than one)."""
    order = list(OPTIMIZERS)
    runs = sorted(runs, key=lambda e: order.index(e.optimizer))
    return tuple(runs) if any(e.optimizer != "sgd" for e in runs) else ()


def optimizer_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer with the full batch on the lesson's data: gradient descent first."""
    full = [e for e in table if e.batch_size is None and e.data == DataSpec()
            and e.schedule == "constant" and not e.picked
            and (e.optimizer != "sgd" or e.lr == SWEEP_LR)]  # fmt: skip
    return _in_registry_order(full)


def minibatch_optimizer_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """SGD and the optimizers run with mini-batches at SWEEP_BATCH_SIZE and SWEEP_LR."""
    runs = [e for e in table if e.batch_size == SWEEP_BATCH_SIZE and e.lr == SWEEP_LR
            and e.data == DataSpec() and e.schedule == "constant" and not e.picked]  # fmt: skip
    return _in_registry_order(runs)


def ill_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer on the ill-conditioned data (x moved, not centred)."""
    return _in_registry_order(e for e in table if e.data == ILL and not e.picked)


CONDITIONING_OPTIMIZERS = ("sgd", "momentum", "newton")  # their paths on the narrow valley


def conditioning_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, momentum and Newton on the ill-conditioned data, then gradient
    descent on the same points with x centred."""
    ill = [e for e in ill_runs(table) if e.optimizer in CONDITIONING_OPTIMIZERS]
    return (*ill, *(e for e in table if e.data in (CENTRED, STANDARDISED) and e.optimizer == "sgd"
                    and not e.picked))  # fmt: skip


def schedule_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """The batch-size sweep's smallest batch, run SCHEDULE_STEPS updates with each schedule."""
    runs = [e for e in bs_sweep(table) if e.batch_size == SCHEDULE_BATCH_SIZE]
    return tuple(replace(e, steps=SCHEDULE_STEPS, schedule=s) for e in runs for s in SCHEDULES)


def find(slug: str) -> Experiment:
    """The experiment named `slug`; a SettingError listing the slugs there are if none is."""
    for e in EXPERIMENTS:
        if e.slug == slug:
            return e
    raise SettingError("slug", slug, f"one of {', '.join(e.slug for e in EXPERIMENTS)}")
