# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""A custom nn.Module (Polynomial3) trained with SGD + momentum, and the dynamic net's weight sharing."""

import json
import math

import numpy as np
import torch


class Polynomial3(torch.nn.Module):
    def __init__(self, start):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(start[0]))
        self.b = torch.nn.Parameter(torch.tensor(start[1]))
        self.c = torch.nn.Parameter(torch.tensor(start[2]))
        self.d = torch.nn.Parameter(torch.tensor(start[3]))

    def forward(self, x):
        return self.a + self.b * x + self.c * x**2 + self.d * x**3

    def string(self):
        return f"y = {self.a.item():.4f} + {self.b.item():.4f} x + {self.c.item():.4f} x^2 + {self.d.item():.4f} x^3"


class DynamicNet(torch.nn.Module):
    """Reuses self.e for the 4th and 5th orders: a parameter used twice gets both gradients."""

    def __init__(self, start):
        super().__init__()
        self.a = torch.nn.Parameter(torch.tensor(start[0]))
        self.b = torch.nn.Parameter(torch.tensor(start[1]))
        self.c = torch.nn.Parameter(torch.tensor(start[2]))
        self.d = torch.nn.Parameter(torch.tensor(start[3]))
        self.e = torch.nn.Parameter(torch.tensor(start[4]))

    def forward(self, x, orders):
        y = self.a + self.b * x + self.c * x**2 + self.d * x**3
        for exp in range(4, orders):
            y = y + self.e * x**exp
        return y


x = torch.linspace(-math.pi, math.pi, 2000)
y = torch.sin(x)
start = np.random.RandomState(2).randn(5).astype(np.float32)

model = Polynomial3(start)
criterion = torch.nn.MSELoss(reduction="sum")
optimizer = torch.optim.SGD(model.parameters(), lr=1e-6, momentum=0.9)
losses = []
for t in range(300):
    y_pred = model(x)
    loss = criterion(y_pred, y)
    if t % 50 == 49:
        losses.append(loss.item())
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()

dyn = DynamicNet(start)
dyn_opt = torch.optim.SGD(dyn.parameters(), lr=1e-8, momentum=0.9)
dyn_losses = []
for t in range(200):
    y_pred = dyn(x, 4 + t % 3)  # a deterministic stand-in for random.randint(4, 6)
    loss = criterion(y_pred, y)
    if t % 50 == 49:
        dyn_losses.append(loss.item())
    dyn_opt.zero_grad()
    loss.backward()
    dyn_opt.step()

result = {
    "param_names": [name for name, _ in model.named_parameters()],
    "losses": losses,
    "weights": [p.item() for p in model.parameters()],
    "string_ok": model.string().startswith("y = "),
    "dynamic_losses": dyn_losses,
    "dynamic_weights": [p.item() for p in dyn.parameters()],
}
print(json.dumps(result))
