"""Datasets as ``torch.utils.data`` shapes them: indexable collections of samples.

A map-style ``Dataset`` has ``__getitem__(i)`` and ``__len__``; ``TensorDataset(x, y)[i]`` is
``(x[i], y[i])``; ``Subset`` and ``ConcatDataset`` re-index others; ``random_split`` draws a
random partition into Subsets, as ``torch.utils.data.random_split``.
"""

from __future__ import annotations

import bisect
import itertools
import math
import numbers
import warnings
from collections.abc import Iterable, Sequence

import numpy as np

from ... import backend as B
from ...autograd import Tensor, is_grad_enabled


class Dataset:
    """A map-style dataset: subclasses define ``__getitem__(index)`` (and usually ``__len__``)."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of Dataset should implement __getitem__")

    def __add__(self, other: Dataset) -> ConcatDataset:
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define ``__iter__`` (no indexing, no sampler)."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__}: subclasses of IterableDataset should implement __iter__")

    def __add__(self, other):
        raise TypeError("IterableDataset: '+' (ChainDataset) is not supported; chain the iterators instead")


def _first_dim(t) -> int:
    shape = getattr(t, "shape", None)
    if shape is None or len(shape) == 0:
        raise ValueError(f"TensorDataset: every tensor needs a first dimension, got {type(t).__name__} {shape}")
    return int(shape[0])


class TensorDataset(Dataset):
    """Samples are rows of the tensors: ``dataset[i] == (t[i] for t in tensors)``; all share dim 0."""

    def __init__(self, *tensors) -> None:
        sizes = [_first_dim(t) for t in tensors]
        if len(set(sizes)) > 1:  # PyTorch asserts this; the message names the sizes
            raise AssertionError(f"Size mismatch between tensors: first dimensions {sizes}")
        self.tensors = tuple(tensors)

    def __getitem__(self, index):
        return tuple(t[index] for t in self.tensors)

    def __len__(self) -> int:
        return _first_dim(self.tensors[0]) if self.tensors else 0

    def _gather(self, index: np.ndarray):
        """The rows ``index`` of every tensor at once, as a list -> what default_collate would make, or None.

        None when a tensor tracks gradients (then the per-sample path builds the graph) or is not a Tensor.
        """
        if not all(isinstance(t, Tensor) for t in self.tensors):
            return None
        if is_grad_enabled() and any(t.requires_grad for t in self.tensors):
            return None
        return [Tensor(t._data[index]) for t in self.tensors]


class ConcatDataset(Dataset):
    """The datasets one after another: index ``i`` falls in the first one whose cumulative size exceeds it."""

    @staticmethod
    def cumsum(sequence) -> list[int]:
        return list(itertools.accumulate(len(d) for d in sequence))

    def __init__(self, datasets: Iterable[Dataset]) -> None:
        self.datasets = list(datasets)
        if not self.datasets:
            raise AssertionError("datasets should not be an empty iterable")
        if any(isinstance(d, IterableDataset) for d in self.datasets):
            raise AssertionError("ConcatDataset does not support IterableDataset")
        self.cumulative_sizes = self.cumsum(self.datasets)

    def __len__(self) -> int:
        return self.cumulative_sizes[-1]

    def __getitem__(self, idx):
        if idx < 0:
            if -idx > len(self):
                raise ValueError(f"ConcatDataset: absolute value of index {idx} exceeds the length {len(self)}")
            idx = len(self) + idx
        k = bisect.bisect_right(self.cumulative_sizes, idx)
        return self.datasets[k][idx - (self.cumulative_sizes[k - 1] if k else 0)]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``: ``Subset(d, idx)[i] == d[idx[i]]``."""

    def __init__(self, dataset: Dataset, indices: Sequence[int]) -> None:
        self.dataset, self.indices = dataset, indices

    def __getitem__(self, idx):
        if isinstance(idx, list):
            return self.dataset[[self.indices[i] for i in idx]]
        return self.dataset[self.indices[idx]]

    def __getitems__(self, indices: list[int]) -> list:
        if callable(getattr(self.dataset, "__getitems__", None)):
            return self.dataset.__getitems__([self.indices[i] for i in indices])
        return [self.dataset[self.indices[i]] for i in indices]

    def __len__(self) -> int:
        return len(self.indices)


def _fraction_lengths(n: int, fractions: Sequence[float]) -> list[int]:
    """floor(n * f) each, then the remainder one by one to the first parts (PyTorch's rule)."""
    lengths = []
    for i, frac in enumerate(fractions):
        if frac < 0 or frac > 1:
            raise ValueError(f"random_split: fraction at index {i} is not between 0 and 1: {frac}")
        lengths.append(int(math.floor(n * frac)))
    for i in range(n - sum(lengths)):
        lengths[i % len(lengths)] += 1
    for i, length in enumerate(lengths):
        if length == 0:
            warnings.warn(f"Length of split at index {i} is 0. This might result in an empty dataset.", stacklevel=3)
    return lengths


def generator_rng(generator) -> np.random.Generator:
    """The NumPy generator behind ``generator`` (a ``cr.Generator`` or a NumPy one); None -> the global one."""
    if generator is None:
        return B.rng()
    if isinstance(generator, np.random.Generator):
        return generator
    rng = getattr(generator, "rng", None)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"expected a chainrule.Generator, got {type(generator).__name__}")
    return rng


def random_split(dataset: Dataset, lengths: Sequence[int | float], generator=None) -> list[Subset]:
    """Split ``dataset`` into non-overlapping random Subsets of the given ``lengths``.

    lengths: counts summing to ``len(dataset)``, or fractions summing to 1 (floor(n * f) each, the
    remainder spread over the first parts, as PyTorch). The order comes from ``generator``
    (default: chainrule's global generator, seeded by ``cr.manual_seed``).
    """
    lengths = list(lengths)
    n = len(dataset)
    if math.isclose(sum(lengths), 1) and sum(lengths) <= 1:
        lengths = _fraction_lengths(n, lengths)
    if not all(isinstance(v, numbers.Integral) for v in lengths):
        raise ValueError(f"random_split: lengths must be integers or fractions summing to 1, got {lengths}")
    if sum(lengths) != n:
        raise ValueError(f"Sum of input lengths {sum(lengths)} does not equal the length of the input dataset {n}!")
    indices = generator_rng(generator).permutation(n).tolist()
    bounds = list(itertools.accumulate(lengths))
    return [Subset(dataset, indices[end - length : end]) for end, length in zip(bounds, lengths)]
