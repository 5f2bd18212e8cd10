"""``torch.utils.data`` for chainrule: datasets, samplers, ``DataLoader``, ``random_split``.

``import chainrule as torch`` then ``torch.utils.data.DataLoader(TensorDataset(x, y), batch_size=64,
shuffle=True)`` iterates ``[x_batch, y_batch]`` lists of Tensors, as PyTorch. (``chainrule.data``
is the lecture's own array-level loader and MNIST sources; this package is PyTorch's surface.)
"""

from __future__ import annotations

from .collate import default_collate, default_convert
from .dataloader import DataLoader, get_worker_info
from .dataset import ConcatDataset, Dataset, IterableDataset, Subset, TensorDataset, random_split
from .sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
]
