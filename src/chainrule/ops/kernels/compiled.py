"""Compiled kernels (Numba, the ``compiled`` extra): the loops NumPy runs on one core, on every core.

Each is the plain loop of its NumPy form (named beside it), compiled by ``backend.compiled.jit``;
``prange`` hands the outer loop to Numba's OpenMP threads (1-2 us to start, against 30-80 us for a
Python thread). The ops call them through ``backend.compiled.enabled()``; the oracle tests run each op
with and without them. Arithmetic is done in the arrays' own dtype, in NumPy's order, so results
equal the NumPy forms bit for bit (tests/ops/test_compiled_kernels.py, tests/optim/test_adam_threads.py).

- ``relu_forward`` / ``relu_backward``: ``maximum(x, 0)`` and ``upstream * (out > 0)`` (ops/elementwise.py);
- ``col2im``: each tap's slice of the column gradient added back where it was copied from
  (conv_fast.add_taps);
- ``adam_step``: one parameter's Adam/AdamW update with the denormal flush (optim/adam.py);
- ``conv_pieces``: the conv's im2col and [W | b] @ [cols; 1] a piece of output positions at a time
  (conv_fast.product_in_pieces) in one call, the product of each piece by the very cblas routine
  NumPy's ``matmul`` calls (backend/cblas.py), so only the Python between the pieces is gone (a
  piece one column wide is the exception: NumPy then calls gemv, which may round differently),
  with the ReLU after the conv fused in on request (``ops.conv.conv2d_relu``);
  ``conv_pieces_parallel``: the same pieces shared out among the team's threads (inference);
- ``pad_rows``: a network's (N, C, H, W) input into the middle of the conv's padded batch-innermost
  array, one row of positions a call of OpenBLAS's blocked transposition, rows shared out among the
  team's threads (conv_fast.pad's copy).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import prange  # this module is imported on the first compiled call only

from ...backend.cblas import NO_TRANS, TRANS, cblas_gemm, cblas_omatcopy
from ...backend.compiled import jit


@numba.njit(nogil=True, cache=True, inline="always")
def _relu(v):
    """max(v, 0), NaN staying NaN as with np.maximum (the rule of ``relu_forward`` and fused pieces)."""
    return 0 if v <= 0 else v


@jit(parallel=True)
def relu_forward(x, out):
    """out = max(x, 0) over flat arrays (NaN stays NaN, as np.maximum)."""
    for i in prange(x.size):
        out[i] = _relu(x[i])


@jit(parallel=True)
def relu_backward(upstream, out, grad):
    """grad = upstream * (out > 0) over flat arrays (a NaN or inf upstream times 0 is NaN, as NumPy's)."""
    for i in prange(upstream.size):
        grad[i] = upstream[i] * np.float32(out[i] > 0)


@jit(parallel=True)
def col2im(dcols, dpad, sh, sw, dh, dw):
    """dpad (C, H', W', N) = 0, then dpad[c, r*sh + i*dh, q*sw + j*dw, s] += dcols[c, i, j, r, q, s]:
    each tap's gradient added back onto the input positions it was copied from; threads by channel."""
    c, kh, kw, ho, wo, n = dcols.shape
    for ci in prange(c):
        dpad[ci] = 0
        for i in range(kh):
            for j in range(kw):
                for r in range(ho):
                    dst_r = r * sh + i * dh
                    for q in range(wo):
                        dst_q = q * sw + j * dw
                        for s in range(n):
                            dpad[ci, dst_r, dst_q, s] += dcols[ci, i, j, r, q, s]


@jit(parallel=True)
def adam_step(d, grad, m, v, vmax, consts, flags):
    """One Adam step over flat arrays, operation for operation as optim/adam.py's NumPy form.

    consts, in d's dtype as NumPy casts Python floats: decay (1 without AdamW's: p * 1 is p), l2,
    w1 = 1 - beta1, 1 - w1, beta2, w2 = 1 - beta2, bc2 = sqrt(1 - beta2^t), eps, step_size, m's
    flush threshold, v's (below 0: no flush); flags: l2 or maximize, maximize, amsgrad (vmax holds
    the max of v; without amsgrad pass v itself, which then gets v's own value).
    The flags and constants are read once, before the loop, so that it compiles to vector code.
    """
    decay, l2, w1, w1c, beta2, w2 = consts[0], consts[1], consts[2], consts[3], consts[4], consts[5]
    bc2, eps, step_size, flush_m, flush_v = consts[6], consts[7], consts[8], consts[9], consts[10]
    decayed, maximize, amsgrad, small_w1, with_l2 = flags[0], flags[1], flags[2], abs(w1) < 0.5, l2 != 0
    for i in prange(d.size):
        p = d[i] * decay
        g = grad[i]
        if decayed:  # decayed_grad: (-g if maximize) + l2 * p, as (l2 * p) -/+ g
            g = (p * l2 - g if maximize else p * l2 + g) if with_l2 else -g
        t = g - m[i]  # lerp_: m + w1 (g - m), or g - (1 - w1)(g - m) when w1 >= 0.5
        mi = m[i] + t * w1 if small_w1 else g - t * w1c
        vi = v[i] * beta2 + (g * g) * w2
        top = vmax[i]
        denom_v = (top if (top >= vi or top != top) else vi) if amsgrad else vi  # np.maximum: NaN wins
        denom = np.sqrt(denom_v) / bc2 + eps
        d[i] = p - (mi / denom) * step_size
        # the denormal flush; x - x is +0 in x's dtype (x is finite here)
        vmax[i] = denom_v - denom_v if abs(denom_v) < flush_v else denom_v
        m[i] = mi - mi if abs(mi) < flush_m else mi
        v[i] = vi - vi if abs(vi) < flush_v else vi


@jit()
def conv_pieces(xpad, w_b, out, cols, pieces, wo, sh, sw, dh, dw, kh, kw, gemm, one, zero, reuse, relu):
    """For each piece (r0, r1, w0, w1) of output positions: copy its windows of xpad (C, H', W', N)
    into columns (im2col: row (c, i, j), one run of N numbers per position), then ``gemm`` writes
    [W | b] @ [cols; 1] into the piece's run of out (F, Ho*Wo*N). ``reuse``: every piece's columns go
    to the start of ``cols`` (a buffer of about a cache's size: inference); else each to its own run
    of the whole (K [+ 1], Ho*Wo*N) columns (training keeps them for dW). The bias's row of ones, if
    any, is already in place. ``relu``: each piece's run of out clamped at 0 (``relu_forward``'s rule)
    right after its product, while it is in cache. On the calling thread (its products on the BLAS's
    threads)."""
    for p in range(pieces.shape[0]):
        _piece(xpad, w_b, out, cols, pieces[p], wo, sh, sw, dh, dw, kh, kw, gemm, one, zero, reuse, relu)


@jit(parallel=True)
def conv_pieces_parallel(xpad, w_b, out, buffers, pieces, wo, sh, sw, dh, dw, kh, kw, gemm, one, zero, relu):
    """``conv_pieces`` in inference with the pieces shared out among the team's threads, thread t taking
    pieces t, t + T, ... into its own buffer ``buffers[t]`` (T buffers of about a cache's size, each
    with its row of ones if there is a bias); each piece's product runs on its thread alone (the
    caller holds the BLAS at one thread: backend/team.py)."""
    team = buffers.shape[0]
    for t in prange(team):
        for p in range(t, pieces.shape[0], team):
            _piece(xpad, w_b, out, buffers[t], pieces[p], wo, sh, sw, dh, dw, kh, kw, gemm, one, zero, True, relu)


@numba.njit(nogil=True, cache=True, inline="always")
def _piece(xpad, w_b, out, cols, piece, wo, sh, sw, dh, dw, kh, kw, gemm, one, zero, reuse, relu):
    """One piece's window copies and product (see ``conv_pieces``). The copies index with unsigned
    integers: with signed ones Numba's wrap-around checks kept the loop from vectorising (1.5 against
    0.27 ms for the shallow conv's 19.6 MB of columns)."""
    c, _, _, n = xpad.shape
    f, kb = w_b.shape
    item = out.itemsize
    r0, r1, w0, w1 = piece[0], piece[1], piece[2], piece[3]
    width = w1 - w0
    start = (r0 * wo + w0) * n
    first = 0 if reuse else start
    for ci in range(c):
        for i in range(kh):
            for j in range(kw):
                row = cols[(ci * kh + i) * kw + j]
                for r in range(r0, r1):
                    for q in range(w0, w1):
                        src = xpad[ci, r * sh + i * dh, q * sw + j * dw]
                        at = np.uint64(first + ((r - r0) * width + (q - w0)) * n)
                        for s in range(np.uint64(n)):
                            row[at + s] = src[s]
    m = (r1 - r0) * width * n
    a, b, c_out = w_b.ctypes.data, cols.ctypes.data + first * item, out.ctypes.data + start * item
    cblas_gemm(gemm, NO_TRANS, NO_TRANS, f, m, kb, one, a, kb, b, cols.shape[1], zero, c_out, out.shape[1])
    if relu:  # the ReLU fused in: the piece's F runs of m numbers, just written, still in cache
        for fi in range(f):
            row = out[fi]
            for s in range(np.uint64(start), np.uint64(start + m)):
                row[s] = _relu(row[s])


@jit(parallel=True)
def pad_rows(x, xpad, top, left, omatcopy, one):
    """xpad[c, top + h, left : left + W, :] = x[:, c, h, :].T for every (c, h): the (N, C, H, W) input
    turned batch-innermost into the middle of the (C, H', W', N) array, each row of W positions an
    N x W transposition by ``omatcopy`` (exact: alpha ``one``); the rows are shared out among the
    team's threads. The border is the caller's."""
    n, c, h, w = x.shape
    hp, wp = xpad.shape[1], xpad.shape[2]
    item = x.itemsize
    for row in prange(c * h):
        ci, hi = row // h, row % h
        a = x.ctypes.data + row * w * item
        b = xpad.ctypes.data + ((ci * hp + top + hi) * wp + left) * n * item
        cblas_omatcopy(omatcopy, TRANS, n, w, one, a, c * h * w, b, n)
