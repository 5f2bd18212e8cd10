"""``DataLoader``: batches of a dataset in a sampler's order, as ``torch.utils.data.DataLoader``.

One epoch: the batch sampler yields lists of indices, the dataset gives the samples, ``collate_fn``
(default: ``default_collate``) stacks them. Each ``iter(loader)`` is a new epoch; with
``shuffle=True`` the order is drawn from ``generator`` (a seeded ``cr.Generator`` repeats it).

Everything loads in the main process. ``num_workers > 0`` is accepted and loads there too
(worker processes would each copy the dataset, and NumPy already spends the two cores), so
results equal ``num_workers=0``; ``worker_init_fn`` is not called (no worker starts) and
``get_worker_info()`` is None, as in PyTorch's main process. ``pin_memory`` has nothing to pin.

Fast path: a ``TensorDataset`` (or a ``Subset`` of one, e.g. from ``random_split``) under the
default collate is indexed with the whole batch of indices at once, one gather per tensor instead of
``batch_size`` samples stacked: the same batches, same dtypes, without the per-sample loop.
"""

from __future__ import annotations

import itertools
import numbers
from collections.abc import Callable, Iterator

import numpy as np

from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset
from .sampler import BatchSampler, RandomSampler, SequentialSampler


def get_worker_info():
    """None: there are no worker processes (see the module docstring)."""
    return None


def _fast_gather(dataset):
    """For a TensorDataset, or Subsets of one: ``index array -> list of batched tensors (or None:
    not this batch)``; None for any other dataset."""
    if type(dataset) is TensorDataset:
        return dataset._gather
    if type(dataset) is Subset:
        inner = _fast_gather(dataset.dataset)
        if inner is None:
            return None
        mapping = np.asarray(dataset.indices, dtype=np.int64)
        if mapping.ndim != 1:
            return None
        return lambda index: inner(mapping[index])
    return None


def _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers) -> None:
    if not isinstance(num_workers, numbers.Integral) or num_workers < 0:
        raise ValueError("num_workers option should be non-negative; use num_workers=0 to disable multiprocessing.")
    if timeout < 0:
        raise ValueError("timeout option should be non-negative")
    if num_workers == 0 and prefetch_factor is not None:
        raise ValueError(
            "prefetch_factor option could only be specified in multiprocessing. "
            "let num_workers > 0 to enable multiprocessing, otherwise set prefetch_factor to None."
        )
    if persistent_workers and num_workers == 0:
        raise ValueError("persistent_workers option needs num_workers > 0")


class DataLoader:
    """Iterate over ``dataset`` in batches.

    batch_size: samples per batch (None: no batching, each sample converted alone); shuffle: a
    new random order each epoch; sampler / batch_sampler: a custom order (exclusive with shuffle, and
    batch_sampler with batch_size, sampler and drop_last); collate_fn: list of samples -> batch;
    drop_last: drop the last, short batch; generator: the ``cr.Generator`` that shuffling draws from.
    ``len(loader)`` is the number of batches.
    """

    def __init__(
        self,
        dataset,
        batch_size: int | None = 1,
        shuffle: bool | None = None,
        sampler=None,
        batch_sampler=None,
        num_workers: int = 0,
        collate_fn: Callable | None = None,
        pin_memory: bool = False,
        drop_last: bool = False,
        timeout: float = 0,
        worker_init_fn: Callable | None = None,
        multiprocessing_context=None,
        generator=None,
        *,
        prefetch_factor: int | None = None,
        persistent_workers: bool = False,
        pin_memory_device: str = "",
        in_order: bool = True,
    ) -> None:
        _check_worker_options(num_workers, timeout, prefetch_factor, persistent_workers)
        self.dataset, self.num_workers, self.pin_memory, self.timeout = dataset, num_workers, pin_memory, timeout
        self.worker_init_fn, self.multiprocessing_context, self.generator = (
            worker_init_fn,
            multiprocessing_context,
            generator,
        )
        self.prefetch_factor = 2 if prefetch_factor is None and num_workers > 0 else prefetch_factor
        self.persistent_workers, self.pin_memory_device, self.in_order = persistent_workers, pin_memory_device, in_order
        self._iterable = isinstance(dataset, IterableDataset)
        if self._iterable:
            if shuffle not in (None, False):
                raise ValueError(
                    f"DataLoader with IterableDataset: expected unspecified shuffle option, but got shuffle={shuffle}"
                )
            if sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader with IterableDataset: expected unspecified sampler and batch_sampler")
        if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or drop_last):
            raise ValueError(
                "batch_sampler option is mutually exclusive with batch_size, shuffle, sampler, and drop_last"
            )
        if batch_sampler is not None:
            batch_size = None  # as PyTorch: the batch sampler decides
        elif batch_size is None and drop_last:
            raise ValueError("batch_size=None option disables auto-batching and is mutually exclusive with drop_last")
        if sampler is not None and shuffle:
            raise ValueError("sampler option is mutually exclusive with shuffle")
        self.batch_size, self.drop_last = batch_size, drop_last
        if self._iterable:
            self.sampler = self.batch_sampler = None
        else:
            if sampler is None:
                sampler = RandomSampler(dataset, generator=generator) if shuffle else SequentialSampler(dataset)
            if batch_size is not None and batch_sampler is None:
                batch_sampler = BatchSampler(sampler, batch_size, drop_last)
            self.sampler, self.batch_sampler = sampler, batch_sampler
        if collate_fn is None:
            collate_fn = default_collate if self._auto_collation else default_convert
        self.collate_fn = collate_fn

    @property
    def _auto_collation(self) -> bool:
        return self.batch_size is not None if self._iterable else self.batch_sampler is not None

    def __len__(self) -> int:
        if self._iterable:
            n = len(self.dataset)
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def __iter__(self) -> Iterator:
        if self._iterable:
            return self._iter_stream()
        if self.batch_sampler is None:
            return (self.collate_fn(self.dataset[i]) for i in self.sampler)
        return self._iter_batches()

    def _iter_batches(self) -> Iterator:
        fast = _fast_gather(self.dataset) if self.collate_fn is default_collate else None
        getitems = getattr(self.dataset, "__getitems__", None)
        for indices in self.batch_sampler:
            batch = fast(np.asarray(indices, dtype=np.int64)) if fast is not None else None
            if batch is None:  # no fast path, or a tensor that tracks gradients: sample by sample
                batch = self.collate_fn(getitems(indices) if callable(getitems) else [self.dataset[i] for i in indices])
            yield batch

    def _iter_stream(self) -> Iterator:
        samples = iter(self.dataset)
        if self.batch_size is None:
            yield from (self.collate_fn(s) for s in samples)
            return
        while batch := list(itertools.islice(samples, self.batch_size)):
            if len(batch) < self.batch_size and self.drop_last:
                return
            yield self.collate_fn(batch)

    def __repr__(self) -> str:
        return (
            f"DataLoader({type(self.dataset).__name__}, batch_size={self.batch_size}, "
            f"sampler={type(self.sampler).__name__}, drop_last={self.drop_last}, num_workers={self.num_workers})"
        )
