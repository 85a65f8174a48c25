"""Rendering, in one process: frames, the GIF encoder, themes, divergence, determinism."""

import io
from dataclasses import replace

import numpy as np
import pytest
from PIL import Image, ImageDraw

from sgd_lib import Experiment, find, train
from sgd_lib.lesson.studies import train_many
from sgd_lib.pictures import animate as animate_module
from sgd_lib.pictures import canvas, render_plots
from sgd_lib.pictures.canvas import Headline
from sgd_lib.pictures.encode import (
    EXACT_COLORS,
    GIF_COLORS,
    gif_bytes,
    png_bytes,
    quantize_still,
    to_image,
)
from sgd_lib.pictures.render_fit import (
    FIT_SIZE,
    HOLD_FIRST_MS,
    HOLD_LAST_MS,
    animate_fit,
    durations,
    frame_steps,
)
from sgd_lib.pictures.render_linked import animate_linked
from sgd_lib.pictures.render_optimizers import plot_race_loss
from sgd_lib.pictures.render_plots import LOSS_MARGINS, PLOT_SIZE, plot_loss
from sgd_lib.pictures.theme import DARK, LIGHT, THEMES


def rgb(color: str) -> tuple[int, int, int]:
    return tuple(int(color[i : i + 2], 16) for i in (1, 3, 5))


def decode(payload: bytes) -> tuple[list[np.ndarray], list[int], dict]:
    """Every frame of a GIF as it is shown (RGB), each frame's duration, the file's info."""
    gif = Image.open(io.BytesIO(payload))
    info = dict(gif.info)
    frames, times = [], []
    for i in range(gif.n_frames):
        gif.seek(i)
        frames.append(np.asarray(gif.convert("RGB")))
        times.append(gif.info["duration"])
    return frames, times, info


def shown(animation) -> list[np.ndarray]:
    """What the animation's frames should look like: each index through the palette."""
    colors = np.array(animation.palette.getpalette("RGB")[: 3 * 256]).reshape(-1, 3)
    return [colors[frame].astype(np.uint8) for frame in animation.frames]


@pytest.fixture(scope="module")
def sgd(data):
    return train(data, find("lr0.1-bs16"))


def test_frame_steps_are_all_steps_or_an_even_sample():
    assert frame_steps(100, 101) == list(range(101))
    assert frame_steps(4, 101) == [0, 1, 2, 3, 4]
    sampled = frame_steps(1000, 101)
    assert len(sampled) == 101 and sampled[0] == 0 and sampled[-1] == 1000
    assert set(np.diff(sampled)) == {10}


def test_durations_hold_the_ends():
    assert durations(5, 60) == [HOLD_FIRST_MS, 60, 60, 60, HOLD_LAST_MS]
    assert durations(1, 60) == [HOLD_LAST_MS]


def test_gif_shows_exactly_the_frames_loops_and_keeps_time(sgd, data):
    animation = animate_fit(sgd, data, LIGHT)
    frames, times, info = decode(gif_bytes(animation.frames, animation.palette,
                                           animation.durations_ms))  # fmt: skip
    assert info["loop"] == 0  # forever
    assert len(frames) == len(frame_steps(100, sgd.experiment.frames)) == 101
    assert times == animation.durations_ms
    assert frames[0].shape == (FIT_SIZE[1], FIT_SIZE[0], 3)
    for decoded, expected in zip(frames, shown(animation), strict=True):
        np.testing.assert_array_equal(decoded, expected)


def test_identical_frames_still_count(data):
    animation = animate_fit(train(data, Experiment(0.1, steps=3)), data, LIGHT)
    frames = [animation.frames[0]] * 4
    decoded, times, _ = decode(gif_bytes(frames, animation.palette, [60, 70, 80, 90]))
    assert len(decoded) == 4 and times == [60, 70, 80, 90]


def test_palette_leaves_the_transparent_entry_free(sgd, data):
    animation = animate_fit(sgd, data, DARK)
    assert max(int(f.max()) for f in animation.frames) < GIF_COLORS - 1


def test_redrawing_only_what_moved_equals_redrawing_everything(sgd, data, monkeypatch):
    # The oracle: every frame converted whole, as if every pixel could have changed.
    fast = animate_fit(sgd, data, LIGHT)
    whole = (0, 0, *FIT_SIZE)
    monkeypatch.setattr(animate_module.Blitter, "_box", lambda self, artist: whole)
    slow = animate_fit(sgd, data, LIGHT)
    for a, b in zip(fast.frames, slow.frames, strict=True):
        np.testing.assert_array_equal(a, b)


def test_linked_animation_redraws_only_what_moved(data, monkeypatch):
    h = train(data, Experiment(0.1, steps=30))
    fast = animate_linked(h, data, DARK)
    monkeypatch.setattr(animate_module.Blitter, "_box", lambda self, artist: (0, 0, 800, 520))
    slow = animate_linked(h, data, DARK)
    for a, b in zip(fast.frames, slow.frames, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_each_theme_draws_on_its_own_background(sgd, data, theme):
    first = shown(animate_fit(sgd, data, theme))[0]
    assert tuple(first[2, 2]) == rgb(theme.bg)
    loss = np.asarray(plot_loss(sgd, theme).convert("RGB"))
    assert tuple(loss[2, 2]) == rgb(theme.bg)


@pytest.mark.parametrize("theme", THEMES, ids=lambda t: t.name)
def test_a_still_keeps_its_flat_colours_exactly_and_the_rest_close(sgd, data, theme,
                                                                  monkeypatch):  # fmt: skip
    grabbed = []
    monkeypatch.setattr(render_plots, "quantize_still",
                        lambda image: grabbed.append(image) or quantize_still(image))  # fmt: skip
    plot_loss(sgd, theme, train_many(data, replace(sgd.experiment, seeds=20)))
    (image,) = grabbed
    before = np.asarray(image).astype(int)
    after = np.asarray(quantize_still(image).convert("RGB")).astype(int)
    error = np.abs(after - before).max(axis=2)
    flat = [rgb for _, rgb in sorted(image.getcolors(1 << 20), reverse=True)[:EXACT_COLORS]]
    for color in flat:  # the background, the text, the lines: not one level off
        where = (before == color).all(axis=2)
        assert (error[where] == 0).all(), color
    assert error.mean() < 0.5 and np.percentile(error, 99.9) < 40  # levels of 255


def test_a_loss_plot_is_the_same_whatever_was_drawn_before_it(sgd, data, monkeypatch):
    """Loss plots share one kept axes per theme: nothing a plot drew, no scale or limit it set,
    may show in the next one."""
    monkeypatch.setattr(canvas, "_KEPT", {})
    gd = train(data, find("gd-lr0.1"))
    first = np.asarray(plot_loss(gd, LIGHT))
    wild = train(data, find("lr1.0-bs1"))  # a divergence mark and its label, other limits
    plot_loss(wild, LIGHT)
    plot_loss(sgd, LIGHT, train_many(data, replace(sgd.experiment, seeds=20)))  # a band
    np.testing.assert_array_equal(np.asarray(plot_loss(gd, LIGHT)), first)
    assert len(canvas._KEPT) == 1
    plot_loss(wild, LIGHT)
    with canvas.reused_axes(LIGHT, PLOT_SIZE, LOSS_MARGINS) as ax:  # what the next plot gets
        assert not [*ax.lines, *ax.collections, *ax.texts, *ax.patches], "left over"
        assert ax.legend_ is None and not ax.get_title(loc="left")


def test_the_headline_draws_exactly_what_pillow_draws(data):
    """Its texts are rasterised once and reused: the pixels are Pillow's own."""
    headline = Headline(DARK, (300, 60), fontsize=16, fields=[(0.05, 0.2), (0.5, 0.2)])
    for texts in [("step 0", "MSE 7.41"), ("step 100", "MSE 0.0106"), ("step 7", "MSE 7.41")]:
        ours = headline.draw(Image.new("RGB", (300, 60), DARK.bg), *texts)
        theirs = Image.new("RGB", (300, 60), DARK.bg)
        pen = ImageDraw.Draw(theirs)
        for xy, text in zip(headline.xys, texts, strict=True):
            pen.text(xy, text, font=headline.font, fill=DARK.fg, anchor="la")
        np.testing.assert_array_equal(np.asarray(ours), np.asarray(theirs))
        assert np.asarray(ours).std() > 0  # something was drawn


def test_rendering_is_deterministic(sgd, data):
    def once():
        a = animate_fit(sgd, data, DARK)
        return gif_bytes(a.frames, a.palette, a.durations_ms), png_bytes(plot_loss(sgd, DARK))

    assert once() == once()


def test_a_diverging_run_renders_and_says_so(data):
    h = train(data, find("lr1.0-bs1"))
    assert h.diverged
    animation = animate_fit(h, data, LIGHT)
    assert len(animation.frames) == h.steps_run + 1
    alarm = np.array(rgb(LIGHT.alarm))
    last, first = shown(animation)[-1], shown(animation)[0]
    assert (last == alarm).all(axis=-1).sum() > 200  # the "diverged at step k" note
    assert (first == alarm).all(axis=-1).sum() == 0
    loss = np.asarray(plot_loss(h, LIGHT).convert("RGB"))
    assert (loss == alarm).all(axis=-1).sum() > 100  # its marker and label
    poster = Image.open(io.BytesIO(png_bytes(to_image(animation.frames[-1], animation.palette))))
    assert poster.size == FIT_SIZE


# --- every scheme from one drawing ----------------------------------------------------------


@pytest.mark.parametrize("slug", ["lr0.1-bs16", "lr1.0-bs4", "gd-lr0.1"])
def test_an_animation_drawn_once_looks_as_if_drawn_in_each_scheme(data, slug):
    # The build draws each animation in the light scheme and shows the dark one as the same
    # indices in the dark palette. The oracle: the animation drawn in the dark scheme itself.
    # Only anti-aliased edges may land on a neighbouring entry.
    h = train(data, find(slug))
    drawn_dark = animate_fit(h, data, DARK)
    recoloured = animate_fit(h, data, LIGHT).in_theme(DARK.name)
    assert recoloured.palette.getpalette() == drawn_dark.palette.getpalette()
    for a, b in zip(shown(recoloured), shown(drawn_dark), strict=True):
        differs = (np.abs(a.astype(int) - b.astype(int)).sum(axis=-1) > 0).mean()
        assert differs < 0.03, differs


def test_a_recoloured_gif_is_the_same_frames_in_the_new_palette(sgd, data):
    from sgd_lib.pictures.encode import recolour_gif

    light = animate_fit(sgd, data, LIGHT)
    dark = light.in_theme(DARK.name)
    payload = recolour_gif(gif_bytes(light.frames, light.palette, light.durations_ms),
                           dark.palette)  # fmt: skip
    assert payload == gif_bytes(dark.frames, dark.palette, dark.durations_ms)
    frames, _, _ = decode(payload)
    for got, want in zip(frames, shown(dark), strict=True):
        np.testing.assert_array_equal(got, want)


def test_a_jobs_animations_are_each_drawn_once_for_every_scheme(monkeypatch):
    from sgd_lib.pictures import draw
    from sgd_lib.pictures.figures import plan
    from sgd_lib.pictures.render_job import render

    drawn = []
    for name in ("animate_fit", "animate_thumb"):
        real = getattr(draw, name)
        monkeypatch.setattr(draw, name, lambda *a, _real=real, _name=name: drawn.append(_name)
                            or _real(*a))  # fmt: skip
    job = next(j for j in plan() if j.slug == "lr0.1-bs16")
    files, _ = render(job)
    assert sorted(drawn) == ["animate_fit", "animate_thumb"]
    assert len(files) == len(job.files())  # and still every file of every scheme


@pytest.mark.parametrize(("tex", "plain"), [
    ("$\\mathdefault{10^{-2}}$", "10⁻²"), ("$\\mathdefault{10^{3}}$", "10³"),
    ("$\\mathdefault{2\\times10^{-1}}$", "2×10⁻¹"), ("$\\mathdefault{-10^{2}}$", "\u221210²"),
    ("$\\mathdefault{0}$", "0"), ("$\\mathdefault{1}$", "1"), ("", ""),
])  # fmt: skip
def test_log_tick_labels_are_the_same_text_without_tex(tex, plain):
    assert canvas.plain_label(tex) == plain


def test_no_figure_lays_out_tex(sgd, data, monkeypatch):
    """Log axes (a loss plot, the race's symlog axes) label their ticks in plain text: the
    math parser cost about 10 ms a label."""
    import matplotlib.mathtext

    parsed = []
    monkeypatch.setattr(matplotlib.mathtext.MathTextParser, "parse",
                        lambda self, text, *a, **k: parsed.append(text))  # fmt: skip
    plot_loss(train(data, find("lr1.0-bs1")), LIGHT)
    plot_race_loss([sgd, train(data, find("gd-lr1.0-newton"))], data, DARK, "two")
    assert parsed == []


def test_the_smallest_text_is_found_whatever_shows_it():
    from sgd_lib.pictures.canvas import DPI, figure, smallest_text_px
    from sgd_lib.pictures.theme import THEMES

    with figure(THEMES[0], (200, 100)) as fig:
        assert smallest_text_px(fig) is None  # no text at all
        fig.text(0.1, 0.5, "big", fontsize=20)
        fig.text(0.1, 0.2, "hidden", fontsize=5, visible=False)  # never shown: not counted
        fig.text(0.1, 0.1, "", fontsize=4)  # nothing to read
        assert smallest_text_px(fig) == round(20 * DPI / 72, 2)
        fig.text(0.5, 0.5, "shown by some frame", fontsize=9, visible=False, gid="off-view")
        assert smallest_text_px(fig) == round(9 * DPI / 72, 2)
        ax = fig.add_axes((0.2, 0.2, 0.6, 0.6))
        ax.tick_params(labelsize=7)
        fig.canvas.draw()
        assert smallest_text_px(fig) == round(7 * DPI / 72, 2)  # tick labels count
