"""What the pages say about the asset manifest's data: the manifest as the pages read it,
and each run's settings and results in words and numbers. Plain Python: no torch."""

import re
from dataclasses import dataclass
from pathlib import Path

from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.pictures.theme import THEMES
from sgd_lib.pictures.words import run_label
from sgd_lib.site.manifest import load
from sgd_lib.site.outdir import MANIFEST

DEFAULT_FORMAT = ".4g"
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


def describe(run: dict) -> str:
    """The run's settings in words, as the figures title it."""
    return run_label(run["lr"], run["batch_size"], run["optimizer"], run["schedule"],
                     run["x_shift"], run["centred"], run["hyper"], run["picked"],
                     run["scaled"])  # fmt: skip


def is_lesson_run(run: dict) -> bool:
    """One of the lesson's own runs: SGD (or GD) at a constant rate on the lesson's data."""
    return (run["optimizer"] == "sgd" and run["schedule"] == "constant" and not run["x_shift"]
            and not run["centred"] and not run["picked"] and run["problem"] == "line")  # fmt: skip


def is_class_grid_run(run: dict) -> bool:
    """The lesson's kind of run on the overlapping classes: SGD (or GD), constant rate."""
    return (run["problem"] == "logistic" and run["optimizer"] == "sgd"
            and run["schedule"] == "constant" and not run["picked"])  # fmt: skip


def data_words(run: dict) -> str:
    if run["problem"] != "line":
        return PROBLEMS[run["problem"]].title.split(",")[0].lower()  # "two separable classes"
    if run["centred"]:
        then = "standardised" if run["scaled"] else "centred"
        return f"x moved by {run['x_shift']:g}, then {then}"
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
    loss = PROBLEMS[run["problem"]].loss_name
    return f"it ends at slope {slope:.2f}, intercept {intercept:.2f}, {loss} {run['loss']:.3g}"


def alt_text(run: dict) -> str:
    if run["problem"] != "line":
        return (
            f"Animation: {describe(run)}, fitting the probability of class 1 to "
            f"{data_words(run)} over {run['steps']} updates, beside its path over the "
            f"cross-entropy; {ending(run)}."
        )
    return (
        f"Animation: {describe(run)}, fitting a line to the orange points over "
        f"{run['steps']} updates; {ending(run)}."
    )
