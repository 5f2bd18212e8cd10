"""Ctrl-C during training: the run stops between steps, so a checkpoint holds a state it passed through.

The fit loop changes its state (weights, optimizer, scheduler, random generator, position counters,
running epoch totals, checkpoints on disk) only inside *atomic sections*: one per step (forward,
backward, the optimizer and scheduler updates, the counters) and one per epoch end (bookkeeping,
metrics, checkpoint writes). The design, chosen over snapshotting the state at every step (a copy
of weights and optimizer state per step), costs nothing per step:

- SIGINT inside an atomic section only sets ``requested``: the section finishes and the loop stops
  at the next boundary, where the state is whole and is saved. The first Ctrl-C anywhere does the
  same (the loop also checks before validation), so a run stops at most one step late.
- A second Ctrl-C outside a section (during validation, between steps) stops at once: the state is
  whole there too. Inside a section it waits for the section's end, as the first did.
- A third Ctrl-C inside a section stops at once, so a stuck step stays stoppable: the section is
  cut short, the trainer marks its state torn and saves nothing (the previous checkpoint stays).
  So does a KeyboardInterrupt that arrives some other way (the handler is installed only over
  Python's default one, in the main thread), or any exception inside a section.
"""

from __future__ import annotations

import contextlib
import signal
import threading

FORCE = 3  # the Ctrl-C that stops even inside an atomic section


class DeferredInterrupt:
    """The SIGINT handler of a ``fit`` call (see the module docstring): ``with`` installs and restores it."""

    def __init__(self) -> None:
        self.requested, self.count, self.depth, self._previous = False, 0, 0, None

    def __enter__(self) -> DeferredInterrupt:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self._previous = signal.signal(signal.SIGINT, self._handler)
        return self

    def __exit__(self, *exc) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGINT, self._previous)
            self._previous = None

    def _handler(self, signum, frame) -> None:
        self.count += 1
        if self.count == 1 or (self.depth and self.count < FORCE):
            self.requested = True  # stop at the next boundary
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def deferred(self):
        """SIGINTs inside the block wait for its end (up to the FORCE-th)."""
        self.depth += 1
        try:
            yield
        finally:
            self.depth -= 1

    def stop_if_requested(self) -> None:
        """At a boundary: raise KeyboardInterrupt when a Ctrl-C came during the last section."""
        if self.requested:
            raise KeyboardInterrupt
