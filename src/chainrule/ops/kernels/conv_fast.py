"""The fast 2-D convolution: the reference's im2col, arranged for speed (``ops.conv.Conv2d`` has the math).

Each trick, with the reason it is here:

- the batch-innermost layout (stated in ``ops/kernels``): every window copy moves runs of N numbers;
- the bias rides in the product: a row of ones under the columns, [W | b] @ [cols; 1] = W @ cols + b;
- without autograd (CPU), the columns are made a cache-sized piece of output positions at a time and
  MKL writes each piece's product straight into its run of the output (``blas.matmul(out=)``): the
  columns never leave the cache and are never all held;
- large input-gradient columns are made in blocks of channels that stay in cache between their
  product and the slice additions that consume them;
"""

from __future__ import annotations

from collections.abc import Callable

from ... import backend as B
from ...backend.blas import matmul
from ..window import ConvGeometry, kernel_offsets, windows

INFERENCE_COLS_BYTES = 2 << 20  # without autograd, im2col in pieces of about this size (a core's L2 cache)
DCOLS_BLOCK_BYTES = 3 << 20  # input-gradient columns in blocks of about this size, once they are large


def forward(xp, x, w2, b, geom: ConvGeometry, keep_columns: bool):
    """out (N, F, Ho, Wo), a view of (F, Ho, Wo, N) memory, and the columns backward reads (or None).

    x: (N, C, H, W); w2: the weight as (F, C*kh*kw); b: (F,) or None.
    """
    xpad = pad(xp, x.transpose(1, 2, 3, 0), geom)  # (C, H, W, N): free when x came out of a conv
    w_b = w2 if b is None else xp.concatenate([w2, b[:, None].astype(w2.dtype, copy=False)], axis=1)
    (ho, wo), f, n = geom.out_hw, w2.shape[0], geom.batch
    if keep_columns or type(xpad) is not B.numpy.ndarray:
        # training: one product, the columns kept for dW (on a GPU one large product in inference
        # too: it has memory to spare and is fastest at large sizes)
        cols = columns(xp, xpad, geom, b is not None)
        out = matmul(w_b, cols)  # (F, Ho*Wo*N), bias included
    else:
        cols, out = None, product_in_pieces(xp, xpad, w_b, geom)
    return out.reshape(f, ho, wo, n).transpose(3, 0, 1, 2), cols


def backward(xp, upstream, w2, cols, geom: ConvGeometry, needs: tuple):
    """(dx, dW, db) for the needed ones (``needs``: x, W, b), from the (N, F, Ho, Wo) upstream."""
    (ho, wo), (kh, kw), f = geom.out_hw, geom.kernel, w2.shape[0]
    g2 = upstream.transpose(1, 2, 3, 0).reshape(f, ho * wo * geom.batch)  # free when upstream is batch-innermost
    dx = dw = db = None
    if needs[1] or needs[2]:
        dw_b = matmul(cols, g2.T).T  # (F, k [+ 1]): [dW | db] in one product (faster than g2 @ cols.T)
        k = geom.column_length
        dw = dw_b[:, :k].reshape(f, geom.channels, kh, kw) if needs[1] else None
        db = dw_b[:, k] if needs[2] else None
    if needs[0]:
        dx = input_gradient(xp, w2, g2, geom)
    return dx, dw, db


def pad(xp, x, geom: ConvGeometry):
    """The (C, H, W, N) input with its zero border, (C, H + top + bottom, W + left + right, N)."""
    if not any(p for pair in geom.pads for p in pair):
        return x
    rows, cols = geom.inside
    xpad = xp.empty((geom.channels, *geom.padded_hw, geom.batch), dtype=x.dtype)

    def fill(cs, ns):  # the border's four strips, then the middle: each element written once
        xpad[cs, : rows.start, :, ns] = 0
        xpad[cs, rows.stop :, :, ns] = 0
        xpad[cs, rows, : cols.start, ns] = 0
        xpad[cs, rows, cols.stop :, ns] = 0
        xpad[cs, rows, cols, ns] = x[cs, :, :, ns]

    split(xp, geom.channels, geom.batch, xpad.nbytes, fill)
    return xpad


def columns(xp, xpad, geom: ConvGeometry, ones_row: bool):
    """im2col: every window of the (C, H, W, N) input as a column, (C*kh*kw [+ 1], Ho*Wo*N)."""
    (ho, wo), n = geom.out_hw, geom.batch
    win = windows(xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
    buffer = column_buffer(xp, geom.column_length, ones_row, ho * wo * n, xpad.dtype)
    return fill_columns(xp, buffer, win, 0, ho, 0, wo)  # the one copy


def product_in_pieces(xp, xpad, w_b, geom: ConvGeometry):
    """[W | b] @ [cols; 1] without ever holding all of cols: for each piece of output positions
    (``output_pieces``), copy its windows into one reused buffer and let the product write straight
    into that piece's run of the (F, Ho*Wo*N) output."""
    (ho, wo), n, k = geom.out_hw, geom.batch, geom.column_length
    out = xp.empty((w_b.shape[0], ho * wo * n), dtype=xpad.dtype)
    win = windows(xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
    pieces = output_pieces(ho, wo, max(1, (k + 1) * n * xpad.itemsize))  # n = 0: one empty piece
    size = max((r1 - r0) * (w1 - w0) for r0, r1, w0, w1 in pieces) * n
    buffer = column_buffer(xp, k, w_b.shape[1] > k, size, xpad.dtype)
    for piece in pieces:
        cols = fill_columns(xp, buffer, win, *piece)
        start = (piece[0] * wo + piece[2]) * n  # the piece's run of out
        matmul(w_b, cols, out=out[:, start : start + cols.shape[1]])
    return out


def input_gradient(xp, w2, g2, geom: ConvGeometry):
    """dx (N, C, H, W), a view of (C, H, W, N) memory: dcols = W^T @ upstream, each tap's slice added
    back onto the input positions it came from (col2im), in blocks of channels when dcols is large."""
    (ho, wo), (kh, kw), c = geom.out_hw, geom.kernel, geom.channels
    dpad = xp.empty((c, *geom.padded_hw, geom.batch), dtype=g2.dtype)
    taps = list(kernel_offsets(geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1))
    per = channels_per_block(c, kh * kw * g2.shape[1] * g2.itemsize)
    for c0 in range(0, c, per):  # one block (one product) unless dcols is large
        w_block = w2[:, c0 * kh * kw : (c0 + per) * kh * kw]  # the columns of channels c0..c0+per
        dcols = matmul(w_block.T, g2).reshape(w_block.shape[1] // (kh * kw), kh, kw, ho, wo, geom.batch)
        block = dpad[c0 : c0 + per]

        def add_taps(cs, ns, block=block, dcols=dcols):
            part = block[cs, :, :, ns]
            part[...] = 0
            for i, j, where in taps:
                part[where] += dcols[cs, i, j, :, :, ns]

        split(xp, block.shape[0], geom.batch, block.nbytes, add_taps)
    rows, cols = geom.inside
    return dpad[:, rows, cols, :].transpose(3, 0, 1, 2)


def channels_per_block(c: int, bytes_per_channel: int) -> int:
    """dcols is written by one product and read back by kh*kw slice additions; past about 6 MB
    it no longer stays in cache in between, so it is made in blocks of channels of ~3 MB
    (measured: 7% off the deep CNN's step at batch 128, where conv3's dcols is 9 MB)."""
    if c * bytes_per_channel <= 2 * DCOLS_BLOCK_BYTES:
        return c
    return max(1, DCOLS_BLOCK_BYTES // bytes_per_channel)


def split(xp, c: int, n: int, nbytes: int, body: Callable) -> None:
    """Run ``body(channels, batch)`` (two slices) over all c channels x n samples."""
    body(slice(None), slice(None))


def column_buffer(xp, k: int, ones_row: bool, size: int, dtype):
    """Room for k rows of window columns, ``size`` wide, and the bias's row of ones under them."""
    cols = xp.empty((k + ones_row, size), dtype=dtype)
    if ones_row:
        cols[k] = 1  # [W | b] @ [cols; 1] = W @ cols + b
    return cols


def fill_columns(xp, buffer, win, r0: int, r1: int, w0: int, w1: int):
    """im2col for output rows r0..r1 and columns w0..w1: the windows of ``win`` (C, kh, kw, Ho, Wo, N)
    copied into the first columns of ``buffer``; returns those columns (the ones row included)."""
    c, kh, kw, _, _, n = win.shape
    m = (r1 - r0) * (w1 - w0) * n
    dst = buffer[: c * kh * kw, :m].reshape(c, kh, kw, r1 - r0, w1 - w0, n)
    src = win[:, :, :, r0:r1, w0:w1]

    def copy(cs, ns):
        xp.copyto(dst[cs, ..., ns], src[cs, ..., ns])

    split(xp, c, n, dst.nbytes, copy)
    return buffer[:, :m]


def output_pieces(ho: int, wo: int, bytes_per_position: int) -> list:
    """Split the output positions into pieces (r0, r1, w0, w1) whose columns take at most about
    INFERENCE_COLS_BYTES: whole rows when a row fits, else runs of positions within a row. Each
    piece is a contiguous run of the (F, Ho*Wo*N) output, so its product is written in place."""
    if wo * bytes_per_position <= INFERENCE_COLS_BYTES:
        per = max(1, min(ho, INFERENCE_COLS_BYTES // (wo * bytes_per_position)))
        return [(r0, min(ho, r0 + per), 0, wo) for r0 in range(0, ho, per)]
    per = max(1, INFERENCE_COLS_BYTES // bytes_per_position)
    return [(r, r + 1, w0, min(wo, w0 + per)) for r in range(ho) for w0 in range(0, wo, per)]
