"""Frames to bytes: GIFs that store only what changed, and PNGs; nothing time- or host-dependent.

A GIF here has one global palette whose last entry is reserved for "transparent". After the
first frame, each frame is stored as the rectangle around the pixels that changed, with every
pixel inside it that did not change set to that transparent entry: long runs of one index,
which the GIF's LZW compression stores almost for free.
"""

import io
import struct

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

GIF_COLORS = 16  # palette entries, the last one transparent: 4-bit codes, the smallest LZW start


def grab(canvas: FigureCanvasAgg) -> Image.Image:
    """The canvas as it stands, as an RGB image (a copy: the canvas may be redrawn)."""
    size = canvas.get_width_height()
    return Image.frombuffer("RGBA", size, canvas.buffer_rgba(), "raw", "RGBA", 0, 1).convert("RGB")


def make_palette(colors: list[tuple[int, int, int]]) -> Image.Image:
    """A palette image holding `colors` (at most GIF_COLORS - 1 of them) for quantize()."""
    if len(colors) >= GIF_COLORS:
        raise ValueError(f"{len(colors)} colours: a GIF here holds at most {GIF_COLORS - 1}")
    padded = colors + [colors[0]] * (256 - len(colors))  # spare entries repeat the first
    palette = Image.new("P", (1, 1))
    palette.putpalette([v for rgb in padded for v in rgb])
    palette.info["colors"] = len(colors)
    return palette


EXACT_COLORS = 16  # a still's most frequent colours, which its palette holds exactly


def quantize_still(image: Image.Image, colors: int = 128) -> Image.Image:
    """A still figure as a palette image: a third of the PNG bytes, no visible difference.

    A fast octree finds the palette (median cut took three times as long, and made 10% more
    bytes), but it averages each cell's colours: the background would come out 254 where the
    page is 255. So the figure's flat colours, its most frequent ones (background, text,
    lines, markers), get entries of their own, and every pixel of those colours keeps it."""
    exact = [rgb for _, rgb in sorted(image.getcolors(image.width * image.height), reverse=True)]
    exact = exact[:EXACT_COLORS]
    rest = colors - len(exact)
    octree = image.quantize(rest, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    indices = np.array(octree)
    rgb = np.asarray(image).astype(np.uint32)
    packed = rgb[..., 0] << 16 | rgb[..., 1] << 8 | rgb[..., 2]
    for k, (r, g, b) in enumerate(exact):
        indices[packed == (r << 16 | g << 8 | b)] = rest + k
    found = octree.getpalette("RGB")[: 3 * rest]  # (fewer entries if the image has fewer colours)
    palette = found + [0] * (3 * rest - len(found)) + [v for c in exact for v in c]
    out = Image.fromarray(indices, mode="P")
    out.putpalette(palette)
    return out


def to_indices(image: Image.Image, palette: Image.Image) -> np.ndarray:
    """Each pixel's palette index, (H, W) uint8, all below the transparent entry."""
    # No dithering: flat colours stay flat, so unchanged pixels keep their index frame to frame.
    indices = np.asarray(image.quantize(palette=palette, dither=Image.Dither.NONE))
    return _FOLD[palette.info["colors"]][indices]


# _FOLD[k] maps the spare entries (copies of entry 0) of a k-colour palette back to entry 0.
_FOLD = [np.where(np.arange(256) < k, np.arange(256), 0).astype(np.uint8) for k in range(257)]


def palette_rgb(palette: Image.Image, entries: int) -> bytes:
    return bytes(palette.getpalette("RGB")[: 3 * entries]).ljust(3 * entries, b"\0")


def to_image(indices: np.ndarray, palette: Image.Image) -> Image.Image:
    """A palette image of `indices`, for a PNG of one frame."""
    image = Image.fromarray(indices, mode="L").convert("P")  # same indices, placeholder palette
    image.putpalette(palette_rgb(palette, palette.info["colors"]))
    return image


def _block(indices: np.ndarray, offset: tuple[int, int], ms: int, clear: int | None) -> bytes:
    """One frame: its graphic control extension, image descriptor and LZW-coded pixels."""
    h, w = indices.shape
    bits = max(2, (GIF_COLORS - 1).bit_length())  # LZW's starting code size: smaller is cheaper
    # disposal 1 ("leave in place"): each frame paints over the one before it
    flags = 1 << 2 | (clear is not None)
    control = b"!\xf9\x04" + struct.pack("<BHB", flags, ms // 10, clear or 0) + b"\0"
    descriptor = b"," + struct.pack("<HHHHB", *offset, w, h, 0)
    image = Image.frombytes("P", (w, h), np.ascontiguousarray(indices).tobytes())
    return control + descriptor + bytes([bits]) + image.tobytes("gif", "P", bits) + b"\0"


def gif_bytes(frames: list[np.ndarray], palette: Image.Image, durations_ms: list[int]) -> bytes:
    """An animated GIF that loops forever, one frame per (H, W) index array."""
    h, w = frames[0].shape
    bits = (GIF_COLORS - 1).bit_length()
    clear = GIF_COLORS - 1  # the reserved transparent entry
    out = [
        b"GIF89a",
        struct.pack("<HHBBB", w, h, 0x80 | (bits - 1) << 4 | (bits - 1), 0, 0),
        palette_rgb(palette, GIF_COLORS),
        b"!\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00",  # loop forever
        _block(frames[0], (0, 0), durations_ms[0], None),
    ]
    for before, now, ms in zip(frames, frames[1:], durations_ms[1:], strict=False):
        changed = before != now
        rows, cols = np.flatnonzero(changed.any(axis=1)), np.flatnonzero(changed.any(axis=0))
        if len(rows) == 0:  # nothing moved: still a frame, so counts and timing hold
            y0, y1, x0, x1 = 0, 1, 0, 1
        else:
            y0, y1, x0, x1 = rows[0], rows[-1] + 1, cols[0], cols[-1] + 1
        patch = np.where(changed[y0:y1, x0:x1], now[y0:y1, x0:x1], np.uint8(clear))
        out.append(_block(patch, (int(x0), int(y0)), ms, clear))
    out.append(b";")
    return b"".join(out)


def recolour_gif(payload: bytes, palette: Image.Image) -> bytes:
    """A GIF of gif_bytes() with its global palette replaced: the same frames, other colours."""
    start, size = 13, 3 * GIF_COLORS  # after the header and the logical screen descriptor
    return payload[:start] + palette_rgb(palette, GIF_COLORS) + payload[start + size :]


def png_bytes(image: Image.Image) -> bytes:
    out = io.BytesIO()
    # Level 8: 1.6% more bytes than 9 over the site's PNGs, at a third of the time.
    image.save(out, format="PNG", optimize=False, compress_level=8)
    return out.getvalue()
