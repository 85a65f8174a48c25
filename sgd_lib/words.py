"""How a run is named, in figure titles and on the pages alike.

Torch-free, so the pages can use it; it is rendering code, so a change here re-renders the
figures whose titles it writes.
"""


def run_label(lr: float, batch_size: int | None) -> str:
    """The run's settings in words: "gradient descent, lr 0.1" or "SGD, batch size 16, lr 1"."""
    how = "gradient descent" if batch_size is None else f"SGD, batch size {batch_size}"
    return f"{how}, lr {lr:g}"
