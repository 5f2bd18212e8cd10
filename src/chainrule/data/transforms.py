"""Batch transforms on NumPy arrays: scale to [0, 1], normalise, and random shifts for augmentation.

Everything works on a whole batch at once; no Python loop runs over samples or pixels.
"""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from .. import backend as B

MNIST_MEAN, MNIST_STD = 0.1307, 0.3081  # of the MNIST training pixels scaled to [0, 1]
FASHION_MEAN, FASHION_STD = 0.2860, 0.3530


def to_float(images) -> np.ndarray:
    """uint8 images (N, H, W) or (N, C, H, W) -> float32 (N, C, H, W) in [0, 1] (x / 255); C = 1 if absent."""
    images = np.asarray(images)
    if images.ndim == 3:
        images = images[:, None]
    if images.ndim != 4:
        raise ValueError(f"to_float: expected images (N, H, W) or (N, C, H, W), got shape {images.shape}")
    return images.astype(np.float32) / np.float32(255)


def normalize(x, mean, std) -> np.ndarray:
    """(x - mean) / std, in x's float dtype; mean and std are scalars or broadcast per channel (C, 1, 1)."""
    x = np.asarray(x)
    if x.dtype.kind != "f":
        raise TypeError(f"normalize: expected float input (use to_float first), got {x.dtype}")
    std = np.asarray(std, dtype=x.dtype)
    if np.any(std <= 0):
        raise ValueError(f"normalize: std must be positive, got {std}")
    return (x - np.asarray(mean, dtype=x.dtype)) / std


def shift(batch, dy, dx) -> np.ndarray:
    """Shift image n by (dy[n], dx[n]) pixels (down and right when positive), filling with zeros.

    batch: (N, H, W) or (N, C, H, W); dy, dx: integer arrays (N,). out[n, ..., i, j] =
    batch[n, ..., i - dy[n], j - dx[n]] where that index is inside the image, else 0. One gather
    over a padded copy: each sample's (H, W) window is picked from a sliding-window view.
    """
    batch = np.asarray(batch)
    dy, dx = np.asarray(dy, dtype=np.intp), np.asarray(dx, dtype=np.intp)
    if batch.ndim not in (3, 4):
        raise ValueError(f"shift: expected a batch (N, H, W) or (N, C, H, W), got shape {batch.shape}")
    n, h, w = batch.shape[0], batch.shape[-2], batch.shape[-1]
    if dy.shape != (n,) or dx.shape != (n,):
        raise ValueError(f"shift: dy and dx must have shape ({n},), got {dy.shape} and {dx.shape}")
    m = int(max(np.abs(dy).max(initial=0), np.abs(dx).max(initial=0)))
    if m == 0:
        return batch.copy()
    # zero-pad so that any shift of up to m stays inside the padded frame
    padded = np.pad(batch, [(0, 0)] * (batch.ndim - 2) + [(m, m), (m, m)])
    # windows[n, ..., a, b] is padded[n, ..., a:a+h, b:b+w]; shift (dy, dx) is window (m - dy, m - dx)
    windows = sliding_window_view(padded, (h, w), axis=(-2, -1))
    idx = np.arange(n)
    if batch.ndim == 3:
        return windows[idx, m - dy, m - dx]
    return windows[idx, :, m - dy, m - dx]  # advanced indices split by ':' -> the sample axis goes first


def random_shift(batch, max_shift: int, rng: np.random.Generator | None = None) -> np.ndarray:
    """Shift each image by its own random integer (dy, dx) in [-max_shift, max_shift], zero fill.

    rng: the generator to draw from (default: chainrule's global one, seeded by ``cr.manual_seed``).
    """
    max_shift = int(max_shift)
    if max_shift < 0:
        raise ValueError(f"random_shift: max_shift must be >= 0, got {max_shift}")
    rng = B.rng() if rng is None else rng
    n = np.shape(batch)[0]
    dy, dx = rng.integers(-max_shift, max_shift + 1, size=(2, n))
    return shift(batch, dy, dx)


class Compose:
    """Apply transforms in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def __repr__(self) -> str:
        return f"Compose({self.transforms!r})"
