"""The tuning protocol: its grids held to the lesson's loop, its picks to its own rules, the
theory's rates to the runs, and the fair-races sentences of the pages to the numbers."""

import math
from functools import cache

import pytest
import torch

from sgd_lib.lesson.data import make_data
from sgd_lib.lesson.experiments import EXPERIMENTS, Experiment
from sgd_lib.lesson.loss import least_squares
from sgd_lib.lesson.protocols import GRIDS, LATE, LRS, PROTOCOLS, picked_runs, with_picked
from sgd_lib.lesson.training import train
from sgd_lib.lesson.tuning import grids, grids_from
from sgd_lib.pictures import draw
from sgd_lib.pictures.figures import plan
from sgd_lib.pictures.optimizer_facts import reach
from sgd_lib.site import tuning_stage


@cache
def tuning(name: str) -> dict:
    """A protocol's grids, trained here."""
    return grids(make_data(PROTOCOLS[name].data), PROTOCOLS[name])


@pytest.fixture(scope="module")
def record():
    return tuning_stage.tune(tuple(PROTOCOLS.values()), {}, "code")


def test_a_record_gives_back_the_grids_it_was_made_from(record):
    for name, p in PROTOCOLS.items():
        for method, grid in grids_from(record[name], p).items():
            trained = tuning(name)[method]
            assert grid.settings == trained.settings
            torch.testing.assert_close(grid.band, trained.band, atol=1e-9, rtol=0)
            assert grid.best == trained.best == record[name]["methods"][method]["best"]


@pytest.fixture(scope="module")
def facts(record):
    jobs = {j.slug: j for j in plan(with_picked(EXPERIMENTS, record), record)}
    out = {name: draw.tuning_facts(jobs[f"tuning-{name}"]) for name in PROTOCOLS}
    out["theory"] = draw.theory_facts(jobs["theory"])
    for b in (16, 1):
        out[f"bands-{b}"] = draw.minibatch_facts(jobs[f"bands-tuned-{b}"])
    out["conditioning"] = draw.conditioning_facts(jobs["conditioning"])
    out["race-ill"] = draw.race_facts(jobs["race-ill"])
    out["race-ill-tuned"] = draw.race_facts(jobs["race-ill-tuned"])
    return out


@pytest.mark.parametrize("name", ["full-lesson", "full-moved"])
@pytest.mark.parametrize("optimizer", list(GRIDS))
def test_full_batch_grid_points_are_the_loops_runs(name, optimizer):
    """Every fourth point of the grid: the batched metric is the loop's own run's."""
    p, grid = PROTOCOLS[name], tuning(name)[optimizer]
    data = make_data(p.data)
    x, y = data.x.double(), data.y.double()
    ols = least_squares(x, y)
    floor = ((x @ ols - y) ** 2).mean().item()
    for i in range(0, len(grid.settings), 4 * max(1, len(grid.settings) // len(LRS))):
        h = train(data, p.experiment(optimizer, grid.settings[i]))
        loop = reach(h, floor)[0] if not h.diverged else None
        batched = grid.band[i, 1].item()
        # The loop counts from where the MSE stays within 1% to its own end; a diverged run
        # never gets there. float32 rounding may move the crossing by an update.
        if loop is None or h.steps_run < p.budget:
            assert math.isinf(batched) or batched >= p.budget - 1, grid.settings[i]
        else:
            assert abs(batched - loop) <= 1, (grid.settings[i], batched, loop)


def test_mini_batch_grid_points_are_the_loops_runs():
    """Three points of batch size 16's grid for momentum: the median over the tuning seeds
    of the mean distance over the last LATE of the budget is the loop's, on the same seeds."""
    p, grid = PROTOCOLS["batch-16"], tuning("batch-16")["momentum"]
    data = make_data(p.data)
    ols = least_squares(data.x, data.y)
    for i in (grid.best, 0, len(grid.settings) // 2):
        e = p.experiment("momentum", grid.settings[i])
        ends = []
        for seed in p.tuning_seeds():
            h = train(data, Experiment(e.lr, 16, p.budget, seed=seed, optimizer="momentum",
                                       momentum=e.momentum))  # fmt: skip
            late = max(1, round(LATE * p.budget))  # the mean distance over the last updates
            d = (h.params[-late:].double() - ols).norm(dim=1).mean().item()
            ends.append(math.inf if h.diverged else d)
        loop = torch.tensor(ends).double().quantile(0.5, interpolation="lower").item()
        assert grid.band[i, 1].item() == pytest.approx(loop, rel=1e-4), grid.settings[i]


@pytest.mark.parametrize("name", list(PROTOCOLS))
def test_every_best_is_inside_a_grid_whose_ends_are_clearly_worse(name):
    for optimizer, grid in tuning(name).items():
        curve = grid.curve()
        best = grid.band[grid.best, 1].item()
        assert grid.best not in (curve[0], curve[-1]), optimizer
        for end in (curve[0], curve[-1]):  # at least twice as bad, or never there
            assert grid.band[end, 1].item() >= 2 * best, (name, optimizer)
        assert grid.band[grid.best, 1].item() == grid.band[:, 1].min().item()


def test_ties_go_to_the_smaller_learning_rate():
    for name in ("full-lesson", "full-moved"):
        for grid in tuning(name).values():
            ties = (grid.band[:, 1] == grid.band[grid.best, 1]).nonzero().flatten().tolist()
            assert ties[0] == grid.best


def test_the_stage_reuses_a_record_it_can_trust_and_only_that(record, monkeypatch):
    def no_training(*args):
        raise AssertionError("trained again")

    monkeypatch.setattr("sgd_lib.lesson.tuning.record", no_training)
    again = tuning_stage.tune(tuple(PROTOCOLS.values()), record, "code")
    assert again == record
    with pytest.raises(AssertionError, match="trained again"):  # another code: a new key
        tuning_stage.tune(tuple(PROTOCOLS.values()), record, "other code")
    broken = {**record, "full-lesson": {**record["full-lesson"], "methods": {"sgd": 3}}}
    with pytest.raises(AssertionError, match="trained again"):  # a record it cannot use
        tuning_stage.tune((PROTOCOLS["full-lesson"],), broken, "code")


def test_picked_runs_are_the_records_best_and_the_theorys(record):
    runs = picked_runs(record)
    assert all(e.picked in ("tuned", "theory", "same-step") for e in runs)
    assert len({e.slug for e in runs}) == len(runs)
    lesson = [e for e in runs if e.picked == "tuned" and e.batch_size is None and not
              e.data.x_shift]  # fmt: skip
    assert [e.optimizer for e in lesson] == list(GRIDS)
    same = [e for e in runs if e.picked == "same-step"]
    for e in same:  # lr / (1 - momentum) is the tuned SGD's lr
        sgd = next(s for s in runs if s.picked == "tuned" and s.optimizer == "sgd"
                   and s.batch_size == e.batch_size)  # fmt: skip
        assert e.lr / (1 - e.momentum) == pytest.approx(sgd.lr, rel=1e-2)


def test_the_theory_rates_hold_on_the_moved_data(facts):
    t = facts["theory"]
    for kind in ("gd", "hb"):  # the error's exponent of decay within 10% of the theory's
        assert 0.9 < t[f"moved_{kind}_speed_ratio"] < 1.1
    # On the mild bowl gradient descent's too; heavy ball, critically damped (t·ρᵗ), measures
    # slower than its rate on both.
    assert 0.9 < t["lesson_gd_speed_ratio"] < 1.1
    for data in ("lesson", "moved"):
        assert t[f"{data}_hb_measured"] > t[f"{data}_hb_rate"]
        assert t[f"{data}_hb_speed_ratio"] < 1


def test_fair_races_page(facts):
    lesson, moved = facts["full-lesson"], facts["full-moved"]
    first = list(GRIDS)
    # The mild bowl: about a dozen updates at most; the best momentum small; RMSProp the
    # first there and Adam the last; RMSProp's good range the widest.
    assert max(lesson[f"{m}_metric"] for m in first) <= 15
    assert lesson["momentum_momentum"] <= 0.3
    assert lesson["adam_metric"] == max(lesson[f"{m}_metric"] for m in first)
    assert lesson["rmsprop_metric"] == min(lesson[f"{m}_metric"] for m in first)
    assert lesson["rmsprop_good_factor"] == max(lesson[f"{m}_good_factor"] for m in first)
    # The valley: momentum and Nesterov about ten times sooner than gradient descent; Adam
    # crosses at a rate gradient descent cannot survive, in under twice momentum's updates;
    # RMSProp no faster than gradient descent.
    for m in ("momentum", "nesterov"):
        assert 7 < moved["sgd_metric"] / moved[f"{m}_metric"] < 14
    assert moved["adam_lr"] > 2 / moved["theory_lambda_max"]
    assert moved["adam_metric"] < 2 * moved["momentum_metric"]
    assert moved["adam_metric"] < moved["sgd_metric"] / 3
    assert moved["rmsprop_metric"] >= 0.95 * moved["sgd_metric"]
    # ... and stalls there: its MSE still above the floor at the end, every other first-order
    # method's at float32's rounding.
    ill = facts["race-ill-tuned"]
    assert ill["rmsprop_excess"] > 1e-3 * ill["floor"]
    assert all(abs(ill[f"{m}_excess"]) < 1e-6 for m in first if m != "rmsprop")
    # The theory's rate against the grid's best and the finer search's: a cliff just below
    # the theory's rate; the grid's best between them; on the bowl one update to gain.
    theory = facts["theory"]
    assert moved["fine_sgd_metric"] < moved["sgd_metric"] < theory["moved_gd_updates"]
    assert 0.95 < moved["fine_sgd_lr_over_theory"] < 1
    assert lesson["fine_sgd_metric"] == lesson["sgd_metric"] - 1
    # Mini-batches, over the last tenth: the tuned five settle within a factor 1.6 of each
    # other, each band wider than the gaps between medians; momentum tuned a little closer
    # than SGD; momentum at SGD's step still further at 16 after 100 updates, and at 1 over
    # 1000 the closest of all; RMSProp the furthest at 1; momentum then SGD nearest at 1.
    for b in (16, 1):
        f = facts[f"bands-{b}"]
        assert f["spread"] < 1.6
        medians = [f[f"{m}_late_median"] for m in first]
        assert all(f[f"{m}_late_high"] - f[f"{m}_late_low"] > max(medians) - min(medians)
                   for m in first)  # fmt: skip
    b16, b1 = facts["bands-16"], facts["bands-1"]
    assert b16["momentum_late_median"] < b16["sgd_late_median"]
    assert b16["momentum_same_step_late_median"] > b16["sgd_late_median"]
    medians = {k: v for k, v in b1.items() if k.endswith("_late_median")}
    assert min(medians, key=medians.get) == "momentum_same_step_late_median"
    assert max(medians, key=medians.get) == "rmsprop_late_median"
    tuned = {m: b1[f"{m}_late_median"] for m in first}
    assert min(tuned, key=tuned.get) == "momentum"  # "from momentum ... to RMSProp"


def test_conditioning_and_adaptive_pages(facts):
    c, ill = facts["conditioning"], facts["race-ill"]
    assert round(c["ill_aspect"]) == round(c["ill_kappa"] ** 0.5)
    assert c["standardised_kappa"] == pytest.approx(1, abs=1e-6)
    # Standardised, the Hessian is 2I: gradient descent at lr 1/λ lands in one update.
    assert c["standardised_lambda_max"] == pytest.approx(2, rel=1e-6)
    assert c["standardised_gd_lr"] == pytest.approx(1 / c["standardised_lambda_max"], rel=1e-6)
    assert c["standardised_gd_distance_1"] < 1e-4 and c["standardised_gd_updates"] == 1
    assert 8 < c["centred_lr_max"] / c["ill_lr_max"] < 12  # "a rate ten times larger"
    assert 50 < ill["scaled_kappa"] < ill["kappa"] / 2  # a per-parameter scale helps so far
