"""How a run is named, in figure titles and on the pages alike.

Torch-free, so the pages can use it; it is rendering code, so a change here re-renders the
figures whose titles it writes.
"""

from sgd_lib.lesson.optimizers import OPTIMIZERS


def method_label(batch_size: int | None, optimizer: str = "sgd") -> str:
    """ "gradient descent", "SGD, batch size 16", "Adam, full batch", "Adam, batch size 16"."""
    if optimizer == "sgd":
        return "gradient descent" if batch_size is None else f"SGD, batch size {batch_size}"
    title = OPTIMIZERS[optimizer].title
    title = title[0].upper() + title[1:]
    return f"{title}, " + ("full batch" if batch_size is None else f"batch size {batch_size}")


PICKED_WORDS = {"tuned": "tuned", "theory": "the theory's best", "same-step": "SGD's step"}


def run_label(lr: float, batch_size: int | None, optimizer: str = "sgd",
              schedule: str = "constant", x_shift: float = 0.0,
              centred: bool = False, hyper: dict | None = None,
              picked: str = "", scaled: bool = False) -> str:  # fmt: skip
    """The run's settings in words: "gradient descent, lr 0.1" or "SGD, batch size 16, lr 1";
    an optimizer other than SGD, a schedule and a moved or centred x are named too, and a
    run whose settings were picked (sgd_lib.lesson.protocols) says so, with its momentum."""
    label = f"{method_label(batch_size, optimizer)}, lr {lr:g}"
    if picked and hyper and "momentum" in hyper:
        label += f", momentum {hyper['momentum']:g}"
    if picked:
        label += f" ({PICKED_WORDS[picked]})"
    if schedule != "constant":
        label += f" ({schedule} decay)"
    if centred:
        label += ", x standardised" if scaled else ", x centred"
    elif x_shift:
        label += f", x moved by {x_shift:g}"
    return label


def short_label(batch_size: int | None, optimizer: str = "sgd") -> str:
    """A panel's or a legend's name for the method: "GD", "SGD 16", "Adam", "Adam 16"."""
    if optimizer == "sgd":
        return "gradient descent" if batch_size is None else f"SGD, batch {batch_size}"
    title = OPTIMIZERS[optimizer].title
    return title if batch_size is None else f"{title}, batch {batch_size}"
