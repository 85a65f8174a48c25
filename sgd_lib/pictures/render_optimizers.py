"""Figures of the optimizers side by side: their loss against updates and against gradient
evaluations; the learning-rate schedules over seeds; the loss surface before and after
centring x. (The race's animation is in render_race; the numbers in optimizer_facts.)
"""

import numpy as np
from PIL import Image

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.studies import Study
from sgd_lib.lesson.training import History
from sgd_lib.pictures.canvas import figure
from sgd_lib.pictures.optimizer_facts import CLOSE
from sgd_lib.pictures.render_plots import draw
from sgd_lib.pictures.render_race import compact_label, draw_contours, path_view
from sgd_lib.pictures.theme import Theme

# pixels: two plots, one above the other, the legend below: no wider than the texts allow at
# a phone's width (12 pt at 640 px is 9 CSS px at 358)
TWO_PANELS = (640, 860)
LABEL_PT = 13


def _legend_below(fig, handles_from, count: int) -> None:
    handles, labels = handles_from.get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower left", bbox_to_anchor=(0.01, 0.01),
               ncols=min(count, 3), fontsize=LABEL_PT - 1, columnspacing=1.0,
               handlelength=1.5)  # fmt: skip


def _two_panels(fig, title: str, count: int = 2):
    """`count` plots one above the other under `title`, room for a legend below."""
    height = fig.get_size_inches()[1] * fig.dpi  # pixels
    fig.subplots_adjust(left=0.14, right=0.97, bottom=170 / height, top=1 - 60 / height,
                        hspace=0.45)  # fmt: skip
    fig.text(0.01, 1 - 13 / height, title, va="top", ha="left", weight="bold",
             fontsize=LABEL_PT + 1)  # fmt: skip
    axes = [fig.add_subplot(count, 1, i + 1) for i in range(count)]
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
    problem = PROBLEMS[histories[0].experiment.problem]
    floor = problem.fn("loss")(x @ problem.fn("answer")(x, y), y).item()  # the answer's loss
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
        by_step.set_ylabel(f"{problem.loss_name} above the floor", fontsize=LABEL_PT)
        for ax in (by_step, by_grad):  # where "at the floor" on the pages begins
            ax.axhline(CLOSE * floor, color=theme.muted, lw=1, ls="--", zorder=1)
            # Labels where no curve goes: just above the line at the left edge, where every
            # run is still far above it, and under float32's floor, where none can go.
            ax.text(0.02, CLOSE * floor * 1.4, f"{CLOSE:.0%} of the floor", color=theme.muted,
                    ha="left", va="bottom", fontsize=LABEL_PT - 1, zorder=1,
                    transform=ax.get_yaxis_transform())  # fmt: skip
            ax.text(0.98, FLOAT32_FLOOR / 1.5, "float32's floor", color=theme.muted,
                    ha="right", va="top", fontsize=LABEL_PT - 1,
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
    moved x, the milder bowl of the same points centred, the round one of them standardised."""
    size = (TWO_PANELS[0], 230 + 330 * len(pairs))  # pixels: a map of the same size each
    with figure(theme, size) as fig:
        handles = {}
        for ax, (data, histories) in zip(_two_panels(fig, title, len(pairs)), pairs, strict=True):
            box = ax.get_position()
            aspect = (box.width * size[0]) / (box.height * size[1])
            draw_contours(ax, data, theme, path_view(histories, data, aspect))
            colors = theme.method_colors([h.experiment.optimizer for h in histories])
            for i, (h, color) in enumerate(zip(histories, colors, strict=True)):
                path = h.params.numpy()
                label = f"{compact_label(h.experiment)}, lr {h.experiment.lr:g}"
                # The first on top: gradient descent's path is never hidden under momentum's.
                (handles[label],) = ax.plot(path[:, 0], path[:, 1], color=color, lw=2,
                                            marker="o", ms=2.5, label=label,
                                            zorder=3 + (len(histories) - i) / 100)  # fmt: skip
            spec = data.spec
            where = ("x standardised" if spec.scaled else "x centred" if spec.centred
                     else f"x moved by {spec.x_shift:g}")  # fmt: skip
            ax.set_title(where, loc="left", fontsize=LABEL_PT)
            ax.set_xlabel("slope", fontsize=LABEL_PT)
            ax.set_ylabel("intercept", fontsize=LABEL_PT)
        fig.legend(list(handles.values()), list(handles), loc="lower left", ncols=2,
                   fontsize=LABEL_PT, bbox_to_anchor=(0.01, 0.01))  # fmt: skip
        return draw(fig)
