"""The switch between each op's readable reference form and its fast kernel.

Every lecture op keeps a reference form whose forward and local gradient read like its docstring's
math (as CS231n's ``layers.py``); where speed needs tricks (layouts, pieces, fused passes, thread
pools) a fast kernel lives beside it (as ``fast_layers.py``). Both pass the same oracle tests; this
switch chooses: ``"fast"`` (default) or ``"reference"``, from ``CHAINRULE_KERNELS`` at import or
``use(name)`` / ``with using(name):`` at run time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

CHOICES = ("fast", "reference")
active = "fast"
"""The kernels the ops run now: "fast" or "reference"."""


def use(name: str) -> str:
    """Make the ops run their ``"fast"`` or ``"reference"`` kernels; returns the name."""
    global active
    if name not in CHOICES:
        raise ValueError(f"chainrule kernels: expected one of {', '.join(CHOICES)}, got {name!r}")
    active = name
    return active


@contextmanager
def using(name: str) -> Iterator[str]:
    """``with using("reference"):`` runs the block on the reference kernels, then restores the choice."""
    before = active
    use(name)
    try:
        yield name
    finally:
        use(before)


def reference() -> bool:
    """Whether the ops should run their reference form now."""
    return active == "reference"


use(os.environ.get("CHAINRULE_KERNELS", "fast"))
