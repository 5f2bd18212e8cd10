"""Whatever signal arrives when, a checkpoint holds a state the run passed through.

The main test sends real SIGINTs at random moments to a subprocess training a tiny model, in a
loop; every checkpoint it leaves must hold the weights an uninterrupted run had at that step,
with the scheduler and optimizer at that same step, and must resume to the uninterrupted run's
weights (OneCycleLR never stepping past total_steps). The in-process tests pin down each rule.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from chainrule.train import Callback, read_checkpoint
from chainrule.train.checkpoint import POSITION

from .tiny_run import EPOCHS, STEPS, TOTAL, make_trainer, straight_run, weights

ROOT = Path(__file__).resolve().parents[2]
TRIALS = 10


@pytest.fixture(scope="module")
def straight():
    return straight_run()


def assert_same(a: dict, b: dict, what: str) -> None:
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=f"{what}: {k}")


def check_checkpoint(folder: Path, straight: dict, to_the_end: bool = False) -> int:
    """The checkpoint is the uninterrupted run at its step, and resumes into it; returns that step."""
    saved, optimizer, info = read_checkpoint(folder, require=POSITION)
    step = info["step"]
    assert step == info["epoch"] * STEPS + info["batch_in_epoch"]
    assert_same({k: np.asarray(v) for k, v in saved.items()}, straight[step], f"{folder} at step {step}")
    assert info["scheduler"]["last_epoch"] == step  # the scheduler stepped exactly as often as the optimizer
    assert {entry["step"] for entry in optimizer["state"].values()} <= {step}
    trainer = make_trainer()
    trainer.resume(folder)
    trainer.fit(EPOCHS if to_the_end else min(trainer.epoch + 1, EPOCHS))  # to the next epoch's end
    assert_same(weights(trainer.model), straight[trainer.step], f"resumed from {folder}")
    if to_the_end:
        assert trainer.step == TOTAL and trainer.scheduler.last_epoch == TOTAL
    return step


def test_sigints_at_random_moments_leave_only_states_the_run_passed_through(tmp_path, straight):
    worker = subprocess.Popen(
        [sys.executable, "-m", "tests.train.tiny_run"],
        cwd=ROOT,
        text=True,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    watchdog = threading.Timer(120, worker.kill)
    watchdog.start()
    rng = random.Random(14)
    runs = []
    try:
        for k in range(TRIALS):
            mode = "raw" if k % 3 == 2 else "deferred"  # raw: a user's handler raises at once, mid-step
            run = tmp_path / f"run{k}"
            worker.stdin.write(f"go {run} {mode}\n")
            worker.stdin.flush()
            assert worker.stdout.readline() == "started\n", worker.stderr.read()
            time.sleep(rng.uniform(0.01, 0.08))  # inside the run: a whole run takes ~0.12 s on a quiet machine
            for _ in range(rng.choice((1, 2, 2, 3))):  # a second Ctrl-C often lands inside the same step
                os.kill(worker.pid, signal.SIGINT)
                time.sleep(rng.uniform(0, 0.004))
            done = worker.stdout.readline()
            assert done.startswith("done "), worker.stderr.read()
            runs.append((run, mode, done.split()[1]))
        worker.stdin.close()
        assert worker.wait(30) == 0, worker.stderr.read()
    finally:
        watchdog.cancel()
        worker.kill()
    checked = mid_epoch = 0
    for i, (run, mode, stopped) in enumerate(runs):
        assert stopped in ("interrupted", "forced"), (run, mode, stopped)  # no run finished: the signals came
        for tag in ("last", "best"):
            if (run / "checkpoints" / tag).is_dir():
                step = check_checkpoint(run / "checkpoints" / tag, straight, to_the_end=i == 0 and tag == "last")
                checked, mid_epoch = checked + 1, mid_epoch + (step % STEPS != 0)
    assert checked >= TRIALS // 2 and mid_epoch >= 1  # runs stopped mid-epoch were saved there (timing varies)


class InterruptAt(Callback):
    """Raise KeyboardInterrupt (or send real SIGINTs) from inside a step, after or before the update."""

    def __init__(self, step: int, hook: str, action) -> None:
        self.step, self.hook, self.action = step, hook, action

    def after_backward(self, trainer) -> None:
        if self.hook == "after_backward" and trainer.step == self.step:
            self.action()

    def after_step(self, trainer, loss: float) -> None:
        if self.hook == "after_step" and trainer.step == self.step:
            self.action()


def sigints(n: int):
    return lambda: [os.kill(os.getpid(), signal.SIGINT) for _ in range(n)]


def raise_interrupt():
    raise KeyboardInterrupt


def fit_with(tmp_path, callback, epochs=2):
    lines = []
    trainer = make_trainer(tmp_path, callbacks=[callback], log=lines.append)
    result = trainer.fit(epochs)
    return trainer, result, "\n".join(lines)


def test_two_sigints_inside_a_step_wait_for_its_end_then_save(tmp_path, straight):
    trainer, result, log = fit_with(tmp_path, InterruptAt(STEPS + 2, "after_backward", sigints(2)))
    assert result.stopped == "interrupted" and "checkpoint saved" in log
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # the handler is restored
    assert check_checkpoint(tmp_path / "checkpoints" / "last", straight) == STEPS + 3  # that step finished


def test_a_third_sigint_stops_at_once_and_saves_nothing_half_done(tmp_path, straight):
    trainer, result, log = fit_with(tmp_path, InterruptAt(STEPS + 2, "after_backward", sigints(3)))
    assert result.stopped == "interrupted"
    assert "a step was cut short, so this state is not saved" in log
    assert f"the last good checkpoint is {tmp_path / 'checkpoints' / 'last'} (epoch 1, step {STEPS})" in log
    assert check_checkpoint(tmp_path / "checkpoints" / "last", straight) == STEPS  # the epoch-end one stays
    with pytest.raises(RuntimeError, match="a step was cut short.*resume from a checkpoint"):
        trainer.fit(2)  # the weights hold half an update: no more training on them
    trainer.callbacks.clear()
    trainer.resume(tmp_path)  # the same trainer object, whole again
    assert trainer.fit(2).stopped == "finished"
    assert_same(weights(trainer.model), straight[2 * STEPS], "resumed after a cut step")


@pytest.mark.parametrize("hook", ["after_backward", "after_step"])
def test_an_interrupt_that_bypasses_the_handler_mid_step_is_never_saved(tmp_path, straight, hook):
    """A KeyboardInterrupt raised inside the step (as from a user's own SIGINT handler) after or before the
    optimizer and scheduler stepped: the torn state is not saved; in epoch 1 there is no checkpoint at all."""
    trainer, result, log = fit_with(tmp_path, InterruptAt(3, hook, raise_interrupt))
    assert result.stopped == "interrupted"
    assert "a step was cut short" in log and "no checkpoint was saved" in log
    assert not (tmp_path / "checkpoints").exists() or not any((tmp_path / "checkpoints").iterdir())


def test_an_interrupt_during_validation_saves_the_trained_epoch(tmp_path, straight):
    class SigintInValidation(Callback):
        def on_epoch_end(self, trainer, record):
            if trainer.epoch == 1:
                sigints(2)()  # outside any step: the second stops at once, the state is whole

    trainer, result, log = fit_with(tmp_path, SigintInValidation(), epochs=3)
    assert result.stopped == "interrupted"
    _, _, info = read_checkpoint(tmp_path, require=POSITION)
    assert (info["epoch"], info["batch_in_epoch"]) == (1, STEPS)  # epoch 2 trained, its end not yet recorded
    resumed = make_trainer(tmp_path)
    resumed.resume(tmp_path)
    resumed.fit(3)
    reference = make_trainer()
    reference.fit(3)
    assert resumed.history == [
        {**r, "seconds": s["seconds"], "images_per_s": s["images_per_s"]}
        for r, s in zip(reference.history, resumed.history)
    ]  # same epoch records
    assert_same(weights(resumed.model), straight[3 * STEPS], "resumed after validation")
