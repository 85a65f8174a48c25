"""The lesson's kind of data: points scattered around a line, with a column of ones for the
bias. The default settings are the 2019 write-up's (see DataSpec)."""

from dataclasses import dataclass

import torch

from sgd_lib.lesson.specs import ClassSpec, DataSpec


@dataclass(frozen=True, eq=False)
class Data:
    """x: (n, 2), column 0 uniform in [-1, 1) and column 1 all ones; y: (n,)."""

    x: torch.Tensor
    y: torch.Tensor
    spec: DataSpec | ClassSpec
    x_offset: float = 0.0  # what was taken off x to centre it
    x_scale: float = 1.0  # what x was divided by to standardise it: x drawn = x·x_scale + x_offset


def make_data(spec: DataSpec = DataSpec()) -> Data:
    """Build the points: y = x @ a_true + noise."""
    g = torch.Generator().manual_seed(spec.seed)
    n = spec.n
    # --8<-- [start:data]
    x = torch.ones(n, 2)
    x[:, 0].uniform_(-1.0, 1, generator=g)
    a_true = torch.tensor(spec.a_true)
    if spec.noise == "normal":
        noise = torch.randn(n, generator=g) * spec.sd
    else:
        noise = torch.rand(n, generator=g)
    y = x @ a_true + noise
    # --8<-- [end:data]
    # --8<-- [start:shift]
    if spec.x_shift:  # the same draw moved along x, under the same line
        x[:, 0] += spec.x_shift
        y = x @ a_true + noise
    offset, scale = 0.0, 1.0
    if spec.centred:  # x measured from its mean: the same points, so the same slope
        offset = x[:, 0].mean().item()
        x[:, 0] -= offset
    if spec.scaled:  # and in standard deviations: the slope is per standard deviation of x
        scale = x[:, 0].std(correction=0).item()
        x[:, 0] /= scale
    # --8<-- [end:shift]
    return Data(x=x, y=y, spec=spec, x_offset=offset, x_scale=scale)
