"""Studies compared: each setting's median and 10-90% band over its seeds, against updates
(or examples, or beside another sampler or optimizer), and where the runs end (the jitter)."""

import numpy as np
from PIL import Image

from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.problems import PROBLEMS
from sgd_lib.lesson.studies import Study
from sgd_lib.pictures.canvas import figure
from sgd_lib.pictures.render_plots import COMPARE_SIZE, draw
from sgd_lib.pictures.render_studies import rounded
from sgd_lib.pictures.theme import Theme


def optimizer_name(e) -> str:
    """A legend's name for a run's optimizer: its title, or for momentum run at the tuned
    SGD's effective step, that (the pages give each run's settings)."""
    return "SGD's step" if e.picked == "same-step" else OPTIMIZERS[e.optimizer].title


def plot_bands(studies: list[Study], theme: Theme, title: str, by: str,
               distance: bool = False) -> Image.Image:  # fmt: skip
    """Median full-data loss per update (or, with `distance`, the distance from the
    least-squares answer), with the 10-90% band over seeds; `by` is "lr", "batch",
    "examples" (x = updates × batch size), "sampler" or "optimizer". Always a log scale:
    every compared loss plot on the site reads the same way."""

    def band(s: Study):
        return s.band(s.distance()) if distance else s.band()

    if by == "optimizer":
        colors = theme.method_colors([s.experiment.optimizer for s in studies])
    else:
        colors = theme.sweep_colors(len(studies))
    with figure(theme, COMPARE_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.74 if by in ("sampler", "optimizer") else 0.78,
                            bottom=0.14, top=0.9)  # fmt: skip
        ax = fig.add_subplot()
        top = (
            max(band(s)[2].max().item() for s in studies)
            if distance
            else max(s.limit for s in studies)
        )
        for s, color in zip(studies, colors, strict=True):
            e = s.experiment
            x = np.arange(e.steps + 1, dtype=float)
            if by == "examples":
                x = x * (e.batch_size or e.data.n)
            low, mid, high = band(s).numpy()
            name = {"lr": f"{e.lr:g}", "sampler": f"{e.batch_size}, {e.sampler}",
                    "optimizer": optimizer_name(e)}.get(by, str(e.batch_size or "all"))  # fmt: skip
            style = {"ls": (0, (4, 2))} if e.picked == "same-step" else {}
            if len(s.seeds) > 1:
                ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0)
            ax.plot(x, mid, color=color, lw=2, label=name, **style)
        ax.set_yscale("log")
        high = max(band(s)[2].max().item() for s in studies)
        ax.set_ylim(min(band(s)[0].min().item() for s in studies) / 1.5, min(top, high) * 2)
        longest = max(s.experiment.steps for s in studies)
        if by == "examples":
            ax.set_xscale("symlog", linthresh=100, linscale=0.5)
            ax.set_xlim(0, longest * max(s.experiment.batch_size or 1 for s in studies))
            ax.set_xlabel("examples read (updates × batch size)")
        else:
            if longest > 200:
                ax.set_xscale("symlog", linthresh=10, linscale=0.5)
            ax.set_xlim(0, longest)
            ax.set_xlabel("step (0: the initial guess)")
        problem = PROBLEMS[studies[0].experiment.problem]
        answer = "least squares" if problem.name == "line" else "the minimiser"
        ax.set_ylabel(f"distance to {answer}" if distance else f"{problem.loss_name}, full data")
        ax.set_title(title, loc="left")
        seeds = max(len(s.seeds) for s in studies)
        heading = {"lr": "lr", "sampler": "batch size,\nsampler", "optimizer": "optimizer"}.get(
            by, "batch size"
        )
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), title=heading)
        fig.text(0.8, 0.16, f"median of {seeds}\nseeds; band:\n10-90%", fontsize=12,
                 color=theme.muted, va="bottom")  # fmt: skip
        return draw(fig)


def sampler_facts(studies: list[Study]) -> dict:
    """Where each sampler's runs end: the median distance from least squares and MSE."""
    out = {}
    for s in studies:
        e = s.experiment
        name = f"bs{e.batch_size}_{e.sampler}"
        out[f"{name}_distance"] = rounded(s.band(s.distance()[:, -1])[1].item())
        out[f"{name}_loss"] = rounded(s.band(s.loss[:, -1])[1].item())
        out[f"{name}_epochs"] = rounded(e.steps / (e.data.n // e.batch_size), 4)
    return out


def jitter_facts(by_lr: dict[float, list[Study]]) -> dict:
    """How far the runs end from the least-squares answer: the ball they settle in."""
    out = {}
    for lr, studies in by_lr.items():
        sizes = [s.experiment.batch_size for s in studies]
        medians = [s.band(s.distance()[:, -1])[1].item() for s in studies]
        # The slope of log(median distance) against log(batch size), up to batch size 16:
        # for a fixed lr, how the ball's size scales with the batch.
        small = [(b, m) for b, m in zip(sizes, medians, strict=True) if b <= 16]
        if len(small) < 2:  # a table with one batch size has no slope to fit
            out[f"lr{lr:g}_bs_exponent"] = None
            continue
        slope = np.polyfit(np.log([b for b, _ in small]), np.log([m for _, m in small]), 1)[0]
        out[f"lr{lr:g}_bs_exponent"] = rounded(slope, 4)
    if len(by_lr) < 2:  # a table with one of the learning rates: no ratio to take
        return out | {"lr_ratio": None, "distance_ratio_min": None, "distance_ratio_max": None}
    low, high = sorted(by_lr)
    ratios: list[float] = []
    lows = {s.experiment.batch_size: s for s in by_lr[low]}
    for s_high in by_lr[high]:
        s_low = lows.get(s_high.experiment.batch_size)
        if s_low is None:  # a table without this batch size at the lower lr
            continue
        d_low = s_low.band(s_low.distance()[:, -1])[1].item()
        d_high = s_high.band(s_high.distance()[:, -1])[1].item()
        ratios.append(d_high / d_low)
    out["lr_ratio"] = rounded(high / low)
    out["distance_ratio_min"] = rounded(min(ratios), 4) if ratios else None
    out["distance_ratio_max"] = rounded(max(ratios), 4) if ratios else None
    return out


def plot_jitter(by_lr: dict[float, list[Study]], gd_distance: float, theme: Theme) -> Image.Image:
    """The final distance from the least-squares answer against the batch size: median and
    10-90% band over seeds, one curve per learning rate."""
    colors = theme.sweep_colors(max(len(by_lr), 2))
    with figure(theme, COMPARE_SIZE) as fig:
        fig.subplots_adjust(left=0.13, right=0.97, bottom=0.14, top=0.9)
        ax = fig.add_subplot()
        for (lr, studies), color in zip(sorted(by_lr.items()), colors, strict=False):
            sizes = [s.experiment.batch_size for s in studies]
            bands = np.array([s.band(s.distance()[:, -1]).numpy() for s in studies])
            steps = studies[0].experiment.steps
            ax.fill_between(sizes, bands[:, 0], bands[:, 2], color=color, alpha=0.2, lw=0)
            ax.plot(sizes, bands[:, 1], color=color, marker="o", lw=2,
                    label=f"lr {lr:g}, after {steps} updates")  # fmt: skip
        ax.axhline(gd_distance, color=theme.muted, ls=":", lw=1.5,
                   label="gradient descent, lr 0.1")  # fmt: skip
        ax.set(xscale="log", yscale="log", xlabel="batch size (log scale)",
               ylabel="distance from least squares")  # fmt: skip
        ax.set_xticks(sizes, [str(b) for b in sizes])
        ax.minorticks_off()
        ax.set_title("where the runs end: median and 10-90% band", loc="left")
        ax.legend(loc="upper right", fontsize=12)
        return draw(fig)


# ---- the lesson's gradient-descent run, in numbers ---------------------------------------
