"""IDX reader/writer: round trips over every IDX type, gzip detected by content, and every defect a DataError."""

from __future__ import annotations

import gzip
import struct

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from chainrule.data import DataError, read_idx, write_idx
from chainrule.data.idx import idx_bytes, idx_digest, parse_idx

IDX_TYPES = ["uint8", "int8", "int16", "int32", "float32", "float64"]


@given(
    array=st.sampled_from(IDX_TYPES).flatmap(
        lambda dt: hnp.arrays(dt, hnp.array_shapes(min_dims=1, max_dims=4, min_side=0, max_side=6))
    ),
    compress=st.booleans(),
)
def test_round_trip_every_type(tmp_path_factory, array, compress):
    path = tmp_path_factory.mktemp("idx") / ("a.idx.gz" if compress else "a.idx")
    write_idx(path, array)
    assert (path.read_bytes()[:2] == b"\x1f\x8b") == compress
    back = read_idx(path)
    assert back.dtype == array.dtype and back.shape == array.shape
    np.testing.assert_array_equal(back, array)  # NaNs compare equal here
    assert back.dtype.isnative and back.flags.writeable


def test_header_is_the_published_layout(tmp_path):
    images = np.arange(2 * 28 * 28, dtype=np.uint8).reshape(2, 28, 28)
    data = idx_bytes(images)
    assert data[:4] == b"\x00\x00\x08\x03"
    assert struct.unpack(">3I", data[4:16]) == (2, 28, 28)
    assert data[16:] == images.tobytes() and len(data) == 16 + 2 * 784
    labels = idx_bytes(np.array([5, 0, 4], dtype=np.uint8))
    assert labels == b"\x00\x00\x08\x01" + struct.pack(">I", 3) + bytes([5, 0, 4])
    assert idx_bytes(np.array([1.5], dtype=np.float32))[8:] == struct.pack(">f", 1.5)  # big-endian data
    import hashlib

    assert idx_digest(images) == hashlib.md5(data).hexdigest()


def test_gzip_is_detected_by_magic_bytes_not_by_name(tmp_path):
    a = np.arange(12, dtype=np.int16).reshape(3, 4)
    plain_named_gz = tmp_path / "plain.gz"
    plain_named_gz.write_bytes(idx_bytes(a))
    gz_without_suffix = tmp_path / "compressed-idx1-ubyte"
    gz_without_suffix.write_bytes(gzip.compress(idx_bytes(a)))
    np.testing.assert_array_equal(read_idx(plain_named_gz), a)
    np.testing.assert_array_equal(read_idx(gz_without_suffix), a)
    write_idx(tmp_path / "forced", a, compress=True)
    assert (tmp_path / "forced").read_bytes()[:2] == b"\x1f\x8b"


def test_unsupported_dtypes_are_refused(tmp_path):
    with pytest.raises(TypeError, match="int64"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=np.int64))
    with pytest.raises(TypeError, match="bool"):
        write_idx(tmp_path / "x", np.zeros(3, dtype=bool))
    assert not list(tmp_path.iterdir())  # nothing written, not even a temporary file


@pytest.fixture
def images_file(tmp_path):
    path = tmp_path / "train-images-idx3-ubyte"
    write_idx(path, np.ones((5, 28, 28), dtype=np.uint8))
    return path


def test_truncated_data_names_file_and_sizes(images_file):
    images_file.write_bytes(images_file.read_bytes()[:1234])
    with pytest.raises(DataError) as e:
        read_idx(images_file)
    msg = str(e.value)
    assert str(images_file) in msg
    assert "expected 3936 bytes" in msg and "(5, 28, 28)" in msg and "found 1234" in msg


def test_trailing_bytes_are_an_error(images_file):
    images_file.write_bytes(images_file.read_bytes() + b"\x00")
    with pytest.raises(DataError, match="found 3937"):
        read_idx(images_file)


@pytest.mark.parametrize(
    "header, reason",
    [
        (b"\x00\x01\x08\x03", "not an IDX file"),  # the two leading bytes must be zero
        (b"\x00\x00\x07\x03", "not an IDX file"),  # 0x07 is not a type code
        (b"PK\x03\x04", "not an IDX file"),  # a zip, say
        (b"\x00\x00", "too short"),
        (b"\x00\x00\x08\x03\x00\x00\x00\x05", "too short for the 16-byte header"),
    ],
)
def test_bad_magic_and_header(tmp_path, header, reason):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(header)
    with pytest.raises(DataError, match=reason) as e:
        read_idx(path)
    assert str(path) in str(e.value)


def test_bad_gzip_names_the_file(tmp_path):
    good = gzip.compress(idx_bytes(np.arange(1000, dtype=np.int32)))
    truncated = tmp_path / "truncated.gz"
    truncated.write_bytes(good[: len(good) // 2])
    bad_crc = tmp_path / "bad-crc.gz"
    bad_crc.write_bytes(good[:-8] + bytes([good[-8] ^ 0xFF]) + good[-7:])  # flip a byte of the CRC-32
    garbage = tmp_path / "garbage.gz"
    garbage.write_bytes(b"\x1f\x8b" + b"\xff" * 40)
    for path in (truncated, bad_crc, garbage):
        with pytest.raises(DataError, match="corrupt gzip") as e:
            read_idx(path)
        assert str(path) in str(e.value)


def test_missing_file_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="cannot read") as e:
        read_idx(tmp_path / "nope-idx3-ubyte.gz")
    assert "nope-idx3-ubyte.gz" in str(e.value)
    assert isinstance(e.value, ValueError)


def test_parse_idx_zero_dims_and_empty():
    np.testing.assert_array_equal(parse_idx(idx_bytes(np.zeros((0, 28), np.uint8))), np.zeros((0, 28), np.uint8))
    assert parse_idx(idx_bytes(np.float64(2.5))).shape == ()
