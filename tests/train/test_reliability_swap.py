"""A crash between the two renames of a checkpoint swap is recovered everywhere.

A subprocess dies (os._exit) right after ``last`` -> ``last.old`` and before ``last.tmp`` -> ``last``;
every way of naming the run then finds the newest complete checkpoint (the ``.tmp``), and the next
save finishes the swap. The other states a crash can leave are checked too.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.train import load_weights, read_checkpoint
from chainrule.train.checkpoint import CheckpointError, read_info, resolve, save_checkpoint

from .tiny_run import STEPS, make_trainer, weights

ROOT = Path(__file__).resolve().parents[2]
CRASH = """
import os, sys
from tests.train.tiny_run import make_trainer
trainer = make_trainer(sys.argv[1])
trainer.fit(1)
rename = os.replace
def crash_between_the_renames(src, dst):
    rename(src, dst)
    if str(dst).endswith("last.old"):
        os._exit(3)  # no cleanup, no finally: as a power cut or SIGKILL
os.replace = crash_between_the_renames
trainer.fit(2)
"""


@pytest.fixture(scope="module")
def crashed(tmp_path_factory):
    run = tmp_path_factory.mktemp("crashed")
    done = subprocess.run(
        [sys.executable, "-c", CRASH, str(run)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 3, done.stderr
    reference = make_trainer()
    reference.fit(2)
    return run, weights(reference.model)


def copy_run(crashed, tmp_path) -> Path:
    run = tmp_path / "run"
    shutil.copytree(crashed[0], run)
    return run


def test_the_crash_leaves_old_and_a_complete_tmp(crashed):
    run, _ = crashed
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best", "last.old", "last.tmp"]
    assert read_info(run / "checkpoints" / "last.old")["epoch"] == 1
    assert read_info(run / "checkpoints" / "last.tmp")["epoch"] == 2


@pytest.mark.parametrize("name", ["", "checkpoints", "checkpoints/last", "checkpoints/last/model.safetensors"])
def test_every_path_finds_the_newest_complete_checkpoint(crashed, name):
    run, after_two_epochs = crashed
    path = run / name if name else run
    assert resolve(path) == run / "checkpoints" / "last.tmp"
    assert read_info(path)["epoch"] == 2
    saved, _, info = read_checkpoint(path)
    assert info["step"] == 2 * STEPS
    model = make_trainer().model
    load_weights(model, path)
    for k, v in weights(model).items():
        np.testing.assert_array_equal(v, after_two_epochs[k], err_msg=k)


def test_resume_continues_and_the_next_save_finishes_the_swap(crashed, tmp_path):
    run = copy_run(crashed, tmp_path)
    trainer = make_trainer(run)
    trainer.resume(run / "checkpoints" / "last")  # the path the messages print, absent in the window
    assert (trainer.epoch, trainer.step) == (2, 2 * STEPS)
    trainer.fit(3)
    straight = make_trainer()
    straight.fit(3)
    for k, v in weights(trainer.model).items():
        np.testing.assert_array_equal(v, weights(straight.model)[k], err_msg=k)
    assert sorted(p.name for p in (run / "checkpoints").iterdir()) == ["best", "last"]
    assert read_info(run)["epoch"] == 3


def test_other_crash_states(tmp_path):
    model = make_trainer().model
    folder = tmp_path / "checkpoints" / "last"
    save_checkpoint(folder, model, info={"epoch": 1})
    tmp, old = folder.with_name("last.tmp"), folder.with_name("last.old")
    tmp.mkdir()
    (tmp / "model.safetensors").write_bytes(b"half written")  # a crash while writing: last is untouched
    assert resolve(tmp_path) == folder
    folder.rename(old)  # only .old (the .tmp incomplete: no trainer.json, written last): the .old it is
    assert resolve(tmp_path) == old and read_info(tmp_path)["epoch"] == 1
    shutil.rmtree(tmp)
    assert resolve(tmp_path / "checkpoints" / "last") == old
    save_checkpoint(folder, model, info={"epoch": 2})  # finishes the old swap first, then its own
    assert sorted(p.name for p in folder.parent.iterdir()) == ["last"] and read_info(tmp_path)["epoch"] == 2
    shutil.rmtree(folder)
    with pytest.raises(CheckpointError, match="no checkpoint here"):
        resolve(tmp_path)
