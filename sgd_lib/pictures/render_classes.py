"""The classification fit, animated: the points at 0 and 1 by class, the probability curve
p(x) = sigmoid(slope·x + intercept) and its threshold p = 1/2, beside the path over the
cross-entropy's contours. And the loss surfaces the classification page draws."""

import numpy as np
import torch
from matplotlib.axes import Axes

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import A0, History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
from sgd_lib.pictures.class_parts import CURVE_X, draw_classes, probability
from sgd_lib.pictures.render_fit import (
    X_VIEW,
    batch_xy,
    divergence_note,
    durations,
    frame_steps,
    mark_batches,
    readout,
    settings_label,
)
from sgd_lib.pictures.render_grid import TEXT_PT, THUMB_SIZE, THUMB_STEPS
from sgd_lib.pictures.theme import Theme, schemes

CLASSES_SIZE = (640, 560)  # as the linked view: a phone shows it whole
Y_VIEW = (-0.12, 1.62)  # the classes at 0 and 1, room above for the legend


def surface(loss, x: torch.Tensor, y: torch.Tensor, slopes, intercepts) -> np.ndarray:
    """`loss` (of log-odds and labels, the mean over the last axis) at every (slope,
    intercept) of a grid: (len(intercepts), len(slopes)), float64."""
    a = torch.stack(torch.meshgrid(slopes, intercepts, indexing="xy"), dim=-1).double()
    return loss(a @ x.double().T, y.double()).numpy()


def view(points: np.ndarray, aspect: float, pad: float = 0.12) -> tuple[tuple, tuple]:
    """Slope and intercept limits that hold `points` (k, 2), with equal units on both axes
    (the contours keep their true shape) and the panel's `aspect` (height / width) filled."""
    lo, hi = points.min(0), points.max(0)
    span = hi - lo
    lo, hi = lo - pad * span - 0.5, hi + pad * span + 0.5
    w, h = hi - lo
    if h / w < aspect:  # too flat: taller
        middle = (lo[1] + hi[1]) / 2
        lo[1], hi[1] = middle - aspect * w / 2, middle + aspect * w / 2
    else:
        middle = (lo[0] + hi[0]) / 2
        lo[0], hi[0] = middle - h / aspect / 2, middle + h / aspect / 2
    return (lo[0], hi[0]), (lo[1], hi[1])


def contours(ax: Axes, loss, data: Data, theme: Theme, limits, answer, levels=14,
             start=A0) -> None:  # fmt: skip
    """The loss's contours over `limits`, `answer` starred (if there is one), the start
    circled (none if `start` is None)."""
    (s0, s1), (b0, b1) = limits
    slopes, intercepts = torch.linspace(s0, s1, 160), torch.linspace(b0, b1, 140)
    z = surface(loss, data.x, data.y, slopes.double(), intercepts.double())
    low = z.min()
    ax.contour(slopes.numpy(), intercepts.numpy(), z,
               levels=low + np.geomspace(1e-3, z.max() - low, levels), colors=theme.muted,
               linewidths=0.8, alpha=0.7)  # fmt: skip
    if answer is not None:
        ax.plot(*answer, marker="*", ms=16, color=theme.fg, ls="none", zorder=5)
    if start is not None:
        ax.plot(*start, marker="o", ms=8, color=theme.fg, ls="none", zorder=5)
    ax.set(xlim=(s0, s1), ylim=(b0, b1), xlabel="slope", ylabel="intercept")


def threshold_x(a: torch.Tensor) -> float | None:
    """Where p = 1/2: x = -intercept / slope; None with no slope (p is the same everywhere)."""
    slope, intercept = a.tolist()
    return None if slope == 0 else -intercept / slope


def animate_classes(h: History, data: Data, theme: Theme) -> Animation:
    """The probability curve over the classes and the path over the cross-entropy, in step."""
    e = h.experiment
    problem = PROBLEMS[e.problem]
    steps = frame_steps(h.steps_run, e.frames)
    path = h.params.numpy()
    best = problem.fn("answer")(data.x, data.y)
    answer = None if best is None else best.tolist()
    with figure(theme, CLASSES_SIZE) as fig:
        grid = fig.add_gridspec(2, 1, left=0.13, right=0.96, bottom=0.1, top=0.91, hspace=0.45,
                                height_ratios=(1, 1.15))  # fmt: skip
        fit, space = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
        fit.set(xlim=X_VIEW, ylim=Y_VIEW, xlabel="x", ylabel="y, p(x)")
        fit.set_yticks([0, 0.5, 1])
        fit.set_xlabel("x", labelpad=1)
        draw_classes(fit, data, theme)
        fig.text(0.02, 0.97, settings_label(h), va="top", ha="left", color=theme.muted)
        box = space.get_position()
        w, hh = fig.get_size_inches()
        aspect = box.height * hh / (box.width * w)
        limits = view(np.vstack([path, [A0]] + ([answer] if answer else [])), aspect)
        contours(space, problem.fn("loss"), data, theme, limits, answer)
        space.set_title(f"the {problem.loss_name} over the parameters", loc="left", fontsize=14)

        (curve,) = fit.plot(CURVE_X, probability(h.params[0]), color=theme.fit, lw=2,
                            antialiased=False, label="p(x)", zorder=4, gid="fit")  # fmt: skip
        (cut,) = fit.plot([], [], color=theme.fit, lw=1.5, ls=":", antialiased=False,
                          label="p = 1/2", zorder=3)  # fmt: skip
        batch = mark_batches(fit, h, theme, s=45)
        fit.legend(loc="upper left", ncols=3, fontsize=12, borderpad=0.1, columnspacing=0.7,
                   handlelength=1.3)  # fmt: skip
        (trail,) = space.plot([], [], color=theme.fit, lw=2.5, zorder=4)
        (head,) = space.plot([], [], marker="o", ms=8, color=theme.fit, ls="none", zorder=6)
        note = space.text(0.5, 0.5, divergence_note(h) if h.diverged else "", color=theme.alarm,
                          transform=space.transAxes, ha="center", va="center", fontsize=15,
                          weight="bold", gid="diverged")  # fmt: skip
        headline = Headline(theme, CLASSES_SIZE, fontsize=15, fields=[(0.56, 0.02), (0.8, 0.02)])
        moving = [curve, cut, trail, head, note] + ([] if batch is None else [batch])
        blitter = Blitter(fig, moving, headline, theme.palette(), schemes(Theme.palette))

        def states():
            for t in steps:
                a = h.params[t]
                curve.set_ydata(probability(a))
                at = threshold_x(a)
                inside = at is not None and X_VIEW[0] <= at <= X_VIEW[1]
                cut.set_data(([at, at], [0, 1]) if inside else ([], []))
                trail.set_data(path[: t + 1, 0], path[: t + 1, 1])
                head.set_data(path[t : t + 1, 0], path[t : t + 1, 1])
                if batch is not None:
                    batch.set_offsets(batch_xy(h, data, t))
                note.set_visible(h.diverged and t == steps[-1])
                yield readout(h, t)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)


def animate_class_thumb(h: History, data: Data, theme: Theme) -> Animation:
    """A small panel of one run on the classes, with no text of its own (the page around it
    shows the settings, the step and the loss): the probability curve over the points. The
    run's own frames (its `frames`), to THUMB_STEPS at most; no batch rings, as for the
    line's thumbnails."""
    steps = frame_steps(min(h.steps_run, THUMB_STEPS), h.experiment.frames)
    with figure(theme, THUMB_SIZE) as fig:
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
        ax.set(xlim=X_VIEW, ylim=(-0.15, 1.15), xticks=[], yticks=[])
        draw_classes(ax, data, theme, s=8)
        (curve,) = ax.plot(CURVE_X, probability(h.params[0]), color=theme.fit, lw=2,
                           antialiased=False, zorder=4)  # fmt: skip
        blitter = Blitter(fig, [curve], Headline(theme, THUMB_SIZE, TEXT_PT, []),
                          theme.palette(), schemes(Theme.palette))  # fmt: skip

        def states():
            for t in steps:
                curve.set_ydata(probability(h.params[t]))
                yield ()

        return blitter.frames(states(), durations(len(steps), h.experiment.frame_ms), steps)
