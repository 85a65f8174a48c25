"""A job's figures as encoded files: the worker side of the asset build."""

from functools import cache, lru_cache

from sgd_lib.assets import SHARED, Job
from sgd_lib.data import Data, make_data
from sgd_lib.encode import gif_bytes, png_bytes, to_image
from sgd_lib.experiments import SWEEP_BATCH_SIZE, SWEEP_LR, DataSpec, Experiment
from sgd_lib.render_fit import animate_fit
from sgd_lib.render_linked import animate_linked
from sgd_lib.render_plots import plot_compare, plot_data, plot_loss, plot_paths
from sgd_lib.theme import THEMES
from sgd_lib.training import History, summary, train

Encoded = tuple[bytes, tuple[int, int], int]  # file bytes, (width, height), frame count


@cache
def data_for(spec: DataSpec) -> Data:
    return make_data(spec)


@lru_cache(maxsize=64)
def history(e: Experiment) -> History:
    # A worker may draw one run for several figures: train it once.
    return train(data_for(e.data), e)


def gif(animation) -> Encoded:
    payload = gif_bytes(animation.frames, animation.palette, animation.durations_ms)
    h, w = animation.frames[0].shape
    return payload, (w, h), len(animation.frames)


def png(image) -> Encoded:
    return png_bytes(image), image.size, 1


def render(job: Job) -> tuple[list[Encoded], dict | None]:
    """The job's files, in the order of job.files(), and an experiment's results."""
    data = data_for(job.data)
    runs = [history(e) for e in job.runs]
    title = SHARED.get(job.figure, (None, ""))[1].format(bs=SWEEP_BATCH_SIZE, lr=SWEEP_LR)
    out: list[Encoded] = []
    for theme in THEMES:
        if job.figure == "run":
            animation = animate_fit(runs[0], data, theme)
            poster = to_image(animation.frames[-1], animation.palette)
            out += [gif(animation), png(poster), png(plot_loss(runs[0], theme))]
        elif job.figure == "linked":
            animation = animate_linked(runs[0], data, theme)
            out += [gif(animation), png(to_image(animation.frames[-1], animation.palette))]
        elif job.figure in ("data", "guess"):
            out.append(png(plot_data(data, theme, guess=job.figure == "guess")))
        elif job.figure == "paths":
            out.append(png(plot_paths(runs, data, theme)))
        else:
            by = {"compare-lr": "lr", "compare-examples": "examples"}.get(job.figure, "batch")
            out.append(png(plot_compare(runs, theme, title, by)))
    return out, summary(runs[0], data) if job.figure == "run" else None
