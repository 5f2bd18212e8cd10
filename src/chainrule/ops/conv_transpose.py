"""Transposed convolution ("deconvolution"): the convolution's input gradient used as a forward pass.

A conv2d maps x to y = W * x; its input gradient maps an upstream shaped like y back to one shaped
like x. conv_transpose2d *is* that map: each input pixel scatters a kernel-sized, weighted patch
onto a larger output (col2im), so the output size is
(in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1. Its own input gradient is,
in turn, a plain convolution (im2col and one product). The weight is (C_in, C_out / groups, kh, kw),
as PyTorch's, and the kernel is not flipped.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend.blas import matmul
from .window import as_pair, check_floating, kernel_offsets, windows


class ConvTranspose2d(Function):
    """out[n, co, h*s + i*d - p, w*s + j*d - p] += sum_ci x[n, ci, h, w] W[ci, co, i, j] (within a group).

    Forward, two steps (the conv's input gradient): cols = W^T @ x, one product per group with the
    arrays laid out (C, H, W, N), giving a (C_out, kh, kw, H, W, N) patch per tap; then col2im: each
    tap's slice is added onto the output canvas at stride s, dilation d (kh*kw strided additions),
    and the canvas is cropped by ``padding`` (and extended by ``output_padding`` at the end).
    Local gradients: pad the upstream back onto the canvas and take its windows (im2col), dcols;
    then dx = W @ dcols (a conv forward), dW = x @ dcols^T, db = upstream summed over n, h, w.
    """

    symbol = "conv_transpose2d"

    def forward(self, x, w, b=None, stride=(1, 1), padding=(0, 0), output_padding=(0, 0), dilation=(1, 1), groups=1):
        n, cin, h, wd = x.shape
        _, cout_g, kh, kw = w.shape
        cout = cout_g * groups
        canvas = tuple(
            (size - 1) * s + d * (k - 1) + 1 + op
            for size, s, d, k, op in zip((h, wd), stride, dilation, (kh, kw), output_padding)
        )
        out_hw = tuple(c - 2 * p for c, p in zip(canvas, padding))
        x2 = x.transpose(1, 2, 3, 0).reshape(groups, cin // groups, h * wd * n)  # (G, C_in/G, H*W*N)
        w3 = w.reshape(groups, cin // groups, cout_g * kh * kw)  # (G, C_in/G, C_out/G*kh*kw)
        cols = _per_group(w3.transpose(0, 2, 1), x2).reshape(cout, kh, kw, h, wd, n)
        full = self.xp.zeros((cout, *canvas, n), dtype=x.dtype)
        for i, j, where in kernel_offsets((kh, kw), stride, dilation, (h, wd), lead=1):
            full[where] += cols[:, i, j]  # col2im: each tap's patch onto the canvas
        (pt, pl), (ho, wo) = padding, out_hw
        out = full[:, pt : pt + ho, pl : pl + wo, :]
        if pt or pl or ho != canvas[0] or wo != canvas[1]:
            out = self.xp.ascontiguousarray(out)  # keep the batch-innermost layout the next conv reads for free
        if b is not None:
            out += b.astype(out.dtype, copy=False)[:, None, None, None]
        self.geom = ((h, wd), canvas, (kh, kw), stride, padding, dilation, groups)
        self.x2 = x2 if self.needs_input_grad[1] else None  # kept only for the gradient that reads it
        self.w3 = w3 if self.needs_input_grad[0] else None
        return out.transpose(3, 0, 1, 2)  # (N, C_out, Ho, Wo) view of (C_out, Ho, Wo, N) memory

    def backward(self, upstream):
        (h, wd), canvas, kernel, stride, padding, dilation, groups = self.geom
        n, cout, ho, wo = upstream.shape
        need_x, need_w = self.needs_input_grad[0], self.needs_input_grad[1]
        dx = dw = db = None
        if need_x or need_w:
            gfull = self.xp.zeros((cout, *canvas, n), dtype=upstream.dtype)
            gfull[:, padding[0] : padding[0] + ho, padding[1] : padding[1] + wo, :] = upstream.transpose(1, 2, 3, 0)
            win = windows(gfull, kernel, stride, dilation, (h, wd), lead=1)  # (C_out, kh, kw, H, W, N) view
            dcols = self.xp.ascontiguousarray(win).reshape(groups, -1, h * wd * n)  # im2col: the one copy
            if need_x:  # a conv forward of the upstream with the same weight
                dx = _per_group(self.w3, dcols).reshape(-1, h, wd, n).transpose(3, 0, 1, 2)
            if need_w:
                dw = _per_group(self.x2, dcols.transpose(0, 2, 1)).reshape(self.parents[1].shape)
        if len(self.parents) > 2:
            db = upstream.sum(axis=(0, 2, 3)) if self.needs_input_grad[2] else None
            return dx, dw, db
        return dx, dw


def _per_group(a, b):
    """a (G, m, k) @ b (G, k, n) -> (G, m, n), one BLAS product per group (G is 1 without groups)."""
    if a.shape[0] == 1:
        return matmul(a[0], b[0])[None]
    return B.module_of(a).stack([matmul(a[g], b[g]) for g in range(a.shape[0])])


def _check(x, weight, bias, groups: int, name: str, dims: int):
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    if weight.ndim != dims + 2:
        raise ShapeError(
            f"{name}: weight must be {dims + 2}-D (in_channels, out_channels / groups, *kernel), "
            f"got shape {tuple(weight.shape)}"
        )
    if x.ndim not in (dims + 1, dims + 2):
        raise ShapeError(
            f"{name}: expected a {dims + 1}-D (unbatched) or {dims + 2}-D input {layout}, got shape {tuple(x.shape)}"
        )
    c = x.shape[-dims - 1]
    if c != weight.shape[0]:
        raise ShapeError(
            f"{name}: input has {c} channels, expected {weight.shape[0]} (input shape "
            f"{tuple(x.shape)}, weight shape {tuple(weight.shape)} = (in, out / groups, *kernel))"
        )
    if c % groups:
        raise ShapeError(f"{name}: in_channels ({c}) must be divisible by groups ({groups})")
    cout = weight.shape[1] * groups
    if bias is not None and tuple(bias.shape) != (cout,):
        raise ShapeError(f"{name}: bias has shape {tuple(bias.shape)}, expected ({cout},)")


def _operands(input, weight, bias, groups, name: str, n: int) -> tuple:
    """The operands as tensors and ``groups`` as an int, each checked (float dtypes, shapes)."""
    x, weight = as_tensor(input), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    check_floating(name, input=x, weight=weight, bias=bias)
    groups = as_pair(groups, 1, "groups", name)[0]
    _check(x, weight, bias, groups, name, n)
    return x, weight, bias, groups


def output_size(size: int, k: int, stride: int, padding: int, output_padding: int, dilation: int) -> int:
    """(in - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1."""
    return (size - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


def conv_transpose2d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
    *,
    name: str = "conv_transpose2d",
) -> Tensor:
    """Transposed 2-D convolution: x (N, C_in, H, W), weight (C_in, C_out / groups, kh, kw), bias (C_out,)
    -> (N, C_out, Ho, Wo), Ho = (H - 1)*stride - 2*padding + dilation*(kh - 1) + output_padding + 1."""
    x, weight, bias, groups = _operands(input, weight, bias, groups, name, 2)
    stride, dilation = as_pair(stride, 2, "stride", name), as_pair(dilation, 2, "dilation", name)
    padding = as_pair(padding, 2, "padding", name, minimum=0)
    output_padding = as_pair(output_padding, 2, "output_padding", name, minimum=0)
    if any(op >= max(s, d) for op, s, d in zip(output_padding, stride, dilation)):
        raise ShapeError(
            f"{name}: output_padding must be smaller than either stride or dilation, but got "
            f"output_padding={output_padding}, stride={stride}, dilation={dilation}"
        )
    sizes = tuple(
        output_size(*a) for a in zip(x.shape[-2:], weight.shape[2:], stride, padding, output_padding, dilation)
    )
    if min(sizes) < 1:
        raise ShapeError(
            f"{name}: given input size per channel {tuple(x.shape[-2:])}, the calculated output "
            f"size per channel {sizes} is too small"
        )
    unbatched = x.ndim == 3
    if unbatched:
        x = x.reshape(1, *x.shape)
    inputs = (x, weight) if bias is None else (x, weight, bias)
    out = ConvTranspose2d.apply(
        *inputs, stride=stride, padding=padding, output_padding=output_padding, dilation=dilation, groups=groups
    )
    return out.reshape(out.shape[1:]) if unbatched else out


def conv_transpose1d(
    input,
    weight,
    bias=None,
    stride=1,
    padding=0,
    output_padding=0,
    groups: int = 1,
    dilation=1,
    *,
    name: str = "conv_transpose1d",
) -> Tensor:
    """Transposed 1-D convolution: x (N, C_in, L), weight (C_in, C_out / groups, k) -> (N, C_out, L_out);
    a conv_transpose2d of height 1."""
    x, weight, bias, groups = _operands(input, weight, bias, groups, name, 1)
    (s,), (d,) = as_pair(stride, 1, "stride", name), as_pair(dilation, 1, "dilation", name)
    (p,), (op,) = as_pair(padding, 1, "padding", name, 0), as_pair(output_padding, 1, "output_padding", name, 0)
    out = conv_transpose2d(
        x.reshape(*x.shape[:-1], 1, x.shape[-1]),
        weight.reshape(*weight.shape[:2], 1, -1),
        bias,
        (1, s),
        (0, p),
        (0, op),
        groups,
        (1, d),
        name=name,
    )
    return out.reshape(*out.shape[:-2], out.shape[-1])
