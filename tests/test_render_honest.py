"""Figures that do not mislead: a line out of view is pointed at, the batch behind each step is
ringed, runs compared side by side share one clock, and every path stands out from its page.

Each animation is rendered with the frame engine watched: per frame, the texts drawn and the
state of every moving artist as it is drawn. The pixels are checked against that state."""

import math
import re
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure

from sgd_lib import Experiment, train
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.training import History
from sgd_lib.pictures import render_plots as render_plots_module
from sgd_lib.pictures.animate import SNAP_PX, Animation, Blitter
from sgd_lib.pictures.canvas import Headline, figure
from sgd_lib.pictures.encode import gif_bytes
from sgd_lib.pictures.render_fit import HOLD_FIRST_MS, HOLD_LAST_MS, X_VIEW, animate_fit
from sgd_lib.pictures.render_grid import animate_grid
from sgd_lib.pictures.render_linked import animate_linked
from sgd_lib.pictures.render_plots import plot_paths
from sgd_lib.pictures.theme import DARK, LIGHT, THEMES


@dataclass
class Watched:
    animation: Animation
    fig: Figure
    texts: list[tuple[str, ...]]  # per frame, the headline's texts
    artists: list[dict[tuple[str, int], dict]]  # per frame: (gid, panel) -> the artist's state


def _state(artist) -> dict:
    state = {"visible": artist.get_visible()}
    if hasattr(artist, "get_offsets"):  # the batch's rings, in data units
        state["offsets"] = np.array(artist.get_offsets(), dtype=float).reshape(-1, 2)
    elif hasattr(artist, "get_xydata"):  # a line, in pixels (y up)
        state["px"] = artist.get_transform().transform(artist.get_xydata())
    else:
        state["text"] = artist.get_text()
    return state


def watch(animate, *args) -> Watched:
    """Run `animate(*args)`, recording what the frame engine is handed for every frame."""
    figs, texts, artists = [], [], []
    init, draw = Blitter.__init__, Blitter.draw

    def spy_init(self, fig, moving, headline, colors, schemes=None):
        figs.append(fig)
        init(self, fig, moving, headline, colors, schemes)

    def spy_draw(self, frame_texts):
        texts.append(frame_texts)
        axes = self.fig.axes
        artists.append({(a.get_gid(), axes.index(a.axes)): _state(a) for a in self.moving})
        return draw(self, frame_texts)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Blitter, "__init__", spy_init)
        mp.setattr(Blitter, "draw", spy_draw)
        animation = animate(*args)
    return Watched(animation, figs[0], texts, artists)


def painted(animation: Animation, frame: np.ndarray, color: str) -> np.ndarray:
    """(H, W) bool: the frame's pixels in `color`, or in a palette entry within a hair of it
    (the dark theme's batch and alarm reds differ by 3 in one channel; either may come out)."""
    rgb = [int(color[i : i + 2], 16) for i in (1, 3, 5)]
    palette = np.array(animation.palette.getpalette("RGB")[: 3 * 15]).reshape(-1, 3)
    near = np.flatnonzero(np.abs(palette - rgb).sum(axis=1) <= 8)
    return np.isin(frame, near)


def pixel_box(artist, fig: Figure, pad: int = 0) -> tuple[slice, slice]:
    """Rows and columns of a frame covered by `artist`'s extent (frames' rows run down)."""
    box = artist.get_window_extent(fig.canvas.get_renderer())
    height = fig.canvas.get_width_height()[1]
    rows = slice(max(0, int(height - box.y1) - pad), int(np.ceil(height - box.y0)) + pad)
    return rows, slice(max(0, int(box.x0) - pad), int(np.ceil(box.x1)) + pad)


def out_of_view(a: torch.Tensor, ylim) -> tuple[str, bool]:
    """The oracle, by sampling the line: whether it is wholly above or below the view, and
    whether it shows less than a tenth of the plot's size (a corner's sliver, or nothing)."""
    slope, intercept = a.tolist()
    x = np.linspace(*X_VIEW, 4001)
    y = slope * x + intercept
    inside = (ylim[0] <= y) & (y <= ylim[1])
    both = inside[1:] & inside[:-1]
    steps = np.hypot(np.diff(x) / np.ptp(X_VIEW), np.diff(y) / (ylim[1] - ylim[0]))
    wholly = "above" if (y > ylim[1]).all() else "below" if (y < ylim[0]).all() else ""
    return wholly, steps[both].sum() < 0.1


def hand_made(data, params: list[tuple[float, float]]) -> History:
    """An SGD history whose lines go where we say: the pixels must follow them."""
    steps = len(params) - 1
    g = torch.Generator().manual_seed(0)
    return History(
        experiment=Experiment(1.0, 4, steps=steps),
        params=torch.tensor(params),
        loss=torch.full((steps + 1,), 50.0),
        batch_loss=torch.full((steps,), 50.0),
        batches=torch.stack([torch.randperm(data.spec.n, generator=g)[:4] for _ in range(steps)]),
        diverged_at=None,
    )


# --- 1. a line that leaves the view stays visible -------------------------------------------

# The guess; above; in view; below; steep, through the view; just above; below; a sliver in
# the bottom left corner, under a hundredth of the plot's size; in view.
WANDERING = [(-1.0, 1.0), (3.0, 40.0), (2.0, 10.0), (1.0, -30.0), (80.0, 5.0), (0.0, 17.2),
             (-5.0, -8.0), (-60.0, -67.0), (3.0, 10.0)]  # fmt: skip


@pytest.fixture(scope="module", params=["lr1.0-bs4", "hand-made"])
def wild(request, data):
    if request.param == "hand-made":
        return hand_made(data, WANDERING)
    return train(data, Experiment(lr=1.0, batch_size=4))


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_a_line_out_of_view_is_pointed_at_exactly_when_it_is(wild, data, theme):
    w = watch(animate_fit, wild, data, theme)
    ax = w.fig.axes[0]
    ylim = ax.get_ylim()
    handle = next(h for h in ax.get_legend().legend_handles if h.get_label() == "fit")
    skip_rows, skip_cols = pixel_box(handle, w.fig, pad=3)  # the legend's own fit sample
    rows, cols = pixel_box(ax, w.fig)
    where = []
    for t, frame, state in zip(w.animation.steps, w.animation.frames, w.artists, strict=True):
        wholly, gone = out_of_view(wild.params[t], ylim)
        where.append(wholly or ("sliver" if gone else ""))
        shown = painted(w.animation, frame, theme.fit)
        shown[skip_rows, skip_cols] = False
        assert shown[rows, cols].sum() >= 30, f"step {t}: nothing of the fit in the plot"
        note = state[("off-view", 0)]
        assert note["visible"] == gone, f"step {t}"  # so also whenever it is wholly out
        if gone:
            intercept = wild.params[t, 1].item()
            side = "above" if intercept > sum(ylim) / 2 else "below"
            assert wholly in ("", side)
            assert f"line {side} the view" in note["text"] and "x = 0" in note["text"]
            number = float(re.search(r"y ≈ (\S+)", note["text"])[1]
                           .replace(",", "").replace("\N{MINUS SIGN}", "-"))  # fmt: skip
            assert number == pytest.approx(intercept, abs=0.051 if abs(intercept) < 10 else 0.51)
        if wholly:  # the line itself is outside the axes
            line_px = state[("fit", 0)]["px"]
            ax_box = ax.get_window_extent()
            assert (line_px[:, 1] > ax_box.y1).all() or (line_px[:, 1] < ax_box.y0).all()
    if len(wild.params) == len(WANDERING):
        assert where == ["", "above", "", "below", "", "above", "below", "sliver", ""]


def test_a_text_that_overhangs_its_axes_is_redrawn_where_it_overhangs(monkeypatch):
    # Text in axes coordinates carries the axes' clip box but is not clipped to it.
    def run():
        size = (240, 120)
        with figure(LIGHT, size) as fig:
            ax = fig.add_axes((0.05, 0.1, 0.5, 0.8))
            note = ax.text(0.8, 0.5, "", transform=ax.transAxes, gid="note")
            blitter = Blitter(fig, [note], Headline(LIGHT, size, 10, []), LIGHT.palette())

            def states():
                for words in ["a", "overhanging", "b", "a longer overhang", ""]:
                    note.set_text(words)
                    yield ()

            return blitter.frames(states(), [60] * 5, list(range(5)))

    fast = run()
    monkeypatch.setattr(Blitter, "_box", lambda self, artist: (0, 0, 240, 120))
    for a, b in zip(fast.frames, run().frames, strict=True):
        np.testing.assert_array_equal(a, b)


# --- 2. the batch behind each step is ringed ------------------------------------------------


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_the_rings_are_exactly_the_batch_that_made_the_step(data, theme):
    h = train(data, Experiment(0.1, 16))
    w = watch(animate_fit, h, data, theme)
    ax = w.fig.axes[0]
    legend = ax.get_legend()
    assert "this step's batch" in [t.get_text() for t in legend.get_texts()]
    skip_rows, skip_cols = pixel_box(legend, w.fig)
    height = w.fig.canvas.get_width_height()[1]
    points = np.column_stack([data.x[:, 0].numpy(), data.y.numpy()])
    for t, frame, state in zip(w.animation.steps, w.animation.frames, w.artists, strict=True):
        rings = state[("batch", 0)]["offsets"]
        expected = points[h.batches[t - 1].numpy()] if t else np.empty((0, 2))
        np.testing.assert_array_equal(np.sort(rings, axis=0), np.sort(expected, axis=0))
        # The pixels: ring colour only around those points, and around every one of them.
        red = painted(w.animation, frame, theme.batch)
        red[skip_rows, skip_cols] = False
        ys, xs = np.nonzero(red)
        centres = ax.transData.transform(expected)
        centres[:, 1] = height - centres[:, 1]
        if t == 0:
            assert len(ys) == 0
            continue
        gaps = np.hypot(xs[:, None] - centres[None, :, 0], ys[:, None] - centres[None, :, 1])
        assert gaps.min(axis=1).max() <= 10  # every ring pixel hugs a point of the batch
        assert ((gaps <= 10).sum(axis=0) >= 8).all()  # and every point of it has its ring


def test_gradient_descent_rings_nothing(data):
    w = watch(animate_fit, train(data, Experiment(0.1)), data, LIGHT)
    assert all(gid != "batch" for frame in w.artists for gid, _ in frame)
    legend = [t.get_text() for t in w.fig.axes[0].get_legend().get_texts()]
    assert legend == ["data", "true line", "fit"]
    assert not any(painted(w.animation, frame, LIGHT.batch).any() for frame in w.animation.frames)


def test_the_linked_animation_rings_the_batch_too(data, monkeypatch):
    h = train(data, Experiment(0.1, 16, steps=30))
    w = watch(animate_linked, h, data, LIGHT)
    points = np.column_stack([data.x[:, 0].numpy(), data.y.numpy()])
    panel = next(i for i, ax in enumerate(w.fig.axes) if ax.get_title(loc="left") == "line")
    for t, state in zip(w.animation.steps, w.artists, strict=True):
        expected = points[h.batches[t - 1].numpy()] if t else np.empty((0, 2))
        rings = state[("batch", panel)]["offsets"]
        np.testing.assert_array_equal(np.sort(rings, axis=0), np.sort(expected, axis=0))
    monkeypatch.setattr(Blitter, "_box", lambda self, artist: (0, 0, 800, 520))
    for a, b in zip(w.animation.frames, animate_linked(h, data, LIGHT).frames, strict=True):
        np.testing.assert_array_equal(a, b)


# --- 3. runs side by side on one clock ------------------------------------------------------


@pytest.fixture(scope="module")
def lr_grid(data):
    runs = [train(data, Experiment(lr, 16, steps=s)) for lr, s in [(0.01, 1000), (0.1, 100),
                                                                    (1.0, 100)]]  # fmt: skip
    return runs, watch(animate_grid, runs, data, DARK, "learning rates, batch size 16")


@pytest.fixture(scope="module")
def ragged_grid(data):
    # 250 steps: 3 updates a tick, and a last tick of 1; lr 1 at batch size 1 diverges.
    runs = [train(data, Experiment(0.1, 16, steps=250)), train(data, Experiment(1.0, 1)),
            train(data, Experiment(0.1))]  # fmt: skip
    assert runs[1].diverged
    return runs, watch(animate_grid, runs, data, LIGHT, "ragged")


def test_every_panel_shows_the_shared_step_or_its_end(lr_grid, ragged_grid, data):
    for runs, w in (lr_grid, ragged_grid):
        steps = w.animation.steps
        last = max(h.steps_run for h in runs)
        every = math.ceil(last / 100)
        assert steps == [min(k * every, last) for k in range(math.ceil(last / every) + 1)]
        assert len(w.animation.frames) == len(steps) <= 101
        for k, shared in enumerate(steps):
            for i, h in enumerate(runs):
                t = min(shared, h.steps_run)
                step_text, mse_text = w.texts[k][2 * i : 2 * i + 2]
                assert step_text == (f"step {t}" if t == shared else f"step {t} (end)")
                assert mse_text.startswith("MSE ")
                drawn = w.artists[k][("fit", i)]["px"]  # the panel's line is at step t
                slope, intercept = h.params[t].tolist()
                want = w.fig.axes[i].transData.transform(
                    [(x, slope * x + intercept) for x in X_VIEW]
                )
                assert np.abs(drawn - want).max() < SNAP_PX + 1e-6
                note = w.artists[k][("diverged", i)]
                assert note["visible"] == (h.diverged and t == h.steps_run)


def test_the_clock_ticks_the_same_number_of_updates_each_frame(lr_grid):
    _, w = lr_grid
    assert len(w.animation.frames) == 101
    assert w.animation.steps == list(range(0, 1001, 10))
    assert w.animation.durations_ms == [HOLD_FIRST_MS, *[60] * 99, HOLD_LAST_MS]
    # At the same instant lr 0.01 and lr 0.1 have made the same number of updates.
    k = w.animation.steps.index(50)
    assert w.texts[k][0] == w.texts[k][2] == "step 50"


def test_a_diverged_panel_holds_and_says_so(ragged_grid):
    runs, w = ragged_grid
    end = runs[1].steps_run
    shows = [k for k, frame in enumerate(w.artists) if frame[("diverged", 1)]["visible"]]
    assert shows == [k for k, s in enumerate(w.animation.steps) if s >= end]
    assert w.artists[-1][("diverged", 1)]["text"] == f"diverged at\nstep {runs[1].diverged_at}"
    assert w.animation.steps[-2:] == [249, 250] and len(w.animation.frames) == 85
    durations = w.animation.durations_ms
    assert durations[0] == HOLD_FIRST_MS and durations[-1] == HOLD_LAST_MS
    assert set(durations[1:-1]) == {60}


def test_grid_rings_mark_only_running_panels(ragged_grid, data):
    runs, w = ragged_grid
    points = np.column_stack([data.x[:, 0].numpy(), data.y.numpy()])
    assert all(("batch", 2) not in frame for frame in w.artists)  # gradient descent
    for k, shared in enumerate(w.animation.steps):
        for i in (0, 1):
            h, rings = runs[i], w.artists[k][("batch", i)]["offsets"]
            running = 0 < shared <= h.steps_run
            expected = points[h.batches[shared - 1].numpy()] if running else np.empty((0, 2))
            np.testing.assert_array_equal(np.sort(rings, axis=0), np.sort(expected, axis=0))


def test_the_batch_size_grid_is_two_rows_of_four_and_under_a_megabyte(data):
    runs = [train(data, Experiment(0.1, b)) for b in (1, 2, 4, 8, 16, 32, 64)]
    for theme in THEMES:
        w = watch(animate_grid, runs, data, theme, "batch sizes, lr 0.1")
        corners = {(round(ax.get_position().x0, 3), round(ax.get_position().y0, 3))
                   for ax in w.fig.axes}  # fmt: skip
        assert len(corners) == 7
        assert len({x for x, _ in corners}) == 4 and len({y for _, y in corners}) == 2
        a = w.animation
        assert len(a.frames) == 101
        assert len(gif_bytes(a.frames, a.palette, a.durations_ms)) < 1_000_000


def test_grid_redraws_only_what_moved(ragged_grid, data, monkeypatch):
    runs, w = ragged_grid
    whole = (0, 0, *w.fig.canvas.get_width_height())
    monkeypatch.setattr(Blitter, "_box", lambda self, artist: whole)
    slow = animate_grid(runs, data, LIGHT, "ragged")
    for a, b in zip(w.animation.frames, slow.frames, strict=True):
        np.testing.assert_array_equal(a, b)


def test_fit_with_rings_and_pointer_redraws_only_what_moved(data, monkeypatch):
    h = hand_made(data, WANDERING)
    fast = animate_fit(h, data, DARK)
    whole = (0, 0, *fast.frames[0].shape[::-1])
    monkeypatch.setattr(Blitter, "_box", lambda self, artist: whole)
    slow = animate_fit(h, data, DARK)
    for a, b in zip(fast.frames, slow.frames, strict=True):
        np.testing.assert_array_equal(a, b)


# --- 4. parameter space: every path legible, and a zoom on where they end -------------------


def contrast(a, b) -> float:
    """WCAG's contrast ratio of two RGB triples (0-255)."""

    def luminance(rgb):
        c = np.asarray(rgb) / 255
        c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
        return c @ [0.2126, 0.7152, 0.0722]

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def lab(rgb) -> np.ndarray:
    """CIE L*a*b* (D65) of an RGB triple (0-255): distances in it track what eyes tell apart."""
    c = np.asarray(rgb) / 255
    c = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722],
                    [0.0193, 0.1192, 0.9505]]) @ c / [0.95047, 1.0, 1.08883]  # fmt: skip
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_the_optimizers_colours_tell_apart_and_stand_out(theme):
    # The race draws every method at once, and the schedules four of the same colours: a
    # learner's read found RMSProp and Newton, CG and L-BFGS, hard to tell apart.
    from sgd_lib.lesson.optimizers import OPTIMIZERS

    rgb = {n: [round(255 * v) for v in to_rgb(c)]
           for n, c in zip(OPTIMIZERS, theme.methods, strict=True)}  # fmt: skip
    bg = [round(255 * v) for v in to_rgb(theme.bg)]
    data = [round(255 * v) for v in to_rgb(theme.data)]
    for name, color in rgb.items():
        assert contrast(color, bg) >= 3, name  # WCAG's 3:1 for the parts of a graphic
        assert np.linalg.norm(lab(color) - lab(data)) >= 35, name  # never the data's orange
    names = list(rgb)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            # In dark, GD's blue and Newton's cyan at 33 still looked alike in the race. Only
            # CG and L-BFGS may come closer: L-BFGS is dashed wherever the two are drawn.
            apart = 30 if {a, b} == {"cg", "lbfgs"} else 36
            assert np.linalg.norm(lab(rgb[a]) - lab(rgb[b])) >= apart, (a, b)


@pytest.mark.parametrize("race", ["race", "race-ill"])
def test_every_optimizers_path_shows_on_the_race_map(race):
    """Every method's first step goes downhill along one line, and in the long valley they all
    move along its floor: drawn alike, paths hid each other (of Adam's, 25 pixels showed)."""
    from sgd_lib.pictures import runs
    from sgd_lib.pictures.figures import plan
    from sgd_lib.pictures.render_race import MAP, animate_race

    job = next(j for j in plan() if j.slug == race)
    histories = [runs.history(e) for e in job.runs]
    animation = animate_race(histories, runs.data_for(job.runs[0].data), LIGHT, "a race")
    palette = np.array(animation.palette.getpalette("RGB")[:48]).reshape(-1, 3)
    names = [h.experiment.optimizer for h in histories]
    left, top, width, height = MAP  # the map, above the fits
    last = animation.frames[-1][top : top + height, left : left + width]
    for name, color in zip(names, LIGHT.method_colors(names), strict=True):
        (index,) = np.flatnonzero((palette == [round(255 * v) for v in to_rgb(color)]).all(1))
        assert (last == index).sum() >= 40, name


@pytest.fixture(scope="module")
def path_runs(data):
    return [train(data, e) for e in (Experiment(0.1), Experiment(0.1, 16), Experiment(0.1, 1))]


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_every_path_stands_out_from_the_background(path_runs, data, theme):
    figs = []
    draw = render_plots_module.draw
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render_plots_module, "draw", lambda fig: figs.append(fig) or draw(fig))
        image = np.asarray(plot_paths(path_runs, data, theme).convert("RGB")).astype(int)
    ax = figs[0].axes[0]
    bg = [int(theme.bg[i : i + 2], 16) for i in (1, 3, 5)]
    for line in ax.get_lines():
        if not line.get_label().startswith(("batch size", "gradient")):
            continue
        color = [round(255 * v) for v in to_rgb(line.get_color())]
        assert contrast(color, bg) >= 4.5, line.get_label()
        assert (np.abs(image - color).sum(axis=-1) <= 12).sum() >= 150  # drawn, and seen


def test_the_inset_zooms_on_the_ends_of_the_paths_and_hides_none(path_runs, data):
    figs = []
    draw = render_plots_module.draw
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(render_plots_module, "draw", lambda fig: figs.append(fig) or draw(fig))
        plot_paths(path_runs, data, DARK)
    ax, inset = figs[0].axes[0], ax_inset(figs[0])
    ols = least_squares(data.x, data.y).numpy()
    (s0, s1), (b0, b1) = inset.get_xlim(), inset.get_ylim()
    assert s0 < ols[0] < s1 and b0 < ols[1] < b1  # the star
    for h in path_runs:  # the last third of every path
        tail = h.params[len(h.params) * 2 // 3 :].numpy()
        assert (s0 < tail[:, 0]).all() and (tail[:, 0] < s1).all()
        assert (b0 < tail[:, 1]).all() and (tail[:, 1] < b1).all()
    main_w = np.diff(ax.get_xlim())[0]
    assert main_w / (s1 - s0) > 8  # a real zoom
    # Equal units on both axes, as in the main plot: the contours keep their shape.
    box = inset.get_window_extent()
    assert (b1 - b0) / (s1 - s0) == pytest.approx(box.height / box.width, rel=0.02)

    # Nothing of the main plot is hidden under it: no path, the start or the star.
    def covered(xy) -> bool:
        px = ax.transData.transform(xy)
        inside = (box.x0 - 2 <= px[:, 0]) & (px[:, 0] <= box.x1 + 2)
        return bool((inside & (box.y0 - 2 <= px[:, 1]) & (px[:, 1] <= box.y1 + 2)).any())

    for h in path_runs:  # every path, ten points to a segment
        p = h.params.double().numpy()
        along = np.linspace(0, 1, 10)[:, None, None]
        assert not covered((p[:-1] + along * (p[1:] - p[:-1])).reshape(-1, 2))
    assert not covered(np.array([ols, [-1.0, 1.0]]))


def ax_inset(fig: Figure):
    """The one axes inside the main one."""
    (inset,) = fig.axes[0].child_axes
    return inset
