"""The IDX file format of MNIST and Fashion-MNIST: read and write, gzipped or not.

Layout (all integers big-endian)::

    bytes 0-1   0x00 0x00
    byte  2     type code: 0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32, 0x0E float64
    byte  3     ndim
    4 * ndim    the size of each dimension (uint32)
    ...         prod(sizes) items of the type, C order, big-endian

A file is gzipped when it starts with the gzip magic bytes 1f 8b, whatever its name says. Every
defect (bad gzip, bad magic, a size that does not match the file length) is a ``DataError`` whose
message names the file and what is wrong.
"""

from __future__ import annotations

import gzip
import hashlib
import math
import os
import struct
import zlib
from pathlib import Path

import numpy as np

from ..errors import DataError
from ..io import atomic_write_bytes
from ..io import temporary_path as temporary_path  # re-exported: data/mnist.py, data/sources.py

GZIP_MAGIC = b"\x1f\x8b"

# IDX type code -> big-endian dtype, and back
IDX_DTYPES = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
_CODES = {dt.newbyteorder("="): code for code, dt in IDX_DTYPES.items()}


def read_bytes(path: str | os.PathLike) -> bytes:
    """The file's content, gunzipped when it starts with 1f 8b; gzip errors become DataError."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror or e})") from e
    if not raw.startswith(GZIP_MAGIC):
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as e:  # BadGzipFile is an OSError; CRC/length errors too
        raise DataError(f"{path}: corrupt gzip data ({e}); {_gzip_sizes(raw)}") from e


def _gzip_sizes(raw: bytes) -> str:
    """What a broken .gz still holds: its size, the bytes it decompresses to before the break, and
    (when those start with an IDX header) the size that header asks for."""
    d, got = zlib.decompressobj(16 + zlib.MAX_WBITS), []
    try:
        for i in range(0, len(raw), 1 << 16):
            got.append(d.decompress(raw[i : i + (1 << 16)]))
    except zlib.error:
        pass  # the output up to the damage is what we report
    data = b"".join(got)
    text = f"the {len(raw)}-byte file decompresses to {len(data)} bytes before it breaks off"
    try:
        shape, dtype, expected = idx_layout(data, "")
    except DataError:
        return text
    return text + f", the IDX header asks for {expected} (shape {shape} of {dtype.newbyteorder('=').name})"


def idx_layout(data: bytes, name: str) -> tuple[tuple, np.dtype, int]:
    """(shape, big-endian dtype, expected file size) from an IDX header; DataError if there is none."""
    if len(data) < 4:
        raise DataError(f"{name}: {len(data)} bytes, too short for an IDX header (4 bytes of magic number)")
    zero, code, ndim = struct.unpack(">HBB", data[:4])
    if zero != 0 or code not in IDX_DTYPES:
        raise DataError(
            f"{name}: not an IDX file (magic number 0x{data[:4].hex()}; expected 0x0000 then a type code "
            f"in {{{', '.join(f'0x{c:02x}' for c in IDX_DTYPES)}}} and the number of dimensions)"
        )
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{name}: {len(data)} bytes, too short for the {header}-byte header of a {ndim}-d IDX file")
    shape = struct.unpack(f">{ndim}I", data[4:header])
    dtype = IDX_DTYPES[code]
    return shape, dtype, header + math.prod(shape) * dtype.itemsize


def parse_idx(data: bytes, name: str = "<bytes>") -> np.ndarray:
    """IDX bytes -> array (native byte order, writable); ``name`` goes into error messages."""
    shape, dtype, expected = idx_layout(data, name)
    header, count = 4 + 4 * len(shape), math.prod(shape)
    if len(data) != expected:
        raise DataError(
            f"{name}: expected {expected} bytes ({header}-byte header + {count * dtype.itemsize} of data) "
            f"for shape {shape} of {dtype.newbyteorder('=').name}, found {len(data)}"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return array.astype(dtype.newbyteorder("="))  # a native-order, writable copy


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Read an IDX file (gzipped or not) -> ndarray of its type and shape, native byte order."""
    return parse_idx(read_bytes(path), str(path))


def idx_header(array: np.ndarray) -> tuple[bytes, np.dtype]:
    """(the IDX header of ``array``, the big-endian dtype its data are written in)."""
    code = _CODES.get(array.dtype.newbyteorder("="))
    if code is None:
        raise TypeError(
            f"write_idx: IDX has no type for dtype {array.dtype}; use uint8, int8, int16, int32, float32 or float64"
        )
    if array.ndim > 255 or any(s >= 2**32 for s in array.shape):
        raise ValueError(f"write_idx: shape {array.shape} does not fit IDX (at most 255 dims of < 2**32)")
    return struct.pack(f">HBB{array.ndim}I", 0, code, array.ndim, *array.shape), IDX_DTYPES[code]


def idx_bytes(array) -> bytes:
    """The IDX encoding of an array (header + big-endian data)."""
    array = np.asarray(array)
    header, dtype = idx_header(array)
    return header + np.ascontiguousarray(array, dtype=dtype).tobytes()


def idx_digest(array, algorithm: str = "md5") -> str:
    """The digest of ``idx_bytes(array)``, without building it: the checksum of the uncompressed file."""
    array = np.asarray(array)
    header, dtype = idx_header(array)
    h = hashlib.new(algorithm, header)
    h.update(np.ascontiguousarray(array, dtype=dtype).reshape(-1).view(np.uint8))
    return h.hexdigest()


def write_idx(path: str | os.PathLike, array, compress: bool | None = None) -> Path:
    """Write ``array`` as an IDX file, atomically; gzipped when ``compress`` (default: name ends in .gz)."""
    path = Path(path)
    data = idx_bytes(array)
    if compress is None:
        compress = path.suffix == ".gz"
    if compress:
        data = gzip.compress(data, mtime=0)
    atomic_write_bytes(path, data)
    return path
