"""Tensor methods that are thin calls into ``chainrule.ops`` (``x.sum()``, ``x.exp()``, ...).

``Tensor`` inherits them; each is one line, so the op (forward + local gradient) stays in ``ops``.
"""

from __future__ import annotations

from .. import backend as B


class TensorMethods:
    """Mixin of ``Tensor``: the math methods, as PyTorch's ``torch.Tensor`` spells them."""

    __slots__ = ()

    def sum(self, axis=None, keepdims=False):
        return _ops.sum(self, axis, keepdims)

    def mean(self, axis=None, keepdims=False):
        return _ops.mean(self, axis, keepdims)

    def max(self, axis=None, keepdims=False):
        return _ops.max(self, axis, keepdims)

    def min(self, axis=None, keepdims=False):
        return _ops.min(self, axis, keepdims)

    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def transpose(self, *dims):
        return _ops.transpose(self, *dims)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    @property
    def T(self):
        return _ops.transpose(self)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def astype(self, dtype):
        return _ops.astype(self, dtype)

    def float(self):
        return _ops.astype(self, B.xp.float32)

    def double(self):
        return _ops.astype(self, B.xp.float64)

    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def relu(self):
        return _ops.relu(self)

    def abs(self):
        return _ops.abs(self)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    clamp = clip


from .. import ops as _ops  # noqa: E402  (ops need Tensor defined first)
