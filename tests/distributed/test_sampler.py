"""Sharding arithmetic and augmentation that agrees with one process (no MPI needed)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from chainrule.data.loader import DataLoader
from chainrule.data.transforms import random_shift
from chainrule.distributed import ShardedShift, check_shardable, global_batch_size, local_batch_size, shard


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


class _Position:
    """The three Trainer attributes ShardedShift reads."""

    def __init__(self, n, batch_size, b):
        self.train_x, self.batch_size, self.batch_in_epoch = np.zeros(n), batch_size, b


@pytest.mark.parametrize("world", [2, 3])
@pytest.mark.parametrize("b", [0, 3])  # a full batch and the short last one (70 = 3 * 20 + 10)
def test_sharded_shift_equals_one_process(world, b):
    images = np.random.default_rng(0).random((70, 1, 8, 8)).astype(np.float32)
    indices = batches(70, 20, seed=5, epoch=1)[b]
    one = random_shift(images[indices], 2, np.random.default_rng([5, 1, b]))
    for rank in range(world):
        mine = ShardedShift(2, _Position(70, 20, b), rank, world)(images[indices[rank::world]],
                                                                  np.random.default_rng([5, 1, b]))
        np.testing.assert_array_equal(mine, one[rank::world])


def test_sharded_shift_differs_from_naive_per_rank_shifts():
    """Why ShardedShift exists: each rank drawing for its own share gives other shifts."""
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
