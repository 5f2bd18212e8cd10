"""One error hierarchy: every error chainrule raises on purpose is a ``ChainruleError``.

::

    ChainruleError
    ├── ShapeError       (also ValueError, RuntimeError)  shapes an op cannot work with
    ├── DtypeError       (also TypeError, RuntimeError)   a dtype an op cannot work with
    ├── DataError        (also ValueError)                a data file or source that cannot be used
    ├── CheckpointError  (also ValueError)                a checkpoint missing, incomplete or not fitting
    ├── DivergenceError  (also RuntimeError)              a loss, metric or weight became NaN or infinite
    ├── DistributedError (also RuntimeError)              data-parallel training cannot run or lost a rank
    ├── CommandError                                      a command failed while running (exit status 1)
    ├── UsageError                                        a mistake in the command line (exit status 2)
    └── where they are raised: StateDictError (nn.module), ImageError (data.images), ExpressionError
        (expression), SerializationError (serialization)

``DeviceError`` (``backend.devices``, a RuntimeError) sits below autograd and so outside this tree.

Each is also the built-in type PyTorch or NumPy code would catch for the same mistake. The root
and the autograd errors live in the lowest layer (``autograd/errors.py``) and are re-exported here;
the ``chainrule`` command turns any of them into one line and an exit status (``cli_support``).
"""

from __future__ import annotations

from .autograd.errors import ChainruleError, DtypeError, ShapeError

__all__ = [
    "ChainruleError",
    "CheckpointError",
    "CommandError",
    "DataError",
    "DistributedError",
    "DivergenceError",
    "DtypeError",
    "ShapeError",
    "UsageError",
]


class DataError(ChainruleError, ValueError):
    """A data file or source that cannot be used: missing, truncated, corrupt, or failing a checksum."""


class CheckpointError(ChainruleError, ValueError):
    """A checkpoint that is missing, incomplete, or does not fit the model it is loaded into."""


class DivergenceError(ChainruleError, RuntimeError):
    """The loss, a validation metric or a weight became NaN or infinite; the message names the epoch and
    step, and the last good checkpoint (or that there is none)."""


class DistributedError(ChainruleError, RuntimeError):
    """Data-parallel training cannot run (no MPI launcher, mpi4py missing) or a rank failed."""


class CommandError(ChainruleError):
    """A failure while running a command (a file that cannot be written): one line, exit status 1."""


class UsageError(ChainruleError):
    """A mistake in the command line found after parsing: one line, exit status 2."""
