"""Problems: what `x @ a` means, the loss it is judged by, and the answer that loss has.

The lesson fits a line with the mean squared error; it ends on a pointer: "if this were a
classification problem, we would want to use cross-entropy loss" (fast.ai's notebook, and
transcript 002). Each problem here is one declaration: its data, its model, its loss written
from scratch, and its answer (the least-squares line; for classification the minimiser of the
cross-entropy, or None where the classes separate and no minimiser exists).

This is the lesson layer only (issue 26, first part): training, the figures, the command line
and the sandbox still run the line alone.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import torch

from sgd_lib.checks import SettingError, is_finite, is_whole
from sgd_lib.lesson.data import Data, make_data
from sgd_lib.lesson.experiments import SEEDS, DataSpec, is_seed
from sgd_lib.lesson.loss import least_squares, mse


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


def make_classes(spec: ClassSpec = ClassSpec()) -> Data:
    """x as the lesson draws it (a column of ones for the bias); y: 0. or 1., float32."""
    g = torch.Generator().manual_seed(spec.seed)
    # --8<-- [start:classes]
    x = torch.ones(spec.n, 2)
    x[:, 0].uniform_(-1.0, 1, generator=g)
    logits = x @ torch.tensor(spec.a_true)
    if spec.separable:
        y = (logits > 0).float()  # the true model's decision: a line splits the classes
    else:
        y = torch.bernoulli(torch.sigmoid(logits), generator=g)  # either label near the line
    # --8<-- [end:classes]
    return Data(x=x, y=y, spec=spec)


# --8<-- [start:bce]
def softplus(z: torch.Tensor) -> torch.Tensor:
    """log(1 + exp(z)) = log(exp(0) + exp(z)), shifted by m = max(z, 0) so that exp only
    ever sees numbers <= 0 and the log's argument is between 1 and 2: it never overflows.
    The shift is held constant for autograd (the sum's log moves with it exactly), so the
    gradient is exp(z - m) / (exp(-m) + exp(z - m)) = sigmoid(z) everywhere, z = 0 included,
    where the form max(z, 0) + log1p(exp(-|z|)), its max written with relu or clamp, gives
    autograd's 0 or 1 instead of 1/2."""
    m = z.detach().clamp(min=0)
    return m + torch.log(torch.exp(-m) + torch.exp(z - m))


def cross_entropy(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Binary cross-entropy of labels y (0 or 1) given log-odds z = x @ a (a 0-d tensor).

    -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z) is softplus(z) - y z: written so, it
    stays finite where the naive form takes the log of a 0 (in float32, log(sigmoid(z)) for z
    below about -88.7, log(1 - sigmoid(z)) above about 16.6). Its gradient in z is
    (sigmoid(z) - y) / n: large for as long as the model is wrong. In float32 a point
    classified right by a margin above about 17 adds exactly 0 (its true share, below 1e-7,
    is rounded away), as torch's own does for the other class."""
    return (softplus(z) - y * z).mean()


# --8<-- [end:bce]


def separable(x: torch.Tensor, y: torch.Tensor) -> bool:
    """Whether a line splits the classes (touching allowed): then the cross-entropy has no
    minimiser. With one feature and a bias, that is a threshold on x with every point of one
    class at or on one side of it and every point of the other at or on the other side."""
    x0, ones = x[:, 0], y == 1
    if ones.all() or not ones.any():
        return True  # one class only: any line puts it all on one side
    if x0.min() == x0.max():
        return False  # both classes at one x: every line of the right slope ties them
    a, b = x0[ones], x0[~ones]
    return bool(a.min() >= b.max() or b.min() >= a.max())


def minimiser(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
    """The `a` with the smallest cross-entropy, in float64, by Newton's method (iteratively
    reweighted least squares), or None where the classes separate and there is none. Newton
    from 0: the loss is convex, a step is halved until the loss does not rise, and it stops
    when a step no longer moves `a`: every digit float64 has."""
    if separable(x, y):
        return None
    if x[:, 0].min() == x[:, 0].max():
        raise ValueError("minimiser: every x is the same, so no slope is better than another")
    x, y = x.double(), y.double()
    a = torch.zeros(2, dtype=torch.float64)
    loss = cross_entropy(x @ a, y)
    for _ in range(100):
        p = torch.sigmoid(x @ a)
        grad = x.T @ (p - y) / len(y)
        hess = (x.T * (p * (1 - p))) @ x / len(y)
        step = torch.linalg.solve(hess, grad)
        if step.norm() <= 1e-15 * a.norm():
            return a
        t = 1.0
        while (new := cross_entropy(x @ (a - t * step), y)) > loss and t > 1e-10:
            t /= 2
        a, loss = a - t * step, new
    raise RuntimeError(f"minimiser: Newton did not settle in 100 updates (at {a.tolist()})")


@dataclass(frozen=True)
class Problem:
    """One problem: its data, what `x @ a` predicts, its loss from scratch, and its answer."""

    name: str
    title: str
    spec: DataSpec | ClassSpec  # the data's default settings
    make: Callable[[DataSpec | ClassSpec], Data]
    model: str  # "line": x @ a is y itself; "probability": x @ a is the log-odds of y = 1
    loss: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]  # (x @ a, y) -> 0-d tensor
    answer: Callable[[torch.Tensor, torch.Tensor], torch.Tensor | None]  # float64, or None
    answer_is: str  # what the answer is, in words

    def data(self) -> Data:
        return self.make(self.spec)


PROBLEMS = {
    "line": Problem("line", "A line, by the mean squared error", DataSpec(), make_data,
                    "line", mse, least_squares, "the least-squares line"),
    "logistic": Problem("logistic", "Two overlapping classes, by the cross-entropy",
                        ClassSpec(), make_classes, "probability", cross_entropy, minimiser,
                        "the cross-entropy's minimiser"),
    "logistic-separable": Problem(
        "logistic-separable", "Two separable classes, by the cross-entropy",
        ClassSpec(separable=True), make_classes, "probability", cross_entropy, minimiser,
        "none: the classes separate, and the loss falls towards 0 without a minimum"),
}  # fmt: skip


def hessian_bounds(x: torch.Tensor) -> tuple[float, float]:
    """The cross-entropy's Hessian (1/n) Xᵀ diag(p(1 - p)) X changes with `a`, but p(1 - p)
    is at most 1/4 (reached where p = 1/2, as at a = 0), so its largest eigenvalue is never
    above L = (1/4) λ_max((1/n) XᵀX). Returns L and 2 / L: full-batch gradient descent at any
    learning rate below it lowers the loss from anywhere on the plane. A mini-batch's
    Hessian is its own points' (one point's can be twice as steep here): not bounded so."""
    x = x.double()
    top = torch.linalg.eigvalsh(x.T @ x / len(x))[-1].item() / 4
    return top, 2 / top if top > 0 else math.inf


def max_margin(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor | None:
    """The unit direction u of `a` whose smallest margin, min over points of ±(x @ u) (+ for
    class 1), is largest; None if the classes do not separate. This is the direction gradient
    descent on the cross-entropy turns towards on separable data (Soudry et al., 2018, "The
    implicit bias of gradient descent on separable data"), the bias counted as a feature.

    Computed without any optimiser: it is the hard-margin separator min ‖a‖ subject to
    ±(x_i @ a) >= 1, and in two dimensions its answer is pinned by one point (a along that
    point's ±x_i) or by two (both constraints tight): every candidate is tried, and the
    feasible one of least norm is it."""
    x, s = x.double(), 2 * y.double() - 1  # labels as -1 and +1
    if not separable(x, y) or (x[:, 0].min() == x[:, 0].max()):
        return None
    z = s[:, None] * x  # each point's constraint z_i @ a >= 1
    candidates = [z / (z * z).sum(1, keepdim=True)]  # one point tight
    i, j = torch.triu_indices(len(z), len(z), offset=1)
    det = z[i, 0] * z[j, 1] - z[i, 1] * z[j, 0]
    ok = det.abs() > 1e-12
    i, j, det = i[ok], j[ok], det[ok]
    # both tight: [z_i; z_j] a = [1, 1], by Cramer's rule
    candidates.append(torch.stack([(z[j, 1] - z[i, 1]) / det, (z[i, 0] - z[j, 0]) / det], 1))
    a = torch.cat(candidates)
    feasible = ((a @ z.T) >= 1 - 1e-12).all(1)
    if not feasible.any():  # touching classes: the margin is 0, no direction has more
        return None
    best = a[feasible][(a[feasible] ** 2).sum(1).argmin()]
    return best / best.norm()
