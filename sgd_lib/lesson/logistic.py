"""Logistic regression from scratch: two classes on the lesson's x, the cross-entropy in a
form that never overflows, its minimiser by Newton's method (or the statement that none
exists), its Hessian and the learning rates it allows, and the maximum-margin direction
gradient descent turns towards when the classes separate."""

import math

import torch

from sgd_lib.lesson.data import Data
from sgd_lib.lesson.specs import ClassSpec


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
    """Binary cross-entropy of labels y (0 or 1) given log-odds z = x @ a: the mean over the
    last axis (a 0-d tensor for one run; (S,) for S seeds' rows at once).

    -[y log p + (1 - y) log(1 - p)] with p = sigmoid(z) is softplus(z) - y z: written so, it
    stays finite where the naive form takes the log of a 0 (in float32, log(sigmoid(z)) for z
    below about -88.7, log(1 - sigmoid(z)) above about 16.6). Its gradient in z is
    (sigmoid(z) - y) / n: large for as long as the model is wrong. In float32 a point
    classified right by a margin above about 17 adds exactly 0 (its true share, below 1e-7,
    is rounded away), as torch's own does for the other class."""
    return (softplus(z) - y * z).mean(-1)


# --8<-- [end:bce]


def cross_entropy_hessian(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """The cross-entropy's Hessian at `a` over the rows x: (1/B) xᵀ diag(p(1 - p)) x with
    p = sigmoid(x @ a), (2, 2); or (S, 2, 2) for S seeds' rows (S, B, 2) and `a` (S, 2). It
    changes with `a`, and is largest where the model is least sure (p = 1/2)."""
    p = torch.sigmoid((x @ a.unsqueeze(-1)).squeeze(-1))
    return (x.transpose(-1, -2) * (p * (1 - p)).unsqueeze(-2)) @ x / x.shape[-2]


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
    when a step no longer moves `a`, or one update after a step below 1e-10 of `a` (Newton
    squares the error: that update takes it to float64's rounding, where the next steps are
    that rounding's noise and need not vanish)."""
    if separable(x, y):
        return None
    if x[:, 0].min() == x[:, 0].max():
        raise ValueError("minimiser: every x is the same, so no slope is better than another")
    x, y = x.double(), y.double()
    a = torch.zeros(2, dtype=torch.float64)
    loss = cross_entropy(x @ a, y)
    last = False
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
        if last:
            return a
        last = step.norm() <= 1e-10 * a.norm()
    raise RuntimeError(f"minimiser: Newton did not settle in 100 updates (at {a.tolist()})")


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
