"""``device=`` / ``dtype=`` for layers, as PyTorch's factory arguments: ``nn.Linear(3, 4, dtype=cr.float64)``."""

from __future__ import annotations

from ..autograd.creation import zeros
from .parameter import Parameter


def new_parameter(shape: tuple, device=None, dtype=None, fill: float = 0.0) -> Parameter:
    """A Parameter of ``shape`` filled with ``fill``, in ``dtype`` (default: the default float dtype)
    on ``device`` ("cpu", "cuda[:k]"; default: the default device); layers then initialise it."""
    data = zeros(*shape, dtype=dtype, device=device)._data
    if fill:
        data[...] = fill
    return Parameter(data)
