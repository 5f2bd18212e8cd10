"""The autograd errors: each is also a RuntimeError, the type PyTorch raises for the same mistake.

``ChainruleError``, the root of every error chainrule raises on purpose, lives here because this is
the lowest layer; ``chainrule.errors`` is the one place that lists the whole hierarchy.
"""


class ChainruleError(Exception):
    """Any error chainrule raises on purpose: a clear message naming the thing and the numbers."""


class ShapeError(ChainruleError, ValueError, RuntimeError):
    """Inputs whose shapes (or sizes) an op cannot work with."""


class DtypeError(ChainruleError, TypeError, RuntimeError):
    """A dtype an operation cannot work with (a gradient on an integer tensor, ...)."""
