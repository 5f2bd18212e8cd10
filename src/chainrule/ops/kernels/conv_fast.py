"""The fast 2-D convolution: the reference's im2col, arranged for speed (``ops.conv.Conv2d`` has the math).

Each trick, with the reason it is here:

- the batch-innermost layout (stated in ``ops/kernels``): every window copy moves runs of N numbers;
- the bias rides in the product: a row of ones under the columns, [W | b] @ [cols; 1] = W @ cols + b;
- without autograd (CPU), the columns are made a cache-sized piece of output positions at a time and
  MKL writes each piece's product straight into its run of the output (``blas.matmul(out=)``): the
  columns never leave the cache and are never all held; a ReLU after the conv (``conv2d_relu``)
  clamps each piece's run of the output right after its product, while it is in cache;
- large input-gradient columns are made in blocks of channels that stay in cache between their
  product and the slice additions that consume them;
- threads: handing a loop to the pool costs about 0.1 ms on a small VM (waking a sleeping core), and
  MKL's own threads pay as much per product, so a conv of less than ``PARALLEL_MIN_FLOPS`` (about a
  millisecond of one core) runs wholly on the calling thread, its products too. A larger one runs
  one loop per pass, each thread writing its own part: forward, each takes pieces of output
  positions and makes their columns and products itself (MKL on one core each, no MKL threads
  inside pool threads); backward, each takes blocks of input channels: their rows of dW, their
  dcols and the slice additions into their own channels of dx. With fewer than two channels a
  thread, the backward's products use MKL's threads and the slice additions split by batch. With
  NumPy's OpenBLAS, the compiled pieces (inference) are shared out among Numba's team, the threads
  that also run OpenBLAS's threaded products (backend/team.py), each piece's product unthreaded.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import nullcontext

from ... import backend as B
from ...backend import blas, compiled, openblas, threads
from ...backend.blas import matmul
from ..window import ConvGeometry, kernel_offsets, windows

INFERENCE_COLS_BYTES = 256 << 10  # without autograd, im2col in pieces of about this size (a quarter of a
# 1 MB L2: on the AMD VM the shallow net's inference over 1,000 images took 3.6-3.9 ms against 4.5-5.2
# with pieces of 512 KB to 2 MB, its conv 1.9-2.1 against 3.0-3.3 ms; the deep net's no slower)
TRANSPOSE_BLOCK_BYTES = 256 << 10  # a network's (N, C, H, W) input turned batch-innermost in blocks of
# samples of about this size (AMD VM, 2026-12-02, medians of 80: MNIST's 1,000 x 1 x 28 x 28 0.53 ->
# 0.37 ms, 1,000 x 3 x 32 x 32 12.9 -> 3.1 ms; batches of 64-128 unchanged)
DCOLS_BLOCK_BYTES = 3 << 20  # input-gradient columns in blocks of about this size, once they are large
PARALLEL_MIN_FLOPS = 50e6  # a conv of fewer operations (2 F K N Ho Wo) runs on one core (measured: conv2 at
# batch 128, 46 MFLOP, is fastest on one; conv3 at batch 64, 181 MFLOP, 1.2x faster on two; conv1 in
# inference over 1,000 images, 98 MFLOP, 2.4 -> 1.9 ms on two, the shallow net's inference 4.1 -> 3.5 ms)


def forward(xp, x, w2, b, geom: ConvGeometry, keep_columns: bool, relu: bool = False):
    """out (N, F, Ho, Wo), a view of (F, Ho, Wo, N) memory, and the columns backward reads (or None).

    x: (N, C, H, W); w2: the weight as (F, C*kh*kw); b: (F,) or None; ``relu``: out = max(out, 0),
    applied to each piece of the output right after its product (``ops.conv.conv2d_relu``).
    """
    t = threads_for(xp, geom, w2.shape[0])
    with one_core(t):
        xpad = pad(xp, x.transpose(1, 2, 3, 0), geom, t)  # (C, H, W, N): free when x came out of a conv
        w_b = w2 if b is None else xp.concatenate([w2, b[:, None].astype(w2.dtype, copy=False)], axis=1)
        (ho, wo), f, n = geom.out_hw, w2.shape[0], geom.batch
        if type(xpad) is not B.numpy.ndarray:  # a GPU: one large product (it has memory to spare)
            cols = columns(xp, xpad, geom, b is not None)
            out = matmul(w_b, cols)  # (F, Ho*Wo*N), bias included
            if relu:
                xp.maximum(out, 0, out=out)
        else:  # training keeps all the columns for dW; inference only a piece at a time
            size, ones_row = ho * wo * n, b is not None
            cols = column_buffer(xp, geom.column_length, ones_row, size, xpad.dtype) if keep_columns else None
            out = product_in_pieces(xp, xpad, w_b, geom, cols, t, relu)
    return out.reshape(f, ho, wo, n).transpose(3, 0, 1, 2), cols if keep_columns else None


def backward(xp, upstream, w2, cols, geom: ConvGeometry, needs: tuple):
    """(dx, dW, db) for the needed ones (``needs``: x, W, b), from the (N, F, Ho, Wo) upstream."""
    (ho, wo), (kh, kw), f, k = geom.out_hw, geom.kernel, w2.shape[0], geom.column_length
    g2 = upstream.transpose(1, 2, 3, 0).reshape(f, ho * wo * geom.batch)  # free when upstream is batch-innermost
    need_wb, t = needs[1] or needs[2], threads_for(xp, geom, f)
    with one_core(t):
        if t > 1 and geom.channels >= 2 * t:
            dw_b, dx = gradients_in_channel_blocks(xp, w2, cols if need_wb else None, g2, geom, needs[0])
        else:
            dw_b = matmul(cols, g2.T).T if need_wb else None  # (F, k [+ 1]): [dW | db] in one product
            dx = input_gradient(xp, w2, g2, geom, t) if needs[0] else None
    dw = dw_b[:, :k].reshape(f, geom.channels, kh, kw) if needs[1] else None
    db = dw_b[:, k] if needs[2] else None
    return dx, dw, db


def threads_for(xp, geom: ConvGeometry, f: int) -> int:
    """The threads this conv's loops use: all of chainrule's for a large conv on NumPy arrays with MKL,
    else 1 (a small conv, a GPU's arrays, or NumPy's OpenBLAS, which runs concurrent calls in turn)."""
    t = threads.get_num_threads()
    if t == 1 or xp is not B.numpy or blas.active != "mkl" or threads.in_parallel_region():
        return 1
    flops = 2 * f * geom.column_length * geom.batch * geom.out_hw[0] * geom.out_hw[1]
    return t if flops >= PARALLEL_MIN_FLOPS else 1


def one_core(t: int):
    """A context in which the products run on one core when the conv runs on one thread (``t`` 1)
    while chainrule may use more (MKL would otherwise wake its threads for each small product)."""
    return blas.single_threaded() if t == 1 and threads.get_num_threads() > 1 else nullcontext()


def pad(xp, x, geom: ConvGeometry, t: int = 1):
    """The (C, H, W, N) input with its zero border, (C, H + top + bottom, W + left + right, N).

    When x is a view of (N, C, H, W) memory (a network's input, not a conv's output), the copy is a
    transposition: by NumPy's OpenBLAS (``openblas.transpose``, blocked) when x is that whole dense
    array, else a block of samples at a time (``transpose_block``). It is made without a border too,
    since im2col's window copies from such a view gather single numbers far apart (a valid 5x5 conv
    over 1,000 3x32x32 images: 315 ms, against 37 for the same conv padded)."""
    padded = any(p for pair in geom.pads for p in pair)
    if not padded and x.strides[3] == x.itemsize:
        return x  # batch innermost already: the windows read runs of N numbers in place
    rows, cols = geom.inside
    shape = (geom.channels, *geom.padded_hw, geom.batch)
    omatcopy = row_transposition(xp, x)
    if omatcopy is not None:  # the team's threads transpose the rows into place; the border zeroed here
        xpad = xp.empty(shape, dtype=x.dtype)
        (top, bottom), (left, right) = geom.pads
        for border in (
            xpad[:, :top],
            xpad[:, shape[1] - bottom :],
            xpad[:, rows, :left],
            xpad[:, rows, shape[2] - right :],
        ):
            border[...] = 0
        compiled_kernels().pad_rows(x.transpose(3, 0, 1, 2), xpad, top, left, omatcopy, x.dtype.type(1))
        return xpad
    flat = transposed(xp, x)
    if flat is not None:
        if not padded:
            return flat
        xpad = xp.zeros(shape, dtype=x.dtype)
        xpad[:, rows, cols] = flat  # runs of W*N numbers
        return xpad
    xpad = xp.zeros(shape, dtype=x.dtype) if padded else xp.empty(shape, dtype=x.dtype)
    block = transpose_block(x)

    def fill(cs, ns):  # the input into the middle of the zeros
        start, stop, _ = ns.indices(geom.batch)
        for n0 in range(start, stop, block):
            n1 = min(stop, n0 + block)
            xpad[cs, rows, cols, n0:n1] = x[cs, :, :, n0:n1]

    split(geom.channels, geom.batch, t, fill)
    return xpad


def row_transposition(xp, x) -> int | None:
    """The address of OpenBLAS's ``omatcopy`` for ``pad_rows`` (ops/kernels/compiled.py) when ``x`` is
    the (C, H, W, N) view of a dense (N, C, H, W) NumPy array and the compiled kernels run on several
    threads (the team, backend/team.py); else None. (On two threads, 1,000 MNIST images coming from
    memory took 0.23-0.29 ms against 0.44-0.48 for one transposition and a copy: AMD EPYC, 2026-12-02.)"""
    if not use_compiled(xp) or not x.transpose(3, 0, 1, 2).flags.c_contiguous or x.size == 0:
        return None
    address = openblas.omatcopy_address(x.dtype)
    return address if address is not None and compiled.thread_count() > 1 else None


def transposed(xp, x):
    """The (C, H, W, N) view ``x`` of a dense (N, C, H, W) NumPy array copied batch-innermost by
    OpenBLAS's blocked transposition of the (N, C*H*W) matrix (1,000 MNIST images: 0.11 ms against
    0.49 for NumPy's copy), or None (another layout, another array module, no such routine)."""
    nchw = x.transpose(3, 0, 1, 2)
    if xp is not B.numpy or not nchw.flags.c_contiguous:
        return None
    c, h, w, n = x.shape
    flat = xp.empty((c, h, w, n), dtype=x.dtype)
    return flat if openblas.transpose(nchw.reshape(n, c * h * w), flat.reshape(c * h * w, n)) else None


def transpose_block(x) -> int:
    """Samples per copy when padding the (C, H, W, N) view ``x``: all of them when N is innermost in
    memory (runs of N numbers) or the input takes at most 4 x ``TRANSPOSE_BLOCK_BYTES``, else blocks
    whose samples take about ``TRANSPOSE_BLOCK_BYTES``, a multiple of 16 (a 64-byte cache line of
    float32 written whole), so that the block's source rows stay in cache while each is spread across N."""
    n = x.shape[3]
    per_sample = x.itemsize * x.shape[0] * x.shape[1] * x.shape[2]
    if x.strides[3] == x.itemsize or n * per_sample <= 4 * TRANSPOSE_BLOCK_BYTES:
        return max(n, 1)  # batch innermost already, or small enough to stay in cache whole
    return max(16, TRANSPOSE_BLOCK_BYTES // max(per_sample, 1) // 16 * 16)


def columns(xp, xpad, geom: ConvGeometry, ones_row: bool):
    """im2col: every window of the (C, H, W, N) input as a column, (C*kh*kw [+ 1], Ho*Wo*N)."""
    (ho, wo), n = geom.out_hw, geom.batch
    win = windows(xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
    buffer = column_buffer(xp, geom.column_length, ones_row, ho * wo * n, xpad.dtype)
    return fill_columns(xp, buffer, win, 0, ho, 0, wo)  # the one copy


def product_in_pieces(xp, xpad, w_b, geom: ConvGeometry, cols=None, t: int = 1, relu: bool = False):
    """[W | b] @ [cols; 1] a piece of output positions at a time (``output_pieces``): copy the piece's
    windows, and let the product write straight into its run of the (F, Ho*Wo*N) output (``relu``:
    then clamp that run at 0 while it is in cache, instead of a pass of its own over the whole output).

    ``cols`` None (inference): the pieces are about a core's cache in size and share one buffer (one
    per thread), so the columns are never all held. ``cols`` given (training): each piece fills its
    own run of them (kept for dW); one piece on one thread. With ``t`` threads, each takes pieces as
    it frees up and makes their copies and products itself, on its own core."""
    (ho, wo), n, k = geom.out_hw, geom.batch, geom.column_length
    out = xp.empty((w_b.shape[0], ho * wo * n), dtype=xpad.dtype)
    win = windows(xpad, geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1)  # (C, kh, kw, Ho, Wo, N) view
    per_position = max(1, (k + 1) * n * xpad.itemsize)  # n = 0: one empty piece
    total = ho * wo * per_position
    budget = INFERENCE_COLS_BYTES if cols is None else total
    if t > 1:
        budget = min(budget, -(-total // (2 * t)))  # two pieces a thread at least
    gemm = compiled_gemm(xp, xpad, w_b, t)
    team = compiled.thread_count() if gemm is not None and cols is None else 1  # the compiled pieces' threads
    if team > 1:
        budget = min(budget, -(-total // (2 * team)))
    pieces, table, widest = piece_plan(ho, wo, per_position, budget)
    size = widest * n
    if gemm is not None:  # the same copies and products in one compiled call (ops/kernels/compiled.py)
        geometry = (wo, *geom.stride, *geom.dilation, *geom.kernel)
        one, zero = xpad.dtype.type(1), xpad.dtype.type(0)
        w_b, pieces = xp.ascontiguousarray(w_b), table
        if team > 1 and len(pieces) > 1:  # inference on the team: each thread its pieces and buffer
            buffers = column_buffer(xp, k, w_b.shape[1] > k, size, xpad.dtype, copies=team)
            with team_module().one_thread_products():
                kernel = compiled_kernels().conv_pieces_parallel
                kernel(xpad, w_b, out, buffers, pieces, *geometry, gemm, one, zero, relu)
            return out
        buffer = column_buffer(xp, k, w_b.shape[1] > k, size, xpad.dtype) if cols is None else cols
        compiled_kernels().conv_pieces(xpad, w_b, out, buffer, pieces, *geometry, gemm, one, zero, cols is None, relu)
        return out

    def run(p0: int, p1: int) -> None:
        buffer = column_buffer(xp, k, w_b.shape[1] > k, size, xpad.dtype) if cols is None else None
        for piece in pieces[p0:p1]:
            start = (piece[0] * wo + piece[2]) * n  # the piece's run of out (and of cols)
            piece_cols = fill_columns(xp, cols[:, start:] if buffer is None else buffer, win, *piece)
            piece_out = out[:, start : start + piece_cols.shape[1]]
            matmul(w_b, piece_cols, out=piece_out)
            if relu:
                xp.maximum(piece_out, 0, out=piece_out)

    if t > 1:
        threads.parallel_for(len(pieces), run)
    else:
        run(0, len(pieces))
    return out


def gradients_in_channel_blocks(xp, w2, cols, g2, geom: ConvGeometry, need_x: bool):
    """([dW | db] or None, dx or None) with threads taking blocks of input channels: for each, its rows
    of [dW | db]^T = [cols; 1] @ upstream^T, then its dcols = W^T @ upstream and their slice additions
    into its own channels of dx (dcols in cache-sized sub-blocks). One hand-off for the whole backward."""
    (ho, wo), (kh, kw), c, n = geom.out_hw, geom.kernel, geom.channels, geom.batch
    kk = kh * kw
    dwt = None if cols is None else xp.empty((cols.shape[0], g2.shape[0]), dtype=g2.dtype)
    dpad = xp.empty((c, *geom.padded_hw, n), dtype=g2.dtype) if need_x else None
    taps = list(kernel_offsets(geom.kernel, geom.stride, geom.dilation, geom.out_hw, lead=1))
    per = channels_per_block(c, kk * g2.shape[1] * g2.itemsize)

    def run(c0: int, c1: int) -> None:
        if dwt is not None:
            r1 = c1 * kk if c1 < c else cols.shape[0]  # the last block takes the bias's row of ones too
            matmul(cols[c0 * kk : r1], g2.T, out=dwt[c0 * kk : r1])
        if need_x:
            for s0 in range(c0, c1, per):
                s1 = min(c1, s0 + per)
                dcols = matmul(w2[:, s0 * kk : s1 * kk].T, g2).reshape(s1 - s0, kh, kw, ho, wo, n)
                add_taps(dpad[s0:s1], dcols, taps, geom)

    threads.parallel_for(c, run)
    return None if dwt is None else dwt.T, unpadded(dpad, geom) if need_x else None


def unpadded(dpad, geom: ConvGeometry):
    """The (N, C, H, W) view of the input's own positions in the padded (C, H', W', N) gradient."""
    return dpad[(slice(None), *geom.inside)].transpose(3, 0, 1, 2)


def add_taps(dpad, dcols, taps, geom: ConvGeometry) -> None:
    """col2im: dpad = 0, then each tap's (C, Ho, Wo, N) slice of dcols added where it was copied from
    (compiled: the same sums, threads by channel)."""
    if use_compiled(B.module_of(dpad)):
        compiled_kernels().col2im(dcols, dpad, *geom.stride, *geom.dilation)
        return
    dpad[...] = 0
    for i, j, where in taps:
        dpad[where] += dcols[:, i, j]


def input_gradient(xp, w2, g2, geom: ConvGeometry, t: int = 1):
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

        def add(cs, ns, block=block, dcols=dcols):
            add_taps(block[cs, :, :, ns], dcols[cs, ..., ns], taps, geom)

        split(block.shape[0], geom.batch, 1 if use_compiled(xp) else t, add)  # compiled: its own threads
    return unpadded(dpad, geom)


def channels_per_block(c: int, bytes_per_channel: int) -> int:
    """dcols is written by one product and read back by kh*kw slice additions; past about 6 MB
    it no longer stays in cache in between, so it is made in blocks of channels of ~3 MB
    (measured: 7% off the deep CNN's step at batch 128, where conv3's dcols is 9 MB)."""
    if c * bytes_per_channel <= 2 * DCOLS_BLOCK_BYTES:
        return c
    return max(1, DCOLS_BLOCK_BYTES // bytes_per_channel)


def compiled_gemm(xp, xpad, w_b, t: int):
    """The address of the cblas gemm ``conv_pieces`` calls (NumPy's OpenBLAS), or None for the NumPy
    loop: compiled kernels off, another BLAS (MKL's pieces go to the pool), a GPU, or operands the
    kernel does not take (a dtype other than float32/float64, an input that is not one dense block)."""
    if t > 1 or not use_compiled(xp) or blas.active != "numpy" or xpad.dtype != w_b.dtype:
        return None
    if not xpad.flags.c_contiguous or xpad.shape[3] == 0:
        return None
    return openblas.gemm_address(xpad.dtype)


def use_compiled(xp) -> bool:
    """Whether to run the compiled window kernels (ops/kernels/compiled.py): on, and NumPy arrays."""
    return xp is B.numpy and compiled.enabled()


def team_module():
    """backend/team.py, imported on first use (it imports Numba)."""
    from ...backend import team

    return team


def compiled_kernels():
    """ops/kernels/compiled.py, imported on first use (it imports Numba)."""
    from . import compiled as kernels_compiled

    return kernels_compiled


def split(c: int, n: int, t: int, body: Callable) -> None:
    """Run ``body(channels, batch)`` (two slices) so the calls cover c channels x n samples, on ``t``
    threads: by blocks of channels when there are at least two a thread, else by blocks of the
    batch (runs of N / t numbers still copy fast). Each call must write only its own part."""
    if t == 1:
        body(slice(None), slice(None))
    elif c >= 2 * t:
        threads.parallel_for(c, lambda c0, c1: body(slice(c0, c1), slice(None)))
    else:
        threads.parallel_for(n, lambda n0, n1: body(slice(None), slice(n0, n1)))


def column_buffer(xp, k: int, ones_row: bool, size: int, dtype, copies: int = 0):
    """Room for k rows of window columns, ``size`` wide, and the bias's row of ones under them
    (``copies`` > 0: that many such buffers, one per thread, as one (copies, k [+ 1], size) array)."""
    cols = xp.empty((*((copies,) if copies else ()), k + ones_row, size), dtype=dtype)
    if ones_row:
        cols[..., k, :] = 1  # [W | b] @ [cols; 1] = W @ cols + b
    return cols


def fill_columns(xp, buffer, win, r0: int, r1: int, w0: int, w1: int):
    """im2col for output rows r0..r1 and columns w0..w1: the windows of ``win`` (C, kh, kw, Ho, Wo, N)
    copied into the first columns of ``buffer``; returns those columns (the ones row included).
    (A compiled copy ran no faster: 77-301 us against NumPy's 84-203 at batch 128, one thread.)"""
    c, kh, kw, _, _, n = win.shape
    m = (r1 - r0) * (w1 - w0) * n
    xp.copyto(buffer[: c * kh * kw, :m].reshape(c, kh, kw, r1 - r0, w1 - w0, n), win[:, :, :, r0:r1, w0:w1])
    return buffer[:, :m]


@functools.lru_cache(maxsize=256)
def piece_plan(ho: int, wo: int, bytes_per_position: int, budget: int) -> tuple:
    """(pieces, the same as a read-only int64 array for the compiled kernels, the most positions in
    one piece) for ``output_pieces``' arguments, made once per conv geometry (a hundred pieces took
    about 60 us of Python a call)."""
    pieces = tuple(output_pieces(ho, wo, bytes_per_position, budget))
    table = B.numpy.asarray(pieces, dtype=B.numpy.int64).reshape(len(pieces), 4)
    table.flags.writeable = False
    return pieces, table, max((r1 - r0) * (w1 - w0) for r0, r1, w0, w1 in pieces)


def output_pieces(ho: int, wo: int, bytes_per_position: int, budget: int = INFERENCE_COLS_BYTES) -> list:
    """Split the output positions into pieces (r0, r1, w0, w1) whose columns take at most about
    ``budget`` bytes: whole rows when a row fits, else runs of positions within a row. Each piece
    is a contiguous run of the (F, Ho*Wo*N) output, so its product is written in place."""
    if wo * bytes_per_position <= budget:
        per = max(1, min(ho, budget // (wo * bytes_per_position)))
        return [(r0, min(ho, r0 + per), 0, wo) for r0 in range(0, ho, per)]
    per = max(1, budget // bytes_per_position)
    return [(r, r + 1, w0, min(wo, w0 + per)) for r in range(ho) for w0 in range(0, wo, per)]
