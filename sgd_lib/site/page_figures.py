"""The pages' pictures as HTML: a figure in the reader's colour scheme, an animation with
its player, the grids of runs on one clock."""

import html
import json
from urllib.parse import quote

from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.site.page_data import Manifest, PageError, alt_text, describe, ending, field, number


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
    step each frame shows, and each run's loss at that step, named by the run."""
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
        # what the readouts are: "MSE" for the line, "CE" for the classes (one name a figure)
        "loss": PROBLEMS[runs[0]["problem"]].loss_short if runs else "MSE",
        "runs": [describe(r) for r in runs],
        "ends": [r["steps_run"] for r in runs],
    }


def json_attr(value) -> str:
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
    "Training step" slider and speed; without scripts, the GIF plays as it is. Below it,
    links that open its runs live in the sandbox."""
    config = player_config(m, stem, poster, base)
    cap = f"<figcaption>{caption}</figcaption>" if caption else ""
    slugs = m.variants(stem, "gif")[0][1]["experiments"]
    return (
        f'<figure class="sgd-anim" data-player="{json_attr(config)}">'
        '<div class="sgd-anim__media">'
        + animated_picture(m, stem, poster, alt, base, eager)
        + "</div>"
        + player_bar(config["steps"])
        + live_links(m, slugs, base)
        + f"{cap}</figure>"
    )


SANDBOX_RUNS = 5  # the sandbox's live run and its four pinned ones


def sandbox_href(slugs: list[str], base: str) -> str:
    """The sandbox at exactly these runs of the table (the first live, the others pinned)."""
    return html.escape(f"{base}sandbox.html?" + "&".join(f"run={quote(s)}" for s in slugs))


def live_links(m: Manifest, slugs: list[str], base: str) -> str:
    """ "Open live": one link for all the runs when the sandbox can hold them, else one each,
    named by what tells them apart."""
    if len(slugs) <= SANDBOX_RUNS:
        side = " (side by side, on one clock)" if len(slugs) > 1 else ""
        return (f'<p class="sgd-anim__live"><a href="{sandbox_href(slugs, base)}">Open live in '
                f"the sandbox</a>{side}</p>")  # fmt: skip
    runs = [m.run(slug) for slug in slugs]
    names = [short_name(r, runs) for r in runs]
    links = ", ".join(
        f'<a href="{sandbox_href([slug], base)}">{html.escape(name)}</a>'
        for slug, name in zip(slugs, names, strict=True)
    )
    return f'<p class="sgd-anim__live">Open live in the sandbox: {links}</p>'


def short_name(run: dict, runs: list[dict]) -> str:
    """The run's name among `runs`: its optimizer, batch size or learning rate, whichever
    differs between them."""
    if len({r["optimizer"] for r in runs}) > 1:
        full = run["optimizer"] == "sgd" and run["batch_size"] is None
        return "gradient descent" if full else OPTIMIZERS[run["optimizer"]].title
    if len({r["batch_size"] for r in runs}) > 1:
        return "full batch" if run["batch_size"] is None else f"batch size {run['batch_size']}"
    return f"lr {run['lr']:g}"


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
    fitting = ("fitting the probability of class 1 to two classes" if runs[0]["problem"] != "line"
               else "fitting a line to the orange points")  # fmt: skip
    alt = (
        f"Animation of {len(runs)} panels side by side, each {fitting}, all showing the same "
        f"update at the same moment. {endings}."
    )
    if any(r["optimizer"] != "sgd" for r in runs):  # the optimizers' race: a map, then fits
        classes = runs[0]["problem"] != "line"
        star = "the cross-entropy's minimum" if classes else "the least-squares star"
        fit = ("its probability curve over the two classes" if classes
               else "its line over the orange points")  # fmt: skip
        alt = (
            f"Animation: above, a contour map of the loss over slope and intercept with "
            f"the paths of {len(runs)} optimizers from the start to {star}; "
            f"below, a small panel per optimizer with {fit}; "
            f"all at the same update at every moment. {endings}."
        )
        # How render_race draws the map, where paths run along each other.
        caption = ("Where one path runs along another, the one beneath is drawn wider, so "
                   "that both show; L-BFGS is dashed, and Newton, conjugate gradient and "
                   "L-BFGS mark each of their few iterates with a dot.")  # fmt: skip
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
