"""What the pages beyond SGD say, held to the numbers the build computes for them.

The pages quote these numbers through {{ fact ... }}; the words around them ("gets there
first", "about as far", "several times closer") are claims. Each is checked here against the
same facts, computed by the same functions from the experiments table, so that a change of
setting that makes a sentence false fails the tests.
"""

import pytest

from sgd_lib.pictures import draw
from sgd_lib.pictures.figures import plan


@pytest.fixture(scope="module")
def facts():
    jobs = {j.slug: j for j in plan()}
    return {
        "race": draw.race_facts(jobs["race"]),
        "race-ill": draw.race_facts(jobs["race-ill"]),
        "bands": draw.minibatch_facts(jobs["optimizers-bands"]),
        "schedules": draw.schedule_facts(jobs["schedules"]),
        "conditioning": draw.conditioning_facts(jobs["conditioning"]),
    }


def test_momentum_page(facts):
    race, ill, bands = facts["race"], facts["race-ill"], facts["bands"]
    # On the mild bowl momentum overshoots and arrives after gradient descent; Nesterov is the
    # first of the first-order methods.
    assert race["nesterov_updates"] < race["sgd_updates"] < race["momentum_updates"]
    first_order = ("sgd", "momentum", "nesterov", "rmsprop", "adam")
    arrivals = [race[f"{n}_updates"] for n in first_order if race[f"{n}_updates"] is not None]
    assert race["nesterov_updates"] == min(arrivals)
    assert race["kappa"] < 4
    # On the valley gradient descent is far from the answer after every update it gets ...
    assert ill["sgd_updates"] is None and ill["sgd_distance"] > 1
    # ... and momentum and Nesterov get there, in well under the run's length.
    assert ill["momentum_updates"] < 0.75 * ill["steps"]
    assert ill["nesterov_updates"] < 0.75 * ill["steps"]
    # With mini-batches both jitter further from the answer than SGD, over the seeds.
    assert bands["momentum_distance_median"] > 2 * bands["sgd_distance_median"]
    assert bands["nesterov_distance_median"] > 2 * bands["sgd_distance_median"]


def test_adaptive_page(facts):
    race, ill, bands = facts["race"], facts["race-ill"], facts["bands"]
    # Adam's steps are about lr long: the intercept's gap needs most of the run ...
    assert race["adam_gap_over_lr"] > 0.8 * race["steps"]
    # ... so it ends far behind gradient descent, and RMSProp (uncorrected) ahead of Adam,
    # though later than gradient descent to the floor.
    assert race["adam_distance"] > 100 * race["sgd_distance"]
    assert race["rmsprop_distance"] < race["adam_distance"] / 10
    assert race["rmsprop_updates"] > race["sgd_updates"]
    # On the diagonal valley, neither ends much closer than gradient descent; momentum does.
    for name in ("adam", "rmsprop"):
        assert ill[f"{name}_distance"] > ill["sgd_distance"] / 2
        assert ill[f"{name}_updates"] is None
    assert ill["momentum_distance"] < ill["sgd_distance"] / 1000
    # With mini-batches: RMSProp a little further than SGD, Adam still on its way.
    assert bands["sgd_distance_median"] < bands["rmsprop_distance_median"]
    assert bands["adam_distance_median"] > 10 * bands["rmsprop_distance_median"]


def test_second_order_page(facts):
    for race in (facts["race"], facts["race-ill"]):
        assert race["newton_updates"] == 1 and race["newton_evaluations"] == 1
        assert race["cg_updates"] == 2 and race["cg_evaluations"] == 4
        assert race["cg_distance_1"] > 1  # not there after one update
        assert race["lbfgs_updates"] <= 5
    race = facts["race"]
    assert race["newton_distance_1"] < 1e-4 and race["cg_distance_2"] < 1e-4
    assert race["sgd_evaluations"] > 10 * race["lbfgs_evaluations"]


def test_schedules_page(facts):
    s = facts["schedules"]
    # The constant rate has reached its ball by a tenth of the run, and stays in it.
    assert s["constant_median"] == pytest.approx(s["constant_median_tenth"], rel=0.25)
    # Step and cosine end several times closer; 1/t in between, and slow at the start.
    assert s["step_median"] < s["constant_median"] / 3
    assert s["cosine_median"] < s["constant_median"] / 3
    assert s["constant_over_cosine"] > 3 and s["constant_over_step"] > 3
    assert 1 < s["constant_over_inverse"] < 3
    assert s["step_median"] < s["inverse_median"] < s["constant_median"]
    assert s["cosine_median"] < s["inverse_median"]
    assert s["inverse_median_tenth"] > 2 * s["constant_median_tenth"]
    # None of them is at the answer: the page says not all the way.
    assert min(s[f"{k}_median"] for k in ("step", "cosine", "inverse")) > 0.01


def test_conditioning_page(facts):
    c, ill = facts["conditioning"], facts["race-ill"]
    assert c["ill_kappa"] >= 100 and c["centred_kappa"] < 4
    assert 0.4 < c["ill_gd_lr"] / c["ill_lr_max"] < 0.6  # "about half the largest stable rate"
    assert c["ill_gd_updates"] is None and c["centred_gd_updates"] is not None
    assert c["centred_gd_updates"] < c["centred_steps"]
    assert ill["adam_distance"] > 1 and ill["rmsprop_distance"] > 1
