"""How a Tensor prints: PyTorch's text repr (print options, summaries past ``threshold``) and an HTML one.

The numbers follow ``torch._tensor_str``'s rules, decided on the values that are shown: all whole ->
``1.``; a spread over 1000x, a magnitude over 1e8 or (not whole) under 1e-4 -> ``1.0000e+00``;
otherwise ``precision`` fixed decimals. A tensor of more than ``threshold`` elements shows the first
and last ``edgeitems`` along every axis longer than ``2 * edgeitems``; only those values are read
(and copied off a device), so printing a huge tensor costs what printing a small one does.
"""

from __future__ import annotations

import contextlib
import html
import math
from dataclasses import dataclass, fields, replace

from .. import backend as B
from ..backend import devices as _device

# An HTML table cuts any axis longer than this (a notebook cell is narrower than a terminal's scrollback).
HTML_MAX_AXIS = 32


@dataclass
class PrintOptions:
    """PyTorch's print options and defaults (``torch._tensor_str.PRINT_OPTS``)."""

    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


PROFILES = {
    "default": PrintOptions(),
    "short": PrintOptions(precision=2, threshold=1000, edgeitems=2, linewidth=80),
    "full": PrintOptions(precision=4, threshold=math.inf, edgeitems=3, linewidth=80),
}
_options = PrintOptions()


def set_printoptions(
    precision: int | None = None,
    threshold: float | None = None,
    edgeitems: int | None = None,
    linewidth: int | None = None,
    profile: str | None = None,
    sci_mode: bool | None = None,
) -> None:
    """``torch.set_printoptions``: ``profile`` ("default", "short", "full") first, then the options given.

    precision: decimals; threshold: elements past which a tensor is summarised; edgeitems: items
    kept at each end of a summarised axis; linewidth: characters per line; sci_mode: True/False
    forces scientific notation on/off, None (what every call without it sets, as PyTorch) decides.
    """
    global _options
    if profile is not None and profile not in PROFILES:
        raise ValueError(f"set_printoptions: profile must be one of {', '.join(PROFILES)}, got {profile!r}")
    new = replace(PROFILES[profile]) if profile is not None else replace(_options)
    for name, value, low in (("precision", precision, 0), ("edgeitems", edgeitems, 0), ("linewidth", linewidth, 1)):
        if value is not None:
            if not isinstance(value, int) or isinstance(value, bool) or value < low:
                raise ValueError(f"set_printoptions: {name} must be an int >= {low}, got {value!r}")
            setattr(new, name, value)
    if threshold is not None:
        if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not threshold >= 0:
            raise ValueError(f"set_printoptions: threshold must be a number >= 0, got {threshold!r}")
        new.threshold = threshold
    if sci_mode not in (None, True, False):
        raise ValueError(f"set_printoptions: sci_mode must be True, False or None, got {sci_mode!r}")
    new.sci_mode = sci_mode
    _options = new


def get_printoptions() -> dict:
    """The print options in force, as a dict of ``set_printoptions``'s keywords."""
    return {f.name: getattr(_options, f.name) for f in fields(PrintOptions)}


@contextlib.contextmanager
def printoptions(**kwargs):
    """``with printoptions(precision=2): ...``: the options for a block, restored after it."""
    global _options
    saved = _options
    set_printoptions(**kwargs)
    try:
        yield
    finally:
        _options = saved


# --- the values that are shown ---------------------------------------------------------------------
def shown_values(data, max_axis: int | None = None):
    """The host array of the values shown, and which axes are cut (one bool per axis).

    A cut axis keeps its first and last ``edgeitems``; the layout writes "..." between them.
    ``max_axis``: also cut the axes longer than this, whatever the size (the HTML table).
    """
    opts, shape = _options, data.shape
    e = opts.edgeitems
    cut = [n > 2 * e and (data.size > opts.threshold or (max_axis is not None and n > max_axis)) for n in shape]
    if not any(cut):
        return _device.to_host(data), cut
    xp = B.module_of(data)
    picks = [xp.concatenate([xp.arange(e), xp.arange(n - e, n)]) if c else xp.arange(n) for n, c in zip(shape, cut)]
    return _device.to_host(data[xp.ix_(*picks)]), cut


def value_formatter(host, opts: PrintOptions | None = None):
    """(value -> text, width): each value right-aligned to one width, as PyTorch's ``_Formatter``."""
    opts = opts or _options
    kind = host.dtype.kind
    if kind != "f":  # integers, booleans: the width of the widest value
        width = max((len(str(v)) for v in host.ravel().tolist()), default=1)
        return (lambda v: str(v).rjust(width)), width
    np_ = B.numpy
    values = host.astype(np_.float64, copy=False).ravel()
    signed = values[np_.isfinite(values) & (values != 0)]
    nonzero = np_.abs(signed)
    p = opts.precision
    whole, sci = True, False
    if nonzero.size:
        whole = bool(np_.all(nonzero == np_.ceil(nonzero)))
        big, small = float(nonzero.max()), float(nonzero.min())
        sci = big / small > 1000.0 or big > 1.0e8 or (not whole and small < 1.0e-4)
    if opts.sci_mode is not None:
        sci = opts.sci_mode

    def text(v) -> str:
        v = float(v)
        if sci:
            return f"{v:.{p}e}"
        if whole:
            return f"{v:.0f}." if math.isfinite(v) else str(v)
        return f"{v:.{p}f}"

    width = max((len(text(v)) for v in signed), default=1)  # as PyTorch: zeros, nan and inf do not widen
    return (lambda v: text(v).rjust(width)), width


# --- text -------------------------------------------------------------------------------------------
def tensor_body(data, indent: int = len("tensor(")) -> str:
    """The values as PyTorch lays them out between ``tensor(`` and the keywords."""
    if data.size == 0:
        return "[]"
    host, cut = shown_values(data)
    fmt, width = value_formatter(host)
    return _nested(host, cut, fmt, width, indent)


def _nested(host, cut, fmt, width: int, indent: int) -> str:
    """PyTorch's ``_tensor_str_with_formatter``: rows of one axis joined by "," and dim-1 new lines."""
    if host.ndim == 0:
        return fmt(host.item())
    if host.ndim == 1:
        return _vector(host, cut[0], fmt, width, indent)
    parts = [_nested(row, cut[1:], fmt, width, indent + 1) for row in host]
    if cut[0]:
        e = _options.edgeitems
        parts = parts[:e] + ["..."] + parts[e:]
    return "[" + ("," + "\n" * (host.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _vector(host, cut: bool, fmt, width: int, indent: int) -> str:
    """One axis of values, as many to a line as ``linewidth`` holds (PyTorch's ``_vector_str``)."""
    e = _options.edgeitems
    per_line = max(1, (_options.linewidth - indent) // (width + 2))
    items = [fmt(v) for v in host.tolist()]
    if cut:
        items = items[:e] + [" ..."] + items[e:] if e else ["..."]
    lines = [", ".join(items[i : i + per_line]) for i in range(0, len(items), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def tensor_repr(t) -> str:
    """``tensor([1.0000, 2.5000], requires_grad=True)``: the values, then what differs from the defaults."""
    body = tensor_body(t._data)
    extra = "" if t.device.type == "cpu" else f", device='{t.device}'"  # PyTorch's order of keywords
    kind, empty = t.dtype.kind, t._data.size == 0
    if empty and t._data.ndim != 1:
        extra += f", size={tuple(t._data.shape)}"
    if (kind == "f" and t.dtype != B.default_float) or (kind in "iu" and (empty or t.dtype != B.numpy.int64)):
        extra += f", dtype={t.dtype}"  # an empty tensor has no values to show that it holds integers
    if t._ctx is not None:
        extra += f", grad_fn=<{t._ctx.name()}>"
    elif t.requires_grad:
        extra += ", requires_grad=True"
    return f"tensor({body}{extra})"


# --- HTML -------------------------------------------------------------------------------------------
_STYLE = (
    "<style>.cr-tensor table{border-collapse:collapse;font-family:monospace;font-size:12px}"
    ".cr-tensor td,.cr-tensor th{text-align:right;padding:1px 6px}"
    ".cr-tensor th{color:#888;font-weight:normal}.cr-tensor .cr-head{font-size:12px}</style>"
)


def tensor_html(t) -> str:
    """A header (shape, dtype, device, grad) and the values: a table for 0-D to 2-D, ``<pre>`` above."""
    data = t._data
    facts = [f"shape {tuple(data.shape)}", str(t.dtype), str(t.device)]
    if t._ctx is not None:
        facts.append(f"grad_fn=<{t._ctx.name()}>")
    elif t.requires_grad:
        facts.append("requires_grad=True")
    if t.name:
        facts.insert(0, f"name {t.name!r}")
    header = f"<b>{html.escape(type(t).__name__)}</b> " + " · ".join(html.escape(f) for f in facts)
    values = f"<pre>{html.escape(tensor_body(data, indent=0))}</pre>" if data.ndim > 2 else _values_table(data)
    return f'<div class="cr-tensor">{_STYLE}<div class="cr-head">{header}</div>{values}</div>'


def _values_table(data) -> str:
    """0-D: one cell; 1-D: one row; 2-D: rows. Index labels head the columns and rows; a cut shows "…"."""
    host, cut = shown_values(data, max_axis=HTML_MAX_AXIS)
    fmt, _ = value_formatter(host)
    matrix = host.reshape((1,) * (2 - host.ndim) + host.shape).tolist()  # 0-D, 1-D: one row
    grid = [[html.escape(fmt(v).strip()) for v in row] for row in matrix]
    cols = _labels(data.shape[-1], cut[-1]) if data.ndim else [""]
    rows = _labels(data.shape[0], cut[0]) if data.ndim == 2 else [""]
    if data.ndim and cut[-1]:
        grid = [_ellipsis(r) for r in grid]
    if data.ndim == 2 and cut[0]:
        grid = _ellipsis(grid, ["…"] * len(cols))
    out = ["<table>"]
    if data.ndim:
        out.append("<tr><th></th>" + "".join(f"<th>{c}</th>" for c in cols) + "</tr>")
    out += [f"<tr><th>{label}</th>" + "".join(f"<td>{v}</td>" for v in r) + "</tr>" for label, r in zip(rows, grid)]
    return "".join(out) + "</table>"


def _ellipsis(items: list, mark="…") -> list:
    e = _options.edgeitems
    return items[:e] + [mark] + items[e:]


def _labels(n: int, cut: bool) -> list[str]:
    """The indices of a shown axis, "…" where it is cut."""
    e = _options.edgeitems
    return (
        _ellipsis([str(i) for i in range(e)] + [str(i) for i in range(n - e, n)]) if cut else [str(i) for i in range(n)]
    )
