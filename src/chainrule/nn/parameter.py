"""Parameter: a tensor that a Module registers as learnable when it is assigned as an attribute."""

from __future__ import annotations

from ..autograd.tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor with ``requires_grad=True`` (by default) that ``Module`` collects.

    ``Parameter(t)`` shares ``t``'s array, as ``torch.nn.Parameter`` shares storage.
    """

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = []
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, protocol):
        return Parameter, (self._data, self.requires_grad)

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        out = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            out.grad = self.grad._data.copy()
        memo[id(self)] = out
        return out
