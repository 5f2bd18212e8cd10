"""``torch.backends.mps``: Apple's Metal GPUs, which chainrule does not run on."""

from __future__ import annotations


def is_available() -> bool:
    """False: chainrule computes on the CPU (NumPy) and on NVIDIA GPUs (CuPy), never on MPS."""
    return False


def is_built() -> bool:
    """False: chainrule has no MPS backend."""
    return False
