"""Writing one's own op, as PyTorch's ``torch.autograd.Function``: a forward rule and its local gradient.

    class Cube(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):                 # tensors in, a tensor out (computed without a graph)
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, upstream):         # one downstream gradient per forward input
            (x,) = ctx.saved_tensors
            return upstream * 3 * x ** 2     # upstream x local gradient

    y = Cube.apply(x)

``apply`` runs ``forward`` under ``no_grad`` and, when an input requires grad, links one graph node
whose backward calls the user's ``backward`` on tensors. ``ctx`` is that node: ``save_for_backward``
keeps tensors (checked against in-place changes when read back), ``needs_input_grad`` says which
inputs want a gradient, and any other attribute can carry non-tensor values.
"""

from __future__ import annotations

import inspect

from .. import backend as B
from . import engine
from .function import Function as _Op
from .function import ShapeError
from .tensor import Tensor


class FunctionCtx(_Op):
    """The graph node of a user-written op, and the ``ctx`` its forward and backward receive."""

    def save_for_backward(self, *tensors) -> None:
        self._saved = tuple(tensors)
        self._saved_versions = tuple(None if t is None else t._vc[0] for t in tensors)

    @property
    def saved_tensors(self) -> tuple:
        self._check_not_freed()
        for i, (t, v) in enumerate(zip(getattr(self, "_saved", ()), self._saved_versions)):
            if t is not None and t._vc[0] != v:
                self._modified(f"saved tensor {i}", t, v, t._vc[0])
        return getattr(self, "_saved", ())

    def mark_non_differentiable(self, *tensors) -> None:
        self._non_differentiable = {id(t) for t in tensors}

    def mark_dirty(self, *tensors) -> None:
        """Accepted for PyTorch compatibility; in-place forwards are recorded through the version counter."""

    def set_materialize_grads(self, value: bool) -> None:
        self._materialize = bool(value)

    def name(self) -> str:
        return f"{self._function.__name__}Backward"

    def release(self) -> None:
        """Free the saved tensors; the node keeps its name (``grad_fn`` stays printable)."""
        function = self._function
        super().release()
        self._function = function

    def check_versions(self) -> None:
        """The user's saved tensors are checked when read (``saved_tensors``); inputs are not held."""

    def backward(self, upstream):
        """Call the user's ``backward`` with the upstream gradient as a tensor; arrays back."""
        with engine.no_grad():
            grads = self._function.backward(self, Tensor._from_op(upstream, False))
        if not isinstance(grads, tuple):
            grads = (grads,)
        if len(grads) < len(self._arg_is_tensor):
            raise RuntimeError(
                f"function {self._function.__name__}.backward returned {len(grads)} gradients, expected "
                f"{len(self._arg_is_tensor)} (one per forward input; None for the non-tensor ones)"
            )
        out = []
        for i, (g, is_t) in enumerate(zip(grads, self._arg_is_tensor)):
            if not is_t or g is None:
                out.append(None)
                continue
            g = g._data if isinstance(g, Tensor) else B.asarray(g)
            if g.shape != self.parents[i]._data.shape:
                raise ShapeError(
                    f"function {self._function.__name__}.backward returned a gradient of shape {g.shape} "
                    f"for input {i}, expected {self.parents[i]._data.shape}"
                )
            out.append(g)
        return tuple(out)


_NOT_A_TENSOR = Tensor._from_op(B.numpy.zeros(()), False)  # stands in the graph for a non-tensor argument


class Function:
    """Base class of user-written ops (PyTorch's ``torch.autograd.Function``): define static
    ``forward(ctx, *args)`` and ``backward(ctx, *upstream)``, call ``YourOp.apply(*args)``."""

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("define forward(ctx, *args) as a @staticmethod")

    @staticmethod
    def backward(ctx, *grad_outputs):
        raise NotImplementedError("define backward(ctx, *grad_outputs) as a @staticmethod")

    @classmethod
    def apply(cls, *args, **kwargs):
        if kwargs:  # tensors passed by name are inputs too (one gradient each, in forward's order)
            bound = inspect.signature(cls.forward).bind(None, *args, **kwargs)
            args, kwargs = bound.args[1:], bound.kwargs
        ctx = FunctionCtx()
        ctx._function = cls
        ctx._arg_is_tensor = tuple(isinstance(a, Tensor) for a in args)
        ctx.needs_input_grad = tuple(engine._mode.enabled and isinstance(a, Tensor) and a.requires_grad for a in args)
        with engine.no_grad():
            out = cls.forward(ctx, *args, **kwargs)
        if not any(ctx.needs_input_grad):
            return out
        if not isinstance(out, Tensor):
            raise TypeError(
                f"{cls.__name__}.forward: chainrule's custom Functions return one Tensor (got "
                f"{type(out).__name__}); split an op with several outputs into several Functions"
            )
        result = Tensor._from_op(out._data, out.dtype.kind == "f")
        if id(out) in getattr(ctx, "_non_differentiable", ()) or not result.requires_grad:
            result.requires_grad = False
            return result
        ctx.parents = tuple(a if isinstance(a, Tensor) else _NOT_A_TENSOR for a in args)  # one per argument
        ctx.parent_ctxs = tuple(t._ctx for t in ctx.parents)
        ctx.saved_versions = tuple(t._vc[0] for t in ctx.parents)
        ctx.out_version, ctx._out_array = (result._vc, 0), result._data
        result._ctx = ctx
        return result
