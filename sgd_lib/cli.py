"""The command line: `python -m sgd_lib train --lr LR [--batch-size B] [--steps N]
[--optimizer NAME] [--momentum M] [--betas B1 B2] [--alpha A] [--eps E] [--history M]
[--schedule NAME] [--problem NAME] [--json]`.

Exit status 0 on success (a diverged run is a result, not a failure) and 2 on bad input,
with one line on stderr that names the option and what it allows; 130 on Ctrl-C.
"""

import argparse
import json
import sys

from sgd_lib.checks import Parser, SettingError, number, run_command, whole
from sgd_lib.lesson.experiments import Experiment
from sgd_lib.lesson.optimizers import HYPERS, OPTIMIZERS, SCHEDULES
from sgd_lib.lesson.problems import PROBLEMS, make
from sgd_lib.lesson.specs import ClassSpec, DataSpec
from sgd_lib.lesson.training import BLOWUP, History, summary, train

PRINT_EVERY = 10  # the lesson prints the loss every 10 updates


# The options that make an Experiment, and how their text is read.
FIELDS = {"lr": number, "batch_size": whole, "steps": whole, "seed": whole, "sampler": str,
          "optimizer": str, "schedule": str, "problem": str}  # fmt: skip
# The optimizers' hyper-parameters: each is read as numbers, whole for `history`.
HYPER_TEXT = {name: whole if name == "history" else number for name in HYPERS}


def _parser() -> tuple[Parser, Parser]:
    top = Parser(prog="python -m sgd_lib", description="SGD from scratch, on the command line.")
    commands = top.add_subparsers(dest="command", parser_class=Parser)
    run = commands.add_parser("train", help="fit the lesson's line (or another problem) and "
                              "report the result")  # fmt: skip
    # Options are read as text here and checked where each setting is made, so that an
    # error can echo exactly what was typed.
    run.add_argument("--lr", help="learning rate, > 0 (required)")
    run.add_argument("--batch-size", help="mini-batch size; omit for full batch")
    run.add_argument("--steps", default=str(Experiment.steps), help="number of updates")
    run.add_argument("--seed", default=str(Experiment.seed), help="mini-batch seed")
    run.add_argument("--sampler", default=Experiment.sampler,
                     help="random: a fresh batch per update; epoch: shuffled passes")  # fmt: skip
    run.add_argument("--data-seed", default=str(DataSpec.seed), help="seed of the data's noise")
    run.add_argument("--x-shift", help="move the data's x (uniform in [-1, 1)) by this much; "
                     f"default {DataSpec.x_shift} (the line only)")  # fmt: skip
    run.add_argument("--centred", action="store_true",
                     help="measure x from its mean (the line only)")  # fmt: skip
    run.add_argument("--problem", default=Experiment.problem,
                     help=f"what is fitted: {', '.join(PROBLEMS)}")  # fmt: skip
    run.add_argument("--optimizer", default=Experiment.optimizer,
                     help=f"the update: {', '.join(OPTIMIZERS)}")  # fmt: skip
    for h in HYPERS.values():
        run.add_argument(f"--{h.name}", nargs=h.flag_values, metavar=h.name.upper(),
                         help=f"{h.allowed}; default {h.default} (torch.optim's name)")  # fmt: skip
    run.add_argument("--schedule", default=Experiment.schedule,
                     help=f"how lr changes over the run: {', '.join(SCHEDULES)}")  # fmt: skip
    run.add_argument("--json", action="store_true", help="print one strict JSON object")
    return top, run


def _experiment(args: argparse.Namespace, run: Parser) -> Experiment:
    if args.lr is None:
        run.error("--lr is required: a learning rate, a finite number greater than 0")
    typed = {name: getattr(args, name) for name in FIELDS}
    values = {name: None if t is None else FIELDS[name](t) for name, t in typed.items()}
    for name, read in HYPER_TEXT.items():
        texts = getattr(args, name)  # a list of nargs strings, or None
        if texts is not None:
            typed[name] = " ".join(texts)
            numbers = tuple(read(t) for t in texts)
            values[name] = numbers if len(numbers) > 1 else numbers[0]
    problem = PROBLEMS.get(args.problem)
    if problem is None:
        run.error(f"--problem must be one of {', '.join(PROBLEMS)}, got {args.problem!r}")
    data_typed = {"seed": args.data_seed, "x_shift": args.x_shift}
    try:
        if isinstance(problem.spec, DataSpec):
            x_shift = DataSpec.x_shift if args.x_shift is None else number(args.x_shift)
            data = DataSpec(seed=whole(args.data_seed), x_shift=x_shift, centred=args.centred)
        else:
            for flag, given in (("--x-shift", args.x_shift is not None),
                                ("--centred", args.centred)):  # fmt: skip
                if given:
                    run.error(f"{flag} must be left out for --problem {problem.name}: it changes "
                              "the line's x, and the classes' x is drawn as the lesson draws "
                              "it")  # fmt: skip
            data = ClassSpec(seed=whole(args.data_seed), separable=problem.spec.separable)
    except SettingError as e:
        flag = "--data-seed" if e.field == "seed" else f"--{e.field.replace('_', '-')}"
        run.error(f"{flag} must be {e.allowed}, got {data_typed.get(e.field)!r}")
    try:
        return Experiment(**values, data=data)
    except SettingError as e:
        run.error(f"--{e.field.replace('_', '-')} must be {e.allowed}, got {typed[e.field]!r}")


def _progress(t: int, loss: float) -> None:
    """Every PRINT_EVERY-th step as it happens: a long run shows it is running (100,000
    updates take about a minute), and a pipe (`| tail -f`) sees each line when it is made."""
    if t % PRINT_EVERY == 0:
        print(f"step {t:>5}  loss {loss:.4f}", flush=True)


def _print_end(h: History, answer: list[float] | None, answer_is: str) -> None:
    """What follows the progress: the last step if it was not printed, then the answer."""
    if h.steps_run % PRINT_EVERY:
        print(f"step {h.steps_run:>5}  loss {h.loss[-1].item():.4f}")
    if h.diverged:
        print(
            f"diverged at step {h.diverged_at}: the loss passed {BLOWUP:g}x the initial "
            "guess's; the numbers above are the last ones before it"
        )
    slope, intercept = h.params[-1].tolist()
    end = f"a = ({slope:.4f}, {intercept:.4f})"
    if answer is None:
        print(f"{end}   the answer: {answer_is}")
    else:
        name = "least squares" if h.experiment.problem == "line" else "the minimiser"
        print(f"{end}   {name}: ({answer[0]:.4f}, {answer[1]:.4f})")


def main(argv: list[str] | None = None) -> int:
    top, run = _parser()
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and not argv[0].startswith("-") and argv[0] != "train":
        top.error(f"the command must be train, got {argv[0]!r}")
    if argv and argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        rest = [a for a in argv if a not in ("train", "--")]
        top.error(f"the command comes first: train {' '.join(rest)}")
    args, extra = top.parse_known_args(argv)
    if args.command is None:
        top.error("a command is required: train (python -m sgd_lib train --help)")
    run.reject(extra)
    experiment = _experiment(args, run)
    if sys.stdout is None:  # started with stdout closed (`>&-`): the result would be lost
        print("python -m sgd_lib: error: standard output is closed; nowhere to write the result",
              file=sys.stderr)  # fmt: skip
        return 1
    data = make(experiment.data)
    h = train(data, experiment, on_step=None if args.json else _progress)
    record = summary(h, data)
    if args.json:
        # allow_nan=False: strict JSON, and a loud failure if a NaN ever slipped through.
        record |= record.pop("hyper")  # torch.optim's names, beside the optimizer's
        print(json.dumps(record, allow_nan=False))
    else:
        _print_end(h, record["answer"], record["answer_is"])
    return 0


if __name__ == "__main__":
    sys.exit(run_command("python -m sgd_lib", main))
