# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""The polynomial fit with nn: Sequential + Flatten(0, 1) + MSELoss(reduction='sum'), by hand and with RMSprop."""

import json
import math

import numpy as np
import torch

x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
p = torch.tensor([1, 2, 3])
xx = x.unsqueeze(-1).pow(p)

rng = np.random.RandomState(1)
w0 = torch.from_numpy(rng.uniform(-0.5, 0.5, (1, 3)).astype(np.float32))
b0 = torch.from_numpy(rng.uniform(-0.5, 0.5, (1,)).astype(np.float32))


def make_model():
    model = torch.nn.Sequential(torch.nn.Linear(3, 1), torch.nn.Flatten(0, 1))
    model.load_state_dict({"0.weight": w0, "0.bias": b0})
    return model


loss_fn = torch.nn.MSELoss(reduction="sum")

# 1. the manual update over model.parameters()
model = make_model()
learning_rate = 1e-6
manual_losses = []
for t in range(300):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 50 == 49:
        manual_losses.append(loss.item())
    model.zero_grad()
    loss.backward()
    with torch.no_grad():
        for param in model.parameters():
            param -= learning_rate * param.grad
linear_layer = model[0]
manual = [linear_layer.bias.item()] + [linear_layer.weight[:, i].item() for i in range(3)]

# 2. the same with an optimizer (RMSprop, as the optim tutorial)
model = make_model()
optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3)
rms_losses = []
for t in range(300):
    y_pred = model(xx)
    loss = loss_fn(y_pred, y)
    if t % 50 == 49:
        rms_losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
linear_layer = model[0]

result = {
    "xx_shape": list(xx.shape),
    "xx_is_float32": xx.dtype == torch.float32,
    "y_pred_shape": list(y_pred.shape),
    "manual_losses": manual_losses,
    "manual_weights": manual,
    "rmsprop_losses": rms_losses,
    "rmsprop_weight": linear_layer.weight.tolist(),
    "rmsprop_bias": linear_layer.bias.tolist(),
    "n_params": sum(p.numel() for p in model.parameters()),
}
print(json.dumps(result))
