"""Tensor methods that are thin calls into ``chainrule.ops`` (``x.sum()``, ``x.exp()``, ...).

``Tensor`` inherits them; each is one line, so the op (forward + local gradient) stays in ``ops``.
Names and arguments are PyTorch's (``x.sum(dim=1, keepdim=True)``, ``x.max(1)`` -> (values,
indices)); NumPy's ``axis``/``keepdims`` are accepted as aliases where they do not clash.
"""

from __future__ import annotations

from .. import backend as B


class TensorMethods:
    """Mixin of ``Tensor``: the math methods, as PyTorch's ``torch.Tensor`` spells them."""

    __slots__ = ()

    # --- reductions --------------------------------------------------------------------------
    def sum(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
        _no_out(out, "sum")
        return _ops.sum(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def mean(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
        _no_out(out, "mean")
        return _ops.mean(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def prod(self, dim=None, keepdim=False, *, dtype=None, axis=None, keepdims=None, out=None):
        _no_out(out, "prod")
        return _ops.prod(self, dim, keepdim, dtype=dtype, axis=axis, keepdims=keepdims)

    def max(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        """``x.max()`` -> tensor; ``x.max(dim)`` -> (values, indices); ``x.max(other)`` -> elementwise."""
        _no_out(out, "max")
        return _ops.max(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def min(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "min")
        return _ops.min(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def amax(self, dim=None, keepdim=False):
        return _ops.amax(self, dim, keepdim)

    def amin(self, dim=None, keepdim=False):
        return _ops.amin(self, dim, keepdim)

    def argmax(self, dim=None, keepdim=False):
        return _ops.argmax(self, dim, keepdim)

    def argmin(self, dim=None, keepdim=False):
        return _ops.argmin(self, dim, keepdim)

    def var(
        self,
        dim=None,
        unbiased=None,
        keepdim=False,
        *,
        correction=None,
        axis=None,
        keepdims=None,
        ddof=None,
        out=None,
        dtype=None,
    ):
        _no_out(out, "var")
        correction = ddof if ddof is not None else correction  # numpy.var(t) passes ddof (0 by default)
        return _ops.var(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def std(
        self,
        dim=None,
        unbiased=None,
        keepdim=False,
        *,
        correction=None,
        axis=None,
        keepdims=None,
        ddof=None,
        out=None,
        dtype=None,
    ):
        _no_out(out, "std")
        correction = ddof if ddof is not None else correction
        return _ops.std(self, dim, unbiased, keepdim, correction=correction, axis=axis, keepdims=keepdims)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        return _ops.norm(self, p, dim, keepdim, dtype)

    def all(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "all")
        return _ops.all(self, dim, keepdim, axis=axis, keepdims=keepdims)

    def any(self, dim=None, keepdim=False, *, axis=None, keepdims=None, out=None):
        _no_out(out, "any")
        return _ops.any(self, dim, keepdim, axis=axis, keepdims=keepdims)

    # --- ordering ----------------------------------------------------------------------------
    def sort(self, dim=-1, descending=False, stable=False):
        return _ops.sort(self, dim, descending, stable)

    def argsort(self, dim=-1, descending=False, stable=False):
        return _ops.argsort(self, dim, descending, stable)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        return _ops.topk(self, k, dim, largest, sorted)

    # --- shape -------------------------------------------------------------------------------
    def reshape(self, *shape):
        return _ops.reshape(self, *shape)

    def view(self, *shape):
        return _ops.reshape(self, *shape)

    def view_as(self, other):
        return _ops.view_as(self, other)

    def reshape_as(self, other):
        return _ops.reshape_as(self, other)

    def transpose(self, *dims):
        return _ops.transpose(self, *dims)

    def permute(self, *dims):
        return _ops.permute(self, *dims)

    def t(self):
        return _ops.t(self)

    @property
    def T(self):
        return _ops.transpose(self)

    def flatten(self, start_dim=0, end_dim=-1):
        return _ops.flatten(self, start_dim, end_dim)

    def unsqueeze(self, dim):
        return _ops.unsqueeze(self, dim)

    def squeeze(self, dim=None):
        return _ops.squeeze(self, dim)

    def expand(self, *sizes):
        return _ops.expand(self, *sizes)

    def expand_as(self, other):
        return _ops.expand_as(self, other)

    def repeat(self, *sizes):
        return _ops.repeat(self, *sizes)

    def chunk(self, chunks, dim=0):
        return _ops.chunk(self, chunks, dim)

    def split(self, split_size, dim=0):
        return _ops.split(self, split_size, dim)

    # --- indexing ----------------------------------------------------------------------------
    def gather(self, dim, index):
        return _ops.gather(self, dim, index)

    def index_select(self, dim, index):
        return _ops.index_select(self, dim, index)

    def masked_fill(self, mask, value):
        return _ops.masked_fill(self, mask, value)

    # --- arithmetic --------------------------------------------------------------------------
    def add(self, other, *, alpha=1):
        return _ops.add(self, other, alpha=alpha)

    def sub(self, other, *, alpha=1):
        return _ops.sub(self, other, alpha=alpha)

    def mul(self, other):
        return _ops.mul(self, other)

    def div(self, other, *, rounding_mode=None):
        return _ops.div(self, other, rounding_mode=rounding_mode)

    def pow(self, exponent):
        return _ops.pow(self, exponent)

    def neg(self):
        return _ops.neg(self)

    def matmul(self, other):
        return _ops.matmul(self, other)

    def mm(self, other):
        return _ops.mm(self, other)

    def bmm(self, other):
        return _ops.bmm(self, other)

    def maximum(self, other):
        return _ops.maximum(self, other)

    def minimum(self, other):
        return _ops.minimum(self, other)

    # --- elementwise functions ---------------------------------------------------------------
    def exp(self):
        return _ops.exp(self)

    def log(self):
        return _ops.log(self)

    def sqrt(self):
        return _ops.sqrt(self)

    def sin(self):
        return _ops.sin(self)

    def cos(self):
        return _ops.cos(self)

    def sigmoid(self):
        return _ops.sigmoid(self)

    def tanh(self):
        return _ops.tanh(self)

    def relu(self):
        return _ops.relu(self)

    def abs(self):
        return _ops.abs(self)

    def clamp(self, min=None, max=None):
        return _ops.clamp(self, min, max)

    def clip(self, min=None, max=None):
        return _ops.clip(self, min, max)

    def clamp_min(self, min):
        return _ops.clamp_min(self, min)

    def clamp_max(self, max):
        return _ops.clamp_max(self, max)

    # --- comparisons (bool tensors, no gradient) ---------------------------------------------
    def eq(self, other):
        return _ops.eq(self, other)

    def ne(self, other):
        return _ops.ne(self, other)

    def gt(self, other):
        return _ops.gt(self, other)

    def lt(self, other):
        return _ops.lt(self, other)

    def ge(self, other):
        return _ops.ge(self, other)

    def le(self, other):
        return _ops.le(self, other)

    def equal(self, other) -> bool:
        return _ops.equal(self, other)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False) -> bool:
        return _ops.allclose(self, other, rtol, atol, equal_nan)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return _ops.isclose(self, other, rtol, atol, equal_nan)

    def isfinite(self):
        return _ops.isfinite(self)

    def isnan(self):
        return _ops.isnan(self)

    def isinf(self):
        return _ops.isinf(self)

    # --- new tensors like this one, and small conveniences -------------------------------------
    def new_tensor(self, data, dtype=None, device=None, requires_grad: bool = False):
        """A new tensor of ``data`` with this tensor's dtype and device unless given."""
        return _like(self, B.numpy.asarray(getattr(data, "_data", data)), dtype, device, requires_grad)

    def new_zeros(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return _like(self, B.numpy.zeros(_size(size)), dtype, device, requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return _like(self, B.numpy.ones(_size(size)), dtype, device, requires_grad)

    def new_full(self, size, fill_value, dtype=None, device=None, requires_grad: bool = False):
        return _like(self, B.numpy.full(_size((size,)), fill_value), dtype, device, requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad: bool = False):
        return self.new_zeros(*size, dtype=dtype, device=device, requires_grad=requires_grad)

    def contiguous(self, memory_format=None):
        """Itself when its array is C-contiguous, else a contiguous copy (in the graph)."""
        return _ops.shape.contiguous(self)

    def is_contiguous(self, memory_format=None) -> bool:
        return bool(self._data.flags.c_contiguous)

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; a returned tensor replaces it."""
        return _engine.register_hook(self, hook)

    def softmax(self, dim, dtype=None):
        return _ops.loss.Softmax.apply(self if dtype is None else self.to(dtype), dim=dim)

    def log_softmax(self, dim, dtype=None):
        return _ops.loss.LogSoftmax.apply(self if dtype is None else self.to(dtype), dim=dim)

    def square(self):
        return _ops.mul(self, self)

    def reciprocal(self):
        return _ops.div(self._lift(1.0), self)

    def rsqrt(self):
        return _ops.div(self._lift(1.0), _ops.sqrt(self))

    def unbind(self, dim: int = 0) -> tuple:
        """The slices along ``dim``, each without that dimension."""
        dim = dim % max(self.ndim, 1)
        return tuple(self[(slice(None),) * dim + (i,)] for i in range(self.shape[dim]))

    def flip(self, *dims):
        dims = dims[0] if len(dims) == 1 and isinstance(dims[0], (tuple, list)) else dims
        index = [slice(None)] * self.ndim
        for d in dims:
            index[d % self.ndim] = slice(None, None, -1)
        return self[tuple(index)]

    def apply_(self, fn):
        """Apply a Python function to each element, in place (CPU only, slow, as PyTorch's)."""
        flat = self._data.reshape(-1)
        for i, v in enumerate(flat.tolist()):
            flat[i] = fn(v)
        self._vc[0] += 1
        return self


def _no_out(out, op: str) -> None:
    """NumPy's reductions (``np.sum(t)``, ``np.all(t)``) call the method with ``out=None``; an array
    to write into is not supported."""
    if out is not None:
        raise TypeError(f"{op}: out= is not supported; use the returned tensor")


def _size(size) -> tuple:
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _like(t, values, dtype, device, requires_grad):
    out = _tensor(values.astype(dtype if dtype is not None else t.dtype), device=device or t.device)
    return out.requires_grad_(True) if requires_grad else out


from . import engine as _engine  # noqa: E402

_ops = None  # chainrule.ops, set by tensor.py once Tensor exists (the ops need it)
_tensor = None  # chainrule.tensor(), set by tensor.py
