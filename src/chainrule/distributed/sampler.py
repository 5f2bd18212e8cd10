"""Sharding: which images of each global batch a rank trains on, and augmentation that agrees.

The Trainer cuts every epoch into global batches with a permutation seeded by (seed, epoch), the
same on every rank, and rank r of W takes ``plan[b][r::W]`` (``Trainer(shard=(r, W))``). So the W
ranks together see exactly the images one process would, batch for batch; the gradient average
weighs each rank by its share (:mod:`.allreduce`), which makes a step equal to one process's step.
"""

from __future__ import annotations

from .. import backend as B


def global_batch_size(n: int, batch_size: int, b: int) -> int:
    """Images in global batch ``b`` of an epoch of ``n`` (the last one may be short)."""
    return max(0, min(batch_size, n - b * batch_size))


def local_batch_size(global_size: int, rank: int, world: int) -> int:
    """``len(range(rank, global_size, world))``: rank's share of a global batch."""
    return max(0, -(-(global_size - rank) // world))


def shard(data, rank: int, world: int):
    """Rank's strided share of an (images, labels) pair (for validation), or None for None."""
    if data is None:
        return None
    return tuple(a[rank::world] for a in data)


def check_shardable(n: int, batch_size: int, world: int) -> None:
    """Every rank must get at least one image of every global batch (an empty batch has no mean loss)."""
    last = n % batch_size
    if batch_size < world or 0 < last < world:
        size = batch_size if batch_size < world else last
        raise ValueError(f"{world} ranks need at least {world} images in every batch, but with {n} training images "
                         f"and --batch-size {batch_size} a batch has {size}: raise --batch-size or change --limit")


class ShardedShift:
    """Random shifts of up to ``max_shift`` pixels, equal to one process's ``random_shift``.

    One process draws the shifts of global batch b as ``rng.integers(-s, s + 1, size=(2, G))``
    from a generator seeded by (seed, epoch, b); this draws the same G pairs and keeps those of its
    rank's images (``[:, rank::world]``), so a distributed run augments exactly as a single one.
    ``trainer``: the Trainer it runs in (for the batch index, the batch size and the set size).
    """

    def __init__(self, max_shift: int, trainer, rank: int, world: int) -> None:
        self.max_shift, self.trainer, self.rank, self.world = int(max_shift), trainer, rank, world

    def __call__(self, batch, rng):
        from ..data.transforms import shift

        t = self.trainer
        size = global_batch_size(len(t.train_x), t.batch_size, t.batch_in_epoch)
        dy, dx = rng.integers(-self.max_shift, self.max_shift + 1, size=(2, size))
        mine = B.xp.s_[self.rank :: self.world]
        return shift(batch, dy[mine], dx[mine])
