"""The tuning protocol made visible: each method's metric against its learning rate (how good
it can be, and how wide its good range is), and the rate theory's settings beside runs made
at them; with the named numbers both give the pages."""

import math

import numpy as np
import torch
from PIL import Image

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.protocols import CLOSE, LATE, LRS, PER_DECADE, Protocol
from sgd_lib.lesson.training import History
from sgd_lib.lesson.tuning import Grid, theory
from sgd_lib.pictures.canvas import figure
from sgd_lib.pictures.optimizer_facts import reach
from sgd_lib.pictures.render_plots import draw
from sgd_lib.pictures.render_studies import floor
from sgd_lib.pictures.theme import Theme

TUNING_SIZE = (640, 600)  # pixels: one plot, its legend below, readable at a phone's width
THEORY_SIZE = (640, 760)  # two plots, one above the other
LABEL_PT = 14


def hyper_words(setting: dict) -> str:
    """A grid point's hyper-parameters besides lr, briefly: "momentum 0.8", "betas 0.9, 0.99"."""
    parts = []
    for k, v in setting.items():
        if k != "lr":
            value = ", ".join(f"{b:g}" for b in v) if isinstance(v, list | tuple) else f"{v:g}"
            parts.append(f"{k} {value}")
    return "; ".join(parts)


def plot_tuning(grids: dict[str, Grid], protocol: Protocol, data: Data, theme: Theme,
                title: str) -> Image.Image:  # fmt: skip
    """Each method's metric against the learning rate, at its best other hyper-parameters:
    with mini-batches the median over the seeds and its 10-90% band. A star marks the best
    point; a run that never met the metric, or diverged, sits on the top line."""
    names = list(grids)
    colors = theme.method_colors(names)
    full = protocol.batch_size is None
    finite = torch.cat([g.band[torch.isfinite(g.band)] for g in grids.values()])
    top = finite.max().item() * 2.5
    with figure(theme, TUNING_SIZE) as fig:
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.3, top=0.92)
        ax = fig.add_subplot()
        ax.set_title(title, loc="left", fontsize=LABEL_PT, weight="bold")
        for name, color in zip(names, colors, strict=True):
            g = grids[name]
            idx = g.curve()
            lrs = np.array([g.settings[i]["lr"] for i in idx])
            low, mid, high = np.minimum(g.band[idx].numpy(), top).T
            if not full:
                ax.fill_between(lrs, low, high, color=color, alpha=0.12, lw=0)
            best = g.settings[g.best]
            label = OPTIMIZERS[name].title + (f" ({hyper_words(best)})" if len(best) > 1 else "")
            ax.plot(lrs, mid, color=color, lw=2, marker="o", ms=3, label=label)
            ax.plot(best["lr"], g.band[g.best, 1].item(), marker="*", ms=16, color=color,
                    markeredgecolor=theme.fg, markeredgewidth=0.8, ls="none", zorder=5)  # fmt: skip
        ax.axhline(top, color=theme.muted, lw=1, ls="--")
        never = "never within 1%, or diverged" if full else "diverged"
        ax.text(LRS[0], top * 1.12, never, color=theme.muted, va="bottom", fontsize=LABEL_PT - 2)
        if full:  # the theory's best rate for gradient descent, and its stability limit
            t = theory(data)
            for lr, words, ls in (
                (t["gd_lr"], "theory's best lr for GD", ":"),
                (2 / t["lambda_max"], "GD's stability limit", "-."),
            ):
                ax.axvline(lr, color=theme.muted, lw=1.2, ls=ls, label=words)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(LRS[0] / 1.2, LRS[-1] * 1.2)
        ax.set_ylim(finite.min().item() / 1.6, top * 2.4)
        ax.tick_params(labelsize=LABEL_PT - 2)
        ax.set_xlabel("learning rate (log scale)", fontsize=LABEL_PT)
        metric = (f"updates until within {CLOSE:.0%} of the floor" if full else
                  f"distance to least squares, last {LATE:.0%}")  # fmt: skip
        ax.set_ylabel(metric, fontsize=LABEL_PT - 1)
        fig.legend(*ax.get_legend_handles_labels(), loc="lower left", ncols=2,
                   bbox_to_anchor=(0.01, 0.01), fontsize=LABEL_PT - 2)  # fmt: skip
        return draw(fig)


def tuning_facts(grids: dict[str, Grid], protocol: Protocol, data: Data,
                 fine: dict | None = None) -> dict:  # fmt: skip
    """Per method: its best point and metric (with the band), how wide its good range is;
    the grid's span; with the full batch, the theory's settings beside the grid's best, and
    the finer search of gradient descent's rate (`fine`, from the tuning record)."""
    out = {"budget": protocol.budget, "seeds": len(protocol.tuning_seeds()),
           "grid_low": LRS[0], "grid_high": LRS[-1], "per_decade": PER_DECADE,
           "close_percent": CLOSE * 100}  # fmt: skip
    for name, g in grids.items():
        best = g.settings[g.best]
        low, mid, high = (v if math.isfinite(v) else None for v in g.band[g.best].tolist())
        good_low, good_high = g.good_range()
        curve_lrs = [g.settings[i]["lr"] for i in g.curve()]
        out |= {f"{name}_lr": best["lr"], f"{name}_metric": mid, f"{name}_low": low,
                f"{name}_high": high, f"{name}_good_low": good_low,
                f"{name}_good_high": good_high,
                f"{name}_good_factor": good_high / good_low,
                f"{name}_points": len(g.settings),
                # 1 if the best point is at either end of the learning rates tried
                f"{name}_at_edge": int(best["lr"] in (curve_lrs[0], curve_lrs[-1]))}  # fmt: skip
        for k, v in best.items():
            if k == "betas":
                out |= {f"{name}_beta1": v[0], f"{name}_beta2": v[1]}
            elif k != "lr":
                out[f"{name}_{k}"] = v
        if "momentum" in best:  # the step along a steady gradient: lr / (1 - momentum)
            out[f"{name}_effective_lr"] = best["lr"] / (1 - best["momentum"])
    if protocol.batch_size is None:
        t = theory(data)
        out |= {f"theory_{k}": v for k, v in t.items()}
        out["sgd_lr_over_theory"] = out["sgd_lr"] / t["gd_lr"]
        out["momentum_lr_over_theory"] = out["momentum_lr"] / t["hb_lr"]
    if fine:
        out |= {"fine_sgd_lr": fine["lr"], "fine_sgd_metric": fine["updates"],
                "fine_points": fine["points"],
                "fine_sgd_lr_over_theory": fine["lr"] / out["theory_gd_lr"]}  # fmt: skip
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


# ---- the rate theory beside the runs -------------------------------------------------------

RATE_WINDOW = (1e-2, 1e-5)  # the rate is measured while the distance falls through these


def measured_rate(h: History, ols: torch.Tensor) -> tuple[float | None, int]:
    """The distance from the answer's shrinking per update, on average, while it falls from
    RATE_WINDOW[0] to RATE_WINDOW[1] of where it began (above float32's rounding), and the
    updates that took; (None, 0) if it never got there."""
    d = (h.params.double() - ols).norm(dim=1)
    start, end = (torch.nonzero(d < f * d[0]) for f in RATE_WINDOW)
    if not len(end):
        return None, 0
    t1, t2 = int(start[0]), int(end[0])
    return ((d[t2] / d[t1]).item() ** (1 / (t2 - t1)), t2 - t1) if t2 > t1 else (None, 0)


def theory_facts(pairs: list[tuple[Data, list[History]]]) -> dict:
    """For each data setting ("lesson_", "moved_"): the theory's rates and settings, the rate
    each run at them measured, and the updates it took to stay within CLOSE of the floor."""
    out = {"window_high": RATE_WINDOW[0], "window_low": RATE_WINDOW[1]}
    for data, runs in pairs:
        prefix = "moved_" if data.spec.x_shift else "lesson_"
        t = theory(data)
        ols = least_squares(data.x, data.y)
        lowest = floor(data)
        out |= {f"{prefix}{k}": v for k, v in t.items()}
        for h in runs:
            kind = "gd" if h.experiment.optimizer == "sgd" else "hb"
            rate, window = measured_rate(h, ols)
            out[f"{prefix}{kind}_measured"] = rate
            out[f"{prefix}{kind}_window"] = window
            theory_rate = t[f"{kind}_rate"]
            # how many times faster (>1) or slower the measured rate shrinks the error
            out[f"{prefix}{kind}_speed_ratio"] = (
                math.log(rate) / math.log(theory_rate) if rate else None
            )
            out[f"{prefix}{kind}_updates"] = reach(h, lowest)[0]
            out[f"{prefix}{kind}_steps"] = h.steps_run
    return {k: (round(v, 10) if isinstance(v, float) else v) for k, v in out.items()}


def plot_theory(pairs: list[tuple[Data, list[History]]], theme: Theme) -> Image.Image:
    """Per data setting, a panel: each run's distance from the answer against the update
    (log scale), and dashed, the theory's rate from the same start."""
    colors = theme.method_colors(["sgd", "momentum"])
    with figure(theme, THEORY_SIZE) as fig:
        fig.subplots_adjust(left=0.14, right=0.97, bottom=0.08, top=0.95, hspace=0.35)
        for i, (data, runs) in enumerate(pairs):
            ax = fig.add_subplot(len(pairs), 1, i + 1)
            t = theory(data)
            ols = least_squares(data.x, data.y)
            last = 0
            for h, color in zip(runs, colors, strict=True):
                kind = "gd" if h.experiment.optimizer == "sgd" else "hb"
                d = (h.params.double() - ols).norm(dim=1).numpy()
                ends = np.nonzero(d < 1e-6 * d[0])[0]  # below that, float32's rounding
                stop = int(ends[0]) if len(ends) else len(d) - 1
                last = max(last, stop)
                steps = np.arange(stop + 1)
                name = "gradient descent" if kind == "gd" else "heavy ball"
                ax.plot(steps, d[: stop + 1], color=color, lw=2.5,
                        label=f"{name}, lr {h.experiment.lr:.4g}")  # fmt: skip
                rate = t[f"{kind}_rate"]
                ax.plot(steps, d[0] * rate**steps, color=color, lw=1.5, ls="--",
                        label=f"theory: × {rate:.4g} per update")  # fmt: skip
            ax.set_yscale("log")
            ax.set_xlim(0, last)
            ax.set_ylim(1e-6 * d[0], d[0] * 3)
            where = "x moved off 0" if data.spec.x_shift else "the lesson's data"
            ax.set_title(f"{where}: κ = {t['kappa']:.3g}", loc="left", fontsize=LABEL_PT,
                         weight="bold")  # fmt: skip
            ax.tick_params(labelsize=LABEL_PT - 2)
            ax.set_xlabel("update", fontsize=LABEL_PT)
            ax.set_ylabel("distance to least squares", fontsize=LABEL_PT - 1)
            ax.legend(loc="upper right", fontsize=LABEL_PT - 2, framealpha=0.85)
        return draw(fig)
