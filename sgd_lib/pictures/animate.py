"""The frame engine behind every animation: draw the still parts once, then per frame only
what moves, and convert only the rectangles that can have changed.

The gallery's blitting recipe, taken one step further: besides drawing only the moving
artists, each frame copies, quantises and compares only the pixels around them (where they
were and where they are), and a line that moved less than half a pixel keeps its old pixels.
"""

from dataclasses import dataclass, field, replace

import numpy as np
from matplotlib.artist import Artist
from matplotlib.collections import Collection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from PIL import Image

from sgd_lib.pictures.canvas import Headline, plain_log_labels, smallest_text_px
from sgd_lib.pictures.encode import make_palette, to_indices

Box = tuple[int, int, int, int]  # left, top, right, bottom, in image pixels (rows from the top)
SNAP_PX = 0.5  # a line that moved less than this keeps its pixels: the eye cannot tell


@dataclass(frozen=True)
class Animation:
    frames: list[np.ndarray]  # (H, W) palette indices, one array per frame
    palette: Image.Image  # the palette all frames share
    durations_ms: list[int]
    steps: list[int]  # the training step each frame shows
    # The same pixels in each scheme's colours, by theme name: the schemes differ in colour
    # only, so an animation is drawn once and shown in any of them (see `in_theme`).
    palettes: dict[str, Image.Image] = field(default_factory=dict)
    text_px: float | None = None  # the smallest text any frame shows, in pixels

    def in_theme(self, name: str) -> "Animation":
        """These frames in the colours of the theme `name` (the frames are shared)."""
        return replace(self, palette=self.palettes[name])


def _union(a: Box | None, b: Box | None) -> Box | None:
    if a is None or b is None:
        return a or b
    return min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3])


class Blitter:
    """Renders frames of `fig` in which only `moving` artists and the headline change."""

    def __init__(self, fig: Figure, moving: list[Artist], headline: Headline, colors,
                 schemes: dict[str, list] | None = None):  # fmt: skip
        """`colors`: the palette the figure is drawn in; `schemes`: the same palette, entry for
        entry, in every theme, by name (what `Animation.in_theme` recolours to)."""
        self.fig, self.moving, self.headline = fig, moving, headline
        self.palette = make_palette(colors)
        self.schemes = {name: make_palette(c) for name, c in (schemes or {}).items()}
        for artist in moving:
            artist.set_animated(True)
        plain_log_labels(fig)
        fig.canvas.draw()
        self.still = fig.canvas.copy_from_bbox(fig.bbox)
        self.w, self.h = fig.canvas.get_width_height()
        self.drawn: dict[Line2D, np.ndarray] = {}  # where each line was last drawn, in pixels
        self.boxes: Box | None = None  # where the moving artists were last drawn

    def snap(self, line: Line2D, xy: np.ndarray) -> None:
        """Move `line` to data points `xy`, unless that moves it less than SNAP_PX pixels."""
        px = line.axes.transData.transform(xy)
        before = self.drawn.get(line)
        if before is None or len(before) != len(px) or np.abs(px - before).max() >= SNAP_PX:
            line.set_data(xy[:, 0], xy[:, 1])
            self.drawn[line] = px

    def _box(self, artist: Artist) -> Box | None:
        """The pixels `artist` covers, padded for anti-aliasing and clipped to its axes."""
        if not artist.get_visible():
            return None
        if isinstance(artist, Line2D):
            px = artist.get_transform().transform(artist.get_xydata())
            marker = (
                artist.get_markersize() + artist.get_markeredgewidth()
                if artist.get_marker() not in (None, "None", "", " ")
                else 0
            )
            pad = max(artist.get_linewidth(), marker) * self.fig.dpi / 72 / 2
        elif isinstance(artist, Collection):  # scatter: marker sizes are areas in points²
            px = artist.get_offset_transform().transform(artist.get_offsets())
            sizes = artist.get_sizes()
            pad = np.sqrt(sizes.max()) / 2 * self.fig.dpi / 72 if len(sizes) else 0
        else:
            extent = artist.get_window_extent(self.fig.canvas.get_renderer())
            px, pad = extent.get_points(), 0
        if len(px) == 0:
            return None
        (x0, y0), (x1, y1) = px.min(axis=0) - pad - 2, px.max(axis=0) + pad + 2
        clip = artist.get_clip_box() if artist.get_clip_on() else None
        if clip is not None:  # (a text in axes coordinates has a clip box, but is not clipped)
            x0, y0, x1, y1 = max(x0, clip.x0), max(y0, clip.y0), min(x1, clip.x1), min(y1, clip.y1)
        left, right = max(0, int(x0)), min(self.w, int(np.ceil(x1)) + 1)
        top, bottom = max(0, int(self.h - y1)), min(self.h, int(np.ceil(self.h - y0)) + 1)
        return (left, top, right, bottom) if left < right and top < bottom else None

    def draw(self, texts: tuple[str, ...]) -> tuple[Image.Image, list[Box]]:
        """Draw the current state; return the full RGB frame and the boxes that may differ."""
        canvas = self.fig.canvas
        canvas.restore_region(self.still)
        boxes = None
        for artist in self.moving:
            self.fig.draw_artist(artist)
            boxes = _union(boxes, self._box(artist))
        # The headline's boxes last: their crops get its texts drawn in, over whatever else.
        dirty = [b for b in (_union(self.boxes, boxes), *self.headline.boxes) if b is not None]
        self.boxes = boxes
        rgba = np.asarray(canvas.buffer_rgba())
        return rgba, dirty

    def frames(self, states, durations_ms: list[int], steps: list[int]) -> Animation:
        """`states` yields, per frame, the headline texts after updating the moving artists."""
        states = iter(states)
        first_texts = next(states)
        rgba, _ = self.draw(first_texts)
        first = self.headline.draw(Image.fromarray(rgba).convert("RGB"), *first_texts)
        patches = []
        for texts in states:
            rgba, dirty = self.draw(texts)
            crops = []
            for box in dirty:
                crop = Image.fromarray(rgba[box[1] : box[3], box[0] : box[2]]).convert("RGB")
                if box in self.headline.boxes:
                    self.headline.draw(crop, *texts, origin=box[:2])
                crops.append((box, crop))
            patches.append(crops)
        palette = self.palette
        frame = to_indices(first, palette)
        frames = [frame]
        for crops in patches:
            frame = frame.copy()
            for box, crop in crops:
                frame[box[1] : box[3], box[0] : box[2]] = to_indices(crop, palette)
            frames.append(frame)
        sizes = [s for s in (smallest_text_px(self.fig), self.headline.size()) if s]
        return Animation(frames, palette, durations_ms, steps, self.schemes,
                         min(sizes) if sizes else None)  # fmt: skip
