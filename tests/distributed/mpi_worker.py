"""Run by the tests under mpirun (and imported by them for the one-process reference).

    mpirun -n 2 python tests/distributed/mpi_worker.py OUT.npz --images 300 --batch-size 51 --epochs 2 --shift 2

Builds the same Trainer on every rank with ``chainrule.distributed.DataParallel`` as its strategy and
trains; rank 0 saves the final weights and the metric history to OUT.npz.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import chainrule.nn.functional as F
from chainrule import backend as B
from chainrule import distributed, models, optim
from chainrule.data import load_mnist
from chainrule.data.transforms import random_shift, to_float
from chainrule.train import DivergenceGuard, Trainer


def make_trainer(images: int, batch_size: int, shift: int, seed: int = 0, strategy=None):
    """A shallow-CNN Trainer on the first ``images`` real MNIST images (+ a third as validation)."""

    x, y = load_mnist("train")
    n_val = images // 3
    train = (to_float(x[:images]), y[:images])
    val = (to_float(x[images : images + n_val]), y[images : images + n_val])
    B.manual_seed(seed + 100 * (0 if strategy is None else strategy.rank))  # the broadcast must fix this
    model = models.shallow_cnn()
    opt = optim.Adam(model.parameters(), lr=2e-3)
    augment = (lambda batch, rng: random_shift(batch, shift, rng)) if shift else None
    return Trainer(
        model,
        opt,
        F.cross_entropy,
        train,
        val,
        [DivergenceGuard()],
        batch_size=batch_size,
        augment=augment,
        seed=seed,
        strategy=strategy,
    )


def history_array(history: list) -> np.ndarray:
    keys = ("train_loss", "train_acc", "val_loss", "val_acc")
    return np.array([[r[k] for k in keys] for r in history], np.float64)


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--images", type=int, default=300)
    p.add_argument("--batch-size", type=int, default=51)
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--shift", type=int, default=0)
    args = p.parse_args(argv)
    comm = distributed.init(timeout=60)
    trainer = make_trainer(args.images, args.batch_size, args.shift, strategy=distributed.DataParallel(comm))
    trainer.fit(args.epochs)
    if comm.is_main:
        weights = {k: np.asarray(v) for k, v in trainer.model.state_dict().items()}
        np.savez(
            args.out,
            history=history_array(trainer.history),
            step=trainer.step,
            records=json.dumps(trainer.history),
            **weights,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
