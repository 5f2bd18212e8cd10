"""cr.Generator against torch.Generator's surface: seeds, state save/restore, reproducible streams."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.random import Generator


def test_seeds_as_torch():
    assert Generator().initial_seed() == torch.Generator().initial_seed() == 67280421310721
    g = Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    for seed in (-1, -5, 2**63, 2**64 - 1, 0):
        assert Generator().manual_seed(seed).initial_seed() == torch.Generator().manual_seed(seed).initial_seed()
    with pytest.raises(RuntimeError, match="manual_seed expected a long, but got str"):
        g.manual_seed("a")
    with pytest.raises(ValueError, match="outside"):
        g.manual_seed(2**64)
    assert str(Generator().device) == str(torch.Generator().device) == "cpu"
    seeded = g.seed()
    assert isinstance(seeded, int) and g.initial_seed() == seeded


def test_same_seed_same_stream_and_state_round_trip():
    a, b = Generator().manual_seed(3), Generator().manual_seed(3)
    assert isinstance(a.rng, np.random.Generator)
    np.testing.assert_array_equal(a.rng.random(5), b.rng.random(5))
    assert not np.array_equal(Generator().manual_seed(4).rng.random(5), Generator().manual_seed(3).rng.random(5))
    a.rng.integers(0, 10, 7)
    a.rng.integers(0, 2**31, dtype=np.int32)  # leaves a buffered 32-bit half in the state
    state = a.get_state()
    assert isinstance(state, cr.Tensor) and state.numpy().dtype == np.uint8 and state.shape == (56,)
    first = a.rng.integers(0, 2**31, 4, dtype=np.int32)
    other = Generator().set_state(state)
    np.testing.assert_array_equal(other.rng.integers(0, 2**31, 4, dtype=np.int32), first)
    assert other.initial_seed() == 3
    with pytest.raises(TypeError, match="expected a uint8 tensor of 56 bytes"):
        a.set_state(cr.zeros(3))
