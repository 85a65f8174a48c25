"""The figures: each one declaration of which runs it draws, which files it makes and how it is
rendered. The asset build plans its jobs from this registry and the worker renders them
through it; nothing else names a figure.

Torch-free: the asset build decides what is stale from this module without importing torch or
matplotlib. `render` and `facts` name their functions as "module:function" and are imported
only in the process that renders.
"""

import dataclasses
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from sgd_lib.lesson.experiments import EXPERIMENTS, DataSpec, Experiment
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.protocols import GRIDS, PROTOCOLS
from sgd_lib.lesson.selections import (
    CLASS_SWEEP_LR,
    SWEEP_BATCH_SIZE,
    SWEEP_LR,
    bs_sweep,
    class_bs_sweep,
    class_gd,
    class_grid,
    class_lr_sweep,
    class_race,
    conditioning_runs,
    gradient_descent,
    ill_runs,
    is_lesson,
    jitter_runs,
    lesson,
    lr_sweep,
    minibatch_optimizer_runs,
    numbers_runs,
    optimizer_runs,
    path_runs,
    sampler_runs,
    schedule_runs,
    separable_runs,
)
from sgd_lib.pictures.theme import THEMES

# A figure's files, as (kind, extension) per theme; kind None is the figure itself, named
# NAME-THEME.EXT, any other kind NAME-KIND-THEME.EXT.
ANIMATION = ((None, "gif"), ("poster", "png"))  # the GIF and its poster
STILL = ((None, "png"),)


@dataclass(frozen=True)
class Figure:
    """One figure of the site, in every theme."""

    name: str  # the files' stem: NAME-THEME.EXT (or NAME-KIND-THEME.EXT)
    draws: Callable[[tuple[Experiment, ...]], tuple[Experiment, ...]]  # its runs, from the table
    render: str  # "module:function": f(job, theme, title) -> its files (Encoded), in `files` order
    files: tuple[tuple[str | None, str], ...] = STILL  # (kind, extension), as above
    title: str = ""  # "{bs}" and "{lr}" are the sweeps' batch size and learning rate
    facts: str | None = None  # "module:function": f(job) -> the named numbers it computes
    per_run: bool = False  # one job per experiment of the table (its slug names the files)
    frames: int | None = None  # a grid's clock: at most this many frames (None: the first run's)
    protocol: str | None = None  # the tuning protocol (lesson.protocols) whose record it draws
    until: int | None = None  # an animation's clock stops at this update (None: at the end)

    def titled(self) -> str:
        return self.title.format(bs=SWEEP_BATCH_SIZE, lr=SWEEP_LR)


def _none(table):
    return ()


def _gd(table):
    return (gradient_descent(table),)


def _picked(protocol: str, *picked: str):
    """The runs of a tuning protocol's setting that `picked` chose (by default "tuned")."""
    picked = picked or ("tuned",)
    return lambda table: tuple(e for p in picked for e in PROTOCOLS[protocol].runs(table, p))


def _tuned_race(protocol: str, same_lr_race):
    """Each first-order method at its tuned setting, and the methods the protocol does not
    tune (Newton, CG, L-BFGS) as the same-lr race runs them; none if nothing was tuned."""

    def draws(table):
        tuned = PROTOCOLS[protocol].runs(table)
        if not tuned:
            return ()
        rest = [e for e in same_lr_race(table) if e.optimizer not in GRIDS]
        return tuple(sorted([*tuned, *rest], key=lambda e: list(OPTIMIZERS).index(e.optimizer)))

    return draws


def _theory(table):
    return _picked("full-lesson", "theory")(table) + _picked("full-moved", "theory")(table)


_DRAW = "sgd_lib.pictures.draw"  # the drawing functions of the figures below
# Every run of the table: its animation and poster, and its loss plot; the lesson's runs and
# the classes' (SGD at a constant rate) also a thumbnail and its poster, for the every-run
# page.
RUN = Figure(
    "run",
    lambda table: lesson(table) + class_grid(table),
    f"{_DRAW}:draw_run",
    (("fit", "gif"), ("poster", "png"), ("thumb", "gif"), ("thumb-poster", "png"), ("loss", "png")),
    per_run=True,
)
RUN_OTHER = Figure(
    "run-other",
    lambda table: tuple(e for e in table if not is_lesson(e) and e not in class_grid(table)),
    f"{_DRAW}:draw_run",
    (("fit", "gif"), ("poster", "png"), ("loss", "png")),
    per_run=True,
)  # fmt: skip
FIGURES = {
    f.name: f
    for f in (
        RUN,
        RUN_OTHER,
        # Runs side by side on one clock. Seven panels of batch rings cost ~3.6 KB a frame:
        # the batch-size grid shows every other update, to open fast on a phone.
        Figure("grid-lr", lr_sweep, f"{_DRAW}:draw_grid", ANIMATION,
               "learning rates, batch size {bs}"),
        Figure("grid-bs", bs_sweep, f"{_DRAW}:draw_grid", ANIMATION, "batch sizes, lr {lr:g}",
               frames=51),
        Figure("grid-gd-sgd", path_runs, f"{_DRAW}:draw_grid", ANIMATION,
               "gradient descent and SGD, lr {lr:g}"),
        Figure("compare-lr", lr_sweep, f"{_DRAW}:draw_bands",
               title="learning rates, batch size {bs}"),
        Figure("compare-bs", bs_sweep, f"{_DRAW}:draw_bands", title="batch sizes, lr {lr:g}"),
        Figure("compare-examples", bs_sweep, f"{_DRAW}:draw_bands",
               title="batch sizes, lr {lr:g}: the cost in examples"),
        Figure("compare-gd-sgd", path_runs, f"{_DRAW}:draw_bands",
               title="gradient descent and SGD, lr {lr:g}"),
        Figure("paths", path_runs, f"{_DRAW}:draw_paths"),
        Figure("linked", _gd, f"{_DRAW}:draw_linked", ANIMATION),
        Figure("data", _none, f"{_DRAW}:draw_data"),
        Figure("guess", _none, f"{_DRAW}:draw_data"),
        Figure("data-uniform", _none, f"{_DRAW}:draw_uniform",
               facts=f"{_DRAW}:uniform_facts"),
        Figure("floor", _none, f"{_DRAW}:draw_floor", facts=f"{_DRAW}:floor_facts"),
        Figure("lr-range", _gd, f"{_DRAW}:draw_lr_range",
               facts=f"{_DRAW}:lr_range_facts"),
        Figure("jitter", jitter_runs, f"{_DRAW}:draw_jitter",
               facts=f"{_DRAW}:jitter_facts"),
        Figure("numbers", numbers_runs, f"{_DRAW}:draw_nothing", (), facts=f"{_DRAW}:gd_facts"),
        Figure("samplers", sampler_runs, f"{_DRAW}:draw_bands",
               title="random batches and epochs, lr {lr:g}", facts=f"{_DRAW}:sampler_facts"),
        # Beyond SGD: the optimizers on the same line.
        # Every fourth update: this GIF is in the first view of the momentum and adaptive
        # pages, which must stay under 500 KB (make audit); the loss plot has every update.
        Figure("race", optimizer_runs, f"{_DRAW}:draw_race", ANIMATION,
               "every optimizer, full batch", facts=f"{_DRAW}:race_facts", frames=26),
        Figure("race-loss", optimizer_runs, f"{_DRAW}:draw_race_loss",
               title="every optimizer, full batch"),
        Figure("optimizers-bands", minibatch_optimizer_runs, f"{_DRAW}:draw_bands",
               title="optimizers at batch size {bs}, lr {lr:g}",
               facts=f"{_DRAW}:minibatch_facts"),
        Figure("race-ill", ill_runs, f"{_DRAW}:draw_race", ANIMATION,
               "every optimizer, full batch, x moved off 0", facts=f"{_DRAW}:race_facts"),
        Figure("race-ill-loss", ill_runs, f"{_DRAW}:draw_race_loss",
               title="every optimizer, full batch, x moved off 0"),
        # Fair races: every first-order method at its own best (sgd_lib.lesson.protocols).
        *(Figure(f"tuning-{name}", _picked(name), f"{_DRAW}:draw_tuning",
                 title=f"tuning: {p.title}", facts=f"{_DRAW}:tuning_facts", protocol=name)
          for name, p in PROTOCOLS.items()),
        # Tuned, every method is within 1% of the floor by update 14 of the lesson's bowl: the
        # animation shows the first 25 updates one by one (the other 75 hold still, and would
        # cost the page more in the player's data than the GIF).
        Figure("race-tuned", _tuned_race("full-lesson", optimizer_runs), f"{_DRAW}:draw_race",
               ANIMATION, "every optimizer at its tuned setting, full batch",
               facts=f"{_DRAW}:race_facts", frames=26, until=25),
        Figure("race-tuned-loss", _tuned_race("full-lesson", optimizer_runs),
               f"{_DRAW}:draw_race_loss", title="every optimizer at its tuned setting"),
        # On the valley the slowest tuned methods are at the floor by update 700 or so of the
        # 2000: the animation shows the first 900, every 30th.
        Figure("race-ill-tuned", _tuned_race("full-moved", ill_runs), f"{_DRAW}:draw_race",
               ANIMATION, "at tuned settings, x moved off 0", facts=f"{_DRAW}:race_facts",
               frames=31, until=900),
        Figure("race-ill-tuned-loss", _tuned_race("full-moved", ill_runs),
               f"{_DRAW}:draw_race_loss", title="at tuned settings, x moved off 0"),
        Figure("theory", _theory, f"{_DRAW}:draw_theory", facts=f"{_DRAW}:theory_facts"),
        *(Figure(f"bands-tuned-{PROTOCOLS[name].batch_size}",
                 _picked(name, "tuned", "same-step"), f"{_DRAW}:draw_bands",
                 title=f"tuned optimizers, {PROTOCOLS[name].title}",
                 facts=f"{_DRAW}:minibatch_facts")
          for name in ("batch-16", "batch-1")),
        Figure("conditioning", conditioning_runs, f"{_DRAW}:draw_conditioning",
               title="the same points, three ways to measure x",
               facts=f"{_DRAW}:conditioning_facts"),
        Figure("schedules", schedule_runs, f"{_DRAW}:draw_schedules",
               title="learning-rate schedules",
               facts=f"{_DRAW}:schedule_facts"),
        # Classification: the same loop on two classes, by the cross-entropy.
        Figure("classes", class_gd, f"{_DRAW}:draw_nothing", (),
               facts=f"{_DRAW}:classes_facts"),
        Figure("classes-grid-lr", class_lr_sweep, f"{_DRAW}:draw_grid", ANIMATION,
               "classes: learning rates, batch size {bs}"),
        Figure("classes-grid-bs", class_bs_sweep, f"{_DRAW}:draw_grid", ANIMATION,
               f"classes: batch sizes, lr {CLASS_SWEEP_LR:g}"),
        Figure("classes-compare-lr", class_lr_sweep, f"{_DRAW}:draw_bands",
               title="classes: learning rates, batch size {bs}"),
        Figure("classes-compare-bs", class_bs_sweep, f"{_DRAW}:draw_bands",
               title=f"classes: batch sizes, lr {CLASS_SWEEP_LR:g}"),
        Figure("classes-race", class_race, f"{_DRAW}:draw_race", ANIMATION,
               "every optimizer on the classes, full batch", frames=51),
        Figure("classes-race-loss", class_race, f"{_DRAW}:draw_race_loss",
               title="every optimizer on the classes, full batch"),
        Figure("losses", class_gd, f"{_DRAW}:draw_losses", (("map", "png"), ("starts", "png")),
               facts=f"{_DRAW}:losses_facts"),
        Figure("separable", separable_runs, f"{_DRAW}:draw_separable",
               facts=f"{_DRAW}:separable_facts"),
    )
}  # fmt: skip


@dataclass(frozen=True)
class Job:
    """One unit of work: `figure` drawn from `runs` in every theme."""

    figure: str  # a name in FIGURES
    slug: str  # the experiment's slug for a per-run figure, else the figure's name
    runs: tuple[Experiment, ...]
    data: DataSpec
    # A tuning figure's record of its protocol, as JSON: what the build's tuning stage
    # measured (sgd_lib.site.tuning_stage), drawn as it was recorded, never trained again.
    record: str = ""

    @property
    def spec(self) -> Figure:
        return FIGURES[self.figure]

    def files(self) -> list[tuple[str, str, str]]:
        """(file name, kind, theme) of everything this job writes."""
        out = []
        for theme in THEMES:
            for kind, ext in self.spec.files:
                stem = self.slug if kind is None else f"{self.slug}-{kind}"
                out.append((f"{stem}-{theme.name}.{ext}", kind or self.figure, theme.name))
        return out

    def key(self, code: str) -> str:
        settings = {
            "figure": self.figure,
            "slug": self.slug,
            "runs": [dataclasses.asdict(e) for e in self.runs],
            "data": dataclasses.asdict(self.data),
            "code": code,
        }
        return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def plan(table: tuple[Experiment, ...] = EXPERIMENTS, tuning: dict | None = None) -> list[Job]:
    """Every job of the site: one per experiment, then the shared figures. A shared figure's
    data is its runs' (the table's first, if it draws none by design); a figure that draws
    runs the table does not have is left out (a smaller table, as in the tests), and so is a
    tuning figure whose protocol `tuning` (the stage's records, by protocol) has no record."""
    jobs = []
    for f in FIGURES.values():
        runs = tuple(f.draws(table))
        if f.per_run:
            jobs += [Job(f.name, e.slug, (e,), e.data) for e in runs]
        elif f.protocol:
            if runs and f.protocol in (tuning or {}):
                record = json.dumps(tuning[f.protocol], sort_keys=True)
                jobs.append(Job(f.name, f.name, runs, runs[0].data, record))
        elif runs or f.draws is _none:
            jobs.append(Job(f.name, f.name, runs, (runs or table)[0].data))
    return jobs
