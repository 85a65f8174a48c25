"""Problems: what `x @ a` means, the loss it is judged by, and the answer that loss has.

The lesson fits a line with the mean squared error; it ends on a pointer: a classification
problem would use the cross-entropy loss, which fast.ai's notebook also calls negative log
likelihood. Each problem is one declaration here: its data, its model, its loss written
from scratch, the loss's Hessian (for Newton's method), and its answer (the least-squares
line; for classification the cross-entropy's minimiser, or None where the classes separate
and no minimiser exists). Training, the studies, the command line and the figures read a
problem through this registry and nothing else.

Plain Python with no torch import, as the experiments table is: the functions are named as
"module:function" and imported when first used.
"""

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from sgd_lib.lesson.specs import ClassSpec, DataSpec

_LOSS, _LOGISTIC = "sgd_lib.lesson.loss", "sgd_lib.lesson.logistic"


@dataclass(frozen=True)
class Problem:
    """One problem. Its functions, each "module:function":

    data(spec) -> Data; loss(z, y) -> the mean of each point's loss, z = x @ a: a 0-d tensor
    for one run's (n,) (the line's `mse` is the lesson's, which means over everything; the
    classes' losses also take S seeds' rows (S, n) and return (S,), which the batched trainer
    uses for them, where the line's has its sums instead); hessian(x, y, a) ->
    the loss's Hessian at `a` over the rows x, (2, 2) or (S, 2, 2); answer(x, y) -> the `a`
    with the smallest loss, float64 (2,), or None where there is none."""

    name: str
    title: str
    spec: DataSpec | ClassSpec  # the data's default settings; a run's data is of this type
    model: str  # "line": x @ a is y itself; "probability": x @ a is the log-odds of y = 1
    loss_name: str  # as the axes and the pages name it
    loss_short: str  # as the animations' readouts and the player name it
    data: str
    loss: str
    hessian: str
    answer: str
    answer_is: str  # what the answer is, in words

    def fn(self, role: str) -> Callable:
        """The function of `role` ("data", "loss", "hessian", "answer"), imported."""
        return _resolve(getattr(self, role))

    def fits(self, spec: object) -> bool:
        """Whether `spec` is data this problem can be run on."""
        if type(spec) is not type(self.spec):
            return False
        return not isinstance(spec, ClassSpec) or spec.separable == self.spec.separable


_FUNCTIONS: dict[str, Callable] = {}


def _resolve(name: str) -> Callable:
    if name not in _FUNCTIONS:
        module, function = name.split(":")
        _FUNCTIONS[name] = getattr(importlib.import_module(module), function)
    return _FUNCTIONS[name]


NO_ANSWER = "none: the classes separate, and the loss falls towards 0 without a minimum"


PROBLEMS = {
    p.name: p
    for p in (
        Problem("line", "A line, by the mean squared error", DataSpec(), "line", "MSE", "MSE",
                "sgd_lib.lesson.data:make_data", f"{_LOSS}:mse", f"{_LOSS}:mse_hessian",
                f"{_LOSS}:least_squares", "the least-squares line"),
        Problem("logistic", "Two overlapping classes, by the cross-entropy", ClassSpec(),
                "probability", "cross-entropy", "CE", f"{_LOGISTIC}:make_classes",
                f"{_LOGISTIC}:cross_entropy", f"{_LOGISTIC}:cross_entropy_hessian",
                f"{_LOGISTIC}:minimiser", "the cross-entropy's minimiser"),
        Problem("logistic-separable", "Two separable classes, by the cross-entropy",
                ClassSpec(separable=True), "probability", "cross-entropy", "CE",
                f"{_LOGISTIC}:make_classes", f"{_LOGISTIC}:cross_entropy",
                f"{_LOGISTIC}:cross_entropy_hessian", f"{_LOGISTIC}:minimiser", NO_ANSWER),
    )
}  # fmt: skip


def problem_of(spec: DataSpec | ClassSpec) -> Problem:
    """The first problem that runs on data of this kind (for drawing data: every problem
    that fits a spec makes it with the same function)."""
    return next(p for p in PROBLEMS.values() if p.fits(spec))


def make(spec: DataSpec | ClassSpec):
    """The data of `spec`, made by its problem's generator."""
    return problem_of(spec).fn("data")(spec)
