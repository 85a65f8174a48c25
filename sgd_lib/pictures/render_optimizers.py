"""Figures of the optimizers side by side: their paths over one loss surface in lockstep,
beside their lines; their loss against updates and against gradient evaluations; the
learning-rate schedules over seeds; the loss surface before and after centring x.
"""

import math

import numpy as np
import torch
from PIL import Image

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares, mse_surface
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.studies import Study
from sgd_lib.lesson.training import A0, History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
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
from sgd_lib.pictures.render_plots import draw
from sgd_lib.pictures.theme import Theme, schemes

RACE_SIZE = (800, 460)  # pixels: the loss surface on the left, a small fit per method right
RACE_COLUMNS = 4
TEXT_PT = 11
TWO_PANELS = (800, 420)  # pixels: two plots side by side, legend below
LABEL_PT = 13


def _rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def race_palette(theme: Theme, colors: list[str]) -> list[tuple[int, int, int]]:
    """The theme's plain colours, each method's, and the text's half-blend into the background
    for its edges: 15 at most, what a GIF here holds."""
    plain = [theme.bg, theme.fg, theme.muted, theme.grid, theme.data, theme.truth, *colors]
    bg, fg = _rgb(theme.bg), _rgb(theme.fg)
    return [_rgb(c) for c in plain] + [tuple((a + b) // 2 for a, b in zip(fg, bg, strict=True))]


def path_view(histories: list[History], data: Data, aspect: float):
    """Slope and intercept limits holding every path, the start and the optimum, padded, with
    equal units on both axes (`aspect`: the panel's width over its height, in pixels)."""
    ols = least_squares(data.x, data.y).numpy()
    points = np.vstack([np.asarray(A0)[None], ols[None]] + [h.params.numpy() for h in histories])
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


def draw_contours(ax, data: Data, theme: Theme, view) -> None:
    """The MSE's contours over `view`, the optimum starred and the start circled."""
    (s0, s1), (b0, b1) = view
    slopes, intercepts = torch.linspace(s0, s1, 200), torch.linspace(b0, b1, 200)
    z = mse_surface(data.x, data.y, slopes.double(), intercepts.double()).numpy()
    levels = z.min() + np.geomspace(0.02, z.max() - z.min(), 16)
    ax.contour(slopes.numpy(), intercepts.numpy(), z, levels=levels, colors=theme.muted,
               linewidths=0.7, alpha=0.6)  # fmt: skip
    ols = least_squares(data.x, data.y).tolist()
    ax.plot(*ols, marker="*", ms=14, color=theme.fg, ls="none", zorder=5)
    ax.plot(*A0, marker="o", ms=7, color=theme.fg, ls="none", zorder=5)
    ax.set(xlim=(s0, s1), ylim=(b0, b1), xlabel="slope", ylabel="intercept")


def animate_race(histories: list[History], data: Data, theme: Theme, title: str,
                 frames: int | None = None) -> Animation:  # fmt: skip
    """Every run's path over one contour map of the MSE, all on one clock, beside a small
    panel per run with its line over the data. A run that ends sooner holds its end."""
    e = histories[0].experiment
    steps = shared_steps(histories, frames or e.frames)
    names = [h.experiment.optimizer for h in histories]
    colors = theme.method_colors(names)
    W, H = RACE_SIZE
    rows = math.ceil(len(histories) / RACE_COLUMNS)
    xv, yv = x_view(data), y_view(data)
    with figure(theme, RACE_SIZE) as fig:
        fig.text(0.012, 0.975, title, va="top", ha="left", weight="bold", fontsize=TEXT_PT + 1)
        space = fig.add_axes((0.085, 0.11, 0.35, 0.72))
        view = path_view(histories, data, aspect=(0.35 * W) / (0.72 * H))
        draw_contours(space, data, theme, view)
        space.tick_params(labelsize=TEXT_PT)
        space.xaxis.label.set_size(TEXT_PT + 1)
        space.yaxis.label.set_size(TEXT_PT + 1)
        trails, heads, lines, fields = [], [], [], [(0.3, 0.1)]
        left0, cell_w = 0.47, (1 - 0.47 - 0.01) / RACE_COLUMNS
        cell_h = 0.86 / rows
        for i, (h, color) in enumerate(zip(histories, colors, strict=True)):
            name = h.experiment.optimizer
            (trail,) = space.plot([], [], color=color, antialiased=False, **path_style(name))
            (head,) = space.plot([], [], marker="o", ms=5, color=color, ls="none")
            trails.append(trail)
            heads.append(head)
            row, col = divmod(i, RACE_COLUMNS)
            left, top = left0 + col * cell_w, 0.9 - row * cell_h
            fig.text(left + 0.005, top, compact_label(h.experiment), color=color,
                     weight="bold", fontsize=TEXT_PT, va="top")  # fmt: skip
            ax = fig.add_axes((left + 0.005, top - cell_h + 0.085, cell_w - 0.015, cell_h - 0.13))
            ax.set(xlim=xv, ylim=yv, xticks=[], yticks=[])
            # The learning rates differ between methods: each panel says its own.
            ax.text(0.05, 0.95, f"lr {h.experiment.lr:g}", transform=ax.transAxes, ha="left",
                    va="top", color=theme.muted, fontsize=TEXT_PT - 1)  # fmt: skip
            ax.scatter(data.x[:, 0].tolist(), data.y.tolist(), s=4, color=theme.data, zorder=2)
            ax.plot(xv, true_line(data, xv), color=theme.truth, lw=1, ls="--")
            (line,) = ax.plot(xv, line_y(h.params[0], xv), color=color, lw=2, antialiased=False,
                              zorder=4)  # fmt: skip
            lines.append(line)
            fields.append((left + 0.005, 1 - (top - cell_h + 0.075)))
        headline = Headline(theme, RACE_SIZE, fontsize=TEXT_PT + 1, fields=fields)
        # The blitter draws the moving parts in this order: the widest paths first, beneath;
        # of the same width, the first methods last, so that gradient descent's crawl is
        # never hidden under another path; the star over them all.
        (star,) = space.plot(*least_squares(data.x, data.y).tolist(), marker="*", ms=14,
                             color=theme.fg, ls="none")  # fmt: skip
        order = sorted(range(len(histories)), key=lambda i: (-path_style(names[i])["lw"], -i))
        moving = [*(trails[i] for i in order), *(heads[i] for i in order), star, *lines]
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
                    blitter.snap(line, line_xy(h.params[t], xv))
                    texts.append(readout(h, t)[1] + (" (end)" if t < shared else ""))
                yield tuple(texts)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)


# Paths that run along another's would hide it: those are drawn wider, beneath, so that each
# shows as a border of the next. Every method's first step goes downhill, along one line (CG
# and Nesterov further than the rest); in a long valley they all end up moving along its
# floor, where gradient descent crawls and CG's second step goes; Adam follows RMSProp's
# diagonal. L-BFGS, whose steps on a quadratic are CG's, is dashed, as in the loss plots.
PATH_WIDTH = {"nesterov": 6.0, "adam": 5.5, "cg": 4.0, "lbfgs": 2.5}  # points; others 2


def path_style(name: str) -> dict:
    dashes = {"ls": (0, (3, 2))} if name == "lbfgs" else {}
    return {"lw": PATH_WIDTH.get(name, 2.0), **dashes}


def compact_label(e) -> str:
    """A method's name in a few characters: "GD", "momentum", "Adam, batch 16", "L-BFGS"."""
    name = {"sgd": "GD" if e.batch_size is None else "SGD", "cg": "CG"}.get(
        e.optimizer, OPTIMIZERS[e.optimizer].title
    )
    return name if e.batch_size is None else f"{name}, batch {e.batch_size}"


def _legend_below(fig, handles_from, count: int) -> None:
    handles, labels = handles_from.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.01, 0.01),
               ncols=min(count, 4), fontsize=LABEL_PT, columnspacing=1.2,
               handlelength=1.5)  # fmt: skip


def _two_panels(fig, title: str):
    fig.subplots_adjust(left=0.1, right=0.985, bottom=0.3, top=0.86, wspace=0.28)
    fig.text(0.01, 0.975, title, va="top", ha="left", weight="bold", fontsize=LABEL_PT + 1)
    axes = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    for ax in axes:
        ax.tick_params(labelsize=LABEL_PT - 1)
    return axes


FLOAT32_FLOOR = 1e-7  # float32's loss cannot tell an MSE above the floor finer than this


def excess(h: History, floor: float) -> np.ndarray:
    """The run's MSE above the least-squares floor, at each step (clipped at FLOAT32_FLOOR)."""
    return np.maximum(h.loss.double().numpy() - floor, FLOAT32_FLOOR)


def plot_race_loss(histories: list[History], data: Data, theme: Theme, title: str) -> Image.Image:
    """The MSE above the floor against updates (left) and against gradient evaluations
    (right), log scale: a method that pays for its steps with extra evaluations moves right."""
    names = [h.experiment.optimizer for h in histories]
    colors = theme.method_colors(names)
    x, y = data.x.double(), data.y.double()
    ols = least_squares(x, y)
    floor = ((x @ ols - y) ** 2).mean().item()
    with figure(theme, TWO_PANELS) as fig:
        by_step, by_grad = _two_panels(fig, title)
        for h, name, color in zip(histories, names, colors, strict=True):
            gap = excess(h, floor)
            label = compact_label(h.experiment)
            if OPTIMIZERS[name].hessians_per_update:
                label += " (+ Hessians)"
            # Dashed where a method's curve can lie on another's (L-BFGS on CG's).
            style = {"color": color, "lw": 2, "ls": (0, (4, 2)) if name == "lbfgs" else "-"}
            by_step.plot(np.arange(len(gap)), gap, label=label, **style)
            by_grad.plot(h.gradients.numpy(), gap, **style)
        for ax, xlabel in ((by_step, "update"), (by_grad, "gradient evaluations")):
            ax.set_yscale("log")
            # Linear from 0 to 1, logarithmic beyond: the methods that take one, two or four
            # updates get as much room as those that take a hundred.
            ax.set_xscale("symlog", linthresh=1, linscale=0.4)
            ax.set_xlim(0, None)
            ax.set_ylim(FLOAT32_FLOOR / 20, None)
            ax.set_xlabel(f"{xlabel} (log scale)", fontsize=LABEL_PT)
        by_step.set_ylabel("MSE above the floor", fontsize=LABEL_PT)
        for ax in (by_step, by_grad):  # where "at the floor" on the pages begins
            ax.axhline(CLOSE * floor, color=theme.muted, lw=1, ls="--", zorder=1)
            # Labels where no curve goes: just above the line at the left edge, where every
            # run is still far above it, and under float32's floor, where none can go.
            ax.text(0.02, CLOSE * floor * 1.4, f"{CLOSE:.0%} of the floor", color=theme.muted,
                    ha="left", va="bottom", fontsize=LABEL_PT - 2, zorder=1,
                    transform=ax.get_yaxis_transform())  # fmt: skip
            ax.text(0.98, FLOAT32_FLOOR / 1.5, "float32's floor", color=theme.muted,
                    ha="right", va="top", fontsize=LABEL_PT - 2,
                    transform=ax.get_yaxis_transform())  # fmt: skip
        _legend_below(fig, by_step, len(histories))
        return draw(fig)


def plot_schedules(studies: list[Study], theme: Theme, title: str) -> Image.Image:
    """Left, the learning rate of each update under each schedule; right, the median distance
    from the least-squares answer over seeds, with its 10-90% band (log scale)."""
    # Four schedules, no order among them: four of the methods' distinct colours.
    colors = [theme.methods[i] for i in (0, 1, 3, 4)][: len(studies)]
    seeds, e = len(studies[0].seeds), studies[0].experiment
    with figure(theme, TWO_PANELS) as fig:
        rates, far = _two_panels(fig, f"{title}, batch size {e.batch_size}, lr {e.lr:g}")
        far.set_title(f"median of {seeds} seeds, band 10-90%", loc="left", fontsize=LABEL_PT - 1,
                      color=theme.muted)  # fmt: skip
        for s, color in zip(studies, colors, strict=True):
            e = s.experiment
            t = np.arange(1, e.steps + 1)
            schedule = SCHEDULES[e.schedule]
            rates.plot(t, [schedule(e.lr, k, e.steps) for k in t], color=color, lw=2,
                       label=e.schedule)  # fmt: skip
            low, mid, high = s.band(s.distance()).numpy()
            steps = np.arange(e.steps + 1)
            far.fill_between(steps, low, high, color=color, alpha=0.1, lw=0)
            far.plot(steps, mid, color=color, lw=2)
        rates.set_yscale("log")
        far.set_yscale("log")
        rates.set_xlabel("update", fontsize=LABEL_PT)
        rates.set_ylabel("learning rate", fontsize=LABEL_PT)
        far.set_xlabel("step (0: the initial guess)", fontsize=LABEL_PT)
        far.set_ylabel("distance to least squares", fontsize=LABEL_PT)
        _legend_below(fig, rates, len(studies))
        return draw(fig)


def plot_conditioning(pairs: list[tuple[Data, list[History]]], theme: Theme,
                      title: str) -> Image.Image:  # fmt: skip
    """One contour map per data setting, with its runs' paths: the long, narrow valley of a
    moved x and the round bowl of the same points centred."""
    with figure(theme, TWO_PANELS) as fig:
        handles = {}
        for ax, (data, histories) in zip(_two_panels(fig, title), pairs, strict=True):
            box = ax.get_position()
            aspect = (box.width * TWO_PANELS[0]) / (box.height * TWO_PANELS[1])
            draw_contours(ax, data, theme, path_view(histories, data, aspect))
            colors = theme.method_colors([h.experiment.optimizer for h in histories])
            for i, (h, color) in enumerate(zip(histories, colors, strict=True)):
                path = h.params.numpy()
                label = f"{compact_label(h.experiment)}, lr {h.experiment.lr:g}"
                # The first on top: gradient descent's path is never hidden under momentum's.
                (handles[label],) = ax.plot(path[:, 0], path[:, 1], color=color, lw=2,
                                            marker="o", ms=2.5, label=label,
                                            zorder=3 + (len(histories) - i) / 100)  # fmt: skip
            where = "x centred" if data.spec.centred else f"x moved by {data.spec.x_shift:g}"
            ax.set_title(where, loc="left", fontsize=LABEL_PT)
            ax.set_xlabel("slope", fontsize=LABEL_PT)
            ax.set_ylabel("intercept", fontsize=LABEL_PT)
        fig.legend(list(handles.values()), list(handles), loc="lower left", ncols=3,
                   fontsize=LABEL_PT, bbox_to_anchor=(0.01, 0.01))  # fmt: skip
        return draw(fig)


# ---- facts ---------------------------------------------------------------------------------

CLOSE = 0.01  # "at the floor": the MSE within 1% of the least-squares MSE


def reach(h: History, floor: float) -> tuple[int | None, int | None]:
    """The first update, and the gradient evaluations spent by then, after which the MSE
    stays within CLOSE of the floor; None if it never does."""
    near = (h.loss.double() <= floor * (1 + CLOSE)).tolist()
    for t in range(len(near)):
        if all(near[t:]):
            return t, int(h.gradients[t])
    return None, None


def hessian_facts(data: Data, prefix: str = "") -> dict:
    x = data.x.double()
    eig = torch.linalg.eigvalsh(2 / len(x) * x.T @ x).tolist()
    return {f"{prefix}lambda_max": eig[1], f"{prefix}lambda_min": eig[0],
            f"{prefix}kappa": eig[1] / eig[0], f"{prefix}lr_max": 2 / eig[1]}  # fmt: skip


def race_facts(histories: list[History], data: Data) -> dict:
    """Per method: updates and gradient evaluations to the floor, the distance from the
    least-squares answer at the end and after its first and second updates; and the data's
    Hessian (eigenvalues, condition number, 2/λ_max)."""
    x, y = data.x.double(), data.y.double()
    ols = least_squares(x, y)
    floor = ((x @ ols - y) ** 2).mean().item()
    out = {"floor": floor, "steps": max(h.steps_run for h in histories), **hessian_facts(data),
           "close_percent": CLOSE * 100,
           # how far the guess's intercept is from the answer's: a method whose steps are at
           # most about lr long needs this over lr updates to get there
           "intercept_gap": abs(ols[1].item() - A0[1])}  # fmt: skip
    for h in histories:
        name = h.experiment.optimizer
        updates, evaluations = reach(h, floor)
        distance = (h.params.double() - ols).norm(dim=1)
        out |= {
            f"{name}_updates": updates,
            f"{name}_evaluations": evaluations,
            f"{name}_distance": distance[-1].item(),
            f"{name}_distance_1": distance[min(1, h.steps_run)].item(),
            f"{name}_distance_2": distance[min(2, h.steps_run)].item(),
            f"{name}_excess": h.loss[-1].item() - floor,
            f"{name}_lr": h.experiment.lr,
            f"{name}_gap_over_lr": out["intercept_gap"] / h.experiment.lr,
        }
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


def schedule_facts(studies: list[Study]) -> dict:
    """Per schedule: the 10%, median and 90% distance from least squares at the end, and the
    median at a tenth of the way (while every schedule's rate is still near its start)."""
    e = studies[0].experiment
    out = {"seeds": len(studies[0].seeds), "steps": e.steps, "lr": e.lr,
           "batch_size": e.batch_size}  # fmt: skip
    for s in studies:
        band = s.band(s.distance())
        low, mid, high = band[:, -1].tolist()
        tenth = s.experiment.steps // 10
        out |= {f"{s.experiment.schedule}_low": low, f"{s.experiment.schedule}_median": mid,
                f"{s.experiment.schedule}_high": high,
                f"{s.experiment.schedule}_median_tenth": band[1, tenth].item()}  # fmt: skip
    out["tenth"] = studies[0].experiment.steps // 10
    for name in ("step", "inverse", "cosine"):
        out[f"constant_over_{name}"] = out["constant_median"] / out[f"{name}_median"]
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


def minibatch_facts(studies: list[Study]) -> dict:
    """Per optimizer at a mini-batch: the 10%, median and 90% final MSE and distance."""
    out = {"seeds": len(studies[0].seeds), "batch_size": studies[0].experiment.batch_size}
    for s in studies:
        name = s.experiment.optimizer
        loss = s.band(s.loss[:, -1]).tolist()
        distance = s.band(s.distance()[:, -1]).tolist()
        out |= {f"{name}_loss_median": loss[1], f"{name}_loss_high": loss[2],
                f"{name}_distance_median": distance[1], f"{name}_distance_low": distance[0],
                f"{name}_distance_high": distance[2]}  # fmt: skip
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}
