"""Tuning: every point of a method's grid, over every seed, trained at once, and scored by the
protocol's metric (sgd_lib.lesson.protocols).

The grid runs on the studies' batched engine: a batch enters as its two sums, the seeds share
their batches across the grid, and the parameters of every (setting, seed) pair are one
tensor (P, S, 2), the learning rate and the hyper-parameters broadcast along the settings.
The optimizers' updates are the registry's own, unchanged: they work on any shape whose last
axis is (slope, intercept). A test holds each point to the lesson's loop.
"""

import math
from dataclasses import dataclass

import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.optimizers import OPTIMIZERS
from sgd_lib.lesson.protocols import CLOSE, GRIDS, LATE, Protocol
from sgd_lib.lesson.studies import BAND, Summed, batch_sums
from sgd_lib.lesson.training import A0, BLOWUP

GOOD = 2.0  # a learning rate is in a method's good range if its metric is within 2x its best


@dataclass(frozen=True, eq=False)
class Grid:
    """One method's grid under one protocol: each point's metric, 10%, median and 90% over
    the seeds (one seed for the full batch); inf where a run diverged or never got there."""

    protocol: Protocol
    optimizer: str
    settings: list[dict]  # {"lr": ..., hyper ...} per point, in the grid's order
    band: torch.Tensor  # (P, 3) float64

    @property
    def best(self) -> int:
        """The index of the best point: the smallest median; of equal ones, the first."""
        return int(self.band[:, 1].argmin())

    def curve(self) -> list[int]:
        """The points that share the best point's other hyper-parameters: its metric against
        the learning rate, in the grid's order."""
        best = self.settings[self.best]
        same = lambda s: all(s[k] == best[k] for k in s if k != "lr")  # noqa: E731
        return [i for i, s in enumerate(self.settings) if same(s)]

    def good_range(self) -> tuple[float, float]:
        """The smallest and largest learning rate on the curve whose median is within GOOD
        times the best."""
        median = self.band[:, 1]
        good = [self.settings[i]["lr"] for i in self.curve()
                if median[i] <= GOOD * median[self.best]]  # fmt: skip
        return min(good), max(good)


def _hyper_rows(optimizer: str, settings: list[dict]) -> dict:
    """Each hyper-parameter as a column of the grid, shaped (P, 1, 1) to broadcast over the
    seeds and the two parameters; the ones not in the grid at their defaults."""
    hyper = OPTIMIZERS[optimizer].defaults()
    for name in GRIDS[optimizer]:
        values = torch.tensor([s[name] for s in settings]).reshape(len(settings), 1, 1, -1)
        hyper[name] = tuple(values.unbind(-1)) if name == "betas" else values[..., 0]
    return hyper


def score(data: Data, protocol: Protocol, optimizer: str, settings: list | None = None) -> Grid:
    """Train every point of `optimizer`'s grid (or of `settings`) over the protocol's seeds;
    score each."""
    settings = protocol.settings(optimizer) if settings is None else settings
    seeds = protocol.tuning_seeds()
    P, S, T = len(settings), len(seeds), protocol.budget
    update = OPTIMIZERS[optimizer].update
    lr = torch.tensor([s["lr"] for s in settings]).reshape(P, 1, 1)
    hyper = _hyper_rows(optimizer, settings)
    x, y = data.x.double(), data.y.double()
    n = len(y)
    # The full-data MSE as a quadratic in a: aᵀQa - 2aᵀb + c, for every point at once.
    Q, b, c = x.T @ x / n, x.T @ y / n, (y @ y / n).item()

    def full_mse(a: torch.Tensor) -> torch.Tensor:
        a = a.double()
        return ((a @ Q) * a).sum(-1) - 2 * (a @ b) + c

    ols = least_squares(x, y)
    floor = full_mse(ols).item()
    if protocol.batch_size is None:
        hessians, pulls = (2 * Q).expand(T, 1, 2, 2), (2 * b).expand(T, 1, 2)
    else:
        xx, xy = batch_sums(data, protocol.batch_size, T, seeds, "random")
        hessians, pulls = (2 / protocol.batch_size) * xx, (2 / protocol.batch_size) * xy
    a = torch.tensor(A0).expand(P, S, 2).clone()
    limit = BLOWUP * full_mse(torch.tensor(A0)).item()
    alive = torch.ones(P, S, dtype=torch.bool)
    last_out = torch.zeros(P, S, dtype=torch.long)  # the last update that ended outside CLOSE
    late = torch.zeros(P, S, dtype=torch.float64)  # distance summed over the last LATE
    first_late = T - max(1, round(LATE * T)) + 1
    state = {}
    for t in range(1, T + 1):
        batch = Summed(hessians[t - 1], pulls[t - 1])
        stepped = a.clone()
        stepped.grad = batch.at(a)
        update(stepped, state, lr, batch, **hyper)
        stepped.grad = None
        full = full_mse(stepped)
        alive &= full <= limit  # NaN and inf fail the comparison too
        a = torch.where(alive.unsqueeze(-1), stepped, a)
        last_out = torch.where(~alive | (full > (1 + CLOSE) * floor), t, last_out)
        if t >= first_late:
            late += (a.double() - ols).norm(dim=-1)
    if protocol.metric == "updates":  # the first update from which it stays within CLOSE
        metric = torch.where(last_out < T, last_out + 1, torch.inf).double()
    else:  # how far from the answer, on average, over the budget's last LATE
        metric = torch.where(alive, late / (T - first_late + 1), torch.inf)
    q = torch.tensor(BAND, dtype=torch.float64)
    band = torch.quantile(metric, q, dim=1, interpolation="lower").T  # (P, 3)
    return Grid(protocol, optimizer, settings, band)


def theory(data: Data) -> dict:
    """The rate theory's best constant settings on this quadratic, from the Hessian's
    eigenvalues: gradient descent's (its error shrinks by (κ-1)/(κ+1) per update at lr
    2/(λ_max+λ_min)) and heavy ball's (Polyak, 1964: by (√κ-1)/(√κ+1) at lr
    4/(√λ_max+√λ_min)² with momentum ((√κ-1)/(√κ+1))²)."""
    x = data.x.double()
    low, high = torch.linalg.eigvalsh(2 / len(x) * x.T @ x).tolist()
    kappa = high / low
    root = kappa**0.5
    return {
        "lambda_max": high,
        "lambda_min": low,
        "kappa": kappa,
        "gd_lr": 2 / (high + low),
        "gd_rate": (kappa - 1) / (kappa + 1),
        "hb_lr": 4 / (high**0.5 + low**0.5) ** 2,
        "hb_momentum": ((root - 1) / (root + 1)) ** 2,
        "hb_rate": (root - 1) / (root + 1),
    }


def _plain(value):
    """A grid's value as JSON writes it: tuples as lists, infinities as None."""
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return round(value, 10) if isinstance(value, float) else value


def grids(data: Data, protocol: Protocol) -> dict[str, Grid]:
    return {name: score(data, protocol, name) for name in GRIDS}


def record(data: Data, protocol: Protocol, scored: dict[str, Grid] | None = None) -> dict:
    """What the tuning found, as plain values for the manifest: every method's grid, its
    metric band at each point and its best point; and, with the full batch, the theory."""
    scored = grids(data, protocol) if scored is None else scored
    out = {"methods": {
        name: {"settings": [{k: _plain(v) for k, v in s.items()} for s in g.settings],
               "band": _plain(g.band.tolist()), "best": g.best}
        for name, g in scored.items()
    }}  # fmt: skip
    if protocol.batch_size is None:
        t = theory(data)
        out["theory"] = {k: _plain(v) for k, v in t.items()}
        # Between the grid's points: gradient descent from half the theory's rate to it.
        fine = score(data, protocol, "sgd", [{"lr": t["gd_lr"] * f} for f in FINE])
        best = fine.settings[fine.best]["lr"]
        out["fine"] = {"lr": _plain(best), "updates": _plain(fine.band[fine.best, 1].item()),
                       "points": len(FINE)}  # fmt: skip
    return out


# A finer search of gradient descent's learning rate, as fractions of the theory's best.
FINE = tuple(0.5 * 2 ** (k / 64) for k in range(65))


def grids_from(record: dict, protocol: Protocol) -> dict[str, Grid]:
    """The grids a record (as `record` made it, read back from JSON) holds."""

    def setting(s: dict) -> dict:
        return {k: tuple(v) if isinstance(v, list) else v for k, v in s.items()}

    out = {}
    for name in (n for n in GRIDS if n in record["methods"]):  # JSON's order is not the grids'
        entry = record["methods"][name]
        band = torch.tensor([[math.inf if v is None else v for v in row] for row in entry["band"]],
                            dtype=torch.float64)  # fmt: skip
        out[name] = Grid(protocol, name, [setting(s) for s in entry["settings"]], band)
    return out
