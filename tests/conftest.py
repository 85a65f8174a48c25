import pytest

from sgd_lib import DataSpec, least_squares, make_data


@pytest.fixture(scope="session")
def data():
    return make_data(DataSpec())


@pytest.fixture(scope="session")
def ols(data):
    return least_squares(data.x, data.y)
