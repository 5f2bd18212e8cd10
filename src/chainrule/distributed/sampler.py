"""Sharding: which images of each global batch a rank trains on.

The Trainer cuts every epoch into global batches with a permutation seeded by (seed, epoch), the
same on every rank, augments the global batch as one process would, and rank r of W takes
``batch[r::W]`` (``DataParallel.shard``). So the W ranks together see exactly the images one process
would, augmented alike, batch for batch; the gradient average weighs each rank by its share
(:mod:`.allreduce`), which makes a step equal to one process's step.
"""

from __future__ import annotations


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
        raise ValueError(
            f"{world} ranks need at least {world} images in every batch, but with {n} training images "
            f"and --batch-size {batch_size} a batch has {size}: raise --batch-size or change --limit"
        )
