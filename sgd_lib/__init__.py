"""SGD from scratch: experiments -> train() -> History -> render, for fitting a line with PyTorch.

Names are loaded on first use, so that `import sgd_lib.lesson.experiments` stays free of torch.
"""

import importlib

_HOMES = {
    "SettingError": "sgd_lib.checks",
    "EXPERIMENTS": "sgd_lib.lesson.experiments",
    "DataSpec": "sgd_lib.lesson.experiments",
    "Experiment": "sgd_lib.lesson.experiments",
    "find": "sgd_lib.lesson.experiments",
    "make_table": "sgd_lib.lesson.experiments",
    "Data": "sgd_lib.lesson.data",
    "make_data": "sgd_lib.lesson.data",
    "least_squares": "sgd_lib.lesson.loss",
    "mse": "sgd_lib.lesson.loss",
    "History": "sgd_lib.lesson.training",
    "batch_indices": "sgd_lib.lesson.training",
    "train": "sgd_lib.lesson.training",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'sgd_lib' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
