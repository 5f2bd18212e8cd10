"""The computational graph as the lecture draws it: inputs on the left, values in green, gradients in red.

``draw_graph(f)`` walks the graph that produced ``f``, runs a pure backward pass (``.grad`` is not
touched) and writes Graphviz DOT: ops are circles labelled with their symbol (``+``, ``*``,
``exp``, ``σ``), input tensors are boxes (parameters, leaves and constants styled apart), and each
edge carries the value flowing forward and the gradient flowing back along it, so a fan-out
(copy gate) shows one gradient per branch and their sum on the box. Without Graphviz the same
picture comes from ``layout``/``svg`` (pure Python), for Jupyter and for ``.svg`` files.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from html import escape
from pathlib import Path

from ..autograd import engine
from ..autograd.tensor import Tensor
from .labels import GRAD_COLOR, ROLES, VALUE_COLOR, describe, node_kind, summary
from .layout import Layout, layout_described
from .svg import render_svg

STYLES = {
    "param": 'shape=box, style="rounded,filled", fillcolor="#dbe9fb", color="#2b5797"',
    "leaf": 'shape=box, style="rounded,filled", fillcolor="#fff4d6", color="#8a6d1c"',
    "const": 'shape=box, style="dashed", color="#888888", fontcolor="#666666"',
    "output": 'shape=box, style="bold,filled", peripheries=2, fillcolor="#f1e4f6", color="#6a1b9a"',
    "op": 'shape=circle, style="filled", fillcolor="#f2f2f2", color="#444444", fontsize=16',
}
RENDER_FORMATS = ("svg", "png", "pdf")
INSTALL_HINT = (
    "install Graphviz: `sudo apt-get install graphviz` (Debian/Ubuntu), `brew install graphviz` "
    "(macOS) or `conda install -c conda-forge graphviz`"
)


class GraphvizNotFound(RuntimeError):
    """Graphviz's ``dot`` program is not on PATH, so the graph cannot be rendered."""


class GraphvizNotFoundWarning(UserWarning):
    """A render was asked for without ``dot``: the DOT source was written, the picture was not."""


def find_dot() -> str | None:
    """Path of Graphviz's ``dot`` program, or None."""
    return shutil.which("dot")


def _box_label(t: Tensor, kind: str, name: str, totals: dict) -> str:
    """A box's HTML label: name and role, then value and (total) gradient."""
    role = ROLES[kind]
    if kind == "const" and not t.name:
        title = f"<b>{role}</b>"
    else:
        title = f'<b>{escape(name)}</b> <font point-size="9">{role}</font>'
    return title + "<br/>" + _html_values(t._data, totals.get(id(t)))


def _html_values(value, grad, name: str | None = None) -> str:
    """HTML-label lines: an optional name, the value in green, the gradient in red."""
    parts = [f"<i>{escape(name)}</i>"] if name else []
    parts.append(f'<font color="{VALUE_COLOR}">{escape(summary(value))}</font>')
    if grad is not None:
        parts.append(f'<font color="{GRAD_COLOR}">{escape(summary(grad))}</font>')
    return "<br/>".join(parts)


class Graph:
    """DOT source of a computational graph; ``save`` writes or renders it, Jupyter shows it as SVG
    (Graphviz's when ``dot`` is installed, else ``layout``'s pure-Python drawing)."""

    def __init__(self, source: str, layout: Layout | None = None) -> None:
        self.source = source
        self.layout = layout

    def __str__(self) -> str:
        return self.source

    def __repr__(self) -> str:
        return f"<chainrule.viz.Graph: {self.source.count('->')} edges; .source, .save(path)>"

    def pipe(self, format: str = "svg") -> bytes:
        """Render with Graphviz's ``dot`` and return the bytes; raises GraphvizNotFound without it."""
        if format not in RENDER_FORMATS:
            raise ValueError(f"Graph.pipe: format {format!r} not in {RENDER_FORMATS}")
        dot = find_dot()
        if dot is None:
            raise GraphvizNotFound(f"Graphviz's `dot` program is not on PATH; {INSTALL_HINT}")
        proc = subprocess.run([dot, f"-T{format}"], input=self.source.encode("utf-8"), capture_output=True, timeout=120)
        if proc.returncode != 0:
            raise RuntimeError(f"dot -T{format} failed: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout

    def save(self, path) -> Path:
        """Write ``path``: ``.dot``/``.gv`` gets the source; ``.svg``/``.png``/``.pdf`` gets the
        source beside it (same stem, ``.dot``) and the picture rendered by ``dot``. Without
        ``dot`` an ``.svg`` is drawn by the pure-Python layout; for ``.png``/``.pdf`` the source is
        still written and a GraphvizNotFoundWarning says how to install Graphviz.
        Returns the path of the file that holds the picture (or the DOT when it could not be drawn).
        """
        path = Path(path)
        fmt = path.suffix.lower().lstrip(".")
        if fmt in ("dot", "gv"):
            path.write_text(self.source, encoding="utf-8")
            return path
        if fmt not in RENDER_FORMATS:
            raise ValueError(f"Graph.save: {path.name}: use a .dot, .gv, .svg, .png or .pdf file name")
        dot_path = path.with_suffix(".dot")
        dot_path.write_text(self.source, encoding="utf-8")
        try:
            path.write_bytes(self.pipe(fmt))
        except GraphvizNotFound:
            if fmt == "svg" and self.layout is not None:
                path.write_text(render_svg(self.layout), encoding="utf-8")
                return path
            warnings.warn(
                f"Graphviz's `dot` program is not on PATH, so {path} was not drawn; the graph's DOT "
                f"source is in {dot_path}. To draw it, {INSTALL_HINT}, then run "
                f"`dot -T{fmt} {dot_path} -o {path}`",
                GraphvizNotFoundWarning,
                stacklevel=2,
            )
            return dot_path
        return path

    def _repr_svg_(self) -> str | None:
        """Jupyter's rich display: Graphviz's SVG, else the pure-Python one; a Graph made from DOT
        source alone, without ``dot``, warns how to install it and shows the text repr."""
        try:
            return self.pipe("svg").decode("utf-8")
        except GraphvizNotFound as err:
            if self.layout is not None:
                return render_svg(self.layout)
            warnings.warn(f"cannot show the graph: {err}", GraphvizNotFoundWarning, stacklevel=2)
            return None


def to_dot(out: Tensor, grad=None, rankdir: str = "LR", params: dict | None = None) -> str:
    """The DOT text of ``out``'s computational graph with values and gradients."""
    _check_rankdir(rankdir)
    return _dot(out, describe(out, grad, params, "draw_graph"), rankdir)


def _check_rankdir(rankdir: str) -> None:
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"draw_graph: rankdir must be LR, RL, TB or BT, got {rankdir!r}")


def _dot(out: Tensor, described: tuple, rankdir: str) -> str:
    """``to_dot`` from ``labels.describe``'s answer."""
    nodes, names, totals, edge_grads = described
    ids = {id(t): f"n{k}" for k, t in enumerate(nodes)}
    lines = [
        "digraph chainrule {",
        f'  graph [rankdir={rankdir}, fontname="Helvetica", nodesep=0.35, ranksep=0.5, labelloc=b,',
        f'         label=<<font color="{VALUE_COLOR}">values</font> in green, '
        f'<font color="{GRAD_COLOR}">gradients</font> in red>];',
        '  node [fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=10, color="#555555", arrowsize=0.6];',
    ]
    for t in nodes:
        kind, nid = node_kind(t, out), ids[id(t)]
        if t._ctx is not None:
            op = t._ctx
            lines.append(
                f'  {nid} [{STYLES["op"]}, label="{_dot_escape(op.symbol or op.op_name())}", '
                f'tooltip="{_dot_escape(op.op_name())}"];'
            )
        if t._ctx is None or kind == "output":
            box = f"out_{nid}" if t._ctx is not None else nid
            lines.append(f"  {box} [{STYLES[kind]}, label=<{_box_label(t, kind, names[id(t)], totals)}>];")
            if box != nid:  # the output box hangs off the op that made it
                lines.append(f"  {nid} -> {box} [label=<{_html_values(t._data, totals.get(id(t)))}>];")
        if t._ctx is None:
            continue
        for i in range(len(t._ctx.parents)):
            parent = engine.input_node(t._ctx, i)  # its value before any later in-place change
            name = names[id(parent)]
            # a box already names its leaf; an op's output is named on its edges (as in the trace)
            label = _html_values(parent._data, edge_grads.get((id(t), i)), None if parent._ctx is None else name)
            lines.append(f"  {ids[id(parent)]} -> {nid} [label=<{label}>];")
    lines.append("}")
    return "\n".join(lines) + "\n"


def _dot_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def draw_graph(out: Tensor, path=None, grad=None, rankdir: str = "LR", params: dict | None = None) -> Graph:
    """Draw the graph that computed ``out`` with each value (green) and gradient (red).

    Gradients come from a pure backward pass (``.grad`` untouched) seeded with ones for a
    one-element ``out``, or with ``grad``. ``path``: ``.dot`` writes DOT, ``.svg``/``.png``/``.pdf``
    also renders it with Graphviz (an ``.svg`` without it too; see ``Graph.save``). ``params`` (``{name: tensor}``, e.g.
    ``dict(model.named_parameters())``) names tensors that have no ``.name``. Returns the Graph,
    which also holds the pure-Python layout (drawn when Graphviz is missing).
    """
    _check_rankdir(rankdir)
    described = describe(out, grad, params, "draw_graph")  # one pure backward pass for both drawings
    graph = Graph(_dot(out, described, rankdir), layout_described(out, described))
    if path is not None:
        graph.save(path)
    return graph
