"""The names a ``torch.save`` pickle uses, and what they mean without torch.

A torch file's pickle refers to torch's globals by name (``GLOBAL 'torch FloatStorage'``); chainrule
never imports torch, so the writer emits these names and the reader maps them back here. A storage
name or dtype name fixes the element type of the raw bytes in ``archive/data/<key>``.
"""

from __future__ import annotations

import numpy

BFLOAT16 = "bfloat16"  # no NumPy dtype: read as its raw 16 bits, widened to float32 (exact)

# torch's typed-storage class names (GLOBAL torch <name>) -> element dtype
STORAGE_DTYPES = {
    "FloatStorage": numpy.dtype(numpy.float32),
    "DoubleStorage": numpy.dtype(numpy.float64),
    "HalfStorage": numpy.dtype(numpy.float16),
    "LongStorage": numpy.dtype(numpy.int64),
    "IntStorage": numpy.dtype(numpy.int32),
    "ShortStorage": numpy.dtype(numpy.int16),
    "CharStorage": numpy.dtype(numpy.int8),
    "ByteStorage": numpy.dtype(numpy.uint8),
    "BoolStorage": numpy.dtype(numpy.bool_),
    "ComplexFloatStorage": numpy.dtype(numpy.complex64),
    "ComplexDoubleStorage": numpy.dtype(numpy.complex128),
    "BFloat16Storage": BFLOAT16,
}
STORAGE_NAMES = {dtype: name for name, dtype in STORAGE_DTYPES.items() if dtype != BFLOAT16}

# torch's dtype names (GLOBAL torch <name>, e.g. for _rebuild_tensor_v3) -> element dtype
TORCH_DTYPES = {
    "float32": numpy.dtype(numpy.float32),
    "float64": numpy.dtype(numpy.float64),
    "float16": numpy.dtype(numpy.float16),
    "bfloat16": BFLOAT16,
    "int64": numpy.dtype(numpy.int64),
    "int32": numpy.dtype(numpy.int32),
    "int16": numpy.dtype(numpy.int16),
    "int8": numpy.dtype(numpy.int8),
    "uint8": numpy.dtype(numpy.uint8),
    "uint16": numpy.dtype(numpy.uint16),
    "uint32": numpy.dtype(numpy.uint32),
    "uint64": numpy.dtype(numpy.uint64),
    "bool": numpy.dtype(numpy.bool_),
    "complex64": numpy.dtype(numpy.complex64),
    "complex128": numpy.dtype(numpy.complex128),
}
DTYPE_NAMES = {dtype: name for name, dtype in TORCH_DTYPES.items() if dtype != BFLOAT16}

# the rebuild functions (module torch._utils) that a tensor's pickle calls
REBUILD_MODULE = "torch._utils"
UNTYPED_STORAGE = ("torch.storage", "UntypedStorage")  # raw bytes; the dtype comes with the tensor

FORMAT_VERSION = b"3\n"  # archive/version: the zip format torch.save writes since PyTorch 1.6
STORAGE_ALIGNMENT = 64  # storages start at multiples of 64 bytes in the file, as torch aligns them
