"""``torchvision.transforms`` for chainrule: image transforms on PIL images and tensor images.

``Compose([ToTensor(), Normalize((0.1307,), (0.3081,))])`` turns an MNIST PIL image into a
normalised float32 (1, 28, 28) tensor; ``functional`` holds the operations as functions.
"""

from __future__ import annotations

from . import functional
from .functional import InterpolationMode
from .transforms import (
    CenterCrop,
    Compose,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAffine,
    RandomCrop,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    Resize,
    ToPILImage,
    ToTensor,
    Transform,
)

__all__ = [
    "CenterCrop",
    "Compose",
    "InterpolationMode",
    "Lambda",
    "Normalize",
    "PILToTensor",
    "Pad",
    "RandomAffine",
    "RandomCrop",
    "RandomHorizontalFlip",
    "RandomRotation",
    "RandomVerticalFlip",
    "Resize",
    "ToPILImage",
    "ToTensor",
    "Transform",
    "functional",
]
