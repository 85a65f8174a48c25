"""SGD from scratch: data -> train() -> History, for fitting a line with PyTorch."""

from sgd_lib.checks import SettingError
from sgd_lib.data import Data, DataSpec, make_data
from sgd_lib.experiments import EXPERIMENTS, Experiment, find, make_table
from sgd_lib.loss import least_squares, mse
from sgd_lib.train import History, batch_indices, train

__all__ = [
    "EXPERIMENTS",
    "Data",
    "DataSpec",
    "Experiment",
    "History",
    "SettingError",
    "batch_indices",
    "find",
    "least_squares",
    "make_data",
    "make_table",
    "mse",
    "train",
]
