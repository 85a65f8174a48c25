"""A job's figures as encoded files: the worker side of the asset build."""

from functools import cache, lru_cache
from typing import NamedTuple

import torch

from sgd_lib.assets import GRIDS, SHARED, Job
from sgd_lib.data import Data, make_data
from sgd_lib.encode import gif_bytes, png_bytes, to_image
from sgd_lib.experiments import JITTER_LRS, SWEEP_BATCH_SIZE, SWEEP_LR, DataSpec, Experiment
from sgd_lib.render_fit import animate_fit, readout
from sgd_lib.render_grid import animate_grid, animate_thumb
from sgd_lib.render_linked import animate_linked
from sgd_lib.render_plots import plot_data, plot_loss, plot_paths
from sgd_lib.render_studies import (
    floor_facts,
    gd_facts,
    jitter_facts,
    lr_range_facts,
    plot_bands,
    plot_floor,
    plot_jitter,
    plot_lr_range,
    plot_uniform,
    sampler_facts,
    uniform_facts,
)
from sgd_lib.studies import Study, statistics, train_many, typical_experiment
from sgd_lib.theme import THEMES
from sgd_lib.training import History, summary, train


class Encoded(NamedTuple):
    payload: bytes
    size: tuple[int, int]  # width, height
    frames: int
    steps: list[int]  # the training step each frame shows; [] for a still
    mse: list[list[str]]  # per frame, each drawn run's MSE at that step (or its end), as shown


# The tensors here are tiny: a second thread per process only contends with the other
# workers for the same cores (a two-worker build ran twice as slow as one process).
torch.set_num_threads(1)


@cache
def data_for(spec: DataSpec) -> Data:
    return make_data(spec)


@lru_cache(maxsize=64)
def study(e: Experiment) -> Study:
    # A worker may need a setting's seeds for several figures: train them once.
    return train_many(data_for(e.data), e)


@lru_cache(maxsize=64)
def history(e: Experiment) -> History:
    """The run a figure draws for a setting: its typical seed (SEED_RULE), when the setting
    has many seeds; the lesson's loop trains it."""
    animated = typical_experiment(study(e)) if e.seeds > 1 else e
    return train(data_for(e.data), animated)


def gif(animation, runs: list[History]) -> Encoded:
    """The animation's GIF, and what the player needs to know of each frame."""
    payload = gif_bytes(animation.frames, animation.palette, animation.durations_ms)
    h, w = animation.frames[0].shape
    # The MSE as the GIF's own readout writes it: the player's words match the picture's.
    mse = [[readout(h, min(t, h.steps_run))[1].removeprefix("MSE ") for h in runs]
           for t in animation.steps]  # fmt: skip
    return Encoded(payload, (w, h), len(animation.frames), list(animation.steps), mse)


def png(image) -> Encoded:
    return Encoded(png_bytes(image), image.size, 1, [], [])


def facts(job: Job, data: Data) -> dict | None:
    """The named numbers a shared job computes for the pages, if it computes any."""
    if job.figure == "lr-range":
        return lr_range_facts(data)
    if job.figure == "floor":
        return floor_facts(data)
    if job.figure == "data-uniform":
        return uniform_facts()
    if job.figure == "jitter":
        return jitter_facts(jitter_studies(job))
    if job.figure == "samplers":
        return sampler_facts([study(e) for e in job.runs])
    if job.figure == "numbers":
        gd, *long = job.runs
        return gd_facts(data, gd, study(long[0]) if long else None)
    return None


def jitter_studies(job: Job) -> dict[float, list[Study]]:
    by_lr = {lr: [study(e) for e in job.runs if e.lr == lr] for lr in JITTER_LRS}
    return {lr: studies for lr, studies in by_lr.items() if studies}  # a table may lack one


def render(job: Job) -> tuple[list[Encoded], dict | None]:
    """The job's files, in the order of job.files(), and its results: an experiment's
    summary and statistics, or a shared job's facts."""
    data = data_for(job.data)
    title = SHARED.get(job.figure, (None, ""))[1].format(bs=SWEEP_BATCH_SIZE, lr=SWEEP_LR)
    out: list[Encoded] = []
    for theme in THEMES:
        if job.figure == "run":
            h = history(job.runs[0])
            for animation in (animate_fit(h, data, theme), animate_thumb(h, data, theme)):
                poster = to_image(animation.frames[-1], animation.palette)
                out += [gif(animation, [h]), png(poster)]
            out.append(png(plot_loss(h, theme, study(job.runs[0]))))
        elif job.figure == "linked":
            h = history(job.runs[0])
            animation = animate_linked(h, data, theme)
            out += [gif(animation, [h]), png(to_image(animation.frames[-1], animation.palette))]
        elif job.figure in GRIDS:
            runs = [history(e) for e in job.runs]
            animation = animate_grid(runs, data, theme, title, GRIDS[job.figure])
            poster = to_image(animation.frames[-1], animation.palette)
            out += [gif(animation, runs), png(poster)]
        elif job.figure in ("data", "guess"):
            out.append(png(plot_data(data, theme, guess=job.figure == "guess")))
        elif job.figure == "data-uniform":
            out.append(png(plot_uniform(theme)))
        elif job.figure == "floor":
            out.append(png(plot_floor(data, theme)))
        elif job.figure == "lr-range":
            out.append(png(plot_lr_range(data, theme)))
        elif job.figure == "jitter":
            gd = train(data, Experiment(lr=SWEEP_LR, data=job.data))
            distance = summary(gd, data)["distance"]
            out.append(png(plot_jitter(jitter_studies(job), distance, theme)))
        elif job.figure == "paths":
            out.append(png(plot_paths([history(e) for e in job.runs], data, theme)))
        elif job.figure != "numbers":
            by = {"compare-lr": "lr", "compare-examples": "examples", "samplers": "sampler"}.get(
                job.figure, "batch"
            )
            out.append(png(plot_bands([study(e) for e in job.runs], theme, title, by)))
    if job.figure == "run":
        e = job.runs[0]
        return out, summary(history(e), data) | statistics(study(e))
    return out, facts(job, data)
