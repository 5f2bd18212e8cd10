"""``torchvision`` for chainrule, for what the lecture needs: ``datasets.MNIST``/``FashionMNIST``,
``transforms`` (ToTensor, Normalize, Compose, RandomAffine, ...), ``utils.make_grid``/``save_image``.

``import chainrule.vision as torchvision`` or ``from chainrule.vision import datasets, transforms``.
"""

from __future__ import annotations

from . import datasets, transforms, utils

__all__ = ["datasets", "transforms", "utils"]
