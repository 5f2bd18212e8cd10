# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""pytorch/examples' regression: polynomial features with cat/unsqueeze, mm, smooth_l1_loss, in-place updates."""

import json

import numpy as np
import torch
import torch.nn.functional as F

POLY_DEGREE = 4
rng = np.random.RandomState(7)
W_target = torch.from_numpy(rng.randn(POLY_DEGREE, 1).astype(np.float32)) * 5
b_target = torch.from_numpy(rng.randn(1).astype(np.float32)) * 5


def make_features(x):
    """Builds features i.e. a matrix with columns [x, x^2, x^3, x^4]."""
    x = x.unsqueeze(1)
    return torch.cat([x**i for i in range(1, POLY_DEGREE + 1)], 1)


def f(x):
    """Approximated function."""
    return x.mm(W_target) + b_target.item()


def poly_desc(W, b):
    """Creates a string description of a polynomial."""
    result = "y = "
    for i, w in enumerate(W):
        result += "{:+.2f} x^{} ".format(w, i + 1)
    result += "{:+.2f}".format(b[0])
    return result


def get_batch(batch_size=32):
    """Builds a batch i.e. (x, f(x)) pair."""
    random = torch.from_numpy(rng.randn(batch_size).astype(np.float32))
    x = make_features(random)
    y = f(x)
    return x, y


fc = torch.nn.Linear(W_target.size(0), 1)
with torch.no_grad():
    fc.weight.copy_(torch.zeros(1, POLY_DEGREE))
    fc.bias.fill_(0.5)

losses = []
for batch_idx in range(1, 101):
    batch_x, batch_y = get_batch()
    fc.zero_grad()
    output = F.smooth_l1_loss(fc(batch_x), batch_y)
    loss = output.item()
    output.backward()
    for param in fc.parameters():
        param.data.add_(-0.01 * param.grad)  # the .data idiom: updates the parameter, untracked
    if batch_idx % 20 == 0:
        losses.append(loss)

# the same update written under no_grad
with torch.no_grad():
    for param in fc.parameters():
        param.add_(-0.01 * param.grad)

result = {
    "features_shape": list(make_features(torch.ones(5)).shape),
    "losses": losses,
    "weight": fc.weight.view(-1).tolist(),
    "bias": fc.bias.tolist(),
    "target_desc": poly_desc(W_target.view(-1), b_target),
    "learned_desc_ok": poly_desc(fc.weight.view(-1), fc.bias).startswith("y = "),
}
print(json.dumps(result))
