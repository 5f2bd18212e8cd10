"""The experiments read the real MNIST through the shared cache (the ``mnist_home`` fixture)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _mnist(mnist_home, monkeypatch):
    monkeypatch.setenv("CHAINRULE_HOME", str(mnist_home))
