# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""Autograd as the Autograd tutorials write it: grad, grad_fn, no_grad, detach, retain_graph."""

import json

import numpy as np
import torch

rng = np.random.RandomState(0)
x = torch.ones(5)
y = torch.zeros(3)
w = torch.from_numpy(rng.randn(5, 3).astype(np.float32)).requires_grad_(True)
b = torch.tensor(rng.randn(3).astype(np.float32), requires_grad=True)
z = torch.matmul(x, w) + b
loss = torch.nn.functional.binary_cross_entropy_with_logits(z, y)
grad_before = w.grad
loss.backward()

# the graph can be walked from the loss down to the leaves
fn = loss.grad_fn
walk_ok = fn is not None and isinstance(fn.next_functions, tuple) and fn.next_functions[0][0] is not None

with torch.no_grad():
    z_ng = torch.matmul(x, w) + b
z_det = (torch.matmul(x, w) + b).detach()

# Jacobian-vector products accumulate across calls until zeroed
inp = torch.eye(4, 5, requires_grad=True)
out = (inp + 1).pow(2).t()
out.backward(torch.ones_like(out), retain_graph=True)
first = inp.grad.clone()
out.backward(torch.ones_like(out), retain_graph=True)
second = inp.grad.clone()
inp.grad.zero_()
out.backward(torch.ones_like(out), retain_graph=True)
third = inp.grad.clone()

# the blitz's "crazy things": a data-dependent loop
a = torch.tensor([0.5, -1.5, 2.0], requires_grad=True)
h = a * 2
steps = 0
while h.data.norm() < 1000:
    h = h * 2
    steps += 1
h.backward(torch.tensor([0.1, 1.0, 0.0001]))

# torch.autograd.grad returns gradients without touching .grad
p = torch.tensor([2.0, 3.0], requires_grad=True)
q = torch.tensor([6.0, 4.0], requires_grad=True)
Q = 3 * p**3 - q**2
(dp, dq) = torch.autograd.grad(Q.sum(), (p, q))

# a second backward through a freed graph is an error
u = torch.tensor([1.0, 2.0], requires_grad=True)
v = (u * u).sum()
v.backward()
try:
    v.backward()
    second_backward = "no error"
except RuntimeError:
    second_backward = "RuntimeError"

# gradients flow only to tensors that require them
k = torch.tensor(3.0, requires_grad=True)
c = torch.tensor(4.0)
m = k * c + c
m.backward()

result = {
    "loss": loss.item(),
    "grad_before_backward_is_none": grad_before is None,
    "w_grad": w.grad.tolist(),
    "b_grad": b.grad.tolist(),
    "grad_is_tensor": isinstance(w.grad, torch.Tensor),
    "leaf_grad_fn_is_none": w.grad_fn is None,
    "z_requires_grad": z.requires_grad,
    "walk_ok": walk_ok,
    "no_grad_requires_grad": z_ng.requires_grad,
    "detach_requires_grad": z_det.requires_grad,
    "is_leaf": [w.is_leaf, z.is_leaf],
    "first": first.tolist(),
    "second": second.tolist(),
    "third": third.tolist(),
    "loop_steps": steps,
    "loop_grad": a.grad.tolist(),
    "autograd_grad": [dp.tolist(), dq.tolist()],
    "autograd_grad_leaves_untouched": p.grad is None,
    "second_backward": second_backward,
    "constant_grad_is_none": c.grad is None,
    "k_grad": k.grad.item(),
}
print(json.dumps(result))
