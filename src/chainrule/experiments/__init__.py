"""Experiments that make the lecture's closing warnings visible and measurable.

- ``vanishing``: gradients that vanish through a deep sigmoid stack, and ReLU + He init that keeps them;
- ``sensitivity``: initialisation x learning rate x optimizer on the shallow network, divergence included;
- ``overfit``: the deep network on 1,000 images, with and without regularisation.

Each ``run(quick=False, out=None, seed=0, ...)`` prints a summary, writes PNGs, ``report.md`` and
``summary.json`` into its run folder, and returns the summary. ``chainrule experiment NAME``
runs them from the command line.
"""

from . import common, overfit, sensitivity, vanishing

EXPERIMENTS = {"vanishing": vanishing, "sensitivity": sensitivity, "overfit": overfit}

__all__ = ["EXPERIMENTS", "common", "overfit", "sensitivity", "vanishing"]
