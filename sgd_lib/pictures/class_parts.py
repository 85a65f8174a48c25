"""The classes' still parts, shared by every figure that draws them (the fit, the grids,
the race, the thumbnails): the points at 0 and 1 and the probability curve p(x)."""

import numpy as np
import torch
from matplotlib.axes import Axes

from sgd_lib.lesson.data import Data
from sgd_lib.pictures.render_fit import X_VIEW

__all__ = ["CURVE_X", "X_VIEW", "draw_classes", "probability"]
from sgd_lib.pictures.theme import Theme

CURVE_X = np.linspace(*X_VIEW, 121)  # where p(x) is drawn


def probability(a: torch.Tensor) -> np.ndarray:
    slope, intercept = a.tolist()
    return 1 / (1 + np.exp(-np.clip(slope * CURVE_X + intercept, -60, 60)))


def draw_classes(ax: Axes, data: Data, theme: Theme, s: float = 22) -> None:
    """The points at 0 and 1: class 1 filled circles, class 0 squares, each its colour."""
    x, y = data.x[:, 0].numpy(), data.y.numpy()
    ones = y == 1
    ax.scatter(x[ones], y[ones], s=s, color=theme.data, label="class 1", zorder=2)
    ax.scatter(x[~ones], y[~ones], s=s, marker="s", color=theme.truth, label="class 0", zorder=2)
    slope, intercept = data.spec.a_true
    true_p = 1 / (1 + np.exp(-(slope * CURVE_X + intercept)))
    if data.spec.separable:  # the labels are the true decision: a step at its threshold
        true_p = (slope * CURVE_X + intercept > 0).astype(float)
    ax.plot(CURVE_X, true_p, color=theme.truth, lw=1.2, ls="--", label="true p(x)", zorder=1)
