"""A layered (Sugiyama) layout of a DAG, left to right, in plain Python: the geometry behind ``layout``.

Four steps: (1) ranks, given by the caller (``longest_path_ranks``); (2) every edge becomes a
chain of dummy points, one per column it crosses, and nodes sit in even columns so that each
edge's last dummy, in the odd column before its target, holds the edge's label and gets room as a
node does; (3) each column is ordered by barycenter sweeps, keeping the order with the fewest
crossings; (4) columns are as wide as their widest member, and in a column every vertex goes as
near its neighbours' mean height as the spacing allows (weighted isotonic regression, exact and
linear time). Everything is deterministic: ties keep the caller's order.
"""

from __future__ import annotations

from dataclasses import dataclass

GAP_X = 26.0  # between the widest members of neighbouring columns: room for the edge curves
GAP_Y = 12.0  # between the boxes of two vertices in one column
SWEEPS = 4  # barycenter rounds (down and up); more rarely removes another crossing
ROUNDS = 6  # placement rounds
STRAIGHT = 8.0  # how much more a dummy-to-dummy edge pulls than one that touches a node


@dataclass
class Size:
    """A vertex's extent around its anchor point: ``width`` across, ``up`` above and ``down`` below."""

    width: float
    up: float
    down: float


@dataclass
class Placed:
    """The layout's answer: node centres, and per edge its route and the anchor of its label."""

    centers: list[tuple[float, float]]
    routes: list[list[tuple[float, float]]]  # per edge: the source side, then (left, right) per dummy
    labels: list[tuple[float, float]]  # per edge: where the edge line passes its label
    width: float
    height: float


def longest_path_ranks(parents: list[list[int]], pulled: set[int]) -> list[int]:
    """Rank of each vertex (listed so that parents come first): 1 + the largest parent rank, 0 for
    a source; a source in ``pulled`` moves right to just before its first consumer."""
    ranks = [0] * len(parents)
    consumers: list[list[int]] = [[] for _ in parents]
    for v, ps in enumerate(parents):
        ranks[v] = 1 + max((ranks[p] for p in ps), default=-1)
        for p in ps:
            consumers[p].append(v)
    for v in pulled:
        if not parents[v] and consumers[v]:
            ranks[v] = min(ranks[c] for c in consumers[v]) - 1
    return ranks


def layered(sizes: list[Size], ranks: list[int], edges: list[tuple[int, int]], labels: list[Size]) -> Placed:
    """Lay out vertices ``sizes`` at ``ranks`` with ``edges`` (u, v), rank u < rank v, each with a label."""
    for u, v in edges:
        if ranks[u] >= ranks[v]:
            raise ValueError(f"layered: edge {u} -> {v} goes from rank {ranks[u]} to rank {ranks[v]}, not rightwards")
    column = [2 * r for r in ranks]
    vsize = list(sizes)
    chains = []
    for (u, v), label in zip(edges, labels):  # dummies: one per column crossed, the last one labelled
        chain = [u]
        for c in range(column[u] + 1, column[v]):
            chain.append(len(column))
            column.append(c)
            vsize.append(label if c == column[v] - 1 else Size(0.0, 2.0, 2.0))
        chains.append([*chain, v])
    preds: list[list[int]] = [[] for _ in column]
    succs: list[list[int]] = [[] for _ in column]
    for chain in chains:
        for a, b in zip(chain, chain[1:]):
            succs[a].append(b)
            preds[b].append(a)
    cols: list[list[int]] = [[] for _ in range(max(column, default=-1) + 1)]
    for v, c in enumerate(column):
        cols[c].append(v)
    cols = _order(cols, preds, succs)
    ys = _place(cols, preds, succs, vsize, real=len(sizes))
    xs, width = _columns(cols, column, vsize)
    return _routes(chains, xs, ys, vsize, len(sizes), width)


def _order(cols: list[list[int]], preds, succs) -> list[list[int]]:
    """Barycenter sweeps down and up the columns; the order with the fewest crossings wins."""
    pos = {v: i for col in cols for i, v in enumerate(col)}
    best, fewest = [list(c) for c in cols], _crossings(cols, succs, pos)
    for _ in range(SWEEPS):
        if fewest == 0:
            break
        for i in range(1, len(cols)):
            _sort(cols[i], preds, pos)
        for i in range(len(cols) - 2, -1, -1):
            _sort(cols[i], succs, pos)
        count = _crossings(cols, succs, pos)
        if count < fewest:
            best, fewest = [list(c) for c in cols], count
    return best


def _sort(col: list[int], nbrs, pos: dict) -> None:
    """Sort one column by its vertices' mean neighbour position (no neighbours: stay put)."""

    def key(v):
        ns = nbrs[v]
        if len(ns) == 1:
            return pos[ns[0]], pos[v]
        return (sum(pos[u] for u in ns) / len(ns) if ns else pos[v]), pos[v]

    col.sort(key=key)
    for i, v in enumerate(col):
        pos[v] = i


def _crossings(cols, succs, pos) -> int:
    """Edge crossings between neighbouring columns: inversions of target positions, by a Fenwick tree."""
    total = 0
    for col, nxt in zip(cols, cols[1:]):
        ends = sorted((pos[u], pos[v]) for u in col for v in succs[u])
        tree = [0] * (len(nxt) + 1)
        for seen, (_, p) in enumerate(ends):
            i, below = p + 1, 0
            while i > 0:  # how many earlier edges end at or above p
                below, i = below + tree[i], i - (i & -i)
            total += seen - below
            i = p + 1
            while i <= len(nxt):
                tree[i], i = tree[i] + 1, i + (i & -i)
    return total


def _place(cols, preds, succs, size: list[Size], real: int) -> list[float]:
    """Heights: each column packed, then rounds that move every vertex towards its neighbours."""
    ys = [0.0] * len(size)
    gaps = [[_gap(size[a], size[b]) for a, b in zip(col, col[1:])] for col in cols]
    for col, gap in zip(cols, gaps):
        for a, b, g in zip(col, col[1:], gap):
            ys[b] = ys[a] + g

    def weighted(nbrs):  # a dummy-to-dummy edge pulls harder: long edges run straight
        return [[(u, 1.0 if v < real or u < real else STRAIGHT) for u in ns] for v, ns in enumerate(nbrs)]

    left, right = weighted(preds), weighted(succs)
    both = [a + b for a, b in zip(left, right)]
    for r in range(ROUNDS):  # alternate: towards the left neighbours, the right ones; last: both
        nbrs = both if r == ROUNDS - 1 else (left, right)[r % 2]
        for i in range(len(cols)) if r % 2 == 0 else range(len(cols) - 1, -1, -1):
            _settle(cols[i], gaps[i], nbrs, ys)
    top = min((ys[v] - size[v].up for v in range(len(size))), default=0.0)
    return [y - top for y in ys]


def _settle(col: list[int], gaps: list[float], nbrs, ys: list[float]) -> None:
    """Move one column's vertices as near their neighbours' weighted mean height as spacing allows."""
    want, weight = [], []
    for v in col:
        ns = nbrs[v]
        if len(ns) == 1:  # most vertices are dummies, with one neighbour on each side
            want.append(ys[ns[0][0]])
            weight.append(ns[0][1])
        elif ns:
            total = sum(w for _, w in ns)
            want.append(sum(w * ys[u] for u, w in ns) / total)
            weight.append(total)
        else:  # no neighbour on this side: stay, lightly
            want.append(ys[v])
            weight.append(0.5)
    for v, y in zip(col, _pack(want, weight, gaps)):
        ys[v] = y


def _gap(a: Size, b: Size) -> float:
    """Least distance between the anchors of ``a`` and ``b`` below it in one column."""
    return a.down + b.up + (GAP_Y if min(a.width, b.width) > 0 else GAP_Y / 3)


def _pack(want: list[float], weight: list[float], gaps: list[float]) -> list[float]:
    """argmin sum w_i (y_i - want_i)^2 subject to y_{i+1} - y_i >= gaps[i], by pool-adjacent-violators
    on z_i = y_i - offset_i (the constraint becomes z non-decreasing)."""
    offsets = [0.0]
    for g in gaps:
        offsets.append(offsets[-1] + g)
    blocks: list[list[float]] = []  # [sum of weights, weighted sum of targets, members]
    for t, w, o in zip(want, weight, offsets):
        blocks.append([w, w * (t - o), 1])
        while len(blocks) > 1 and blocks[-2][1] * blocks[-1][0] > blocks[-1][1] * blocks[-2][0]:
            w2, s2, n2 = blocks.pop()
            blocks[-1][0] += w2
            blocks[-1][1] += s2
            blocks[-1][2] += n2
    z = [s / w for w, s, n in blocks for _ in range(int(n))]
    return [zi + o for zi, o in zip(z, offsets)]


def _columns(cols, column: list[int], size: list[Size]) -> tuple[list[float], float]:
    """x of every vertex: its column's centre; columns as wide as their widest member, GAP_X apart."""
    centers, x = [], 0.0
    for col in cols:
        w = max((size[v].width for v in col), default=0.0)
        centers.append(x + w / 2)
        x += w + GAP_X
    return [centers[c] for c in column], max(x - GAP_X, 0.0)


def _routes(chains, xs, ys, size: list[Size], real: int, width: float) -> Placed:
    """Each edge's points: the source's right side, a (left, right) pair per dummy, the target's left side."""
    routes, labels = [], []
    for chain in chains:
        pts = [(xs[chain[0]], ys[chain[0]])]
        for d in chain[1:-1]:
            half = size[d].width / 2
            pts += [(xs[d] - half, ys[d]), (xs[d] + half, ys[d])]
        pts.append((xs[chain[-1]], ys[chain[-1]]))
        routes.append(pts)
        last = chain[-2] if len(chain) > 2 else chain[0]
        labels.append((xs[last], ys[last]))
    height = max((ys[v] + size[v].down for v in range(len(size))), default=0.0)
    return Placed([(xs[v], ys[v]) for v in range(real)], routes, labels, width, height)
