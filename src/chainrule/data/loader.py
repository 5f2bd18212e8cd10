"""Mini-batches and splits, reproducible from a seed.

``DataLoader`` draws epoch e's order from ``default_rng((seed, e))``: the batches of an epoch
depend only on the seed and the epoch number, never on what ran before, so a run resumed at
epoch e (``set_epoch(e)``) sees exactly the batches an uninterrupted run would have seen.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence

import numpy as np

from .. import backend as B


def _seed(seed: int | None) -> int:
    """``seed``, or one drawn from chainrule's global generator (so ``cr.manual_seed`` fixes it)."""
    return int(B.rng().integers(2**63)) if seed is None else int(seed)


def _takes_rng(fn) -> bool:
    try:
        return "rng" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # builtins without a signature
        return False


class DataLoader:
    """Iterate (x, y) NumPy batches of ``images`` and ``labels`` (same first dimension).

    shuffle: a fresh permutation each epoch from ``default_rng((seed, epoch))``; ``epoch`` counts
    the passes and advances by one each time iteration starts, or is set with ``set_epoch``.
    drop_last: drop the final batch when it is smaller than ``batch_size``. transform: applied to
    each x batch; if it has a parameter named ``rng`` it gets the epoch's generator, so random
    augmentation is reproducible and resumable too. ``len(loader)`` is the number of batches.
    """

    def __init__(
        self,
        images,
        labels,
        batch_size: int,
        shuffle: bool = False,
        seed: int | None = None,
        drop_last: bool = False,
        transform: Callable | None = None,
    ):
        if len(images) != len(labels):
            raise ValueError(f"DataLoader: {len(images)} images but {len(labels)} labels")
        if not isinstance(batch_size, (int, np.integer)) or isinstance(batch_size, bool) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, got {batch_size!r}")
        self.images, self.labels = images, labels
        self.batch_size, self.shuffle, self.drop_last = int(batch_size), bool(shuffle), bool(drop_last)
        self.seed = _seed(seed)
        self.transform = transform
        self._transform_rng = transform is not None and _takes_rng(transform)
        self.epoch = 0

    def __len__(self) -> int:
        n, b = len(self.images), self.batch_size
        return n // b if self.drop_last else -(-n // b)

    def set_epoch(self, epoch: int) -> None:
        """The next iteration yields epoch ``epoch``'s batches (resume: set the epoch to continue from)."""
        if epoch < 0:
            raise ValueError(f"DataLoader.set_epoch: epoch must be >= 0, got {epoch}")
        self.epoch = int(epoch)

    def state_dict(self) -> dict:
        return {"seed": self.seed, "epoch": self.epoch}

    def load_state_dict(self, state: dict) -> None:
        self.seed, self.epoch = int(state["seed"]), int(state["epoch"])

    def order(self, epoch: int) -> np.ndarray:
        """The sample indices of epoch ``epoch``, in batch order."""
        n = len(self.images)
        if not self.shuffle:
            return np.arange(n)
        return np.random.default_rng((self.seed, epoch)).permutation(n)

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        epoch = self.epoch
        self.epoch += 1
        return self._batches(epoch)

    def _batches(self, epoch: int):
        order = self.order(epoch)
        # a second stream for augmentation: adding a transform does not change the batch order
        aug_rng = np.random.default_rng((self.seed, epoch, 1))
        for k in range(len(self)):
            idx = order[k * self.batch_size : (k + 1) * self.batch_size]
            x, y = self.images[idx], self.labels[idx]
            if self.transform is not None:
                x = self.transform(x, rng=aug_rng) if self._transform_rng else self.transform(x)
            yield x, y

    def __repr__(self) -> str:
        return (
            f"DataLoader({len(self.images)} samples, batch_size={self.batch_size}, shuffle={self.shuffle}, "
            f"drop_last={self.drop_last}, seed={self.seed}, epoch={self.epoch})"
        )


def random_split(n: int, lengths: Sequence[int | float], seed: int = 0) -> list[np.ndarray]:
    """Split range(n) into disjoint random index arrays of the given lengths (sorted within each).

    lengths: counts summing to n, or fractions summing to 1 (rounded, the remainder going to the
    first parts, as ``torch.utils.data.random_split``).
    """
    lengths = list(lengths)
    if lengths and all(isinstance(v, float) for v in lengths):
        if not np.isclose(sum(lengths), 1.0) or min(lengths) < 0:
            raise ValueError(f"random_split: fractions must be >= 0 and sum to 1, got {lengths}")
        counts = [int(np.floor(n * f)) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        lengths = counts
    if any(int(v) != v or v < 0 for v in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} must be non-negative integers summing to {n}")
    order = np.random.default_rng(seed).permutation(n)
    bounds = np.cumsum([0, *lengths])
    return [np.sort(order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def train_val_split(data, *more, val_fraction: float = 0.1, seed: int = 0):
    """A seeded train/validation split.

    ``train_val_split(n)`` -> (train_idx, val_idx), index arrays into range(n) (each sorted);
    ``train_val_split(images, labels)`` -> ((images_train, labels_train), (images_val, labels_val)).
    The validation set has round(n * val_fraction) samples; the same seed gives the same split.
    """
    if not 0.0 <= val_fraction < 1.0:
        raise ValueError(f"train_val_split: val_fraction must be in [0, 1), got {val_fraction}")
    arrays = None
    if isinstance(data, (int, np.integer)) and not more:
        n = int(data)
    else:
        arrays = (data, *more)
        n = len(data)
        if any(len(a) != n for a in arrays):
            raise ValueError(f"train_val_split: arrays of different lengths {[len(a) for a in arrays]}")
    n_val = int(round(n * val_fraction))
    val_idx, train_idx = random_split(n, [n_val, n - n_val], seed=seed)
    if arrays is None:
        return train_idx, val_idx
    return tuple(a[train_idx] for a in arrays), tuple(a[val_idx] for a in arrays)
