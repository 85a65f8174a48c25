"""One run three ways, in step: its path over the MSE surface, its line over the data, its loss."""

import numpy as np

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.training import History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
from sgd_lib.pictures.render_fit import (
    batch_xy,
    durations,
    frame_steps,
    line_xy,
    line_y,
    mark_batches,
    pin_off_view,
    readout,
    settings_label,
    true_line,
    x_view,
    y_view,
)
from sgd_lib.pictures.render_plots import draw_surface
from sgd_lib.pictures.theme import Theme, schemes

# pixels: parameter space on the left, fit and loss on the right; no wider than the texts
# allow at a phone's width (12 pt at 640 px is 9 CSS px at 358)
LINKED_SIZE = (640, 560)


def animate_linked(h: History, data: Data, theme: Theme) -> Animation:
    e = h.experiment
    steps = frame_steps(h.steps_run, e.frames)
    path = h.params.numpy()
    loss = h.loss.numpy()
    with figure(theme, LINKED_SIZE) as fig:
        grid = fig.add_gridspec(2, 2, left=0.115, right=0.965, bottom=0.1, top=0.88, wspace=0.36,
                                hspace=0.55, width_ratios=(1, 1.25))  # fmt: skip
        space = fig.add_subplot(grid[:, 0])
        fit, curve = fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1])
        draw_surface(space, data, theme)
        space.set_title("parameters", loc="left", fontsize=14)

        xv = x_view(data)
        fit.set(xlim=xv, ylim=y_view(data), xlabel="x", ylabel="y")
        fit.scatter(data.x[:, 0].tolist(), data.y.tolist(), s=10, color=theme.data)
        fit.plot(xv, true_line(data, xv), color=theme.truth, lw=1.2, ls="--")
        fit.set_title("line", loc="left", fontsize=14)

        curve.set(xlim=(0, h.steps_run), ylim=(loss.min() / 2, loss.max() * 2), yscale="log",
                  xlabel="step", ylabel="MSE")  # fmt: skip
        curve.plot(np.arange(len(loss)), loss, color=theme.grid, lw=1.5)  # where it is going
        curve.set_title("loss", loc="left", fontsize=14)
        fig.text(0.02, 0.97, settings_label(h), va="top", ha="left", color=theme.muted)

        (trail,) = space.plot([], [], color=theme.fit, lw=2.5, zorder=4)
        (head,) = space.plot([], [], marker="o", ms=8, color=theme.fit, ls="none", zorder=6)
        (line,) = fit.plot(xv, line_y(h.params[0], xv), color=theme.fit, zorder=4, gid="fit")
        batch = mark_batches(fit, h, theme, s=40)
        if batch is not None:
            fit.legend(handles=[batch], loc="upper left", fontsize=12, borderpad=0.2)
        away = fit.text(0.45, 0.98, "", color=theme.fit, transform=fit.transAxes, ha="left",
                        fontsize=12, weight="bold", gid="off-view")  # fmt: skip
        (so_far,) = curve.plot([], [], color=theme.fit, lw=2.5)
        (now,) = curve.plot([], [], marker="o", ms=7, color=theme.fit, ls="none")
        headline = Headline(theme, LINKED_SIZE, fontsize=16, fields=[(0.55, 0.025), (0.75, 0.025)])
        rings = [] if batch is None else [batch]  # under the line, as in animate_fit
        moving = [trail, head, *rings, line, away, so_far, now]
        blitter = Blitter(fig, moving, headline, theme.palette(), schemes(Theme.palette))

        def states():
            for t in steps:
                trail.set_data(path[: t + 1, 0], path[: t + 1, 1])
                head.set_data(path[t : t + 1, 0], path[t : t + 1, 1])
                blitter.snap(line, line_xy(h.params[t], xv))
                pin_off_view(away, h.params[t], fit.get_ylim(), short=True, xv=xv)
                if batch is not None:
                    batch.set_offsets(batch_xy(h, data, t))
                so_far.set_data(np.arange(t + 1), loss[: t + 1])
                now.set_data([t], loss[t : t + 1])
                yield readout(h, t)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)
