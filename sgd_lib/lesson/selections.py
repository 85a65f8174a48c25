"""The comparisons the site draws, as the 2019 write-up makes them: which runs of the
experiments table each figure sets side by side.

Plain Python with no torch import, as the table is."""

from dataclasses import replace

from sgd_lib.lesson.experiments import (
    CENTRED,
    ILL,
    SAMPLERS,
    SCHEDULE_BATCH_SIZE,
    SCHEDULE_STEPS,
    SLOW_STEPS,
    STANDARDISED,
    DataSpec,
    Experiment,
)
from sgd_lib.lesson.optimizers import OPTIMIZERS, SCHEDULES

SWEEP_BATCH_SIZE = 16  # learning rates are compared at this batch size
SWEEP_LR = 0.1  # batch sizes are compared at this learning rate
PATH_BATCH_SIZES = (16, 1)  # SGD runs drawn beside gradient descent in parameter space
JITTER_LRS = (0.01, 0.1)  # where the runs end is compared at these learning rates


def is_lesson(e: Experiment) -> bool:
    """A run of the lesson's own kind: SGD (or GD) at a constant rate, on the default data."""
    return (e.optimizer == "sgd" and e.schedule == "constant" and e.data == DataSpec()
            and not e.picked)  # fmt: skip


def lesson(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in table if is_lesson(e))


def lr_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in lesson(table) if e.batch_size == SWEEP_BATCH_SIZE)


def bs_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    return tuple(e for e in lesson(table) if e.lr == SWEEP_LR and e.batch_size is not None)


def gradient_descent(table: tuple[Experiment, ...]) -> Experiment:
    return next(e for e in lesson(table) if e.batch_size is None and e.lr == SWEEP_LR)


def path_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, then the SGD runs whose paths are drawn beside it."""
    sgd = [e for b in PATH_BATCH_SIZES for e in bs_sweep(table) if e.batch_size == b]
    return (gradient_descent(table), *sgd)


SAMPLER_BATCH_SIZES = (1, 16)  # the two samplers are compared at these batch sizes, lr 0.1


def sampler_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """The batch-size sweep's runs at SAMPLER_BATCH_SIZES, with each sampler."""
    runs = [e for e in bs_sweep(table) if e.batch_size in SAMPLER_BATCH_SIZES]
    return tuple(replace(e, sampler=s) for e in runs for s in SAMPLERS)


def jitter_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every mini-batch run at the two learning rates that converge: where they end."""
    return tuple(e for e in lesson(table) if e.batch_size is not None and e.lr in JITTER_LRS)


def numbers_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, and the largest batch at the largest learning rate (lr 1 in the
    site's table) run SLOW_STEPS updates: does it stay on the rails if given the time?"""
    sgd = [e for e in lesson(table) if e.batch_size is not None]
    if not sgd:
        return (gradient_descent(table),)
    big = max(sgd, key=lambda e: (e.lr, e.batch_size))
    return gradient_descent(table), replace(big, steps=max(big.steps, SLOW_STEPS))


def _in_registry_order(runs) -> tuple[Experiment, ...]:
    """The runs in the registry's order of optimizers; none if SGD is all there is (a
    comparison of optimizers needs more than one)."""
    order = list(OPTIMIZERS)
    runs = sorted(runs, key=lambda e: order.index(e.optimizer))
    return tuple(runs) if any(e.optimizer != "sgd" for e in runs) else ()


def optimizer_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer with the full batch on the lesson's data: gradient descent first."""
    full = [e for e in table if e.batch_size is None and e.data == DataSpec()
            and e.schedule == "constant" and not e.picked
            and (e.optimizer != "sgd" or e.lr == SWEEP_LR)]  # fmt: skip
    return _in_registry_order(full)


def minibatch_optimizer_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """SGD and the optimizers run with mini-batches at SWEEP_BATCH_SIZE and SWEEP_LR."""
    runs = [e for e in table if e.batch_size == SWEEP_BATCH_SIZE and e.lr == SWEEP_LR
            and e.data == DataSpec() and e.schedule == "constant" and not e.picked]  # fmt: skip
    return _in_registry_order(runs)


def ill_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer on the ill-conditioned data (x moved, not centred)."""
    return _in_registry_order(e for e in table if e.data == ILL and not e.picked)


CONDITIONING_OPTIMIZERS = ("sgd", "momentum", "newton")  # their paths on the narrow valley


def conditioning_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent, momentum and Newton on the ill-conditioned data, then gradient
    descent on the same points with x centred."""
    ill = [e for e in ill_runs(table) if e.optimizer in CONDITIONING_OPTIMIZERS]
    return (*ill, *(e for e in table if e.data in (CENTRED, STANDARDISED) and e.optimizer == "sgd"
                    and not e.picked))  # fmt: skip


def schedule_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """The batch-size sweep's smallest batch, run SCHEDULE_STEPS updates with each schedule."""
    runs = [e for e in bs_sweep(table) if e.batch_size == SCHEDULE_BATCH_SIZE]
    return tuple(replace(e, steps=SCHEDULE_STEPS, schedule=s) for e in runs for s in SCHEDULES)


# ---- classification ------------------------------------------------------------------------
CLASS_SWEEP_LR = 1.0  # the classes' batch sizes are compared at this learning rate


def class_runs(table: tuple[Experiment, ...], problem: str = "logistic") -> tuple[Experiment, ...]:
    return tuple(e for e in table if e.problem == problem and not e.picked)


def class_grid(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """The lesson's own kind of run on the overlapping classes: SGD (or GD) at a constant
    rate, every learning rate and batch size of the table."""
    return tuple(e for e in class_runs(table) if e.optimizer == "sgd" and e.schedule == "constant")


def class_lr_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """SGD on the overlapping classes at SWEEP_BATCH_SIZE, by learning rate."""
    runs = [e for e in class_runs(table) if e.optimizer == "sgd" and e.schedule == "constant"
            and e.batch_size == SWEEP_BATCH_SIZE]  # fmt: skip
    return tuple(sorted(runs, key=lambda e: e.lr))


def class_bs_sweep(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """SGD on the overlapping classes at CLASS_SWEEP_LR, by batch size."""
    runs = [e for e in class_runs(table) if e.optimizer == "sgd" and e.schedule == "constant"
            and e.lr == CLASS_SWEEP_LR and e.batch_size is not None]  # fmt: skip
    return tuple(sorted(runs, key=lambda e: e.batch_size))


def class_race(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer with the full batch on the overlapping classes (SGD at CLASS_SWEEP_LR)."""
    return _in_registry_order(e for e in class_runs(table) if e.batch_size is None
                              and (e.optimizer != "sgd" or e.lr == CLASS_SWEEP_LR))  # fmt: skip


def class_gd(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Gradient descent on the overlapping classes at each of its rates, then Newton."""
    gd = sorted((e for e in class_runs(table) if e.batch_size is None and e.optimizer == "sgd"),
                key=lambda e: e.lr)  # fmt: skip
    newton = [e for e in class_runs(table) if e.batch_size is None and e.optimizer == "newton"]
    return (*gd, *newton) if gd and newton else ()


def separable_runs(table: tuple[Experiment, ...]) -> tuple[Experiment, ...]:
    """Every optimizer on the separable classes, in the registry's order."""
    return _in_registry_order(class_runs(table, "logistic-separable"))
