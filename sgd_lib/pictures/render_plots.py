"""The still figures: the data, the initial guess, loss curves, comparisons, parameter space."""

import numpy as np
import torch
from matplotlib.axes import Axes
from PIL import Image

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares, mse, mse_surface
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import A0, History
from sgd_lib.pictures.canvas import figure, plain_log_labels, reused_axes, smallest_text_px
from sgd_lib.pictures.encode import grab, quantize_still
from sgd_lib.pictures.render_fit import line_y, settings_label, true_line, x_view, y_view
from sgd_lib.pictures.theme import Theme

PLOT_SIZE = (640, 400)  # a single plot beside the text
COMPARE_SIZE = (640, 450)  # an overlay of several runs
PATHS_SIZE = (560, 720)  # parameter space: tall, because intercept spans more than slope
LOSS_MARGINS = {"left": 0.14, "right": 0.97, "bottom": 0.15, "top": 0.88}


def draw(fig) -> Image.Image:
    """The figure as a still, its smallest text's size in pixels in `info["text_px"]`."""
    plain_log_labels(fig)
    fig.canvas.draw()
    image = quantize_still(grab(fig.canvas))
    image.info["text_px"] = smallest_text_px(fig)
    return image


def label(e) -> str:
    return "gradient descent" if e.batch_size is None else f"batch size {e.batch_size}"


def plot_data(data: Data, theme: Theme, guess: bool = False) -> Image.Image:
    """The points and the true line; with `guess`, the initial guess, its errors and its MSE."""
    with figure(theme, PLOT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        x0, y = data.x[:, 0], data.y
        xv = x_view(data)
        ax.set(xlim=xv, ylim=y_view(data), xlabel="x", ylabel="y")
        ax.scatter(x0.tolist(), y.tolist(), s=22, color=theme.data, label="data", zorder=2)
        ax.plot(xv, true_line(data, xv), color=theme.truth, lw=1.5, ls="--", label="true line")
        if guess:
            a0 = torch.tensor(A0)
            y_hat = data.x @ a0
            ax.vlines(x0.tolist(), y_hat.tolist(), y.tolist(), color=theme.batch, lw=0.8,
                      alpha=0.5, label="errors")  # fmt: skip
            ax.plot(xv, line_y(a0, xv), color=theme.fit, label="guess a = (-1, 1)")
            ax.set_title(f"initial guess: MSE {mse(y_hat, y).item():.4g}", loc="left")
        else:
            slope, intercept = data.spec.a_true
            ax.set_title(f"y = {slope:g} x + {intercept:g} + noise", loc="left")
        ax.legend(loc="upper left", ncols=2)
        return draw(fig)


def loss_name(h: History) -> str:
    """The loss as the run's problem names it: "MSE", "cross-entropy"."""
    return PROBLEMS[h.experiment.problem].loss_name


def _loss_axes(ax: Axes, histories: list[History], theme: Theme) -> None:
    """A log scale, always: every loss plot on the site reads the same way. Limits from the
    full-data loss: a single example's batch loss can be near zero, and would otherwise
    stretch the scale over decades nobody needs to see."""
    # (A cross-entropy on separable classes can reach exactly 0 in float32: not drawn.)
    low = min(h.loss[h.loss > 0].min().item() for h in histories if (h.loss > 0).any())
    high = max(h.loss.max().item() for h in histories)
    ax.set_yscale("log")
    ax.set_ylim(low / 3, high * 3)
    ax.set(xlabel="step (0: the initial guess)", ylabel=loss_name(histories[0]))


def _mark_divergence(ax: Axes, h: History, x: float, theme: Theme) -> None:
    """An X where the run left the sane region, labelled on whichever side has room."""
    y = h.loss[-1].item()
    ax.plot([x], [y], marker="X", ms=12, color=theme.alarm, zorder=5)
    left, right = ax.get_xlim()
    room_right = (
        ax.transScale.transform((x, 1))[0] < ax.transScale.transform(((left + right) / 2, 1))[0]
    )
    ax.annotate(f"stopped: update {h.diverged_at} blew up", (x, y),
                xytext=(10 if room_right else -10, 0), textcoords="offset points",
                ha="left" if room_right else "right", va="center", color=theme.alarm,
                fontsize=13, weight="bold")  # fmt: skip


def plot_loss(h: History, theme: Theme, study=None) -> Image.Image:
    """Full-data loss against step; for SGD the batch loss faint behind it, and the 10-90%
    band of the setting's seeds (a `studies.Study`), so that the run is seen among its peers."""
    # Drawn for every run in both themes: on a kept axes, which halves its time.
    loss = loss_name(h)
    with reused_axes(theme, PLOT_SIZE, LOSS_MARGINS) as ax:
        steps = np.arange(h.steps_run + 1)
        if study is not None and len(study.seeds) > 1:
            low, _, high = study.band().numpy()
            ax.fill_between(np.arange(len(low)), low, high, color=theme.muted, alpha=0.25, lw=0,
                            label=f"10-90% of {len(study.seeds)} seeds")  # fmt: skip
        if h.experiment.batch_size is not None and h.steps_run:
            # Update t measures its batch's loss at the line of step t-1: drawn there.
            ax.plot(steps[:-1], h.batch_loss.tolist(), color=theme.batch, lw=1, alpha=0.45,
                    label=f"batch {loss} (what each update saw)")  # fmt: skip
        name = f"full-data {loss}, seed {h.experiment.seed}" if h.experiment.batch_size else None
        ax.plot(steps, h.loss.tolist(), color=theme.fit, label=name or f"full-data {loss}")
        _loss_axes(ax, [h], theme)
        ax.set_xlim(0, h.experiment.steps)
        if h.diverged:
            _mark_divergence(ax, h, h.steps_run, theme)
        ax.set_title(settings_label(h), loc="left", color=theme.muted, fontsize=15)
        ax.legend(loc="upper right", fontsize=12)
        return draw(ax.figure)


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


PATH_CONTRAST = 4.5  # a thin path against the background: WCAG's contrast for text, 4.5:1
ZOOM_TAIL = 1 / 3  # the inset shows where the last third of every path goes
ZOOM_AT = (0.54, 0.28, 0.43, 0.3)  # the inset, in the axes' fractions: right of the paths
PATH_SAMPLES = 15  # the sweep colours a path's colour is chosen from


def _contrast(a: str, b: str) -> float:
    """WCAG's contrast ratio of two "#rrggbb" colours: 1 (none) to 21 (black on white)."""

    def luminance(color: str) -> float:
        rgb = np.array([int(color[i : i + 2], 16) for i in (1, 3, 5)]) / 255
        linear = np.where(rgb <= 0.04045, rgb / 12.92, ((rgb + 0.055) / 1.055) ** 2.4)
        return float(linear @ [0.2126, 0.7152, 0.0722])

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def _path_colors(histories: list[History], theme: Theme) -> list[str]:
    """Gradient descent in the fit colour; the SGD runs in the sweep's colours that stand out
    from the background, the smallest batch (the noisiest, thinnest path) in the strongest."""
    sweep = [c for c in theme.sweep_colors(PATH_SAMPLES) if _contrast(c, theme.bg) >= PATH_CONTRAST]
    sweep.sort(key=lambda c: _contrast(c, theme.bg), reverse=True)
    sizes = sorted({h.experiment.batch_size for h in histories} - {None})
    spread = {b: sweep[round(i * (len(sweep) - 1) / max(len(sizes) - 1, 1))]
              for i, b in enumerate(sizes)}  # fmt: skip
    return [spread.get(h.experiment.batch_size, theme.fit) for h in histories]


def _zoom_view(points: np.ndarray, aspect: float) -> tuple[tuple[float, float], ...]:
    """Limits around `points` (k, 2), padded, with `aspect` = height / width in data units."""
    lo, hi = points.min(axis=0), points.max(axis=0)
    middle, half = (lo + hi) / 2, (hi - lo) / 2 * 1.2 + 1e-3
    half = np.maximum(half, [half[1] / aspect, half[0] * aspect])  # equal units on both axes
    return tuple(zip(middle - half, middle + half, strict=True))


def _draw_zoom(ax: Axes, histories: list[History], styles, data: Data, theme: Theme) -> Axes:
    """An inset of where the paths meet the least-squares answer, its place marked on `ax`;
    `styles` holds each path's (colour, width)."""
    ols = least_squares(data.x, data.y)
    tails = [h.params[int(len(h.params) * (1 - ZOOM_TAIL)) :] for h in histories]
    inset = ax.inset_axes(ZOOM_AT)
    box = inset.get_position()
    w, h = ax.figure.get_size_inches()
    (s0, s1), (b0, b1) = _zoom_view(torch.cat([*tails, ols[None].float()]).numpy(),
                                    box.height * h / (box.width * w))  # fmt: skip
    slopes, intercepts = torch.linspace(s0, s1, 80), torch.linspace(b0, b1, 80)
    z = mse_surface(data.x, data.y, slopes.double(), intercepts.double()).numpy()
    levels = z.min() + np.geomspace(0.01, 1, 6) * (z.max() - z.min())
    inset.contour(slopes.numpy(), intercepts.numpy(), z, levels=levels, colors=theme.muted,
                  linewidths=0.8, alpha=0.7)  # fmt: skip
    for path, (color, width) in zip(histories, styles, strict=True):
        inset.plot(*path.params.T.tolist(), color=color, lw=width, zorder=4)
    # Edged in the background colour: the noisiest path scribbles right across it.
    inset.plot(*ols.tolist(), marker="*", ms=16, color=theme.fg, mec=theme.bg, mew=1, ls="none",
               zorder=5)  # fmt: skip
    inset.set(xlim=(s0, s1), ylim=(b0, b1), facecolor=theme.bg)
    inset.tick_params(labelsize=11, length=2, pad=2)  # 11 pt: 9 CSS px on a phone (560 px)
    inset.locator_params(nbins=3)
    for spine in inset.spines.values():
        spine.set(visible=True, color=theme.fg)
    ax.indicate_inset_zoom(inset, edgecolor=theme.fg, alpha=0.9)
    return inset


def plot_paths(histories: list[History], data: Data, theme: Theme) -> Image.Image:
    """The runs' paths through parameter space, over the MSE surface, and a zoom on their ends."""
    colors = _path_colors(histories, theme)
    styles = [(color, 2.5 if h.experiment.batch_size is None else 1.5)
              for h, color in zip(histories, colors, strict=True)]  # fmt: skip
    with figure(theme, PATHS_SIZE) as fig:
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.08, top=0.93)
        ax = fig.add_subplot()
        draw_surface(ax, data, theme)
        for h, (color, width) in zip(histories, styles, strict=True):
            e = h.experiment
            name = f"{label(e)}, lr {e.lr:g}"
            ax.plot(*h.params.T.tolist(), color=color, lw=width, label=name, zorder=4)
        _draw_zoom(ax, histories, styles, data, theme)
        ax.set_title("paths through parameter space", loc="left")
        ax.legend(loc="lower right", fontsize=12, markerscale=0.7)
        return draw(fig)
