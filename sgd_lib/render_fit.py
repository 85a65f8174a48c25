"""The line-fit animation: the data, the true line faint, and the fitted line step by step."""

import numpy as np
import torch

from sgd_lib.animate import Animation, Blitter
from sgd_lib.canvas import Headline, figure
from sgd_lib.data import Data
from sgd_lib.loss import least_squares
from sgd_lib.theme import Theme
from sgd_lib.training import A0, BLOWUP, History
from sgd_lib.words import run_label

FIT_SIZE = (640, 480)  # pixels
HOLD_FIRST_MS = 600  # the initial guess stays up long enough to be seen
HOLD_LAST_MS = 2000  # ... and so does the end, before the loop starts again
X_VIEW = (-1.1, 1.1)  # x is uniform in [-1, 1)


def frame_steps(steps_run: int, max_frames: int) -> list[int]:
    """The steps to show: all of them, or `max_frames` spread evenly from first to last."""
    if steps_run + 1 <= max_frames:
        return list(range(steps_run + 1))
    return sorted({round(i * steps_run / (max_frames - 1)) for i in range(max_frames)})


def durations(count: int, frame_ms: int) -> list[int]:
    middle = [frame_ms] * max(count - 2, 0)
    return [HOLD_FIRST_MS, *middle, HOLD_LAST_MS][-count:] if count > 1 else [HOLD_LAST_MS]


def y_view(data: Data) -> tuple[float, float]:
    """Fixed y limits, the same in every frame: the data and the initial guess's line, with
    room above for the legend."""
    start = line_y(torch.tensor(A0))
    lo, hi = min(data.y.min().item(), *start), max(data.y.max().item(), *start)
    pad = 0.1 * (hi - lo)
    return lo - pad, hi + 3 * pad


def readout(h: History, t: int) -> tuple[str, str]:
    mse = h.loss[t].item()
    # Three significant digits, but never an exponent: a run stops before its MSE passes
    # BLOWUP times the start, so at most five digits ever show.
    return f"step {t}", f"MSE {mse:,.0f}" if mse >= 1000 else f"MSE {mse:.3g}"


def settings_label(h: History) -> str:
    return run_label(h.experiment.lr, h.experiment.batch_size)


def divergence_note(h: History) -> str:
    return f"diverged at step {h.diverged_at}\n(MSE passed {BLOWUP:g}× the start)"


def line_y(a: torch.Tensor) -> list[float]:
    slope, intercept = a.tolist()
    return [slope * x + intercept for x in X_VIEW]


def readout_top(ax, data: Data) -> float:
    """Where the step and MSE go: inside the plot, below the data on its high side, level
    with the bottom of the band the fitted line sweeps in the end. Kept in the rows that
    change anyway, it adds little to what each GIF frame stores."""
    ols = least_squares(data.x, data.y).float()
    low = min(line_y(ols))
    _, row = ax.transData.transform((0, low))
    height = ax.figure.bbox.height
    return min(max(1 - row / height, 0.1), 0.85)


def line_xy(a: torch.Tensor) -> np.ndarray:
    return np.column_stack([X_VIEW, line_y(a)])


def animate_fit(h: History, data: Data, theme: Theme) -> Animation:
    """One frame per shown step: the fitted line over the data, the step and the MSE."""
    e = h.experiment
    steps = frame_steps(h.steps_run, e.frames)
    x0, y = data.x[:, 0].tolist(), data.y.tolist()
    with figure(theme, FIT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
        ax = fig.add_subplot()
        ax.set(xlim=X_VIEW, ylim=y_view(data), xlabel="x", ylabel="y")
        ax.scatter(x0, y, s=22, color=theme.data, label="data", zorder=2)
        ax.plot(X_VIEW, line_y(torch.tensor(data.spec.a_true)), color=theme.truth, lw=1.5,
                ls="--", label="true line")  # fmt: skip
        fig.text(0.02, 0.97, settings_label(h), va="top", ha="left", color=theme.muted)
        # The moving parts: drawn by hand each frame, so the still parts are drawn only once.
        # Hard-edged and 2 px: a moving line's anti-aliased fringe costs ~15% of each GIF.
        (line,) = ax.plot(X_VIEW, line_y(h.params[0]), color=theme.fit, label="fit", zorder=4,
                          lw=2, antialiased=False)  # fmt: skip
        note = ax.text(0.5, 0.2, divergence_note(h) if h.diverged else "", color=theme.alarm,
                       transform=ax.transAxes, ha="center", va="center", fontsize=17,
                       weight="bold", linespacing=1.4)  # fmt: skip
        ax.legend(loc="upper left", ncols=3)
        headline = Headline(theme, FIT_SIZE, fontsize=16, fields=[0.45, 0.7],
                            top=readout_top(ax, data))  # fmt: skip
        blitter = Blitter(fig, [line, note], headline, theme.palette())

        def states():
            for t in steps:
                blitter.snap(line, line_xy(h.params[t]))
                note.set_visible(h.diverged and t == steps[-1])
                yield readout(h, t)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)
