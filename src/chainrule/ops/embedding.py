"""Embedding lookup: rows of a weight table picked by integer indices, as ``torch.nn.functional.embedding``."""

from __future__ import annotations

import numbers

from .. import backend as B
from ..autograd.errors import DtypeError
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor


class Embedding(Function):
    """out[..., :] = weight[indices[...], :]: indices (*) -> (*, D) for a weight (V, D).

    Local gradient: each output row is a copy of one weight row, so the upstream rows are added
    back onto the rows they were read from (a scatter-add; a row used twice gets both gradients).
    The ``padding_idx`` row gets none; with ``scale_grad_by_freq`` each index's rows are divided by
    how often that index occurs in ``indices``.
    """

    symbol = "embedding"

    def forward(self, weight, indices=None, padding_idx=None, scale_grad_by_freq=False):
        self.indices, self.rows = indices, weight.shape[0]
        self.padding_idx, self.scale_grad_by_freq = padding_idx, scale_grad_by_freq
        return weight[indices]

    def backward(self, upstream):
        flat = self.indices.reshape(-1)
        rows = upstream.reshape(flat.size, upstream.shape[-1])
        if self.scale_grad_by_freq:
            counts = self.xp.bincount(flat, minlength=self.rows)
            rows = rows / counts[flat][:, None].astype(rows.dtype)
        grad = self.xp.zeros((self.rows, upstream.shape[-1]), dtype=upstream.dtype)
        self.xp.add.at(grad, flat, rows)
        if self.padding_idx is not None:
            grad[self.padding_idx] = 0
        return (grad,)


def check_padding_idx(padding_idx, num_embeddings: int, name: str) -> int | None:
    """``padding_idx`` as a row number in [0, num_embeddings) (negative counts from the end), or None."""
    if padding_idx is None:
        return None
    if not isinstance(padding_idx, numbers.Integral) or not -num_embeddings <= padding_idx < num_embeddings:
        # AssertionError, as torch
        raise AssertionError(
            f"{name}: padding_idx must be within num_embeddings: got {padding_idx!r}, "
            f"allowed [{-num_embeddings}, {num_embeddings})"
        )
    return int(padding_idx) % num_embeddings


def _check_indices(indices, num_embeddings: int, name: str):
    idx = indices._data
    if idx.dtype.kind not in "iu":
        raise DtypeError(f"{name}: indices must be an integer tensor (int64 or int32), got dtype {idx.dtype}")
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= num_embeddings):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(
            f"{name}: index out of range in self: index {bad} for a weight of "
            f"{num_embeddings} rows (valid 0..{num_embeddings - 1})"
        )
    return idx


def renorm_rows_(weight: Tensor, idx, max_norm: float, norm_type: float) -> None:
    """In place, outside autograd: each row of ``weight`` in ``idx`` whose ``norm_type``-norm exceeds
    ``max_norm`` is scaled to norm max_norm (by max_norm / (norm + 1e-7), as torch's embedding_renorm_)."""
    w = weight._data
    xp = B.module_of(w)  # the weight's device
    rows = xp.unique(idx.reshape(-1))
    sel = w[rows]
    norms = xp.linalg.norm(sel, ord=norm_type, axis=1)
    big = norms > max_norm
    if big.any():
        scale = (max_norm / (norms[big] + 1e-7)).astype(w.dtype)
        w[rows[big]] = sel[big] * scale[:, None]
        weight._bump_version()


def embedding(
    input,
    weight,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
    *,
    name: str = "embedding",
) -> Tensor:
    """Rows of ``weight`` (V, D) at integer ``input`` (*): -> (*, D).

    ``padding_idx``: that row gets no gradient. ``max_norm``: the rows looked up are first renormed
    in place to at most that ``norm_type``-norm (as torch). ``sparse`` is accepted; the gradient is a
    dense (V, D) array with the same values torch's sparse gradient holds.
    """
    indices, weight = as_tensor(input), as_tensor(weight)
    if weight.ndim != 2:
        raise ShapeError(
            f"{name}: 'weight' must be 2-D (num_embeddings, embedding_dim), got shape {tuple(weight.shape)}"
        )
    v = weight.shape[0]
    idx = _check_indices(indices, v, name)
    padding_idx = check_padding_idx(padding_idx, v, name)
    if max_norm is not None:
        renorm_rows_(weight, idx, float(max_norm), float(norm_type))
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx, scale_grad_by_freq=bool(scale_grad_by_freq))
