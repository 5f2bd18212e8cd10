"""Patterns in gradient flow: what each kind of gate does to the upstream gradient.

    add gate:  gradient distributor   every input gets the upstream gradient
    mul gate:  swap multiplier        each input gets upstream x the *other* input
    copy gate: gradient adder         a value used twice gets the sum of its branches' gradients
    max gate:  gradient router        the larger input gets the upstream gradient, the other 0

Each gate gets the upstream gradient of the slides: ``f.backward(upstream)`` seeds it.

Run: python examples/gradient_flow_patterns.py
"""

import chainrule as cr


def leaf(name: str, value: float) -> cr.Tensor:
    return cr.tensor(value, dtype=cr.float64, requires_grad=True, name=name)


def add_gate() -> None:
    x, y = leaf("x", 3.0), leaf("y", 4.0)
    f = x + y
    f.backward(cr.tensor(2.0, dtype=cr.float64))
    print(f"add gate:  x + y = {f.item():.2f}, upstream 2.00 -> dx = {x.grad:.2f}, dy = {y.grad:.2f}   (distributed)")


def mul_gate() -> None:
    x, y = leaf("x", 2.0), leaf("y", 3.0)
    f = x * y
    f.backward(cr.tensor(5.0, dtype=cr.float64))
    print(
        f"mul gate:  x * y = {f.item():.2f}, upstream 5.00 -> dx = {x.grad:.2f}, dy = {y.grad:.2f}"
        "   (dx = 5 * y, dy = 5 * x: swapped)"
    )


def copy_gate() -> None:
    x = leaf("x", 7.0)
    a, b = 4 * x, 2 * x  # x is copied into two branches
    f = a + b
    f.backward(retain_graph=True)  # keep the graph: the trace below walks it again
    print(f"copy gate: x = 7.00 feeds two branches whose gradients are 4.00 and 2.00 -> dx = {x.grad:.2f}   (added)")
    cr.viz.trace(f)


def max_gate() -> None:
    x, y = leaf("x", 4.0), leaf("y", 5.0)
    f = cr.maximum(x, y)
    f.backward(cr.tensor(9.0, dtype=cr.float64))
    print(
        f"max gate:  max(x, y) = {f.item():.2f}, upstream 9.00 -> dx = {x.grad:.2f}, dy = {y.grad:.2f}"
        "   (routed to the max)"
    )


if __name__ == "__main__":
    add_gate()
    mul_gate()
    copy_gate()
    max_gate()
