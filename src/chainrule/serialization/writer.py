"""``save``: PyTorch's zip format, written without torch.

The file is a zip archive (stored, not compressed) holding

    archive/data.pkl          the object, pickled (protocol 2); each tensor is a call
                              torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks)
    archive/data/<key>        each storage's raw bytes, little-endian, 64-byte aligned in the file
    archive/version, byteorder, .format_version, .storage_alignment, .data/serialization_id

so ``torch.load(path, weights_only=True)`` reads it. The pickle names torch's globals (``torch
FloatStorage``, ``torch._utils _rebuild_tensor_v2``) through ``TorchName`` placeholders that write a
GLOBAL opcode; a storage is a persistent id ``("storage", type, key, location, numel)``, as torch's
own pickler writes it.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import struct
import zipfile
from collections import OrderedDict

import numpy

from .. import devices as D
from ..autograd.tensor import Tensor
from ..nn.parameter import Parameter
from . import vocabulary as V


class TorchName:
    """A global of torch's namespace, written into the pickle by name (torch need not be importable)."""

    __slots__ = ("module", "name")
    _cache: dict[tuple[str, str], TorchName] = {}

    def __new__(cls, module: str, name: str) -> TorchName:
        key = (module, name)
        if key not in cls._cache:  # one object per name: the pickler's memo writes each GLOBAL once
            self = object.__new__(cls)
            self.module, self.name = module, name
            cls._cache[key] = self
        return cls._cache[key]

    def __call__(self, *args):  # pickle's save_reduce insists on a callable; torch calls the real one
        raise TypeError(f"{self.module}.{self.name} names a torch function for the pickle; it is not callable here")


class _Storage:
    """One storage to write: a flat host array, its key in ``data/`` and the pickle's description."""

    def __init__(self, key: str, root: numpy.ndarray, location: str) -> None:
        flat = root.ravel(order="K").astype(root.dtype.newbyteorder("<"), copy=False)  # memory order
        self.key, self.root, self.flat, self.location = key, root, flat, location  # root kept alive: id() keys it
        name = V.STORAGE_NAMES.get(flat.dtype)
        if name is not None:  # a typed storage: numel counts elements
            self.type, self.numel = TorchName("torch", name), flat.size
        else:  # uint16/32/64 have no typed storage: untyped bytes, the dtype goes to _rebuild_tensor_v3
            self.type, self.numel = TorchName(*V.UNTYPED_STORAGE), flat.nbytes


class _Plain:
    """A Parameter's inner tensor: pickled as a plain tensor that does not require grad."""

    __slots__ = ("array",)

    def __init__(self, array) -> None:
        self.array = array


class TorchPickler(pickle._Pickler):
    """Pickles chainrule tensors and NumPy arrays as torch tensors; everything else as pickle does.

    ``pickle._Pickler`` (the pure-Python pickler) is subclassed because its ``dispatch`` table lets a
    ``TorchName`` write a GLOBAL opcode without the named object existing.
    """

    dispatch = pickle._Pickler.dispatch.copy()

    def __init__(self, file, protocol: int = 2) -> None:
        super().__init__(file, protocol=protocol)
        self.storages: dict[int, _Storage] = {}  # id(root array) -> its storage, so views share one

    def save_torch_name(self, obj: TorchName) -> None:
        self.write(pickle.GLOBAL + obj.module.encode() + b"\n" + obj.name.encode() + b"\n")
        self.memoize(obj)

    dispatch[TorchName] = save_torch_name

    def save(self, obj, save_persistent_id: bool = True) -> None:
        if isinstance(obj, numpy.generic):  # NumPy scalars as Python numbers (torch's loader refuses numpy globals)
            obj = obj.item()
        elif isinstance(obj, numpy.dtype) and obj in V.DTYPE_NAMES:
            obj = TorchName("torch", V.DTYPE_NAMES[obj])
        super().save(obj, save_persistent_id)

    def persistent_id(self, obj):
        if isinstance(obj, _Storage):
            return ("storage", obj.type, obj.key, obj.location, obj.numel)
        return None

    def reducer_override(self, obj):
        if isinstance(obj, Parameter):
            rebuild = TorchName(V.REBUILD_MODULE, "_rebuild_parameter")
            return rebuild, (_Plain(obj._data), obj.requires_grad, OrderedDict())
        if isinstance(obj, Tensor):
            return self._reduce_array(obj._data, obj.requires_grad)
        if isinstance(obj, _Plain):
            return self._reduce_array(obj.array, False)
        if isinstance(obj, numpy.ndarray):  # an array in a state dict is saved as a tensor
            return self._reduce_array(obj, False)
        if isinstance(obj, D.Device):
            return TorchName("torch", "device"), ((obj.type,) if obj.index is None else (obj.type, obj.index))
        return NotImplemented

    def _reduce_array(self, array, requires_grad: bool):
        location = str(D.device_of(array))
        storage, offset, stride = self._storage_of(D.to_host(array), location)
        args = (storage, offset, tuple(array.shape), stride, requires_grad, OrderedDict())
        if storage.type.name == V.UNTYPED_STORAGE[1]:
            dtype = TorchName("torch", V.DTYPE_NAMES[array.dtype])
            return TorchName(V.REBUILD_MODULE, "_rebuild_tensor_v3"), (*args, dtype)
        return TorchName(V.REBUILD_MODULE, "_rebuild_tensor_v2"), args

    def _storage_of(self, array: numpy.ndarray, location: str) -> tuple[_Storage, int, tuple]:
        """(storage, offset, strides in elements): the memory block a view lies in, so views keep
        their offsets and strides and share one storage, as torch.save keeps them."""
        if array.dtype not in V.DTYPE_NAMES:
            raise TypeError(f"save: arrays of dtype {array.dtype} have no PyTorch equivalent")
        root, offset, stride = _block_of(array)
        if root is None:  # a layout torch cannot express (negative strides, a foreign buffer): a copy
            root = numpy.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
            offset, stride = 0, tuple(s // root.itemsize for s in root.strides)
        if id(root) not in self.storages:
            self.storages[id(root)] = _Storage(str(len(self.storages)), root, location)
        return self.storages[id(root)], offset, stride


def _block_of(array: numpy.ndarray):
    """(root, offset, strides in elements) when ``array`` is a view with non-negative strides into a
    contiguous, native-order block of its own dtype; else (None, 0, ())."""
    root = array
    while isinstance(root.base, numpy.ndarray):
        root = root.base
    item = array.itemsize
    usable = (
        root.dtype == array.dtype
        and array.dtype.isnative
        and array.size > 0
        and (root.flags.c_contiguous or root.flags.f_contiguous)
    )
    if not usable:
        return None, 0, ()
    start = array.__array_interface__["data"][0] - root.__array_interface__["data"][0]
    if start < 0 or start % item or any(s < 0 or s % item for s in array.strides):
        return None, 0, ()
    return root, start // item, tuple(s // item for s in array.strides)


def _write_record(zf: zipfile.ZipFile, name: str, payload) -> None:
    """One stored zip member whose bytes start at a multiple of 64 in the file (a padding extra
    field, id 'FB', as torch's writer pads), so torch can map storages straight from the file."""
    data = memoryview(payload).cast("B") if not isinstance(payload, bytes) else payload
    info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
    info.file_size = len(data)
    zip64 = len(data) > zipfile.ZIP64_LIMIT
    header = 30 + len(name.encode()) + 4 + (20 if zip64 else 0)  # local header, name, our field, zip64 field
    pad = -(zf.fp.tell() + header) % V.STORAGE_ALIGNMENT
    info.extra = struct.pack("<2sH", b"FB", pad) + b"Z" * pad
    with zf.open(info, "w", force_zip64=zip64) as out:
        out.write(data)


def save(obj, f, pickle_protocol: int = 2) -> None:
    """Write ``obj`` (tensors, arrays, dicts, lists, tuples, numbers, strings, None, ...) to ``f`` (a
    path or a binary file) in PyTorch's zip format, as ``torch.save``; ``torch.load`` reads it."""
    buffer = io.BytesIO()
    pickler = TorchPickler(buffer, protocol=pickle_protocol)
    pickler.dump(obj)
    pickled = buffer.getvalue()
    storages = list(pickler.storages.values())
    serial = str(int(hashlib.sha1(pickled).hexdigest(), 16))[:40].encode()
    records = [
        ("data.pkl", pickled),
        (".format_version", b"1"),
        (".storage_alignment", str(V.STORAGE_ALIGNMENT).encode()),
        ("byteorder", b"little"),
    ]
    records += [(f"data/{s.key}", numpy.ascontiguousarray(s.flat).view(numpy.uint8)) for s in storages]
    records += [("version", V.FORMAT_VERSION), (".data/serialization_id", serial)]
    target = open(f, "wb") if isinstance(f, (str, os.PathLike)) else f
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as zf:
            for name, payload in records:
                _write_record(zf, f"archive/{name}", payload)
    finally:
        if target is not f:
            target.close()
