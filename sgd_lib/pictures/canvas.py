"""The drawing surface: a figure of a given pixel size in a theme, and per-frame text."""

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache, lru_cache

import matplotlib as mpl
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.ticker import LogFormatterSciNotation
from PIL import Image, ImageDraw, ImageFont

from sgd_lib.pictures.theme import Theme

DPI = 100  # figure sizes are given in pixels; one inch is DPI of them
Field = tuple[float, float]  # where a text's left and top edges go, as fractions of the figure


def smallest_text_px(fig: Figure) -> float | None:
    """The height in pixels (the font's size) of the smallest text a figure ever shows: every
    non-empty text that is visible, or that a frame may show (gid "off-view"); None if it has
    none. The pages' tests hold this to a size readable on a phone."""
    shown = lambda t: t.get_visible() or t.get_gid() == "off-view"  # noqa: E731
    sizes = [t.get_fontsize() for t in fig.findobj(Text) if t.get_text().strip() and shown(t)]
    return round(min(sizes) * DPI / 72, 2) if sizes else None


@contextmanager
def figure(theme: Theme, size: tuple[int, int]) -> Iterator[Figure]:
    """A figure of `size` pixels on its own Agg canvas, drawn in `theme` (no pyplot state)."""
    w, h = size
    with mpl.rc_context(theme.rc()):
        fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")


def plain_label(label: str) -> str:
    """A log axis's TeX tick label as the same text in Unicode: "$\\mathdefault{2\\times10^{-3}}$"
    becomes "2×10⁻³"."""
    if not label.startswith("$"):
        return label
    body = label.removeprefix("$\\mathdefault{").removesuffix("}$")
    mantissa, _, exponent = body.partition("^{")
    text = mantissa.replace("\\times", "×") + exponent.removesuffix("}").translate(_SUPERSCRIPT)
    return text.replace("-", "\u2212")  # a minus sign, as matplotlib writes it elsewhere


class PlainLogFormatter(LogFormatterSciNotation):
    """Log-axis tick labels in plain text, which look the same as matplotlib's TeX ones: its
    math parser took about 10 ms a label, a second or two of every build."""

    def __call__(self, x, pos=None):
        return plain_label(super().__call__(x, pos))


def plain_log_labels(fig: Figure) -> None:
    """Give every log (and symlog) axis of `fig` plain-text tick labels; call before drawing."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for which in ("major", "minor"):
                old = getattr(axis, f"get_{which}_formatter")()
                if type(old) is not LogFormatterSciNotation:
                    continue
                new = PlainLogFormatter(old._base, labelOnlyBase=old.labelOnlyBase,
                                        minor_thresholds=old.minor_thresholds,
                                        linthresh=old._linthresh)  # fmt: skip
                default = getattr(axis, f"isDefault_{which[:3]}fmt")
                getattr(axis, f"set_{which}_formatter")(new)
                # Still the scale's default: a kept axes set to another scale gets its own.
                setattr(axis, f"isDefault_{which[:3]}fmt", default)


# One axes per (theme, size, margins), kept for the process: see `reused_axes`.
_KEPT: dict[tuple, Axes] = {}


@contextmanager
def reused_axes(theme: Theme, size: tuple[int, int], margins: dict[str, float]) -> Iterator[Axes]:
    """One axes on a figure like `figure`'s, emptied of what the last user drew on it.

    For a plot drawn many times over (every run's loss plot): a new axes makes its ticks and
    its renderer anew, and a new renderer lays out every tick label again; together that
    is half the plot's drawing time. The user sets everything it relies on (limits, scales,
    labels, title) each time; what it adds is removed before the next user gets the axes.
    """
    with mpl.rc_context(theme.rc()):
        key = (theme.name, size, tuple(sorted(margins.items())))
        if key not in _KEPT:
            w, h = size
            fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
            FigureCanvasAgg(fig)
            fig.subplots_adjust(**margins)
            _KEPT[key] = fig.add_subplot()
        ax = _KEPT[key]
        for artist in (*ax.lines, *ax.collections, *ax.texts, *ax.patches, *ax.images,
                       *ax.artists):  # fmt: skip
            artist.remove()
        if ax.legend_ is not None:
            ax.legend_.remove()
        for where in ("left", "center", "right"):
            ax.set_title("", loc=where)
        yield ax


@cache
def _font(pixels: int) -> ImageFont.FreeTypeFont:
    """matplotlib's bold font at `pixels`: one object per size, so `_glyphs` can key on it."""
    path = mpl.font_manager.findfont(mpl.font_manager.FontProperties(weight="bold"))
    return ImageFont.truetype(path, pixels)


class Headline:
    """Numbers that change every frame (step, MSE), drawn onto the grabbed frame.

    matplotlib lays out and rasterises a new string in about 3 ms, more than everything else
    in a frame together; Pillow draws the same font (matplotlib's own DejaVu Sans Bold) in a
    tenth of that. Each field is left-aligned at a fixed place, so when a number changes only
    its changed digits change pixels, and the GIF stores little more than those.
    """

    def __init__(self, theme: Theme, size: tuple[int, int], fontsize: float, fields: list[Field]):
        self.font = _font(round(fontsize * DPI / 72))
        self.color = theme.fg
        self.xys = [(round(x * size[0]), round(y * size[1])) for x, y in fields]
        ascent, descent = self.font.getmetrics()
        # Every pixel the fields can ever touch, one box per row: (left, top, right, bottom).
        rows: dict[int, int] = {}
        for x, y in self.xys:
            rows[y] = min(x, rows.get(y, x))
        self.boxes = [(max(0, left - 2), max(0, y - 2), size[0], y + ascent + descent + 2)
                      for y, left in rows.items()]  # fmt: skip

    def size(self) -> float | None:
        """The height in pixels of the fields' font, if there are fields."""
        return float(self.font.size) if self.xys else None

    def draw(self, image: Image.Image, *texts: str, origin=(0, 0)) -> Image.Image:
        """Draw `texts` into `image`, which is the part of the frame whose corner is `origin`."""
        pen = ImageDraw.Draw(image)
        for (x, y), text in zip(self.xys, texts, strict=True):
            left, top, mask = _glyphs(self.font, text)
            pen.bitmap((x - origin[0] + left, y - origin[1] + top), mask, fill=self.color)
        return image


_PAD = 4  # pixels around a text's box in its mask: anti-aliasing may reach past the box


@lru_cache(maxsize=4096)
def _glyphs(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, Image.Image]:
    """`text` rasterised once as a coverage mask, and where its corner goes relative to the
    anchor: the same step numbers and MSEs recur in every run and both themes. Drawn with
    `bitmap`, the mask blends into a frame exactly as `ImageDraw.text` would draw it."""
    left, top, right, bottom = font.getbbox(text, anchor="la")
    mask = Image.new("L", (right - left + 2 * _PAD, bottom - top + 2 * _PAD), 0)
    ImageDraw.Draw(mask).text((_PAD - left, _PAD - top), text, font=font, fill=255, anchor="la")
    return left - _PAD, top - _PAD, mask
