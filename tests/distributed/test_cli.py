"""``mpirun -n 2 chainrule train --distributed``: equal to one process, rank 0 alone writes and
prints, a dead or hung rank ends the job in bounded time naming it, and --resume finishes the run.
"""

from __future__ import annotations

import json
import sys

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.distributed import EXIT_RANK_FAILURE, LAUNCHER_VARIABLES
from chainrule.train.checkpoint import read_checkpoint

from . import fault_driver

pytestmark = pytest.mark.slow

# 600 images in batches of 45: 14 steps an epoch, the last batch 15 images (8 + 7 on two ranks)
ARGS = [
    "--model",
    "shallow",
    "--limit",
    "600",
    "--epochs",
    "2",
    "--batch-size",
    "45",
    "--seed",
    "3",
    "--no-plots",
    "--no-progress",
]
STEPS_PER_EPOCH = 14
FAULT_STEP = STEPS_PER_EPOCH + 3  # in epoch 2: epoch 1's checkpoint is on disk
BOUND = 60  # seconds from launch to the end of a broken job, start-up included


def weights(path) -> dict:
    return read_checkpoint(path)[0]


def max_gap(a: dict, b: dict) -> float:
    assert a.keys() == b.keys()
    return max(float(np.abs(a[k] - b[k]).max()) for k in a)


@pytest.fixture(scope="module")
def runs(mpirun, mnist_home, tmp_path_factory):
    """One single-process run and one 2-rank run of the same configuration."""
    root = tmp_path_factory.mktemp("cli")
    mp = pytest.MonkeyPatch()
    mp.setenv("CHAINRULE_HOME", str(mnist_home))
    try:
        assert main(["train", *ARGS, "--out", str(root / "one")]) == 0
    finally:
        mp.undo()
    two = mpirun(["-m", "chainrule", "train", "--distributed", *ARGS, "--out", root / "two"])
    assert two.returncode == 0, two.output
    return root, two


def test_two_ranks_equal_one_process(runs):
    root, two = runs
    assert max_gap(weights(root / "one"), weights(root / "two")) < 2e-5
    one_records = [json.loads(s) for s in (root / "one" / "metrics.jsonl").read_text().splitlines()]
    two_records = [json.loads(s) for s in (root / "two" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in two_records] == [STEPS_PER_EPOCH, 2 * STEPS_PER_EPOCH]
    for a, b in zip(one_records, two_records):
        for key in ("train_loss", "train_acc", "val_loss", "val_acc"):
            assert a[key] == pytest.approx(b[key], rel=1e-4, abs=1e-5), key
        assert b["ranks"] == 2
    one_summary = json.loads((root / "one" / "summary.json").read_text())
    two_summary = json.loads((root / "two" / "summary.json").read_text())
    assert two_summary["test_accuracy"] == pytest.approx(one_summary["test_accuracy"], abs=2e-4)


def test_only_rank_0_prints(runs):
    _, two = runs
    assert two.stdout.count("epoch 1  loss") == 1 and two.stdout.count("epoch 2  loss") == 1
    assert two.stdout.count("test accuracy") == 1
    assert "data-parallel over 2 MPI ranks" in two.stdout


def test_killed_rank_ends_the_job_and_resume_finishes_the_run(runs, mpirun):
    root, _ = runs
    out = root / "killed"
    run = mpirun([fault_driver.__file__, 1, FAULT_STEP, "kill", "--distributed", *ARGS, "--out", out])
    assert run.returncode != 0
    assert run.seconds < BOUND
    assert "rank 1" in run.output, run.output  # mpirun: "process rank 1 with PID ... exited on signal 9"
    assert "stopped by the MPI launcher" in run.stderr  # rank 0's own word on why it stops
    _, _, info = read_checkpoint(out)  # rank 0's last checkpoint: intact, epoch 1
    assert (info["epoch"], info["step"]) == (1, STEPS_PER_EPOCH)

    resumed = mpirun(["-m", "chainrule", "train", "--distributed", "--no-progress", "--resume", out])
    assert resumed.returncode == 0, resumed.output
    assert "resumed" in resumed.stdout
    assert read_checkpoint(out)[2]["step"] == 2 * STEPS_PER_EPOCH
    assert max_gap(weights(out), weights(root / "two")) < 1e-6  # as if nothing had happened


def test_hung_rank_is_named_within_the_timeout(runs, mpirun):
    root, _ = runs
    out = root / "hung"
    run = mpirun(
        [fault_driver.__file__, 1, FAULT_STEP, "stop", "--distributed", "--dist-timeout", 4, *ARGS, "--out", out]
    )
    assert run.returncode == EXIT_RANK_FAILURE, run.output
    assert run.seconds < BOUND
    assert "chainrule [rank 0/2]: error: rank 1 (last heard at collective" in run.stderr, run.stderr
    assert f"never reached the gradient allreduce of step {FAULT_STEP + 1}" in run.stderr
    assert str(out / "checkpoints" / "last") in run.stderr
    _, _, info = read_checkpoint(out)
    assert info["epoch"] == 1


def test_distributed_outside_mpirun_is_a_clear_error(monkeypatch, capsys, tmp_path):
    for name in LAUNCHER_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    assert main(["train", "--distributed", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "must be started by an MPI launcher" in err and "mpirun -n 2 chainrule train --distributed" in err
    assert "Traceback" not in err


def test_mpirun_without_distributed_is_a_clear_error(mpirun, tmp_path):
    run = mpirun(["-m", "chainrule", "train", "--limit", "100", "--out", tmp_path / "run"], timeout=60)
    assert run.returncode != 0
    assert "as 2 processes but without --distributed" in run.stderr, run.output


def test_distributed_without_mpi4py_is_a_clear_error(monkeypatch, capsys, tmp_path):
    monkeypatch.setenv("OMPI_COMM_WORLD_SIZE", "2")
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # import mpi4py -> ImportError
    monkeypatch.setitem(sys.modules, "mpi4py.MPI", None)
    assert main(["train", "--distributed", "--out", str(tmp_path / "run")]) == 1
    err = capsys.readouterr().err
    assert "--distributed needs mpi4py" in err and "pip install 'chainrule[mpi]'" in err
