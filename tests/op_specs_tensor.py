"""Registry entries (``tests.oracle.OPS``) for the tensor ops added for PyTorch compatibility."""

from __future__ import annotations
