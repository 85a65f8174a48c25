import pytest
import torch

from sgd_lib import DataSpec, SettingError, least_squares, make_data, mse
from sgd_lib.lesson.training import A0


def test_shapes_and_bias_column(data):
    assert data.x.shape == (100, 2) and data.y.shape == (100,)
    assert torch.equal(data.x[:, 1], torch.ones(100))
    assert data.x[:, 0].min() >= -1 and data.x[:, 0].max() < 1
    # uniform on [-1, 1): a hundred draws spread over most of it
    assert data.x[:, 0].min() < -0.8 and data.x[:, 0].max() > 0.8


def test_noise_has_the_asked_for_spread(data):
    residual = data.y - data.x @ torch.tensor(data.spec.a_true)
    assert abs(residual.mean().item()) < 0.2
    assert 0.45 < residual.std().item() < 0.75  # sd 0.6, from 100 draws
    uniform = make_data(DataSpec(noise="uniform"))
    residual = uniform.y - uniform.x @ torch.tensor(uniform.spec.a_true)
    assert residual.min() >= 0 and residual.max() < 1  # torch.rand: U[0, 1)


def test_initial_guess_error_matches_the_lesson(data):
    # The lesson reports about 92.9 for a = (3, 10) with sd-0.6 noise (its own random draw).
    initial = mse(data.x @ torch.tensor(A0), data.y).item()
    assert initial == pytest.approx(92.9, rel=0.1)


def test_initial_guess_error_with_uniform_noise_matches_the_lesson():
    # ... and about 8 for a = (3, 2) with torch.rand noise.
    d = make_data(DataSpec(a_true=(3.0, 2.0), noise="uniform"))
    assert mse(d.x @ torch.tensor(A0), d.y).item() == pytest.approx(8.0, rel=0.15)


def test_least_squares_is_the_minimum(data, ols):
    # The normal equations hold: the residual is orthogonal to both columns of x.
    x, y = data.x.double(), data.y.double()
    torch.testing.assert_close(x.T @ (x @ ols - y), torch.zeros(2, dtype=torch.float64))
    # and it sits near the true line the noise hid
    assert torch.allclose(ols, torch.tensor(data.spec.a_true, dtype=torch.float64), atol=0.3)


def test_same_seed_same_data_other_seed_other_data():
    a, b, c = make_data(DataSpec(seed=1)), make_data(DataSpec(seed=1)), make_data(DataSpec(seed=2))
    assert torch.equal(a.x, b.x) and torch.equal(a.y, b.y)
    assert not torch.equal(a.x, c.x)


def test_global_rng_untouched():
    state = torch.random.get_rng_state()
    make_data(DataSpec(seed=7))
    assert torch.equal(state, torch.random.get_rng_state())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"n": 1}, "n"),
        ({"n": 2.5}, "n"),
        ({"a_true": (1.0,)}, "a_true"),
        ({"a_true": (1.0, float("inf"))}, "a_true"),
        ({"noise": "gaussian"}, "noise"),
        ({"sd": -0.1}, "sd"),
        ({"seed": -1}, "seed"),
        ({"scaled": True}, "scaled"),  # standardising centres x first
        ({"centred": True, "scaled": 1}, "scaled"),
    ],
)
def test_bad_data_settings_are_refused_by_name(kwargs, field):
    with pytest.raises(SettingError) as caught:
        DataSpec(**kwargs)
    assert caught.value.field == field
    assert str(caught.value).startswith("DataSpec(")


def test_mse_by_hand():
    assert mse(
        torch.tensor([1.0, 2.0, 3.0]), torch.tensor([1.0, 0.0, 0.0])
    ).item() == pytest.approx((0 + 4 + 9) / 3)


def test_least_squares_recovers_an_exact_line():
    d = make_data(DataSpec(a_true=(-2.0, 0.5), sd=0.0))
    torch.testing.assert_close(
        least_squares(d.x, d.y), torch.tensor([-2.0, 0.5], dtype=torch.float64), atol=1e-6, rtol=0
    )


def test_the_product_only_works_one_way_round(data):
    # What the data page says of shapes: x @ a gives one prediction per point; a @ x is a
    # shape error (the 2 entries of a cannot meet the 100 rows of x).
    a = torch.tensor([3.0, 10.0])
    assert (data.x @ a).shape == (100,)
    assert data.x.dim() == 2 and a.dim() == 1 and mse_rank0(data, a) == 0
    with pytest.raises(RuntimeError):
        a @ data.x


def mse_rank0(data, a) -> int:
    return ((data.x @ a - data.y) ** 2).mean().dim()  # the loss is rank 0: one number


def test_standardised_x_has_mean_0_and_sd_1_and_the_same_line():
    spec = DataSpec(x_shift=3.0, centred=True, scaled=True)
    data = make_data(spec)
    x = data.x[:, 0].double()
    assert x.mean().item() == pytest.approx(0, abs=1e-6)
    assert x.std(correction=0).item() == pytest.approx(1, abs=1e-6)
    moved = make_data(DataSpec(x_shift=3.0))
    assert torch.equal(data.y, moved.y)  # the same points, measured another way
    # x drawn = x * x_scale + x_offset: the moved data's x
    torch.testing.assert_close(data.x[:, 0] * data.x_scale + data.x_offset, moved.x[:, 0])
    # the least-squares slope is per standard deviation of x
    slope = least_squares(data.x, data.y)[0].item()
    assert slope == pytest.approx(least_squares(moved.x, moved.y)[0].item() * data.x_scale)
