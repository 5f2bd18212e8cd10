# ruff: noqa: B007, UP008, UP032 -- written the way the PyTorch tutorials write it
"""pytorch/examples' VAE: BCE(reduction='sum') + KL divergence, reparameterised with randn_like, Adam."""

import json

import numpy as np
import torch
from torch import nn, optim
from torch.nn import functional as F


class VAE(nn.Module):
    def __init__(self):
        super(VAE, self).__init__()
        self.fc1 = nn.Linear(64, 32)
        self.fc21 = nn.Linear(32, 4)
        self.fc22 = nn.Linear(32, 4)
        self.fc3 = nn.Linear(4, 32)
        self.fc4 = nn.Linear(32, 64)

    def encode(self, x):
        h1 = F.relu(self.fc1(x))
        return self.fc21(h1), self.fc22(h1)

    def reparameterize(self, mu, logvar, eps=None):
        std = torch.exp(0.5 * logvar)
        if eps is None:
            eps = torch.randn_like(std)
        return mu + eps * std

    def decode(self, z):
        h3 = F.relu(self.fc3(z))
        return torch.sigmoid(self.fc4(h3))

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.view(-1, 64))
        z = self.reparameterize(mu, logvar, eps)
        return self.decode(z), mu, logvar


def loss_function(recon_x, x, mu, logvar):
    BCE = F.binary_cross_entropy(recon_x, x.view(-1, 64), reduction="sum")
    KLD = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return BCE + KLD


torch.manual_seed(1)
rng = np.random.RandomState(6)
model = VAE()
model.load_state_dict(
    {
        k: torch.from_numpy(rng.uniform(-0.3, 0.3, tuple(v.shape)).astype(np.float32))
        for k, v in model.state_dict().items()
    }
)
optimizer = optim.Adam(model.parameters(), lr=1e-3)
data = torch.from_numpy(rng.rand(8, 1, 8, 8).astype(np.float32))

# randn_like draws from the library's own generator: compare its shape and moments, not values
std = torch.ones(2000, 4)
eps_drawn = torch.randn_like(std)

model.train()
losses = []
for step in range(5):
    eps = torch.from_numpy(rng.randn(8, 4).astype(np.float32))
    optimizer.zero_grad()
    recon_batch, mu, logvar = model(data, eps)
    loss = loss_function(recon_batch, data, mu, logvar)
    loss.backward()
    optimizer.step()
    losses.append(loss.item() / len(data))

model.eval()
with torch.no_grad():
    sample = model.decode(torch.from_numpy(rng.randn(3, 4).astype(np.float32)))
    n = min(data.size(0), 4)
    comparison = torch.cat([data[:n], recon_batch.view(8, 1, 8, 8)[:n]])

result = {
    "eps_shape": list(eps_drawn.shape),
    "eps_moments_ok": abs(eps_drawn.mean().item()) < 0.05 and abs(eps_drawn.std().item() - 1) < 0.05,
    "losses": losses,
    "sample": sample[:, :8].tolist(),
    "comparison_shape": list(comparison.size()),
    "fc21_bias": model.fc21.bias.tolist(),
}
print(json.dumps(result))
