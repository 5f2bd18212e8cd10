"""Backpropagation, the lecture's first example: f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4.

Forward:  q = x + y = 3,   f = q z = -12.
Backward: df/dq = z = -4,  df/dz = q = 3,
          df/dx = df/dq * dq/dx = -4 * 1 = -4,  df/dy = df/dq * dq/dy = -4 * 1 = -4
          (chain rule: downstream gradient = upstream gradient x local gradient).

Run: python examples/backprop_simple.py
"""

import chainrule as cr


def main() -> None:
    x = cr.tensor(-2.0, dtype=cr.float64, requires_grad=True, name="x")
    y = cr.tensor(5.0, dtype=cr.float64, requires_grad=True, name="y")
    z = cr.tensor(-4.0, dtype=cr.float64, requires_grad=True, name="z")

    q = x + y  # add gate: local gradients dq/dx = dq/dy = 1
    q.name = "q"
    f = q * z  # mul gate: local gradients df/dq = z, df/dz = q
    f.name = "f"
    print(f"forward:  q = x + y = {q.item():.2f},  f = q z = {f.item():.2f}")

    # the backward pass, one line per edge, in the order backprop visits them
    cr.viz.trace(f)

    f.backward()  # now the gradients land in .grad
    print(f"df/dx = {x.grad:.2f}, df/dy = {y.grad:.2f}, df/dz = {z.grad:.2f}")


if __name__ == "__main__":
    main()
