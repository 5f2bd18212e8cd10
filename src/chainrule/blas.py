"""``chainrule.blas`` is ``chainrule.backend.blas`` (the same module object): kept for older imports
(``import chainrule.blas``; ``CHAINRULE_BLAS`` and ``blas.use`` are documented under that name)."""

import sys

from .backend import blas

sys.modules[__name__] = blas
