"""The two colour schemes, matching the site's light (default) and dark (slate) schemes.

Plain data: the asset build reads the theme names without importing matplotlib.
"""

from dataclasses import dataclass


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
    # One colour per optimizer, in the registry's order (sgd, momentum, nesterov, rmsprop,
    # adam, newton, cg, lbfgs), each at least 3:1 against the background.
    methods: tuple[str, ...] = ()

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
            # Titles sit just above the axes. Left to matplotlib, each draw would lay out every
            # tick label to check for top-side ticks, which no figure here has: half a loss
            # plot's drawing time.
            "axes.titley": 1.0,
        }

    def palette(self) -> list[tuple[int, int, int]]:
        """The colours an animation is drawn in, and each one half-blended into the background
        for anti-aliased edges: a small palette keeps every frame's changes small."""
        keys = [self.bg, self.fg, self.muted, self.grid, self.data, self.fit, self.truth,
                self.batch, self.alarm]  # fmt: skip
        rgb = [tuple(int(c[i : i + 2], 16) for i in (1, 3, 5)) for c in keys]
        bg, edged = rgb[0], [self.fg, self.muted, self.data, self.fit, self.batch]
        halves = [tuple((a + b) // 2 for a, b in zip(rgb[keys.index(c)], bg, strict=True))
                  for c in edged]  # fmt: skip
        return rgb + halves

    def method_colors(self, names: list[str]) -> list[str]:
        """The colours of the optimizers `names` (from sgd_lib.lesson.optimizers.OPTIMIZERS)."""
        from sgd_lib.lesson.optimizers import OPTIMIZERS

        order = list(OPTIMIZERS)
        return [self.methods[order.index(n)] for n in names]

    def sweep_colors(self, count: int) -> list[str]:
        import matplotlib as mpl

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
    methods=(
        "#1565c0",  # sgd: blue
        "#2e7d32",  # momentum: green
        "#6a1b9a",  # nesterov: purple
        "#c2185b",  # rmsprop: magenta
        "#827717",  # adam: olive
        "#00838f",  # newton: teal
        "#5d4037",  # cg: brown
        "#000000",  # lbfgs: black (its path ends under the star, which is the text's colour)
    ),
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
    methods=(
        "#64b5f6",  # sgd: blue
        "#81c784",  # momentum: green
        "#b388ff",  # nesterov: violet
        "#f06292",  # rmsprop: pink
        "#fff176",  # adam: yellow
        "#18ffff",  # newton: bright cyan (a paler one read as GD's blue)
        "#bcaaa4",  # cg: taupe
        "#ffffff",  # lbfgs: white
    ),
)
THEMES = (LIGHT, DARK)


def schemes(palette_of) -> dict[str, list[tuple[int, int, int]]]:
    """`palette_of(theme)` in every theme, by name: what an animation drawn in one theme
    needs to be shown in the others (entry i of each is the same part of the picture)."""
    return {theme.name: palette_of(theme) for theme in THEMES}
