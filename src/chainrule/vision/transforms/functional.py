"""Image operations on PIL images and tensor images (..., C, H, W), as ``torchvision.transforms.functional``.

PIL images go through Pillow exactly as torchvision sends them (so results are torchvision's);
tensor images through NumPy on the whole array (``_geometry`` holds the affine resampling).
"""

from __future__ import annotations

import numbers
from enum import Enum

import numpy as np
from PIL import Image

from ... import backend as B
from ...autograd import Tensor
from . import _geometry


class InterpolationMode(Enum):
    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_PIL_RESAMPLE = {
    InterpolationMode.NEAREST: Image.Resampling.NEAREST,
    InterpolationMode.NEAREST_EXACT: Image.Resampling.NEAREST,
    InterpolationMode.BILINEAR: Image.Resampling.BILINEAR,
    InterpolationMode.BICUBIC: Image.Resampling.BICUBIC,
    InterpolationMode.BOX: Image.Resampling.BOX,
    InterpolationMode.HAMMING: Image.Resampling.HAMMING,
    InterpolationMode.LANCZOS: Image.Resampling.LANCZOS,
}
_PIL_DTYPE = {"I": np.int32, "I;16": np.int16, "F": np.float32}


def _mode(interpolation) -> InterpolationMode:
    return interpolation if isinstance(interpolation, InterpolationMode) else InterpolationMode(interpolation)


def _is_pil(img) -> bool:
    return isinstance(img, Image.Image)


def _tensor_array(img, name: str) -> np.ndarray:
    """The array of a tensor image (..., H, W); TypeError for anything else."""
    if not isinstance(img, Tensor):
        raise TypeError(f"{name}: img should be a PIL Image or a Tensor, got {type(img).__name__}")
    if img.ndim < 2:
        raise TypeError(f"{name}: a tensor image needs at least 2 dimensions (..., H, W), got shape {tuple(img.shape)}")
    return img.numpy()


def get_dimensions(img) -> list[int]:
    """[channels, height, width] of a PIL image or a tensor image."""
    if _is_pil(img):
        return [len(img.getbands()), img.height, img.width]
    arr = _tensor_array(img, "get_dimensions")
    return [1 if arr.ndim == 2 else arr.shape[-3], arr.shape[-2], arr.shape[-1]]


_BYTE_MODES = {"L": 1, "RGB": 3, "RGBA": 4}  # modes whose raw bytes are the uint8 pixels, band-interleaved


def to_tensor(pic) -> Tensor:
    """PIL image or (H, W[, C]) ndarray -> tensor (C, H, W); uint8 becomes float32 in [0, 1] (x / 255),
    other dtypes are kept as they are."""
    if _is_pil(pic):
        if pic.mode in _BYTE_MODES:  # the bytes straight into an array: no __array_interface__ round trip
            arr = np.frombuffer(pic.tobytes(), np.uint8).reshape(pic.height, pic.width, _BYTE_MODES[pic.mode])
        else:
            arr = np.array(pic, dtype=_PIL_DTYPE.get(pic.mode, np.uint8))
            if pic.mode == "1":
                arr = 255 * arr
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic
    else:
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    chw = arr[None] if arr.ndim == 2 else arr.transpose(2, 0, 1)
    if arr.dtype == np.uint8:  # one pass: float32(x) / 255, correctly rounded as torch's div
        out = np.empty(chw.shape, dtype=B.default_float)
        return Tensor(np.divide(chw, out.dtype.type(255), out=out, dtype=out.dtype))
    return Tensor(np.ascontiguousarray(chw))


def pil_to_tensor(pic) -> Tensor:
    """PIL image -> tensor (C, H, W) of its own dtype (uint8 for 'L'/'RGB'), not scaled."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, dtype=_PIL_DTYPE.get(pic.mode, np.uint8))
    return Tensor(np.ascontiguousarray((arr[:, :, None] if arr.ndim == 2 else arr).transpose(2, 0, 1)))


def to_pil_image(pic, mode: str | None = None) -> Image.Image:
    """Tensor (C, H, W) or ndarray (H, W, C) -> PIL image. A float tensor is scaled by 255 and
    truncated to uint8 (``pic.mul(255).byte()``); 1 channel gives mode 'L' (or 'I', 'I;16', 'F' by dtype)."""
    if isinstance(pic, Tensor):
        arr = pic.numpy()
        if arr.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {arr.ndim} dimensions.")
        arr = arr[None] if arr.ndim == 2 else arr
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * arr.dtype.type(255)).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    channels = arr.shape[2]
    if channels == 1:
        by_dtype = {
            np.dtype(np.uint8): "L",
            np.dtype(np.int16): "I;16",
            np.dtype(np.int32): "I",
            np.dtype(np.float32): "F",
        }
        expected = by_dtype.get(arr.dtype)
        if expected is None or (mode is not None and mode != expected):
            raise TypeError(f"to_pil_image: a 1-channel {arr.dtype} image cannot be mode {mode or expected}")
        return Image.fromarray(np.ascontiguousarray(arr[:, :, 0]))
    if channels not in (2, 3, 4) or arr.dtype != np.uint8:
        raise TypeError(f"to_pil_image: {channels} channels of {arr.dtype}; expected 1 channel, or 2-4 of uint8")
    modes = {2: "LA", 3: "RGB", 4: "RGBA"}
    image = Image.fromarray(np.ascontiguousarray(arr))
    return image if mode is None or mode == modes[channels] else image.convert(mode)


def channel_stats(mean, std, dtype, xp=np) -> tuple:
    """mean and std as arrays of ``dtype`` shaped to broadcast over (..., C, H, W): (C,) -> (C, 1, 1)."""
    mean, std = xp.asarray(mean, dtype=dtype), xp.asarray(std, dtype=dtype)
    if (std == 0).any():
        raise ValueError(f"std evaluated to zero after conversion to {np.dtype(dtype)}, leading to division by zero.")
    return (mean.reshape(-1, 1, 1) if mean.ndim == 1 else mean), (std.reshape(-1, 1, 1) if std.ndim == 1 else std)


def _checked_image(tensor) -> None:
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    arr = tensor._data
    if arr.dtype.kind != "f":
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if arr.ndim < 3:
        raise ValueError(
            f"Expected tensor to be a tensor image of size (..., C, H, W). Got tensor.size() = {tuple(arr.shape)}"
        )


def normalize(tensor: Tensor, mean, std, inplace: bool = False, _stats=None) -> Tensor:
    """(tensor - mean[c]) / std[c] per channel of a float tensor image (..., C, H, W).

    ``_stats``: ``channel_stats``' result, prepared once by ``Normalize``."""
    _checked_image(tensor)
    arr = tensor._data
    mean, std = _stats if _stats is not None else channel_stats(mean, std, arr.dtype, B.module_of(arr))
    if tensor.requires_grad:  # keep the graph: (x - mean) / std through the ops
        return (tensor - Tensor(mean)) / Tensor(std)
    if inplace:
        arr -= mean
        arr /= std
        return tensor
    out = arr - mean
    out /= std
    return Tensor(out)


def _with_channels(img, name: str, fn) -> Tensor:
    """Apply ``fn`` to the array of a tensor image as (..., C, H, W) and restore a 2-D image's shape."""
    arr = _tensor_array(img, name)
    flat = arr.ndim == 2
    out = fn(arr[None] if flat else arr)
    return Tensor(out[0] if flat else out)


def crop(img, top: int, left: int, height: int, width: int):
    """The (height, width) window at (top, left); outside the image is zero (as torchvision pads)."""
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))

    def fn(arr):
        h, w = arr.shape[-2:]
        pads = [max(-top, 0), max(top + height - h, 0), max(-left, 0), max(left + width - w, 0)]
        if any(pads):
            arr = np.pad(arr, [(0, 0)] * (arr.ndim - 2) + [(pads[0], pads[1]), (pads[2], pads[3])])
            top_, left_ = top + pads[0], left + pads[2]
        else:
            top_, left_ = top, left
        return arr[..., top_ : top_ + height, left_ : left_ + width].copy()

    return _with_channels(img, "crop", fn)


def _size_pair(size, name: str) -> tuple[int, int]:
    if isinstance(size, numbers.Integral):
        return int(size), int(size)
    size = tuple(size)
    if len(size) == 1:
        return int(size[0]), int(size[0])
    if len(size) != 2:
        raise ValueError(f"{name}: size should be an int or a sequence of 1 or 2 values, got {size}")
    return int(size[0]), int(size[1])


def center_crop(img, output_size):
    """The centred (h, w) window: top = round((H - h) / 2), left = round((W - w) / 2)."""
    th, tw = _size_pair(output_size, "center_crop")
    _, h, w = get_dimensions(img)
    if th > h or tw > w:  # pad to fit first, as torchvision
        pads = [
            (tw - w) // 2 if tw > w else 0,
            (th - h) // 2 if th > h else 0,
            (tw - w + 1) // 2 if tw > w else 0,
            (th - h + 1) // 2 if th > h else 0,
        ]
        img = pad(img, pads, fill=0)
        _, h, w = get_dimensions(img)
        if th == h and tw == w:
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def _pad_widths(padding) -> tuple[int, int, int, int]:
    """torchvision's padding: int (all sides), (lr, tb), or (left, top, right, bottom) -> (l, t, r, b)."""
    if isinstance(padding, numbers.Integral):
        p = int(padding)
        return p, p, p, p
    padding = [int(p) for p in padding]
    if len(padding) == 1:
        return (padding[0],) * 4
    if len(padding) == 2:
        return padding[0], padding[1], padding[0], padding[1]
    if len(padding) == 4:
        return tuple(padding)
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a {len(padding)} element tuple")


_NP_PAD = {"constant": "constant", "edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}


def pad(img, padding, fill=0, padding_mode: str = "constant"):
    """Pad the borders: padding (l, t, r, b) as in ``_pad_widths``; modes constant, edge, reflect, symmetric."""
    if padding_mode not in _NP_PAD:
        raise ValueError(f"Padding mode should be either constant, edge, reflect or symmetric, got {padding_mode!r}")
    left, top, right, bottom = _pad_widths(padding)
    kw = {"constant_values": fill} if padding_mode == "constant" else {}

    def fn(arr):
        return np.pad(arr, [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)], mode=padding_mode, **kw)

    if _is_pil(img):
        arr = np.asarray(img)
        out = fn(arr if arr.ndim == 2 else np.moveaxis(arr, -1, 0))
        return Image.fromarray(out if arr.ndim == 2 else np.moveaxis(out, 0, -1))
    return _with_channels(img, "pad", fn)


def hflip(img):
    """Mirror left-right."""
    if _is_pil(img):
        return img.transpose(Image.Transpose.FLIP_LEFT_RIGHT)
    return _with_channels(img, "hflip", lambda a: a[..., ::-1].copy())


def vflip(img):
    """Mirror top-bottom."""
    if _is_pil(img):
        return img.transpose(Image.Transpose.FLIP_TOP_BOTTOM)
    return _with_channels(img, "vflip", lambda a: a[..., ::-1, :].copy())


def resized_size(h: int, w: int, size, max_size: int | None = None) -> tuple[int, int]:
    """(new_h, new_w): an int (or [int]) sets the shorter edge, keeping the aspect ratio; (h, w) is taken as is."""
    if isinstance(size, numbers.Integral) or len(size) == 1:
        requested = int(size if isinstance(size, numbers.Integral) else size[0])
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None and new_long > max_size:
            new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_long, new_short) if w <= h else (new_short, new_long)
    return int(size[0]), int(size[1])


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size: int | None = None, antialias=True):
    """Resize to ``size`` (see ``resized_size``). PIL images through Pillow; tensor images channel by
    channel through Pillow's float resampling (the antialiased filters torch's ``antialias=True``
    follows), or torch's nearest rule src = floor(dst * in / out)."""
    mode = _mode(interpolation)
    _, h, w = get_dimensions(img)
    new_h, new_w = resized_size(h, w, size, max_size)
    if (new_h, new_w) == (h, w):
        return img
    if _is_pil(img):
        return img.resize((new_w, new_h), _PIL_RESAMPLE[mode])

    def fn(arr):
        if mode == InterpolationMode.NEAREST:
            rows = np.minimum(np.floor(np.arange(new_h) * (h / new_h)).astype(np.intp), h - 1)
            cols = np.minimum(np.floor(np.arange(new_w) * (w / new_w)).astype(np.intp), w - 1)
            return arr[..., rows[:, None], cols]
        planes = arr.reshape(-1, h, w).astype(np.float32)
        out = np.stack(
            [np.asarray(Image.fromarray(p, mode="F").resize((new_w, new_h), _PIL_RESAMPLE[mode])) for p in planes]
        )
        if arr.dtype.kind != "f":
            out = np.clip(np.rint(out), np.iinfo(arr.dtype).min, np.iinfo(arr.dtype).max)
        return out.astype(arr.dtype).reshape(arr.shape[:-2] + (new_h, new_w))

    return _with_channels(img, "resize", fn)


def _pil_fill(fill, img) -> int | float | tuple:
    """torchvision's ``_parse_fill``: one value per band, ints unless the image is float ('F')."""
    bands = len(img.getbands())
    fill = 0 if fill is None else fill
    values = list(fill) if isinstance(fill, (list, tuple)) else [fill] * bands
    values = values * bands if len(values) == 1 else values
    if len(values) != bands:
        raise ValueError(
            f"The number of elements in 'fill' does not match the number of channels of the image "
            f"({len(values)} != {bands})"
        )
    values = values if img.mode == "F" else [int(v) for v in values]
    return values[0] if bands == 1 else tuple(values)


def _shear_pair(shear) -> list[float]:
    if isinstance(shear, numbers.Number):
        return [float(shear), 0.0]
    shear = [float(s) for s in shear]
    if len(shear) == 1:
        return [shear[0], shear[0]]
    if len(shear) != 2:
        raise ValueError(f"Shear should be a sequence containing two values. Got {shear}")
    return shear


def affine(
    img, angle: float, translate, scale: float, shear, interpolation=InterpolationMode.NEAREST, fill=None, center=None
):
    """Rotate by ``angle`` degrees, shift by ``translate`` (dx, dy) pixels, scale and shear (degrees),
    about ``center`` (default the image centre), keeping the size; uncovered pixels get ``fill``."""
    mode, shear = _mode(interpolation), _shear_pair(shear)
    if len(translate) != 2:
        raise ValueError(f"Argument translate should be a sequence of length 2, got {translate}")
    if scale <= 0.0:
        raise ValueError(f"Argument scale should be positive, got {scale}")
    _, h, w = get_dimensions(img)
    if _is_pil(img):
        c = [w * 0.5, h * 0.5] if center is None else list(center)
        matrix = _geometry.inverse_affine_matrix(c, float(angle), translate, scale, shear)
        return img.transform(
            (w, h), Image.Transform.AFFINE, matrix, _PIL_RESAMPLE[mode], fillcolor=_pil_fill(fill, img)
        )
    c = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (w, h))]
    matrix = _geometry.inverse_affine_matrix(c, float(angle), [float(t) for t in translate], scale, shear)
    return _with_channels(img, "affine", lambda a: _geometry.warp(a, matrix, mode.value, fill))


def rotate(img, angle: float, interpolation=InterpolationMode.NEAREST, expand: bool = False, center=None, fill=None):
    """Rotate counter-clockwise by ``angle`` degrees about ``center``; ``expand`` grows the canvas to fit."""
    mode = _mode(interpolation)
    if _is_pil(img):
        return img.rotate(angle, _PIL_RESAMPLE[mode], expand, center, fillcolor=_pil_fill(fill, img))
    _, h, w = get_dimensions(img)
    c = [0.0, 0.0] if center is None else [cc - s * 0.5 for cc, s in zip(center, (w, h))]
    matrix = _geometry.inverse_affine_matrix(c, -float(angle), [0.0, 0.0], 1.0, [0.0, 0.0])
    out_size = _geometry.affine_output_size(matrix, w, h) if expand else None
    return _with_channels(img, "rotate", lambda a: _geometry.warp(a, matrix, mode.value, fill, out_size))


__all__ = [
    "InterpolationMode",
    "affine",
    "center_crop",
    "crop",
    "get_dimensions",
    "hflip",
    "normalize",
    "pad",
    "pil_to_tensor",
    "resize",
    "rotate",
    "to_pil_image",
    "to_tensor",
    "vflip",
]
