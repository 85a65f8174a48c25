"""Figures of many runs at once, and the facts the pages quote from them.

Each `*_facts` function computes named numbers from the data and the studies; the figure
beside it draws the same numbers. Pages quote facts with `{{ fact FIGURE NAME }}`: no number
about the data's geometry, the floor or the learning-rate range is ever typed into a page.
"""

import math
from dataclasses import replace
from functools import cache

import numpy as np
import torch
from PIL import Image

from sgd_lib.lesson.data import Data, make_data
from sgd_lib.lesson.experiments import DataSpec, Experiment
from sgd_lib.lesson.loss import least_squares, mse
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.studies import Study, statistics
from sgd_lib.lesson.training import A0, BLOWUP, train
from sgd_lib.pictures.canvas import figure
from sgd_lib.pictures.render_fit import X_VIEW, line_y, y_view
from sgd_lib.pictures.render_plots import COMPARE_SIZE, PLOT_SIZE, draw
from sgd_lib.pictures.theme import Theme

DATA_SEEDS = 200  # data draws the floor is measured over
LR_GRID = np.geomspace(0.01, 1.2, 400)  # learning rates of the range figure, past 2/λ_max
RANGE_UPDATES = (10, 30, 100)  # the range figure's curves: the loss after this many updates
EARLY, LATER = 10, 20  # the updates at which the intercept-first page measures progress
NEAR = 0.01  # "at the answer": within this distance of the least-squares (slope, intercept)


def _r(v: float, digits: int = 10) -> float:
    return round(float(v), digits)


def _x64(data: Data) -> tuple[torch.Tensor, torch.Tensor]:
    return data.x.double(), data.y.double()


def hessian(data: Data) -> torch.Tensor:
    """The MSE's curvature, (2/n) XᵀX: the same at every point, because the MSE is quadratic."""
    x, _ = _x64(data)
    return 2 / len(x) * x.T @ x


def floor(data: Data) -> float:
    """The least-squares MSE: the lowest loss any line has on this data."""
    x, y = _x64(data)
    return mse(x @ least_squares(data.x, data.y), y).item()


# ---- the learning-rate range: gradient descent's loss after k updates, every lr ----------


def gd_curves(data: Data, lrs: np.ndarray, updates: int) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent at every lr at once, in float64: the loss (L, updates+1)
    and the distance from the least-squares answer (L, updates+1)."""
    x, y = _x64(data)
    ols = least_squares(data.x, data.y)
    lr = torch.tensor(lrs, dtype=torch.float64).unsqueeze(1)
    a = torch.tensor(A0, dtype=torch.float64).repeat(len(lrs), 1)
    losses, distances = [], []
    for t in range(updates + 1):
        residual = a @ x.T - y
        losses.append((residual**2).mean(dim=1))
        distances.append((a - ols).norm(dim=1))
        if t < updates:
            a = a - lr * (2 / len(y)) * residual @ x
    return torch.stack(losses, 1).numpy(), torch.stack(distances, 1).numpy()


@cache  # the facts, and each theme's figure, of one worker's Data (render_job caches it)
def lr_range_facts(data: Data) -> dict:
    lam_min, lam_max = torch.linalg.eigvalsh(hessian(data)).tolist()
    edge = 2 / lam_max
    k = RANGE_UPDATES[1]
    _, dist = gd_curves(data, LR_GRID, k)
    near = LR_GRID[dist[:, k] < NEAR]
    at_01 = gd_curves(data, np.array([0.1]), k)[1][0, k]
    slow = gd_curves(data, np.array([0.01]), 1000)[1][0, 1000]
    long = train(data, Experiment(lr=1.0, steps=1000))
    short = train(data, Experiment(lr=1.0, steps=100))
    return {
        "lambda_max": _r(lam_max),
        "lambda_min": _r(lam_min),
        "kappa": _r(lam_max / lam_min),
        "edge": _r(edge),  # the largest learning rate at which gradient descent converges
        "best": _r(2 / (lam_max + lam_min)),  # the lr that shrinks both directions equally
        "near_low": _r(near.min()) if len(near) else None,
        "near_high": _r(near.max()) if len(near) else None,
        "near": NEAR,
        "k_first": RANGE_UPDATES[0],
        "k_mid": RANGE_UPDATES[1],
        "k_last": RANGE_UPDATES[2],
        "lr01_distance_30": _r(at_01),
        "lr001_distance_1000": _r(slow),  # gradient descent at lr 0.01: still converging
        "lr1_loss_100": _r(short.loss[-1].item()),
        "lr1_diverged_at": long.diverged_at,
        "lr1_steps": long.experiment.steps,
        "lr1_edge_product": _r(1.0 * lam_max),
    }


def plot_lr_range(data: Data, theme: Theme) -> Image.Image:
    """The loss after 10, 30 and 100 updates of gradient descent against the learning rate,
    with 2/λ_max drawn: the picture behind a learning-rate finder."""
    facts = lr_range_facts(data)
    losses, _ = gd_curves(data, LR_GRID, max(RANGE_UPDATES))
    start = losses[0, 0]
    colors = theme.sweep_colors(len(RANGE_UPDATES))
    with figure(theme, COMPARE_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.14, top=0.9)
        ax = fig.add_subplot()
        ax.set(xscale="log", yscale="log", xlabel="learning rate (log scale)",
               ylabel="MSE after k updates")  # fmt: skip
        for k, color in zip(RANGE_UPDATES, colors, strict=True):
            y = np.where(np.isfinite(losses[:, k]), losses[:, k], np.nan)
            ax.plot(LR_GRID, y, color=color, lw=2, label=f"k = {k}")
        ax.axhline(floor(data), color=theme.truth, ls="--", lw=1.5, label="floor (least squares)")
        ax.axhline(start, color=theme.muted, ls=":", lw=1.5, label="initial guess")
        ax.axvline(facts["edge"], color=theme.alarm, lw=1.5)
        ax.annotate(f"2/λ_max = {facts['edge']:.4g}", (facts["edge"], start * 8),
                    xytext=(-6, 0), textcoords="offset points", ha="right", color=theme.alarm,
                    fontsize=13)  # fmt: skip
        ax.set_ylim(floor(data) / 1.5, start * 100)
        ax.set_xlim(LR_GRID[0], LR_GRID[-1])
        ax.set_title("gradient descent, every learning rate", loc="left")
        ax.legend(loc="upper left", fontsize=12, ncols=2)
        return draw(fig)


# ---- the floor: what the best line leaves, on this draw and over many draws ----------


@cache
def data_floors(spec: DataSpec) -> list[float]:
    """The floor of every data draw 0 … DATA_SEEDS-1 with `spec`'s other settings: computed
    once per worker, for the facts and for each theme's figure."""
    return [floor(make_data(replace(spec, seed=s))) for s in range(DATA_SEEDS)]


def floor_facts(data: Data) -> dict:
    spec = data.spec
    n = spec.n
    noise = data.y.double() - data.x.double() @ torch.tensor(spec.a_true, dtype=torch.float64)
    floors = data_floors(spec)
    here = floor(data)
    sigma2 = spec.sd**2
    return {
        "floor": _r(here),
        "n": n,
        "noise_ms": _r((noise**2).mean().item()),
        "noise_mean": _r(noise.mean().item()),
        "sigma2": _r(sigma2),
        "expected": _r(sigma2 * (n - 2) / n),  # E[least-squares MSE] for a line, n points
        "seeds_mean": _r(np.mean(floors)),
        "seeds_sd": _r(np.std(floors, ddof=1)),
        "seeds": DATA_SEEDS,
        "first_seed": 0,
        "last_seed": DATA_SEEDS - 1,
        "data_seed": spec.seed,
        # how many of the other draws have a lower floor than this one
        "quieter": sum(1 for s, f in enumerate(floors) if s != spec.seed and f < here),
        "others": sum(1 for s in range(DATA_SEEDS) if s != spec.seed),
    }


def plot_floor(data: Data, theme: Theme) -> Image.Image:
    spec = data.spec
    floors = data_floors(spec)
    facts = floor_facts(data)
    with figure(theme, PLOT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        ax.hist(floors, bins=24, color=theme.muted, alpha=0.6, label=f"{DATA_SEEDS} data draws")
        ax.axvline(facts["floor"], color=theme.fit, lw=2.5, label=f"this draw (seed {spec.seed})")
        ax.axvline(facts["expected"], color=theme.alarm, lw=2, ls="--",
                   label="expected: σ²(n-2)/n")  # fmt: skip
        ax.axvline(facts["sigma2"], color=theme.truth, lw=2, ls=":", label="noise variance σ²")
        ax.set(xlabel="least-squares MSE (the floor)", ylabel="data draws")
        ax.set_title("the floor, over many draws of the data", loc="left")
        ax.legend(loc="upper right", fontsize=12)
        return draw(fig)


# ---- the uniform-noise data of two of the write-ups ----------------------------------------

UNIFORM = DataSpec(a_true=(3.0, 2.0), noise="uniform")


def uniform_facts() -> dict:
    data = make_data(UNIFORM)
    x, y = _x64(data)
    ols = least_squares(data.x, data.y).tolist()
    noise = y - x @ torch.tensor(UNIFORM.a_true, dtype=torch.float64)
    return {
        "slope": _r(ols[0]),
        "intercept": _r(ols[1]),
        "noise_mean": _r(noise.mean().item()),
        "initial_loss": _r(mse(x @ torch.tensor(A0, dtype=torch.float64), y).item()),
    }


def plot_uniform(theme: Theme) -> Image.Image:
    data = make_data(UNIFORM)
    ols = least_squares(data.x, data.y).float()
    with figure(theme, PLOT_SIZE) as fig:
        fig.subplots_adjust(left=0.12, right=0.97, bottom=0.15, top=0.9)
        ax = fig.add_subplot()
        ax.set(xlim=X_VIEW, ylim=y_view(data), xlabel="x", ylabel="y")
        ax.scatter(data.x[:, 0].tolist(), data.y.tolist(), s=22, color=theme.data, label="data")
        ax.plot(X_VIEW, line_y(torch.tensor(UNIFORM.a_true)), color=theme.truth, ls="--",
                lw=1.5, label="true line")  # fmt: skip
        ax.plot(X_VIEW, line_y(ols), color=theme.fit, lw=2, label="least squares")
        ax.set_title("y = 3 x + 2 + uniform noise in [0, 1)", loc="left")
        ax.legend(loc="upper left", ncols=3, fontsize=12)
        return draw(fig)


# ---- comparisons over seeds --------------------------------------------------------------


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
                    "optimizer": OPTIMIZERS[e.optimizer].title}.get(
                by, str(e.batch_size or "all")
            )  # fmt: skip
            if len(s.seeds) > 1:
                ax.fill_between(x, low, high, color=color, alpha=0.18, lw=0)
            ax.plot(x, mid, color=color, lw=2, label=name)
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
        ax.set_ylabel("distance to least squares" if distance else "MSE, full data")
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
        out[f"{name}_distance"] = _r(s.band(s.distance()[:, -1])[1].item())
        out[f"{name}_loss"] = _r(s.band(s.loss[:, -1])[1].item())
        out[f"{name}_epochs"] = _r(e.steps / (e.data.n // e.batch_size), 4)
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
        out[f"lr{lr:g}_bs_exponent"] = _r(slope, 4)
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
    out["lr_ratio"] = _r(high / low)
    out["distance_ratio_min"] = _r(min(ratios), 4) if ratios else None
    out["distance_ratio_max"] = _r(max(ratios), 4) if ratios else None
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


def gd_facts(data: Data, gd: Experiment, lr1_long: Study | None) -> dict:
    """Why the intercept comes first, and what a learning rate of 1 does to single points."""
    h = train(data, replace(gd, steps=max(gd.steps, LATER)))
    ols = least_squares(data.x, data.y)
    off = (h.params.double() - ols).abs()  # (T+1, 2): slope's and intercept's distance

    def covered(t: int, i: int) -> float:
        return _r(1 - off[t, i].item() / off[0, i].item(), 4)

    x, y = _x64(data)
    a0 = torch.tensor(A0, dtype=torch.float64)
    grad = 2 / len(y) * x.T @ (x @ a0 - y)  # (slope, intercept) components at the guess
    lam_min, lam_max = torch.linalg.eigvalsh(hessian(data)).tolist()
    vectors = torch.linalg.eigh(hessian(data)).eigenvectors
    # How far the steep direction leans from the intercept axis, in degrees.
    lean = math.degrees(math.acos(abs(vectors[1, 1].item())))
    x0 = x[:, 0]
    one_point = 2 * (1 + x0**2)  # a one-point batch's curvature along its own row
    long = {}
    if lr1_long is not None:
        stats = statistics(lr1_long)
        long = {
            "lr1_long_lr": lr1_long.experiment.lr,
            "lr1_long_steps": lr1_long.experiment.steps,
            "lr1_long_batch": lr1_long.experiment.batch_size,
            "lr1_long_seeds": stats["seeds"],
            "lr1_long_diverged_share": stats["diverged_share"],
            "lr1_long_diverged_at_median": stats["diverged_at_median"],
        }
    offset_ratio = off[0, 1].item() / off[0, 0].item()
    curvature_ratio = 1 / (x[:, 0] ** 2).mean().item()
    return {
        "slope_off": _r(off[0, 0].item()),
        "intercept_off": _r(off[0, 1].item()),
        "grad_slope": _r(grad[0].item()),
        "grad_intercept": _r(grad[1].item()),
        "grad_ratio": _r(abs(grad[1].item() / grad[0].item())),
        "offset_ratio": _r(offset_ratio),
        "curvature_ratio": _r(curvature_ratio),  # 1 / mean(x²): the intercept's over the slope's
        "both_ratios": _r(offset_ratio * curvature_ratio),
        "steep_share": _r(gd.lr * lam_max),  # of the remaining error, per update, lr 0.1
        "shallow_share": _r(gd.lr * lam_min),
        "lean_degrees": _r(lean, 4),
        "early": EARLY,
        "later": LATER,
        "slope_covered_early": covered(EARLY, 0),
        "slope_covered_later": covered(LATER, 0),
        "intercept_covered_early": covered(EARLY, 1),
        "x_mean_square": _r((x0**2).mean().item()),
        "one_point_min": _r(one_point.min().item()),
        "one_point_max": _r(one_point.max().item()),
        "blowup": BLOWUP,
        **long,
    }
