"""Several runs side by side on one clock: every frame shows the same step in every panel."""

import math
from dataclasses import dataclass

from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.text import Text

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.training import History
from sgd_lib.pictures.animate import Animation, Blitter
from sgd_lib.pictures.canvas import DPI, Headline, figure
from sgd_lib.pictures.class_parts import CURVE_X, X_VIEW, draw_classes, probability
from sgd_lib.pictures.render_fit import (
    NO_POINTS,
    batch_xy,
    durations,
    line_xy,
    line_y,
    mark_batches,
    pin_off_view,
    readout,
    true_line,
    x_view,
    y_view,
)
from sgd_lib.pictures.theme import Theme, schemes
from sgd_lib.pictures.words import short_label

# 640 pixels: what the content column shows on a desktop, and what a phone's ~380 CSS px
# need at its ~1.75 device pixels each; a wider GIF is bytes no screen shows.
GRID_WIDTH = 640
MAX_COLUMNS = 4  # panels ~150 px wide: a phone shows them at ~90, the text still legible
CELL_HEIGHT = 232  # pixels per row of panels: settings, panel, step and MSE
HEADER = 64  # pixels above the panels: the title and the legend
TEXT_PT = 12  # the settings, step and MSE under each panel: 9 CSS px on a phone (640 px)
LINE_PX = round(TEXT_PT * 1.4 * DPI / 72)  # one line of that text, in pixels
LABEL_PX, READOUT_PX = 2 * LINE_PX + 4, 2 * LINE_PX + 14  # a cell's text above and below


def shared_steps(histories: list[History], frames: int, until: int | None = None) -> list[int]:
    """The clock: steps 0, u, 2u, … to the longest run's end (or `until`, if sooner),
    u = ceil(its steps / (frames - 1)): every tick is the same number of updates in every
    panel (the last tick may be fewer)."""
    last = max(h.steps_run for h in histories)
    last = last if until is None else min(last, until)
    every = max(1, math.ceil(last / (frames - 1)))
    return [min(k * every, last) for k in range(math.ceil(last / every) + 1)]


def panel_label(h: History) -> str:
    """The settings on two short lines: a panel is too narrow for run_label's one."""
    e = h.experiment
    return f"{short_label(e.batch_size, e.optimizer)}\nlr {e.lr:g}"


def grid_shape(count: int) -> tuple[int, int]:
    """Rows and columns: one row of up to MAX_COLUMNS panels, else rows filled evenly."""
    rows = math.ceil(count / MAX_COLUMNS)
    return rows, math.ceil(count / rows)


@dataclass
class _Panel:
    """One run's moving parts."""

    h: History
    line: Line2D  # the fitted line
    batch: PathCollection | None  # rings on the batch that made the step shown; None for GD
    away: Text  # where the line is, when it has left the view
    note: Text  # "diverged at step N", once the run has ended so

    def moving(self) -> list:
        return [a for a in (self.batch, self.line, self.note, self.away) if a is not None]


def is_classes(h: History) -> bool:
    """Whether the run fits a probability to two classes (not a line)."""
    return PROBLEMS[h.experiment.problem].model == "probability"


def _draw_panel(ax: Axes, h: History, data: Data, theme: Theme, rings: bool = True) -> _Panel:
    """The still parts of a small fit plot, and its moving parts at step 0: the line over
    the points, or over the classes the probability curve."""
    if is_classes(h):
        ax.set(xlim=X_VIEW, ylim=(-0.15, 1.15), xticklabels=[], yticklabels=[])
        ax.tick_params(length=0)
        draw_classes(ax, data, theme, s=8)
        for drawn in ax.get_lines():  # the grid's one legend has room for five entries
            drawn.set_label("_true")  # the dashed true p(x): the page's other figures say so
        (line,) = ax.plot(CURVE_X, probability(h.params[0]), color=theme.fit, label="p(x)",
                          zorder=4, lw=2, antialiased=False, gid="fit")  # fmt: skip
    else:
        xv = x_view(data)
        ax.set(xlim=xv, ylim=y_view(data), xticklabels=[], yticklabels=[])
        ax.tick_params(length=0)
        ax.scatter(data.x[:, 0].tolist(), data.y.tolist(), s=8, color=theme.data, label="data",
                   zorder=2)  # fmt: skip
        ax.plot(xv, true_line(data, xv), color=theme.truth, lw=1.2, ls="--", label="true line")
        (line,) = ax.plot(xv, line_y(h.params[0], xv), color=theme.fit, label="fit", zorder=4,
                          lw=2, antialiased=False, gid="fit")  # fmt: skip
    batch = mark_batches(ax, h, theme, s=24) if rings else None
    note = ax.text(0.5, 0.22, f"diverged at\nstep {h.diverged_at}", color=theme.alarm,
                   transform=ax.transAxes, ha="center", va="center", fontsize=TEXT_PT,
                   weight="bold", visible=False, gid="diverged")  # fmt: skip
    away = ax.text(0.04, 0.97, "", color=theme.fit, transform=ax.transAxes, ha="left",
                   fontsize=13, weight="bold", visible=False, gid="off-view")  # fmt: skip
    return _Panel(h, line, batch, away, note)


def animate_grid(histories: list[History], data: Data, theme: Theme, title: str,
                 frames: int | None = None) -> Animation:  # fmt: skip
    """One small fit panel per run, all on one clock (`Animation.steps`) of `frames` ticks;
    a run that ends sooner holds its last step, and says so if it diverged. The first run's
    `frame_ms` (and `frames`, if not given) set the clock."""
    e = histories[0].experiment
    steps = shared_steps(histories, frames or e.frames)
    rows, cols = grid_shape(len(histories))
    w, h_px = size = (GRID_WIDTH, HEADER + rows * CELL_HEIGHT)
    cell_w = w / cols

    def at(left, top):  # pixels from the top left -> fractions of the figure from the bottom
        return left / w, 1 - top / h_px

    with figure(theme, size) as fig:
        fig.text(*at(10, 6), title, va="top", ha="left", weight="bold", fontsize=TEXT_PT)
        panels, fields = [], []
        for i, h in enumerate(histories):
            row, col = divmod(i, cols)
            left, top = col * cell_w + 12, HEADER + row * CELL_HEIGHT
            x0, y0 = at(left, top + CELL_HEIGHT - READOUT_PX)
            ax = fig.add_axes((x0, y0, (cell_w - 24) / w,
                               (CELL_HEIGHT - LABEL_PX - READOUT_PX) / h_px))  # fmt: skip
            # The settings on two lines: the panel is too narrow for one.
            fig.text(*at(left, top), panel_label(h), va="top", ha="left", fontsize=TEXT_PT,
                     linespacing=1.15)  # fmt: skip
            below = top + CELL_HEIGHT - READOUT_PX + 6
            fields += [(left / w, below / h_px), (left / w, (below + LINE_PX) / h_px)]
            panels.append(_draw_panel(ax, h, data, theme))
        # One legend for all: the first panel's parts, and the rings if any panel has them.
        legend = dict(zip(*reversed(fig.axes[0].get_legend_handles_labels()), strict=True))
        for p in panels:
            if p.batch is not None:
                legend.setdefault(p.batch.get_label(), p.batch)
        fig.legend(list(legend.values()), list(legend.keys()), loc="upper left",
                   bbox_to_anchor=at(4, 27), ncols=len(legend), fontsize=TEXT_PT,
                   columnspacing=1.2, handletextpad=0.5, markerscale=1.5)  # fmt: skip
        headline = Headline(theme, size, fontsize=TEXT_PT, fields=fields)
        blitter = Blitter(fig, [a for p in panels for a in p.moving()], headline,
                          theme.palette(), schemes(Theme.palette))  # fmt: skip

        view, xv = y_view(data), x_view(data)

        def states():
            for shared in steps:
                texts: list[str] = []
                for p in panels:
                    t = min(shared, p.h.steps_run)  # a run that has ended holds its end
                    if is_classes(p.h):
                        p.line.set_ydata(probability(p.h.params[t]))
                    else:
                        blitter.snap(p.line, line_xy(p.h.params[t], xv))
                        pin_off_view(p.away, p.h.params[t], view, short=True, xv=xv)
                    if p.batch is not None:  # no rings once a run has ended: no update made it
                        p.batch.set_offsets(batch_xy(p.h, data, t) if t == shared else NO_POINTS)
                    p.note.set_visible(p.h.diverged and t == p.h.steps_run)
                    step, mse = readout(p.h, t)
                    texts += [f"{step} (end)" if t < shared else step, mse]
                yield tuple(texts)

        return blitter.frames(states(), durations(len(steps), e.frame_ms), steps)


THUMB_SIZE = (320, 240)  # pixels: a cell of the every-run grid, ~160 px wide on a page
# The every-run grid shows every run's first updates, one frame each, on one clock: most runs
# have 100; the long lr 0.01 runs are seen that far (still far from the answer).
THUMB_STEPS = 100


def animate_thumb(h: History, data: Data, theme: Theme) -> Animation:
    """A small fit panel of one run, with no text of its own: the page around it shows the
    settings, the step and the MSE. A frame per step, to THUMB_STEPS at most. No batch rings:
    at this size they are noise, and they would make every frame cost what the line does
    many times over."""
    steps = list(range(min(h.steps_run, THUMB_STEPS) + 1))
    with figure(theme, THUMB_SIZE) as fig:
        ax = fig.add_axes((0.02, 0.02, 0.96, 0.96))
        panel = _draw_panel(ax, h, data, theme, rings=False)
        blitter = Blitter(fig, panel.moving(), Headline(theme, THUMB_SIZE, TEXT_PT, []),
                          theme.palette(), schemes(Theme.palette))  # fmt: skip
        view, xv = y_view(data), x_view(data)

        def states():
            for t in steps:
                blitter.snap(panel.line, line_xy(h.params[t], xv))
                pin_off_view(panel.away, h.params[t], view, short=True, xv=xv)
                panel.note.set_visible(h.diverged and t == h.steps_run)
                yield ()

        return blitter.frames(states(), durations(len(steps), h.experiment.frame_ms), steps)
