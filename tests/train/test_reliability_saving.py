"""A diverged state is never saved, and the message names a checkpoint that
exists and is good (or says there is none); a save that cannot be written (disk full, read-only
folder) is one clear error naming the folder, the old checkpoint intact and no ``last.tmp`` left.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from chainrule.train import Callback, DivergenceError, checkpoint, read_checkpoint
from chainrule.train.checkpoint import CheckpointError, read_info, save_checkpoint

from .tiny_run import STEPS, make_trainer

ROOT = Path(__file__).resolve().parents[2]


def listing(run: Path) -> list[str]:
    return sorted(p.name for p in (run / "checkpoints").iterdir())


def good(folder: Path) -> None:
    """The checkpoint exists, loads, and holds only finite numbers."""
    weights, optimizer, info = read_checkpoint(folder)
    assert all(np.isfinite(w).all() for w in weights.values())
    assert all(np.isfinite(v).all() for entry in optimizer["state"].values() for v in entry.values())
    assert all(v is None or np.isfinite(v) for r in info["history"] for v in r.values() if not isinstance(v, str))


# --- divergence ---------------------------------------------------------------------------------------------
def test_a_nan_validation_loss_is_not_saved_and_the_message_names_the_good_checkpoint(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(1)
    before = (tmp_path / "checkpoints" / "last" / "model.safetensors").read_bytes()
    trainer.val_data = (trainer.val_data[0] * np.float32(np.nan), trainer.val_data[1])  # train loss stays finite
    last = tmp_path / "checkpoints" / "last"
    with pytest.raises(
        DivergenceError,
        match=rf"the val loss became nan at the end of epoch 2 \(global step "
        rf"{2 * STEPS}\); the last good checkpoint is {last} \(epoch 1, "
        rf"step {STEPS}\)",
    ):
        trainer.fit(2)
    assert (last / "model.safetensors").read_bytes() == before and listing(tmp_path) == ["best", "last"]
    good(last)
    assert read_info(last)["epoch"] == 1


def test_diverging_in_epoch_1_says_nothing_was_saved(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.augment = lambda batch, rng: batch * np.float32(np.nan) if rng.random() < 0.2 else batch
    with pytest.raises(
        DivergenceError,
        match=r"training diverged: the loss became nan at epoch 1, step \d+ "
        r"\(global step \d+\); nothing was saved \(no checkpoint before it "
        r"was good\)\. Try a smaller learning rate\.$",
    ):
        trainer.fit(2)
    assert not (tmp_path / "checkpoints").exists() or listing(tmp_path) == []


class InfWeights(Callback):
    """After the last step of epoch 2, a weight becomes infinite (the loss of that step was finite)."""

    def after_step(self, trainer, loss: float) -> None:
        if trainer.step + 1 == 2 * STEPS:
            trainer.model[0].weight._data[0, 0, 0, 0] = np.inf


def test_non_finite_weights_are_not_saved_even_when_no_metric_shows_it(tmp_path):
    trainer = make_trainer(tmp_path, callbacks=[InfWeights()])
    trainer.val_data = None  # no validation loss to give it away
    with pytest.raises(
        DivergenceError,
        match=r"weight 0.weight holds NaN or infinity at the end of epoch 2.*"
        r"the last good checkpoint is .*last \(epoch 1",
    ):
        trainer.fit(3)
    good(tmp_path / "checkpoints" / "last")
    assert read_info(tmp_path)["epoch"] == 1 and listing(tmp_path) == ["last"]


def test_ctrl_c_with_non_finite_weights_saves_nothing(tmp_path):
    class InfThenStop(Callback):
        def on_epoch_end(self, trainer, record) -> None:
            pass

        def after_step(self, trainer, loss: float) -> None:
            if trainer.step + 1 == STEPS + 3:
                trainer.model[0].weight._data[...] = np.nan
                trainer._interrupt.requested = True  # as the first Ctrl-C does

    lines = []
    trainer = make_trainer(tmp_path, callbacks=[InfThenStop()], log=lines.append)
    assert trainer.fit(3).stopped == "interrupted"
    assert "weight 0.weight holds NaN or infinity, so this state is not saved; the last good checkpoint is" in lines[-1]
    good(tmp_path / "checkpoints" / "last")
    assert read_info(tmp_path)["epoch"] == 1


# --- a save that cannot be written --------------------------------------------------------------------------
DISK_FULL = """
import resource, signal, sys
from chainrule.train.checkpoint import CheckpointError
from tests.train.tiny_run import make_trainer
trainer = make_trainer(sys.argv[1])
trainer.fit(1)
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))  # model.safetensors is larger: the disk is 'full'
try:
    trainer.fit(2)
except CheckpointError as err:
    print(err)
"""


def test_disk_full_during_a_save_is_one_clear_error_and_leaves_the_old_checkpoint(tmp_path):
    done = subprocess.run(
        [sys.executable, "-c", DISK_FULL, str(tmp_path)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "checkpoints"
    assert done.stdout.strip() == (
        f"{folder}: cannot write checkpoint 'last' (File too large); the previous "
        f"checkpoint {folder / 'last'} is intact"
    )
    assert listing(tmp_path) == ["best", "last"]  # no last.tmp, no last.old
    good(folder / "last")
    assert read_info(tmp_path)["epoch"] == 1


def test_a_failed_first_save_says_nothing_was_saved(tmp_path, monkeypatch):
    def full(path, data):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(checkpoint, "_write_synced", full)
    with pytest.raises(
        CheckpointError,
        match=r"ck: cannot write checkpoint 'last' \(No space left on device\); "
        r"no checkpoint was saved",
    ):
        save_checkpoint(tmp_path / "ck" / "last", make_trainer().model)
    assert list((tmp_path / "ck").iterdir()) == []


ROOT_SKIP = (
    "root ignores chmod (CI runs as root): test_a_read_only_folder_for_any_user and the disk-full "
    "test (RLIMIT_FSIZE) cover the failing write"
)


@pytest.mark.skipif(os.geteuid() == 0, reason=ROOT_SKIP)
def test_a_read_only_checkpoint_folder_is_one_clear_error(tmp_path):
    trainer = make_trainer(tmp_path)
    trainer.fit(1)
    folder = tmp_path / "checkpoints"
    folder.chmod(0o555)
    try:
        with pytest.raises(
            CheckpointError,
            match=rf"{folder}: cannot write checkpoint 'last' \(Permission denied\); "
            rf"the previous checkpoint {folder / 'last'} is intact",
        ):
            trainer.fit(2)
    finally:
        folder.chmod(0o755)
    assert listing(tmp_path) == ["best", "last"]
    good(folder / "last")


def test_a_read_only_folder_for_any_user(tmp_path, monkeypatch):
    """The read-only case for any user: the folder refuses the new ``last.tmp`` as a read-only one does."""
    trainer = make_trainer(tmp_path)
    trainer.fit(1)
    mkdir = Path.mkdir

    def read_only(self, *args, **kwargs):
        if self.name.endswith(".tmp"):
            raise PermissionError(13, "Permission denied", str(self))
        return mkdir(self, *args, **kwargs)

    monkeypatch.setattr(Path, "mkdir", read_only)
    folder = tmp_path / "checkpoints"
    with pytest.raises(
        CheckpointError,
        match=rf"{folder}: cannot write checkpoint 'last' \(Permission denied\); "
        rf"the previous checkpoint {folder / 'last'} is intact",
    ):
        trainer.fit(2)
    assert listing(tmp_path) == ["best", "last"]
    good(folder / "last")
