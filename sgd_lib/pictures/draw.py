"""How each of the lesson's figures is drawn, one function per figure of the registry
(sgd_lib.pictures.figures): f(job, theme, title) -> its files in one theme, in order."""

import json
import math
from functools import lru_cache

from sgd_lib.lesson import loss_study
from sgd_lib.lesson.experiments import ClassSpec, Experiment
from sgd_lib.lesson.logistic import cross_entropy, minimiser
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.protocols import PROTOCOLS
from sgd_lib.lesson.selections import JITTER_LRS, SWEEP_LR
from sgd_lib.lesson.studies import Study
from sgd_lib.lesson.training import summary, train
from sgd_lib.lesson.tuning import grids_from
from sgd_lib.pictures import (
    optimizer_facts,
    render_bands,
    render_losses,
    render_optimizers,
    render_race,
    render_studies,
    render_tuning,
)
from sgd_lib.pictures.animate import Animation
from sgd_lib.pictures.encode import recolour_gif, to_image
from sgd_lib.pictures.figures import Job
from sgd_lib.pictures.render_bands import plot_bands, plot_jitter
from sgd_lib.pictures.render_classes import animate_class_thumb, animate_classes
from sgd_lib.pictures.render_fit import animate_fit
from sgd_lib.pictures.render_grid import animate_grid, animate_thumb
from sgd_lib.pictures.render_linked import animate_linked
from sgd_lib.pictures.render_plots import plot_data, plot_loss, plot_paths
from sgd_lib.pictures.render_studies import plot_floor, plot_lr_range, plot_uniform
from sgd_lib.pictures.runs import Encoded, data_for, gif, history, png, study
from sgd_lib.pictures.theme import THEMES

# An animation is drawn once, in the first theme; the others get its pixels in their own
# colours (the schemes differ in nothing else), and the GIF only a new palette: half the
# work of every animation. Kept by (job, kind) for the job's other themes.
_DRAWN: dict[tuple, tuple[Animation, Encoded]] = {}


def animation_files(job: Job, kind: str, make, theme, runs) -> list[Encoded]:
    """The GIF, then the poster (the last frame), of the animation `make(theme)` draws."""
    if (job, kind) not in _DRAWN:
        for key in [key for key in _DRAWN if key[0] != job]:  # a job's themes are drawn one
            del _DRAWN[key]  # after another: only the job's own animations are kept
        animation = make(THEMES[0])
        _DRAWN[job, kind] = animation, gif(animation, runs)
    animation, first = _DRAWN[job, kind]
    if theme.name != THEMES[0].name:
        animation = animation.in_theme(theme.name)
        first = first._replace(payload=recolour_gif(first.payload, animation.palette))
    return [first, png(to_image(animation.frames[-1], animation.palette), animation.text_px)]


def draw_run(job: Job, theme, title: str) -> list[Encoded]:
    """An experiment's animation and poster, its thumbnail and poster if its figure makes
    them, and its loss plot."""
    e = job.runs[0]
    h = history(e)
    data = data_for(e.data)
    # The problem's own picture of a fit: a line over the points, or p(x) over the classes
    animate = animate_classes if PROBLEMS[e.problem].model == "probability" else animate_fit
    out = animation_files(job, "fit", lambda t: animate(h, data, t), theme, [h])
    if any(kind == "thumb" for kind, _ in job.spec.files):
        thumb = animate_class_thumb if animate is animate_classes else animate_thumb
        out += animation_files(job, "thumb", lambda t: thumb(h, data, t), theme, [h])
    return [*out, png(plot_loss(h, theme, study(e)))]


def draw_linked(job: Job, theme, title: str) -> list[Encoded]:
    h = history(job.runs[0])
    make = lambda t: animate_linked(h, data_for(job.data), t)  # noqa: E731
    return animation_files(job, "linked", make, theme, [h])


def draw_grid(job: Job, theme, title: str) -> list[Encoded]:
    runs = [history(e) for e in job.runs]
    make = lambda t: animate_grid(runs, data_for(job.data), t, title, job.spec.frames)  # noqa: E731
    return animation_files(job, "grid", make, theme, runs)


def draw_data(job: Job, theme, title: str) -> list[Encoded]:
    return [png(plot_data(data_for(job.data), theme, guess=job.figure == "guess"))]


def draw_uniform(job: Job, theme, title: str) -> list[Encoded]:
    return [png(plot_uniform(theme))]


def draw_floor(job: Job, theme, title: str) -> list[Encoded]:
    return [png(plot_floor(data_for(job.data), theme))]


def draw_lr_range(job: Job, theme, title: str) -> list[Encoded]:
    return [png(plot_lr_range(data_for(job.data), theme))]


def draw_paths(job: Job, theme, title: str) -> list[Encoded]:
    return [png(plot_paths([history(e) for e in job.runs], data_for(job.data), theme))]


def draw_jitter(job: Job, theme, title: str) -> list[Encoded]:
    data = data_for(job.data)
    gd = train(data, Experiment(lr=SWEEP_LR, data=job.data))
    distance = summary(gd, data)["distance"]
    return [png(plot_jitter(jitter_studies(job), distance, theme))]


# What each comparison's bands are drawn against.
BANDS_BY = {"compare-lr": "lr", "compare-examples": "examples", "samplers": "sampler",
            "optimizers-bands": "optimizer", "bands-tuned-16": "optimizer",
            "classes-compare-lr": "lr",
            "bands-tuned-1": "optimizer"}  # fmt: skip


def draw_bands(job: Job, theme, title: str) -> list[Encoded]:
    by = BANDS_BY.get(job.figure, "batch")
    # The optimizers jitter at the same loss but not at the same distance from the answer.
    distance = by == "optimizer"
    return [png(plot_bands([study(e) for e in job.runs], theme, title, by, distance))]


def draw_nothing(job: Job, theme, title: str) -> list[Encoded]:
    return []  # a figure that only computes numbers for the pages


def jitter_studies(job: Job) -> dict[float, list[Study]]:
    by_lr = {lr: [study(e) for e in job.runs if e.lr == lr] for lr in JITTER_LRS}
    return {lr: studies for lr, studies in by_lr.items() if studies}  # a table may lack one


# The named numbers the shared figures compute for the pages: f(job) -> dict.
def lr_range_facts(job: Job) -> dict:
    return render_studies.lr_range_facts(data_for(job.data))


def floor_facts(job: Job) -> dict:
    return render_studies.floor_facts(data_for(job.data))


def uniform_facts(job: Job) -> dict:
    return render_studies.uniform_facts()


def jitter_facts(job: Job) -> dict:
    return render_bands.jitter_facts(jitter_studies(job))


def sampler_facts(job: Job) -> dict:
    return render_bands.sampler_facts([study(e) for e in job.runs])


def gd_facts(job: Job) -> dict:
    gd, *long = job.runs
    return render_studies.gd_facts(data_for(job.data), gd, study(long[0]) if long else None)


# ---- beyond SGD ----------------------------------------------------------------------------


def draw_race(job: Job, theme, title: str) -> list[Encoded]:
    runs = [history(e) for e in job.runs]
    data = data_for(job.data)
    spec = job.spec
    make = lambda t: render_race.animate_race(runs, data, t, title, spec.frames, spec.until)  # noqa: E731
    return animation_files(job, "race", make, theme, runs)


def draw_race_loss(job: Job, theme, title: str) -> list[Encoded]:
    runs = [history(e) for e in job.runs]
    return [png(render_optimizers.plot_race_loss(runs, data_for(job.data), theme, title))]


def draw_schedules(job: Job, theme, title: str) -> list[Encoded]:
    studies = [study(e) for e in job.runs]
    return [png(render_optimizers.plot_schedules(studies, theme, title))]


def _by_data(job: Job) -> list[tuple]:
    specs = list(dict.fromkeys(e.data for e in job.runs))
    return [(data_for(d), [history(e) for e in job.runs if e.data == d]) for d in specs]


def draw_conditioning(job: Job, theme, title: str) -> list[Encoded]:
    return [png(render_optimizers.plot_conditioning(_by_data(job), theme, title))]


def race_facts(job: Job) -> dict:
    return optimizer_facts.race_facts([history(e) for e in job.runs], data_for(job.data))


def schedule_facts(job: Job) -> dict:
    return optimizer_facts.schedule_facts([study(e) for e in job.runs])


def minibatch_facts(job: Job) -> dict:
    return optimizer_facts.minibatch_facts([study(e) for e in job.runs])


def conditioning_facts(job: Job) -> dict:
    """Each data setting's Hessian, and how long gradient descent takes to its floor there."""
    out = {}
    for data, runs in _by_data(job):
        spec = data.spec
        prefix = "standardised_" if spec.scaled else "centred_" if spec.centred else "ill_"
        out |= optimizer_facts.hessian_facts(data, prefix)
        gd = next(h for h in runs if h.experiment.optimizer == "sgd")
        floor = optimizer_facts.race_facts([gd], data)
        out |= {f"{prefix}gd_updates": floor["sgd_updates"], f"{prefix}gd_lr": gd.experiment.lr,
                f"{prefix}gd_distance": floor["sgd_distance"],
                f"{prefix}steps": gd.steps_run,
                f"{prefix}gd_distance_1": floor["sgd_distance_1"]}  # fmt: skip
    return out


# ---- fair races ----------------------------------------------------------------------------


def _protocol(job: Job):
    """The job's protocol and its grids, as the tuning stage recorded them."""
    protocol = PROTOCOLS[job.spec.protocol]
    return protocol, grids_from(json.loads(job.record), protocol)


def draw_tuning(job: Job, theme, title: str) -> list[Encoded]:
    protocol, grids = _protocol(job)
    data = data_for(protocol.data)
    return [png(render_tuning.plot_tuning(grids, protocol, data, theme, title))]


def tuning_facts(job: Job) -> dict:
    protocol, grids = _protocol(job)
    fine = json.loads(job.record).get("fine")
    return render_tuning.tuning_facts(grids, protocol, data_for(protocol.data), fine)


def draw_theory(job: Job, theme, title: str) -> list[Encoded]:
    return [png(render_tuning.plot_theory(_by_data(job), theme))]


def theory_facts(job: Job) -> dict:
    return render_tuning.theory_facts(_by_data(job))


# ---- classification ------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _loss_study() -> dict:
    """The MSE-against-cross-entropy study: run once per worker, for its pictures and facts."""
    return loss_study.run_study()


def draw_losses(job: Job, theme, title: str) -> list[Encoded]:
    data = data_for(job.data)
    outcomes = _loss_study()
    return [png(render_losses.plot_losses_map(data, outcomes, theme)),
            png(render_losses.plot_starts(outcomes, theme))]  # fmt: skip


def losses_facts(job: Job) -> dict:
    return render_losses.losses_facts(data_for(job.data), _loss_study())


def draw_separable(job: Job, theme, title: str) -> list[Encoded]:
    runs = [history(e) for e in job.runs]
    return [png(render_losses.plot_separable(runs, data_for(job.data), theme))]


def separable_facts(job: Job) -> dict:
    return render_losses.separable_facts([history(e) for e in job.runs], data_for(job.data))


def classes_facts(job: Job) -> dict:
    """The overlapping classes' minimiser and Hessian; gradient descent at each rate (to 1%
    of the floor, and how often its loss rose by more than float32's rounding); Newton's
    correct digits, update by update."""
    data = data_for(job.data)
    out = render_losses.classes_facts(data, data_for(ClassSpec(separable=True)))
    best = minimiser(data.x, data.y)
    floor = cross_entropy(data.x.double() @ best, data.y.double()).item()  # unrounded
    for e in job.runs:
        h = history(e)
        if e.optimizer == "newton":
            gaps = (h.params.double() - best).norm(dim=1) / best.norm()
            for t, gap in enumerate(gaps.tolist()[1:8], start=1):
                out[f"newton_digits_{t}"] = round(-math.log10(gap), 2) if gap > 0 else None
            continue
        close = ((h.loss.double() - floor) <= out["close_pct"] / 100 * floor).nonzero()
        # rises of the loss beyond float32's rounding of it (a part in a million)
        rises = (h.loss[1:] > h.loss[:-1] * (1 + 1e-6)).sum().item()
        key = f"gd{e.lr:g}".replace(".", "_")
        out |= {f"{key}_updates": int(close[0]) if len(close) else None, f"{key}_rises": rises}
    return out
