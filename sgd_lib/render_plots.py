"""The still figures: the data, the initial guess, loss curves, comparisons, parameter space."""

import numpy as np
import torch
from matplotlib.axes import Axes
from PIL import Image

from sgd_lib.canvas import figure
from sgd_lib.data import Data
from sgd_lib.encode import grab, quantize_still
from sgd_lib.loss import least_squares, mse, mse_surface
from sgd_lib.render_fit import X_VIEW, line_y, settings_label, y_view
from sgd_lib.theme import Theme
from sgd_lib.training import A0, History

PLOT_SIZE = (640, 400)  # a single plot beside the text
COMPARE_SIZE = (720, 450)  # an overlay of several runs
PATHS_SIZE = (560, 720)  # parameter space: tall, because intercept spans more than slope
LOG_RANGE = 100  # a loss that falls by more than this factor is plotted on a log scale


def draw(fig) -> Image.Image:
    fig.canvas.draw()
    return quantize_still(grab(fig.canvas))


def label(e) -> str:
    return "gradient descent" if e.batch_size is None else f"batch size {e.batch_size}"


def plot_data(data: Data, theme: Theme, guess: bool = False) -> Image.Image:
    """The points and the true line; with `guess`, the initial guess, its errors and its MSE."""
    with figure(theme, PLOT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        x0, y = data.x[:, 0], data.y
        ax.set(xlim=X_VIEW, ylim=y_view(data), xlabel="x", ylabel="y")
        ax.scatter(x0.tolist(), y.tolist(), s=22, color=theme.data, label="data", zorder=2)
        a_true = torch.tensor(data.spec.a_true)
        ax.plot(X_VIEW, line_y(a_true), color=theme.truth, lw=1.5, ls="--", label="true line")
        if guess:
            a0 = torch.tensor(A0)
            y_hat = data.x @ a0
            ax.vlines(x0.tolist(), y_hat.tolist(), y.tolist(), color=theme.batch, lw=0.8,
                      alpha=0.5, label="errors")  # fmt: skip
            ax.plot(X_VIEW, line_y(a0), color=theme.fit, label="guess a = (-1, 1)")
            ax.set_title(f"initial guess: MSE {mse(y_hat, y).item():.4g}", loc="left")
        else:
            slope, intercept = data.spec.a_true
            ax.set_title(f"y = {slope:g} x + {intercept:g} + noise", loc="left")
        ax.legend(loc="upper left", ncols=2)
        return draw(fig)


def _loss_axes(ax: Axes, histories: list[History], theme: Theme) -> None:
    """Limits from the full-data loss: a single example's batch loss can be near zero, and
    would otherwise stretch a log scale over decades nobody needs to see."""
    low = min(h.loss.min().item() for h in histories)
    high = max(h.loss.max().item() for h in histories)
    if high > LOG_RANGE * low:
        ax.set_yscale("log")
        ax.set_ylim(low / 3, high * 3)
    else:
        ax.set_ylim(0, high * 1.1)
    ax.set(xlabel="step", ylabel="MSE (full data)")


def _mark_divergence(ax: Axes, h: History, x: float, theme: Theme) -> None:
    """An X where the run left the sane region, labelled on whichever side has room."""
    y = h.loss[-1].item()
    ax.plot([x], [y], marker="X", ms=12, color=theme.alarm, zorder=5)
    left, right = ax.get_xlim()
    room_right = (
        ax.transScale.transform((x, 1))[0] < ax.transScale.transform(((left + right) / 2, 1))[0]
    )
    ax.annotate(f"diverged at step {h.diverged_at}", (x, y), xytext=(10 if room_right else -10, 0),
                textcoords="offset points", ha="left" if room_right else "right", va="center",
                color=theme.alarm, fontsize=13, weight="bold")  # fmt: skip


def plot_loss(h: History, theme: Theme) -> Image.Image:
    """Full-data loss against step; the batch loss faint behind it for SGD."""
    with figure(theme, PLOT_SIZE) as fig:
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.15, top=0.88)
        ax = fig.add_subplot()
        steps = np.arange(h.steps_run + 1)
        if h.experiment.batch_size is not None and h.steps_run:
            ax.plot(steps[1:], h.batch_loss.tolist(), color=theme.fit, lw=1, alpha=0.3,
                    label="batch MSE (what each update saw)")  # fmt: skip
        ax.plot(steps, h.loss.tolist(), color=theme.fit, label="full-data MSE")
        _loss_axes(ax, [h], theme)
        ax.set_xlim(0, h.experiment.steps)
        if h.diverged:
            _mark_divergence(ax, h, h.steps_run, theme)
        ax.set_title(settings_label(h), loc="left", color=theme.muted, fontsize=15)
        ax.legend(loc="best")
        return draw(fig)


def plot_compare(histories: list[History], theme: Theme, title: str, by: str) -> Image.Image:
    """Loss curves of several runs on one plot; `by` is "lr", "batch" or "examples"."""
    colors = theme.sweep_colors(len(histories))
    with figure(theme, COMPARE_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.8, bottom=0.14, top=0.9)
        ax = fig.add_subplot()
        for h, color in zip(histories, colors, strict=True):
            e = h.experiment
            x = np.arange(h.steps_run + 1, dtype=float)
            if by == "examples":  # each update sees batch_size examples (all n for GD)
                x = x * (e.batch_size or e.data.n)
            name = f"{e.lr:g}" if by == "lr" else str(e.batch_size or "all")
            ax.plot(x, h.loss.tolist(), color=color, label=name, lw=2)
        _loss_axes(ax, histories, theme)
        longest = max(h.experiment.steps for h in histories)
        if by == "examples":
            ax.set_xscale("symlog", linthresh=100, linscale=0.5)
            ax.set_xlim(0, longest * max(h.experiment.batch_size or 1 for h in histories))
            ax.set_xlabel("examples seen (steps × batch size)")
        else:
            if longest > 200:  # lr 0.01 runs ten times longer: show its tail without a squash
                ax.set_xscale("symlog", linthresh=10, linscale=0.5)
            ax.set_xlim(0, longest)
        for h in histories:
            if h.diverged:
                _mark_divergence(ax, h, h.steps_run, theme)
        ax.set_title(title, loc="left")
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title="lr" if by == "lr" else
                  "batch size")  # fmt: skip
        return draw(fig)


def param_view(ax: Axes, data: Data) -> tuple[tuple[float, float], tuple[float, float]]:
    """Slope and intercept limits holding the initial guess and the optimum, with equal units
    on both axes (so contours show the surface's true shape) and the panel filled."""
    ols = least_squares(data.x, data.y).tolist()
    (s_lo, s_hi), (b_lo, b_hi) = [sorted(pair) for pair in zip(A0, ols, strict=True)]
    pad = 0.15 * (b_hi - b_lo) + 0.5
    b_lo, b_hi = b_lo - pad, b_hi + pad
    box = ax.get_position()
    w, h = ax.figure.get_size_inches()
    half = (b_hi - b_lo) * (box.width * w) / (box.height * h) / 2
    middle = (s_lo + s_hi) / 2
    return (middle - half, middle + half), (b_lo, b_hi)


def draw_surface(ax: Axes, data: Data, theme: Theme) -> None:
    """MSE contours over (slope, intercept), the optimum starred and the start circled."""
    (s0, s1), (b0, b1) = param_view(ax, data)
    slopes, intercepts = torch.linspace(s0, s1, 160), torch.linspace(b0, b1, 200)
    z = mse_surface(data.x, data.y, slopes.double(), intercepts.double()).numpy()
    levels = z.min() + np.geomspace(0.05, z.max() - z.min(), 14)
    ax.contour(slopes.numpy(), intercepts.numpy(), z, levels=levels, colors=theme.muted,
               linewidths=0.8, alpha=0.7)  # fmt: skip
    ols = least_squares(data.x, data.y).tolist()
    ax.plot(*ols, marker="*", ms=18, color=theme.fg, ls="none", label="least squares", zorder=5)
    ax.plot(*A0, marker="o", ms=9, color=theme.fg, ls="none", label="start", zorder=5)
    ax.set(xlim=(s0, s1), ylim=(b0, b1), xlabel="slope", ylabel="intercept")


def plot_paths(histories: list[History], data: Data, theme: Theme) -> Image.Image:
    """The runs' paths through parameter space, over the MSE surface."""
    colors = [theme.fit, *theme.sweep_colors(max(len(histories) - 1, 2))[::-1]]
    with figure(theme, PATHS_SIZE) as fig:
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.08, top=0.93)
        ax = fig.add_subplot()
        draw_surface(ax, data, theme)
        for h, color in zip(histories, colors, strict=False):
            e = h.experiment
            name = f"{label(e)}, lr {e.lr:g}"
            width = 2.5 if e.batch_size is None else 1.2
            ax.plot(*h.params.T.tolist(), color=color, lw=width, label=name, zorder=4)
        ax.set_title("paths through parameter space", loc="left")
        ax.legend(loc="lower right", fontsize=12, markerscale=0.7)
        return draw(fig)
