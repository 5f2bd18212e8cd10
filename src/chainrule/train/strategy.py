"""How the fit loop spreads over processes: one process here; data-parallel MPI in ``chainrule.distributed``.

The loop calls these methods at fixed points and knows nothing of MPI. ``Strategy`` is the one-process
case (every method does nothing or returns its input); ``chainrule.distributed.DataParallel`` has the
same methods for N processes, each training on its share of every global batch:

- ``setup(trainer)``: at the start of ``fit``: check the sizes, make the replicas' weights equal;
- ``shard(array)``: this process's share of a global batch (after augmentation) or of the validation set;
- ``reduce_gradients(trainer, n)``: after ``backward()``, the gradient of the whole global batch
  (``n``: this process's images);
- ``reduce_record(trainer, record, images, val_images)``: at an epoch's end, global train and
  validation metrics from each process's (``images``, ``val_images``: this process's counts);
- ``local_copy(find)``: a checkpoint folder readable here, the main process having found it
  (``find()`` runs there only);
- ``agree(config)``: check that every process was started with this configuration;
- ``check_device(device)``: refuse a device the strategy cannot train on;
- ``failing_together(explain)``: a context in which an error on one process ends them all.

``rank``/``world``/``is_main`` say which process this is; only the main one writes files and prints.
"""

from __future__ import annotations

import contextlib
from pathlib import Path


class Strategy:
    """One process trains on every image of every batch (see the module docstring)."""

    rank: int = 0
    world: int = 1
    run_dir: Path | None = None  # the run folder, when there is one: failure messages name its checkpoint

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    def setup(self, trainer) -> None:
        """At the start of ``fit``."""

    def shard(self, array):
        """This process's share of ``array`` (a global batch, the validation set): all of it."""
        return array

    def reduce_gradients(self, trainer, n: int) -> None:
        """After ``backward()``: each parameter's ``.grad`` already is the whole batch's gradient."""

    def reduce_record(self, trainer, record: dict, images: int, val_images: int) -> None:
        """At an epoch's end: ``record``'s metrics already are the whole epoch's."""

    def local_copy(self, find) -> Path:
        """The checkpoint folder ``find()`` names, readable by this process."""
        return Path(find())

    def agree(self, config: dict) -> None:
        """Every process runs ``config`` (one process always does)."""

    def check_device(self, device: str) -> None:
        """Any device will do."""

    @contextlib.contextmanager
    def failing_together(self, explain):
        """An error ends this process alone (``explain(err) -> (message, status)`` is not needed)."""
        yield
