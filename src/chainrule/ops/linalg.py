"""Matrix product, batched and broadcast as ``numpy.matmul``."""

from __future__ import annotations

from ..autograd.function import Function, ShapeError, unbroadcast
from ..backend.blas import matmul as gemm


class MatMul(Function):
    """out = a @ b;  d/da = upstream @ b^T, d/db = a^T @ upstream (summed over broadcast batches).

    1-D operands are promoted as NumPy does: a vector on the left is a row (1, k), on the right a
    column (k, 1), and the added axis is removed from the result.
    """

    symbol = "@"

    def forward(self, a, b):
        if a.ndim == 0 or b.ndim == 0:
            raise ShapeError(f"matmul: operands must be at least 1-D, got shapes {a.shape} and {b.shape}")
        if a.shape[-1] != b.shape[0 if b.ndim == 1 else -2]:
            k_b = b.shape[0 if b.ndim == 1 else -2]
            raise ShapeError(
                f"matmul: shapes {a.shape} and {b.shape} do not align: a has {a.shape[-1]} columns, b has {k_b} rows"
            )
        self.a, self.b = a, b
        return gemm(a, b)  # 2-D float: the fast BLAS; otherwise NumPy's batched @

    def backward(self, upstream):
        a, b = self.a, self.b
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g = upstream
        if b.ndim == 1:  # restore the axes that promotion removed (the column first)
            g = g[..., None]
        if a.ndim == 1:
            g = g[..., None, :]
        da = db = None
        if self.needs_input_grad[0]:
            da = unbroadcast(gemm(g, b2.swapaxes(-1, -2)), a2.shape).reshape(a.shape)
        if self.needs_input_grad[1]:
            db = unbroadcast(gemm(a2.swapaxes(-1, -2), g), b2.shape).reshape(b.shape)
        return da, db


def matmul(a, b):
    return MatMul.apply(a, b)


def mm(a, b):
    """The product of two matrices, (n, k) @ (k, m) -> (n, m), as torch.mm (no broadcasting)."""
    if a.ndim != 2 or b.ndim != 2:
        raise ShapeError(f"mm: both operands must be matrices (2-D), got shapes {tuple(a.shape)} and {tuple(b.shape)}")
    if a.shape[1] != b.shape[0]:
        raise ShapeError(
            f"mm: mat1 and mat2 shapes cannot be multiplied ({a.shape[0]}x{a.shape[1]} and {b.shape[0]}x{b.shape[1]})"
        )
    return MatMul.apply(a, b)


def bmm(a, b):
    """A batch of matrix products, (B, n, k) @ (B, k, m) -> (B, n, m), as torch.bmm (no broadcasting)."""
    if a.ndim != 3 or b.ndim != 3:
        raise ShapeError(
            f"bmm: both operands must be 3-D (batch, rows, cols), got shapes {tuple(a.shape)} and {tuple(b.shape)}"
        )
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[1]:
        raise ShapeError(
            f"bmm: shapes {tuple(a.shape)} and {tuple(b.shape)} do not match: expected b of shape "
            f"({a.shape[0]}, {a.shape[2]}, m)"
        )
    return MatMul.apply(a, b)
