"""Problems: what `x @ a` means, the loss it is judged by, and the answer that loss has.

The lesson fits a line with the mean squared error; it ends on a pointer: "if this were a
classification problem, we would want to use cross-entropy loss" (fast.ai's notebook, and
transcript 002). Each problem here is one declaration: its data, its model, its loss written
from scratch, and its answer (the least-squares line; for classification the minimiser of the
cross-entropy, or None where the classes separate and no minimiser exists).

This is the lesson layer only (issue 26, first part): training, the figures, the command line
and the sandbox still run the line alone.
"""

from collections.abc import Callable
from dataclasses import dataclass

import torch

from sgd_lib.lesson.data import Data, make_data
from sgd_lib.lesson.logistic import (  # noqa: F401
    cross_entropy,
    hessian_bounds,
    make_classes,
    max_margin,
    minimiser,
    separable,
    softplus,
)
from sgd_lib.lesson.loss import least_squares, mse
from sgd_lib.lesson.specs import ClassSpec, DataSpec


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
