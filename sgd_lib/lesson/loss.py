"""The loss: mean squared error, and the exact least-squares answer it is minimised by."""

import torch


# --8<-- [start:mse]
def mse(y_hat: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean squared error between predictions and targets (a 0-d tensor)."""
    return ((y_hat - y) ** 2).mean()


# --8<-- [end:mse]


def mse_hessian(x: torch.Tensor, y: torch.Tensor, a: torch.Tensor) -> torch.Tensor:
    """The MSE's Hessian over the rows x, (2/B) xᵀx: (2, 2), or (S, 2, 2) for S seeds' rows
    (S, B, 2). A quadratic's is the same at every `a`."""
    return (2 / x.shape[-2]) * x.transpose(-1, -2) @ x


def least_squares(x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """The `a` (slope, intercept) with the smallest MSE on (x, y), in float64: shape (2,)."""
    # float64 so that the reference every run is measured against carries no rounding of its own.
    solution = torch.linalg.lstsq(x.double(), y.double().unsqueeze(1)).solution
    # LAPACK's answer can differ in its last bits from call to call: twelve decimals keep
    # every digit that means anything and make every figure drawn from it byte-identical.
    return torch.round(solution.squeeze(1), decimals=12)


def mse_surface(x: torch.Tensor, y: torch.Tensor, slopes: torch.Tensor, intercepts: torch.Tensor):
    """The MSE at every (slope, intercept) of a grid: shape (len(intercepts), len(slopes))."""
    a = torch.stack(torch.meshgrid(slopes, intercepts, indexing="xy"), dim=-1)  # (I, S, 2)
    y_hat = a @ x.double().T  # (I, S, n): every grid point's predictions
    return ((y_hat - y.double()) ** 2).mean(dim=-1)
