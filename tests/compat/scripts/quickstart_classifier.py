# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""The Quickstart's loop on synthetic data: TensorDataset, DataLoader, a Flatten + Linear/ReLU stack, SGD."""

import json

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset, random_split

rng = np.random.RandomState(3)
n_train, n_test = 256, 64
centers = rng.randn(4, 1, 6, 6).astype(np.float32) * 2
labels = rng.randint(0, 4, n_train + n_test)
images = centers[labels] + rng.randn(n_train + n_test, 1, 6, 6).astype(np.float32)

training_data = TensorDataset(torch.from_numpy(images[:n_train]), torch.from_numpy(labels[:n_train]))
test_data = TensorDataset(torch.tensor(images[n_train:]), torch.tensor(labels[n_train:]))

batch_size = 32
train_dataloader = DataLoader(training_data, batch_size=batch_size)
test_dataloader = DataLoader(test_data, batch_size=batch_size)

for X, y in test_dataloader:
    first_batch = [list(X.shape), list(y.shape), y.dtype == torch.int64]
    break

device = "cuda" if torch.cuda.is_available() else "cpu"


class NeuralNetwork(nn.Module):
    def __init__(self):
        super().__init__()
        self.flatten = nn.Flatten()
        self.linear_relu_stack = nn.Sequential(
            nn.Linear(6 * 6, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 4)
        )

    def forward(self, x):
        x = self.flatten(x)
        logits = self.linear_relu_stack(x)
        return logits


model = NeuralNetwork().to(device)
wrng = np.random.RandomState(4)
with torch.no_grad():
    for name, param in model.named_parameters():
        param.copy_(torch.from_numpy(wrng.uniform(-0.3, 0.3, tuple(param.shape)).astype(np.float32)))

loss_fn = nn.CrossEntropyLoss()
optimizer = torch.optim.SGD(model.parameters(), lr=5e-2)


def train(dataloader, model, loss_fn, optimizer):
    size = len(dataloader.dataset)
    model.train()
    losses = []
    for batch, (X, y) in enumerate(dataloader):
        X, y = X.to(device), y.to(device)
        pred = model(X)
        loss = loss_fn(pred, y)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        losses.append(loss.item())
    return size, losses


def test(dataloader, model, loss_fn):
    size = len(dataloader.dataset)
    num_batches = len(dataloader)
    model.eval()
    test_loss, correct = 0, 0
    with torch.no_grad():
        for X, y in dataloader:
            X, y = X.to(device), y.to(device)
            pred = model(X)
            test_loss += loss_fn(pred, y).item()
            correct += (pred.argmax(1) == y).type(torch.float).sum().item()
    test_loss /= num_batches
    correct /= size
    return test_loss, correct


epoch_losses, accuracies = [], []
for t in range(3):
    size, losses = train(train_dataloader, model, loss_fn, optimizer)
    epoch_losses.append(losses[-1])
    accuracies.append(test(test_dataloader, model, loss_fn))

# shuffling draws a permutation (its order depends on the library's generator, its content does not)
shuffled = DataLoader(training_data, batch_size=50, shuffle=True, generator=torch.Generator().manual_seed(0))
seen = torch.cat([y for _, y in shuffled])
dropped = DataLoader(training_data, batch_size=50, drop_last=True)
part_a, part_b = random_split(training_data, [200, 56])

model.eval()
x0, y0 = test_data[0][0], test_data[0][1]
with torch.no_grad():
    pred = model(x0.unsqueeze(0))

result = {
    "first_batch": first_batch,
    "dataset_len": [len(training_data), len(train_dataloader), len(dropped)],
    "train_size": size,
    "epoch_losses": epoch_losses,
    "test": accuracies,
    "shuffle_is_permutation": sorted(seen.tolist()) == sorted(labels[:n_train].tolist()),
    "random_split_lens": [len(part_a), len(part_b)],
    "predicted": pred[0].argmax(0).item(),
    "actual": int(y0),
}
print(json.dumps(result))
