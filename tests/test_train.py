import math

import pytest
import torch
from torch import nn

from sgd_lib import Experiment, batch_indices, mse, train
from sgd_lib.lesson.training import A0, BLOWUP


def optim_sgd_trajectory(data, e: Experiment) -> torch.Tensor:
    """The oracle: the same run through torch.optim.SGD (no momentum), same batches."""
    x, y = data.x, data.y
    a = nn.Parameter(torch.tensor(A0))
    opt = torch.optim.SGD([a], lr=e.lr, momentum=0.0)
    g = torch.Generator().manual_seed(e.seed)
    out = [a.detach().clone()]
    for _ in range(e.steps):
        idx = batch_indices(len(y), e.batch_size, g)
        opt.zero_grad()
        mse(x[idx] @ a, y[idx]).backward()
        opt.step()
        out.append(a.detach().clone())
    return torch.stack(out)


def test_gradient_descent_recovers_least_squares(data, ols):
    h = train(data, Experiment(lr=0.1, steps=100))
    assert not h.diverged
    assert (h.params[-1].double() - ols).abs().max() < 0.05
    assert h.loss[-1] < h.loss[0] / 100


def test_intercept_is_found_before_the_slope(data, ols):
    # The lesson's observation: the intercept's error shrinks much faster than the slope's.
    h = train(data, Experiment(lr=0.1, steps=100))
    error = (h.params.double() - ols).abs()
    slope_error, intercept_error = error[10]
    assert intercept_error / error[0, 1] < 0.3 * (slope_error / error[0, 0])


@pytest.mark.parametrize("batch_size", [None, 1, 16, 64])
def test_update_matches_torch_optim_sgd(data, batch_size):
    e = Experiment(lr=0.1, batch_size=batch_size, steps=50, seed=3)
    mine = train(data, e).params
    theirs = optim_sgd_trajectory(data, e)
    torch.testing.assert_close(mine, theirs, atol=1e-6, rtol=0)


def test_autograd_gradient_is_the_analytic_gradient(data):
    g = torch.Generator().manual_seed(0)
    for batch_size in (1, 7, 100):
        idx = torch.randperm(100, generator=g)[:batch_size]
        x_b, y_b = data.x[idx], data.y[idx]
        a = nn.Parameter(torch.randn(2, generator=g) * 5)
        mse(x_b @ a, y_b).backward()
        analytic = 2 / batch_size * x_b.T @ (x_b @ a.detach() - y_b)
        torch.testing.assert_close(a.grad, analytic, rtol=1e-5, atol=1e-5)


def test_history_shapes_and_batches(data):
    h = train(data, Experiment(lr=0.1, batch_size=8, steps=30, seed=1))
    assert h.params.shape == (31, 2) and h.loss.shape == (31,) and h.batch_loss.shape == (30,)
    assert h.batches.shape == (30, 8)
    assert torch.equal(h.params[0], torch.tensor(A0))
    for idx in h.batches:  # a random subset: distinct rows, all in range
        assert len(set(idx.tolist())) == 8 and idx.min() >= 0 and idx.max() < 100
    # the recorded losses are what they say they are
    for t in (0, 17, 30):
        assert h.loss[t] == pytest.approx(mse(data.x @ h.params[t], data.y).item(), rel=1e-5)
    for t in (1, 30):
        idx, a = h.batches[t - 1], h.params[t - 1]
        expected = mse(data.x[idx] @ a, data.y[idx]).item()
        assert h.batch_loss[t - 1] == pytest.approx(expected, rel=1e-5)
    assert train(data, Experiment(lr=0.1, steps=3)).batches is None


def test_same_seed_same_history_other_seed_other_batches(data):
    e = Experiment(lr=0.1, batch_size=4, steps=40, seed=5)
    one, two = train(data, e), train(data, e)
    for name in ("params", "loss", "batch_loss", "batches"):
        assert torch.equal(getattr(one, name), getattr(two, name)), name
    other = train(data, Experiment(lr=0.1, batch_size=4, steps=40, seed=6))
    assert not torch.equal(one.batches, other.batches)
    assert not torch.equal(one.params, other.params)


def test_training_leaves_the_global_rng_alone(data):
    state = torch.random.get_rng_state()
    train(data, Experiment(lr=0.1, batch_size=4, steps=10))
    assert torch.equal(state, torch.random.get_rng_state())


@pytest.mark.parametrize("lr", [1.0, 3.0, 1e30])
def test_divergence_stops_the_run_and_keeps_everything_finite(data, lr):
    h = train(data, Experiment(lr=lr, batch_size=1, steps=100))
    assert h.diverged and 1 <= h.diverged_at <= 100
    assert h.steps_run == h.diverged_at - 1
    assert len(h.params) == len(h.loss) == h.steps_run + 1
    for t in (h.params, h.loss, h.batch_loss):
        assert torch.isfinite(t).all()
    assert h.loss.max() <= BLOWUP * h.loss[0]


def test_huge_learning_rate_diverges_at_the_first_update(data):
    h = train(data, Experiment(lr=1e30, steps=10))
    assert h.diverged_at == 1 and h.steps_run == 0
    assert torch.equal(h.params, torch.tensor([A0]))
    assert math.isfinite(h.loss[0].item())


@pytest.mark.parametrize("lr", [0.1, 3.0], ids=["converges", "diverges"])
def test_on_step_hears_every_kept_step_and_changes_nothing(data, lr):
    # The command line's progress: the guess and each update kept, with its full-data loss,
    # as they happen; a diverged run's last word is the last update before it left.
    e = Experiment(lr=lr, batch_size=1, steps=60, seed=3)
    heard = []
    h = train(data, e, on_step=lambda t, loss: heard.append((t, loss)))
    assert [t for t, _ in heard] == list(range(h.steps_run + 1))
    assert [loss for _, loss in heard] == h.loss.tolist()
    quiet = train(data, e)
    assert torch.equal(quiet.params, h.params) and quiet.diverged_at == h.diverged_at
