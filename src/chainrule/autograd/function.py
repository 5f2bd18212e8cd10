"""The op base class: a forward rule and its local gradient, side by side.

An op instance is also the graph node's context: ``forward`` keeps on ``self`` what the local
gradient needs, and ``backward(upstream)`` returns one downstream gradient per input.
"""

from __future__ import annotations

from .. import backend as B
from . import engine
from .tensor import Tensor


class ShapeError(ValueError):
    """Inputs whose shapes (or sizes) an op cannot work with."""


class Function:
    """Base of every op. Subclasses define ``forward(*arrays, **kw)`` and ``backward(upstream)``."""

    symbol: str | None = None  # short label in graph drawings: "+", "*", "exp"

    @classmethod
    def apply(cls, *inputs, **kwargs) -> Tensor:
        """Run forward on the inputs' arrays and, when a gradient is needed, link the graph."""
        tensors = tuple(x if isinstance(x, Tensor) else Tensor(x) for x in inputs)
        fn = cls()
        # known before forward, so an op can skip saving what no backward pass will read
        fn.needs_input_grad = tuple(engine._grad_enabled and t.requires_grad for t in tensors)
        arrays = [t.data for t in tensors]
        module = B.working_on(*arrays) if B.devices_enabled else None  # xp: NumPy or CuPy, as the inputs
        try:
            out = fn.forward(*arrays, **kwargs)
            if not B.is_array(out):  # NumPy turns 0-d results into scalars
                out = B.xp.asarray(out)
        except ValueError as err:
            if isinstance(err, ShapeError):
                raise
            shapes = ", ".join(str(tuple(t.shape)) for t in tensors)
            raise ShapeError(f"{cls.name()}: inputs of shapes {shapes}: {err}") from None
        finally:
            if module is not None:
                B.restore(module)
        # only a float result can carry a gradient: x.astype(int) is cut from the graph, as in PyTorch
        needs_grad = out.dtype.kind == "f" and any(fn.needs_input_grad)
        result = Tensor._from_op(out, needs_grad)
        if needs_grad:
            fn.parents = tensors
            result._ctx = fn
        return result

    @classmethod
    def name(cls) -> str:
        return cls.__name__.lower()

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
    axes = tuple(range(extra)) + tuple(
        extra + i for i, n in enumerate(shape) if n == 1 and grad.shape[extra + i] != 1
    )
    return grad.sum(axis=axes, keepdims=True).reshape(shape) if axes else grad.reshape(shape)


class Elementwise(Function):
    """An op applied element by element: its local gradient is an array of partial derivatives.

    Subclasses give ``local_grads()``: d out / d input_i for each input, shaped like the output
    (or broadcastable to it, or a Python number). Backward multiplies and undoes broadcasting.
    """

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
        if isinstance(local, (int, float)):
            return fmt(local)
        return fmt(local) if B.xp.size(local) == 1 else None


def fmt(x) -> str:
    """A number as the lecture writes it on its slides: two decimals."""
    return f"{float(B.xp.asarray(x).reshape(-1)[0]):.2f}"
