"""``torch.backends.cudnn``: flags scripts set for reproducibility or speed.

chainrule does not call cuDNN (its convolutions are im2col and a matrix product, deterministic on
the CPU), so the flags change nothing; they are plain module attributes a script may set and read.
"""

from __future__ import annotations

enabled = True
deterministic = False
benchmark = False
allow_tf32 = True


def is_available() -> bool:
    """False: chainrule does not use cuDNN."""
    return False


def version() -> None:
    """None: no cuDNN is loaded (as PyTorch without one)."""
    return None
