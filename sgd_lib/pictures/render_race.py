"""The optimizers' race: their paths over one loss surface in lockstep, each beside its fit
(the line over the points, or the probability curve over the classes)."""

import numpy as np
import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import mse_surface
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import A0, History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
from sgd_lib.pictures.class_parts import CURVE_X, X_VIEW, draw_classes, probability
from sgd_lib.pictures.render_classes import surface
from sgd_lib.pictures.render_fit import (
    durations,
    line_xy,
    line_y,
    readout,
    true_line,
    x_view,
    y_view,
)
from sgd_lib.pictures.render_grid import shared_steps
from sgd_lib.pictures.theme import Theme, schemes

# pixels: the loss surface above, a small fit per method below; no wider than the texts
# allow at a phone's width (12 pt at 640 px is 9 CSS px at 358)
RACE_SIZE = (640, 880)
RACE_COLUMNS = 4
TEXT_PT = 12
MAP = (70, 70, 555, 390)  # the map's axes: left, top, width, height, in pixels
PANELS_TOP, CELL = 525, (158, 178)  # where the panels begin; each one's width and height


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def race_palette(theme: Theme, colors: list[str]) -> list[tuple[int, int, int]]:
    """The theme's plain colours, each method's, and the text's half-blend into the background
    for its edges: 15 at most, what a GIF here holds."""
    plain = [theme.bg, theme.fg, theme.muted, theme.grid, theme.data, theme.truth, *colors]
    bg, fg = _rgb(theme.bg), _rgb(theme.fg)
    return [_rgb(c) for c in plain] + [tuple((a + b) // 2 for a, b in zip(fg, bg, strict=True))]


def answer(histories: list[History], data: Data) -> np.ndarray | None:
    """The runs' problem's answer (the least-squares line, the cross-entropy's minimiser), or
    None where there is none."""
    best = PROBLEMS[histories[0].experiment.problem].fn("answer")(data.x, data.y)
    return None if best is None else best.numpy()


def path_view(histories: list[History], data: Data, aspect: float):
    """Slope and intercept limits holding every path, the start and the optimum, padded, with
    equal units on both axes (`aspect`: the panel's width over its height, in pixels)."""
    ols = answer(histories, data)
    known = [np.asarray(A0)[None]] + ([] if ols is None else [ols[None]])
    points = np.vstack(known + [h.params.numpy() for h in histories])
    (s0, b0), (s1, b1) = points.min(axis=0), points.max(axis=0)
    pad = 0.08 * max(s1 - s0, b1 - b0) + 0.3
    s0, s1, b0, b1 = s0 - pad, s1 + pad, b0 - pad, b1 + pad
    width, height = s1 - s0, b1 - b0
    if width / height < aspect:  # too narrow: widen the slope axis about its middle
        middle, width = (s0 + s1) / 2, height * aspect
        s0, s1 = middle - width / 2, middle + width / 2
    else:
        middle, height = (b0 + b1) / 2, width / aspect
        b0, b1 = middle - height / 2, middle + height / 2
    return (s0, s1), (b0, b1)


def draw_contours(ax, data: Data, theme: Theme, view, problem: str = "line") -> None:
    """The loss's contours over `view` (the MSE's, or the problem's), the optimum starred
    (if there is one) and the start circled."""
    (s0, s1), (b0, b1) = view
    slopes, intercepts = torch.linspace(s0, s1, 200), torch.linspace(b0, b1, 200)
    p = PROBLEMS[problem]
    if p.model == "line":
        z = mse_surface(data.x, data.y, slopes.double(), intercepts.double()).numpy()
        low = 0.02
    else:
        z = surface(p.fn("loss"), data.x, data.y, slopes.double(), intercepts.double())
        low = 1e-3
    levels = z.min() + np.geomspace(low, z.max() - z.min(), 16)
    ax.contour(slopes.numpy(), intercepts.numpy(), z, levels=levels, colors=theme.muted,
               linewidths=0.7, alpha=0.6)  # fmt: skip
    best = p.fn("answer")(data.x, data.y)
    if best is not None:
        ax.plot(*best.tolist(), marker="*", ms=14, color=theme.fg, ls="none", zorder=5)
    ax.plot(*A0, marker="o", ms=7, color=theme.fg, ls="none", zorder=5)
    ax.set(xlim=(s0, s1), ylim=(b0, b1), xlabel="slope", ylabel="intercept")


def animate_race(histories: list[History], data: Data, theme: Theme, title: str,
                 frames: int | None = None, until: int | None = None) -> Animation:  # fmt: skip
    """Every run's path over one contour map of the MSE, all on one clock, beside a small
    panel per run with its line over the data; to update `until`, if given. A run that ends
    sooner holds its end."""
    e = histories[0].experiment
    steps = shared_steps(histories, frames or e.frames, until)
    names = [h.experiment.optimizer for h in histories]
    colors = theme.method_colors(names)
    W, H = RACE_SIZE

    def box(left, top, width, height):  # pixels from the top left -> a figure's fractions
        return left / W, 1 - (top + height) / H, width / W, height / H

    classes = PROBLEMS[e.problem].model == "probability"
    xv, yv = (X_VIEW, (-0.15, 1.15)) if classes else (x_view(data), y_view(data))
    with figure(theme, RACE_SIZE) as fig:
        fig.text(8 / W, 1 - 8 / H, title, va="top", ha="left", weight="bold",
                 fontsize=TEXT_PT + 1)  # fmt: skip
        space = fig.add_axes(box(*MAP))
        view = path_view(histories, data, aspect=MAP[2] / MAP[3])
        draw_contours(space, data, theme, view, e.problem)
        space.tick_params(labelsize=TEXT_PT)
        space.xaxis.label.set_size(TEXT_PT + 1)
        space.yaxis.label.set_size(TEXT_PT + 1)
        trails, heads, lines, fields = [], [], [], [(8 / W, 36 / H)]
        for i, (h, color) in enumerate(zip(histories, colors, strict=True)):
            name = h.experiment.optimizer
            (trail,) = space.plot([], [], color=color, antialiased=False, **path_style(name))
            (head,) = space.plot([], [], marker="o", ms=5, color=color, ls="none")
            trails.append(trail)
            heads.append(head)
            row, col = divmod(i, RACE_COLUMNS)
            left, top = 8 + col * CELL[0], PANELS_TOP + row * CELL[1]
            fig.text(left / W, 1 - top / H, compact_label(h.experiment), color=color,
                     weight="bold", fontsize=TEXT_PT, va="top")  # fmt: skip
            ax = fig.add_axes(box(left, top + 24, CELL[0] - 12, CELL[1] - 68))
            ax.set(xlim=xv, ylim=yv, xticks=[], yticks=[])
            # The learning rates differ between methods: each panel says its own.
            # (over the classes, between them: their points are at the top and the bottom)
            ax.text(0.05, 0.6 if classes else 0.95, f"lr {h.experiment.lr:.3g}",
                    transform=ax.transAxes, ha="left", va="center" if classes else "top",
                    color=theme.muted, fontsize=TEXT_PT)  # fmt: skip
            if classes:
                draw_classes(ax, data, theme, s=4)
                (line,) = ax.plot(CURVE_X, probability(h.params[0]), color=color, lw=2,
                                  antialiased=False, zorder=4)  # fmt: skip
            else:
                ax.scatter(data.x[:, 0].tolist(), data.y.tolist(), s=4, color=theme.data,
                           zorder=2)  # fmt: skip
                ax.plot(xv, true_line(data, xv), color=theme.truth, lw=1, ls="--")
                (line,) = ax.plot(xv, line_y(h.params[0], xv), color=color, lw=2,
                                  antialiased=False, zorder=4)  # fmt: skip
            lines.append(line)
            fields.append((left / W, (top + CELL[1] - 40) / H))
        headline = Headline(theme, RACE_SIZE, fontsize=TEXT_PT + 1, fields=fields)
        # The blitter draws the moving parts in this order: the widest paths first, beneath;
        # of the same width, the first methods last, so that gradient descent's crawl is
        # never hidden under another path; the star over them all.
        best = answer(histories, data)
        stars = [] if best is None else space.plot(*best.tolist(), marker="*", ms=14,
                                                   color=theme.fg, ls="none")  # fmt: skip
        order = sorted(range(len(histories)), key=lambda i: (-path_style(names[i])["lw"], -i))
        moving = [*(trails[i] for i in order), *(heads[i] for i in order), *stars, *lines]
        blitter = Blitter(fig, moving, headline, race_palette(theme, colors),
                          schemes(lambda t: race_palette(t, t.method_colors(names))))  # fmt: skip
        paths = [h.params.numpy() for h in histories]

        def states():
            for shared in steps:
                texts = [f"step {shared}"]
                for h, path, trail, head, line in zip(histories, paths, trails, heads, lines,
                                                       strict=True):  # fmt: skip
                    t = min(shared, h.steps_run)
                    trail.set_data(path[: t + 1, 0], path[: t + 1, 1])
                    head.set_data(path[t : t + 1, 0], path[t : t + 1, 1])
                    if classes:
                        line.set_ydata(probability(h.params[t]))
                    else:
                        blitter.snap(line, line_xy(h.params[t], xv))
                    texts.append(readout(h, t)[1])  # a run that has ended holds its end
                yield tuple(texts)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)


# Paths that run along another's would hide it: those are drawn wider, beneath, so that each
# shows as a border of the next. Every method's first step goes downhill, along one line (CG
# and Nesterov further than the rest); in a long valley they all end up moving along its
# floor, where gradient descent crawls and CG's second step goes; Adam follows RMSProp's
# diagonal. L-BFGS, whose steps on a quadratic are CG's, is dashed, as in the loss plots. The
# methods that take a handful of steps mark each iterate with a dot: a path of two steps that
# runs along others' still shows where it turned.
PATH_WIDTH = {"nesterov": 6.0, "adam": 7.0, "cg": 4.0, "lbfgs": 2.5}  # points; others 2
DOTTED = {"newton": 7, "cg": 9, "lbfgs": 6}  # the dot's size at each iterate, points


def path_style(name: str) -> dict:
    dashes = {"ls": (0, (3, 2))} if name == "lbfgs" else {}
    dots = {"marker": "o", "ms": DOTTED[name]} if name in DOTTED else {}
    return {"lw": PATH_WIDTH.get(name, 2.0), **dashes, **dots}


def compact_label(e) -> str:
    """A method's name in a few characters: "GD", "momentum", "Adam, batch 16", "L-BFGS"."""
    name = {"sgd": "GD" if e.batch_size is None else "SGD", "cg": "CG"}.get(
        e.optimizer, OPTIMIZERS[e.optimizer].title
    )
    return name if e.batch_size is None else f"{name}, batch {e.batch_size}"
