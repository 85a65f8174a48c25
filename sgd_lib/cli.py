"""The command line: `python -m sgd_lib train --lr LR [--batch-size B] [--steps N] [--json]`.

Exit status 0 on success (a diverged run is a result, not a failure) and 2 on bad input,
with one line on stderr that names the option and what it allows.
"""

import argparse
import json
import sys

from sgd_lib.checks import Parser, SettingError
from sgd_lib.data import make_data
from sgd_lib.experiments import DataSpec, Experiment
from sgd_lib.loss import least_squares
from sgd_lib.training import BLOWUP, History, summary, train

PRINT_EVERY = 10  # the lesson prints the loss every 10 updates


def _number(text: str) -> float | str:
    """A float if `text` is one; else the text itself, for Experiment to reject by name."""
    try:
        return float(text)
    except ValueError:
        return text


def _whole(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text


def _parser() -> tuple[Parser, Parser]:
    top = Parser(prog="python -m sgd_lib", description=__doc__.splitlines()[0])
    commands = top.add_subparsers(dest="command", required=True, parser_class=Parser)
    run = commands.add_parser("train", help="fit the lesson's line and report the result")
    run.add_argument("--lr", type=_number, required=True, help="learning rate, > 0")
    run.add_argument(
        "--batch-size", type=_whole, default=None, help="mini-batch size; omit for full batch"
    )
    run.add_argument("--steps", type=_whole, default=Experiment.steps, help="number of updates")
    run.add_argument("--seed", type=_whole, default=Experiment.seed, help="mini-batch seed")
    run.add_argument(
        "--data-seed", type=_whole, default=DataSpec.seed, help="seed of the data's noise"
    )
    run.add_argument("--json", action="store_true", help="print one strict JSON object")
    return top, run


def _experiment(args: argparse.Namespace, run: Parser) -> Experiment:
    try:
        data = DataSpec(seed=args.data_seed)
    except SettingError as e:
        run.error(f"--data-seed must be {e.allowed}, got {e.value!r}")
    try:
        return Experiment(args.lr, args.batch_size, args.steps, args.seed, data)
    except SettingError as e:
        run.error(f"--{e.field.replace('_', '-')} must be {e.allowed}, got {e.value!r}")


def _print_run(h: History, ols: list[float]) -> None:
    for t in range(0, h.steps_run + 1, PRINT_EVERY):
        print(f"step {t:>5}  loss {h.loss[t].item():.4f}")
    if h.steps_run % PRINT_EVERY:
        print(f"step {h.steps_run:>5}  loss {h.loss[-1].item():.4f}")
    if h.diverged:
        print(
            f"diverged at step {h.diverged_at}: the loss passed {BLOWUP:g}x the initial "
            "guess's; the numbers above are the last ones before it"
        )
    slope, intercept = h.params[-1].tolist()
    print(f"a = ({slope:.4f}, {intercept:.4f})   least squares: ({ols[0]:.4f}, {ols[1]:.4f})")


def main(argv: list[str] | None = None) -> int:
    top, run = _parser()
    args, extra = top.parse_known_args(argv)
    run.reject(extra)
    experiment = _experiment(args, run)
    data = make_data(experiment.data)
    h = train(data, experiment)
    if args.json:
        # allow_nan=False: strict JSON, and a loud failure if a NaN ever slipped through.
        print(json.dumps(summary(h, data), allow_nan=False))
    else:
        _print_run(h, least_squares(data.x, data.y).tolist())
    return 0


if __name__ == "__main__":
    sys.exit(main())
