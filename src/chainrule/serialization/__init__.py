"""``save`` and ``load`` in PyTorch's own file format, without torch.

``cr.save(model.state_dict(), "model.pt")`` writes a file that ``torch.load(..., weights_only=True)``
reads, and ``cr.load`` reads what ``torch.save`` wrote (state dicts, optimizer state, nested
containers) through a restricted unpickler that admits only tensor rebuilding and plain containers.
"""

from __future__ import annotations

from ..data.unpickle import UnsafePickleError
from .reader import SerializationError, load
from .writer import save

__all__ = ["SerializationError", "UnsafePickleError", "load", "save"]
