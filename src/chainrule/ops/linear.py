"""The fully connected layer as one op: out = x W^T + b, with W (out_features, in_features) as PyTorch."""

from __future__ import annotations

from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend.blas import matmul


class Linear(Function):
    """out = x W^T + b:  x (..., in), W (out, in), b (out,) -> (..., out).

    Local gradients, with the leading axes of x and of the upstream gradient g flattened to rows:
    d/dx = g W,  d/dW = g^T x,  d/db = g summed over the rows.
    """

    symbol = "linear"

    def forward(self, x, weight, bias=None):
        self.x, self.weight = x, weight
        if x.ndim == 2 and x.T.flags.c_contiguous and not x.flags.c_contiguous:
            out = matmul(weight, x.T).T  # x is a flattened conv output (batch innermost): W x^T reads it in order
        else:
            out = matmul(x, weight.T) if x.ndim == 2 else x @ weight.T  # @ broadcasts over leading axes
        if bias is not None:
            if bias.dtype == out.dtype and out.ndim:
                out += bias
            else:
                out = out + bias
        return out

    def backward(self, upstream):
        x, w = self.x, self.weight
        rows_g = upstream.reshape(-1, w.shape[0])
        need = self.needs_input_grad
        dx = None
        if need[0] and x.ndim == 2 and x.T.flags.c_contiguous and not x.flags.c_contiguous:
            # x is a flattened conv output (batch innermost in memory): give dx that same layout,
            # so the gradient flows back through reshape and ReLU to the conv without a copy
            dx = matmul(w.T, upstream.T).T
        elif need[0]:
            dx = matmul(rows_g, w).reshape(x.shape)
        dw = matmul(rows_g.T, x.reshape(-1, w.shape[1])) if need[1] else None
        if len(self.parents) == 2:
            return dx, dw
        db = rows_g.sum(axis=0) if need[2] else None
        return dx, dw, db


def linear(x, weight, bias=None, *, name: str = "linear") -> Tensor:
    """y = x W^T + b for x (..., in_features), weight (out_features, in_features), bias (out_features,).

    ``name`` labels the shape errors (``nn.Linear`` passes "Linear(1960, 50)").
    """
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    if weight.ndim != 2:
        raise ShapeError(f"{name}: weight must be 2-D (out_features, in_features), got shape {tuple(weight.shape)}")
    out_f, in_f = weight.shape
    if x.ndim == 0:
        raise ShapeError(f"{name}: input must have at least 1 dimension (..., {in_f}), got a scalar")
    if x.shape[-1] != in_f:
        raise ShapeError(
            f"{name}: input has {x.shape[-1]} features, expected {in_f} "
            f"(input shape {tuple(x.shape)}, weight shape {tuple(weight.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (out_f,):
        raise ShapeError(f"{name}: bias has shape {tuple(bias.shape)}, expected ({out_f},)")
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return Linear.apply(*inputs)
