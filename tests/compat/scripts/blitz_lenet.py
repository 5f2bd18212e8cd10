# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""The blitz's LeNet: num_flat_features from x.size(), backward with a given gradient, walking grad_fn."""

import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim


class Net(nn.Module):
    def __init__(self):
        super(Net, self).__init__()
        self.conv1 = nn.Conv2d(1, 6, 5)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), (2, 2))
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = x.view(-1, self.num_flat_features(x))
        x = F.relu(self.fc1(x))
        x = F.relu(self.fc2(x))
        x = self.fc3(x)
        return x

    def num_flat_features(self, x):
        size = x.size()[1:]  # all dimensions except the batch dimension
        num_features = 1
        for s in size:
            num_features *= s
        return num_features


rng = np.random.RandomState(9)
net = Net()
for name, param in net.named_parameters():
    param.data.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, tuple(param.size())).astype(np.float32)))
params = list(net.parameters())

input = torch.from_numpy(rng.randn(1, 1, 32, 32).astype(np.float32))
out = net(input)
net.zero_grad()
out.backward(torch.from_numpy(rng.randn(1, 10).astype(np.float32)))
random_backward_grad = net.fc3.bias.grad.tolist()

output = net(input)
target = torch.from_numpy(rng.randn(10).astype(np.float32))
target = target.view(1, -1)
criterion = nn.MSELoss()
loss = criterion(output, target)

node, depth = loss.grad_fn, 0
while node is not None and depth < 3:
    nxt = [fn for fn, _ in node.next_functions if fn is not None]
    node, depth = (nxt[0] if nxt else None), depth + 1

net.zero_grad()
bias_grad_before = net.conv1.bias.grad
loss.backward()
bias_grad_after = net.conv1.bias.grad.tolist()

# the manual SGD of the tutorial's note, then torch.optim
learning_rate = 0.01
for f in net.parameters():
    f.data.sub_(f.grad.data * learning_rate)
optimizer = optim.SGD(net.parameters(), lr=0.01)
optimizer.zero_grad()
output = net(input)
loss2 = criterion(output, target)
loss2.backward()
optimizer.step()

result = {
    "n_params": len(params),
    "conv1_weight_size": list(params[0].size()),
    "out": out.tolist(),
    "random_backward_grad": random_backward_grad,
    "loss": loss.item(),
    "graph_depth_walked": depth,
    "grad_zeroed_before": bias_grad_before is None or float(bias_grad_before.abs().sum()) == 0.0,
    "conv1_bias_grad": bias_grad_after,
    "loss2": loss2.item(),
    "fc3_bias": net.fc3.bias.tolist(),
}
print(json.dumps(result))
