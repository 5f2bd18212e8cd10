"""The convolution view's API: a kernel sliding over a padded input, every number from chainrule.

``convolution/compute``: the input, the kernel, the padded input and where each padded cell's
value comes from, the output size with its formula's numbers, and ``F.conv2d``'s output.
``convolution/window``: one output cell's window: its taps on the padded input, the products and
their sum, beside the output value. The padding is chainrule's own: the padded grid is
``pad_spatial`` of the input, and the source map is ``pad_spatial`` of an index grid (the index
r*W + c of every input cell, padded with the same mode), so the map is the library's behaviour.
Request fields and answers: ``docs/explore/convolution.md``.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from ... import backend as B
from ...autograd.tensor import tensor
from ...errors import ChainruleError
from ...nn import functional as F
from ...ops.pad import normalize_padding, pad_spatial
from ...ops.window import as_pair, out_size
from ..protocol import BadRequest, Context, field_of, number
from .convolution_inputs import MAX_PADDED, Setting, read_setting

NAME = "conv2d"  # the library's errors name the op this view calls


@contextlib.contextmanager
def library_errors():
    """chainrule's own error for a setting it refuses (reflect pad >= size, stride 0, ...) as a 422."""
    try:
        yield
    except BadRequest:
        raise
    except (ChainruleError, ValueError) as err:
        raise BadRequest(str(err), 422) from err


@dataclass
class Geometry:
    """What the library makes of a setting: stride, dilation, ((top, bottom), (left, right)), kernel."""

    stride: tuple
    dilation: tuple
    pads: tuple
    kernel: tuple


def geometry(s: Setting) -> Geometry:
    """The setting's stride, dilation and padding as conv2d normalises them (its errors as 422)."""
    kernel = tuple(s.w.shape)
    with library_errors():
        stride = as_pair(s.stride, 2, "stride", NAME)
        dilation = as_pair(s.dilation, 2, "dilation", NAME)
        pads = normalize_padding(s.padding, kernel, stride, dilation, tuple(s.x.shape), NAME)
    for dim, size, (before, after) in zip("HW", s.x.shape, pads):
        if size + before + after > MAX_PADDED:
            raise BadRequest(
                f"the padded input along {dim} would be {size} + {before} + {after} = "
                f"{size + before + after} cells; the page shows at most {MAX_PADDED}"
            )
    return Geometry(stride, dilation, pads, kernel)


def convolve(s: Setting):
    """``F.conv2d`` of the setting: (H_out, W_out) float64."""
    x = tensor(s.x[None, None])
    w = tensor(s.w[None, None])
    with library_errors():
        out = F.conv2d(x, w, None, s.stride, s.padding, s.dilation, s.padding_mode, s.value)
    return out.numpy()[0, 0]


def padded_input(s: Setting, g: Geometry):
    """The input as the conv sees it after padding: a (1, 1, Hp, Wp) Tensor."""
    mode = "constant" if s.padding_mode in ("zeros", "constant") else s.padding_mode
    value = s.value if s.padding_mode == "constant" else 0.0
    with library_errors():
        return pad_spatial(tensor(s.x[None, None]), g.pads, mode, value, NAME)


def source_map(s: Setting, g: Geometry) -> list:
    """For each padded cell, [row, col] of the input cell it holds, or None for the constant."""
    h, w = s.x.shape
    index = B.numpy.arange(h * w, dtype=B.numpy.float64).reshape(h, w)
    mode = "constant" if s.padding_mode in ("zeros", "constant") else s.padding_mode
    with library_errors():  # -1 marks the constant: an index is never negative
        padded = pad_spatial(tensor(index[None, None]), g.pads, mode, -1.0, NAME).numpy()[0, 0]
    return [[None if v < 0 else [int(v) // w, int(v) % w] for v in row] for row in padded]


def size_rows(s: Setting, g: Geometry, out_shape: tuple) -> list:
    """Per dimension, the numbers of floor((in + before + after - dilation*(k-1) - 1) / stride) + 1."""
    rows = []
    for axis, dim in enumerate("HW"):
        size, (before, after), k = s.x.shape[axis], g.pads[axis], g.kernel[axis]
        stride, dilation = g.stride[axis], g.dilation[axis]
        out = out_size(size, before, after, k, stride, dilation)
        if out != out_shape[axis]:  # the formula and the op disagree: a bug, not a bad request
            raise RuntimeError(f"output size along {dim}: formula {out}, conv2d {out_shape[axis]}")
        row = {
            "dim": dim,
            "in": size,
            "before": before,
            "after": after,
            "kernel": k,
            "stride": stride,
            "dilation": dilation,
            "span": dilation * (k - 1) + 1,
            "numerator": size + before + after - dilation * (k - 1) - 1,
            "out": out,
        }
        if s.padding == "same":  # SPEC 3: out = ceil(in / stride), the total split with the odd cell after
            need = (-(-size // stride) - 1) * stride + dilation * (k - 1) + 1 - size
            row["same"] = {"out": -(-size // stride), "need": need, "total": before + after}
        rows.append(row)
    return rows


def compute(payload: dict, ctx: Context) -> dict:
    """Everything the view draws for one setting but the per-cell windows."""
    s = read_setting(payload, ctx)
    g = geometry(s)
    out = convolve(s)
    padded = padded_input(s, g).numpy()[0, 0]
    (top, _), (left, _) = g.pads
    return {
        "input": s.x.tolist(),
        "kernel": s.w.tolist(),
        "label": s.label,
        "stride": list(g.stride),
        "dilation": list(g.dilation),
        "pads": [list(p) for p in g.pads],
        "padding": s.padding if isinstance(s.padding, str) else None,
        "padding_mode": s.padding_mode,
        "value": s.value,
        "padded": padded.tolist(),
        "source": source_map(s, g),
        "inside": {"top": top, "left": left, "h": s.x.shape[0], "w": s.x.shape[1]},
        "sizes": size_rows(s, g, out.shape),
        "output": out.tolist(),
        "out_shape": list(out.shape),
    }


def window(payload: dict, ctx: Context) -> dict:
    """Output cell ``cell`` = [i, j]: its taps on the padded input, x * w per tap, the sum, conv2d's value."""
    s = read_setting(payload, ctx)
    g = geometry(s)
    out = convolve(s)
    cell = field_of(payload, "cell", list)
    if len(cell) != 2:
        raise BadRequest(f"field 'cell' must be [row, col], got {len(cell)} entries")
    i, j = (number(v, f"cell[{a}]", integer=True, lo=0, hi=n - 1) for a, (v, n) in enumerate(zip(cell, out.shape)))
    (sh, sw), (dh, dw), (kh, kw) = g.stride, g.dilation, g.kernel
    padded = padded_input(s, g)[0, 0]
    taps = padded[i * sh : i * sh + dh * (kh - 1) + 1 : dh, j * sw : j * sw + dw * (kw - 1) + 1 : dw]
    products = taps * tensor(s.w)  # chainrule's own arithmetic: the window times the kernel
    rows = [i * sh + a * dh for a in range(kh)]
    cols = [j * sw + b * dw for b in range(kw)]
    return {
        "cell": [i, j],
        "rows": rows,
        "cols": cols,
        "inputs": taps.numpy().tolist(),
        "weights": s.w.tolist(),
        "products": products.numpy().tolist(),
        "sum": float(products.sum().item()),
        "output": float(out[i, j]),
    }


ROUTES = {"convolution/compute": compute, "convolution/window": window}
