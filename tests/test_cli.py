import json
import subprocess
import sys

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
    (["--lr", "0.1", "--momentum", "0.9"], "--momentum", "allowed: --help, --lr"),
    (["--batch-size", "4"], "--lr", "required"),
]


@pytest.mark.parametrize(("args", "option", "allowed"), BAD, ids=[" ".join(b[0]) for b in BAD])
def test_bad_input_is_one_clear_line_and_status_2(capsys, args, option, allowed):
    status, out, err = run_main(capsys, "train", *args)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1, err
    assert option in err and allowed in err
    assert "Traceback" not in err


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
