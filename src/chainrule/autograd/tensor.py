"""The Tensor: an array, the gradient that backprop leaves on it, and the op that made it."""

from __future__ import annotations

import numbers

from .. import backend as B
from .. import devices as _device
from . import engine
from .methods import TensorMethods


class Tensor(TensorMethods):
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff.

    ``data`` is the backend array, ``grad`` the accumulated gradient (an array of the same shape,
    or None), ``_ctx`` the op (Function) that produced it, None for a leaf.
    """

    __slots__ = ("data", "grad", "requires_grad", "_ctx", "_retains_grad", "name", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        if isinstance(data, Tensor):
            data = data.data
        self.data = B.asarray(data, dtype)
        self.grad = None
        self._ctx = None
        self._retains_grad = False
        self.name = name
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data, requires_grad: bool) -> Tensor:
        t = object.__new__(cls)
        t.data, t.grad, t._ctx, t._retains_grad, t.name = data, None, None, False, None
        t.requires_grad = requires_grad
        return t

    # transitional: the raw array's one internal accessor (``.data`` becomes a detached Tensor)
    _data = property(lambda self: self.data, lambda self, v: setattr(self, "data", v))

    # --- array facts -------------------------------------------------------------------------
    shape = property(lambda self: self.data.shape)
    dtype = property(lambda self: self.data.dtype)
    ndim = property(lambda self: self.data.ndim)
    size = property(lambda self: self.data.size)
    is_leaf = property(lambda self: self._ctx is None)

    def __len__(self) -> int:
        return len(self.data)

    @property
    def device(self):
        """Where the values live: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""
        return _device.device_of(self.data)

    def to(self, *args, device=None, dtype=None) -> Tensor:
        """This tensor on ``device`` ("cpu", "cuda", "cuda:1") and/or as ``dtype``, as PyTorch's
        ``t.to("cuda")``, ``t.to(cr.float64)``: itself if nothing changes, else a copy that stays in
        the graph (the gradient travels back to this tensor's device and dtype)."""
        dev, dtype = _device.split_to_args(args, device, dtype)
        out = self
        if dtype is not None and B.numpy.dtype(dtype) != self.dtype:
            out = _ops.astype(out, dtype)
        if dev is not None and dev != self.device:
            out = _ops.to_device(out, dev)
        return out

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(f"cuda:{index}")

    def numpy(self):
        """The values as a NumPy array: shares memory on the CPU (as ``torch.Tensor.numpy``); from a
        GPU, a copy to the host."""
        return _device.to_host(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item(): only a one-element tensor has an item, got shape {self.shape}")
        return self.data.reshape(-1)[0].item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{t:.2f}"`` formats a one-element tensor as its number, as PyTorch does."""
        if spec and self.data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def tolist(self):
        return self.data.tolist()

    def __repr__(self) -> str:
        body = B.numpy.array2string(_device.to_host(self.data), precision=4, separator=", ", prefix="tensor(")
        extra = "" if self.device.type == "cpu" else f", device='{self.device}'"
        if self._ctx is not None:
            extra += f", grad_fn={type(self._ctx).__name__}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        if self.dtype != B.default_float and self.dtype.kind == "f":
            extra = f", dtype={self.dtype}" + extra
        return f"tensor({body}{extra})"

    # --- autograd ----------------------------------------------------------------------------
    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self.data.dtype.kind != "f":
            raise TypeError(
                f"requires_grad: only floating-point tensors can have gradients, got {self.dtype}"
            )
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use detach()")
        self.requires_grad = bool(flag)
        return self

    def backward(self, grad=None) -> None:
        """Backpropagate from this tensor; leaves with ``requires_grad`` accumulate into ``.grad``."""
        if not self.requires_grad:
            raise RuntimeError(
                f"backward(): this tensor (shape {self.shape}) does not require grad: no input "
                "of its graph has requires_grad=True (or it was computed under no_grad)"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward(): grad can be created implicitly only for a scalar output; this "
                    f"tensor has shape {self.shape}, so pass backward(grad) of that shape"
                )
            grad = B.module_of(self.data).ones_like(self.data)
        else:
            grad = B.asarray(grad.data if isinstance(grad, Tensor) else grad, self.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, tensor has {self.shape}")
        engine.backpropagate(self, grad)

    def _accumulate_grad(self, grad) -> None:
        if self.grad is None:
            self.grad = B.xp.array(grad, dtype=self.data.dtype, copy=True)
        else:
            self.grad += grad  # the gradient accumulates across backward calls until zeroed

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor too after backward."""
        self._retains_grad = True

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory)."""
        return Tensor._from_op(self.data, False)

    def zero_grad(self) -> None:
        self.grad = None

    # --- operators ---------------------------------------------------------------------------
    def _lift(self, other) -> Tensor:
        """Python numbers take this tensor's float dtype, as PyTorch's weak scalar types do."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, numbers.Number) and not isinstance(other, complex):
            kind = self.data.dtype.kind
            if kind == "f":
                dtype = self.dtype
            elif isinstance(other, float):
                dtype = B.default_float
            else:
                dtype = self.dtype if kind in "iu" else None
            return Tensor._from_op(B.module_of(self.data).asarray(other, dtype=dtype), False)  # on self's device
        return Tensor(other)

    def __add__(self, o):
        return _ops.add(self, self._lift(o))

    def __radd__(self, o):
        return _ops.add(self._lift(o), self)

    def __sub__(self, o):
        return _ops.sub(self, self._lift(o))

    def __rsub__(self, o):
        return _ops.sub(self._lift(o), self)

    def __mul__(self, o):
        return _ops.mul(self, self._lift(o))

    def __rmul__(self, o):
        return _ops.mul(self._lift(o), self)

    def __truediv__(self, o):
        return _ops.div(self, self._lift(o))

    def __rtruediv__(self, o):
        return _ops.div(self._lift(o), self)

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

    def __getitem__(self, index):
        return _ops.getitem(self, index)

    # comparisons give boolean tensors and carry no gradient
    def _compare(self, o, name: str):
        op = getattr(B.module_of(self.data), name)  # NumPy's or CuPy's, as the data
        return Tensor._from_op(op(self.data, self._lift(o).data), False)

    def __lt__(self, o):
        return self._compare(o, "less")

    def __le__(self, o):
        return self._compare(o, "less_equal")

    def __gt__(self, o):
        return self._compare(o, "greater")

    def __ge__(self, o):
        return self._compare(o, "greater_equal")

    def __eq__(self, o):
        return self._compare(o, "equal")

    def __ne__(self, o):
        return self._compare(o, "not_equal")

    __hash__ = object.__hash__  # tensors are graph nodes: hashed by identity, as in PyTorch

    def __bool__(self) -> bool:
        if self.data.size != 1:
            raise ValueError(f"the truth value of a tensor of shape {self.shape} is ambiguous")
        return bool(self.data)

def tensor(data, requires_grad: bool = False, dtype=None, name: str | None = None, device=None) -> Tensor:
    """Make a tensor: Python floats become float32, NumPy arrays keep their dtype; ``device``
    ("cpu", "cuda[:k]") places it, by default where ``data`` is (the CPU for Python data)."""
    t = Tensor(data, dtype=dtype, name=name)
    if device is not None:
        t.data = _device.to_device(t.data, device)
    return t.requires_grad_(True) if requires_grad else t


def as_tensor(x) -> Tensor:
    """``x`` if it is a Tensor, else a constant tensor of it (the ops' functions take arrays too)."""
    return x if isinstance(x, Tensor) else Tensor(x)


from .. import ops as _ops  # noqa: E402  (ops need Tensor defined first)
