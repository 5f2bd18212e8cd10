"""Assignment as ops: ``t[index] = v`` and ``t.copy_(src)`` when autograd must see them.

The in-place methods (``autograd/inplace.py``) write straight into the array when no gradient is
involved; when one is, the new value is computed by one of these ops from a snapshot of the old
value, so the graph stays exact: the overwritten elements pass no gradient to the old value.
"""

from __future__ import annotations

from ..autograd.function import Function, unbroadcast


class IndexPut(Function):
    """out = x with out[index] = v;  d out/d x = 1 outside ``index``, 0 inside; d out/d v sums
    the upstream over the elements v was broadcast to."""

    symbol = "[]="

    def forward(self, x, v, index=None):
        self.index, self.v_shape = index, v.shape
        out = x.copy()
        try:
            out[index] = v
        except IndexError as err:
            raise IndexError(f"index assignment: {err} (tensor of shape {x.shape})") from None
        return out

    def backward(self, upstream):
        dx = dv = None
        if self.needs_input_grad[0]:
            dx = upstream.copy()
            dx[self.index] = 0
        if self.needs_input_grad[1]:
            dv = unbroadcast(upstream[self.index], self.v_shape)
        return dx, dv


class CopyInto(Function):
    """out = src broadcast to x's shape and cast to x's dtype (``x.copy_(src)``, ``fill_``);
    d out/d x = 0 (the old values are overwritten: x gets zeros, as in PyTorch), src gets the
    upstream summed over its broadcast."""

    symbol = "copy"

    def forward(self, x, src):
        self.x_dtype, self.src_shape, self.src_dtype = x.dtype, src.shape, src.dtype
        return self.xp.broadcast_to(src, x.shape).astype(x.dtype)

    def backward(self, upstream):
        dx = self.xp.zeros_like(upstream) if self.needs_input_grad[0] else None
        dsrc = unbroadcast(upstream, self.src_shape).astype(self.src_dtype) if self.needs_input_grad[1] else None
        return dx, dsrc


def index_put(x, v, index):
    return IndexPut.apply(x, v, index=index)


def copy_into(x, src):
    return CopyInto.apply(x, src)
