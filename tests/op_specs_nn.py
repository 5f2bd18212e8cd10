"""Registry entries (``tests.oracle.OPS``) for the nn ops added for PyTorch compatibility."""

from __future__ import annotations
