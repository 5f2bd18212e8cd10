"""Transform objects, as ``torchvision.transforms``: callables on PIL images or tensor images.

Random transforms draw from chainrule's global generator (``cr.manual_seed`` makes them
repeatable), with torchvision's parameter ranges.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable, Sequence

from ... import backend as B
from ...autograd import Tensor
from . import functional as F
from .functional import InterpolationMode


class Transform:
    """A callable transform; ``forward`` is the same as calling it (torchvision's are Modules)."""

    def __call__(self, img):
        return self.forward(img)

    def forward(self, img):
        raise NotImplementedError(type(self).__name__)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class Compose(Transform):
    """Apply ``transforms`` in order: ``Compose([f, g])(x) == g(f(x))``."""

    def __init__(self, transforms: Sequence[Callable]) -> None:
        self.transforms = list(transforms)

    def forward(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def __repr__(self) -> str:
        return "Compose(\n" + "".join(f"    {t}\n" for t in self.transforms) + ")"


class Lambda(Transform):
    """A user function as a transform."""

    def __init__(self, lambd: Callable) -> None:
        if not callable(lambd):
            raise TypeError(f"Argument lambd should be callable, got {type(lambd).__name__!r}")
        self.lambd = lambd

    def forward(self, img):
        return self.lambd(img)


class ToTensor(Transform):
    """PIL image or (H, W, C) ndarray -> tensor (C, H, W); uint8 scaled to float32 in [0, 1]."""

    def forward(self, pic):
        return F.to_tensor(pic)


class PILToTensor(Transform):
    """PIL image -> tensor (C, H, W) of its own dtype, not scaled."""

    def forward(self, pic):
        return F.pil_to_tensor(pic)


class ToPILImage(Transform):
    """Tensor (C, H, W) or ndarray (H, W, C) -> PIL image (floats scaled by 255)."""

    def __init__(self, mode: str | None = None) -> None:
        self.mode = mode

    def forward(self, pic):
        return F.to_pil_image(pic, self.mode)


class Normalize(Transform):
    """(x - mean[c]) / std[c] per channel of a float tensor image."""

    def __init__(self, mean, std, inplace: bool = False) -> None:
        self._stats = {}  # (dtype, array type) -> mean and std as arrays, made once (cleared when they change)
        self.mean, self.std, self.inplace = mean, std, inplace

    def __setattr__(self, name, value) -> None:
        if name in ("mean", "std"):
            self._stats.clear()
        super().__setattr__(name, value)

    def forward(self, tensor):
        F._checked_image(tensor)
        arr = tensor._data
        key = (arr.dtype, type(arr))
        if key not in self._stats:
            self._stats[key] = F.channel_stats(self.mean, self.std, arr.dtype, B.module_of(arr))
        return F.normalize(tensor, self.mean, self.std, self.inplace, _stats=self._stats[key])

    def __repr__(self) -> str:
        return f"Normalize(mean={self.mean}, std={self.std})"


class Resize(Transform):
    """Resize to ``size``: an int sets the shorter edge (aspect kept), (h, w) the exact size."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True) -> None:
        self.size, self.interpolation, self.max_size, self.antialias = size, interpolation, max_size, antialias

    def forward(self, img):
        return F.resize(img, self.size, self.interpolation, self.max_size, self.antialias)

    def __repr__(self) -> str:
        return f"Resize(size={self.size}, interpolation={F._mode(self.interpolation).value})"


class CenterCrop(Transform):
    """The centred ``size`` window (padded with zeros when the image is smaller)."""

    def __init__(self, size) -> None:
        self.size = F._size_pair(size, "CenterCrop")

    def forward(self, img):
        return F.center_crop(img, self.size)

    def __repr__(self) -> str:
        return f"CenterCrop(size={self.size})"


class Pad(Transform):
    """Pad the borders (int, (lr, tb) or (l, t, r, b)) with ``fill`` or by ``padding_mode``."""

    def __init__(self, padding, fill=0, padding_mode: str = "constant") -> None:
        F._pad_widths(padding)  # validates
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def forward(self, img):
        return F.pad(img, self.padding, self.fill, self.padding_mode)

    def __repr__(self) -> str:
        return f"Pad(padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode})"


def _uniform(low: float, high: float) -> float:
    return float(B.rng().uniform(low, high))


def _range(value, name: str, center: float = 0.0) -> list[float]:
    """A number d -> [center - d, center + d] (d >= 0); a pair -> itself."""
    if isinstance(value, numbers.Number):
        if value < 0:
            raise ValueError(f"If {name} is a single number, it must be positive.")
        return [center - float(value), center + float(value)]
    value = [float(v) for v in value]
    if len(value) != 2:
        raise ValueError(f"If {name} is a sequence, it must be of len 2.")
    return value


def _tensor_fill(fill, img):
    """RandomAffine/RandomRotation pass a per-channel list for tensors, as torchvision."""
    if isinstance(img, Tensor):
        channels = F.get_dimensions(img)[0]
        return [float(fill)] * channels if isinstance(fill, (int, float)) else [float(f) for f in fill]
    return fill


class RandomRotation(Transform):
    """Rotate by an angle drawn uniformly from ``degrees`` (d -> [-d, d])."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False, center=None, fill=0) -> None:
        self.degrees = _range(degrees, "degrees")
        self.interpolation, self.expand, self.center, self.fill = interpolation, expand, center, fill

    @staticmethod
    def get_params(degrees) -> float:
        return _uniform(degrees[0], degrees[1])

    def forward(self, img):
        angle = self.get_params(self.degrees)
        return F.rotate(img, angle, self.interpolation, self.expand, self.center, _tensor_fill(self.fill, img))

    def __repr__(self) -> str:
        return f"RandomRotation(degrees={self.degrees}, interpolation={F._mode(self.interpolation).value})"


class RandomAffine(Transform):
    """A random affine map: angle ~ U(degrees), shift ~ round(U(-t W, t W)) (and H), scale ~ U(scale),
    shear ~ U(shear) (s -> x shear in [-s, s]; four values -> x and y), torchvision's ``get_params``."""

    def __init__(
        self,
        degrees,
        translate=None,
        scale=None,
        shear=None,
        interpolation=InterpolationMode.NEAREST,
        fill=0,
        center=None,
    ) -> None:
        self.degrees = _range(degrees, "degrees")
        if translate is not None:
            if len(translate) != 2 or not all(0.0 <= t <= 1.0 for t in translate):
                raise ValueError(f"translate should be a sequence of 2 values between 0 and 1, got {translate}")
        if scale is not None:
            if len(scale) != 2 or not all(s > 0 for s in scale):
                raise ValueError(f"scale should be a sequence of 2 positive values, got {scale}")
        if shear is not None:
            shear = _range(shear, "shear") if isinstance(shear, numbers.Number) else [float(s) for s in shear]
            if len(shear) not in (2, 4):
                raise ValueError(f"shear should be a number or a sequence of 2 or 4 values, got {shear}")
        self.translate, self.scale, self.shear = translate, scale, shear
        self.interpolation, self.fill, self.center = interpolation, fill, center

    @staticmethod
    def get_params(degrees, translate, scale_ranges, shears, img_size):
        """-> (angle, (tx, ty), scale, (shear_x, shear_y)) for an image of size [width, height]."""
        angle = _uniform(degrees[0], degrees[1])
        if translate is not None:
            max_dx, max_dy = float(translate[0] * img_size[0]), float(translate[1] * img_size[1])
            translations = (int(round(_uniform(-max_dx, max_dx))), int(round(_uniform(-max_dy, max_dy))))
        else:
            translations = (0, 0)
        scale = _uniform(scale_ranges[0], scale_ranges[1]) if scale_ranges is not None else 1.0
        shear_x = shear_y = 0.0
        if shears is not None:
            shear_x = _uniform(shears[0], shears[1])
            if len(shears) == 4:
                shear_y = _uniform(shears[2], shears[3])
        return angle, translations, scale, (shear_x, shear_y)

    def forward(self, img):
        _, height, width = F.get_dimensions(img)
        angle, translations, scale, shear = self.get_params(
            self.degrees, self.translate, self.scale, self.shear, [width, height]
        )
        return F.affine(
            img, angle, translations, scale, shear, self.interpolation, _tensor_fill(self.fill, img), self.center
        )

    def __repr__(self) -> str:
        parts = [f"degrees={self.degrees}"] + [
            f"{k}={v}"
            for k, v in (("translate", self.translate), ("scale", self.scale), ("shear", self.shear))
            if v is not None
        ]
        return f"RandomAffine({', '.join(parts)})"


class RandomHorizontalFlip(Transform):
    """Mirror left-right with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def forward(self, img):
        return F.hflip(img) if B.rng().random() < self.p else img


class RandomVerticalFlip(Transform):
    """Mirror top-bottom with probability ``p``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def forward(self, img):
        return F.vflip(img) if B.rng().random() < self.p else img


class RandomCrop(Transform):
    """A random ``size`` window, after optional ``padding`` (and padding up to ``size`` if ``pad_if_needed``)."""

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant") -> None:
        self.size = F._size_pair(size, "RandomCrop")
        self.padding, self.pad_if_needed, self.fill, self.padding_mode = padding, pad_if_needed, fill, padding_mode

    def forward(self, img):
        if self.padding is not None:
            img = F.pad(img, self.padding, self.fill, self.padding_mode)
        _, h, w = F.get_dimensions(img)
        th, tw = self.size
        if self.pad_if_needed and (w < tw or h < th):
            img = F.pad(img, [max(tw - w, 0), max(th - h, 0)], self.fill, self.padding_mode)
            _, h, w = F.get_dimensions(img)
        if h < th or w < tw:
            raise ValueError(f"Required crop size {(th, tw)} is larger than input image size {(h, w)}")
        top, left = int(B.rng().integers(0, h - th + 1)), int(B.rng().integers(0, w - tw + 1))
        return F.crop(img, top, left, th, tw)

    def __repr__(self) -> str:
        return f"RandomCrop(size={self.size}, padding={self.padding})"
