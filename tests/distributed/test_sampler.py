"""Sharding arithmetic, and each rank's share of the batches one process trains on (no MPI needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule import optim
from chainrule.data.loader import DataLoader
from chainrule.data.transforms import random_shift
from chainrule.distributed import DataParallel, check_shardable, global_batch_size, local_batch_size, shard
from chainrule.train import Strategy, Trainer


def batches(n: int, batch_size: int, seed: int, epoch: int) -> list:
    """One epoch's global batches, cut as the Trainer cuts them."""
    order = DataLoader(range(n), range(n), batch_size, shuffle=True, seed=seed).order(epoch)
    return [order[i : i + batch_size] for i in range(0, n, batch_size)]


@given(n=st.integers(1, 400), batch_size=st.integers(1, 64), world=st.integers(1, 5), seed=st.integers(0, 9))
def test_local_batch_size_is_the_trainers_share(n, batch_size, world, seed):
    plan = batches(n, batch_size, seed, 0)
    for b, indices in enumerate(plan):
        assert global_batch_size(n, batch_size, b) == len(indices)
        sizes = [local_batch_size(len(indices), r, world) for r in range(world)]
        assert sizes == [len(indices[r::world]) for r in range(world)]
        assert sum(sizes) == len(indices)


class Shard(Strategy):
    """DataParallel's sharding for rank ``rank`` of ``world``, without MPI (no gradient averaging)."""

    shard = DataParallel.shard

    def __init__(self, rank: int, world: int) -> None:
        self.rank, self.world = rank, world


def batches_seen(strategy, epochs: int = 2) -> list:
    """The (x, y) each step of a Trainer gets: 70 images in batches of 20 (the last one 10), shifted."""
    images = np.random.default_rng(0).random((70, 1, 8, 8)).astype(np.float32)
    labels = np.arange(70)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 2))
    trainer = Trainer(
        model,
        optim.SGD(model.parameters(), lr=0.1),
        F.cross_entropy,
        (images, labels),
        batch_size=20,
        seed=5,
        augment=lambda batch, rng: random_shift(batch, 2, rng),
        strategy=strategy,
    )
    seen = []
    trainer.train_step = lambda x, y: (seen.append((x, y)), (0.0, 0))[1]
    trainer.fit(epochs)
    return seen


@pytest.mark.parametrize("world", [2, 3])
def test_each_rank_gets_its_share_of_one_process_augmented_batches(world):
    one = batches_seen(Strategy())
    assert len(one) == 8 and len(one[3][1]) == 10  # 4 batches an epoch, the last one short
    for rank in range(world):
        mine = batches_seen(Shard(rank, world))
        assert len(mine) == len(one)
        for (x, y), (x1, y1) in zip(mine, one):
            np.testing.assert_array_equal(y, y1[rank::world])
            np.testing.assert_array_equal(x, x1[rank::world])  # the same images, shifted alike


def test_shifting_each_share_alone_would_differ():
    """Why the global batch is augmented before it is shared out: each rank drawing for its own share
    gives other shifts."""
    images = np.random.default_rng(1).random((40, 1, 8, 8)).astype(np.float32)
    one = random_shift(images, 2, np.random.default_rng([0, 0, 0]))
    naive = random_shift(images[1::2], 2, np.random.default_rng([0, 0, 0]))
    assert not np.array_equal(naive, one[1::2])


def test_check_shardable_names_the_sizes():
    check_shardable(600, 45, 2)  # last batch 15
    check_shardable(600, 50, 2)  # no short batch
    with pytest.raises(ValueError, match=r"2 ranks need at least 2 images in every batch.*601 training images"):
        check_shardable(601, 50, 2)  # a last batch of 1
    with pytest.raises(ValueError, match="--batch-size 2"):
        check_shardable(600, 2, 3)


def test_shard_is_strided_and_keeps_none():
    x, y = np.arange(10), np.arange(10) * 2
    assert [a.tolist() for a in shard((x, y), 1, 3)] == [[1, 4, 7], [2, 8, 14]]
    assert shard(None, 0, 2) is None
