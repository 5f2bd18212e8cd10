"""The autograd errors: each is also a RuntimeError, the type PyTorch raises for the same mistake."""


class ShapeError(ValueError, RuntimeError):
    """Inputs whose shapes (or sizes) an op cannot work with."""


class DtypeError(TypeError, RuntimeError):
    """A dtype an operation cannot work with (a gradient on an integer tensor, ...)."""
