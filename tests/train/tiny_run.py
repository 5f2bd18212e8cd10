"""A tiny, deterministic training run shared by the reliability tests and their subprocess worker.

8x8 images with one bright quadrant (4 classes), a 300-parameter CNN, Adam under OneCycleLR sized
for ``EPOCHS`` epochs of ``STEPS`` steps. ``python -m tests.train.tiny_run`` is the worker of the
SIGINT test: it reads ``go <run folder> <mode>`` lines and trains one run per line while its parent
sends real SIGINTs, answering ``started`` and ``done <how it stopped>``.
"""

from __future__ import annotations

import signal
import sys

import numpy as np

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.train import Callback, Checkpoints, DivergenceGuard, EarlyStopping, MetricsLog, Progress, Trainer

EPOCHS, BATCH, N_TRAIN = 6, 32, 960
STEPS = -(-N_TRAIN // BATCH)  # 30 steps per epoch
TOTAL = EPOCHS * STEPS


def quadrant_data(n: int, seed: int):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 4, n)
    x = rng.normal(0, 0.3, (n, 1, 8, 8)).astype(np.float32)
    for q in range(4):
        r, c = divmod(q, 2)
        x[y == q, :, 4 * r : 4 * r + 4, 4 * c : 4 * c + 4] += 1.0
    return x, y.astype(np.int64)


def shift(batch, rng):
    return np.roll(batch, int(rng.integers(-1, 2)), axis=-1)


def plugins(run_dir=None, log=lambda s: None, patience=None, config=None) -> list:
    """The plug-ins of a run as ``chainrule train`` has them: the divergence guard, the epoch log, and with a
    run folder metrics files and checkpoints (``config`` saved in them); early stopping with ``patience``."""
    checkpoints = None if run_dir is None else Checkpoints(run_dir, config or {"model": "tiny"}, log)
    found = [DivergenceGuard(checkpoints), Progress(log, bar=False)]
    if run_dir is not None:
        found += [MetricsLog(run_dir), checkpoints]
    if patience is not None:
        found.append(EarlyStopping(patience, log))
    return found


def make_trainer(run_dir=None, callbacks=(), log=lambda s: None, lr=0.02) -> Trainer:
    cr.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(64, 4))
    opt = optim.Adam(model.parameters(), lr=lr)
    sched = optim.OneCycleLR(opt, max_lr=lr, total_steps=TOTAL)
    return Trainer(
        model,
        opt,
        F.cross_entropy,
        quadrant_data(N_TRAIN, 0),
        quadrant_data(80, 1),
        [*callbacks, *plugins(run_dir, log)],
        batch_size=BATCH,
        epochs=EPOCHS,
        scheduler=sched,
        augment=shift,
        seed=3,
    )


def weights(model) -> dict:
    return {k: v.numpy().copy() for k, v in model.state_dict().items()}


class WeightsEachStep(Callback):
    """``by_step[s]``: the weights once s steps are done (s = 0: the initial weights)."""

    def __init__(self) -> None:
        self.by_step: dict[int, dict] = {}

    def after_step(self, trainer, loss: float) -> None:
        if not self.by_step:
            raise AssertionError("record by_step[0] before fitting")
        self.by_step[trainer.step + 1] = weights(trainer.model)


def straight_run() -> dict[int, dict]:
    """The weights of an uninterrupted run after every step."""
    recorder = WeightsEachStep()
    trainer = make_trainer(callbacks=[recorder])
    recorder.by_step[0] = weights(trainer.model)
    trainer.fit(EPOCHS)
    return recorder.by_step


def _ignore_sigint() -> None:
    """SIG_IGN, even if a KeyboardInterrupt lands while it is being set (CPython drops pending ones after)."""
    while True:
        try:
            signal.signal(signal.SIGINT, signal.SIG_IGN)
            return
        except KeyboardInterrupt:
            continue


def _raise_at_once(signum, frame):
    raise KeyboardInterrupt  # a handler of the user's: the trainer's deferral is not installed


def worker() -> None:
    _ignore_sigint()  # between runs a late SIGINT from the parent does nothing
    for line in sys.stdin:
        _, run_dir, mode = line.split()
        trainer = make_trainer(run_dir)
        try:
            signal.signal(signal.SIGINT, signal.default_int_handler if mode == "deferred" else _raise_at_once)
            print("started", flush=True)  # from here on no SIGINT is ignored
            try:
                stopped = trainer.fit(EPOCHS).stopped
            finally:
                _ignore_sigint()
        except KeyboardInterrupt:
            stopped = "forced"
        _ignore_sigint()
        print(f"done {stopped}", flush=True)


if __name__ == "__main__":
    worker()
