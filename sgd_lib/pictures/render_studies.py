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


def rounded(v: float, digits: int = 10) -> float:
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
        "lambda_max": rounded(lam_max),
        "lambda_min": rounded(lam_min),
        "kappa": rounded(lam_max / lam_min),
        "edge": rounded(edge),  # the largest learning rate at which gradient descent converges
        "best": rounded(2 / (lam_max + lam_min)),  # the lr that shrinks both directions equally
        "near_low": rounded(near.min()) if len(near) else None,
        "near_high": rounded(near.max()) if len(near) else None,
        "near": NEAR,
        "k_first": RANGE_UPDATES[0],
        "k_mid": RANGE_UPDATES[1],
        "k_last": RANGE_UPDATES[2],
        "lr01_distance_30": rounded(at_01),
        "lr001_distance_1000": rounded(slow),  # gradient descent at lr 0.01: still converging
        "lr1_loss_100": rounded(short.loss[-1].item()),
        "lr1_diverged_at": long.diverged_at,
        "lr1_steps": long.experiment.steps,
        "lr1_edge_product": rounded(1.0 * lam_max),
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
        "floor": rounded(here),
        "n": n,
        "noise_ms": rounded((noise**2).mean().item()),
        "noise_mean": rounded(noise.mean().item()),
        "sigma2": rounded(sigma2),
        "expected": rounded(sigma2 * (n - 2) / n),  # E[least-squares MSE] for a line, n points
        "seeds_mean": rounded(np.mean(floors)),
        "seeds_sd": rounded(np.std(floors, ddof=1)),
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
        "slope": rounded(ols[0]),
        "intercept": rounded(ols[1]),
        "noise_mean": rounded(noise.mean().item()),
        "initial_loss": rounded(mse(x @ torch.tensor(A0, dtype=torch.float64), y).item()),
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


def gd_facts(data: Data, gd: Experiment, lr1_long: Study | None) -> dict:
    """Why the intercept comes first, and what a learning rate of 1 does to single points."""
    h = train(data, replace(gd, steps=max(gd.steps, LATER)))
    ols = least_squares(data.x, data.y)
    off = (h.params.double() - ols).abs()  # (T+1, 2): slope's and intercept's distance

    def covered(t: int, i: int) -> float:
        return rounded(1 - off[t, i].item() / off[0, i].item(), 4)

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
        "slope_off": rounded(off[0, 0].item()),
        "intercept_off": rounded(off[0, 1].item()),
        "grad_slope": rounded(grad[0].item()),
        "grad_intercept": rounded(grad[1].item()),
        "grad_ratio": rounded(abs(grad[1].item() / grad[0].item())),
        "offset_ratio": rounded(offset_ratio),
        "curvature_ratio": rounded(
            curvature_ratio
        ),  # 1 / mean(x²): the intercept's over the slope's
        "both_ratios": rounded(offset_ratio * curvature_ratio),
        "steep_share": rounded(gd.lr * lam_max),  # of the remaining error, per update, lr 0.1
        "shallow_share": rounded(gd.lr * lam_min),
        "lean_degrees": rounded(lean, 4),
        "early": EARLY,
        "later": LATER,
        "slope_covered_early": covered(EARLY, 0),
        "slope_covered_later": covered(LATER, 0),
        "intercept_covered_early": covered(EARLY, 1),
        "x_mean_square": rounded((x0**2).mean().item()),
        "one_point_min": rounded(one_point.min().item()),
        "one_point_max": rounded(one_point.max().item()),
        "blowup": BLOWUP,
        **long,
    }
