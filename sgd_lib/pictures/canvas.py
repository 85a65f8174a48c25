"""The drawing surface: a figure of a given pixel size in a theme, and per-frame text."""

from collections.abc import Iterator
from contextlib import contextmanager

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image, ImageDraw, ImageFont

from sgd_lib.pictures.theme import Theme

DPI = 100  # figure sizes are given in pixels; one inch is DPI of them
Field = tuple[float, float]  # where a text's left and top edges go, as fractions of the figure


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

    def __init__(self, theme: Theme, size: tuple[int, int], fontsize: float, fields: list[Field]):
        path = mpl.font_manager.findfont(mpl.font_manager.FontProperties(weight="bold"))
        self.font = ImageFont.truetype(path, round(fontsize * DPI / 72))
        self.color = theme.fg
        self.xys = [(round(x * size[0]), round(y * size[1])) for x, y in fields]
        ascent, descent = self.font.getmetrics()
        # Every pixel the fields can ever touch, one box per row: (left, top, right, bottom).
        rows: dict[int, int] = {}
        for x, y in self.xys:
            rows[y] = min(x, rows.get(y, x))
        self.boxes = [(max(0, left - 2), max(0, y - 2), size[0], y + ascent + descent + 2)
                      for y, left in rows.items()]  # fmt: skip

    def draw(self, image: Image.Image, *texts: str, origin=(0, 0)) -> Image.Image:
        """Draw `texts` into `image`, which is the part of the frame whose corner is `origin`."""
        pen = ImageDraw.Draw(image)
        for (x, y), text in zip(self.xys, texts, strict=True):
            xy = (x - origin[0], y - origin[1])
            pen.text(xy, text, font=self.font, fill=self.color, anchor="la")
        return image
