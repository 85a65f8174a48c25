"""The line-fit animation: the data, the true line faint, and the fitted line step by step."""

import math

import numpy as np
import torch
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.text import Text

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import A0, BLOWUP, History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
from sgd_lib.pictures.theme import Theme, schemes
from sgd_lib.pictures.words import run_label

FIT_SIZE = (640, 480)  # pixels
HOLD_FIRST_MS = 600  # the initial guess stays up long enough to be seen
HOLD_LAST_MS = 2000  # ... and so does the end, before the loop starts again
X_VIEW = (-1.1, 1.1)  # x is uniform in [-1, 1)
MIN_SHOWN = 0.1  # less of a line than this in view (in plot sizes) is pointed at as gone
NO_POINTS = np.empty((0, 2))  # a scatter's offsets when it shows nothing


def frame_steps(steps_run: int, max_frames: int) -> list[int]:
    """The steps to show: all of them, or `max_frames` spread evenly from first to last."""
    if steps_run + 1 <= max_frames:
        return list(range(steps_run + 1))
    return sorted({round(i * steps_run / (max_frames - 1)) for i in range(max_frames)})


def durations(count: int, frame_ms: int) -> list[int]:
    middle = [frame_ms] * max(count - 2, 0)
    return [HOLD_FIRST_MS, *middle, HOLD_LAST_MS][-count:] if count > 1 else [HOLD_LAST_MS]


def x_view(data: Data) -> tuple[float, float]:
    """The x limits: the lesson's x is uniform in [-1, 1); moved or centred, the data's own
    range, with the same margin."""
    if not getattr(data.spec, "x_shift", 0.0) and not getattr(data.spec, "centred", False):
        return X_VIEW
    lo, hi = data.x[:, 0].min().item(), data.x[:, 0].max().item()
    pad = 0.05 * (hi - lo)
    return round(lo - pad, 2), round(hi + pad, 2)


def y_view(data: Data) -> tuple[float, float]:
    """Fixed y limits, the same in every frame: the data and the initial guess's line, with
    room above for the legend."""
    start = line_y(torch.tensor(A0), x_view(data))
    lo, hi = min(data.y.min().item(), *start), max(data.y.max().item(), *start)
    pad = 0.1 * (hi - lo)
    return lo - pad, hi + 3 * pad


def readout(h: History, t: int) -> tuple[str, str]:
    """ "step 12" and the loss then, named as its problem names it: "MSE 0.240", "CE 0.512"."""
    loss, name = h.loss[t].item(), PROBLEMS[h.experiment.problem].loss_short
    # Three significant digits, trailing zeros kept (0.240 beside 0.239), but never an
    # exponent for the MSE: a run stops before its MSE passes BLOWUP times the start, so at
    # most five digits ever show (a cross-entropy heading for 0 on separable classes does).
    return f"step {t}", f"{name} {loss:,.0f}" if loss >= 1000 else f"{name} {loss:#.3g}".rstrip(".")


def settings_label(h: History) -> str:
    e, d = h.experiment, h.experiment.data
    return run_label(e.lr, e.batch_size, e.optimizer, e.schedule, getattr(d, "x_shift", 0.0),
                     getattr(d, "centred", False), e.hyper, e.picked,
                     getattr(d, "scaled", False))  # fmt: skip


def divergence_note(h: History) -> str:
    name = PROBLEMS[h.experiment.problem].loss_short
    return f"diverged at step {h.diverged_at}\n({name} passed {BLOWUP:g}× the start)"


def line_y(a: torch.Tensor, xv: tuple[float, float] = X_VIEW) -> list[float]:
    """The line a = (slope, intercept) at the two ends of the x view `xv`."""
    slope, intercept = a.tolist()
    return [slope * x + intercept for x in xv]


def true_line(data: Data, xv: tuple[float, float]) -> list[float]:
    """The line the noise hides, in the data's own x (centred x moves its intercept, scaled x
    its slope)."""
    slope, intercept = data.spec.a_true
    return [slope * (x * data.x_scale + data.x_offset) + intercept for x in xv]


def readout_top(ax, data: Data) -> float:
    """Where the step and MSE go: inside the plot, below the data on its high side, level
    with the bottom of the band the fitted line sweeps in the end. Kept in the rows that
    change anyway, it adds little to what each GIF frame stores."""
    ols = least_squares(data.x, data.y).float()
    low = min(line_y(ols, x_view(data)))
    _, row = ax.transData.transform((0, low))
    height = ax.figure.bbox.height
    return min(max(1 - row / height, 0.1), 0.85)


def line_xy(a: torch.Tensor, xv: tuple[float, float] = X_VIEW) -> np.ndarray:
    return np.column_stack([xv, line_y(a, xv)])


def shown_length(a: torch.Tensor, view: tuple[float, float], xv=X_VIEW) -> float:
    """How much of the line a = (slope, intercept) lies inside the view (`xv` by the y
    `view`), in plot sizes: 1 is a line straight across, 0 a line out of sight."""
    slope, intercept = a.tolist()
    (x0, x1), (lo, hi) = xv, view
    if slope:  # the part of the x view where the line is between the bottom and the top
        low_x, high_x = sorted(((lo - intercept) / slope, (hi - intercept) / slope))
        x0, x1 = max(x0, low_x), min(x1, high_x)
    elif not lo <= intercept <= hi:
        return 0.0
    dx = max(x1 - x0, 0.0)
    return math.hypot(dx / (xv[1] - xv[0]), slope * dx / (hi - lo))


def off_view(a: torch.Tensor, view: tuple[float, float], xv=X_VIEW) -> str:
    """ "above" or "below" when the line is out of the view, or shows less than MIN_SHOWN of
    it (a sliver in a corner reads as an empty plot); "" when it can be seen."""
    if shown_length(a, view, xv) >= MIN_SHOWN:
        return ""
    # Such a line is outside the view at x = 0, the middle: its intercept says on which side.
    return "above" if a[1].item() > sum(view) / 2 else "below"


def off_view_note(a: torch.Tensor, view: tuple[float, float], short: bool = False,
                  xv=X_VIEW) -> str:  # fmt: skip
    """Where the line went, when it is outside the view: "▲ line above the view" and its
    height at x = 0 (one line, "▲ y ≈ 57 at x = 0", if `short`); "" when it shows."""
    where = off_view(a, view, xv)
    if not where:
        return ""
    y0 = a[1].item()  # the line's height at x = 0: its intercept
    y0_text = (f"{y0:,.0f}" if abs(y0) >= 10 else f"{y0:.1f}").replace("-", "\N{MINUS SIGN}")
    arrow = "▲" if where == "above" else "▼"
    if short:
        return f"{arrow} y ≈ {y0_text} at x = 0"
    # The number last, so that frame to frame only its own pixels change; the arrow's line
    # at the edge the line left by.
    lines = [f"{arrow} line {where} the view", f"at x = 0, y ≈ {y0_text}"]
    return "\n".join(lines if where == "above" else lines[::-1])


def pin_off_view(note: Text, a: torch.Tensor, view: tuple[float, float], short: bool = False,
                 xv=X_VIEW):  # fmt: skip
    """Show `note` at the edge of its axes the line left by, while the line is out of view.
    The note is left-aligned at a fixed place: a number that changes moves nothing else."""
    text = off_view_note(a, view, short, xv)
    note.set_visible(bool(text))
    if text:
        above = off_view(a, view, xv) == "above"
        note.set(text=text, y=0.98 if above else 0.02, va="top" if above else "bottom")


def batch_xy(h: History, data: Data, t: int) -> np.ndarray:
    """(k, 2): x and y of the points of the batch that made update t; none at step 0 (the
    initial guess) and none for gradient descent, whose every update sees all the points."""
    if h.batches is None or t == 0:
        return NO_POINTS
    idx = h.batches[t - 1]
    return np.column_stack([data.x[idx, 0].numpy(), data.y[idx].numpy()])


def mark_batches(ax: Axes, h: History, theme: Theme, s: float) -> PathCollection | None:
    """Rings (`s`: their area in points²) for the current batch's points, moved each frame;
    None for gradient descent."""
    if h.batches is None:
        return None
    # Rings, not dots: the point inside stays the data's colour, so nothing looks like new data.
    # Hard-edged, like the fitted line: anti-aliased rings cost bytes in every frame.
    return ax.scatter(np.empty(0), np.empty(0), s=s, facecolors="none", edgecolors=theme.batch,
                      linewidths=1.4, label="this step's batch", zorder=3, antialiased=False,
                      gid="batch")  # fmt: skip


def animate_fit(h: History, data: Data, theme: Theme) -> Animation:
    """One frame per shown step: the fitted line over the data, the step and the MSE; the
    points of the batch behind the step ringed; the line's whereabouts when it leaves the view."""
    e = h.experiment
    steps = frame_steps(h.steps_run, e.frames)
    x0, y = data.x[:, 0].tolist(), data.y.tolist()
    view, xv = y_view(data), x_view(data)
    with figure(theme, FIT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.13, top=0.9)
        ax = fig.add_subplot()
        ax.set(xlim=xv, ylim=view, xlabel="x", ylabel="y")
        ax.scatter(x0, y, s=22, color=theme.data, label="data", zorder=2)
        ax.plot(xv, true_line(data, xv), color=theme.truth, lw=1.5,
                ls="--", label="true line")  # fmt: skip
        fig.text(0.02, 0.97, settings_label(h), va="top", ha="left", color=theme.muted)
        # The moving parts: drawn by hand each frame, so the still parts are drawn only once.
        # Hard-edged and 2 px: a moving line's anti-aliased fringe costs ~15% of each GIF.
        (line,) = ax.plot(xv, line_y(h.params[0], xv), color=theme.fit, label="fit", zorder=4,
                          lw=2, antialiased=False, gid="fit")  # fmt: skip
        batch = mark_batches(ax, h, theme, s=55)
        note = ax.text(0.5, 0.26, divergence_note(h) if h.diverged else "", color=theme.alarm,
                       transform=ax.transAxes, ha="center", va="center", fontsize=17,
                       weight="bold", linespacing=1.4, gid="diverged")  # fmt: skip
        # Right of the legend, in the band kept free above the data (and at the bottom, below it).
        away = ax.text(0.4, 0.98, "", color=theme.fit, transform=ax.transAxes, ha="left",
                       fontsize=14, weight="bold", gid="off-view")  # fmt: skip
        ax.legend(loc="upper left")  # one column: the data leave the upper left empty
        top = readout_top(ax, data)
        headline = Headline(theme, FIT_SIZE, fontsize=16, fields=[(0.45, top), (0.7, top)])
        moving = [line, note, away] if batch is None else [batch, line, note, away]
        blitter = Blitter(fig, moving, headline, theme.palette(), schemes(Theme.palette))

        def states():
            for t in steps:
                blitter.snap(line, line_xy(h.params[t], xv))
                if batch is not None:
                    batch.set_offsets(batch_xy(h, data, t))
                pin_off_view(away, h.params[t], view, xv=xv)
                note.set_visible(h.diverged and t == steps[-1])
                yield readout(h, t)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)
