"""``torch.backends.cuda``: ``matmul.allow_tf32`` and friends, kept so scripts can set them.

CuPy's matrix products follow CuPy's own settings; the flags here change nothing.
"""

from __future__ import annotations

from types import SimpleNamespace

from .. import cuda as _cuda

matmul = SimpleNamespace(
    allow_tf32=False, allow_fp16_reduced_precision_reduction=True, allow_bf16_reduced_precision_reduction=True
)


def is_built() -> bool:
    """Whether CUDA support is available to chainrule (CuPy imports and sees a GPU)."""
    return _cuda.is_available()
