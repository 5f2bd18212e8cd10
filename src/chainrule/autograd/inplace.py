"""In-place operations (``add_``, ``+=``, ``t[i] = v``, ``copy_``, ...) with PyTorch's safety rules.

- Outside autograd (under ``no_grad``, or when no tensor involved requires grad) the new values
  are written straight into the array, so views and ``.data`` see them: ``w -= lr * w.grad``.
- A leaf that requires grad cannot be changed in place while grad mode is on (the error
  PyTorch gives): its ``.grad`` would no longer belong to the values it holds.
- Otherwise the change is recorded: the op runs on a snapshot of the old value, its result is
  written into the tensor's memory, and the tensor's ``grad_fn`` becomes that op.
- Every in-place change increments the tensor's version counter; an op whose backward needs an
  array that changed since forward raises instead of giving a wrong gradient.
"""

from __future__ import annotations

from .. import backend as B
from . import engine
from .dtypes import category


class InplaceMethods:
    """Mixin of ``Tensor``: the in-place methods (trailing underscore, as PyTorch)."""

    __slots__ = ()

    # --- the one mechanism ---------------------------------------------------------------------
    def _inplace(self, name: str, compute, *args):
        """Make ``compute(self, *args)`` (an out-of-place result) this tensor's new value."""
        involved = self.requires_grad or any(getattr(a, "requires_grad", False) for a in args)
        if not (engine._mode.enabled and involved):
            with engine.no_grad():
                out = compute(self, *args)
            self._write(out._data, name)
            return self
        base = self._base
        if (self._ctx is None and self.requires_grad) or (base is not None and base.is_leaf and base.requires_grad):
            what = "a leaf Variable" if base is None else "a view of a leaf Variable"
            raise RuntimeError(
                f"{name}: {what} that requires grad (shape {tuple(self.shape)}) is being used in an "
                "in-place operation. Change it under `with no_grad():` (or through .data), or clone() it first."
            )
        if base is not None and (base.requires_grad or involved):
            raise RuntimeError(
                f"{name}: in-place change of a view (shape {tuple(self.shape)}) of a tensor that autograd "
                "records is not supported; use out-of-place ops or clone() the view first"
            )
        old = type(self)._from_op(self._data.copy(), self.requires_grad)  # the old value, as a graph node
        old._ctx = self._ctx
        if self._ctx is not None:
            self._ctx._inplace_old = old  # earlier consumers of this tensor now reach it through `old`
        out = compute(old, *args)
        self._write(out._data, name)
        node = out._ctx
        if node is not None:
            node.out_version, node._out_array = (self._vc, self._vc[0]), out._data
            self._ctx, self.requires_grad = node, True
        return self

    def _write(self, values, name: str) -> None:
        """Write ``values`` into this tensor's memory (same shape; dtype kept, never widened)."""
        data = self._data
        if values.shape != data.shape:
            raise RuntimeError(
                f"{name}: output with shape {list(data.shape)} doesn't match the broadcast shape {list(values.shape)}"
            )
        if category(values.dtype) > category(data.dtype):
            raise RuntimeError(
                f"{name}: result type {values.dtype} can't be cast to the desired output type {data.dtype}"
            )
        try:
            B.module_of(data).copyto(data, values, casting="unsafe")
        except ValueError as err:  # a read-only array (an expand()-ed view, a read-only NumPy array)
            raise RuntimeError(f"{name}: cannot write into this tensor ({err}); clone() it first") from None
        self._vc[0] += 1

    def _no_grad_write(self, name: str, values) -> InplaceMethods:
        """Fill with values that do not depend on the old ones (zero_, fill_, normal_, ...)."""
        if not hasattr(values, "_data"):  # a number or an array: a tensor on this tensor's device
            values = type(self)._from_op(B.module_of(self._data).asarray(values), False)
        return self._inplace(name, _assign.copy_into, values)

    # --- arithmetic --------------------------------------------------------------------------
    def add_(self, other, alpha=1):
        other = self._lift(other)
        return self._inplace("add_", lambda s, o: s + (o if alpha == 1 else o * alpha), other)

    def sub_(self, other, alpha=1):
        other = self._lift(other)
        return self._inplace("sub_", lambda s, o: s - (o if alpha == 1 else o * alpha), other)

    def mul_(self, other):
        return self._inplace("mul_", lambda s, o: s * o, self._lift(other))

    def div_(self, other):
        return self._inplace("div_", lambda s, o: s / o, self._lift(other))

    def pow_(self, exponent):
        return self._inplace("pow_", lambda s, o: s**o, self._lift(exponent))

    def addcmul_(self, t1, t2, value=1):
        return self._inplace("addcmul_", lambda s, a, b: s + a * b * value, t1, t2)

    def addcdiv_(self, t1, t2, value=1):
        return self._inplace("addcdiv_", lambda s, a, b: s + a / b * value, t1, t2)

    def __iadd__(self, other):
        return self.add_(other)

    def __isub__(self, other):
        return self.sub_(other)

    def __imul__(self, other):
        return self.mul_(other)

    def __itruediv__(self, other):
        return self.div_(other)

    def neg_(self):
        return self._inplace("neg_", lambda s: -s)

    def exp_(self):
        return self._inplace("exp_", lambda s: s.exp())

    def log_(self):
        return self._inplace("log_", lambda s: s.log())

    def sqrt_(self):
        return self._inplace("sqrt_", lambda s: s.sqrt())

    def abs_(self):
        return self._inplace("abs_", lambda s: s.abs())

    def relu_(self):
        return self._inplace("relu_", lambda s: s.relu())

    def sigmoid_(self):
        return self._inplace("sigmoid_", lambda s: s.sigmoid())

    def tanh_(self):
        return self._inplace("tanh_", lambda s: s.tanh())

    def clamp_(self, min=None, max=None):  # noqa: A002  (PyTorch's names)
        return self._inplace("clamp_", lambda s: _ops.clip(s, min, max))

    clip_ = clamp_

    def clamp_min_(self, min):  # noqa: A002
        return self.clamp_(min=min)

    def clamp_max_(self, max):  # noqa: A002
        return self.clamp_(max=max)

    def masked_fill_(self, mask, value):
        xp = B.module_of(self._data)
        mask = mask._data if hasattr(mask, "_data") else xp.asarray(mask)
        return self.__setitem__(xp.broadcast_to(mask, self.shape), value) or self

    # --- assignment --------------------------------------------------------------------------
    def __setitem__(self, index, value) -> None:
        """``t[index] = value``: written in place; recorded as an op when autograd is involved."""
        index = _index_arrays(index)
        value = value if hasattr(value, "_data") else self._lift(value)
        involved = self.requires_grad or value.requires_grad
        if not (engine._mode.enabled and involved):  # values are cast to this dtype (t[0] = 2.7 on ints: 2)
            try:
                self._data[index] = value._data
            except (IndexError, ValueError) as err:
                kind = IndexError if isinstance(err, IndexError) else RuntimeError
                raise kind(f"index assignment into a tensor of shape {tuple(self.shape)}: {err}") from None
            self._vc[0] += 1
            return
        self._inplace("setitem", lambda s, v: _assign.index_put(s, v, index), value)

    def copy_(self, src, non_blocking: bool = False):
        """Copy ``src``'s values (broadcast, cast to this dtype) into this tensor."""
        src = src if hasattr(src, "_data") else type(self)._from_op(B.asarray(src), False)
        if src.device != self.device:
            src = src.to(self.device)
        if not (engine._mode.enabled and (self.requires_grad or src.requires_grad)):
            try:
                xp = B.module_of(self._data)
                xp.copyto(self._data, xp.broadcast_to(src._data, self.shape), casting="unsafe")
            except ValueError as err:
                raise RuntimeError(
                    f"copy_: src of shape {tuple(src.shape)} into shape {tuple(self.shape)}: {err}"
                ) from None
            self._vc[0] += 1
            return self
        return self._inplace("copy_", _assign.copy_into, src)

    def clone(self):
        """A copy of the values in new memory that stays in the graph (gradient passes through)."""
        return _ops.astype(self, self.dtype)  # astype always copies

    def fill_(self, value):
        return self._no_grad_write("fill_", value)

    def zero_(self):
        return self._no_grad_write("zero_", 0)

    def normal_(self, mean: float = 0.0, std: float = 1.0, generator=None):
        """Fill with samples of N(mean, std^2), drawn from chainrule's generator (or ``generator``)."""
        rng = generator.rng if generator is not None else B.rng()
        values = rng.normal(mean, std, size=self.shape).astype(self.dtype)
        return self._no_grad_write("normal_", _to_device(values, self))

    def uniform_(self, a: float = 0.0, b: float = 1.0, generator=None):
        """Fill with samples of U[a, b)."""
        rng = generator.rng if generator is not None else B.rng()
        values = rng.uniform(a, b, size=self.shape).astype(self.dtype)
        return self._no_grad_write("uniform_", _to_device(values, self))


def _index_arrays(index):
    """Tensors inside an index become their arrays."""
    if isinstance(index, tuple):
        return tuple(p._data if hasattr(p, "_data") else p for p in index)
    return index._data if hasattr(index, "_data") else index


def _to_device(values, like):
    return values if like.device.type == "cpu" else B.devices.to_device(values, like.device)


_ops = _assign = None  # chainrule.ops and ops.assign, set by tensor.py once Tensor exists (the ops need it)
