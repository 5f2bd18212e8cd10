"""One image file to one MNIST-style digit: light ink on black, 28x28, float32 in [0, 1].

MNIST's own preparation (LeCun et al.): the digit's bounding box is scaled, keeping its aspect
ratio, to fit 20x20 with anti-aliasing, then placed in a 28x28 field so that its centre of mass
lands on the centre. ``load_image`` does the same to any picture a user brings to ``chainrule
predict``: any size, colour or grayscale, with or without transparency, dark ink on light paper
or light ink on a dark screen:

1. grayscale (ITU-R 601 luma, as Pillow's "L"); transparent pixels are laid on a background that
   contrasts with the opaque ink;
2. invert when the background is light (the median of the border pixels above one half);
3. stretch so the background (the border median) is 0 and the brightest ink is 1;
4. crop to the bounding box of the pixels above ``INK_THRESHOLD``;
5. resize the longer side to 20 px (Lanczos), keeping the aspect ratio;
6. paste into 28x28 with the centre of mass at pixel (14, 14) (row, column, pixel indices), the
   nearest whole-pixel shift that keeps the whole box inside the field.
"""

from __future__ import annotations

import os

from .. import backend as B
from ..autograd.errors import ChainruleError

SIZE = 28  # the MNIST field
BOX = 20  # the longer side of the digit's box inside it
CENTER = 14.0  # where the centre of mass goes (pixel index, row and column)
INK_THRESHOLD = 0.2  # after stretching to [0, 1]: what counts as ink for the bounding box
MIN_CONTRAST = 1e-3  # brightest ink minus background below this: the image is blank
MAX_SIDE = 1024  # huge photos are shrunk to this first: the digit ends up 20 px anyway


class ImageError(ChainruleError, ValueError):
    """An image that cannot become a digit: not an image, unreadable, missing, or blank."""


def load_image(path) -> B.numpy.ndarray:
    """Read an image file -> float32 (28, 28) in [0, 1], light digit on black, MNIST-centred.

    Raises ImageError (one line naming the file) for a missing path, a file that is not an image,
    a truncated or corrupt one, or a blank one.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    name = os.fspath(path)
    if not os.path.exists(name):
        raise ImageError(f"{name}: no such image file")
    if os.path.isdir(name):
        raise ImageError(f"{name}: is a folder, not an image file")
    try:
        with Image.open(name) as img:
            img.load()
            img = _to_gray_or_rgba(ImageOps.exif_transpose(img))  # phone photos: stored sideways, EXIF says so
            img.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
            arr = B.numpy.asarray(img)
    except UnidentifiedImageError:
        raise ImageError(f"{name}: not an image file (Pillow cannot identify its format)") from None
    except Image.DecompressionBombError as e:
        raise ImageError(f"{name}: image too large to open safely ({e})") from None
    except (OSError, SyntaxError, ValueError) as e:  # truncated data, bad chunks, unreadable file
        raise ImageError(f"{name}: cannot read image ({type(e).__name__}: {_one_line(e)})") from None
    return preprocess_array(arr, name=name)


def _to_gray_or_rgba(img):
    """Pillow image -> mode "L", or "RGBA" when it carries transparency; 16-bit and float kept exact."""
    if img.mode in ("I", "I;16", "I;16B", "I;16L", "I;16N", "F"):
        return img.convert("F")
    if "A" in img.getbands() or "transparency" in img.info:
        return img.convert("RGBA")
    return img.convert("L")


def _one_line(e: Exception) -> str:
    return " ".join(str(e).split()) or "no details"


def preprocess_array(arr, name: str = "array") -> B.numpy.ndarray:
    """The same normalisation as ``load_image``, from an array already in memory.

    arr: (H, W) grayscale, or (H, W, 3) RGB, or (H, W, 4) RGBA; uint8 (0..255), uint16
    (0..65535), bool, or float (taken as [0, 1] when it lies there, else min-max scaled).
    Returns float32 (28, 28).
    """
    xp = B.numpy
    arr = xp.asarray(arr)
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (1, 3, 4)):
        raise ImageError(f"{name}: expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ImageError(f"{name}: image is empty (shape {arr.shape})")
    if arr.dtype.kind not in "buif":
        raise ImageError(f"{name}: pixel values must be numbers, got dtype {arr.dtype}")
    gray = _grayscale(_unit_range(arr), name)
    border = xp.concatenate([gray[0], gray[-1], gray[1:-1, 0], gray[1:-1, -1]])
    if xp.median(border) > 0.5:  # light paper: make the ink the bright part, as MNIST
        gray, border = 1.0 - gray, 1.0 - border
    background = float(xp.median(border))
    contrast = float(gray.max()) - background
    if contrast < MIN_CONTRAST:
        raise ImageError(f"{name}: image is blank (no ink stands out from the background)")
    ink = xp.clip((gray - background) / contrast, 0.0, 1.0)
    return _center(_fit_box(_crop(ink)))


def _unit_range(arr):
    """Pixel values -> float64 in [0, 1], by dtype."""
    xp = B.numpy
    if arr.dtype.kind == "b":
        return arr.astype(xp.float64)
    if arr.dtype.kind in "ui":
        top = 255.0 if arr.dtype.itemsize == 1 or float(arr.max()) <= 255 else float(xp.iinfo(arr.dtype).max)
        return xp.clip(arr.astype(xp.float64) / top, 0.0, 1.0)
    out = arr.astype(xp.float64)
    if not bool(xp.isfinite(out).all()):
        out = xp.nan_to_num(out, nan=0.0, posinf=0.0, neginf=0.0)
    lo, hi = float(out.min()), float(out.max())
    if lo < 0.0 or hi > 1.0:  # not in [0, 1]: 0..255 floats, or anything else
        out = out / 255.0 if lo >= 0.0 and hi <= 255.0 else (out - lo) / max(hi - lo, 1e-12)
    return out


def _grayscale(arr, name: str):
    """(H, W[, 1|3|4]) in [0, 1] -> (H, W) luma; alpha composited over a background opposite the ink."""
    xp = B.numpy
    if arr.ndim == 2:
        return arr
    if arr.shape[2] == 1:
        return arr[..., 0]
    luma = arr[..., :3] @ xp.asarray([0.299, 0.587, 0.114])
    if arr.shape[2] == 3:
        return luma
    alpha = arr[..., 3]
    if float(alpha.sum()) == 0.0:
        raise ImageError(f"{name}: image is blank (every pixel is fully transparent)")
    ink_luma = float((alpha * luma).sum() / alpha.sum())
    paper = 1.0 if ink_luma < 0.5 else 0.0  # dark ink on a transparent sheet reads as dark on white
    return alpha * luma + (1.0 - alpha) * paper


def _crop(ink):
    """The bounding box of the pixels above INK_THRESHOLD (the brightest pixel is 1, so one exists)."""
    xp = B.numpy
    rows = xp.flatnonzero((ink > INK_THRESHOLD).any(axis=1))
    cols = xp.flatnonzero((ink > INK_THRESHOLD).any(axis=0))
    return ink[rows[0] : rows[-1] + 1, cols[0] : cols[-1] + 1]


def _fit_box(ink):
    """Resize so the longer side is BOX px, keeping the aspect ratio (Lanczos, clipped to [0, 1])."""
    from PIL import Image

    xp = B.numpy
    h, w = ink.shape
    scale = BOX / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))  # Pillow: (width, height)
    resized = Image.fromarray(ink.astype(xp.float32)).resize(size, Image.Resampling.LANCZOS)
    return xp.clip(xp.asarray(resized, dtype=xp.float32), 0.0, 1.0)


def _center(digit):
    """Paste (h, w) <= (BOX, BOX) into SIZE x SIZE zeros with its centre of mass at (CENTER, CENTER)."""
    xp = B.numpy
    h, w = digit.shape
    mass = float(digit.sum())
    out = xp.zeros((SIZE, SIZE), dtype=xp.float32)
    if mass <= 0.0:  # resizing a faint sliver can wash it out: centre the box instead
        com_r, com_c = (h - 1) / 2, (w - 1) / 2
    else:
        com_r = float(digit.sum(axis=1) @ xp.arange(h)) / mass
        com_c = float(digit.sum(axis=0) @ xp.arange(w)) / mass
    top = min(max(round(CENTER - com_r), 0), SIZE - h)
    left = min(max(round(CENTER - com_c), 0), SIZE - w)
    out[top : top + h, left : left + w] = digit
    return out
