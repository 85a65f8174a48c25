"""What the figures draw, trained once per worker process, and how a drawing becomes a file."""

from functools import cache, lru_cache
from typing import NamedTuple

import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.experiments import ClassSpec, DataSpec, Experiment
from sgd_lib.lesson.problems import make
from sgd_lib.lesson.studies import Study, train_many, typical_experiment
from sgd_lib.lesson.training import History, train
from sgd_lib.pictures.encode import gif_bytes, png_bytes
from sgd_lib.pictures.render_fit import readout

# The tensors here are tiny: a second thread per process only contends with the other
# workers for the same cores (a two-worker build ran twice as slow as one process).
torch.set_num_threads(1)


class Encoded(NamedTuple):
    payload: bytes
    size: tuple[int, int]  # width, height
    frames: int
    steps: list[int]  # the training step each frame shows; [] for a still
    mse: list[list[str]]  # per frame, each drawn run's MSE at that step (or its end), as shown
    text_px: float | None = None  # the smallest text it shows, in pixels; None: no text


@cache
def data_for(spec: DataSpec | ClassSpec) -> Data:
    return make(spec)


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
    # The loss as the GIF's own readout writes it (its name left to the player): the
    # player's words match the picture's.
    mse = [[readout(h, min(t, h.steps_run))[1].split(" ", 1)[1] for h in runs]
           for t in animation.steps]  # fmt: skip
    return Encoded(payload, (w, h), len(animation.frames), list(animation.steps), mse,
                   animation.text_px)  # fmt: skip


def png(image, text_px: float | None = None) -> Encoded:
    """A still; its smallest text as `draw` recorded it, unless given (an animation's poster)."""
    return Encoded(png_bytes(image), image.size, 1, [], [], text_px or image.info.get("text_px"))
