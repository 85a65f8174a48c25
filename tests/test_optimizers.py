"""Every optimizer held to an oracle: torch.optim with the same arguments, step by step; the
closed-form least-squares answer for Newton and conjugate gradient; torch's schedulers."""

from dataclasses import replace

import pytest
import torch
from torch import nn

from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.experiments import DataSpec, Experiment
from sgd_lib.lesson.loss import least_squares, mse
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES, cg, lbfgs, newton
from sgd_lib.lesson.studies import train_many
from sgd_lib.lesson.training import A0, Batch, sample_batches, train

ILL = DataSpec(x_shift=3.0)  # the site's ill-conditioned setting

# name -> (our hyper-parameters, the torch.optim call with the same ones)
ORACLES = {
    "sgd": ({}, lambda p, lr: torch.optim.SGD([p], lr=lr)),
    "momentum": ({"momentum": 0.9}, lambda p, lr: torch.optim.SGD([p], lr, momentum=0.9)),
    "nesterov": (
        {"momentum": 0.7},
        lambda p, lr: torch.optim.SGD([p], lr, momentum=0.7, nesterov=True),
    ),
    "rmsprop": (
        {"alpha": 0.9, "eps": 1e-6},
        lambda p, lr: torch.optim.RMSprop([p], lr, alpha=0.9, eps=1e-6),
    ),
    "adam": (
        {"betas": (0.8, 0.99), "eps": 1e-7},
        lambda p, lr: torch.optim.Adam([p], lr, betas=(0.8, 0.99), eps=1e-7),
    ),
    "lbfgs": (
        {"history": 3},
        lambda p, lr: torch.optim.LBFGS([p], lr, history_size=3, max_iter=1),
    ),
}


def with_torch_optim(data, e: Experiment, make) -> torch.Tensor:
    """The lesson's loop with torch.optim doing the update: (T+1, 2) parameters."""
    a = nn.Parameter(torch.tensor(A0, dtype=data.x.dtype))
    opt = make(a, e.lr)
    g = torch.Generator().manual_seed(e.seed)
    rows = sample_batches(len(data.y), e.batch_size, e.sampler, g)
    out = [a.detach().clone()]
    for t in range(1, e.steps + 1):
        idx = next(rows)
        for group in opt.param_groups:
            group["lr"] = SCHEDULES[e.schedule](e.lr, t, e.steps)

        def closure(idx=idx):
            opt.zero_grad()
            loss = mse(data.x[idx] @ a, data.y[idx])
            loss.backward()
            return loss

        opt.step(closure)
        out.append(a.detach().clone())
    return torch.stack(out)


@pytest.mark.parametrize("name", [n for n in ORACLES if n != "lbfgs"])
@pytest.mark.parametrize(
    ("batch_size", "lr", "schedule", "spec"),
    [(None, 0.05, "constant", DataSpec()), (4, 0.05, "cosine", DataSpec()),
     (None, 0.01, "step", ILL), (1, 0.02, "inverse", DataSpec())],
)  # fmt: skip
def test_first_order_updates_match_torch_optim_step_by_step(name, batch_size, lr, schedule, spec):
    # In float64, so that 1e-6 measures the algorithm, not float32's last bit (its spacing
    # at 10 is 9.5e-7); the float32 run the site shows is the same code (test below).
    data = double(make_data(spec))
    hyper, make = ORACLES[name]
    e = Experiment(lr, batch_size, steps=60, seed=5, optimizer=name, schedule=schedule, **hyper)
    ours = train(data, e)
    assert not ours.diverged
    torch.testing.assert_close(ours.params, with_torch_optim(data, e, make), atol=1e-6, rtol=0)


@pytest.mark.parametrize("name", [n for n in ORACLES if n != "lbfgs"])
def test_in_float32_the_site_s_runs_stay_within_float32_rounding_of_torch_optim(name, data):
    hyper, make = ORACLES[name]
    e = Experiment(0.05, 4, steps=60, seed=5, optimizer=name, **hyper)
    torch.testing.assert_close(train(data, e).params, with_torch_optim(data, e, make),
                               atol=1e-5, rtol=1e-6)  # fmt: skip


def double(data):
    return replace(data, x=data.x.double(), y=data.y.double())


@pytest.mark.parametrize("spec", [DataSpec(), ILL], ids=["default", "ill"])
def test_lbfgs_matches_torch_lbfgs_where_the_algorithms_coincide(spec):
    # torch.optim.LBFGS with max_iter=1 and no line search makes one two-loop step of fixed
    # length per call, as ours does; in float64 the two agree to the last digits that matter.
    data = double(make_data(spec))
    e = Experiment(1.0, steps=25, optimizer="lbfgs", history=3, data=spec)
    oracle = with_torch_optim(data, e, ORACLES["lbfgs"][1])
    torch.testing.assert_close(train(data, e).params, oracle, atol=1e-6, rtol=0)


@pytest.mark.parametrize("spec", [DataSpec(), ILL], ids=["default", "ill"])
def test_lbfgs_converges_to_least_squares(spec):
    data = make_data(spec)
    h = train(data, Experiment(1.0, steps=100, optimizer="lbfgs", data=spec))
    assert (h.params[-1].double() - least_squares(data.x, data.y)).norm() < 1e-4


class Walked(list):
    """A list of remembered pairs that counts the loops that walk it."""

    walks = 0

    def __iter__(self):
        self.walks += 1
        return super().__iter__()

    def __reversed__(self):
        self.walks += 1
        return super().__reversed__()


def lbfgs_by_hand(data, rates, history, forget=False):
    """lbfgs from the guess on the full batch, one update per rate: (T+1, 2) parameters and
    the loops over the pairs each update walked. forget: every update made in full, as if
    no earlier update had left `a` where it was."""
    a = nn.Parameter(torch.tensor(A0, dtype=data.x.dtype))
    state = {"s": Walked(), "y": []}
    batch, params, walks = Batch(data.x, data.y), [a.detach().clone()], []
    for lr in rates:
        mse(data.x @ a, data.y).backward()
        before = state["s"].walks
        with torch.no_grad():
            if forget:
                state.pop("still_up_to", None)
            lbfgs(a, state, lr, batch, history)
            a.grad.zero_()
        params.append(a.detach().clone())
        walks.append(state["s"].walks - before)
    return torch.stack(params), walks


# the data, the rate, the history, whether 100 times the rate moves a again once it is still
@pytest.mark.parametrize(("spec", "lr", "history", "again"),
                         [(DataSpec(), 0.01, 1000, True), (ILL, 1.0, 3, False)])  # fmt: skip
def test_lbfgs_walks_no_pair_once_a_stands_still_and_changes_no_number(spec, lr, history, again):
    # In float32 a stops moving long before the gradient is within tolerance_grad (a step
    # below a's rounding, or a direction no longer downhill); every later update at a rate no
    # higher is the same one again. Each used to walk every remembered pair: at lr 0.01 and
    # history 1000, an hour for 100,000 updates.
    data = make_data(spec)
    rates = [lr] * 2000 + [100 * lr] * 3  # then a higher rate, as the sandbox can set mid-run
    params, walks = lbfgs_by_hand(data, rates, history)
    moved = (params[1:] != params[:-1]).any(-1).tolist()
    last = max(i for i in range(2000) if moved[i])  # the last update (0-based) that moved a
    assert last < 1500 and 2 in walks[: last + 1]
    assert walks[last + 2 : 2000] == [0] * (2000 - last - 2)  # no pair walked once a is still
    assert moved[2000] == again
    # The same updates each made in full give the same run, bit for bit, the higher rate's
    # included: skipping an update that would repeat the last one changes nothing.
    full, full_walks = lbfgs_by_hand(data, rates, history, forget=True)
    assert 0 not in full_walks[1:]
    assert torch.equal(params, full)


def one_update(update, data, lr=1.0):
    """`update` from the guess, in float64, with the full batch; the parameters after it."""
    x, y = data.x.double(), data.y.double()
    a = nn.Parameter(torch.tensor(A0, dtype=torch.float64))
    mse(x @ a, y).backward()
    with torch.no_grad():
        update(a, {}, lr, Batch(x, y))
    return a.detach()


@pytest.mark.parametrize("spec", [DataSpec(), ILL, DataSpec(seed=7, noise="uniform")])
def test_newton_lands_on_least_squares_in_one_update(spec):
    data = make_data(spec)
    torch.testing.assert_close(
        one_update(newton, data), least_squares(data.x, data.y), atol=1e-6, rtol=0
    )
    h = train(data, Experiment(1.0, steps=1, optimizer="newton", data=spec))
    assert h.loss[1].item() == pytest.approx(mse(data.x @ least_squares(data.x, data.y).float(),
                                                  data.y).item(), rel=1e-5)  # fmt: skip


def test_newtons_step_is_the_solve_of_the_batch_hessian():
    x = torch.tensor([[0.3, 1.0], [-0.7, 1.0], [0.1, 1.0]], dtype=torch.float64)
    batch = Batch(x, torch.tensor([1.0, -2.0, 0.5], dtype=torch.float64))
    a = torch.tensor([0.4, -1.3], dtype=torch.float64)
    a.grad = batch.gradient(a)
    want = a - torch.linalg.solve(batch.hessian(a), a.grad)
    newton(a, {}, 1.0, batch)
    torch.testing.assert_close(a, want, atol=1e-12, rtol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_a_batch_with_one_x_has_no_newton_step_and_the_run_diverges_there(dtype):
    # Two points at the same x: det H = 0 exactly. torch's inverse raised LinAlgError here.
    x = torch.tensor([[20.5, 1.0], [20.5, 1.0]], dtype=dtype)
    batch = Batch(x, torch.tensor([1.0, 2.0], dtype=dtype))
    a = torch.tensor([0.4, -1.3], dtype=dtype)
    a.grad = batch.gradient(a)
    newton(a, {}, 1.0, batch)
    assert not torch.isfinite(a).all()


@pytest.mark.parametrize(("batch_size", "x_shift", "steps", "centred"),
                         [(2, 20.0, 100, False), (2, 2.0, 3000, False), (3, 100.0, 3000, False),
                          (2, 20.0, 100, True)])  # fmt: skip
def test_newton_on_batches_that_are_singular_is_a_result(batch_size, x_shift, steps, centred):
    # The inputs a hostile probe crashed with a traceback: each is a run that ends.
    spec = DataSpec(x_shift=x_shift, centred=centred)
    h = train(make_data(spec), Experiment(1.0, batch_size, steps, optimizer="newton", data=spec))
    assert torch.isfinite(h.params).all()
    assert h.diverged or h.steps_run == steps


@pytest.mark.parametrize("spec", [DataSpec(), ILL, DataSpec(seed=7, noise="uniform")])
def test_conjugate_gradient_lands_on_least_squares_in_two_updates(spec):
    data = make_data(spec)
    x, y = data.x.double(), data.y.double()
    a = nn.Parameter(torch.tensor(A0, dtype=torch.float64))
    state, batch = {}, Batch(x, y)
    for k in (1, 2):
        mse(x @ a, y).backward()
        with torch.no_grad():
            cg(a, state, 1.0, batch)
            a.grad.zero_()
        if k == 1:  # one update is a steepest-descent step with exact line search: not there
            assert (a.detach() - least_squares(x, y)).norm() > 1e-3
    torch.testing.assert_close(a.detach(), least_squares(x, y), atol=1e-6, rtol=0)


def test_the_hessian_is_the_batch_mses_own(data):
    idx = torch.tensor([3, 17, 42, 99])
    batch = Batch(data.x[idx].double(), data.y[idx].double())
    a = torch.tensor([0.3, -2.0], dtype=torch.float64)
    oracle = torch.autograd.functional.hessian(lambda p: mse(batch.x @ p, batch.y), a)
    torch.testing.assert_close(batch.hessian(None), oracle)
    grad = torch.autograd.grad(mse(batch.x @ a.requires_grad_(), batch.y), a)[0]
    torch.testing.assert_close(batch.gradient(a), grad)


@pytest.mark.parametrize(("name", "gradients", "hessians"),
                         [("sgd", 1, 0), ("adam", 1, 0), ("newton", 1, 1), ("cg", 2, 0),
                          ("lbfgs", 1, 0)])  # fmt: skip
def test_evaluations_are_counted_line_searches_included(data, name, gradients, hessians):
    h = train(data, Experiment(0.5, steps=20, optimizer=name))
    assert h.gradients.tolist() == [gradients * t for t in range(21)]
    assert h.hessians == hessians * 20
    assert OPTIMIZERS[name].gradients_per_update == gradients


@pytest.mark.parametrize("name", ["momentum", "nesterov", "rmsprop", "adam", "newton", "sgd"])
@pytest.mark.parametrize("schedule", ["constant", "cosine"])
def test_the_batched_trainer_is_the_loop_for_every_optimizer(data, name, schedule,
                                                            assert_as_the_loop):  # fmt: skip
    e = Experiment(0.3 if name == "newton" else 0.05, 8, steps=40, seeds=6, optimizer=name,
                   schedule=schedule)  # fmt: skip
    many = train_many(data, e)
    for i, seed in enumerate(many.seeds):
        one = train(data, replace(e, seed=seed))
        assert_as_the_loop(many.params[i], one.params)
    assert many.gradients.tolist() == [t for t in range(41)]


@pytest.mark.parametrize(
    ("name", "scheduler"),
    [("step", lambda o, T: torch.optim.lr_scheduler.StepLR(o, step_size=-(-T // 3), gamma=0.1)),
     ("cosine", lambda o, T: torch.optim.lr_scheduler.CosineAnnealingLR(o, T_max=T)),
     ("inverse", lambda o, T: torch.optim.lr_scheduler.LambdaLR(
         o, lambda k: 1 / (1 + k / max(1, T // 100)))),
     ("constant", lambda o, T: torch.optim.lr_scheduler.LambdaLR(o, lambda k: 1.0))],
)  # fmt: skip
@pytest.mark.parametrize("steps", [100, 1000, 7])
def test_schedules_match_torchs_schedulers(name, scheduler, steps):
    opt = torch.optim.SGD([nn.Parameter(torch.zeros(1))], lr=0.1)
    sched = scheduler(opt, steps)
    for t in range(1, steps + 1):
        assert SCHEDULES[name](0.1, t, steps) == pytest.approx(opt.param_groups[0]["lr"], rel=1e-9)
        opt.step()
        sched.step()


def test_the_ill_conditioned_setting_is_ill_conditioned_and_centring_fixes_it():
    def kappa(spec):
        x = make_data(spec).x.double()
        eig = torch.linalg.eigvalsh(2 / len(x) * x.T @ x)
        return (eig[-1] / eig[0]).item()

    assert kappa(DataSpec()) < 4
    assert kappa(ILL) >= 100
    assert kappa(replace(ILL, centred=True)) < 4
    # The same points: centring changes the parametrisation, not the line's slope or fit.
    ill, centred = make_data(ILL), make_data(replace(ILL, centred=True))
    assert torch.equal(ill.y, centred.y)
    assert least_squares(ill.x, ill.y)[0] == pytest.approx(
        least_squares(centred.x, centred.y)[0].item(), abs=1e-9
    )


def test_every_optimizer_is_one_declaration_with_an_update_and_its_limits():
    for name, o in OPTIMIZERS.items():
        assert o.name == name and callable(o.update)
        e = Experiment(0.1, None if o.full_batch_only else max(2, o.min_batch), optimizer=name)
        assert set(e.hyper) == {h.name for h in o.hyper}
        assert e.slug == ("gd-lr0.1" if o.full_batch_only else f"lr0.1-bs{max(2, o.min_batch)}") + (
            "" if name == "sgd" else f"-{name}"
        )
