"""The pages' generated parts: figures, animations, numbers and tables, from the asset manifest.

A page writes `{{ command args }}` where a generated part goes; `expand()` replaces each one
with HTML built from `docs/assets/manifest.json`, so every number and picture on the site comes
from the build. An unknown command, experiment, figure or field is a PageError: the build
fails instead of showing a hole. Plain Python: no torch, no matplotlib.
"""

import html
import inspect
import json
import re
import shlex
from dataclasses import dataclass
from pathlib import Path

from latex2mathml.converter import convert as latex_to_mathml

from sgd_lib.site.manifest import load
from sgd_lib.site.outdir import MANIFEST
from sgd_lib.pictures.theme import THEMES
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES
from sgd_lib.pictures.words import run_label

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
DEFAULT_FORMAT = ".4g"
# A figure whose placeholder comes after no more than this much text (in characters) is in
# view as the page opens, even on a phone (~25 lines of text under the header).
EAGER_CHARS = 700
# How a number may be written: a thousands comma, up to 12 digits, a type: ",.0f", ".3g".
FORMAT = re.compile(r",?(\.\d{1,2})?[efg%]?", re.ASCII)
FORMATS = "a number format: [,][.DIGITS][e|f|g|%], such as .4g, .3f, ,.0f or g"


class PageError(ValueError):
    """A page asks for something the build did not make."""


@dataclass(frozen=True)
class Manifest:
    files: dict[str, dict]  # file name -> its entry (size, frames, sha256, ...)
    runs: dict[str, dict]  # experiment slug -> its results (params, loss, diverged, ...)
    table: list[str]  # experiment slugs in the table's order
    figures: dict[str, list[str]]  # shared figure -> the experiment slugs it draws
    facts: dict[str, dict]  # shared figure -> the named numbers it computed

    @classmethod
    def read(cls, assets: Path) -> "Manifest":
        m, problem = load(assets)
        if m is None:
            raise PageError(
                f"{assets / MANIFEST}: no manifest to read ({problem}); build the assets"
            )
        files = {f["name"]: f for f in m["files"]}
        return cls(files, m["runs"], m["table"], m["figures"], m["facts"])

    def run(self, slug: str) -> dict:
        if slug not in self.runs:
            raise PageError(f"no experiment {slug!r}; there are: {', '.join(self.table)}")
        return self.runs[slug]

    def fact(self, name: str, key: str):
        if name not in self.facts:
            raise PageError(f"no facts of {name!r}; there are: {', '.join(sorted(self.facts))}")
        values = self.facts[name]
        if key not in values or key == "key":
            known = ", ".join(k for k in values if k != "key")
            raise PageError(f"{name} has no fact {key!r}; it has {known}")
        return values[key]

    def variants(self, stem: str, ext: str) -> list[tuple[str, dict]]:
        """(theme name, file entry) of `stem-THEME.ext` in every theme."""
        out = []
        for theme in THEMES:
            name = f"{stem}-{theme.name}.{ext}"
            if name not in self.files:
                raise PageError(f"no figure {name!r} in the manifest")
            out.append((theme.name, self.files[name]))
        return out


# ---- words and numbers -----------------------------------------------------------


def describe(run: dict) -> str:
    """The run's settings in words, as the figures title it."""
    return run_label(run["lr"], run["batch_size"], run["optimizer"], run["schedule"],
                     run["x_shift"], run["centred"])  # fmt: skip


def is_lesson_run(run: dict) -> bool:
    """One of the lesson's own runs: SGD (or GD) at a constant rate on the lesson's data."""
    return (run["optimizer"] == "sgd" and run["schedule"] == "constant" and not run["x_shift"]
            and not run["centred"] and not run["picked"])  # fmt: skip


# The explorer's data settings: a key for the URL and how the page names it.
def data_key(run: dict) -> str:
    return "centred" if run["centred"] else "moved" if run["x_shift"] else "lesson"


def data_words(run: dict) -> str:
    if run["centred"]:
        return f"x moved by {run['x_shift']:g}, then centred"
    return f"x moved by {run['x_shift']:g}" if run["x_shift"] else "the lesson's data"


def schedule_words(name: str) -> str:
    return "constant" if name == "constant" else f"{name} decay"


def optimizer_words(run: dict) -> str:
    """The optimizer and its hyper-parameters: "SGD", "momentum 0.9", "Adam, betas 0.9,
    0.999, eps 1e-08"."""
    name = OPTIMIZERS[run["optimizer"]].title
    if run["optimizer"] == "sgd":
        return "SGD" if run["batch_size"] is not None else "SGD (gradient descent)"
    hyper = run["hyper"]
    if list(hyper) == ["momentum"]:
        return f"{name} {hyper['momentum']:g}"
    parts = [f"{k} {', '.join(f'{x:g}' for x in v) if isinstance(v, list) else format(v, 'g')}"
             for k, v in hyper.items()]  # fmt: skip
    return ", ".join([name, *parts])


def field(run: dict, path: str):
    """A value of the run by dotted path: "loss", "params.0", "ols.1"."""
    value = run
    for part in path.split("."):
        try:
            if isinstance(value, list) and not re.fullmatch(r"\d+", part, re.ASCII):
                raise ValueError  # an element by its index from 0: no "-1"
            value = value[int(part)] if isinstance(value, list) else value[part]
        except (KeyError, IndexError, ValueError, TypeError):
            known = ", ".join(run)
            raise PageError(f"{run['slug']} has no field {path!r}; it has {known}") from None
    return value


def number(value, fmt: str = DEFAULT_FORMAT) -> str:
    if not FORMAT.fullmatch(fmt):
        raise PageError(f"bad format {fmt!r}; use {FORMATS}")
    if isinstance(value, list | dict):
        raise PageError("the value is a list, not a number; name one element, such as params.0")
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str):
        return value
    return format(value, fmt)


def ending(run: dict) -> str:
    """How the run ends, in one sentence's worth of words."""
    if run["diverged"]:
        return (
            f"it goes off the rails and is stopped at update {run['diverged_at']}, its error "
            f"{run['loss']:,.0f} and climbing"
        )
    slope, intercept = run["params"]
    return f"it ends at slope {slope:.2f}, intercept {intercept:.2f}, MSE {run['loss']:.3g}"


def alt_text(run: dict) -> str:
    return (
        f"Animation: {describe(run)}, fitting a line to the orange points over "
        f"{run['steps']} updates; {ending(run)}."
    )


# ---- HTML pieces -----------------------------------------------------------------


def _attrs(**attrs) -> str:
    return " ".join(
        f'{k.rstrip("_").replace("_", "-")}="{html.escape(str(v))}"' for k, v in attrs.items()
    )


def _img(entry: dict, alt: str, base: str, eager: bool = False, **extra) -> str:
    """An <img> of a manifest file, its size set (nothing jumps); loaded when near view, or at
    once and first (`eager`) when it is the largest thing in view as the page opens."""
    src = f"{base}assets/{entry['name']}"
    size = {"width": entry["width"], "height": entry["height"]}
    load = {"fetchpriority": "high"} if eager else {"loading": "lazy"}
    return "<img " + _attrs(src=src, alt=alt, **size, **load, decoding="async", **extra) + ">"


DARK = "(prefers-color-scheme: dark)"
STILL = "(prefers-reduced-motion: reduce)"


def _source(media: str, entry: dict, base: str, scheme: str) -> str:
    # data-scheme: figures.js re-aims the source when the reader's toggle overrides the system.
    return (
        f'<source media="{media}" srcset="{base}assets/{entry["name"]}" '
        f'width="{entry["width"]}" height="{entry["height"]}" data-scheme="{scheme}">'
    )


def themed_picture(m: Manifest, stem: str, ext: str, alt: str, base: str, eager=False) -> str:
    """One picture in the page's colour scheme: the browser fetches only that scheme's file."""
    (_, light), (_, dark) = m.variants(stem, ext)
    return (
        f"<picture>{_source(DARK, dark, base, 'dark')}"
        + _img(light, alt, base, eager)
        + "</picture>"
    )


def player_config(m: Manifest, stem: str, poster: str, base: str) -> dict:
    """What the player needs to step an animation: its files in each scheme, the training
    step each frame shows, and each run's MSE at that step, named by the run."""
    gifs, stills = m.variants(stem, "gif"), m.variants(poster, "png")
    (_, first), *others = gifs
    if any((e["steps"], e["mse"]) != (first["steps"], first["mse"]) for _, e in others):
        raise PageError(f"the schemes of {stem!r} do not show the same steps")
    runs = [m.run(slug) for slug in first["experiments"]]
    return {
        "gif": {t: f"{base}assets/{e['name']}" for t, e in gifs},
        "poster": {t: f"{base}assets/{e['name']}" for t, e in stills},
        "steps": first["steps"],
        "mse": first["mse"],
        "runs": [describe(r) for r in runs],
        "ends": [r["steps_run"] for r in runs],
    }


def _json_attr(value) -> str:
    return html.escape(json.dumps(value, separators=(",", ":")))


def animated_picture(m: Manifest, stem: str, poster: str, alt: str, base: str, eager=False):
    """The animation's <picture>: the GIF in the page's scheme, or its poster (the last frame)
    for readers who ask for reduced motion, even with scripts off."""
    (_, light), (_, dark) = m.variants(stem, "gif")
    (_, still_light), (_, still_dark) = m.variants(poster, "png")
    return (
        "<picture>"
        + _source(f"{DARK} and {STILL}", still_dark, base, "dark")
        + _source(DARK, dark, base, "dark")
        + _source(STILL, still_light, base, "light")
        + _img(light, alt, base, eager)
        + "</picture>"
    )


def player_bar(steps: list[int], playing: bool = True) -> str:
    """The player's controls, in the page from the start so that nothing moves when the
    script wires them up (player.js; a <noscript> style hides them without scripts)."""
    first, last = steps[0], steps[-1]
    value = first if playing else last
    state = "Pause" if playing else "Play"
    speeds = "".join(
        f'<option value="{v}"{" selected" if v == "1" else ""}>{t}</option>'
        for v, t in (("0.5", "½×"), ("1", "1×"), ("2", "2×"))
    )
    return (
        '<div class="sgd-player" role="group" aria-label="Animation player">'
        f'<button type="button" class="sgd-player__play" aria-label="{state} the animation">'
        f"{state}</button>"
        '<button type="button" class="sgd-player__back" aria-label="Previous step">'
        "◀\ufe0e</button>"
        '<label class="sgd-player__step"><span aria-hidden="true">Training step</span>'
        f'<input type="range" aria-label="Training step" min="{first}" max="{last}" step="1" '
        f'value="{value}" aria-valuetext="step {value} of {last}"></label>'
        '<button type="button" class="sgd-player__next" aria-label="Next step">▶\ufe0e</button>'
        f'<span class="sgd-player__readout" aria-hidden="true">step {value} of {last}</span>'
        f'<label class="sgd-player__speed">Speed <select>{speeds}</select></label>'
        '<span class="sgd-player__status" role="status"></span>'
        "</div>"
    )


def animation(m: Manifest, stem: str, poster: str, alt: str, base: str, caption: str = "",
              eager: bool = False) -> str:  # fmt: skip
    """An animation with a player (docs/javascripts/player.js): play, pause, step, a
    "Training step" slider and speed; without scripts, the GIF plays as it is."""
    config = player_config(m, stem, poster, base)
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    return (
        f'<figure class="sgd-anim" data-player="{_json_attr(config)}">'
        '<div class="sgd-anim__media">'
        + animated_picture(m, stem, poster, alt, base, eager)
        + "</div>"
        + player_bar(config["steps"])
        + f"{cap}</figure>"
    )


def run_animation(m: Manifest, slug: str, base: str, caption: str = "", eager=False) -> str:
    run = m.run(slug)
    return animation(m, f"{slug}-fit", f"{slug}-poster", alt_text(run), base, caption, eager)


def linked(m: Manifest, base: str, caption: str = "", eager=False) -> str:
    """Gradient descent three ways at once: the path on the loss contours, the line, the loss."""
    run = m.run(m.figures["linked"][0])
    alt = (
        f"Animation in three panels, {describe(run)}: the parameters' path across the loss "
        f"contours towards the least-squares star, the fitted line over the points, and the "
        f"loss falling, all at the same step; {ending(run)}."
    )
    return animation(m, "linked", "linked-poster", alt, base, caption, eager)


def figure(m: Manifest, stem: str, alt: str, base: str, caption: str = "", eager=False) -> str:
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    picture = themed_picture(m, stem, "png", alt, base, eager)
    return f'<figure class="sgd-fig">{picture}{cap}</figure>'


def grid(m: Manifest, shared: str, base: str, eager=False) -> str:
    """The runs a grid animation compares, side by side on one clock: at every moment, every
    panel shows the same training step."""
    runs = [m.run(slug) for slug in _runs_of(m, shared)]
    endings = "; ".join(f"{describe(r)}: {ending(r)}" for r in runs)
    alt = (
        f"Animation of {len(runs)} panels side by side, each fitting a line to the orange "
        f"points, all showing the same update at the same moment. {endings}."
    )
    if any(r["optimizer"] != "sgd" for r in runs):  # the optimizers' race: a map, then fits
        alt = (
            f"Animation: on the left, a contour map of the loss over slope and intercept with "
            f"the paths of {len(runs)} optimizers from the start to the least-squares star; "
            f"on the right, a small panel per optimizer with its line over the orange points; "
            f"all at the same update at every moment. {endings}."
        )
        # How render_race draws the map, where paths run along each other.
        caption = ("Where one path runs along another, the one beneath is drawn wider, so "
                   "that both show; L-BFGS is dashed.")  # fmt: skip
        return animation(m, shared, f"{shared}-poster", alt, base, caption, eager)
    return animation(m, shared, f"{shared}-poster", alt, base, eager=eager)


def _runs_of(m: Manifest, shared: str) -> list[str]:
    """The runs a shared figure draws; a PageError if it is not one that draws runs."""
    drawing = [name for name, runs in m.figures.items() if runs]
    if not m.figures.get(shared):
        raise PageError(f"no shared figure {shared!r} that draws runs; there are: "
                        f"{', '.join(drawing)}")  # fmt: skip
    return m.figures[shared]


def sweep(m: Manifest, shared: str, name: str) -> str:
    """The values of one setting across a shared figure's runs: "16", or "1, 2 and 4"."""
    values = list(dict.fromkeys(number(field(m.run(s), name), "g") for s in _runs_of(m, shared)))
    return values[0] if len(values) == 1 else ", ".join(values[:-1]) + " and " + values[-1]


def evaluations(run: dict) -> str:
    """Gradient evaluations, and the Hessians besides, if the optimizer took any: "100 + 100
    Hessians"."""
    hessians = run["hessian_evaluations"]
    extra = f" + {hessians} Hessian{'s' * (hessians != 1)}" if hessians else ""
    return f"{run['gradient_evaluations']}{extra}"


def results_table(m: Manifest) -> str:
    """Every experiment's outcome, as a Markdown table."""
    header = ("run", "optimizer", "data", "lr", "batch", "seed", "updates", "gradient evaluations",
              "slope", "intercept", "MSE", "distance", "diverged", "seeds", "median MSE",
              "diverged of seeds")  # fmt: skip
    rows = [
        "| " + " | ".join(header) + " |",
        "| --- " * 3 + "| ---: " * 9 + "| --- " + "| ---: " * 3 + "|",
    ]
    for slug in m.table:
        r = m.run(slug)
        # Raw HTML: the fragment is the explorer's state, not an anchor for MkDocs to check.
        link = f'<a href="explorer.html#{html.escape(explorer_hash(r))}">{slug}</a>'
        bs = "all" if r["batch_size"] is None else r["batch_size"]
        slope, intercept = r["params"]
        diverged = f"at {r['diverged_at']}" if r["diverged"] else "no"
        decay = "" if r["schedule"] == "constant" else f", {schedule_words(r['schedule'])}"
        rows.append(
            f"| {link} | {optimizer_words(r)}{decay} | {data_words(r)} | {r['lr']:g} | {bs} "
            f"| {r['seed']} | {r['steps_run']} | {evaluations(r)} | {slope:.3f} "
            f"| {intercept:.3f} | {r['loss']:.4g} | {r['distance']:.3g} | {diverged} "
            f"| {r['seeds']} | {r['loss_band'][1]:.4g} | {r['diverged_share']:.0%} |"
        )
    # A class for compact cells: the columns fit the content column.
    return '<div class="sgd-results" markdown>\n\n' + "\n".join(rows) + "\n\n</div>"


def explorer_hash(run: dict) -> str:
    """The explorer's URL fragment for a run: lr and bs, and the optimizer and data setting
    when they are not the lesson's (so the lesson's links stay as they always were)."""
    bs = "full" if run["batch_size"] is None else run["batch_size"]
    extra = "" if run["optimizer"] == "sgd" else f"&opt={run['optimizer']}"
    extra += "" if run["schedule"] == "constant" else f"&sched={run['schedule']}"
    extra += "" if data_key(run) == "lesson" else f"&data={data_key(run)}"
    return f"lr={run['lr']:g}&bs={bs}{extra}"


def explorer(m: Manifest, base: str, eager: bool = False) -> str:
    """Radio buttons for every learning rate and batch size in the table, the chosen run's
    animation, loss plot and numbers; the data for every run is inline (no request)."""
    runs = []
    for slug in m.table:
        r = m.run(slug)
        runs.append({
            "slug": slug,
            "lr": f"{r['lr']:g}",
            "bs": "full" if r["batch_size"] is None else str(r["batch_size"]),
            "opt": r["optimizer"],
            "sched": r["schedule"],
            "data": data_key(r),
            "describe": describe(r),
            "alt": alt_text(r),
            "loss_alt": f"Loss of {describe(r)} against the update step.",
            "numbers": {
                "slope": f"{r['params'][0]:.3f}",
                "intercept": f"{r['params'][1]:.3f}",
                "mse": f"{r['loss']:.4g}",
                "distance": f"{r['distance']:.3g}",
                "diverged": f"at update {r['diverged_at']}" if r["diverged"] else "no",
                "seed": f"{r['seed']} (typical of {r['seeds']})",
                "median": f"{r['loss_band'][1]:.4g}",
                "optimizer": optimizer_words(r),
                "evaluations": evaluations(r),
            },
            "player": player_config(m, f"{slug}-fit", f"{slug}-poster", base),
            "loss": {t: f"{base}assets/{e['name']}" for t, e in m.variants(f"{slug}-loss", "png")},
        })  # fmt: skip
    opts = [name for name in OPTIMIZERS if any(r["opt"] == name for r in runs)]
    scheds = [name for name in SCHEDULES if any(r["sched"] == name for r in runs)]
    datas = [k for k in ("lesson", "moved", "centred") if any(r["data"] == k for r in runs)]
    data_names = {r["data"]: data_words(m.run(r["slug"])) for r in runs}
    lrs = sorted({r["lr"] for r in runs}, key=float)
    sizes = sorted(
        {r["bs"] for r in runs}, key=lambda b: (b != "full", int(b) if b != "full" else 0)
    )
    first = runs[0]

    def radios(name: str, legend: str, values: list[str], label) -> str:
        items = "".join(
            f'<label><input type="radio" name="{name}" value="{v}"'
            f"{' checked' if v == first[name] else ''}> {label(v)}</label>"
            for v in values
        )
        return f"<fieldset><legend>{legend}</legend>{items}</fieldset>"

    numbers = "".join(
        f'<div><dt>{label}</dt><dd data-field="{key}">{first["numbers"][key]}</dd></div>'
        for key, label in (
            ("slope", "slope"), ("intercept", "intercept"), ("mse", "final MSE"),
            ("distance", "distance to least squares"), ("diverged", "diverged"),
            ("seed", "seed"), ("median", "median final MSE, all seeds"),
            ("optimizer", "optimizer"), ("evaluations", "gradient evaluations"),
        )
    )  # fmt: skip
    data = json.dumps(runs, separators=(",", ":")).replace("</", "<\\/")
    first_slug = first["slug"]
    return (
        '<div class="sgd-explorer" data-explorer>'
        f'<script type="application/json" data-runs>{data}</script>'
        '<form class="sgd-explorer__controls" aria-label="Choose a run">'
        + radios("opt", "Optimizer", opts, lambda v: OPTIMIZERS[v].title)
        + radios("sched", "Learning-rate schedule", scheds, schedule_words)
        + radios("data", "Data", datas, lambda v: data_names[v])
        + radios("lr", "Learning rate", lrs, lambda v: v)
        + radios("bs", "Batch size", sizes, lambda v: "full batch" if v == "full" else v)
        + "</form>"
        f'<p class="sgd-explorer__status" role="status" aria-live="polite">'
        f"Showing {html.escape(first['describe'])}.</p>"
        '<div class="sgd-explorer__view">'
        + run_animation(m, first_slug, base, eager=eager)
        + figure(m, f"{first_slug}-loss", first["loss_alt"], base)
        + f'<dl class="sgd-explorer__numbers">{numbers}</dl>'
        + "</div></div>"
    )


def overview(m: Manifest, base: str, eager: bool = False) -> str:
    """Every run of the table at once, small, on one clock: gradient descent, then a row of
    batch sizes per learning rate. Each cell links to its run in the explorer and shows its
    MSE at the step shown. Posters (the last step shown) until the reader plays."""
    runs = [r for r in (m.run(slug) for slug in m.table) if is_lesson_run(r)]
    rows: dict[str, list[dict]] = {}
    for r in runs:
        key = "gradient descent" if r["batch_size"] is None else f"SGD, lr {r['lr']:g}"
        rows.setdefault(key, []).append(r)
    layers, groups = [], []
    for key, members in rows.items():
        cells = []
        for r in members:
            slug = r["slug"]
            config = player_config(m, f"{slug}-thumb", f"{slug}-thumb-poster", base)
            layers.append(config)
            name = "all 100 points" if r["batch_size"] is None else f"batch size {r['batch_size']}"
            last = config["steps"][-1]
            alt = (f"{describe(r)} at step {last}: the fitted line over the points"
                   + (f", after diverging at update {r['diverged_at']}" if r["diverged"] else "")
                   + ".")  # fmt: skip
            cells.append(
                '<li class="sgd-cell"><div class="sgd-anim__media">'
                + themed_picture(
                    m, f"{slug}-thumb-poster", "png", alt, base, eager and len(layers) == 1
                )  # the first cell only
                + f'</div><a href="explorer.html#{html.escape(explorer_hash(r))}">{name}</a>'
                f'<span class="sgd-cell__mse" data-cell-mse>MSE {config["mse"][-1][0]}</span>'
                "</li>"
            )
        title = html.escape(key)
        groups.append(
            f'<section class="sgd-overview__row" aria-label="{title}"><h2>{title}</h2>'
            f'<ul class="sgd-cells">{"".join(cells)}</ul></section>'
        )
    config = _json_attr({"layers": layers})
    clock = sorted({step for layer in layers for step in layer["steps"]})
    return (
        f'<div class="sgd-anim sgd-overview" data-player="{config}" data-cells>'
        + player_bar(clock, playing=False)
        + "".join(groups)
        + "</div>"
    )


# ---- the placeholder language ----------------------------------------------------


def expand(markdown: str, m: Manifest, base: str = "", first_line: int = 1) -> str:
    """Replace every `{{ command args }}` in a page; `base` leads from the page to docs/.
    The page's first figure, if it comes within EAGER_CHARS of the top, is in view as the
    page opens: it is fetched at once and first, every other one when it nears the view.
    `first_line`: the line of the page's file where `markdown` begins (after front matter)."""
    first_figure = True

    def one(match: re.Match) -> str:
        nonlocal first_figure
        try:
            command, *args = shlex.split(match.group(1)) or [""]
        except ValueError as e:
            raise PageError(f"{match.group(0)!r}: {e}; close every quoted argument, as in "
                            '{{ fig NAME "alt text" }}') from None  # fmt: skip
        commands = {
            "num": lambda slug, field_, format_=DEFAULT_FORMAT: number(
                field(m.run(slug), field_), format_
            ),
            "fact": lambda name, key, format_=DEFAULT_FORMAT: number(m.fact(name, key), format_),
            "fig": lambda stem, alt, caption="", *, eager: figure(m, stem, alt, base, caption,
                                                                  eager),
            "anim": lambda slug, caption="", *, eager: run_animation(m, slug, base, caption,
                                                                     eager),
            "linked": lambda caption="", *, eager: linked(m, base, caption, eager),
            "grid": lambda shared, *, eager: grid(m, shared, base, eager),
            "sweep": lambda shared, name: sweep(m, shared, name),
            "results": lambda: results_table(m),
            "explorer": lambda *, eager: explorer(m, base, eager),
            "overview": lambda *, eager: overview(m, base, eager),
        }  # fmt: skip
        if command not in commands:
            raise PageError(
                f"{match.group(0)!r}: unknown command; use one of {', '.join(commands)}"
            )
        draws = "eager" in inspect.signature(commands[command]).parameters
        extra = {}
        if draws:
            text_before = " ".join(markdown[: match.start()].split())
            extra["eager"] = first_figure and len(text_before) <= EAGER_CHARS
            first_figure = False
        try:
            inspect.signature(commands[command]).bind(*args, **extra)
        except TypeError:
            raise PageError(
                f"{match.group(0)!r}: wrong number of arguments; use "
                f"{{{{ {command} {_usage(commands[command])} }}}}"
            ) from None
        try:
            return commands[command](*args, **extra)
        except PageError as e:
            raise PageError(f"{match.group(0)!r}: {e}") from None

    _unclosed(markdown, first_line)
    return PLACEHOLDER.sub(one, markdown)


# "{{" and a word, left over once the whole placeholders are taken out: a placeholder that
# was never closed on its line. (TeX may write "}}" of its own.)
_OPENED = re.compile(r"\{\{\s*\w")


def _unclosed(markdown: str, first_line: int = 1) -> None:
    """Refuse a placeholder that is not closed on its own line: it would reach the page as
    it is."""
    rest = PLACEHOLDER.sub(lambda match: " " * len(match.group(0)), markdown)
    found = _OPENED.search(rest)
    if found:
        line = markdown.count("\n", 0, found.start()) + first_line
        text = markdown[found.start() : found.start() + 40].split("\n")[0]
        raise PageError(f"line {line}: {text!r} is not a whole placeholder; write "
                        "{{ command args }} on one line")  # fmt: skip


def _usage(command) -> str:
    """A command's arguments as a page writes them: "SLUG FIELD [FORMAT]"."""
    return " ".join(
        name if p.default is p.empty else f"[{name}]"
        for p in inspect.signature(command).parameters.values()
        if p.kind is not p.KEYWORD_ONLY  # set by expand, not written on the page
        for name in [p.name.rstrip("_").upper()]
    )


# ---- after Markdown --------------------------------------------------------------

_MATH = re.compile(r'<(span|div) class="arithmatex">\s*\\[(\[](.*?)\\[)\]]\s*</\1>', re.DOTALL)
_REMOTE_SCRIPT = re.compile(r'<script[^>]*\bsrc="(?:https?:)?//[^"]*"[^>]*>\s*</script>', re.I)


def mathml(page_html: str) -> str:
    """TeX from pymdownx.arithmatex as MathML, which browsers draw with no script or font."""

    def one(match: re.Match) -> str:
        tex = html.unescape(match.group(2))
        if match.group(1) == "span":
            return latex_to_mathml(tex, display="inline")
        # A wide equation scrolls inside its own box on a phone, never the page.
        return f'<div class="sgd-math">{latex_to_mathml(tex, display="block")}</div>'

    return _MATH.sub(one, page_html)


def drop_remote_scripts(page_html: str) -> str:
    """The site loads nothing from elsewhere: mkdocs-jupyter adds a MathJax <script> from a
    CDN to every notebook, and the notebook here has no TeX for it to typeset."""
    return _REMOTE_SCRIPT.sub("", page_html)
