"""The laid-out graph as one standalone SVG string: no Graphviz, no external CSS or fonts.

``graph_svg(f)`` (``render_svg(layout_graph(f))``) draws what ``draw_graph``'s DOT draws: op
circles with their symbols, boxes styled by kind, each edge with its value in green above the line
and its gradient in red below. Every node is a ``<g class="node <kind>" id="n-<name>">``, every
edge a ``<g class="edge" id="e-<op>-<index>">`` (its path, arrowhead and ``text.value``,
``text.grad``), so a page can find the edge of each ``viz.trace`` step by id and highlight it.
"""

from __future__ import annotations

import re

from ..autograd.tensor import Tensor
from .labels import GRAD_COLOR, VALUE_COLOR
from .layout import ARROW, FONT, LEGEND, LINE, PAD, SMALL, SYMBOL, Edge, Layout, Node, layout_graph

FONTS = "Helvetica, Arial, sans-serif"
EDGE_COLOR = "#555555"
HALO = 'paint-order="stroke" stroke="#ffffff" stroke-width="3" stroke-linejoin="round"'  # labels over lines
BOXES = {  # kind: fill, stroke, extra attributes (as graph.STYLES draws them)
    "param": ("#dbe9fb", "#2b5797", 'rx="6"'),
    "leaf": ("#fff4d6", "#8a6d1c", 'rx="6"'),
    "const": ("#ffffff", "#888888", 'stroke-dasharray="4 3"'),
    "output": ("#f1e4f6", "#6a1b9a", 'stroke-width="2"'),
}
OP_FILL, OP_STROKE, MUTED = "#f2f2f2", "#444444", "#666666"
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def esc(text: str) -> str:
    """``text`` safe inside XML content and attribute values; characters XML cannot hold become U+FFFD."""
    text = _NOT_XML.sub("\ufffd", str(text))
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")


def graph_svg(out: Tensor, grad=None, digits: int = 2, params: dict | None = None) -> str:
    """The SVG of ``out``'s graph with values and gradients (``digits`` decimals), without Graphviz."""
    return render_svg(layout_graph(out, grad=grad, params=params, digits=digits))


def render_svg(layout: Layout) -> str:
    """A standalone SVG document of ``layout``: edges first, nodes over them, the legend below."""
    w, h = layout.width, layout.height
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w:.1f} {h:.1f}" width="{w:.0f}" '
        f'height="{h:.0f}" style="max-width:100%;height:auto" font-family="{FONTS}" font-size="{FONT:g}">',
        "<title>computational graph: values in green, gradients in red</title>",
        f'<rect class="background" width="{w:.1f}" height="{h:.1f}" fill="#ffffff"/>',
        '<g class="edges">',
        *(_edge(e) for e in layout.edges),
        '</g>\n<g class="nodes">',
        *(_node(n) for n in layout.nodes),
        "</g>",
        f'<text class="legend" x="{w / 2:.1f}" y="{h - LEGEND / 2 + 4:.1f}" text-anchor="middle">'
        f'<tspan fill="{VALUE_COLOR}">values</tspan> in green, <tspan fill="{GRAD_COLOR}">gradients</tspan> in red'
        "</text>",
        "</svg>",
    ]
    return "\n".join(parts) + "\n"


def _edge(e: Edge) -> str:
    """One edge: its curve, arrowhead, and label (name and value above the line, gradient below)."""
    tip_x, tip_y = e.points[-1]
    arrow = f"{tip_x:.1f},{tip_y:.1f} {tip_x - ARROW:.1f},{tip_y - 3.5:.1f} {tip_x - ARROW:.1f},{tip_y + 3.5:.1f}"
    step = "" if e.step is None else f' data-step="{e.step}"'
    lines = [
        f'<g class="edge" id="{esc(e.id)}" data-source="{esc(e.source)}" data-target="{esc(e.target)}"{step}>',
        f'<path d="{e.path()}" fill="none" stroke="{EDGE_COLOR}" stroke-width="1.2"/>',
        f'<polygon class="arrow" points="{arrow}" fill="{EDGE_COLOR}"/>',
    ]
    above = e.above()
    for k, line in enumerate(above):  # bottom line (the value) sits just above the edge
        y = e.label_y - 4 - (len(above) - 1 - k) * LINE
        cls, attrs = ("name", f'font-style="italic" fill="{MUTED}"') if k < len(above) - 1 else ("value", "")
        fill = "" if cls == "name" else f'fill="{VALUE_COLOR}" '
        lines.append(_text(cls, e.label_x, y, line, f"{fill}{attrs} {HALO}".strip()))
    if e.grad is not None:
        lines.append(_text("grad", e.label_x, e.label_y + 12, e.grad, f'fill="{GRAD_COLOR}" {HALO}'))
    lines.append("</g>")
    return "\n".join(lines)


def _node(n: Node) -> str:
    """One node: an op's circle (ellipse) and symbol, or a box with title, value and gradient."""
    tip = f"{n.role} {n.name} = {n.value}" + ("" if n.grad is None else f", gradient {n.grad}")
    head = f'<g class="node {n.kind}" id="{esc(n.id)}"><title>{esc(tip)}</title>'
    if n.kind == "op":
        size = SYMBOL if n.shape == "circle" else FONT
        shape = (
            f'<circle cx="{n.x:.1f}" cy="{n.y:.1f}" r="{n.width / 2:.1f}"'
            if n.shape == "circle"
            else f'<ellipse cx="{n.x:.1f}" cy="{n.y:.1f}" rx="{n.width / 2:.1f}" ry="{n.height / 2:.1f}"'
        )
        symbol = _text("symbol", n.x, n.y + size * 0.35, n.label, f'font-size="{size:g}"')
        return f'{head}\n{shape} fill="{OP_FILL}" stroke="{OP_STROKE}" stroke-width="1.2"/>\n{symbol}\n</g>'
    fill, stroke, extra = BOXES[n.kind]
    x0, y0 = n.x - n.width / 2, n.y - n.height / 2
    rect = (
        f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{n.width:.1f}" height="{n.height:.1f}" '
        f'fill="{fill}" stroke="{stroke}" {extra}/>'
    )
    if n.kind == "output":  # a double border, as Graphviz's peripheries=2
        rect += (
            f'\n<rect x="{x0 + 3:.1f}" y="{y0 + 3:.1f}" width="{n.width - 6:.1f}" height="{n.height - 6:.1f}" '
            f'fill="none" stroke="{stroke}"/>'
        )
    color = f' fill="{MUTED}"' if n.kind == "const" else ""
    if n.label:
        role = f'<tspan font-size="{SMALL:g}" fill="{MUTED}"> {esc(n.role)}</tspan>'
        title = f'<tspan font-weight="bold">{esc(n.label)}</tspan>{role}'
    else:
        title = f'<tspan font-weight="bold">{esc(n.role)}</tspan>'
    y = y0 + PAD / 2 + LINE - 3
    lines = [head, rect, f'<text class="title" x="{n.x:.1f}" y="{y:.1f}" text-anchor="middle"{color}>{title}</text>']
    lines.append(_text("value", n.x, y + LINE, n.value, f'fill="{VALUE_COLOR}"'))
    if n.grad is not None:
        lines.append(_text("grad", n.x, y + 2 * LINE, n.grad, f'fill="{GRAD_COLOR}"'))
    return "\n".join([*lines, "</g>"])


def _text(cls: str, x: float, y: float, text: str, attrs: str) -> str:
    return f'<text class="{cls}" x="{x:.1f}" y="{y:.1f}" text-anchor="middle" {attrs}>{esc(text)}</text>'
