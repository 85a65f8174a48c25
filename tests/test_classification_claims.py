"""What the classification page says, held to the numbers the build computes for it.

The page quotes the numbers through {{ fact ... }}; the words around them ("doubles",
"between the two bounds", "fell at every update anyway", "still moving", "stop moving") are
claims. Each is checked here against the facts and runs the session's cold build computed
for the page (its manifest: the same functions, the same table), so that a change of setting
that makes a sentence false fails the tests.
"""

import itertools
import json
import math

import pytest
import torch

from sgd_lib.lesson import loss_study
from sgd_lib.lesson.experiments import EXPERIMENTS, SEPARABLE_LRS
from sgd_lib.lesson.logistic import hessian_bounds
from sgd_lib.lesson.problems import PROBLEMS, make
from sgd_lib.lesson.selections import class_bs_sweep
from sgd_lib.pictures.figures import plan


@pytest.fixture(scope="module")
def manifest(cold_assets):
    return json.loads((cold_assets / "manifest.json").read_text())


@pytest.fixture(scope="module")
def facts(manifest):
    return {name: manifest["facts"][name] for name in ("classes", "losses", "separable")}


def test_every_problem_has_runs_and_figures_on_the_site():
    """The registry's coverage on the site: each problem has runs in the table, and so its
    per-run animations, the explorer's choice and the results table's rows."""
    jobs = plan()
    for name in PROBLEMS:
        runs = [e for e in EXPERIMENTS if e.problem == name]
        assert runs, f"no run of the problem {name} in the experiments table"
        assert any(j.runs and j.runs[0].problem == name and j.spec.per_run for j in jobs)


def test_newton_doubles_the_digits_until_float32_holds_no_more(facts):
    c = facts["classes"]
    d = [c[f"newton_digits_{t}"] for t in range(1, 8)]
    assert d[3] >= 1.8 * d[2] and d[4] >= 1.8 * d[3]  # updates 3 to 5: doubling
    assert 7 <= d[5] < 8 and d[6] <= d[5] + 0.1  # float32 holds about 7 digits: no more


def test_the_learning_rates_the_page_names(facts):
    c = facts["classes"]
    data = make(PROBLEMS["logistic"].spec)
    L, safe = hessian_bounds(data.x)
    assert c["safe_lr"] == pytest.approx(safe, abs=1e-3) and c["L"] == pytest.approx(L, abs=1e-4)
    # lr 10 is between the bound safe from anywhere and the one stable near the answer
    assert c["safe_lr"] < 10 < c["near_lr"]
    assert c["mean_weight"] < 0.25  # "below that bound"
    # "fell at every update anyway", and got there first
    assert c["gd10_rises"] == 0 and c["gd10_updates"] < c["gd1_updates"]
    # the separable runs' "about 1/L"
    assert SEPARABLE_LRS["sgd"] == pytest.approx(1 / L, rel=0.01)


def test_smaller_batches_end_further_above_the_minimum(manifest):
    medians = [manifest["runs"][e.slug]["loss_band"][1] for e in class_bs_sweep(EXPERIMENTS)]
    assert medians == sorted(medians, reverse=True)


def test_the_mse_crawls_from_a_confidently_wrong_start(facts):
    f = facts["losses"]
    assert f["wrong_p_max"] > 0.999  # "confidently wrong"
    assert f["ce_wrong_gradient"] > 10 * f["mse_wrong_gradient"]
    assert f["ce_wrong_median"] * 10 < f["mse_wrong_median"]
    assert f["ce_reached_pct"] == 100 > f["mse_reached_pct"]
    assert f["ce_median"] < f["mse_median"]


def median(updates: torch.Tensor) -> float:
    return torch.quantile(updates.flatten(), 0.5, interpolation="lower").item()


def test_the_further_wrong_the_start_the_longer_the_mse_takes(facts):
    f = facts["losses"]
    tags = [f"m{-s:g}" if s < 0 else f"{s:g}" for s in loss_study.SLOPES]
    ce = [f[f"ce_slope_{t}"] for t in tags]
    mse = [math.inf if f[f"mse_slope_{t}"] is None else f[f"mse_slope_{t}"] for t in tags]
    undecided_or_right = [v for s, v in zip(loss_study.SLOPES, mse, strict=True) if s >= 0]
    wrong = [v for s, v in zip(loss_study.SLOPES, mse, strict=True) if s < 0]
    # "a handful of updates" from slope 0 or more, for both losses
    assert max(undecided_or_right) <= 10 and max(ce) == f["ce_slope_max"] <= 10
    # the further wrong, the longer: every negative slope slower than any other, in order
    assert min(wrong) > max(undecided_or_right) and wrong == sorted(wrong, reverse=True)
    # "from the most wrong starts most of its runs never get there"
    assert f["mse_slope_m12_pct"] < 50 and f["mse_slope_m12"] is None


def test_the_separable_runs(facts):
    s = facts["separable"]
    checkpoints = (10, 100, 1000, 10_000)
    angles = [s[f"sgd_angle_{t}"] for t in checkpoints]
    assert angles == sorted(angles, reverse=True) and angles[-1] < 1  # it turns towards u
    assert -1 < s["sgd_slope_10000"] < 0  # falling, not yet like 1/t
    norms = [s[f"sgd_norm_{t}"] for t in checkpoints]
    gains = [b - a for a, b in itertools.pairwise(norms)]
    assert gains == sorted(gains)  # more per decade each decade: not yet log t
    for name in ("momentum", "nesterov"):  # "too, and faster", "still moving"
        assert s[f"{name}_angle_10000"] < s["sgd_angle_10000"] and s[f"{name}_moving"]
    for name in ("rmsprop", "adam"):  # still moving, within a degree over the last tenth
        assert s[f"{name}_angle_last_max"] < 1 and s[f"{name}_moving"]
    # RMSProp's angle "swings by orders of magnitude" over the last tenth
    assert s["rmsprop_angle_last_max"] > 100 * s["rmsprop_angle_last_min"]
    # Newton comes closest early, then drifts before it stops
    assert s["newton_diverged_at"] is not None and s["newton_steps_run"] < 100
    assert s["newton_angle_min_at"] < s["newton_diverged_at"]
    assert s["newton_angle_min"] < s["newton_final_angle"] / 10
    for name in ("cg", "lbfgs"):  # they stop moving
        assert not s[f"{name}_moving"] and s[f"{name}_steps_run"] == s["steps"]
        assert s[f"{name}_final_norm"] > 2 * s["sgd_final_norm"]
    assert s["margin"] > 0 and math.isclose(s["u_slope"] ** 2 + s["u_intercept"] ** 2, 1,
                                            abs_tol=1e-3)  # fmt: skip
