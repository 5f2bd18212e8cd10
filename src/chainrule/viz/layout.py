"""The computational graph laid out without Graphviz: nodes, edges, labels and their coordinates.

``layout_graph(f)`` describes the picture ``draw_graph`` draws (the same node kinds, names, values
and gradients, from one pure backward pass) and places it in plain Python, left to right as the
slides: inputs at the left (parameters and constants just before the op that uses them), ops as
circles, tensors as boxes, each edge with its value above the line and its gradient below
(``sugiyama.layered`` does the geometry). ``Layout.to_json()`` is what the explore server sends;
``svg.render_svg`` draws it.

Ids are stable and follow ``viz.trace``: a tensor's node is ``n-<name>``; the edge into input ``i``
of the op that produced ``<name>`` is ``e-<name>-<i>`` (``TraceStep.node``, ``TraceStep.index``);
an op output's box is ``out-<name>``, reached by ``out-<name>-edge``. A name that several tensors
share (unnamed constants of one value, say) gets ``~2``, ``~3``, ... on its later tensors.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from ..autograd import engine
from ..autograd.tensor import Tensor
from .labels import ROLES, describe, node_kind, summary
from .sugiyama import Size, layered, longest_path_ranks

FONT = 11.0  # px: labels and boxes
SMALL = 9.0  # px: a box's role ("input", "parameter", ...)
SYMBOL = 15.0  # px: a short op symbol ("+", "exp"); longer ones use FONT in an ellipse
LINE = 14.0  # px between lines of a label
PAD = 8.0  # px inside a box, each side
MARGIN = 12.0  # px around the picture
LEGEND = 22.0  # px under the picture for "values in green, gradients in red"
ARROW = 7.0  # px: an edge's arrowhead, from its base on the path to its tip on the target
# rough Helvetica advance widths in em: enough to size boxes without a font
_NARROW, _WIDE = set(".,:;'|!ijlI ()[]ft-/*"), set("mwMW@%")


def text_width(text: str, size: float = FONT, bold: bool = False) -> float:
    """Estimated width in px of ``text`` set in Helvetica at ``size``."""
    em = sum(0.3 if c in _NARROW else 0.86 if c in _WIDE else 0.58 for c in text)
    return em * size * (1.08 if bold else 1.0)


@dataclass
class Node:
    """A tensor: an op circle (``kind`` "op"), or a box ("param", "leaf", "const", "output")."""

    id: str  # "n-<name>", or "out-<name>" for the box of an op's output
    name: str  # as viz.trace names it (may repeat; ``id`` does not)
    kind: str
    shape: str  # "circle", "ellipse" (a long op name) or "box"
    label: str  # an op's symbol, a box's title (empty for an unnamed constant)
    role: str  # the op's name ("mul"), or the box's role ("input", "parameter", "constant", "output")
    value: str  # the tensor's value (summarised when an array)
    grad: str | None  # its total gradient d out / d tensor; None when no gradient reaches it
    x: float = 0.0  # centre
    y: float = 0.0
    width: float = 0.0
    height: float = 0.0


@dataclass
class Edge:
    """An input of an op (or the op's output into its box), with its value and this edge's gradient."""

    id: str  # "e-<op node name>-<input index>", or "out-<name>-edge"
    source: str  # node ids
    target: str
    index: int  # which input of the target op (0 into the output box)
    step: int | None  # its position among viz.trace(f)'s steps; None when no gradient flows on it
    name: str | None  # an op output's name, written above its value (a box names a leaf itself)
    value: str
    grad: str | None
    points: list = field(default_factory=list)  # [x, y]: source side, a pair per column crossed, target side
    label_x: float = 0.0  # where the line passes the label: name and value above, gradient below
    label_y: float = 0.0
    label_width: float = 0.0

    def path(self) -> str:
        """SVG path data: curves between columns (level at both ends), straight inside a column;
        it stops ARROW short of the target, where the arrowhead starts."""
        (x0, y0), rest = self.points[0], [*self.points[1:-1], [self.points[-1][0] - ARROW, self.points[-1][1]]]
        parts = [f"M{x0:.1f},{y0:.1f}"]
        for k, (x1, y1) in enumerate(rest):
            if k % 2:  # across a dummy column: the label sits on this straight piece
                parts.append(f"L{x1:.1f},{y1:.1f}")
            else:
                mid = (x0 + x1) / 2
                parts.append(f"C{mid:.1f},{y0:.1f} {mid:.1f},{y1:.1f} {x1:.1f},{y1:.1f}")
            x0, y0 = x1, y1
        return " ".join(parts)

    def above(self) -> list[str]:
        """The label's lines above the edge, top first."""
        return [self.name, self.value] if self.name else [self.value]


@dataclass
class Layout:
    """A laid-out graph; ``to_json()`` is plain data (coordinates in px, origin top left)."""

    nodes: list[Node]
    edges: list[Edge]
    width: float
    height: float

    def to_json(self) -> dict:
        edges = [{**asdict(e), "path": e.path()} for e in self.edges]
        return {"width": self.width, "height": self.height, "nodes": [asdict(n) for n in self.nodes], "edges": edges}


def layout_graph(out: Tensor, grad=None, params: dict | None = None, digits: int = 2) -> Layout:
    """Lay out the graph that computed ``out``, with each value and gradient (``digits`` decimals).

    Gradients come from a pure backward pass (``.grad`` untouched) seeded with ones for a
    one-element ``out``, or with ``grad``; ``params`` names tensors, as in ``draw_graph``.
    """
    if not isinstance(digits, int) or not 0 <= digits <= 12:
        raise ValueError(f"layout_graph: digits must be an integer in [0, 12], got {digits!r}")
    return layout_described(out, describe(out, grad, params, "layout_graph"), digits)


def layout_described(out: Tensor, described: tuple, digits: int = 2) -> Layout:
    """``layout_graph`` from ``labels.describe``'s answer (``draw_graph`` shares it with its DOT)."""
    tensors, names, totals, edge_grads = described
    step = {key: k for k, key in enumerate(edge_grads)}  # backprop's order, as viz.trace lists it
    unique = _unique(tensors, names)
    text = _Texts(digits)
    vertex, nodes, parents, edges = {}, [], [], []
    for t in tensors:
        vertex[id(t)] = len(nodes)
        nodes.append(_node(t, out, names[id(t)], unique[id(t)], text, totals))
        inputs = [engine.input_node(t._ctx, i) for i in range(len(t._ctx.parents))] if t._ctx else []
        parents.append([vertex[id(p)] for p in inputs])
        for i, p in enumerate(inputs):
            named = names[id(p)] if p._ctx is not None else None  # a box names a leaf already
            g = edge_grads.get((id(t), i))
            edge = Edge(f"e-{unique[id(t)]}-{i}", nodes[vertex[id(p)]].id, nodes[-1].id, i, step.get((id(t), i)),
                        named, text(p._data), text(g))  # fmt: skip
            edges.append(edge)
    if out._ctx is not None:  # the output's box hangs off the op that made it
        op = nodes[vertex[id(out)]]
        box = _box(out, "output", names[id(out)], f"out-{unique[id(out)]}", text, totals)
        nodes.append(box)
        parents.append([vertex[id(out)]])
        edges.append(Edge(f"out-{unique[id(out)]}-edge", op.id, box.id, 0, None, None, op.value, op.grad))
    return _place(nodes, parents, edges, pulled={v for v, n in enumerate(nodes) if n.kind in ("param", "const")})


class _Texts:
    """``summary`` of arrays with ``digits`` decimals, computed once per array (None stays None)."""

    def __init__(self, digits: int) -> None:
        self.digits, self.cache = digits, {}

    def __call__(self, a) -> str | None:
        if a is None:
            return None
        if id(a) not in self.cache:
            self.cache[id(a)] = (a, summary(a, self.digits))  # keep ``a`` alive: its id stays its own
        return self.cache[id(a)][1]


def _unique(tensors: list[Tensor], names: dict) -> dict[int, str]:
    """``{id(tensor): name}`` with ``~2``, ``~3``, ... added to the later tensors of a shared name."""
    seen, out = {}, {}
    for t in tensors:
        name = names[id(t)]
        seen[name] = seen.get(name, 0) + 1
        out[id(t)] = name if seen[name] == 1 else f"{name}~{seen[name]}"
    return out


def _node(t: Tensor, root: Tensor, name: str, unique: str, text: _Texts, totals: dict) -> Node:
    """An op's circle (or ellipse for a long name), or a tensor's box, sized to its text."""
    kind = node_kind(t, root)
    if t._ctx is None:
        return _box(t, kind, name, f"n-{unique}", text, totals)
    op = t._ctx
    symbol = op.symbol or op.op_name()
    value, grad = text(t._data), text(totals.get(id(t)))
    if len(symbol) <= 3:
        d = max(34.0, text_width(symbol, SYMBOL) + 14)
        return Node(f"n-{unique}", name, "op", "circle", symbol, op.op_name(), value, grad, width=d, height=d)
    w = text_width(symbol, FONT) + 22
    return Node(f"n-{unique}", name, "op", "ellipse", symbol, op.op_name(), value, grad, width=w, height=30.0)


def _box(t: Tensor, kind: str, name: str, nid: str, text: _Texts, totals: dict) -> Node:
    """A box: its title (name and role), value and total gradient, one line each."""
    role = ROLES[kind]
    label = "" if kind == "const" and not t.name else name
    value, grad = text(t._data), text(totals.get(id(t)))
    title = (
        text_width(label, FONT, bold=True) + text_width(" " + role, SMALL) if label else text_width(role, FONT, True)
    )
    width = max(title, *(text_width(s) for s in (value, grad) if s)) + 2 * PAD
    height = LINE * (2 + (grad is not None)) + PAD
    return Node(nid, name, kind, "box", label, role, value, grad, width=width, height=height)


def _place(nodes: list[Node], parents: list[list[int]], edges: list[Edge], pulled: set[int]) -> Layout:
    """Run the layered layout, then attach every edge to its nodes' sides and shift into the margins."""
    ranks = longest_path_ranks(parents, pulled)
    index = {n.id: v for v, n in enumerate(nodes)}
    pairs = [(index[e.source], index[e.target]) for e in edges]
    labels = []
    for e in edges:
        e.label_width = max(text_width(s) for s in [*e.above(), e.grad or ""]) + 6
        labels.append(Size(e.label_width, LINE * len(e.above()) + 3, LINE * (e.grad is not None) + 3))
    sizes = [Size(n.width, n.height / 2, n.height / 2) for n in nodes]
    placed = layered(sizes, ranks, pairs, labels)
    for n, (x, y) in zip(nodes, placed.centers):
        n.x, n.y = x + MARGIN, y + MARGIN
    for e, route, (lx, ly) in zip(edges, placed.routes, placed.labels):
        e.points = [[x + MARGIN, y + MARGIN] for x, y in route]
        e.label_x, e.label_y = lx + MARGIN, ly + MARGIN
    _ports(nodes, edges, pairs)
    return Layout(nodes, edges, placed.width + 2 * MARGIN, placed.height + 2 * MARGIN + LEGEND)


def _ports(nodes: list[Node], edges: list[Edge], pairs: list[tuple[int, int]]) -> None:
    """Move each edge's ends from the node centres to their sides: right out, left in, spread in
    height in the order of the points they head to (so edges leaving one node do not cross)."""
    outs: list[list[Edge]] = [[] for _ in nodes]
    ins: list[list[Edge]] = [[] for _ in nodes]
    for e, (u, v) in zip(edges, pairs):
        outs[u].append(e)
        ins[v].append(e)
    for n, group in zip(nodes, outs):
        group.sort(key=lambda e: e.points[1][1])
        for e, (dx, dy) in zip(group, _spread(n, len(group))):
            e.points[0] = [n.x + dx, n.y + dy]
    for n, group in zip(nodes, ins):
        group.sort(key=lambda e: e.points[-2][1])
        for e, (dx, dy) in zip(group, _spread(n, len(group))):
            e.points[-1] = [n.x - dx, n.y + dy]


def _spread(n: Node, k: int) -> list[tuple[float, float]]:
    """``k`` points on the right side of ``n`` (x from the centre, y offset), top to bottom."""
    if n.shape == "box":
        span = min(8.0 * (k - 1), n.height - 12)
    else:
        span = min(6.0 * (k - 1), n.height * 0.6)
    pts = []
    for j in range(k):
        dy = 0.0 if k == 1 else -span / 2 + span * j / (k - 1)
        if n.shape == "box":
            pts.append((n.width / 2, dy))
        else:  # on the ellipse: x = a sqrt(1 - (dy/b)^2)
            a, b = n.width / 2, n.height / 2
            pts.append((a * (1 - min(1.0, (dy / b) ** 2)) ** 0.5, dy))
    return pts
