"""The experiments table: every run the site shows, and the single source of its settings.

Plain Python with no torch import, so that the asset build can decide what is stale in
milliseconds."""

import re
from dataclasses import dataclass

from sgd_lib.checks import SettingError, is_finite, is_whole
from sgd_lib.lesson.optimizers import HYPERS, OPTIMIZERS, SCHEDULES, check_hyper
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.specs import MAX_SEED, NOISES, SEEDS, ClassSpec, DataSpec, is_seed  # noqa: F401

PICKED = ("", "tuned", "theory", "same-step")  # who chose a run's settings (Experiment.picked)
SAMPLERS = ("random", "epoch")  # a fresh random batch per update, or shuffled passes


# Every slug `Experiment.slug` can make: the float's repr, the batch size, then what is not
# the lesson's (the sampler, the optimizer and its hyper-parameters, the schedule, the data).
_LR = r"[0-9]+(\.[0-9]+)?(e[+-][0-9]+)?"
_TAIL = (
    r"(-epoch)?"
    rf"(-({'|'.join(o for o in OPTIMIZERS if o != 'sgd')}))?"
    rf"(-({'|'.join(h for h in HYPERS if h != 'betas')}){_LR})*"
    rf"(-betas{_LR},{_LR})?"
    rf"(-({'|'.join(s for s in SCHEDULES if s != 'constant')}))?"
    rf"(-shift-?{_LR})?(-centred|-standardised)?"
    rf"(-({'|'.join(sorted((p for p in PROBLEMS if p != 'line'), key=len, reverse=True))}))?"
    r"(-(tuned|theory|same-step))?"
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
    # The points being fitted: the problem's own default data if None (DataSpec for the
    # line, ClassSpec for the classes).
    data: DataSpec | ClassSpec | None = None
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
    # What is fitted, and by which loss: a name in sgd_lib.lesson.problems.PROBLEMS, the
    # lesson's line by default.
    problem: str = "line"

    def __post_init__(self):
        p = PROBLEMS.get(self.problem) if isinstance(self.problem, str) else None
        if p is None:
            raise SettingError("problem", self.problem, f"one of {', '.join(PROBLEMS)}",
                               repr(self))  # fmt: skip
        if self.data is None:
            object.__setattr__(self, "data", p.spec)
        where = repr(self)  # with the data filled in
        if not p.fits(self.data):
            raise SettingError("data", self.data, f"data the problem {p.name} runs on, like "
                               f"{p.spec!r}", where)  # fmt: skip
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
        d = self.data
        if isinstance(d, DataSpec):
            slug += f"-shift{float(d.x_shift)!r}" if d.x_shift else ""
            slug += "-standardised" if d.scaled else "-centred" if d.centred else ""
        if self.problem != "line":
            slug += f"-{self.problem}"
        return slug + (f"-{self.picked}" if self.picked else "")


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

# Classification: the same loop on two classes, by the cross-entropy (sgd_lib.lesson.problems).
# Its curvature is at most a quarter of the line's kind (p(1 - p) <= 1/4), so the sweep is
# the line's a decade up. Full batch, the build computes 2/L = 7.99 (safe from anywhere) and
# 12.0 (2/λ_max at the minimum, stable once near it): lr 10 is a run between them.
CLASS_LRS = (0.1, 1.0, 10.0)
CLASS_GD_LRS = (1.0, 10.0)
# The mini-batch runs' two-panel animations show every other update: at every update, the
# 21 of them would weigh 10 MB of the site.
CLASS_FRAMES = 51
# The classes' studies train by autograd on every seed's rows (the cross-entropy has no sums
# like the MSE's): 100 seeds a setting, half the line's, for half the build's time on them.
# The batch sizes' medians keep their order with 100 (tests/test_classification_claims.py).
CLASS_SEEDS = 100
# Every optimizer on the overlapping classes: the first-order methods at lr 1, the adaptive
# ones at the lesson's 0.1 (their step is in the parameters' own units), the rest at 1.
CLASS_RACE_LRS = {"sgd": 1.0, "momentum": 1.0, "nesterov": 1.0, "rmsprop": 0.1, "adam": 0.1,
                  "newton": 1.0, "cg": 1.0, "lbfgs": 1.0}  # fmt: skip
# On separable classes no minimiser exists: long runs, to watch the loss fall, the norm grow
# and the direction turn. Gradient descent and momentum at 4, about 1/L (the build checks).
SEPARABLE_STEPS = 10_000
SEPARABLE_LRS = {"sgd": 4.0, "momentum": 4.0, "nesterov": 4.0, "rmsprop": 0.1, "adam": 0.1,
                 "newton": 1.0, "cg": 1.0, "lbfgs": 1.0}  # fmt: skip
CLASSES = (
    *(Experiment(lr, problem="logistic") for lr in CLASS_GD_LRS),
    *(Experiment(lr, bs, seeds=CLASS_SEEDS, frames=CLASS_FRAMES, problem="logistic")
      for lr in CLASS_LRS for bs in BATCH_SIZES),
    *(Experiment(lr, optimizer=name, problem="logistic") for name, lr in CLASS_RACE_LRS.items()
      if not (name == "sgd" and lr in CLASS_GD_LRS)),
    *(Experiment(lr, steps=SEPARABLE_STEPS, optimizer=name, problem="logistic-separable")
      for name, lr in SEPARABLE_LRS.items()),
)  # fmt: skip

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
    *CLASSES,
)
# --8<-- [end:table]


def find(slug: str) -> Experiment:
    """The experiment named `slug`; a SettingError listing the slugs there are if none is."""
    for e in EXPERIMENTS:
        if e.slug == slug:
            return e
    raise SettingError("slug", slug, f"one of {', '.join(e.slug for e in EXPERIMENTS)}")
