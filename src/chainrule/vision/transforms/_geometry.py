"""Affine resampling of tensor images, with torchvision's formulas (``F_t.affine`` / ``rotate``).

An output pixel (i, j) of an (oh, ow) image sits at (x, y) = (j - ow/2 + 1/2, i - oh/2 + 1/2),
centred coordinates; the inverse matrix M (2x3) maps it to the source point M @ (x, y, 1), read
back as pixel (M @ p) + (w/2 - 1/2, h/2 - 1/2). That is ``grid_sample`` with
``align_corners=False`` on torchvision's affine grid, computed in float32 as torch does. Nearest
rounds half to even; bilinear weights the four neighbours; points outside take ``fill``.
"""

from __future__ import annotations

import math

import numpy as np


def inverse_affine_matrix(center, angle: float, translate, scale: float, shear) -> list[float]:
    """torchvision's ``_get_inverse_affine_matrix``: the 2x3 matrix (row-major, 6 floats) of
    (T C R S Sh C^-1)^-1 for rotation ``angle`` and shears in degrees, so ``M @ output = source``."""
    rot, sx, sy = math.radians(angle), math.radians(shear[0]), math.radians(shear[1])
    cx, cy = center
    tx, ty = translate
    a = math.cos(rot - sy) / math.cos(sy)
    b = -math.cos(rot - sy) * math.tan(sx) / math.cos(sy) - math.sin(rot)
    c = math.sin(rot - sy) / math.cos(sy)
    d = -math.sin(rot - sy) * math.tan(sx) / math.cos(sy) + math.cos(rot)
    m = [x / scale for x in (d, -b, 0.0, -c, a, 0.0)]  # the inverse of [[a, b], [c, d]] (det 1), over scale
    m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty)
    m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty)
    m[2] += cx
    m[5] += cy
    return m


def affine_output_size(matrix, w: int, h: int) -> tuple[int, int]:
    """(ow, oh) of ``rotate(expand=True)``: the bounding box of the four corners under ``matrix``."""
    pts = np.array(
        [[-0.5 * w, -0.5 * h, 1.0], [-0.5 * w, 0.5 * h, 1.0], [0.5 * w, 0.5 * h, 1.0], [0.5 * w, -0.5 * h, 1.0]],
        dtype=np.float32,
    )
    new = pts @ np.asarray(matrix, dtype=np.float32).reshape(2, 3).T
    tol = np.float32(1e-4)
    cmax = np.ceil(np.trunc(new.max(0) / tol) * tol)
    cmin = np.floor(np.trunc(new.min(0) / tol) * tol)
    size = cmax - cmin
    return int(size[0]), int(size[1])


def _source_pixels(matrix, w: int, h: int, ow: int, oh: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """Source pixel coordinates (ix, iy), each (oh, ow), of every output pixel (float, in ``dtype``)."""
    theta = np.asarray(matrix, dtype=dtype).reshape(2, 3)
    rescaled = theta.T / np.array([0.5 * w, 0.5 * h], dtype=dtype)  # (3, 2): the grid in [-1, 1] units
    bx = (np.arange(ow, dtype=dtype) - dtype(ow * 0.5 - 0.5))[None, :]
    by = (np.arange(oh, dtype=dtype) - dtype(oh * 0.5 - 0.5))[:, None]
    gx = bx * rescaled[0, 0] + by * rescaled[1, 0] + rescaled[2, 0]
    gy = bx * rescaled[0, 1] + by * rescaled[1, 1] + rescaled[2, 1]
    one, two = dtype(1), dtype(2)
    return ((gx + one) * dtype(w) - one) / two, ((gy + one) * dtype(h) - one) / two


def _fill_values(fill, channels: int, dtype) -> np.ndarray:
    values = [0.0] if fill is None else ([float(fill)] if np.isscalar(fill) else [float(f) for f in fill])
    if len(values) not in (1, channels):
        raise ValueError(f"fill: got {len(values)} values for an image with {channels} channels")
    return np.broadcast_to(np.asarray(values, dtype=dtype), (channels,))[:, None, None]


def warp(img: np.ndarray, matrix, interpolation: str = "nearest", fill=None, out_size=None) -> np.ndarray:
    """Resample ``img`` (..., C, H, W) through the inverse affine ``matrix`` -> (..., C, oh, ow).

    out_size: (ow, oh), default (w, h). fill: a number or one per channel for points outside
    (None: zeros, and bilinear then fades to zero without blending, as torchvision). Integer images are
    sampled in float32 and rounded back, as torchvision does.
    """
    if interpolation not in ("nearest", "bilinear"):
        raise ValueError(f"tensor images support nearest and bilinear interpolation, got {interpolation!r}")
    h, w = img.shape[-2:]
    ow, oh = (w, h) if out_size is None else out_size
    dtype = img.dtype.type if img.dtype.kind == "f" else np.float32
    src = img.astype(dtype, copy=False)
    ix, iy = _source_pixels(matrix, w, h, ow, oh, dtype)
    if interpolation == "nearest":
        jx, jy = np.rint(ix).astype(np.intp), np.rint(iy).astype(np.intp)
        inside = (jx >= 0) & (jx < w) & (jy >= 0) & (jy < h)
        out = src[..., np.clip(jy, 0, h - 1), np.clip(jx, 0, w - 1)]
        out = np.where(inside, out, _fill_values(fill, img.shape[-3], dtype))
    else:
        x0, y0 = np.floor(ix), np.floor(iy)
        out = np.zeros(src.shape[:-2] + (oh, ow), dtype=dtype)
        mask = np.zeros((oh, ow), dtype=dtype)
        for dy in (0, 1):
            for dx in (0, 1):  # the four neighbours, each weighted by the opposite rectangle's area
                x, y = x0 + dx, y0 + dy
                weight = (1 - np.abs(ix - x)) * (1 - np.abs(iy - y))
                ok = (x >= 0) & (x < w) & (y >= 0) & (y < h)
                xi, yi = np.clip(x, 0, w - 1).astype(np.intp), np.clip(y, 0, h - 1).astype(np.intp)
                out += np.where(ok, weight, 0).astype(dtype) * src[..., yi, xi]
                mask += np.where(ok, weight, 0).astype(dtype)
        if fill is not None:  # torchvision blends with the fill by the in-bounds weight
            out = out * mask + (1 - mask) * _fill_values(fill, img.shape[-3], dtype)
    if img.dtype.kind != "f":
        out = np.rint(out)
    return out.astype(img.dtype, copy=False)
