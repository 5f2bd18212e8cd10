"""Tensor's operators: ``+ - * / ** @``, unary ``-``, indexing, comparisons, ``bool()``.

Arithmetic operators call the elementwise op classes directly (forward + local gradient in
``ops/elementwise.py``); a Python number beside a tensor takes the tensor's dtype first (``_lift``,
PyTorch's weak scalars). Comparisons and integer ops (``//``, ``%``, ``&``) carry no gradient.
"""

from __future__ import annotations

import numbers

from .. import backend as B
from .dtypes import lift_dtype
from .errors import ShapeError


class OperatorMethods:
    """Mixin of ``Tensor``: the Python operators, with PyTorch's semantics."""

    __slots__ = ()

    def _lift(self, other) -> Tensor:
        """Python numbers take this tensor's float dtype, as PyTorch's weak scalar types do."""
        if isinstance(other, Tensor):
            return other
        if type(other) is float and self._data.dtype.kind == "f":  # the common case, kept fast
            return Tensor._from_op(B.module_of(self._data).asarray(other, dtype=self._data.dtype), False)
        if isinstance(other, numbers.Number) and not isinstance(other, complex):
            dtype, xp = lift_dtype(self._data.dtype, other), B.module_of(self._data)  # on self's device
            try:
                return Tensor._from_op(xp.asarray(other, dtype=dtype), False)
            except OverflowError:  # uint8 tensor + 300: the number wraps to the tensor's dtype, as in PyTorch
                return Tensor._from_op(xp.asarray(other).astype(dtype), False)
        return Tensor(other)

    def __add__(self, o):
        return _ops.elementwise.Add.apply(self, self._lift(o))

    def __radd__(self, o):
        return _ops.elementwise.Add.apply(self._lift(o), self)

    def __sub__(self, o):
        _no_bool_sub(self, o)
        return _ops.elementwise.Sub.apply(self, self._lift(o))

    def __rsub__(self, o):
        _no_bool_sub(self, o)
        return _ops.elementwise.Sub.apply(self._lift(o), self)

    def __mul__(self, o):
        return _ops.elementwise.Mul.apply(self, self._lift(o))

    def __rmul__(self, o):
        return _ops.elementwise.Mul.apply(self._lift(o), self)

    def __truediv__(self, o):
        return _ops.elementwise.Div.apply(self, self._lift(o))

    def __rtruediv__(self, o):
        return _ops.elementwise.Div.apply(self._lift(o), self)

    def __floordiv__(self, o):
        return self._no_grad_binary(o, "floor_divide")

    def __rfloordiv__(self, o):
        return self._lift(o)._no_grad_binary(self, "floor_divide")

    def __mod__(self, o):
        return self._no_grad_binary(o, "remainder")

    def __pow__(self, o):
        return _ops.pow(self, self._lift(o))

    def __rpow__(self, o):
        return _ops.pow(self._lift(o), self)

    def __matmul__(self, o):
        return _ops.matmul(self, self._lift(o))

    def __rmatmul__(self, o):
        return _ops.matmul(self._lift(o), self)

    def __neg__(self):
        return _ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return _ops.abs(self)

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons (and integer arithmetic) give tensors that carry no gradient
    def _no_grad_binary(self, o, name: str):
        if not isinstance(o, (Tensor, numbers.Number, list, tuple)) and not B.is_array(o):
            return NotImplemented  # let the other operand answer (pytest.approx, ...), as torch does
        op = getattr(B.module_of(self._data), name)  # NumPy's or CuPy's, as the data
        return Tensor._from_op(B.module_of(self._data).asarray(op(self._data, self._lift(o)._data)), False)

    def __lt__(self, o):
        return self._no_grad_binary(o, "less")

    def __le__(self, o):
        return self._no_grad_binary(o, "less_equal")

    def __gt__(self, o):
        return self._no_grad_binary(o, "greater")

    def __ge__(self, o):
        return self._no_grad_binary(o, "greater_equal")

    def __eq__(self, o):
        return self._no_grad_binary(o, "equal")

    def __ne__(self, o):
        return self._no_grad_binary(o, "not_equal")

    def __and__(self, o):
        return self._no_grad_binary(o, "bitwise_and")

    def __or__(self, o):
        return self._no_grad_binary(o, "bitwise_or")

    def __xor__(self, o):
        return self._no_grad_binary(o, "bitwise_xor")

    def __invert__(self):
        return Tensor._from_op(B.module_of(self._data).invert(self._data), False)

    __hash__ = object.__hash__  # tensors are graph nodes: hashed by identity, as in PyTorch

    def __bool__(self) -> bool:
        if self._data.size != 1:
            raise ShapeError(f"Boolean value of Tensor with more than one value is ambiguous (shape {self.shape})")
        return bool(self._data)


def _no_bool_sub(t, o) -> None:
    """PyTorch refuses ``-`` on booleans (NumPy: a TypeError for two, an integer result for one)."""
    if t._data.dtype.kind == "b" or isinstance(o, bool) or getattr(o, "dtype", None) == B.numpy.bool_:
        raise RuntimeError(
            "Subtraction, the `-` operator, with a bool tensor is not supported. "
            "If you are trying to invert a mask, use the `~` or `logical_not()` operator instead."
        )


Tensor = None  # chainrule.autograd.tensor.Tensor, set by tensor.py (this mixin is one of its bases)
_ops = None  # chainrule.ops, set by tensor.py once Tensor exists (the ops need it)
