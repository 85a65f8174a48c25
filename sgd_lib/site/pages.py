"""The pages' generated parts: figures, animations, numbers and tables, from the asset manifest.

A page writes `{{ command args }}` where a generated part goes; `expand()` replaces each one
with HTML built from `docs/assets/manifest.json`, so every number and picture on the site comes
from the build. An unknown command, experiment, figure or field is a PageError: the build
fails instead of showing a hole. Plain Python: no torch, no matplotlib.
"""

import html
import inspect
import re
import shlex

from latex2mathml.converter import convert as latex_to_mathml

from sgd_lib.site.page_data import DEFAULT_FORMAT, Manifest, PageError, field, number
from sgd_lib.site.page_figures import figure, grid, linked, run_animation, sweep
from sgd_lib.site.page_views import explorer, overview, results_table

PLACEHOLDER = re.compile(r"\{\{\s*(.+?)\s*\}\}")
# A figure whose placeholder comes after no more than this much text (in characters) is in
# view as the page opens, even on a phone (~25 lines of text under the header).
EAGER_CHARS = 700


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
