"""The Tensor: an array, the gradient that backprop leaves on it, and the op that made it.

PyTorch's surface, where PyTorch and NumPy disagree: ``.grad`` is a Tensor, ``.data`` a detached
Tensor sharing storage, ``size()`` a method, ``t.shape`` a ``Size``. The raw backend array has one
internal accessor, ``t._data`` (``t.numpy()`` gives it to users on the CPU).
"""

from __future__ import annotations

from .. import backend as B
from ..backend import devices as _device
from . import engine, printing
from .dtypes import DtypeMethods
from .errors import DtypeError, ShapeError
from .inplace import InplaceMethods
from .methods import TensorMethods
from .operators import OperatorMethods

_NUMPY_NEEDS_DETACH = "Can't call numpy() on a Tensor that requires grad. Use tensor.detach().numpy() instead."


class Size(tuple):
    """A tensor's shape, as ``torch.Size``: a tuple with ``numel()``."""

    def numel(self) -> int:
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        out = tuple.__getitem__(self, i)
        return Size(out) if isinstance(i, slice) else out  # shape[1:] is a Size too

    def __add__(self, other):
        return Size(tuple.__add__(self, other))

    def __repr__(self) -> str:
        return f"Size({list(self)})"


class Tensor(OperatorMethods, TensorMethods, InplaceMethods, DtypeMethods):
    """An n-dimensional array that records the ops applied to it, for reverse-mode autodiff.

    ``_data`` is the backend array, ``grad`` the accumulated gradient (a Tensor, or None), ``_ctx``
    the op node that produced it (``grad_fn``), None for a leaf. ``_vc`` is the version counter
    (a one-element list shared with views): every in-place change increments it, so a backward
    pass can tell that an array an op saved has changed since.
    """

    __slots__ = ("_data", "_grad", "requires_grad", "_ctx", "_retains_grad", "name", "_vc", "_base", "__weakref__")
    __array_ufunc__ = None  # ndarray (op) Tensor defers to Tensor's reflected operators

    def __init__(self, data, requires_grad: bool = False, dtype=None, name: str | None = None):
        if isinstance(data, Tensor):
            data = data._data
        self._data = B.asarray(data, dtype)
        self._grad = None
        self._ctx = None
        self._retains_grad = False
        self.name = name
        self._vc = [0]
        self._base = None
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @classmethod
    def _from_op(cls, data, requires_grad: bool) -> Tensor:
        t = object.__new__(cls)
        t._data, t._grad, t._ctx, t._retains_grad, t.name = data, None, None, False, None
        t._vc, t._base = [0], None
        t.requires_grad = requires_grad
        return t

    # --- storage, as PyTorch: .data is a detached Tensor on the same memory ----------------------
    @property
    def data(self) -> Tensor:
        """The values as a Tensor cut from the graph, sharing memory: ``p.data.add_(...)`` changes
        ``p`` without autograd seeing it (PyTorch's ``.data``; prefer ``detach()``/``no_grad``)."""
        return Tensor._from_op(self._data, False)

    @data.setter
    def data(self, value) -> None:
        self._data = value._data if isinstance(value, Tensor) else B.asarray(value)

    @property
    def grad(self) -> Tensor | None:
        """The gradient backward left here (a Tensor of this shape), None before the first one."""
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None and not isinstance(value, Tensor):
            value = Tensor(value, dtype=self.dtype)
        if value is not None and value.shape != self.shape:
            raise RuntimeError(f"assigned grad has shape {tuple(value.shape)}, the tensor has {tuple(self.shape)}")
        self._grad = value

    @property
    def _version(self) -> int:
        return self._vc[0]

    def _bump_version(self) -> None:
        self._vc[0] += 1

    # --- array facts -------------------------------------------------------------------------
    shape = property(lambda self: Size(self._data.shape))
    dtype = property(lambda self: self._data.dtype)
    ndim = property(lambda self: self._data.ndim)
    is_leaf = property(lambda self: self._ctx is None)
    grad_fn = property(lambda self: self._ctx, doc="The op node that made this tensor (None for a leaf).")
    itemsize = property(lambda self: self._data.itemsize)

    def size(self, dim: int | None = None):
        """The shape as a ``Size``, or the length of dimension ``dim``."""
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[_dim(dim, self.ndim, "size")]

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        """Number of elements."""
        return int(self._data.size)

    nelement = numel

    def element_size(self) -> int:
        return self._data.itemsize

    def __len__(self) -> int:
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return len(self._data)

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        for i in range(len(self._data)):
            yield self[i]

    def __array__(self, dtype=None, copy=None):
        """``np.asarray(t)`` on a CPU tensor: the values (as PyTorch; refused while grad is on)."""
        if self.requires_grad:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        arr = _device.to_host(self._data)
        if dtype is not None:
            arr = arr.astype(dtype, copy=False)
        return arr.copy() if copy else arr

    @property
    def device(self):
        """Where the values live: ``device(type='cpu')`` or ``device(type='cuda', index=0)``."""
        return _device.device_of(self._data)

    is_cuda = property(lambda self: self.device.type == "cuda")

    def cpu(self) -> Tensor:
        return self.to("cpu")

    def cuda(self, index: int = 0) -> Tensor:
        return self.to(f"cuda:{index}")

    def numpy(self, force: bool = False):
        """The values as a NumPy array: shares memory on the CPU (as ``torch.Tensor.numpy``); from a
        GPU, a copy to the host. A tensor that requires grad must be ``detach()``-ed first, as in PyTorch."""
        if self.requires_grad and not force:
            raise RuntimeError(_NUMPY_NEEDS_DETACH)
        return _device.to_host(self._data)

    def item(self):
        """The one value as a Python number."""
        if self._data.size != 1:
            raise ShapeError(f"item(): a Tensor with {self._data.size} elements cannot be converted to a Python number")
        return self._data.reshape(-1)[0].item()

    def __float__(self) -> float:
        return float(self.item())

    def __int__(self) -> int:
        return int(self.item())

    def __index__(self) -> int:
        if self._data.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an index")
        return int(self.item())

    def __format__(self, spec: str) -> str:
        """``f"{t:.2f}"`` formats a one-element tensor as its number, as PyTorch does."""
        if spec and self._data.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def tolist(self):
        return _device.to_host(self._data).tolist()

    def __repr__(self) -> str:
        return printing.tensor_repr(self)  # PyTorch's form; cr.set_printoptions as torch's

    def _repr_html_(self) -> str:
        """Jupyter's view: shape, dtype, device and grad state, then the values as a table."""
        return printing.tensor_html(self)

    # --- autograd ----------------------------------------------------------------------------
    def requires_grad_(self, flag: bool = True) -> Tensor:
        if flag and self._data.dtype.kind != "f":
            raise DtypeError(
                f"requires_grad: only Tensors of floating point dtype can require gradients, got {self.dtype}"
            )
        if not flag and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor: use detach()")
        self.requires_grad = bool(flag)
        return self

    def backward(
        self, gradient=None, retain_graph: bool | None = None, create_graph: bool = False, inputs=None
    ) -> None:
        """Backpropagate from this tensor; leaves with ``requires_grad`` accumulate into ``.grad``.

        ``gradient``: the upstream gradient (needed unless this is a one-element tensor).
        ``retain_graph``: keep the ops' saved arrays for another backward (else they are freed).
        ``inputs``: accumulate only into these leaves.
        """
        engine.run_backward((self,), (gradient,), retain_graph, create_graph, inputs)

    def _accumulate_grad(self, grad) -> None:
        g = self._grad
        if g is None:
            self._grad = Tensor._from_op(B.module_of(grad).array(grad, dtype=self._data.dtype, copy=True), False)
        else:
            g._data += grad  # the gradient accumulates across backward calls until zeroed

    def retain_grad(self) -> None:
        """Keep ``.grad`` on this non-leaf tensor too after backward."""
        self._retains_grad = True

    @property
    def retains_grad(self) -> bool:
        return self._retains_grad and self._ctx is not None

    def detach(self) -> Tensor:
        """The same values, cut from the graph (shares memory and the version counter)."""
        t = Tensor._from_op(self._data, False)
        t._vc = self._vc
        return t

    def __deepcopy__(self, memo) -> Tensor:
        """``copy.deepcopy`` of a leaf: new memory, same requires_grad, the gradient copied too."""
        if self._ctx is not None:
            raise RuntimeError("only graph leaves (tensors made by the user) support copy.deepcopy")
        out = type(self).__new__(type(self))
        Tensor.__init__(out, self._data.copy(), name=self.name)
        out.requires_grad = self.requires_grad
        if self._grad is not None:
            out._grad = Tensor(self._grad._data.copy())
        memo[id(self)] = out
        return out

    def __reduce_ex__(self, protocol):
        return _rebuild, (type(self), self._data, self.requires_grad)

    def detach_(self) -> Tensor:
        self._ctx, self.requires_grad = None, False
        return self

    def zero_grad(self) -> None:
        self._grad = None


def _rebuild(cls, data, requires_grad):
    t = cls.__new__(cls)
    Tensor.__init__(t, data)
    t.requires_grad = requires_grad
    return t


def _dim(d: int, ndim: int, what: str) -> int:
    if ndim == 0:
        raise IndexError(f"{what}: dimension specified as {d} but tensor has no dimensions")
    n = ndim
    if not -n <= d < n:
        raise IndexError(f"{what}: dimension out of range (expected to be in range of [{-n}, {n - 1}], but got {d})")
    return d % n


# isort: off
# the constructors first (tensor() copies, as_tensor()/from_numpy() share): ops import them from here
from .construct import as_tensor, from_numpy, tensor  # noqa: E402, F401
from .. import ops as _ops  # noqa: E402  (ops need Tensor defined first)
from ..ops import assign as _assign  # noqa: E402
from . import dtypes as _dtypes  # noqa: E402
from . import inplace as _inplace  # noqa: E402
from . import methods as _methods  # noqa: E402
from . import operators as _operators  # noqa: E402
# isort: on

_dtypes._ops = _inplace._ops = _methods._ops = _operators._ops = _ops
_operators.Tensor = engine.Tensor = Tensor
_methods._tensor = tensor
_inplace._assign = _assign
