"""What decides the data a run fits: the same spec always gives the same tensors.

Plain Python with no torch import, as the experiments table is."""

from dataclasses import dataclass

from sgd_lib.checks import SettingError, is_finite, is_whole

NOISES = ("normal", "uniform")
MAX_SEED = 2**64 - 1  # torch.Generator.manual_seed takes 64 bits
SEEDS = f"a whole number from 0 to {MAX_SEED} (2**64 - 1)"


def is_seed(value: object) -> bool:
    return is_whole(value) and 0 <= value <= MAX_SEED


@dataclass(frozen=True)
class DataSpec:
    """What decides the data: the same spec always gives the same tensors."""

    n: int = 100  # number of points
    # (slope, intercept) the noise hides: the 2019 write-up's; the lesson's notebook has (3, 2)
    a_true: tuple[float, float] = (3.0, 10.0)
    noise: str = "normal"  # "normal": N(0, sd²); "uniform": torch.rand, U[0, 1)
    sd: float = 0.6  # sd of the normal noise, the 2019 write-up's (the notebook's: 0.25)
    seed: int = 42  # seeds the data's own generator; the global RNG is never touched
    # x is drawn uniform in [-1, 1), then moved by x_shift: shifted off 0, the slope and the
    # intercept pull against each other and the loss's valley turns long and narrow.
    x_shift: float = 0.0
    centred: bool = False  # measure x from its mean (the same points): the valley is mild again
    scaled: bool = False  # and in units of its standard deviation (standardised): round

    def __post_init__(self):
        where = repr(self)
        if not is_finite(self.x_shift) or abs(self.x_shift) > 100:
            raise SettingError("x_shift", self.x_shift, "a number from -100 to 100", where)
        if not isinstance(self.centred, bool):
            raise SettingError("centred", self.centred, "True or False", where)
        if not isinstance(self.scaled, bool):
            raise SettingError("scaled", self.scaled, "True or False", where)
        if self.scaled and not self.centred:
            raise SettingError("scaled", self.scaled, "False unless centred (standardising "
                               "centres x first)", where)  # fmt: skip
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
        if not is_seed(self.seed):
            raise SettingError("seed", self.seed, SEEDS, where)


@dataclass(frozen=True)
class ClassSpec:
    """What decides a classification data set: x as the lesson draws it, and labels 0 or 1.

    Overlapping classes (the default): each label is drawn from the logistic model with the
    true slope and intercept, P(y = 1) = sigmoid(x @ a_true), so near the boundary either
    label turns up and the cross-entropy has a finite minimiser. Separable: each label is
    the true model's decision, y = 1 where x @ a_true > 0, so a line splits the classes
    exactly and the cross-entropy falls towards 0 along it without ever reaching a minimum."""

    n: int = 100
    a_true: tuple[float, float] = (3.0, 0.5)  # slope, intercept of the true log-odds
    seed: int = 42
    separable: bool = False

    def __post_init__(self):
        where = repr(self)
        if not is_whole(self.n) or self.n < 2:
            raise SettingError("n", self.n, "a whole number of at least 2", where)
        if len(self.a_true) != 2 or not all(is_finite(v) for v in self.a_true):
            raise SettingError("a_true", self.a_true, "two finite numbers (slope, intercept)",
                               where)  # fmt: skip
        if not is_seed(self.seed):
            raise SettingError("seed", self.seed, SEEDS, where)
        if not isinstance(self.separable, bool):
            raise SettingError("separable", self.separable, "True or False", where)
