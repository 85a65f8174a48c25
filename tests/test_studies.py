"""Many seeds at once, held to the lesson's loop; and the physics the pages teach, on the
data the site uses."""

import numpy as np
import pytest
import torch

from sgd_lib import Experiment, find, train
from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.experiments import EXPERIMENTS, SAMPLERS, DataSpec, study_seeds
from sgd_lib.lesson.loss import least_squares, mse
from sgd_lib.lesson.studies import (
    SEED_RULE,
    batch_sums,
    statistics,
    train_many,
    typical_experiment,
)
from sgd_lib.lesson.training import batch_indices
from sgd_lib.pictures.render_bands import jitter_facts
from sgd_lib.pictures.render_studies import UNIFORM, floor, gd_curves, hessian


@pytest.mark.parametrize("sampler", SAMPLERS)
@pytest.mark.parametrize(
    "lr, batch_size, steps",
    [(0.1, 1, 100), (0.1, 16, 100), (0.01, 7, 300), (1.0, 4, 100), (0.1, 64, 50), (0.1, None, 60)],
)
def test_the_batched_trainer_is_the_loop_seed_by_seed(data, lr, batch_size, steps, sampler,
                                                      assert_as_the_loop):  # fmt: skip
    e = Experiment(lr=lr, batch_size=batch_size, steps=steps, sampler=sampler, seeds=12)
    seeds = study_seeds(e)
    study = train_many(data, e)
    assert study.seeds == seeds
    if batch_size is not None:
        xx, xy = batch_sums(data, batch_size, steps, seeds, sampler)
    for i, seed in enumerate(seeds):
        h = train(data, Experiment(lr, batch_size, steps, seed=seed, sampler=sampler))
        t = h.steps_run
        if batch_size is not None:  # the same batches: the sums of the very rows it drew
            xb, yb = data.x.double()[h.batches], data.y.double()[h.batches]
            torch.testing.assert_close(xx[:t, i], xb.transpose(1, 2) @ xb, atol=1e-12, rtol=0)
            torch.testing.assert_close(xy[:t, i], (xb.transpose(1, 2) @ yb.unsqueeze(-1))[..., 0],
                                       atol=1e-12, rtol=0)  # fmt: skip
        # the same updates: the same parameters, to the loop's rounding
        assert_as_the_loop(study.params[i, : t + 1], h.params, unstable=lr == 1.0)
        assert_as_the_loop(study.loss[i, : t + 1], h.loss, unstable=lr == 1.0)
        assert (study.diverged_at[i].item() or None) == h.diverged_at
        if h.diverged:  # frozen at its last sane parameters, its loss at the bound after
            assert (study.params[i, t:] == study.params[i, t]).all()  # (t: held to the loop)
            assert (study.loss[i, t + 1 :] == study.limit).all()
    if lr == 1.0 and batch_size == 4:
        assert (study.diverged_at > 0).any() and (study.diverged_at == 0).any()  # both kinds


@pytest.mark.parametrize(("batch_size", "seed", "tie_at"), [(1, 40, 932), (16, 3, 934),
                                                           (64, 284, 851)])  # fmt: skip
def test_two_equal_numbers_at_the_cut_pick_the_loops_rows(data, batch_size, seed, tie_at):
    """At update `tie_at` of these seeds the batch_size-th and the next smallest numbers are
    equal (float32 makes it rare, not impossible): the batched draw takes the loop's rows."""
    numbers = torch.rand(1000, 100, generator=torch.Generator().manual_seed(seed))
    cut = numbers.sort(dim=1).values[tie_at]
    assert cut[batch_size - 1] == cut[batch_size]  # the case this test is about
    g = torch.Generator().manual_seed(seed)
    rows = torch.stack([batch_indices(100, batch_size, g) for _ in range(1000)])
    xb = data.x.double()[rows]
    xx, _ = batch_sums(data, batch_size, 1000, [seed], "random")
    torch.testing.assert_close(xx[:, 0], xb.transpose(1, 2) @ xb, atol=1e-12, rtol=0)


def test_the_epoch_sampler_visits_every_point_once_per_epoch(data):
    h = train(data, Experiment(lr=0.1, batch_size=16, steps=12, sampler="epoch", seed=5))
    per_epoch = 100 // 16
    for epoch in range(2):
        rows = h.batches[epoch * per_epoch : (epoch + 1) * per_epoch].flatten().tolist()
        assert len(rows) == len(set(rows)) == per_epoch * 16  # no point twice in an epoch
    random = train(data, Experiment(lr=0.1, batch_size=16, steps=12, seed=5))
    assert not torch.equal(random.batches, h.batches)


def test_shuffled_epochs_end_closer_than_fresh_random_batches(data):
    # What the mini-batch page says of the two samplers, over all the seeds of the table's
    # settings: after many passes (batch size 16) epochs end clearly closer to the answer;
    # after a single pass (batch size 1) the two end close together.
    def median_distance(bs, sampler):
        study = train_many(data, Experiment(0.1, bs, seeds=200, sampler=sampler))
        return study.band(study.distance()[:, -1])[1].item()

    gaps = {bs: median_distance(bs, "random") / median_distance(bs, "epoch") for bs in (1, 16)}
    assert gaps[16] > 1.3 and 0.8 < gaps[1] < 1.25


def test_batch_sizes_draw_independent_seeds():
    sgd = [e for e in EXPERIMENTS if e.batch_size is not None]
    seeds = {}
    for e in sorted(sgd, key=lambda e: -e.seeds):
        assert len(study_seeds(e)) == e.seeds >= 100
        seeds.setdefault(e.batch_size, study_seeds(e))
        # one batch size: the same draws (the classes' 100 seeds are the first 100 of them)
        assert study_seeds(e) == seeds[e.batch_size][: e.seeds]
    seeds = {b: set(s) for b, s in seeds.items()}
    sizes = sorted(seeds)
    for i, a in enumerate(sizes):
        for b in sizes[i + 1 :]:
            assert not seeds[a] & seeds[b], (a, b)  # two batch sizes: no seed in common


def test_the_animated_seed_satisfies_its_rule(data):
    e = Experiment(lr=0.1, batch_size=2, steps=60, seeds=50)
    study = train_many(data, e)
    chosen = typical_experiment(study)
    log = study.loss.double().log()
    median = torch.quantile(log, 0.5, dim=0, interpolation="lower")
    score = (log - median).abs().mean(dim=1)
    final = study.loss[:, -1]
    i = study.seeds.index(chosen.seed)
    # it ends in the middle fifth of the seeds' final losses...
    assert 0.35 <= (final < final[i]).double().mean() <= 0.6
    # ...and no seed that also ends there is closer to the median curve
    rank = final.argsort().argsort().double() / (len(final) - 1)
    middle = (rank >= 0.38) & (rank <= 0.62)
    assert score[i] <= score[middle].min() + 1e-12
    # ...and the rule is not "the luckiest": the chosen run's final loss is not the lowest
    assert study.loss[study.seeds.index(chosen.seed), -1] > study.loss[:, -1].min()
    stats = statistics(study)
    assert stats["seeds"] == 50 and stats["seed_rule"] == SEED_RULE
    low, mid, high = stats["loss_band"]
    assert low <= mid <= high


# ---- physics, on the site's data ---------------------------------------------------------


def test_gradient_descent_converges_below_two_over_lambda_max_and_diverges_above(data):
    lam_max = torch.linalg.eigvalsh(hessian(data))[-1].item()
    edge = 2 / lam_max
    below, above = edge * 0.98, edge * 1.02
    _, distances = gd_curves(data, np.array([below, above]), 3000)
    assert distances[0, -1] < 1e-3  # just below the bound: at the answer, slowly
    assert distances[1, -1] > 1e3 * distances[1, 0]  # just above: flung away
    # the site's default runs: lr 1 is past the edge, full batch and all
    assert lam_max * 1.0 > 2
    assert train(data, Experiment(lr=1.0, steps=1000)).diverged


def test_the_floor_is_the_least_squares_mse_and_no_run_gets_under_it(data):
    ols = least_squares(data.x, data.y)
    here = floor(data)
    assert here == pytest.approx(mse(data.x.double() @ ols, data.y.double()).item())
    # the least-squares line is the lowest point: nudging it any way raises the loss
    for nudge in ([1e-3, 0], [0, 1e-3], [-1e-3, 1e-3]):
        moved = ols + torch.tensor(nudge, dtype=torch.float64)
        assert mse(data.x.double() @ moved, data.y.double()).item() > here
    study = train_many(data, Experiment(lr=0.1, batch_size=8, steps=100, seeds=40))
    assert (study.loss.double() >= here - 1e-6).all()


def test_a_one_point_batch_overshoots_at_lr_1(data):
    # A single point's curvature along its own row is 2(1 + x²) >= 2: at lr 1, one step on
    # that point lands at least as far on the other side of its own best line.
    for i in range(0, 100, 7):
        x_i, y_i = data.x[i].double(), data.y[i].double()
        a = torch.tensor([0.5, -2.0], dtype=torch.float64)
        before = (x_i @ a - y_i).item()
        after = (x_i @ (a - 1.0 * 2 * x_i * before) - y_i).item()
        assert after * before < 0 and abs(after) >= abs(before)


def test_the_floor_over_data_draws_and_the_uncentred_noise():
    # What the gradient-descent page says of the floor: below each draw's own noise mean
    # square (the best line absorbs part of the noise), and σ²(n-2)/n on average.
    floors, noise_ms = [], []
    for seed in range(200):
        d = make_data(DataSpec(seed=seed))
        noise = d.y.double() - d.x.double() @ torch.tensor(d.spec.a_true, dtype=torch.float64)
        floors.append(floor(d))
        noise_ms.append((noise**2).mean().item())
    assert all(f <= m + 1e-9 for f, m in zip(floors, noise_ms, strict=True))
    expected = 0.6**2 * 98 / 100
    assert abs(np.mean(floors) - expected) < 3 * np.std(floors) / np.sqrt(200)
    # The write-ups' uniform noise has mean 1/2: the least-squares intercept lands near 2.5.
    uniform = make_data(UNIFORM)
    intercept = least_squares(uniform.x, uniform.y)[1].item()
    assert 2.3 < intercept < 2.7 and UNIFORM.a_true[1] == 2.0


def test_the_ball_shrinks_about_as_one_over_the_root_of_the_batch(data):
    # What the batch-size page says: up to batch size 16, the median final distance falls
    # about as batch_size ** -0.5 at both learning rates, and is smaller at the smaller lr.
    by_lr = {
        lr: [train_many(data, find(Experiment(lr, bs).slug)) for bs in (1, 2, 4, 8, 16)]
        for lr in (0.01, 0.1)
    }
    facts = jitter_facts(by_lr)
    for lr in (0.01, 0.1):
        assert -0.65 < facts[f"lr{lr:g}_bs_exponent"] < -0.35
    assert facts["distance_ratio_min"] > 1


def test_batch_size_64_at_lr_1_goes_off_the_rails_given_time(data):
    # What the learning-rate page says: none stopped within 100 updates, most within 1000.
    short = train_many(data, Experiment(1.0, 64, steps=100, seeds=200))
    long = train_many(data, Experiment(1.0, 64, steps=1000, seeds=200))
    assert (short.diverged_at == 0).all() and (long.diverged_at > 0).double().mean() > 0.5
