"""Two ranks give the weights one process gives: the acceptance test of data-parallel training.

Global batch B, K steps, same seed: ``mpirun -n 2`` with B/2 images per rank (uneven shares: a
batch of 51 splits 26/25, the short last batch 23/22) ends on the weights of one process with batch
B, to float tolerance, with random-shift augmentation on, and rank 1 starting from other weights
(the broadcast from rank 0 must fix them). Metrics (train and sharded validation) agree too.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from chainrule.train import Strategy

from . import mpi_worker

pytestmark = pytest.mark.slow

IMAGES, BATCH, EPOCHS, SHIFT = 300, 51, 2, 2


def test_two_ranks_train_like_one_process(mpirun, mnist_home, monkeypatch, tmp_path):
    out = tmp_path / "two.npz"
    run = mpirun(
        [mpi_worker.__file__, out, "--images", IMAGES, "--batch-size", BATCH, "--epochs", EPOCHS, "--shift", SHIFT]
    )
    assert run.returncode == 0, run.output
    two = np.load(out)

    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    one = mpi_worker.make_trainer(IMAGES, BATCH, SHIFT)
    one.fit(EPOCHS)
    assert int(two["step"]) == one.step == EPOCHS * -(-IMAGES // BATCH)
    report = {}
    for name, value in one.model.state_dict().items():
        report[name] = float(np.abs(np.asarray(value) - two[name]).max())
    assert max(report.values()) < 2e-5, report
    np.testing.assert_allclose(two["history"], mpi_worker.history_array(one.history), rtol=1e-4, atol=1e-5)
    records = json.loads(str(two["records"]))
    assert all(r["ranks"] == 2 for r in records)


class RankZeroOfTwo(Strategy):
    """Rank 0's share of every batch, and no other rank to average with."""

    def shard(self, array):
        return array[0::2]


def test_one_process_weights_differ_without_the_allreduce(mnist_home, monkeypatch):
    """The test above can fail: half the batch alone (no averaging) ends elsewhere."""
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    full = mpi_worker.make_trainer(IMAGES, BATCH, 0)
    half = mpi_worker.make_trainer(IMAGES, BATCH, 0, strategy=RankZeroOfTwo())  # rank 0's share, no other rank
    full.fit(1)
    half.fit(1)
    gap = max(
        float((a - b).abs().max()) for a, b in zip(full.model.state_dict().values(), half.model.state_dict().values())
    )
    assert gap > 1e-3
