"""``torchvision.utils.make_grid`` / ``save_image``: a batch of images tiled into one picture.

make_grid: (B, C, H, W) -> (C', ymaps (H + p) + p, xmaps (W + p) + p) with xmaps = min(nrow, B),
ymaps = ceil(B / xmaps); image k sits at row k // xmaps, column k % xmaps, ``padding`` pixels of
``pad_value`` around and between. One-channel images become three (RGB), as torchvision.
save_image writes it as uint8 = trunc(clamp(255 x + 0.5, 0, 255)) (round to nearest).
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image

from ..autograd import Tensor


def _images(tensor) -> np.ndarray:
    """A tensor, a list of tensors, or an array -> float array (B, C, H, W) as make_grid reads them."""
    if isinstance(tensor, (list, tuple)):
        arr = np.stack([np.asarray(t.numpy() if isinstance(t, Tensor) else t) for t in tensor])
    elif isinstance(tensor, Tensor):
        arr = tensor.numpy()
    else:
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor).__name__}")
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = np.concatenate([arr] * 3) if arr.shape[0] == 1 else arr
        arr = arr[None]
    if arr.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got shape {arr.shape}")
    if arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, axis=1)
    return arr


def _normalized(arr: np.ndarray, value_range, scale_each: bool) -> np.ndarray:
    """Clamp to [low, high] (given, or each image's / the batch's min and max) and map to [0, 1]."""
    if value_range is not None and not isinstance(value_range, tuple):
        raise TypeError("value_range has to be a tuple (min, max) if specified. min and max are numbers")

    def norm(img):
        low, high = value_range if value_range is not None else (float(img.min()), float(img.max()))
        img = np.clip(img, low, high).astype(img.dtype, copy=False)
        return (img - img.dtype.type(low)) / img.dtype.type(max(high - low, 1e-5))

    if scale_each:
        return np.stack([norm(img) for img in arr])
    return norm(arr)


def make_grid(
    tensor,
    nrow: int = 8,
    padding: int = 2,
    normalize: bool = False,
    value_range=None,
    scale_each: bool = False,
    pad_value: float = 0.0,
    **kwargs,
) -> Tensor:
    """Tile a batch of images (B, C, H, W) into one image, ``nrow`` per row (see the module docstring).

    normalize: shift each image (scale_each) or the whole batch to [0, 1] by its min and max, or by
    ``value_range`` (min, max) after clamping to it.
    """
    arr = _images(tensor)
    if normalize:
        arr = _normalized(arr.copy(), value_range, scale_each)
    if arr.shape[0] == 1:
        return Tensor(arr[0].copy())
    nmaps, channels, h, w = arr.shape
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = h + padding, w + padding
    grid = np.full((channels, height * ymaps + padding, width * xmaps + padding), pad_value, dtype=arr.dtype)
    # view the grid as (C, ymaps, height, xmaps, width) cells; each image fills one cell after the padding
    cells = grid[:, : height * ymaps, : width * xmaps].reshape(channels, ymaps, height, xmaps, width)
    full = np.zeros((ymaps * xmaps, channels, h, w), dtype=arr.dtype)
    full[:nmaps] = arr
    tiles = full.reshape(ymaps, xmaps, channels, h, w).transpose(2, 0, 3, 1, 4)
    rows, cols = np.divmod(np.arange(ymaps * xmaps), xmaps)
    filled = np.zeros((ymaps, xmaps), dtype=bool)
    filled[rows[:nmaps], cols[:nmaps]] = True
    window = cells[:, :, padding:, :, padding:]
    window[...] = np.where(filled[None, :, None, :, None], tiles, window)
    return Tensor(grid)


def save_image(tensor, fp, format: str | None = None, **kwargs) -> None:  # noqa: A002 (torchvision's name)
    """``make_grid(tensor, **kwargs)`` saved as an 8-bit image file (PNG, JPEG, ...: ``fp``'s suffix or ``format``)."""
    grid = make_grid(tensor, **kwargs).numpy()
    scaled = np.clip(grid * grid.dtype.type(255) + grid.dtype.type(0.5), 0, 255)
    ndarr = scaled.transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr[:, :, 0] if ndarr.shape[2] == 1 else ndarr).save(fp, format=format)


__all__ = ["make_grid", "save_image"]
