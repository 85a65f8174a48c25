"""The optimizers, from scratch, in the lesson's style, and the learning-rate schedules.

Each optimizer is an update of a few lines under `torch.no_grad()` (the caller holds it), its
state plain tensors in a dict, named like the maths (`v`, `s`, `beta1`, `beta2`). Every update
reads the gradient of the batch's MSE from `a.grad`, as the lesson's `a.sub_(lr * a.grad)`
does, and works unchanged on one run's `a` (2,) and on many seeds' `a` (S, 2) at once.
Hyper-parameters carry torch.optim's names and meanings, so that torch.optim is the oracle
with the same arguments (tests/test_optimizers.py).

Adding an optimizer is one entry in OPTIMIZERS. This module imports no torch: the
experiments table reads the registry's names and limits without it.
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

from sgd_lib.checks import is_finite, is_whole
from sgd_lib.lesson.second_order import cg, lbfgs, newton


# --8<-- [start:sgd]
def sgd(a, state, lr, batch):
    a.sub_(lr * a.grad)


# --8<-- [end:sgd]


# --8<-- [start:momentum]
def momentum(a, state, lr, batch, momentum):
    v = state.setdefault("v", a.new_zeros(a.shape))  # the velocity: a running sum of gradients
    v.mul_(momentum).add_(a.grad)
    a.sub_(lr * v)


# --8<-- [end:momentum]


# --8<-- [start:nesterov]
def nesterov(a, state, lr, batch, momentum):
    v = state.setdefault("v", a.new_zeros(a.shape))
    v.mul_(momentum).add_(a.grad)
    a.sub_(lr * (a.grad + momentum * v))  # the step the velocity is about to take, and then some


# --8<-- [end:nesterov]


# --8<-- [start:rmsprop]
def rmsprop(a, state, lr, batch, alpha, eps):
    s = state.setdefault("s", a.new_zeros(a.shape))  # a running mean of squared gradients
    s.mul_(alpha).add_((1 - alpha) * a.grad**2)
    a.sub_(lr * a.grad / (s.sqrt() + eps))  # each parameter's step scaled by its own gradients


# --8<-- [end:rmsprop]


# --8<-- [start:adam]
def adam(a, state, lr, batch, betas, eps):
    beta1, beta2 = betas
    v = state.setdefault("v", a.new_zeros(a.shape))  # running mean of gradients
    s = state.setdefault("s", a.new_zeros(a.shape))  # running mean of squared gradients
    t = state["t"] = state.get("t", 0) + 1
    v.mul_(beta1).add_((1 - beta1) * a.grad)
    s.mul_(beta2).add_((1 - beta2) * a.grad**2)
    v_hat = v / (1 - beta1**t)  # both start at 0: undo that bias in the first updates
    s_hat = s / (1 - beta2**t)
    a.sub_(lr * v_hat / (s_hat.sqrt() + eps))


# --8<-- [end:adam]


@dataclass(frozen=True)
class Hyper:
    """A hyper-parameter: its torch.optim name, default, and the range it may take (which the
    command line, the experiments table and the sandbox all check)."""

    name: str
    default: object
    low: float  # the range each of its numbers must lie in
    high: float
    high_open: bool = False  # high itself is not allowed
    low_open: bool = False  # nor low
    whole: bool = False  # a whole number
    flag_values: int = 1  # how many numbers it takes (and its command-line option)

    def _ok(self, v) -> bool:
        if not (is_whole(v) if self.whole else is_finite(v)):
            return False
        above = v > self.low if self.low_open else v >= self.low
        below = v < self.high if self.high_open else v <= self.high
        return above and below

    def check(self, value) -> bool:
        if self.flag_values == 1:
            return self._ok(value)
        return (isinstance(value, tuple) and len(value) == self.flag_values
                and all(self._ok(v) for v in value))  # fmt: skip

    @property
    def allowed(self) -> str:
        """What it may be, in words for an error message."""
        kind = "whole number" if self.whole else "number"
        if self.high == math.inf:
            one = f"a finite {kind} greater than {self.low:g}" if self.low_open else ""
        else:
            one = f"a {kind} from {self.low:g} " + (
                f"up to (not including) {self.high:g}" if self.high_open else f"to {self.high:g}"
            )
        assert one, "a range with no upper end is open at its lower one"
        if self.flag_values == 1:
            return one
        count = {2: "two", 3: "three"}.get(self.flag_values, self.flag_values)
        return f"{count} {kind}s, each {one.removeprefix(f'a {kind} ')}"


MOMENTUM = Hyper("momentum", 0.9, 0, 1, high_open=True)
BETAS = Hyper("betas", (0.9, 0.999), 0, 1, high_open=True, flag_values=2)
ALPHA = Hyper("alpha", 0.99, 0, 1, high_open=True)
EPS = Hyper("eps", 1e-8, 0, math.inf, low_open=True)
HISTORY = Hyper("history", 100, 1, 1000, whole=True)


@dataclass(frozen=True)
class Optimizer:
    """One optimizer: its update, its hyper-parameters, and what it can run on."""

    name: str
    update: Callable  # update(a, state, lr, batch, **hyper), under torch.no_grad()
    title: str  # for legends and headings
    hyper: tuple[Hyper, ...] = ()
    oracle: str = ""  # the torch.optim call it is held to, in words
    full_batch_only: bool = False  # it needs the same function at every update
    min_batch: int = 1  # the smallest batch it can take
    gradients_per_update: int = 1  # gradient evaluations an update costs, the backward() included
    hessians_per_update: int = 0  # Hessian evaluations an update costs

    def defaults(self) -> dict:
        return {h.name: h.default for h in self.hyper}


OPTIMIZERS = {
    o.name: o
    for o in (
        Optimizer("sgd", sgd, "SGD", oracle="torch.optim.SGD"),
        Optimizer("momentum", momentum, "momentum", (MOMENTUM,),
                  "torch.optim.SGD(momentum=m, dampening=0)"),
        Optimizer("nesterov", nesterov, "Nesterov", (MOMENTUM,),
                  "torch.optim.SGD(momentum=m, nesterov=True)"),
        Optimizer("rmsprop", rmsprop, "RMSProp", (ALPHA, EPS), "torch.optim.RMSprop"),
        Optimizer("adam", adam, "Adam", (BETAS, EPS), "torch.optim.Adam"),
        # A one-point batch's Hessian has rank 1: no Newton step exists.
        Optimizer("newton", newton, "Newton", min_batch=2, hessians_per_update=1),
        Optimizer("cg", cg, "conjugate gradient", full_batch_only=True, gradients_per_update=2),
        Optimizer("lbfgs", lbfgs, "L-BFGS", (HISTORY,),
                  "torch.optim.LBFGS(history_size=m, max_iter=1)", full_batch_only=True),
    )
}  # fmt: skip
HYPERS = {h.name: h for o in OPTIMIZERS.values() for h in o.hyper}


# Learning-rate schedules: the rate of update t (1, 2, ... steps) of a run of `steps`.
# --8<-- [start:schedules]
def constant(lr, t, steps):
    return lr


def step(lr, t, steps):  # torch.optim.lr_scheduler.StepLR(step_size=⌈steps/3⌉, gamma=0.1)
    return lr * 0.1 ** ((t - 1) // -(-steps // 3))


def inverse(lr, t, steps):  # 1/t decay: LambdaLR(lambda k: 1 / (1 + k / tau))
    tau = max(1, steps // 100)
    return lr / (1 + (t - 1) / tau)


def cosine(lr, t, steps):  # torch.optim.lr_scheduler.CosineAnnealingLR(T_max=steps)
    return lr * (1 + math.cos(math.pi * (t - 1) / steps)) / 2


# --8<-- [end:schedules]
SCHEDULES = {f.__name__: f for f in (constant, step, inverse, cosine)}


def check_hyper(optimizer: str, given: dict) -> tuple[str, object, str] | None:
    """What is wrong with the hyper-parameters `given` (name -> value, None for unset) for
    `optimizer`: (name, value, what is allowed); None if nothing is."""
    takes = {h.name for h in OPTIMIZERS[optimizer].hyper}
    for name, value in given.items():
        if value is None:
            continue
        if name not in takes:
            its = ", ".join(sorted(takes)) or "none"
            return name, value, f"left out: {optimizer} takes no {name} (it takes: {its})"
        if not HYPERS[name].check(value):
            return name, value, HYPERS[name].allowed
    return None
