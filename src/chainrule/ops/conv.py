"""Convolution layers' op: cross-correlation (the kernel is not flipped), as every DL library.

conv2d with a flipped kernel is true 2-D convolution: ``F.conv2d(x, w.flip)`` = ``convolve2d``.
"""

from __future__ import annotations

from .. import backend as B
from ..autograd.function import Function, ShapeError
from ..autograd.tensor import Tensor, as_tensor
from ..backend.blas import matmul
from .pad import MODES, normalize_padding, pad_spatial
from .window import as_pair, check_floating, check_input, kernel_offsets, out_size, windows

INFERENCE_COLS_BYTES = 2 << 20  # without autograd, im2col in pieces of about this size (a core's L2 cache)
DCOLS_BLOCK_BYTES = 3 << 20  # input-gradient columns in blocks of about this size, once they are large
PADDING_MODES = ("zeros", *MODES)  # "zeros" is "constant" with value 0, folded into the conv itself


class Conv2d(Function):
    """out[n, f, ho, wo] = b[f] + sum_{c,i,j} w[f, c, i, j] x[n, c, ho*s + i*d, wo*s + j*d].

    Forward (im2col): gather every window into cols (C*kh*kw, Ho*Wo*N) and make one matrix
    product out = W (F, C*kh*kw) @ cols. The bias rides in the same product: cols gets a row of
    ones and W a column b, [W | b] @ [cols; 1] = W @ cols + b. Local gradients, one product each:
    [dW | db] = upstream @ [cols; 1]^T (db: upstream summed over n, ho, wo);  dcols = W^T @ upstream,
    added back onto the input positions it came from with kh*kw strided slice additions.

    Memory layout: the arithmetic runs on (C, H, W, N) arrays, batch innermost, so every window
    copy moves runs of N contiguous numbers. The result is handed out as an (N, F, Ho, Wo) view of
    that memory: shapes and values are PyTorch's, and the next conv reads it without a copy.
    """

    symbol = "conv2d"

    def forward(self, x, w, b=None, stride=(1, 1), dilation=(1, 1), pads=((0, 0), (0, 0))):
        n, c, h, wd = x.shape
        f, _, kh, kw = w.shape
        (pt, pb), (pl, pr) = pads
        x = x.transpose(1, 2, 3, 0)  # (C, H, W, N): free when x came out of a conv
        if pt or pb or pl or pr:  # zero padding: write x into the middle of a zero array
            xpad = self.xp.zeros((c, h + pt + pb, wd + pl + pr, n), dtype=x.dtype)
            xpad[:, pt : pt + h, pl : pl + wd, :] = x
        else:
            xpad = x
        ho = out_size(h, pt, pb, kh, stride[0], dilation[0])
        wo = out_size(wd, pl, pr, kw, stride[1], dilation[1])
        k = c * kh * kw
        self.w2 = w.reshape(f, k)
        w_b = self.w2 if b is None else self.xp.concatenate([self.w2, b[:, None].astype(w.dtype, copy=False)], axis=1)
        self.geom = (x.shape, xpad.shape, (kh, kw), stride, dilation, pads, (ho, wo))
        if any(self.needs_input_grad) or type(x) is not B.numpy.ndarray:
            # training: one product, and the columns are kept for dW (on a GPU, one large product also
            # in inference: it has memory to spare and is fastest at large sizes)
            cols = self.columns(self.xp, xpad, (kh, kw), stride, dilation, (ho, wo), b is not None)
            self.cols = cols if any(self.needs_input_grad) else None
            out = matmul(w_b, cols)  # (F, Ho*Wo*N), bias included
        else:  # CPU inference: nothing to keep, so the columns can be made and used a cache-sized piece at a time
            out = self.product_in_pieces(self.xp, xpad, w_b, (kh, kw), stride, dilation, (ho, wo))
        return out.reshape(f, ho, wo, n).transpose(3, 0, 1, 2)

    @staticmethod
    def product_in_pieces(xp, xpad, w_b, kernel, stride, dilation, out_hw):
        """[W | b] @ [cols; 1] without ever holding all of cols: for each piece of output positions
        (``_output_pieces``), copy its windows into one reused buffer and let the product write
        straight into that piece's run of the (F, Ho*Wo*N) output."""
        c, n = xpad.shape[0], xpad.shape[3]
        (kh, kw), (ho, wo) = kernel, out_hw
        out = xp.empty((w_b.shape[0], ho * wo * n), dtype=xpad.dtype)
        win = windows(xpad, kernel, stride, dilation, out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
        pieces = _output_pieces(ho, wo, max(1, (c * kh * kw + 1) * n * xpad.itemsize))  # n = 0: one empty piece
        size = max((r1 - r0) * (w1 - w0) for r0, r1, w0, w1 in pieces) * n
        buffer = _column_buffer(xp, c * kh * kw, w_b.shape[1] > c * kh * kw, size, xpad.dtype)
        for piece in pieces:
            cols = _fill_columns(xp, buffer, win, *piece)
            start = (piece[0] * wo + piece[2]) * n  # the piece's run of out
            matmul(w_b, cols, out=out[:, start : start + cols.shape[1]])
        return out

    @staticmethod
    def columns(xp, xpad, kernel, stride, dilation, out_hw, ones_row: bool):
        """im2col: every window of the (C, H, W, N) input as a column, (C*kh*kw [+ 1], Ho*Wo*N)."""
        win = windows(xpad, kernel, stride, dilation, out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
        buffer = _column_buffer(xp, win.shape[0] * kernel[0] * kernel[1], ones_row, win[0, 0, 0].size, xpad.dtype)
        return _fill_columns(xp, buffer, win, 0, out_hw[0], 0, out_hw[1])  # the one copy

    @staticmethod
    def channels_per_block(c: int, bytes_per_channel: int) -> int:
        """dcols is written by one product and read back by kh*kw slice additions; past about 6 MB
        it no longer stays in cache in between, so it is made in blocks of channels of ~3 MB
        (measured: 7% off the deep CNN's step at batch 128, where conv3's dcols is 9 MB)."""
        if c * bytes_per_channel <= 2 * DCOLS_BLOCK_BYTES:
            return c
        return max(1, DCOLS_BLOCK_BYTES // bytes_per_channel)

    def backward(self, upstream):
        (c, h, wd, n), pad_shape, kernel, stride, dilation, pads, (ho, wo) = self.geom
        f = self.w2.shape[0]
        g2 = upstream.transpose(1, 2, 3, 0).reshape(f, ho * wo * n)  # free when upstream is batch-innermost
        need_x, k = self.needs_input_grad[0], c * kernel[0] * kernel[1]
        dw = db = dx = None
        if any(self.needs_input_grad[1:]):
            dw_b = matmul(self.cols, g2.T).T  # (F, k [+ 1]): [dW | db] in one product (faster than g2 @ cols.T)
            dw = dw_b[:, :k].reshape(f, c, *kernel)
            db = dw_b[:, k] if len(self.parents) > 2 else None
        if need_x:
            dpad = self.xp.zeros(pad_shape, dtype=g2.dtype)
            taps = list(kernel_offsets(kernel, stride, dilation, (ho, wo), lead=1))
            kk = kernel[0] * kernel[1]
            per = self.channels_per_block(c, kk * g2.shape[1] * g2.itemsize)
            for c0 in range(0, c, per):  # one block (one product) unless dcols is large
                w_block = self.w2[:, c0 * kk : (c0 + per) * kk]  # the columns of channels c0..c0+per
                dcols = matmul(w_block.T, g2).reshape(min(per, c - c0), kernel[0], kernel[1], ho, wo, n)
                block = dpad[c0 : c0 + per]
                for i, j, where in taps:
                    block[where] += dcols[:, i, j]
            (pt, _), (pl, _) = pads
            dx = dpad[:, pt : pt + h, pl : pl + wd, :].transpose(3, 0, 1, 2)
        return (dx, dw, db) if len(self.parents) > 2 else (dx, dw)


def _column_buffer(xp, k: int, ones_row: bool, size: int, dtype):
    """Room for k rows of window columns, ``size`` wide, and the bias's row of ones under them (``xp``:
    the array module)."""
    cols = xp.empty((k + ones_row, size), dtype=dtype)
    if ones_row:
        cols[k] = 1  # [W | b] @ [cols; 1] = W @ cols + b
    return cols


def _fill_columns(xp, buffer, win, r0: int, r1: int, w0: int, w1: int):
    """im2col for output rows r0..r1 and columns w0..w1: the windows of ``win`` (C, kh, kw, Ho, Wo, N)
    copied into the first columns of ``buffer``; returns those columns (the ones row included)."""
    c, kh, kw, _, _, n = win.shape
    m = (r1 - r0) * (w1 - w0) * n
    xp.copyto(buffer[: c * kh * kw, :m].reshape(c, kh, kw, r1 - r0, w1 - w0, n), win[:, :, :, r0:r1, w0:w1])
    return buffer[:, :m]


def _output_pieces(ho: int, wo: int, bytes_per_position: int) -> list:
    """Split the output positions into pieces (r0, r1, w0, w1) whose columns take at most about
    INFERENCE_COLS_BYTES: whole rows when a row fits, else runs of positions within a row. Each
    piece is a contiguous run of the (F, Ho*Wo*N) output, so its product is written in place."""
    if wo * bytes_per_position <= INFERENCE_COLS_BYTES:
        per = max(1, min(ho, INFERENCE_COLS_BYTES // (wo * bytes_per_position)))
        return [(r0, min(ho, r0 + per), 0, wo) for r0 in range(0, ho, per)]
    per = max(1, INFERENCE_COLS_BYTES // bytes_per_position)
    return [(r, r + 1, w0, min(wo, w0 + per)) for r in range(ho) for w0 in range(0, wo, per)]


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
) -> Tensor:
    """2-D cross-correlation: x (N, C, H, W), weight (F, C, kh, kw), bias (F,) -> (N, F, Ho, Wo).

    Ho = floor((H + pad_top + pad_bottom - dilation*(kh-1) - 1) / stride) + 1, and so Wo.
    ``padding``: int, per-dim tuple, "valid", "same" (any stride, TensorFlow's rule) or "full";
    ``padding_mode``: zeros, constant (with ``value``), reflect, replicate or circular.
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
    return Conv2d.apply(*inputs, stride=stride, dilation=dilation, pads=pads)


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
