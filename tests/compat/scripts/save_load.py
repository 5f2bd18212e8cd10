# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""Saving and loading a state dict, as the Quickstart and the Save & Load tutorial do."""

import json

import numpy as np
import torch
from torch import nn


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(12, 8),
            nn.ReLU(),
            nn.Linear(8, 3),
        )

    def forward(self, x):
        return self.linear_relu_stack(self.flatten(x))


rng = np.random.RandomState(8)
model = NeuralNetwork()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.randn(*p.shape).astype(np.float32)))
x = torch.from_numpy(rng.randn(5, 3, 4).astype(np.float32))
optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for _ in range(2):
    optimizer.zero_grad()
    model(x).pow(2).mean().backward()
    optimizer.step()

sd = model.state_dict()
keys = list(sd.keys())
shapes = [list(v.size()) for v in sd.values()]
torch.save(model.state_dict(), "model.pth")
torch.save(
    {
        "epoch": 2,
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
        "loss": 0.25,
        "history": [1.0, 0.5],
    },
    "checkpoint.tar",
)

model2 = NeuralNetwork()
missing = model2.load_state_dict(torch.load("model.pth", weights_only=True))
model2.eval()
with torch.no_grad():
    same_output = bool(torch.allclose(model(x), model2(x)))
    out = model2(x)

checkpoint = torch.load("checkpoint.tar", weights_only=True)
model3 = NeuralNetwork()
model3.load_state_dict(checkpoint["model_state_dict"])
optimizer3 = torch.optim.SGD(model3.parameters(), lr=0.1, momentum=0.9)
optimizer3.load_state_dict(checkpoint["optimizer_state_dict"])
for m, opt in ((model, optimizer), (model3, optimizer3)):  # one more step from the restored momentum
    opt.zero_grad()
    m(x).pow(2).mean().backward()
    opt.step()

result = {
    "keys": keys,
    "shapes": shapes,
    "state_value_is_tensor": isinstance(sd[keys[0]], torch.Tensor),
    "load_result": [list(missing.missing_keys), list(missing.unexpected_keys)],
    "same_output": same_output,
    "output": out.tolist(),
    "checkpoint_scalars": [checkpoint["epoch"], checkpoint["loss"], checkpoint["history"]],
    "resumed_equal": all(bool(torch.equal(a, b)) for a, b in zip(model.parameters(), model3.parameters())),
    "resumed_weight": model3.linear_relu_stack[2].weight.tolist(),
}
print(json.dumps(result))
