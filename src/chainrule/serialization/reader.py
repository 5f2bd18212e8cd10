"""``load``: files in PyTorch's zip format (``torch.save`` since 1.6, and ``cr.save``), read without torch.

The pickle in ``<archive>/data.pkl`` is unpickled by ``TorchUnpickler``, whose ``find_class`` admits
only what rebuilding tensors and plain containers needs (``ALLOWED``): the tensor rebuild functions,
storage and dtype names, ``collections.OrderedDict``, ``torch.Size``, ``torch.device`` and a few pure
builtins. Any other global (``os.system``, ``builtins.eval``, a class of the saving script) is refused
with ``UnsafePickleError`` before anything is called, as ``torch.load(weights_only=True)`` refuses it.
A rebuild call becomes a ``cr.Tensor`` (``nn.Parameter`` for a parameter) holding a copy of the
strided view of its storage; the view is checked to lie inside the storage first.
"""

from __future__ import annotations

import codecs
import math
import os
import pickle
import zipfile
import zlib
from collections import OrderedDict

import numpy

from .. import devices as D
from ..autograd.errors import ChainruleError
from ..autograd.tensor import Tensor
from ..data.unpickle import UnsafePickleError
from ..nn.parameter import Parameter
from . import vocabulary as V


class SerializationError(ChainruleError, RuntimeError):
    """A file that is not a readable PyTorch checkpoint: truncated, corrupt, or of an unknown kind."""


class StorageType:
    """What ``GLOBAL torch FloatStorage`` (or ``torch.storage UntypedStorage``) means: an element dtype."""

    def __init__(self, name: str, dtype) -> None:
        self.name, self.dtype = name, dtype


class Storage:
    """A storage read from ``data/<key>``: its raw bytes, element dtype, saved location and target device."""

    def __init__(self, raw: bytes, dtype, location: str, device: D.Device, big_endian: bool) -> None:
        self.raw, self.dtype, self.location, self.device, self.big_endian = raw, dtype, location, device, big_endian

    def elements(self, dtype=None) -> numpy.ndarray:
        """The bytes as a flat read-only array of ``dtype`` (bfloat16 as its raw uint16 bits)."""
        dtype = self.dtype if dtype is None else dtype
        raw_dtype = numpy.dtype(numpy.uint16) if dtype == V.BFLOAT16 else dtype
        if len(self.raw) % raw_dtype.itemsize:
            raise SerializationError(f"a storage of {len(self.raw)} bytes does not hold whole {dtype} elements")
        return numpy.frombuffer(self.raw, raw_dtype.newbyteorder(">" if self.big_endian else "<"))


def _ints(value, what: str) -> tuple:
    if not isinstance(value, (tuple, list)) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise SerializationError(f"tensor {what} must be a tuple of ints, got {value!r}")
    return tuple(value)


def _strided(storage, offset, size, stride, dtype=None) -> numpy.ndarray:
    """A C-ordered copy of ``storage[offset + sum(i_k * stride_k)]`` over ``size``, after checking that
    every element it reads lies inside the storage (a corrupt file must not read outside it)."""
    if not isinstance(storage, Storage):
        raise SerializationError(f"a tensor's storage must come from the file, got {type(storage).__name__}")
    size, stride = _ints(size, "size"), _ints(stride, "stride")
    if not isinstance(offset, int) or len(size) != len(stride) or min(size, default=0) < 0:
        raise SerializationError(f"invalid tensor: offset {offset!r}, size {size}, stride {stride}")
    flat = storage.elements(dtype)
    if math.prod(size) == 0:
        array = numpy.empty(size, flat.dtype)
    else:
        last = offset + sum((n - 1) * s for n, s in zip(size, stride))
        if offset < 0 or min(stride, default=0) < 0 or last >= flat.size:
            raise SerializationError(
                f"a tensor of size {size}, stride {stride} at offset {offset} reaches past "
                f"its storage of {flat.size} elements"
            )
        view = numpy.lib.stride_tricks.as_strided(flat[offset:], size, tuple(s * flat.itemsize for s in stride))
        array = numpy.array(view, dtype=flat.dtype.newbyteorder("="))
    if (storage.dtype if dtype is None else dtype) == V.BFLOAT16:
        array = (array.astype(numpy.uint32) << 16).view(numpy.float32)  # bfloat16 is float32's top half
    return D.to_device(array, storage.device)


def _tensor(array, requires_grad) -> Tensor:
    return Tensor(array, requires_grad=bool(requires_grad))


def _no_state(state, what: str) -> None:
    if state:
        names = ", ".join(map(str, state))
        raise SerializationError(f"{what}: Python attributes on tensors ({names}) are not supported")


def rebuild_tensor(storage, storage_offset, size, stride) -> Tensor:
    return _tensor(_strided(storage, storage_offset, size, stride), False)


def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks, metadata=None) -> Tensor:
    """torch._utils._rebuild_tensor_v2: a tensor over a typed storage (the dtype is the storage's)."""
    _no_state(metadata, "tensor metadata (conjugate or negative bits)")
    return _tensor(_strided(storage, storage_offset, size, stride), requires_grad)


def rebuild_tensor_v3(
    storage, storage_offset, size, stride, requires_grad, backward_hooks, dtype, metadata=None
) -> Tensor:
    """torch._utils._rebuild_tensor_v3: a tensor over untyped bytes, its dtype given (uint16, ...)."""
    _no_state(metadata, "tensor metadata (conjugate or negative bits)")
    if not isinstance(dtype, numpy.dtype) and dtype != V.BFLOAT16:
        raise SerializationError(f"_rebuild_tensor_v3: expected a dtype, got {dtype!r}")
    return _tensor(_strided(storage, storage_offset, size, stride, dtype), requires_grad)


def rebuild_parameter(data, requires_grad, backward_hooks) -> Parameter:
    """torch._utils._rebuild_parameter: ``nn.Parameter(data, requires_grad)``."""
    if not isinstance(data, Tensor):
        raise SerializationError(f"_rebuild_parameter: expected a tensor, got {type(data).__name__}")
    return Parameter(data, requires_grad=bool(requires_grad))


def rebuild_parameter_with_state(data, requires_grad, backward_hooks, state) -> Parameter:
    _no_state(state, "_rebuild_parameter_with_state")
    return rebuild_parameter(data, requires_grad, backward_hooks)


REBUILDERS = {
    f.__name__.replace("rebuild", "_rebuild"): f
    for f in (rebuild_tensor, rebuild_tensor_v2, rebuild_tensor_v3, rebuild_parameter, rebuild_parameter_with_state)
}


def rebuild_from_type_v2(func, new_type, args, state):
    """torch._tensor._rebuild_from_type_v2: a tensor subclass or a tensor with attributes."""
    if func not in REBUILDERS.values() or new_type not in (Tensor, Parameter):
        kind = getattr(new_type, "__name__", new_type)
        raise SerializationError(f"_rebuild_from_type_v2: unsupported rebuild of {kind}")
    _no_state(state, "_rebuild_from_type_v2")
    out = func(*args)
    return Parameter(out, out.requires_grad) if new_type is Parameter and not isinstance(out, Parameter) else out


def _allowed() -> dict:
    allowed = {("torch._utils", name): f for name, f in REBUILDERS.items()}
    allowed[("torch._tensor", "_rebuild_from_type_v2")] = rebuild_from_type_v2
    allowed.update({("torch", name): StorageType(name, dtype) for name, dtype in V.STORAGE_DTYPES.items()})
    allowed[V.UNTYPED_STORAGE] = StorageType("UntypedStorage", numpy.dtype(numpy.uint8))
    allowed.update({("torch", name): dtype for name, dtype in V.TORCH_DTYPES.items()})
    allowed.update(
        {
            ("collections", "OrderedDict"): OrderedDict,
            ("torch", "Size"): tuple,
            ("torch", "device"): D.device,
            ("torch", "Tensor"): Tensor,
            ("torch.nn.parameter", "Parameter"): Parameter,
            # pure constructors that protocol-2 pickles use for bytes, sets and complex numbers
            ("_codecs", "encode"): codecs.encode,
            ("builtins", "bytearray"): bytearray,
            ("builtins", "set"): set,
            ("builtins", "complex"): complex,
        }
    )
    return allowed


ALLOWED = _allowed()


class TorchUnpickler(pickle.Unpickler):
    """Unpickles a torch checkpoint's ``data.pkl``: globals only from ``ALLOWED``, storages from the zip."""

    def __init__(self, file, load_storage) -> None:
        super().__init__(file, encoding="utf-8")
        self._load_storage = load_storage

    def find_class(self, module: str, name: str):
        try:
            return ALLOWED[(module, name)]
        except KeyError:
            raise UnsafePickleError(
                f"refusing to unpickle global {module}.{name}: only tensors (torch._utils rebuild functions, "
                "storages, dtypes), OrderedDict and plain containers are allowed"
            ) from None

    def persistent_load(self, pid):
        if not (
            isinstance(pid, tuple)
            and len(pid) == 5
            and pid[0] == "storage"
            and isinstance(pid[1], StorageType)
            and isinstance(pid[2], str)
            and isinstance(pid[3], str)
        ):
            raise UnsafePickleError(f"unknown persistent id {pid!r}: expected ('storage', type, key, location, numel)")
        _, kind, key, location, numel = pid
        return self._load_storage(kind, key, location, numel)


def _target_device(location: str, map_location, storage_tensor) -> D.Device:
    """Where a storage saved at ``location`` goes: PyTorch's map_location (None, a device, a dict of
    locations, or a callable ``(storage, location) -> storage``)."""
    if map_location is None:
        return D.device(location)
    if isinstance(map_location, (str, D.Device)):
        return D.device(map_location)
    if isinstance(map_location, dict):
        return D.device(map_location.get(location, location))
    if callable(map_location):
        moved = map_location(storage_tensor(), location)
        return D.device(location) if moved is None else D.device(getattr(moved, "device", moved))
    raise TypeError(f"load: map_location must be None, a device, a dict or a callable, got {map_location!r}")


def _record_prefix(names: list[str]) -> str:
    for member in names:
        if member.endswith("/data.pkl") and member.count("/") == 1:
            return member[: -len("data.pkl")]
    raise SerializationError("a zip file without <archive>/data.pkl is not a torch.save checkpoint")


def load_zip(f, map_location=None):
    """The object in a PyTorch zip checkpoint ``f`` (an open binary file)."""
    with zipfile.ZipFile(f) as zf:
        prefix = _record_prefix(zf.namelist())
        names = set(zf.namelist())
        big_endian = f"{prefix}byteorder" in names and zf.read(f"{prefix}byteorder").strip() == b"big"
        storages: dict[str, Storage] = {}

        def load_storage(kind: StorageType, key: str, location: str, numel) -> Storage:
            if key not in storages:
                member = f"{prefix}data/{key}"
                if member not in names:
                    raise SerializationError(f"storage {key!r} is missing ({member})")
                raw = zf.read(member)
                item = 2 if kind.dtype == V.BFLOAT16 else kind.dtype.itemsize
                if not isinstance(numel, int) or numel < 0 or len(raw) < numel * item:
                    raise SerializationError(
                        f"storage {key!r} ({member}) holds {len(raw)} bytes, too few for "
                        f"{numel!r} elements of {kind.name}"
                    )
                host = Storage(raw, kind.dtype, location, D.CPU, big_endian)
                dev = _target_device(location, map_location, lambda: Tensor(host.elements()))
                try:
                    dev = D.check(dev)
                except D.DeviceError as err:
                    raise D.DeviceError(
                        f"a tensor saved on {location!r} cannot be loaded here ({err}); "
                        "pass map_location='cpu' to load it on the CPU"
                    ) from None
                storages[key] = Storage(raw, kind.dtype, location, dev, big_endian)
            return storages[key]

        with zf.open(f"{prefix}data.pkl") as pkl:
            return TorchUnpickler(pkl, load_storage).load()


LEGACY_MAGIC = b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19"  # pickled magic number of torch < 1.6 files


def load(f, map_location=None, pickle_module=None, *, weights_only: bool | None = True, mmap=None, **pickle_load_args):
    """Read an object written by ``torch.save`` or ``cr.save``: tensors come back as ``cr.Tensor`` (a
    saved ``nn.Parameter`` as ``nn.Parameter``), containers as they were saved.

    Always restricted, as ``torch.load(weights_only=True)``: only tensors and plain containers
    load, whatever ``weights_only`` says; chainrule never unpickles arbitrary objects.
    ``map_location``: "cpu", "cuda", a device, a dict {saved location: new}, or a callable
    ``(storage, location) -> storage`` (None: the saved location). ``pickle_module``, ``mmap`` and
    further pickle arguments are accepted for torch's signature; the file is read into memory.
    Tensors that shared a storage in the file come back as separate copies.
    """
    if not (map_location is None or isinstance(map_location, (str, D.Device, dict)) or callable(map_location)):
        raise TypeError(f"load: map_location must be None, a device, a dict or a callable, got {map_location!r}")
    name = os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(f, "name", repr(f))
    source = open(f, "rb") if isinstance(f, (str, os.PathLike)) else f
    try:
        head = source.read(len(LEGACY_MAGIC))
        source.seek(-len(head), os.SEEK_CUR)
        if head == LEGACY_MAGIC:
            raise SerializationError(
                f"{name}: the legacy format of torch < 1.6 (or _use_new_zipfile_serialization="
                "False) is not supported; re-save it with torch.save in a recent PyTorch"
            )
        try:
            return load_zip(source, map_location)
        except UnsafePickleError as err:
            raise UnsafePickleError(f"{name}: {err}") from None
        except (SerializationError, D.DeviceError) as err:
            raise type(err)(f"{name}: {err}") from None
        except (
            zipfile.BadZipFile,
            EOFError,
            zlib.error,
            pickle.UnpicklingError,
            ValueError,
            TypeError,
            IndexError,
            KeyError,
            AttributeError,
        ) as err:
            raise SerializationError(
                f"{name}: not a readable PyTorch checkpoint (truncated or corrupt?): {type(err).__name__}: {err}"
            ) from None
    finally:
        if source is not f:
            source.close()
