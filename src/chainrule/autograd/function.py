"""The op base class: a forward rule and its local gradient, side by side.

An op instance is also the graph node's context: ``forward`` keeps on ``self`` what the local
gradient needs, and ``backward(upstream)`` returns one downstream gradient per input.
"""

from __future__ import annotations

from .. import backend as B
from . import engine
from .dtypes import promote
from .errors import ShapeError
from .tensor import Tensor


class AccumulateGrad:
    """The graph node of a leaf that requires grad: backward adds into ``variable.grad``."""

    next_functions = ()

    def __init__(self, variable) -> None:
        self.variable = variable

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"


def _owner(a):
    """The array that owns ``a``'s memory (``a`` itself unless it is a view)."""
    while a.base is not None and B.is_array(a.base):
        a = a.base
    return a


class Function:
    """Base of every op. Subclasses define ``forward(*arrays, **kw)`` and ``backward(upstream)``."""

    symbol: str | None = None  # short label in graph drawings: "+", "*", "exp"
    xp = B.numpy
    """The array module of the op's inputs, for its forward and backward rules: NumPy, or CuPy once
    CuPy is loaded and an input is a CuPy array (``apply`` sets it per node; nothing global moves)."""
    promote: slice | None = None  # the inputs that take PyTorch's common dtype (elementwise ops)
    promote_to_float = False  # true division: integers give the default float dtype
    _freed = False  # set on the node by release()

    @classmethod
    def apply(cls, *inputs, **kwargs) -> Tensor:
        """Run forward on the inputs' arrays and, when a gradient is needed, link the graph."""
        tensors = [x if isinstance(x, Tensor) else Tensor(x) for x in inputs]
        fn = cls()
        # known before forward, so an op can skip saving what no backward pass will read
        grad_on = engine._mode.enabled
        fn.needs_input_grad = needs = tuple([grad_on and t.requires_grad for t in tensors])
        arrays = [t._data for t in tensors]
        if cls.promote is not None and len(arrays) > 1:  # PyTorch's type promotion, not NumPy's
            arrays[cls.promote] = promote(arrays[cls.promote], cls.promote_to_float)
        if B._cupy is not None:  # a GPU is in use: the node computes with its inputs' module
            fn.xp = B.module_of(*arrays)
        try:
            out = fn.forward(*arrays, **kwargs)
            if not B.is_array(out):  # NumPy turns 0-d results into scalars
                out = fn.xp.asarray(out)
        except ValueError as err:
            if isinstance(err, ShapeError):
                raise
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ShapeError(f"{cls.op_name()}: inputs of shapes {shapes}: {err}") from None
        # only a float result can carry a gradient: x.astype(int) is cut from the graph, as in PyTorch
        needs_grad = True in needs and out.dtype.kind == "f"
        result = Tensor._from_op(out, needs_grad)
        if tensors and out.base is not None and _owner(out) is _owner(arrays[0]):
            base = tensors[0]._base
            result._vc, result._base = tensors[0]._vc, tensors[0] if base is None else base  # a view: shared counter
        if needs_grad:
            fn.parents = tensors
            fn.parent_ctxs = [t._ctx for t in tensors]  # the node each input was made by, at this time
            fn.saved_versions = [t._vc[0] for t in tensors]
            fn.out_version = (result._vc, result._vc[0])
            fn._out_array = out
            result._ctx = fn
        return result

    @classmethod
    def op_name(cls) -> str:
        """The op's short name in messages: "mul", "conv2d"."""
        return cls.__name__.lower()

    def name(self) -> str:
        """The graph node's name as PyTorch prints it: ``MulBackward0``."""
        return f"{type(self).__name__}Backward0"

    def __repr__(self) -> str:
        return f"<{self.name()} object at {id(self):#x}>"

    @property
    def next_functions(self) -> tuple:
        """``((node, 0), ...)`` per input, as PyTorch: the op that made it, ``AccumulateGrad`` for a
        leaf that requires grad, None for a constant."""
        leaves = self.__dict__.get("_leaves") or self.__dict__.get("parents")  # after release: the leaves only
        out = []
        for i, need in enumerate(self.needs_input_grad):
            made_by = self.parent_ctxs[i]  # the node that made input i when this op ran
            if not need:
                out.append((None, 0))
            elif made_by is None:
                out.append((AccumulateGrad(leaves[i]), 0))
            else:
                out.append((made_by, 0))
        return tuple(out)

    def _check_not_freed(self) -> None:
        if getattr(self, "_freed", False):
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (or to read its saved "
                "values after they were freed). The ops' saved arrays are freed when you call .backward() "
                "or autograd.grad(); pass retain_graph=True to the first call to keep them."
            )

    def release(self) -> None:
        """Free what forward saved (after this node's backward, unless the graph is retained).
        The graph's shape stays walkable (``name()``, ``next_functions``), as in PyTorch: the nodes
        that made the inputs and the leaves that require grad; no intermediate tensor is kept."""
        d = self.__dict__
        needs, made_by, parents = d["needs_input_grad"], d["parent_ctxs"], d["parents"]
        d.clear()
        d["_freed"], d["needs_input_grad"], d["parent_ctxs"] = True, needs, made_by
        if None in made_by:  # a leaf among the inputs (cheap to test; the other nodes keep nothing more)
            d["_leaves"] = tuple([p if n and c is None else None for p, n, c in zip(parents, needs, made_by)])

    def check_versions(self) -> None:
        """Raise if an input or the output was changed in place after forward saved it."""
        for i, (p, v) in enumerate(zip(self.parents, self.saved_versions)):
            if p._vc[0] != v and self._holds(p._data):
                self._modified(f"input {i}", p, v, p._vc[0])
        counter, ver = self.out_version
        if counter[0] != ver and self._holds(self._out_array):
            self._modified("its output", None, ver, counter[0])

    def _holds(self, array) -> bool:
        """Whether this node kept (a view of) ``array``'s memory for its backward pass."""
        owner = _owner(array)
        for k, v in self.__dict__.items():
            if k == "_out_array":
                continue
            for a in v if isinstance(v, (tuple, list)) else (v,):
                if B.is_array(a) and _owner(a) is owner:
                    return True
        return False

    def _modified(self, what: str, tensor, saved: int, now: int) -> None:
        shape = "" if tensor is None else f" (shape {tuple(tensor.shape)})"
        raise RuntimeError(
            f"one of the variables needed for gradient computation has been modified by an inplace "
            f"operation: {what}{shape} of {self.name()} is at version {now}; expected version {saved} "
            "instead. Compute it out of place (x = x + 1) or clone() it before changing it."
        )

    def forward(self, *arrays, **kwargs):
        raise NotImplementedError

    def backward(self, upstream):
        """downstream gradient for each input = upstream x local gradient (a vector-Jacobian product)."""
        raise NotImplementedError

    def formula(self, i: int) -> str | None:
        """The local gradient on input ``i`` as text, for ``viz.trace``; None if it is no number."""
        return None


def unbroadcast(grad, shape):
    """Undo broadcasting in the backward pass: sum ``grad`` over the axes that were stretched."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    axes = tuple(range(extra)) + tuple(extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1)
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


class Elementwise(Function):
    """An op applied element by element: its local gradient is an array of partial derivatives.

    Subclasses give ``local_grads()``: d out / d input_i for each input, shaped like the output
    (or broadcastable to it, or a Python number). Backward multiplies and undoes broadcasting.
    Inputs of different dtypes are first brought to PyTorch's common dtype.
    """

    promote = slice(None)

    def local_grads(self) -> tuple:
        raise NotImplementedError

    def backward(self, upstream):
        locals_ = self.local_grads()
        grads = []
        for parent, need, local in zip(self.parents, self.needs_input_grad, locals_):
            if not need:
                grads.append(None)
                continue
            if isinstance(local, (int, float)) and local == 1:
                g = upstream  # add: the gradient passes through unchanged
            else:
                g = upstream * local
            grads.append(unbroadcast(g, parent.shape))
        return tuple(grads)

    def formula(self, i: int) -> str | None:
        local = self.local_grads()[i]
        if local is None:  # not kept: that input needs no gradient
            return None
        if isinstance(local, (int, float)):
            return fmt(local)
        return fmt(local) if self.xp.size(local) == 1 else None


def fmt(x) -> str:
    """A number as the lecture writes it on its slides: two decimals."""
    return f"{float(B.module_of(x).asarray(x).reshape(-1)[0]):.2f}"
