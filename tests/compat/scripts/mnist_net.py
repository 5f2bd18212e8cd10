# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""pytorch/examples' MNIST Net on a small synthetic batch: conv, dropout, log_softmax, nll_loss, Adadelta, StepLR."""

import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(16 * 6 * 6, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


torch.manual_seed(1)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
rng = np.random.RandomState(5)
data = torch.from_numpy(rng.rand(16, 1, 16, 16).astype(np.float32))
target = torch.from_numpy(rng.randint(0, 10, 16))

model = Net().to(device)
state = {
    k: torch.from_numpy(rng.uniform(-0.2, 0.2, tuple(v.shape)).astype(np.float32))
    for k, v in model.state_dict().items()
}
model.load_state_dict(state)

# train mode: dropout zeroes about p of the activations and scales the rest by 1 / (1 - p)
model.train()
probe = model.dropout2(torch.ones(4000))
kept = (probe != 0).float().mean().item()
kept_value = probe.max().item()
train_out = model(data)

optimizer = optim.Adadelta(model.parameters(), lr=1.0)
scheduler = StepLR(optimizer, step_size=1, gamma=0.7)
model.eval()  # the compared steps run without dropout: the two libraries draw different masks
losses, lrs = [], []
for epoch in range(1, 4):
    for step in range(2):
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    lrs.append(optimizer.param_groups[0]["lr"])

with torch.no_grad():
    output = model(data)
    test_loss = F.nll_loss(output, target, reduction="sum").item()
    pred = output.argmax(dim=1, keepdim=True)
    correct = pred.eq(target.view_as(pred)).sum().item()

result = {
    "kept_fraction_near_half": abs(kept - 0.5) < 0.05,
    "kept_value": kept_value,
    "train_out_shape": list(train_out.shape),
    "losses": losses,
    "lrs": lrs,
    "test_loss": test_loss,
    "correct": correct,
    "fc2_weight": model.fc2.weight[0].tolist(),
    "conv1_bias": model.conv1.bias.tolist(),
}
print(json.dumps(result))
