"""A data folder the user names is used alone: when it is wrong, an error naming the file and the
sizes, never a warning followed by training on data from elsewhere (issue 14, class 5).

Every case has good data waiting in the cache, so a silent fallback would succeed and be caught.
"""

from __future__ import annotations

import gzip
import logging

import numpy as np
import pytest

from chainrule.cli import main
from chainrule.data import DataError, load_mnist, mnist
from chainrule.data.idx import idx_bytes
from chainrule.vision import datasets

from .conftest import fabricate, write_set

IMAGES, LABELS = "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"
IMAGES_BYTES = 16 + 12 * 28 * 28  # the fabricated test split: 12 images


def _truncate(folder, name, keep):
    path = folder / name
    path.write_bytes(path.read_bytes()[:keep])
    return path


def _damage(folder, kind):
    """Damage a written test split -> (the path the message must name, texts it must hold)."""
    if kind == "no folder":
        return folder / "nothing", ["no folder"]
    if kind == "missing file":
        (folder / f"{LABELS}.gz").unlink()
        return folder, [f"no {LABELS}.gz or {LABELS} in"]
    if kind == "truncated":
        data = (folder / f"{IMAGES}.gz").read_bytes()
        (folder / f"{IMAGES}.gz").unlink()
        (folder / IMAGES).write_bytes(gzip.decompress(data)[:1000])
        return folder / IMAGES, [f"expected {IMAGES_BYTES} bytes", "found 1000"]
    if kind == "trailing bytes":
        (folder / f"{IMAGES}.gz").write_bytes(gzip.compress(idx_bytes(np.zeros((12, 28, 28), np.uint8)) + b"xx"))
        return folder / f"{IMAGES}.gz", [f"expected {IMAGES_BYTES} bytes", f"found {IMAGES_BYTES + 2}"]
    if kind == "truncated gzip":
        size = (folder / f"{IMAGES}.gz").stat().st_size
        path = _truncate(folder, f"{IMAGES}.gz", size // 2)
        return path, [
            "corrupt gzip data",
            f"the {size // 2}-byte file decompresses to",
            f"the IDX header asks for {IMAGES_BYTES}",
        ]
    if kind == "not idx":
        (folder / f"{LABELS}.gz").write_bytes(b"<html>404 not found</html>")
        return folder / f"{LABELS}.gz", ["not an IDX file (magic number 0x3c68746d"]
    if kind == "count mismatch":
        (folder / f"{LABELS}.gz").write_bytes(gzip.compress(idx_bytes(np.zeros(11, np.uint8))))
        return folder / f"{IMAGES}.gz", ["12 test images but labels of uint8 (11,)"]
    raise AssertionError(kind)


KINDS = ["no folder", "missing file", "truncated", "trailing bytes", "truncated gzip", "not idx", "count mismatch"]


@pytest.fixture
def good_cache(home, offline):
    """Valid data of another seed in the cache: what a fallback would silently train on."""
    data = fabricate(seed=7)
    mnist.save_cache(mnist.MNIST, data, home)
    return data


@pytest.mark.parametrize("kind", KINDS)
def test_named_folder_that_is_wrong_is_an_error_not_a_fallback(tmp_path, good_cache, caplog, kind):
    folder = tmp_path / "mine"
    write_set(folder, fabricate(seed=1))
    named, texts = _damage(folder, kind)
    root = named if kind == "no folder" else folder
    caplog.set_level(logging.INFO, logger="chainrule.data")
    with pytest.raises(DataError) as e:
        load_mnist("test", root=root)
    msg = str(e.value)
    assert msg.startswith(f"MNIST test set from the folder you named ({root}): ")
    assert str(named) in msg
    for text in texts:
        assert text in msg, (text, msg)
    assert "cache" not in caplog.text and "mirror" not in caplog.text  # nothing else was even tried
    assert len(load_mnist("test")[0]) == len(good_cache["test"][0])  # unnamed: the cache is fine


def test_named_folder_that_is_right_is_used(tmp_path, good_cache):
    data = fabricate(seed=1)
    write_set(tmp_path / "mine", data)
    images, labels = load_mnist("test", root=tmp_path / "mine")
    np.testing.assert_array_equal(images, data["test"][0])
    np.testing.assert_array_equal(labels, data["test"][1])


def test_torchvision_raw_folder_counts_as_named(tmp_path, good_cache):
    """root/MNIST/raw holding the split's files is the user's source: a truncated file is an error."""
    raw = tmp_path / "data" / "MNIST" / "raw"
    write_set(raw, fabricate(seed=1), gz=False)
    _truncate(raw, IMAGES, 1000)
    with pytest.raises(RuntimeError, match=rf"{raw / IMAGES}: expected {IMAGES_BYTES} bytes .* found 1000"):
        datasets.MNIST(tmp_path / "data", train=False)
    empty = datasets.MNIST(tmp_path / "elsewhere", train=False)  # no raw files: the cache, as before
    np.testing.assert_array_equal(empty.targets.numpy(), good_cache["test"][1])


def test_experiment_cli_data_root_error_names_the_file(tmp_path, good_cache, capsys):
    folder = tmp_path / "mine"
    write_set(folder, fabricate(seed=1))
    _truncate(folder, "train-images-idx3-ubyte.gz", 100)
    code = main(
        [
            "experiment",
            "vanishing",
            "--quick",
            "--no-progress",
            "--data-root",
            str(folder),
            "--out",
            str(tmp_path / "run"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 1, err
    assert f"{folder / 'train-images-idx3-ubyte.gz'}: corrupt gzip data" in err and "Traceback" not in err
