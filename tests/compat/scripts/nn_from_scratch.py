# ruff: noqa: B007, E731, UP008 -- written the way the PyTorch tutorials write it
"""'What is torch.nn really?' in our own words: logistic regression from raw tensors (manual
log_softmax, @, requires_grad_(), in-place updates under no_grad), then the same with nn.Module,
nn.Parameter, F.cross_entropy, optim and DataLoader, then a small CNN with a Lambda layer,
F.avg_pool2d and nn.AdaptiveAvgPool2d. Synthetic 28x28 images stand in for MNIST."""

import json
import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn, optim
from torch.utils.data import DataLoader, TensorDataset

rng = np.random.RandomState(3)
x_train = torch.tensor(rng.rand(256, 784).astype(np.float32))
y_train = torch.tensor((x_train[:, :392].sum(1) > x_train[:, 392:].sum(1)).long() * 3 + (x_train[:, 0] > 0.5).long())
bs, lr, n = 64, 0.5, x_train.shape[0]

weights = torch.from_numpy(rng.randn(784, 10).astype(np.float32)) / math.sqrt(784)
weights.requires_grad_()
bias = torch.zeros(10, requires_grad=True)


def log_softmax(x):
    return x - x.exp().sum(-1).log().unsqueeze(-1)


def model(xb):
    return log_softmax(xb @ weights + bias)


def nll(input, target):
    return -input[range(target.shape[0]), target].mean()


def accuracy(out, yb):
    preds = torch.argmax(out, dim=1)
    return (preds == yb).float().mean()


loss_func = nll
for epoch in range(2):
    for i in range((n - 1) // bs + 1):
        start_i = i * bs
        end_i = start_i + bs
        xb, yb = x_train[start_i:end_i], y_train[start_i:end_i]
        loss = loss_func(model(xb), yb)
        loss.backward()
        with torch.no_grad():
            weights -= weights.grad * lr
            bias -= bias.grad * lr
            weights.grad.zero_()
            bias.grad.zero_()
scratch = [loss_func(model(x_train), y_train).item(), accuracy(model(x_train), y_train).item()]


class Mnist_Logistic(nn.Module):
    def __init__(self, w):
        super().__init__()
        self.weights = nn.Parameter(w.clone())
        self.bias = nn.Parameter(torch.zeros(10))

    def forward(self, xb):
        return xb @ self.weights + self.bias


start = torch.from_numpy(rng.randn(784, 10).astype(np.float32)) / math.sqrt(784)
logistic = Mnist_Logistic(start)
opt = optim.SGD(logistic.parameters(), lr=lr)
train_dl = DataLoader(TensorDataset(x_train, y_train), batch_size=bs)
for epoch in range(2):
    logistic.train()
    for xb, yb in train_dl:
        loss = F.cross_entropy(logistic(xb), yb)
        loss.backward()
        opt.step()
        opt.zero_grad()
logistic.eval()
with torch.no_grad():
    module_loss = F.cross_entropy(logistic(x_train), y_train).item()


class Lambda(nn.Module):
    def __init__(self, func):
        super().__init__()
        self.func = func

    def forward(self, x):
        return self.func(x)


cnn = nn.Sequential(
    Lambda(lambda x: x.view(-1, 1, 28, 28)),
    nn.Conv2d(1, 4, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.Conv2d(4, 10, kernel_size=3, stride=2, padding=1),
    nn.ReLU(),
    nn.AdaptiveAvgPool2d(1),
    Lambda(lambda x: x.view(x.size(0), -1)),
)
with torch.no_grad():
    for p in cnn.parameters():
        p.copy_(torch.from_numpy(rng.randn(*p.shape).astype(np.float32) * 0.3))
cnn_opt = optim.SGD(cnn.parameters(), lr=0.1, momentum=0.9)
for xb, yb in train_dl:
    loss = F.cross_entropy(cnn(xb), yb)
    loss.backward()
    cnn_opt.step()
    cnn_opt.zero_grad()
with torch.no_grad():
    pooled = F.avg_pool2d(x_train[:2].view(-1, 1, 28, 28), 4)

result = {
    "scratch_loss_acc": scratch,
    "scratch_bias": bias.tolist(),
    "module_loss": module_loss,
    "module_bias": logistic.bias.tolist(),
    "cnn_loss": loss.item(),
    "cnn_out": cnn(x_train[:3]).tolist(),
    "avg_pool": [list(pooled.shape), pooled.sum().item()],
}
print(json.dumps(result))
