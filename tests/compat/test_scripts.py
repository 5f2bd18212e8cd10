"""Each script in tests/compat/scripts runs on torch and, with only its imports switched, on chainrule;
the final values it prints (losses, weights, predictions) must agree.

Tolerance: float32 results agree to 1e-4 relative (atol 1e-6) unless a script is listed in TOLERANCE
with its reason. The torch side runs in one subprocess and the chainrule side in another, started
together, so the suite pays for importing torch once.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.compat.runner import compare, run_scripts

SCRIPTS = sorted((Path(__file__).parent / "scripts").glob("*.py"))

TOLERANCE = {
    # 300 float32 steps of a sum over 2,000 points: summation order differs between the libraries
    # and the rounding compounds through the updates
    "poly_manual": (3e-4, 1e-5),
    "poly_nn": (3e-4, 1e-5),
    "poly_module": (3e-4, 1e-5),
    "custom_function": (3e-4, 1e-5),
}

WHAT = {
    "autograd_basics": "requires_grad, backward, .grad as a Tensor, grad_fn/next_functions, no_grad, detach, "
    "retain_graph, torch.autograd.grad, a second backward refused",
    "blitz_lenet": "the blitz LeNet: x.size()[1:], backward(gradient), grad_fn walk, f.data.sub_, optim.SGD",
    "custom_function": "torch.autograd.Function (LegendrePolynomial3) with ctx.save_for_backward, a fit",
    "micrograd_engine": "a micrograd-style scalar engine against the library in float64",
    "nn_from_scratch": "'What is torch.nn really?': raw-tensor logistic regression (manual log_softmax, "
    "in-place updates under no_grad), nn.Module/Parameter/optim/DataLoader, a Lambda CNN with adaptive pooling",
    "mnist_net": "pytorch/examples' MNIST Net: conv, dropout, log_softmax, nll_loss, Adadelta, StepLR",
    "poly_manual": "manual cubic fit: w -= lr * w.grad under no_grad, w.grad = None / zero_()",
    "poly_module": "a custom nn.Module with SGD momentum, weight sharing over a dynamic graph",
    "poly_nn": "Sequential + Flatten(0, 1) + MSELoss(sum), manual update and RMSprop",
    "quickstart_classifier": "the Quickstart loop on TensorDataset/DataLoader with CrossEntropyLoss and SGD",
    "regression": "pytorch/examples' regression: cat/unsqueeze/mm, smooth_l1_loss, param.data.add_",
    "save_load": "torch.save / torch.load(weights_only=True) of a state dict and a checkpoint",
    "tensor_basics": "creation, indexing, size(), in-place ops, view(-1, 8), item(), the NumPy bridge",
    "vae_step": "pytorch/examples' VAE: binary_cross_entropy(sum) + KLD, randn_like, Adam",
}


@pytest.fixture(scope="module")
def runs():
    """Both libraries' outcomes for every script: {'torch': {...}, 'chainrule': {...}}."""
    with ThreadPoolExecutor(2) as pool:
        futures = {backend: pool.submit(run_scripts, SCRIPTS, backend) for backend in ("torch", "chainrule")}
        return {backend: future.result() for backend, future in futures.items()}


def test_every_script_says_what_it_checks():
    assert sorted(WHAT) == [p.stem for p in SCRIPTS]


@pytest.mark.parametrize("name", [p.stem for p in SCRIPTS])
def test_script_matches_torch_with_only_imports_changed(name, runs):
    reference, ours = runs["torch"][name], runs["chainrule"][name]
    assert reference.ok, f"{name} fails on torch itself (a broken script): {reference.error}"
    assert ours.ok, f"{name} ({WHAT[name]}) stops on chainrule: {ours.error}"
    rtol, atol = TOLERANCE.get(name, (1e-4, 1e-6))
    diffs = compare(reference.result, ours.result, rtol, atol)
    assert not diffs, f"{name} ({WHAT[name]}) differs from torch:\n  " + "\n  ".join(diffs[:20])
