"""Backpropagation, the lecture's second example: the sigmoid circuit

    f(w, x) = 1 / (1 + exp(-(w0 x0 + w1 x1 + w2)))   at w0=2, x0=-1, w1=-3, x1=-2, w2=-3

built twice: as the lecture's chain of primitive gates (*, +, *-1, exp, +1, 1/x) and as one sigmoid
gate, whose local gradient is (1 - s) s = (1 - 0.73)(0.73) = 0.20. Both give f = 0.73 and
df/dw0 = -0.20, df/dx0 = 0.39, df/dw1 = -0.39, df/dx1 = -0.59, df/dw2 = 0.20.

The graph (values in green, gradients in red) is drawn to the path given as the first argument
(.svg, .png, .pdf or .dot), or to a temporary folder.

Run: python examples/backprop_sigmoid.py [sigmoid.svg]
"""

import sys
import tempfile
import warnings
from pathlib import Path

import chainrule as cr

VALUES = {"w0": 2.0, "x0": -1.0, "w1": -3.0, "x1": -2.0, "w2": -3.0}


def leaves() -> dict:
    return {k: cr.tensor(v, dtype=cr.float64, requires_grad=True, name=k) for k, v in VALUES.items()}


def primitive_gates(v: dict) -> cr.Tensor:
    """Every gate has a local gradient from the lecture's table: e^x, -1/x^2, a, 1."""
    dot = v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"]
    return 1 / (1 + cr.exp(-dot))


def sigmoid_gate(v: dict) -> cr.Tensor:
    """The same function as one gate: d sigma(x)/dx = (1 - sigma(x)) sigma(x)."""
    return cr.sigmoid(v["w0"] * v["x0"] + v["w1"] * v["x1"] + v["w2"])


def run(build, title: str) -> tuple:
    v = leaves()
    f = build(v)
    f.name = "f"
    print(f"\n== {title}: f = {f.item():.2f}")
    cr.viz.trace(f)
    f.backward(retain_graph=True)  # keep the graph (as in PyTorch, backward frees it): it is drawn below
    print("   " + ", ".join(f"df/d{k} = {t.grad:.2f}" for k, t in v.items()))
    return f, {k: float(t.grad) for k, t in v.items()}


def main(path: str | None = None) -> None:
    f_chain, g_chain = run(primitive_gates, "chain of primitive gates")
    _, g_node = run(sigmoid_gate, "one sigmoid gate")
    same = all(abs(g_chain[k] - g_node[k]) < 1e-12 for k in VALUES)
    print(f"\nsame gradients both ways: {same}")

    target = Path(path) if path else Path(tempfile.mkdtemp(prefix="chainrule-")) / "sigmoid.svg"
    with warnings.catch_warnings(record=True) as caught:  # without Graphviz: DOT only, and a note
        warnings.simplefilter("always")
        cr.viz.draw_graph(f_chain, target)
    for w in caught:
        print(f"note: {w.message}")
    print(f"graph: {target} (DOT source: {target.with_suffix('.dot')})")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
