"""The drawing surface: a figure of a given pixel size in a theme, and per-frame text."""

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from sgd_lib.theme import Theme

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

    def __init__(
        self, theme: Theme, size: tuple[int, int], fontsize: float, fields: list[float], top=0.025
    ):
        path = mpl.font_manager.findfont(mpl.font_manager.FontProperties(weight="bold"))
        self.font = ImageFont.truetype(path, round(fontsize * DPI / 72))
        self.color = theme.fg
        self.xs = [round(x * size[0]) for x in fields]  # left edge of each field, as a fraction
        self.y = round(top * size[1])  # top edge, as a fraction of the height
        ascent, descent = self.font.getmetrics()
        # Every pixel the fields can ever touch: (left, top, right, bottom).
        self.box = (min(self.xs) - 2, max(0, self.y - 2), size[0], self.y + ascent + descent + 2)

    def draw(self, image: Image.Image, *texts: str, origin=(0, 0)) -> Image.Image:
        """Draw `texts` into `image`, which is the part of the frame whose corner is `origin`."""
        pen = ImageDraw.Draw(image)
        for x, text in zip(self.xs, texts, strict=True):
            xy = (x - origin[0], self.y - origin[1])
            pen.text(xy, text, font=self.font, fill=self.color, anchor="la")
        return image
