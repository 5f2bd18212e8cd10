# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""Fitting sin(x) with a cubic by hand: w -= lr * w.grad under no_grad, then clearing the grads."""

import json
import math

import numpy as np
import torch

dtype = torch.float
x = torch.linspace(-math.pi, math.pi, 2000, dtype=dtype)
y = torch.sin(x)

rng = np.random.RandomState(0)
start = rng.randn(4).astype(np.float32)
a = torch.tensor(start[0], dtype=dtype, requires_grad=True)
b = torch.tensor(start[1], dtype=dtype, requires_grad=True)
c = torch.tensor(start[2], dtype=dtype, requires_grad=True)
d = torch.tensor(start[3], dtype=dtype, requires_grad=True)
initial_loss = None

learning_rate = 1e-6
losses = []
for t in range(300):
    y_pred = a + b * x + c * x**2 + d * x**3
    loss = (y_pred - y).pow(2).sum()
    if initial_loss is None:
        initial_loss = loss.item()
    if t % 50 == 49:
        losses.append(loss.item())
    loss.backward()
    with torch.no_grad():
        a -= learning_rate * a.grad
        b -= learning_rate * b.grad
        c -= learning_rate * c.grad
        d -= learning_rate * d.grad
        if t % 2 == 0:  # both ways of clearing, as the tutorials show them
            a.grad = None
            b.grad = None
            c.grad = None
            d.grad = None
        else:
            a.grad.zero_()
            b.grad.zero_()
            c.grad.zero_()
            d.grad.zero_()

# an in-place update of a leaf that requires grad, outside no_grad, is refused
try:
    a -= 1.0
    leaf_inplace = "no error"
except RuntimeError:
    leaf_inplace = "RuntimeError"

result = {
    "initial_loss": initial_loss,
    "losses": losses,
    "trained": losses[-1] < initial_loss,
    "weights": [a.item(), b.item(), c.item(), d.item()],
    "still_leaves": [a.is_leaf, a.requires_grad],
    "leaf_inplace": leaf_inplace,
}
print(json.dumps(result))
