"""Moving a tensor between devices as an op, so that gradients find their way back."""

from __future__ import annotations

from ..autograd.function import Function
from ..backend import devices as D


class ToDevice(Function):
    """out = x, copied to another device (host <-> GPU); the local gradient is the identity, so
    d/dx = upstream, copied back to x's device."""

    symbol = "to"

    def forward(self, x, device=D.CPU):
        self.source = D.device_of(x)
        return D.to_device(x, device)

    def backward(self, upstream):
        return (D.to_device(upstream, self.source),)


def to_device(x, device):
    """``x`` on ``device`` ("cpu", "cuda[:k]"), differentiable: ``Tensor.to`` calls this."""
    return ToDevice.apply(x, device=D.device(device))
