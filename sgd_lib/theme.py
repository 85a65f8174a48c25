"""The two colour schemes, matching the site's light (default) and dark (slate) schemes."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont


@dataclass(frozen=True)
class Theme:
    name: str  # "light" or "dark": the suffix of every file drawn in this theme
    bg: str  # page background, so a figure sits on the page without a visible box
    fg: str  # text and axes
    muted: str  # secondary text, contour lines
    grid: str  # grid lines
    data: str  # the data points (orange, as in the lesson)
    fit: str  # the current fitted line
    truth: str  # the true line, drawn faint
    batch: str  # the points the last update saw
    alarm: str  # divergence
    sweep: tuple[str, float, float]  # colormap and range for ordered series (lr, batch size)

    def rc(self) -> dict:
        """matplotlib settings for this theme, sized to stay readable on a phone."""
        return {
            "figure.facecolor": self.bg,
            "axes.facecolor": self.bg,
            "savefig.facecolor": self.bg,
            "text.color": self.fg,
            "axes.labelcolor": self.fg,
            "axes.edgecolor": self.muted,
            "xtick.color": self.fg,
            "ytick.color": self.fg,
            "grid.color": self.grid,
            "axes.grid": True,
            "axes.axisbelow": True,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "legend.frameon": False,
            # Pages show a 640-px figure about 340 px wide on a phone: large type survives that.
            "font.size": 15,
            "axes.labelsize": 15,
            "axes.titlesize": 16,
            "xtick.labelsize": 13,
            "ytick.labelsize": 13,
            "legend.fontsize": 13,
            "lines.linewidth": 2.5,
            "path.simplify": False,
        }

    def sweep_colors(self, count: int) -> list[str]:
        cmap, lo, hi = self.sweep
        colors = mpl.colormaps[cmap]
        return [
            mpl.colors.to_hex(colors(lo + (hi - lo) * i / max(count - 1, 1))) for i in range(count)
        ]


LIGHT = Theme(
    name="light",
    bg="#ffffff",
    fg="#212121",
    muted="#757575",
    grid="#e6e6e6",
    data="#f28e2b",
    fit="#1565c0",
    truth="#9e9e9e",
    batch="#b3261e",
    alarm="#c62828",
    sweep=("viridis", 0.0, 0.85),
)
DARK = Theme(
    name="dark",
    bg="#1e2029",  # Material's slate background, hsl(232, 15%, 14%)
    fg="#e3e5ec",
    muted="#9aa0ad",
    grid="#333745",
    data="#ffab5e",
    fit="#64b5f6",
    truth="#8a8f9c",
    batch="#ff6e6e",
    alarm="#ff6b6b",
    sweep=("viridis", 0.3, 1.0),
)
THEMES = (LIGHT, DARK)


DPI = 100  # figure sizes are given in pixels; one inch is DPI of them


@contextmanager
def figure(theme: Theme, size: tuple[int, int]) -> Iterator[Figure]:
    """A figure of `size` pixels on its own Agg canvas, drawn in `theme` (no pyplot state)."""
    w, h = size
    with mpl.rc_context(theme.rc()):
        fig = Figure(figsize=(w / DPI, h / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        yield fig


class Headline:
    """Numbers that change every frame (step, MSE), drawn onto the grabbed frame.

    matplotlib lays out and rasterises a new string in about 3 ms, more than everything else
    in a frame together; Pillow draws the same font (matplotlib's own DejaVu Sans Bold) in a
    tenth of that. Each field is left-aligned at a fixed place, so when a number changes only
    its changed digits change pixels, and the GIF stores little more than those.
    """

    def __init__(self, theme: Theme, size: tuple[int, int], fontsize: float, fields: list[float]):
        path = mpl.font_manager.findfont(mpl.font_manager.FontProperties(weight="bold"))
        self.font = ImageFont.truetype(path, round(fontsize * DPI / 72))
        self.color = theme.fg
        self.xs = [round(x * size[0]) for x in fields]  # left edge of each field, as a fraction
        self.y = round(0.025 * size[1])
        ascent, descent = self.font.getmetrics()
        # Every pixel the fields can ever touch: (left, top, right, bottom).
        self.box = (min(self.xs) - 2, 0, size[0], self.y + ascent + descent + 2)

    def draw(self, image: Image.Image, *texts: str, origin=(0, 0)) -> Image.Image:
        """Draw `texts` into `image`, which is the part of the frame whose corner is `origin`."""
        pen = ImageDraw.Draw(image)
        for x, text in zip(self.xs, texts, strict=True):
            xy = (x - origin[0], self.y - origin[1])
            pen.text(xy, text, font=self.font, fill=self.color, anchor="la")
        return image
