"""SGD from scratch: experiments -> train() -> History -> render, for fitting a line with PyTorch.

Names are loaded on first use, so that `import sgd_lib.experiments` stays free of torch.
"""

import importlib

_HOMES = {
    "SettingError": "sgd_lib.checks",
    "EXPERIMENTS": "sgd_lib.experiments",
    "DataSpec": "sgd_lib.experiments",
    "Experiment": "sgd_lib.experiments",
    "find": "sgd_lib.experiments",
    "make_table": "sgd_lib.experiments",
    "Data": "sgd_lib.data",
    "make_data": "sgd_lib.data",
    "least_squares": "sgd_lib.loss",
    "mse": "sgd_lib.loss",
    "History": "sgd_lib.training",
    "batch_indices": "sgd_lib.training",
    "train": "sgd_lib.training",
}
__all__ = sorted(_HOMES)


def __getattr__(name: str):
    if name not in _HOMES:
        raise AttributeError(f"module 'sgd_lib' has no attribute {name!r}")
    return getattr(importlib.import_module(_HOMES[name]), name)
