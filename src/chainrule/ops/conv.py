"""Convolution layers' op: cross-correlation (the kernel is not flipped), as every DL library.

conv2d with a flipped kernel is true 2-D convolution: ``F.conv2d(x, w.flip)`` = ``convolve2d``.
"""

from __future__ import annotations

from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend import kernels
from .kernels import conv_fast
from .pad import MODES, normalize_padding, pad_spatial
from .window import ConvGeometry, as_pair, check_floating, check_input, kernel_offsets, windows

PADDING_MODES = ("zeros", *MODES)  # "zeros" is "constant" with value 0, folded into the conv itself


class Conv2d(Function):
    """out[n, f, ho, wo] = b[f] + sum_{c,i,j} w[f, c, i, j] x[n, c, ho*s + i*d, wo*s + j*d].

    Forward (im2col): pad x with zeros, copy every window into a column, cols[n] (C*kh*kw, Ho*Wo),
    and make one matrix product per sample, out[n] = W (F, C*kh*kw) @ cols[n] + b.
    Local gradients: dW = sum_n upstream[n] @ cols[n]^T; db = upstream summed over n, ho, wo;
    dcols[n] = W^T @ upstream[n], each window's column added back onto the input positions it was
    copied from (col2im: one strided slice addition per kernel tap (i, j)).

    This reference form runs under ``kernels.reference()``; otherwise the same math runs as the fast
    kernel (``ops/kernels/conv_fast.py``: batch-innermost layout, pieces, threads). Either way the
    geometry is kept by name (``window.ConvGeometry``) and the weight as W (F, C*kh*kw).
    """

    symbol = "conv2d"
    relu = False  # Conv2dReLU: the ReLU after it in the same pass

    def forward(self, x, w, b=None, stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
        self.geometry = geom = ConvGeometry.of(x.shape, w.shape[2:], stride, dilation, pads)
        self.w2 = w.reshape(w.shape[0], geom.column_length)
        keep = any(self.needs_input_grad[1:])  # the columns are read again only for dW (and db)
        self.fast = not kernels.reference()  # backward follows the path forward took
        if self.fast:
            out, cols = conv_fast.forward(self.xp, x, self.w2, b, geom, keep, self.relu)
        else:
            out, cols = self.reference_forward(x, b, geom)
            if self.relu:
                out = self.xp.maximum(out, 0)
        self.cols = cols if keep else None
        self.out = out if self.relu and any(self.needs_input_grad) else None  # the ReLU's mask, out > 0
        return out

    def reference_forward(self, x, b, geom: ConvGeometry):
        """out (N, F, Ho, Wo) and cols (N, C*kh*kw, Ho*Wo) on the natural (N, C, H, W) layout."""
        xpad = self.xp.pad(x, ((0, 0), (0, 0), *geom.pads))  # zeros around each image
        win = windows(xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw)  # (N, C, kh, kw, Ho, Wo) view
        ho, wo = geom.out_hw
        cols = win.reshape(geom.batch, geom.column_length, ho * wo)  # im2col: the one copy
        out = self.w2 @ cols  # (F, K) @ (N, K, Ho*Wo) -> (N, F, Ho*Wo)
        if b is not None:
            out += b[:, None]
        return out.reshape(geom.batch, self.w2.shape[0], ho, wo), cols

    def backward(self, upstream):
        if self.relu:  # the ReLU's local gradient first: upstream passes where out > 0
            upstream = upstream * (self.out > 0)
        needs = (self.needs_input_grad[0], self.needs_input_grad[1], len(self.parents) > 2 and self.needs_input_grad[2])
        if self.fast:
            dx, dw, db = conv_fast.backward(self.xp, upstream, self.w2, self.cols, self.geometry, needs)
        else:
            dx, dw, db = self.reference_backward(upstream, needs)
        return (dx, dw, db) if len(self.parents) > 2 else (dx, dw)

    def reference_backward(self, upstream, needs: tuple):
        """(dx, dW, db) from upstream (N, F, Ho, Wo), on the (N, C, H, W) layout."""
        geom, f = self.geometry, self.w2.shape[0]
        g = upstream.reshape(geom.batch, f, geom.out_hw[0] * geom.out_hw[1])  # (N, F, Ho*Wo)
        dx = dw = db = None
        if needs[1]:
            dw = self.xp.tensordot(g, self.cols, axes=([0, 2], [0, 2])).reshape(f, geom.channels, *geom.kernel)
        if needs[2]:
            db = g.sum(axis=(0, 2))
        if needs[0]:
            dcols = (self.w2.T @ g).reshape(geom.batch, geom.channels, *geom.kernel, *geom.out_hw)
            dpad = self.xp.zeros((geom.batch, geom.channels, *geom.padded_hw), dtype=dcols.dtype)
            for i, j, where in kernel_offsets(geom.kernel, geom.stride, geom.dilation, geom.out_hw):
                dpad[where] += dcols[:, :, i, j]  # tap (i, j) saw this strided slice of the input
            dx = dpad[(slice(None), slice(None), *geom.inside)]
        return dx, dw, db


class Conv2dReLU(Conv2d):
    """relu(conv2d(x, w, b)): out = max(0, conv), each piece of the conv's output clamped right after
    its product, while it is in cache, instead of a second pass over the whole output (PyTorch's fused
    ``torch.ao.nn.intrinsic.ConvReLU2d``). Local gradient: upstream * (out > 0), then Conv2d's."""

    symbol = "conv2d_relu"
    relu = True


def _check_conv(x, weight, bias, name: str, dims: int) -> None:
    layout = "(N, C, L)" if dims == 1 else "(N, C, H, W)"
    check_input(x, dims + 2, name, layout)
    check_floating(name, input=x, weight=weight, bias=bias)
    if weight.ndim != dims + 2:
        raise ShapeError(f"{name}: weight must be {dims + 2}-D (out, in, *kernel), got shape {weight.shape}")
    if x.shape[1] != weight.shape[1]:
        raise ShapeError(
            f"{name}: input has {x.shape[1]} channels, expected {weight.shape[1]} "
            f"(input shape {tuple(x.shape)}, weight shape {tuple(weight.shape)})"
        )
    if bias is not None and tuple(bias.shape) != (weight.shape[0],):
        raise ShapeError(f"{name}: bias has shape {tuple(bias.shape)}, expected ({weight.shape[0]},)")


def conv2d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode: str = "zeros",
    value: float = 0.0,
    *,
    name: str = "conv2d",
    relu: bool = False,
) -> Tensor:
    """2-D cross-correlation: x (N, C, H, W), weight (F, C, kh, kw), bias (F,) -> (N, F, Ho, Wo).

    Ho = floor((H + pad_top + pad_bottom - dilation*(kh-1) - 1) / stride) + 1, and so Wo.
    ``padding``: int, per-dim tuple, "valid", "same" (any stride, TensorFlow's rule) or "full";
    ``padding_mode``: zeros, constant (with ``value``), reflect, replicate or circular.
    ``relu`` (not in PyTorch's signature): max(0, conv) in the same pass (``Conv2dReLU``).
    """
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    _check_conv(x, weight, bias, name, 2)
    kernel = tuple(weight.shape[2:])
    stride = as_pair(stride, 2, "stride", name)
    dilation = as_pair(dilation, 2, "dilation", name)
    pads = normalize_padding(padding, kernel, stride, dilation, tuple(x.shape[2:]), name)
    if padding_mode not in PADDING_MODES:
        raise ValueError(f"{name}: padding_mode must be one of {', '.join(PADDING_MODES)}, got {padding_mode!r}")
    for axis, (size, (b, a), k, d) in enumerate(zip(x.shape[2:], pads, kernel, dilation)):
        if size + b + a < d * (k - 1) + 1:
            dim = "HW"[axis] if len(kernel) == 2 else "L"
            raise ShapeError(
                f"{name}: kernel of size {k} (dilation {d}, span {d * (k - 1) + 1}) is larger "
                f"than the padded input along {dim}: {size} + {b} + {a} = {size + b + a}"
            )
    if padding_mode != "zeros":  # other modes pad first as an op of their own; the conv sees no padding
        x = pad_spatial(x, pads, padding_mode, value, name)
        pads = ((0, 0), (0, 0))
    inputs = (x, weight) if bias is None else (x, weight, bias)
    return (Conv2dReLU if relu else Conv2d).apply(*inputs, stride=stride, dilation=dilation, pads=pads)


def conv2d_relu(
    x, weight, bias=None, stride=1, padding=0, dilation=1, padding_mode="zeros", value=0.0, *, name="conv2d"
):
    """relu(conv2d(x, weight, bias, ...)) as one op (``Conv2dReLU``): what ``nn.Sequential`` runs for a
    Conv2d followed by a ReLU when no graph is recorded (inference)."""
    return conv2d(x, weight, bias, stride, padding, dilation, padding_mode, value, name=name, relu=True)


def conv1d(
    x,
    weight,
    bias=None,
    stride=1,
    padding=0,
    dilation=1,
    padding_mode: str = "zeros",
    value: float = 0.0,
    *,
    name: str = "conv1d",
) -> Tensor:
    """1-D cross-correlation: x (N, C, L), weight (F, C, k) -> (N, F, L_out); a conv2d of height 1."""
    x, weight = as_tensor(x), as_tensor(weight)
    bias = None if bias is None else as_tensor(bias)
    _check_conv(x, weight, bias, name, 1)
    (s,), (d,) = as_pair(stride, 1, "stride", name), as_pair(dilation, 1, "dilation", name)
    (pad1,) = normalize_padding(padding, tuple(weight.shape[2:]), (s,), (d,), tuple(x.shape[2:]), name)
    n, c, length = x.shape
    out = conv2d(
        x.reshape(n, c, 1, length),
        weight.reshape(*weight.shape[:2], 1, weight.shape[2]),
        bias,
        (1, s),
        ((0, 0), pad1),
        (1, d),
        padding_mode,
        value,
        name=name,
    )
    return out.reshape(n, out.shape[1], out.shape[3])
