"""The classification page's studies: the cross-entropy against the MSE on probabilities
(two maps, one start; the updates from every start, over seeds), the separable classes (the
loss, the norm and the direction of every optimizer's run), and the facts of the classes'
Hessian and minimiser."""

import math

import numpy as np
import torch
from matplotlib import colormaps
from PIL import Image

from sgd_lib.lesson import loss_study, separable_study
from sgd_lib.lesson.data import Data
from sgd_lib.lesson.logistic import cross_entropy, hessian_bounds, max_margin, minimiser
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.training import History
from sgd_lib.pictures.canvas import figure
from sgd_lib.pictures.render_classes import contours, view
from sgd_lib.pictures.render_plots import draw
from sgd_lib.pictures.render_studies import rounded
from sgd_lib.pictures.theme import Theme

MAPS_SIZE = (640, 700)
STARTS_SIZE = (640, 560)
SEPARABLE_SIZE = (640, 860)
MAP_STEPS = 300  # the maps' paths: this many updates from the confidently wrong start


def _wrong_path(data: Data, loss, lr: float) -> np.ndarray:
    """(MAP_STEPS + 1, 2): gradient descent on `loss` from loss_study.WRONG at `lr`."""
    x, y, start = data.x.double()[None], data.y.double()[None], torch.tensor([loss_study.WRONG])
    params, _ = loss_study.descend(x, y, start, (lr,), loss, MAP_STEPS)
    return params[0, 0, 0].numpy()


def plot_losses_map(data: Data, outcomes: dict, theme: Theme) -> Image.Image:
    """The cross-entropy and the MSE on probabilities over the same plane, each with
    gradient descent's path from the same confidently wrong start, at each loss's tuned lr."""
    answer = minimiser(data.x, data.y).tolist()
    paths = {name: _wrong_path(data, loss_study.LOSSES[name], o.lr)
             for name, o in outcomes.items()}  # fmt: skip
    with figure(theme, MAPS_SIZE) as fig:
        grid = fig.add_gridspec(2, 1, left=0.13, right=0.96, bottom=0.08, top=0.94, hspace=0.38)
        axes = [fig.add_subplot(grid[i]) for i in range(2)]
        box = axes[0].get_position()
        w, h = fig.get_size_inches()
        points = np.vstack([*paths.values(), [answer]])
        limits = view(points, box.height * h / (box.width * w), 0.05)
        for ax, (name, o) in zip(axes, outcomes.items(), strict=True):
            contours(ax, loss_study.LOSSES[name], data, theme, limits, answer, levels=16,
                     start=None)  # fmt: skip
            ax.plot(*loss_study.WRONG, marker="o", ms=9, color=theme.alarm, ls="none", zorder=6)
            path = paths[name]
            ax.plot(path[:, 0], path[:, 1], color=theme.fit, lw=2.5, zorder=4)
            ax.plot(path[-1:, 0], path[-1:, 1], marker="o", ms=7, color=theme.fit, zorder=6)
            ax.set_title(f"{name}: lr {o.lr:g}, {MAP_STEPS} updates", loc="left", fontsize=14)
        return draw(fig)


def _medians(o) -> np.ndarray:
    """(slopes, intercepts): each start's median updates over the measured seeds."""
    med = torch.quantile(o.updates, 0.5, dim=0, interpolation="lower").numpy()
    return med.reshape(len(loss_study.SLOPES), len(loss_study.INTERCEPTS))


def plot_starts(outcomes: dict, theme: Theme) -> Image.Image:
    """Every start of the grid, for each loss: the median updates to the target over the
    measured seeds, written in its cell; "—" where more than half never got there."""
    with figure(theme, STARTS_SIZE) as fig:
        grid = fig.add_gridspec(2, 1, left=0.15, right=0.97, bottom=0.1, top=0.9, hspace=0.5)
        for i, (name, o) in enumerate(outcomes.items()):
            ax = fig.add_subplot(grid[i])
            med = _medians(o).T  # rows: intercepts
            shown = np.log10(np.where(np.isfinite(med), med, loss_study.BUDGET * 2) + 1)
            cmap, top = colormaps[theme.sweep[0]], math.log10(loss_study.BUDGET * 2)
            ax.imshow(shown, cmap=cmap, vmin=0, vmax=top, origin="lower", aspect="auto")
            for (r, c), v in np.ndenumerate(med):
                red, green, blue, _ = cmap(shown[r, c] / top)
                light = 0.2126 * red + 0.7152 * green + 0.0722 * blue > 0.4  # the cell's luminance
                ax.text(c, r, "—" if not np.isfinite(v) else f"{v:.0f}", ha="center", va="center",
                        fontsize=12, color="black" if light else "white")  # fmt: skip
            ax.set_xticks(range(len(loss_study.SLOPES)), [f"{s:g}" for s in loss_study.SLOPES])
            ax.set_yticks(range(len(loss_study.INTERCEPTS)),
                          [f"{b:g}" for b in loss_study.INTERCEPTS])  # fmt: skip
            ax.set(xlabel="start's slope", ylabel="intercept")
            ax.grid(False)
            ax.set_title(f"{name}, lr {o.lr:g}: median updates", loc="left", fontsize=14)
        return draw(fig)


def losses_facts(data: Data, outcomes: dict) -> dict:
    """The study's numbers, by loss ("ce", "mse"): its tuned lr, and from the confidently
    wrong start and over every start, the median updates and the share of runs that got
    there within the budget."""
    out = {"budget": loss_study.BUDGET, "slack_points": round(loss_study.SLACK * 100),
           "seeds": len(loss_study.MEASURE_SEEDS), "tune_seeds": len(loss_study.TUNE_SEEDS),
           "starts": len(loss_study.starts()), "intercepts": len(loss_study.INTERCEPTS),
           "wrong_slope": loss_study.WRONG[0],
           "wrong_intercept": loss_study.WRONG[1], "map_steps": MAP_STEPS,
           "lr_low": min(loss_study.TUNE_LRS), "lr_high": max(loss_study.TUNE_LRS),
           "lrs": len(loss_study.TUNE_LRS)}  # fmt: skip
    out |= {f"slope_{i}": s for i, s in enumerate(loss_study.SLOPES)}  # the grid's slopes
    k = loss_study.starts().tolist().index(list(loss_study.WRONG))
    x, y = data.x.double(), data.y.double()
    p_wrong = torch.sigmoid(x @ torch.tensor(loss_study.WRONG).double())
    out["wrong_p_max"] = rounded(p_wrong.max().item(), 4)
    for name, o in outcomes.items():
        key = "ce" if name == "cross-entropy" else "mse"
        u = o.updates
        wrong = u[:, k]
        reached = torch.isfinite(u)
        out |= {
            f"{key}_lr": o.lr,
            f"{key}_wrong_median": _finite(torch.quantile(wrong, 0.5, interpolation="lower")),
            f"{key}_wrong_reached": rounded(torch.isfinite(wrong).double().mean().item(), 4),
            f"{key}_median": _finite(torch.quantile(u.flatten(), 0.5, interpolation="lower")),
            f"{key}_p90": _finite(torch.quantile(u.flatten(), 0.9, interpolation="lower")),
            f"{key}_reached": rounded(reached.double().mean().item(), 4),
            f"{key}_reached_pct": rounded(100 * reached.double().mean().item(), 1),
            f"{key}_wrong_reached_pct": rounded(
                100 * torch.isfinite(wrong).double().mean().item(), 1
            ),
        }
        # each starting slope's median over its intercepts and the data sets: NAME_slope_m8
        by_slope = loss_study.starts()[:, 0]
        for s in loss_study.SLOPES:
            tag = f"m{-s:g}" if s < 0 else f"{s:g}"
            runs = u[:, by_slope == s].flatten()
            out[f"{key}_slope_{tag}"] = _finite(torch.quantile(runs, 0.5, interpolation="lower"))
            out[f"{key}_slope_{tag}_pct"] = rounded(100 * torch.isfinite(runs).double().mean(), 1)
        slopes = [out[f"{key}_slope_{f'm{-s:g}' if s < 0 else f'{s:g}'}"]
                  for s in loss_study.SLOPES]  # fmt: skip
        out[f"{key}_slope_max"] = None if None in slopes else max(slopes)
        path = _wrong_path(data, loss_study.LOSSES[name], o.lr)
        out[f"{key}_map_distance"] = rounded(
            float(np.linalg.norm(path[-1] - minimiser(data.x, data.y).numpy())), 4
        )
        # the gradient's size at the wrong start: the plateau, in numbers
        a = torch.tensor(loss_study.WRONG, dtype=torch.float64, requires_grad=True)
        loss_study.LOSSES[name](x @ a, y).backward()
        out[f"{key}_wrong_gradient"] = float(f"{a.grad.norm().item():.3g}")
    return out


def _finite(v: torch.Tensor) -> float | None:
    return None if not torch.isfinite(v) else float(v)


def plot_separable(histories: list[History], data: Data, theme: Theme) -> Image.Image:
    """Every optimizer on the separable classes: the loss against updates (log-log), the norm
    of `a`, and the angle between `a` and the maximum-margin direction."""
    u = max_margin(data.x, data.y)
    names = [h.experiment.optimizer for h in histories]
    colors = theme.method_colors(names)
    with figure(theme, SEPARABLE_SIZE) as fig:
        grid = fig.add_gridspec(3, 1, left=0.14, right=0.97, bottom=0.2, top=0.97, hspace=0.4)
        loss_ax, norm_ax, angle_ax = (fig.add_subplot(grid[i]) for i in range(3))
        for h, name, color in zip(histories, names, colors, strict=True):
            t = np.arange(h.steps_run + 1)
            style = {"color": color, "lw": 2, "ls": (0, (4, 2)) if name == "lbfgs" else "-"}
            label = f"{OPTIMIZERS[name].title}, lr {h.experiment.lr:g}"
            loss = h.loss.double().numpy()
            keep = loss > 0
            loss_ax.plot(t[keep][1:], loss[keep][1:], label=label, **style)
            norm_ax.plot(t[1:], h.params.double().norm(dim=1).numpy()[1:], **style)
            angle_ax.plot(t[1:], separable_study.angles(h, u).numpy()[1:], **style)
            if h.diverged:
                angle_ax.plot([h.steps_run], [separable_study.angles(h, u)[-1].item()],
                              marker="X", ms=10, color=color)  # fmt: skip
        for ax, ylabel in ((loss_ax, "cross-entropy"), (norm_ax, "‖a‖"),
                           (angle_ax, "angle to max margin (°)")):  # fmt: skip
            ax.set_xscale("log")
            ax.set_ylabel(ylabel)
        loss_ax.set_yscale("log")
        angle_ax.set_yscale("log")
        # ‖a‖ on a linear scale against log t: growth like log t is a straight line. Scaled
        # to the first-order methods; the runs that shoot past them leave by the top.
        tops = [h.params[-1].double().norm().item() for h in histories
                if h.experiment.optimizer in ("sgd", "momentum", "nesterov")]  # fmt: skip
        if tops:
            norm_ax.set_ylim(0, 1.3 * max(tops))
        # 1/t, for the eye: the slope the loss of gradient descent tends to
        T = max(h.steps_run for h in histories)
        ref = np.array([T / 100, T])
        start = histories[0].loss.double()[int(ref[0])].item()
        loss_ax.plot(ref, start * ref[0] / ref, color=theme.muted, lw=1.2, ls=":")
        loss_ax.text(ref[1], start * ref[0] / ref[1] / 4, "slope \N{MINUS SIGN}1 (1/t)",
                     color=theme.muted, fontsize=12, ha="right", va="top")  # fmt: skip
        angle_ax.set_xlabel("update (log scale)")
        handles, labels = loss_ax.get_legend_handles_labels()
        fig.legend(handles, labels, loc="lower left", ncols=2, fontsize=12, columnspacing=1.0,
                   bbox_to_anchor=(0.02, 0.0))  # fmt: skip
        return draw(fig)


def separable_facts(histories: list[History], data: Data) -> dict:
    """Each optimizer's run on the separable classes, flat: NAME_angle_T, NAME_norm_T,
    NAME_loss_T at each checkpoint it reached, NAME_slope_T (the loss's slope per decade to
    T), NAME_final_angle, NAME_moving, NAME_steps_run, NAME_diverged_at, NAME_lr."""
    u = max_margin(data.x, data.y)
    out = {"margin": rounded(separable_study.margin(data), 6),
           "u_slope": rounded(u[0].item(), 4), "u_intercept": rounded(u[1].item(), 4),
           "boundary": rounded(-u[1].item() / u[0].item(), 4),
           "steps": max(h.experiment.steps for h in histories),
           **{f"checkpoint_{i}": t for i, t in enumerate(separable_study.CHECKPOINTS)}}  # fmt: skip
    for h in histories:
        name = h.experiment.optimizer
        f = separable_study.run_facts(h, data)
        out |= {f"{name}_angle_{t}": v for t, v in f["angle"].items()}
        out |= {f"{name}_angle_min": f["angle_min"], f"{name}_angle_min_at": f["angle_min_at"],
                f"{name}_angle_last_max": f["angle_last_max"],
                f"{name}_angle_last_min": f["angle_last_min"]}  # fmt: skip
        out |= {f"{name}_norm_{t}": v for t, v in f["norm"].items()}
        out |= {f"{name}_loss_{t}": v for t, v in f["loss"].items()}
        out |= {f"{name}_slope_{t}": v for t, v in f["loss_slope"].items()}
        out |= {f"{name}_final_angle": f["final_angle"], f"{name}_final_norm": f["final_norm"],
                f"{name}_moving": int(f["moving"]), f"{name}_steps_run": f["steps_run"],
                f"{name}_diverged_at": f["diverged_at"], f"{name}_lr": h.experiment.lr,
                f"{name}_norm_per_log": f["norm_per_log"]}  # fmt: skip
    return out


def _sigmoid_zero() -> float:
    """The largest z, to a tenth, at which float32's sigmoid is exactly 0."""
    z = torch.arange(-800, -1200, -1, dtype=torch.float32) / 10
    return round(z[torch.sigmoid(z) == 0].max().item(), 1)


def classes_facts(data: Data, separable_data: Data) -> dict:
    """The overlapping classes: their minimiser, its loss and accuracy, the Hessian's bounds;
    and the separable classes' count."""
    x, y = data.x.double(), data.y.double()
    a = minimiser(data.x, data.y)
    L, safe = hessian_bounds(data.x)
    p = torch.sigmoid(x @ a)
    H = (x.T * (p * (1 - p))) @ x / len(y)
    weight = (p * (1 - p)).mean().item()  # the Hessian's weights, on average, at the answer
    top = torch.linalg.eigvalsh(H)[-1].item()
    return {
        "n": len(y),
        "ones": int(y.sum().item()),
        "sep_ones": int(separable_data.y.sum().item()),
        "slope": rounded(a[0].item(), 4),
        "intercept": rounded(a[1].item(), 4),
        "threshold": rounded(-a[1].item() / a[0].item(), 4),
        "loss": rounded(cross_entropy(x @ a, y).item(), 4),
        "accuracy_pct": rounded(100 * ((x @ a > 0).double() == y).double().mean().item(), 1),
        "L": rounded(L, 4),
        "safe_lr": rounded(safe, 3),
        "near_lr": rounded(2 / top, 3),  # 2 / λ_max at the minimum: stable once near it
        "mean_weight": rounded(weight, 3),
        "close_pct": 1,  # "at the minimum": within this many percent of its loss
        # float32's sigmoid rounds to exactly 0 below this z (so log(sigmoid(z)) is -inf)
        "sigmoid_zero": _sigmoid_zero(),
        "a_true_slope": data.spec.a_true[0],
        "a_true_intercept": data.spec.a_true[1],
    }
