"""The problem registry's lesson layer: the line is the lesson unchanged; the cross-entropy,
written from scratch, is torch's; its minimiser is an independent solver's; and where the
classes separate there is none."""

import itertools
import math

import pytest
import torch
import torch.nn.functional as F

from sgd_lib import least_squares, make_data, mse
from sgd_lib.lesson.logistic import (
    cross_entropy,
    hessian_bounds,
    make_classes,
    max_margin,
    minimiser,
    separable,
)
from sgd_lib.lesson.problems import PROBLEMS, make
from sgd_lib.lesson.specs import ClassSpec, DataSpec


def lbfgs_minimiser(x, y) -> torch.Tensor:
    """The oracle: torch.optim.LBFGS with a strong-Wolfe line search, in float64, on torch's
    own binary cross-entropy, to a gradient norm of 1e-10."""
    x, y = x.double(), y.double()
    a = torch.zeros(2, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.LBFGS([a], lr=1, max_iter=1000, tolerance_grad=1e-12,
                            tolerance_change=0, line_search_fn="strong_wolfe")  # fmt: skip

    def closure():
        opt.zero_grad()
        loss = F.binary_cross_entropy_with_logits(x @ a, y)
        loss.backward()
        return loss

    def gradient_norm():  # at the a kept, not the line search's last try
        b = a.detach().clone().requires_grad_()
        F.binary_cross_entropy_with_logits(x @ b, y).backward()
        return b.grad.norm()

    for _ in range(20):
        opt.step(closure)
        if gradient_norm() < 1e-10:
            break
    assert gradient_norm() < 1e-10
    return a.detach()


def test_the_line_is_the_lesson_unchanged():
    line = PROBLEMS["line"]
    data = make(line.spec)
    lesson = make_data(DataSpec())
    assert torch.equal(data.x, lesson.x) and torch.equal(data.y, lesson.y)
    a = torch.tensor([1.5, 7.0])
    assert torch.equal(line.fn("loss")(data.x @ a, data.y), mse(data.x @ a, data.y))
    assert torch.equal(line.fn("answer")(data.x, data.y), least_squares(data.x, data.y))


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_the_cross_entropy_is_torchs_in_value_and_gradient(dtype):
    g = torch.Generator().manual_seed(0)
    # log-odds from the everyday to the extreme, where log(sigmoid(z)) gives up
    extreme = torch.tensor([-300.0, -120.0, -30.0, 0.0, 30.0, 120.0, 300.0], dtype=dtype)
    z = torch.cat([torch.randn(200, generator=g, dtype=dtype) * 5, extreme])
    y = torch.bernoulli(torch.full_like(z, 0.5), generator=g)
    ours_z = z.clone().requires_grad_()
    theirs_z = z.clone().requires_grad_()
    ours = cross_entropy(ours_z, y)
    theirs = F.binary_cross_entropy_with_logits(theirs_z, y)
    ours.backward()
    theirs.backward()
    assert math.isfinite(ours.item())
    assert abs(ours.item() - theirs.item()) <= 1e-6 * theirs.item()
    assert (ours_z.grad - theirs_z.grad).abs().max() <= 1e-6 / len(z)
    # the gradient in z is (sigmoid(z) - y) / n: as large as the model is wrong
    assert torch.allclose(ours_z.grad, (torch.sigmoid(z) - y) / len(z), atol=1e-7 / len(z))


def test_the_naive_form_overflows_where_the_stable_one_does_not():
    z, y = torch.tensor([-120.0]), torch.tensor([1.0])  # confidently wrong
    naive = -(y * torch.log(torch.sigmoid(z)) + (1 - y) * torch.log(1 - torch.sigmoid(z)))
    assert naive.item() == math.inf
    assert cross_entropy(z, y).item() == pytest.approx(120.0, rel=1e-6)


def test_overlapping_classes_have_a_minimiser_the_independent_solver_agrees_with():
    data = make(PROBLEMS["logistic"].spec)
    assert 0 < data.y.sum() < len(data.y) and set(data.y.tolist()) == {0.0, 1.0}
    assert not separable(data.x, data.y)
    ours = minimiser(data.x, data.y)
    oracle = lbfgs_minimiser(data.x, data.y)
    assert (ours - oracle).abs().max() < 1e-8
    x, y = data.x.double(), data.y.double()
    assert (x.T @ (torch.sigmoid(x @ ours) - y) / len(y)).norm() < 1e-12


def test_separable_classes_have_none_and_the_loss_falls_towards_0_along_the_split():
    problem = PROBLEMS["logistic-separable"]
    data = make(problem.spec)
    assert separable(data.x, data.y) and problem.fn("answer")(data.x, data.y) is None
    a = torch.tensor(problem.spec.a_true, dtype=torch.float64)
    losses = [cross_entropy(data.x.double() @ (c * a), data.y.double()).item()
              for c in (1, 10, 100, 1000)]  # fmt: skip
    assert all(b < a_ for a_, b in itertools.pairwise(losses)) and losses[-1] < 1e-6


def test_one_class_or_touching_classes_count_as_separable():
    # Touching (quasi-complete separation) has no minimiser either: the two points at x = 0
    # pull p(0) to 1/2, the others to 0 and 1, and the slope runs off to infinity.
    x = torch.ones(4, 2)
    x[:, 0] = torch.tensor([-1.0, 0.0, 0.0, 1.0])
    assert separable(x, torch.tensor([0.0, 0.0, 0.0, 0.0]))
    assert separable(x, torch.tensor([0.0, 0.0, 1.0, 1.0]))
    assert separable(x, torch.tensor([0.0, 1.0, 0.0, 1.0]))  # they touch at x = 0
    assert minimiser(x, torch.tensor([0.0, 1.0, 0.0, 1.0])) is None
    x[:, 0] = torch.tensor([-1.0, -0.5, 0.5, 1.0])
    assert not separable(x, torch.tensor([0.0, 1.0, 0.0, 1.0]))
    assert minimiser(x, torch.tensor([0.0, 1.0, 0.0, 1.0])) is not None
    # every x the same, both classes: a minimiser, but no one slope; said, not guessed
    x[:, 0] = 0.3
    with pytest.raises(ValueError, match="every x is the same"):
        minimiser(x, torch.tensor([0.0, 1.0, 0.0, 1.0]))


def test_newton_doubles_the_correct_digits_each_update():
    # Newton's method here is iteratively reweighted least squares: near the minimiser each
    # update about doubles the number of correct digits (quadratic convergence), measured.
    data = make(PROBLEMS["logistic"].spec)
    x, y = data.x.double(), data.y.double()
    best = minimiser(x, y)  # Newton until a step no longer moves a; held to LBFGS above
    a, digits = torch.zeros(2, dtype=torch.float64), []
    for _ in range(8):
        p = torch.sigmoid(x @ a)
        hess = (x.T * (p * (1 - p))) @ x / len(y)
        a = a - torch.linalg.solve(hess, x.T @ (p - y) / len(y))
        error = (a - best).norm().item() / best.norm().item()
        if error < 1e-15:  # float64 has no more digits to give
            break
        digits.append(-math.log10(error))
    near = [d for d in digits if d > 1.5]  # once it is close enough for the quadratic term
    assert len(near) >= 3  # 3.01, 6.13, 12.37 on the build's data
    assert all(1.6 < b / a_ < 2.4 for a_, b in itertools.pairwise(near)), digits


def test_the_hessian_bound_holds_at_every_a_and_is_reached_only_where_p_is_a_half():
    data = make(PROBLEMS["logistic"].spec)
    x = data.x.double()
    top, safe_lr = hessian_bounds(x)
    minimum = cross_entropy(x @ minimiser(x, data.y), data.y.double()).item()
    assert safe_lr == pytest.approx(2 / top)
    g = torch.Generator().manual_seed(1)

    def steepest(a):
        p = torch.sigmoid(x @ a)
        return torch.linalg.eigvalsh((x.T * (p * (1 - p))) @ x / len(x))[-1].item()

    # below it wherever some p is not 1/2; at a = 0 every p is, and the bound is reached
    starts = [torch.randn(2, generator=g, dtype=torch.float64) * 5 for _ in range(20)]
    assert all(steepest(a) < top * (1 - 1e-9) for a in starts)
    assert steepest(torch.zeros(2, dtype=torch.float64)) == pytest.approx(top, rel=1e-12)
    # full-batch gradient descent just below 2 / L lowers the loss at every update (until the
    # loss's own rounding, one unit in its last place, after some 45 updates)
    y = data.y.double()
    a, losses = torch.zeros(2, dtype=torch.float64), []
    for _ in range(200):
        p = torch.sigmoid(x @ a)
        a = a - 0.99 * safe_lr * x.T @ (p - y) / len(y)
        losses.append(cross_entropy(x @ a, y).item())
    assert all(b <= a_ + 1e-16 for a_, b in itertools.pairwise(losses))
    assert losses[-1] - minimum < 1e-12


def test_a_bad_class_setting_is_named_with_what_is_allowed():
    for kwargs, field in [({"n": 1}, "n"), ({"a_true": (1.0, math.nan)}, "a_true"),
                          ({"seed": -1}, "seed"), ({"separable": 1}, "separable")]:  # fmt: skip
        with pytest.raises(ValueError, match=f"^ClassSpec.*: {field} must be "):
            ClassSpec(**kwargs)


def test_every_problem_declares_everything_and_its_data_is_reproducible():
    for name, problem in PROBLEMS.items():
        assert problem.name == name and problem.model in ("line", "probability")
        one, two = make(problem.spec), problem.fn("data")(problem.spec)
        assert torch.equal(one.x, two.x) and torch.equal(one.y, two.y)
        answer = problem.fn("answer")(one.x, one.y)
        assert (answer is None) == name.endswith("separable")
        assert problem.fn("loss")(one.x @ torch.tensor([0.5, 0.5]), one.y).ndim == 0
    assert make_classes(ClassSpec(seed=1)).y.tolist() != make_classes(ClassSpec()).y.tolist()


def test_the_max_margin_direction_is_the_best_of_every_direction_and_descent_turns_to_it():
    data = make(PROBLEMS["logistic-separable"].spec)
    x, y = data.x.double(), data.y.double()
    u = max_margin(data.x, data.y)
    z = (2 * y - 1)[:, None] * x
    # the oracle: every direction on the circle, two million of them, scanned
    theta = torch.linspace(-math.pi, math.pi, 2_000_001, dtype=torch.float64)
    circle = torch.stack([theta.cos(), theta.sin()], 1)
    margins = (z @ circle.T).min(0).values
    assert (u - circle[margins.argmax()]).norm() < 1e-5
    assert (z @ u).min() >= margins.max() - 1e-12  # no scanned direction does better
    overlap = make(PROBLEMS["logistic"].spec)
    assert max_margin(overlap.x, overlap.y) is None  # no line separates: no margin
    # full-batch gradient descent (lr = 1/L, float64) turns towards it as the loss falls
    _, safe_lr = hessian_bounds(x)
    a, seen = torch.zeros(2, dtype=torch.float64), []
    for t in range(1, 10_001):
        a = a - safe_lr / 2 * x.T @ (torch.sigmoid(x @ a) - y) / len(y)
        if t in (10, 100, 1000, 10_000):
            angle = math.degrees(math.acos(min(1.0, (a @ u / a.norm()).item())))
            seen.append((angle, a.norm().item(), cross_entropy(x @ a, y).item()))
    angles, norms, losses = zip(*seen, strict=True)
    assert list(angles) == sorted(angles, reverse=True) and angles[-1] < 1  # 4.9° to 0.55°
    assert list(norms) == sorted(norms) and list(losses) == sorted(losses, reverse=True)
