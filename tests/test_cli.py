import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

from sgd_lib import DataSpec, Experiment, least_squares, make_data, train
from sgd_lib.cli import main

CONTRACT = {"params", "loss", "initial_loss", "ols", "diverged", "diverged_at"}


def reject_constant(name):
    raise ValueError(f"not strict JSON: {name}")


def run_main(capsys, *argv):
    try:
        status = main(list(argv))
    except SystemExit as stop:
        status = stop.code
    out, err = capsys.readouterr()
    return status, out, err


def test_json_contract_in_a_real_process(ols):
    done = subprocess.run(
        [sys.executable, "-m", "sgd_lib", "train", "--lr", "0.1", "--json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert done.stderr == ""
    record = json.loads(done.stdout, parse_constant=reject_constant)
    assert record.keys() >= CONTRACT
    assert record["diverged"] is False and record["diverged_at"] is None
    assert record["ols"] == pytest.approx(ols.tolist())
    assert record["params"] == pytest.approx(record["ols"], abs=0.05)
    assert record["initial_loss"] == pytest.approx(92.9, rel=0.1)
    assert record["loss"] < record["initial_loss"] / 100


def test_json_matches_the_library(capsys, data):
    status, out, _ = run_main(capsys, "train", "--lr", "0.1", "--batch-size", "4", "--seed", "9",
                              "--steps", "30", "--json")  # fmt: skip
    assert status == 0
    record = json.loads(out)
    h = train(data, Experiment(0.1, 4, steps=30, seed=9))
    assert record["params"] == h.params[-1].tolist()
    assert record["loss"] == h.loss[-1].item()
    assert record["steps_run"] == 30


def test_data_seed_changes_the_data_and_its_answer(capsys):
    status, out, _ = run_main(capsys, "train", "--lr", "0.1", "--data-seed", "3", "--json")
    assert status == 0
    d = make_data(DataSpec(seed=3))
    assert json.loads(out)["ols"] == pytest.approx(least_squares(d.x, d.y).tolist())


@pytest.mark.parametrize("lr", ["1.0", "1e30"])
def test_diverged_run_is_strict_json(capsys, lr):
    status, out, _ = run_main(capsys, "train", "--lr", lr, "--batch-size", "1", "--json")
    assert status == 0
    record = json.loads(out, parse_constant=reject_constant)
    assert record["diverged"] is True and isinstance(record["diverged_at"], int)
    assert record["steps_run"] == record["diverged_at"] - 1


def test_plain_output_prints_the_loss_every_ten_steps(capsys):
    status, out, _ = run_main(capsys, "train", "--lr", "0.1", "--steps", "25")
    assert status == 0
    lines = out.splitlines()
    steps = [int(line.split()[1]) for line in lines if line.startswith("step")]
    assert steps == [0, 10, 20, 25]
    assert lines[-1].startswith("a = (") and "least squares" in lines[-1]


def test_plain_output_says_when_a_run_diverged(capsys):
    status, out, _ = run_main(capsys, "train", "--lr", "1.0", "--batch-size", "1")
    assert status == 0
    assert "diverged at step" in out and "nan" not in out.lower() and "inf" not in out.lower()


BAD = [
    (["--lr", "-0.1"], "--lr", "greater than 0"),
    (["--lr", "0"], "--lr", "greater than 0"),
    (["--lr", "nan"], "--lr", "finite"),
    (["--lr", "inf"], "--lr", "finite"),
    (["--lr", "fast"], "--lr", "finite number"),
    (["--lr", "0.1", "--batch-size", "0"], "--batch-size", "from 1 to n (100)"),
    (["--lr", "0.1", "--batch-size", "101"], "--batch-size", "from 1 to n (100)"),
    (["--lr", "0.1", "--batch-size", "2.5"], "--batch-size", "whole number"),
    (["--lr", "0.1", "--steps", "0"], "--steps", "from 1 to"),
    (["--lr", "0.1", "--steps", "-5"], "--steps", "from 1 to"),
    (["--lr", "0.1", "--seed", "-1"], "--seed", "from 0 to 18446744073709551615"),
    (["--lr", "0.1", "--data-seed", "x"], "--data-seed", "whole number"),
    # An optimizer's hyper-parameters: only its own, within torch.optim's limits.
    (["--lr", "0.1", "--momentum", "0.9"], "--momentum", "sgd takes no momentum"),
    (
        ["--lr", "0.1", "--optimizer", "adam", "--momentum", "0.9"],
        "--momentum",
        "adam takes no momentum (it takes: betas, eps)",
    ),
    (
        ["--lr", "0.1", "--optimizer", "adam", "--betas", "0.9", "1"],
        "--betas",
        "each from 0 up to (not including) 1, got '0.9 1'",
    ),
    (["--lr", "0.1", "--optimizer", "adam", "--betas", "-0.1", "0.9"], "--betas", "from 0 up"),
    (
        ["--lr", "0.1", "--optimizer", "adam", "--betas", "0.9"],
        "--betas",
        "expected 2 arguments (--betas: two numbers, each from 0 up to",
    ),
    (["--lr"], "--lr", "expected one argument (--lr: learning rate, > 0"),
    (["--lr", "--", "0.1"], "--lr", "expected one argument (--lr: learning rate, > 0"),
    (["--lr", "0.1", "--optimizer", "momentum", "--momentum", "1"], "--momentum", "up to (not"),
    (["--lr", "0.1", "--optimizer", "rmsprop", "--alpha", "nan"], "--alpha", "got 'nan'"),
    (["--lr", "0.1", "--optimizer", "rmsprop", "--eps", "0"], "--eps", "greater than 0"),
    (["--lr", "0.1", "--optimizer", "lbfgs", "--history", "2.5"], "--history", "from 1 to 1000"),
    (["--lr", "0.1", "--optimizer", "cg", "--batch-size", "4"], "--batch-size", "omitted (full"),
    (["--lr", "0.1", "--optimizer", "lbfgs", "--batch-size", "4"], "--batch-size", "omitted"),
    (
        ["--lr", "0.1", "--optimizer", "newton", "--batch-size", "1"],
        "--batch-size",
        "at least 2 for newton",
    ),
    (["--lr", "0.1", "--optimizer", "Adam"], "--optimizer", "one of sgd, momentum, nesterov"),
    (["--lr", "0.1", "--schedule", "linear"], "--schedule", "constant, step, inverse, cosine"),
    (["--lr", "0.1", "--x-shift", "1e3"], "--x-shift", "from -100 to 100, got '1e3'"),
    # A negative number in scientific notation is a value, not an unknown option.
    (["--lr", "-1e-3"], "--lr", "greater than 0, got '-1e-3'"),
    (["--lr", "0.1", "--x-shift", "-5E+3"], "--x-shift", "from -100 to 100, got '-5E+3'"),
    (["--lr", "0.1", "--optimizer", "adam", "--betas", "0.5", "-1e-1"], "--betas", "'0.5 -1e-1'"),
    (["--lr", "0.1", "--optimizer", "adam", "--eps", "1", "--eps", "2"], "--eps", "twice"),
    (["--batch-size", "4"], "--lr", "is required: a learning rate, a finite number greater than 0"),
    # A number is a plain decimal or scientific literal, echoed as it was typed.
    (["--lr", "0_1"], "--lr", "greater than 0, got '0_1'"),
    (["--lr", "\uff10.\uff11"], "--lr", "greater than 0, got '\uff10.\uff11'"),
    (["--lr", " 0.1"], "--lr", "greater than 0, got ' 0.1'"),
    (["--lr", "1e309"], "--lr", "greater than 0, got '1e309'"),
    (["--lr", "0.1", "--steps", "1_0"], "--steps", "got '1_0'"),
    (["--lr", "0.1", "--batch-size", "\u00b2"], "--batch-size", "got '\u00b2'"),
    (["--lr", "0.1", "--seed", "18446744073709551616"], "--seed", "from 0 to 18446744073709551615"),
    (["--lr", "0.1", "--data-seed", "1e3"], "--data-seed", "from 0 to 18446744073709551615"),
    (["--lr", "0.1", "--seed", "1" * 5000], "--seed", "got '1111"),  # more than int() reads
    (["--lr", "0.1", "--steps", "9" * 5000], "--steps", "got '9999"),
    # Given once, spelled out.
    (["--lr", "0.1", "--lr", "1"], "--lr", "is given twice; give it once"),
    (["--lr=0.1", "--lr=1"], "--lr", "is given twice; give it once"),
    (["--lr", "0.1", "--json", "--json"], "--json", "is given twice; give it once"),
    (["--l", "0.1"], "--l 0.1", "unrecognized arguments"),
]


@pytest.mark.parametrize(("args", "option", "allowed"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_one_clear_line_and_status_2(capsys, args, option, allowed):
    status, out, err = run_main(capsys, "train", *args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert option in err and allowed in err
    assert "Traceback" not in err


# Every numeric option, and what it needs beside it to be taken.
NUMERIC = {"--lr": [], "--batch-size": [], "--steps": [], "--seed": [], "--data-seed": [],
           "--x-shift": [], "--momentum": ["--optimizer", "momentum"],
           "--alpha": ["--optimizer", "rmsprop"], "--eps": ["--optimizer", "rmsprop"],
           "--history": ["--optimizer", "lbfgs"]}  # fmt: skip


@pytest.mark.parametrize("option", NUMERIC)
def test_every_numeric_option_takes_a_negative_number_in_scientific_notation(capsys, option):
    # argparse knows only "-5" and "-0.5" as negative numbers: "-5e2" was an unknown option,
    # "expected one argument", where "--x-shift=-5e2" was read.
    lr = [] if option == "--lr" else ["--lr", "0.1"]
    status, out, err = run_main(capsys, "train", *lr, *NUMERIC[option], option, "-5e2")
    assert (status, out) == (2, "")
    assert f"error: {option} must be " in err and err.endswith(", got '-5e2'\n"), err
    assert err.count("\n") == 1


def test_a_negative_number_in_scientific_notation_is_read_as_with_an_equals_sign(capsys):
    shifts = (["--x-shift", "-5e-1"], ["--x-shift=-5e-1"], ["--x-shift", "-0.5"])
    runs = [run_main(capsys, "train", "--lr", "0.1", "--steps", "3", "--json", *shift)
            for shift in shifts]  # fmt: skip
    assert runs[0][0] == 0 and runs[0] == runs[1] == runs[2]
    assert json.loads(runs[0][1])["x_shift"] == -0.5


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--lr", "0.1"], "the command comes first: train --lr 0.1"),
        (["trian", "--lr", "0.1"], "the command must be train, got 'trian'"),
        (["--lr", "0.1", "train"], "the command comes first: train --lr 0.1"),
    ],
)
def test_a_command_out_of_place_is_one_line(capsys, argv, says):
    status, out, err = run_main(capsys, *argv)
    assert status == 2 and out == "" and err == f"python -m sgd_lib: error: {says}\n"


def test_the_largest_seed_is_a_seed(capsys):
    largest = str(2**64 - 1)
    status, out, _ = run_main(capsys, "train", "--lr", "0.1", "--batch-size", "4", "--steps",
                              "3", "--seed", largest, "--data-seed", largest)  # fmt: skip
    assert status == 0 and out.splitlines()[-1].startswith("a = (")


def test_no_command_says_which_there_are(capsys):
    status, out, err = run_main(capsys)
    assert status == 2 and out == ""
    assert err == "python -m sgd_lib: error: a command is required: train " \
        "(python -m sgd_lib train --help)\n"  # fmt: skip


TRAIN = [sys.executable, "-m", "sgd_lib", "train", "--lr", "0.1"]


@pytest.mark.parametrize("args", [["--json"], ["--steps", "5000"]], ids=["json", "long text"])
def test_a_reader_that_goes_away_ends_the_run_quietly(args):
    # The pipe is closed before the run prints: what `| head -c 10` does, every time.
    run = subprocess.Popen([*TRAIN, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    run.stdout.close()
    stderr = run.stderr.read()
    run.wait(timeout=120)
    assert stderr == b""
    assert run.returncode == 128 + signal.SIGPIPE  # as a Unix tool killed by SIGPIPE


def test_a_long_run_shows_its_progress_and_ctrl_c_mid_run_is_one_line_and_status_130(ctrl_c_able):
    # A text-mode run prints every tenth step as it goes: the first lines arrive while the
    # run (100,000 updates, about a minute) is still going, and Ctrl-C then stops it with
    # the progress so far on stdout and one line on stderr.
    run = subprocess.Popen([*TRAIN, "--batch-size", "1", "--steps", "100000"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=ctrl_c_able)  # fmt: skip
    try:
        first = [run.stdout.readline() for _ in range(3)]
        assert run.poll() is None  # still running: the lines came before the end
        run.send_signal(signal.SIGINT)
        rest, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert first[0].startswith("step     0  loss ") and first[1].startswith("step    10  loss ")
    lines = (("".join(first)) + rest).splitlines()
    steps = [int(line.split()[1]) for line in lines]
    assert all(re.fullmatch(r"step +\d+  loss \d+\.\d{4}", line) for line in lines)
    assert steps == list(range(0, 10 * len(steps), 10)) and steps[-1] < 100000
    assert run.returncode == 130
    assert err == "python -m sgd_lib: interrupted (SIGINT)\n"


@pytest.mark.parametrize("after", [0.4, 0.9, 1.4])
def test_ctrl_c_while_torch_loads_is_one_line_too(ctrl_c_able, after):
    # Raised inside torch's start-up, a KeyboardInterrupt can be swallowed there, or make
    # Python kill itself by SIGINT on the way out: the command holds it until torch is in.
    # A long run, so that a fast machine cannot finish before the signal lands: wherever it
    # lands (torch still loading, or the loop started), the answer is the same.
    run = subprocess.Popen([*TRAIN, "--batch-size", "1", "--steps", "100000", "--json"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                           preexec_fn=ctrl_c_able)  # fmt: skip
    try:
        time.sleep(after)  # the interpreter is up; torch takes a second or two more
        run.send_signal(signal.SIGINT)
        out, err = run.communicate(timeout=30)
    finally:
        run.kill()
    assert (run.returncode, out, err) == (130, "", "python -m sgd_lib: interrupted (SIGINT)\n")


def test_a_closed_or_full_stdout_is_one_line_and_optimised_python_no_crash():
    # The result is what the command is for: with nowhere to write it, it fails, as a Unix
    # tool does (`ls >&-`), naming where it could not write.
    closed = subprocess.run([*TRAIN, "--steps", "3", "--json"], preexec_fn=lambda: os.close(1),
                            stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert closed.returncode == 1 and closed.stderr == (
        "python -m sgd_lib: error: standard output is closed; nowhere to write the result\n"
    )
    with open("/dev/full", "w") as full:
        done = subprocess.run([*TRAIN, "--steps", "3"], stdout=full, stderr=subprocess.PIPE,
                              text=True)  # fmt: skip
    assert done.returncode == 1 and done.stderr == (
        "python -m sgd_lib: error: standard output: No space left on device\n"
    )
    optimised = subprocess.run([sys.executable, "-OO", *TRAIN[1:], "--steps", "3"],
                               capture_output=True, text=True)  # fmt: skip
    assert optimised.returncode == 0 and optimised.stderr == ""


@pytest.mark.parametrize("buffered", [True, False], ids=["buffered", "unbuffered"])
@pytest.mark.parametrize("args", [["-h"], ["train", "-h"], [*TRAIN[3:], "--steps", "3"]],
                         ids=["help", "train help", "result"])  # fmt: skip
def test_a_full_stdout_loses_no_output_silently(args, buffered):
    # argparse drops a failed write of its help and exits 0; a buffered stdout failed again
    # as Python flushed it on the way out ("Exception ignored", status 120).
    env = {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}
    if not buffered:
        env["PYTHONUNBUFFERED"] = "1"
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "sgd_lib", *args], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=env)  # fmt: skip
    assert (done.returncode, done.stderr) == (
        1,
        "python -m sgd_lib: error: standard output: No space left on device\n",
    )


def test_help_with_stdout_closed_is_one_line():
    done = subprocess.run([*TRAIN[:4], "-h"], preexec_fn=lambda: os.close(1),
                          stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert (done.returncode, done.stderr) == (
        1,
        "python -m sgd_lib: error: standard output: closed; nowhere to write the help\n",
    )


def test_bad_input_in_a_real_process_has_no_traceback():
    done = subprocess.run(
        [sys.executable, "-m", "sgd_lib", "train", "--lr", "nan", "--json"],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.strip() == (
        "python -m sgd_lib train: error: --lr must be a finite number greater than 0, got 'nan'"
    )


def test_json_names_the_optimizer_its_hyper_parameters_schedule_and_evaluations(capsys, data):
    status, out, _ = run_main(capsys, "train", "--lr", "0.5", "--optimizer", "adam", "--betas",
                              "0.8", "0.99", "--schedule", "cosine", "--steps", "40",
                              "--json")  # fmt: skip
    assert status == 0
    record = json.loads(out, parse_constant=reject_constant)
    e = Experiment(0.5, steps=40, optimizer="adam", betas=(0.8, 0.99), schedule="cosine")
    assert record["params"] == train(data, e).params[-1].tolist()
    assert record["optimizer"] == "adam" and record["schedule"] == "cosine"
    assert record["betas"] == [0.8, 0.99] and record["eps"] == 1e-8  # torch.optim's default
    assert record["gradient_evaluations"] == 40 and record["hessian_evaluations"] == 0
    status, out, _ = run_main(capsys, "train", "--lr", "1", "--optimizer", "cg", "--steps", "3",
                              "--json")  # fmt: skip
    record = json.loads(out)
    assert record["gradient_evaluations"] == 6  # each update's exact line search costs one more
    assert record["distance"] < 1e-4
    status, out, _ = run_main(capsys, "train", "--lr", "0.1", "--optimizer", "momentum", "--json")
    assert json.loads(out)["momentum"] == 0.9  # the default the issue names
