"""``torch.backends``: the switches and probes scripts set for their libraries (cuDNN, MPS, CUDA matmul).

``import chainrule.backends.cudnn as cudnn; cudnn.benchmark = True`` works as in PyTorch. chainrule
uses neither cuDNN nor MPS: ``mps.is_available()`` and ``cudnn.is_available()`` are False, and the
flags are kept so a script can set and read them.
"""

from __future__ import annotations

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
