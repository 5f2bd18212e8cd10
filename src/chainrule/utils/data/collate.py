"""Turning a list of samples into a batch, with ``torch.utils.data.default_collate``'s rules.

Element type of the samples -> batch:
  Tensor -> the tensors stacked on a new first dimension (same dtype)
  NumPy array -> tensors of it, stacked;  NumPy scalar -> a tensor of its dtype
  float -> float64 tensor;  int -> int64 tensor (bool -> bool);  str / bytes -> the list unchanged
  dict -> dict of collated values;  namedtuple -> the same namedtuple;  tuple / list -> list of
  collated columns (PyTorch returns a list for tuples too)
"""

from __future__ import annotations

import collections.abc
import copy

import numpy as np

from ... import backend as B
from ...autograd import Tensor, is_grad_enabled
from ...ops import stack

_ERR = "default_collate: batch must contain tensors, numpy arrays, numbers, dicts or lists; found {}"


def _is_str_or_object(dtype: np.dtype) -> bool:
    return dtype.kind in "SaUO"


def _check_sizes(batch: list) -> None:
    shapes = [tuple(t.shape) for t in batch]
    for i, shape in enumerate(shapes):
        if shape != shapes[0]:
            raise RuntimeError(
                f"stack expects each tensor to be equal size, but got {list(shapes[0])} at entry 0 "
                f"and {list(shape)} at entry {i}"
            )


def _stack_tensors(batch: list) -> Tensor:
    """torch.stack(batch, 0); differentiable when an input tracks gradients."""
    if is_grad_enabled() and any(t.requires_grad for t in batch):
        _check_sizes(batch)
        return stack(batch, 0)
    arrays = [t._data for t in batch]
    xp = np if type(arrays[0]) is np.ndarray else B.module_of(*arrays)
    try:
        return Tensor(xp.stack(arrays))
    except ValueError:
        _check_sizes(batch)  # names the first tensor of another size
        raise


def _as_tensor(x) -> Tensor:
    """torch.as_tensor of a NumPy array or scalar: its dtype kept."""
    return Tensor(np.asarray(x))


def _collate_numbers(batch: list) -> Tensor:
    if isinstance(batch[0], float):
        return Tensor(np.asarray(batch, dtype=np.float64))
    return Tensor(B.asarray(batch))  # ints -> int64, bools -> bool, ints mixed with floats -> the default float


def default_collate(batch):
    """Collate a list of samples into a batch (see the module docstring for the rules)."""
    elem = batch[0]
    if isinstance(elem, Tensor):
        return _stack_tensors(batch)
    if isinstance(elem, np.ndarray):
        if _is_str_or_object(elem.dtype):
            raise TypeError(_ERR.format(elem.dtype))
        return _stack_tensors([_as_tensor(b) for b in batch])
    if isinstance(elem, (np.bool_, np.number, np.object_)):
        return Tensor(np.asarray(batch))
    if isinstance(elem, (int, float)):
        return _collate_numbers(batch)
    if isinstance(elem, (str, bytes)):
        return batch
    if isinstance(elem, collections.abc.Mapping):
        values = {key: default_collate([d[key] for d in batch]) for key in elem}
        if isinstance(elem, collections.abc.MutableMapping):
            clone = copy.copy(elem)
            clone.update(values)
            return clone
        try:
            return type(elem)(values)
        except TypeError:
            return values
    if isinstance(elem, tuple) and hasattr(elem, "_fields"):  # namedtuple
        return type(elem)(*(default_collate(samples) for samples in zip(*batch)))
    if isinstance(elem, collections.abc.Sequence):
        size = len(elem)
        if any(len(e) != size for e in batch):
            raise RuntimeError("each element in list of batch should be of equal size")
        columns = [default_collate(samples) for samples in zip(*batch)]
        if isinstance(elem, tuple):
            return columns
        if isinstance(elem, collections.abc.MutableSequence):
            clone = copy.copy(elem)
            for i, c in enumerate(columns):
                clone[i] = c
            return clone
        try:
            return type(elem)(columns)
        except TypeError:
            return columns
    raise TypeError(_ERR.format(type(elem)))


def default_convert(data):
    """One sample without batching (``batch_size=None``): NumPy arrays and scalars become tensors,
    containers are converted recursively (tuples to lists), everything else is left as it is."""
    if isinstance(data, Tensor):
        return data
    if isinstance(data, np.ndarray):
        return data if _is_str_or_object(data.dtype) else _as_tensor(data)
    if isinstance(data, (np.bool_, np.number)):
        return _as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return (
            type(data)({k: default_convert(v) for k, v in data.items()})
            if isinstance(data, collections.abc.MutableMapping)
            else {k: default_convert(v) for k, v in data.items()}
        )
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(d) for d in data))
    if isinstance(data, tuple):
        return [default_convert(d) for d in data]
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        converted = [default_convert(d) for d in data]
        try:
            return type(data)(converted)
        except TypeError:
            return converted
    return data
