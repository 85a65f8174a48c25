"""The lesson's data: points scattered around a line, with a column of ones for the bias."""

from dataclasses import dataclass

import torch

from sgd_lib.checks import SettingError, is_finite, is_whole

NOISES = ("normal", "uniform")


@dataclass(frozen=True)
class DataSpec:
    """What decides the data: the same spec always gives the same tensors."""

    n: int = 100  # number of points
    a_true: tuple[float, float] = (3.0, 10.0)  # (slope, intercept) the noise hides
    noise: str = "normal"  # "normal": N(0, sd²); "uniform": torch.rand, U[0, 1)
    sd: float = 0.6  # standard deviation of the normal noise (unused for uniform)
    seed: int = 42  # seeds the data's own generator; the global RNG is never touched

    def __post_init__(self):
        where = repr(self)
        if not is_whole(self.n) or self.n < 2:
            # Two parameters need at least two points for a unique least-squares line.
            raise SettingError("n", self.n, "a whole number of at least 2", where)
        if len(self.a_true) != 2 or not all(is_finite(v) for v in self.a_true):
            raise SettingError(
                "a_true", self.a_true, "two finite numbers (slope, intercept)", where
            )
        if self.noise not in NOISES:
            raise SettingError("noise", self.noise, f"one of {', '.join(NOISES)}", where)
        if not is_finite(self.sd) or self.sd < 0:
            raise SettingError("sd", self.sd, "a finite number of at least 0", where)
        if not is_whole(self.seed) or self.seed < 0:
            raise SettingError("seed", self.seed, "a whole number of at least 0", where)


@dataclass(frozen=True, eq=False)
class Data:
    """x: (n, 2), column 0 uniform in [-1, 1) and column 1 all ones; y: (n,)."""

    x: torch.Tensor
    y: torch.Tensor
    spec: DataSpec


def make_data(spec: DataSpec = DataSpec()) -> Data:
    """Build the lesson's points: y = x @ a_true + noise."""
    g = torch.Generator().manual_seed(spec.seed)
    n = spec.n
    # --8<-- [start:data]
    x = torch.ones(n, 2)
    x[:, 0].uniform_(-1.0, 1, generator=g)
    a_true = torch.tensor(spec.a_true)
    if spec.noise == "normal":
        noise = torch.randn(n, generator=g) * spec.sd
    else:
        noise = torch.rand(n, generator=g)
    y = x @ a_true + noise
    # --8<-- [end:data]
    return Data(x=x, y=y, spec=spec)
