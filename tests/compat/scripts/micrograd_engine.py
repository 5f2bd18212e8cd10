# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""A micrograd-style scalar engine checked against the tensor library, as micrograd's test_engine does."""

import json
import math

import torch


class Value:
    """A scalar with its gradient; each op attaches the rule that pushes out.grad into its inputs."""

    def __init__(self, data, children=()):
        self.data, self.grad, self._prev, self._backward = data, 0.0, children, lambda: None

    def __add__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))

        def _backward():
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))

        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def __pow__(self, k):
        out = Value(self.data**k, (self,))

        def _backward():
            self.grad += k * self.data ** (k - 1) * out.grad

        out._backward = _backward
        return out

    def relu(self):
        out = Value(max(self.data, 0.0), (self,))

        def _backward():
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out

    def tanh(self):
        out = Value(math.tanh(self.data), (self,))

        def _backward():
            self.grad += (1 - out.data**2) * out.grad

        out._backward = _backward
        return out

    def backward(self):
        order, seen = [], set()

        def visit(v):
            if v not in seen:
                seen.add(v)
                for child in v._prev:
                    visit(child)
                order.append(v)

        visit(self)
        self.grad = 1.0
        for v in reversed(order):
            v._backward()

    __radd__ = __add__
    __rmul__ = __mul__

    def __neg__(self):
        return self * -1

    def __sub__(self, other):
        return self + (-other)

    def __rsub__(self, other):
        return other + (-self)

    def __truediv__(self, other):
        return self * other**-1

    def __rtruediv__(self, other):
        return other * self**-1


def sanity(make):
    x = make(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()
    return x, y


def more_ops(make):
    a, b = make(-4.0), make(2.0)
    c = a + b
    d = a * b + b**3
    c = c + c + 1
    c = c + 1 + c + (-a)
    d = d + d * 2 + (b + a).relu()
    d = d + 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g = g + 10.0 / f
    g = g + (a * 0.1).tanh()
    g.backward()
    return a, b, g


def as_tensor(v):
    x = torch.Tensor([v]).double()
    x.requires_grad = True
    return x


xmg, ymg = sanity(Value)
xpt, ypt = sanity(as_tensor)
amg, bmg, gmg = more_ops(Value)
apt, bpt, gpt = more_ops(as_tensor)

result = {
    "sanity_forward": ypt.data.item(),
    "sanity_grad": xpt.grad.item(),
    "sanity_matches_engine": ymg.data == ypt.data.item() and xmg.grad == xpt.grad.item(),
    "more_forward": gpt.data.item(),
    "more_grads": [apt.grad.item(), bpt.grad.item()],
    "more_matches_engine": abs(gmg.data - gpt.data.item()) < 1e-6
    and abs(amg.grad - apt.grad.item()) < 1e-6
    and abs(bmg.grad - bpt.grad.item()) < 1e-6,
    "is_float64": xpt.dtype == torch.float64,
}
print(json.dumps(result))
