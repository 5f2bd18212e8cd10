"""The ``chainrule`` command line: train, eval, predict, lecture, graph, demo, convolve, explore, --version.

Each subcommand is one ``_cmd_*`` function registered in ``_build_parser``; a new command (convolve,
benchmark, ...) adds a ``_add_*`` parser function and a ``_cmd_*`` function. Commands return the
exit status of the one table in ``cli_support`` or raise: ``main`` is the one place that turns an
error into a message and a status (``cli_support.explain``); options are range-checked at parse time
by argparse ``type=`` functions. Whatever happens, the user sees one line on stderr, never a
traceback (``CHAINRULE_TRACEBACK=1`` shows it for a bug report).
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path

from . import __version__
from . import backend as B
from .backend import tune_malloc
from .cli_support import EXPECTED, FAILURE, USAGE, command, explain, int_range, parse_assignments
from .errors import CommandError, UsageError
from .experiments import cli as experiments_cli
from .explore import cli as explore_cli
from .expression import ExpressionError
from .signal import cli as signal_cli
from .train import cli as train_cli
from .viz import GraphvizNotFoundWarning, demo, draw_graph
from .viz.graph import RENDER_FORMATS

__all__ = ["CommandError", "UsageError", "main", "parse_assignments"]  # the errors: where scripts import them


# --- chainrule graph -----------------------------------------------------------------------------


def _add_graph(sub) -> None:
    p = sub.add_parser(
        "graph",
        help="backprop through an expression: value, gradients, trace and a drawing",
        description="Evaluate EXPR at the given values, backpropagate, print f, every df/dvariable "
        "and the trace ([upstream] x [local] = downstream), and draw the graph with -o.",
        epilog='example: chainrule graph "1/(1+exp(-(w0*x0+w1*x1+w2)))" w0=2 x0=-1 w1=-3 x1=-2 '
        "w2=-3 -o sigmoid.svg   (functions: exp log sqrt sigmoid tanh relu abs max min; an "
        'expression that starts with "-" goes after "--")',
    )
    p.add_argument("expr", metavar="EXPR", help="arithmetic expression, e.g. '(x + y) * z'")
    p.add_argument("assignments", metavar="NAME=VALUE", nargs="*", help="a value for each variable")
    p.add_argument("-o", "--output", metavar="FILE", type=_output_file, help="draw the graph: .svg, .png, .pdf or .dot")
    p.add_argument("--no-trace", action="store_true", help="do not print the backward trace")
    p.add_argument(
        "--digits", type=int_range(0, 12), default=2, help="decimals to print, 0 to 12 (default 2, as the slides)"
    )
    command(p, _cmd_graph)


def _cmd_graph(args) -> int:
    values = parse_assignments(args.assignments)
    with B.numpy.errstate(all="ignore"):  # log(-1), 1/0: print nan/inf rather than warnings
        try:
            f, leaves = demo.build(args.expr, values)
        except ExpressionError as err:
            raise UsageError(str(err)) from None
        demo.show(f, leaves, with_trace=not args.no_trace, digits=args.digits)
        if not B.module_of(f._data).isfinite(f._data).all():
            print("note: f is not a finite number here", file=sys.stderr)
        if args.output:
            _draw(f, args.output)
    return 0


def _output_file(path: str) -> str:
    """argparse type of -o: fail at parse time when the drawing could not be written."""
    target = Path(path)
    if target.suffix.lower().lstrip(".") not in ("dot", "gv", *RENDER_FORMATS):
        raise argparse.ArgumentTypeError(f"{path}: use a .svg, .png, .pdf, .dot or .gv file name")
    if not target.parent.is_dir():
        raise argparse.ArgumentTypeError(f"{path}: folder {target.parent} does not exist")
    return path


def _draw(f, path: str) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", GraphvizNotFoundWarning)
        try:
            graph = draw_graph(f)
            written = graph.save(path)
        except (OSError, ValueError, RuntimeError) as err:
            raise CommandError(f"cannot write {path}: {err}") from None
    for w in caught:
        if issubclass(w.category, GraphvizNotFoundWarning):
            print(f"note: {w.message}", file=sys.stderr)
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    if written.suffix.lower() in (".dot", ".gv"):
        print(f"graph source written to {written}")
    else:
        print(f"graph written to {written} (DOT source: {written.with_suffix('.dot')})")


# --- chainrule demo ------------------------------------------------------------------------------


def _add_demo(sub) -> None:
    p = sub.add_parser(
        "demo",
        help="backprop demo: the lecture's worked examples and gradient-flow patterns",
        description="The lecture's two worked backprop examples with their numbers and traces, and "
        "the four gradient-flow patterns (add distributes, mul swaps, copy adds, max routes).",
    )
    command(p, _cmd_demo)


def _cmd_demo(args) -> int:
    demo.run()
    return 0


# --- main ----------------------------------------------------------------------------------------


def _build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="chainrule: backpropagation, convolutional networks and the origin of convolution, on NumPy.",
    )
    parser.add_argument("--version", action="version", version=f"chainrule {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    train_cli.add_parsers(sub)  # train, eval, predict, lecture
    _add_graph(sub)
    _add_demo(sub)
    signal_cli.add_parser(sub)
    experiments_cli.add_parser(sub)  # experiment vanishing | sensitivity | overfit
    explore_cli.add_parser(sub)  # the live page
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``chainrule`` and ``python -m chainrule``; returns the exit status (the table in cli_support)."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as done:  # --help, --version (0) or a usage error argparse has printed (2)
        return done.code if isinstance(done.code, int) else USAGE
    tune_malloc()  # a training process keeps its freed arrays for reuse (backend/memory.py)
    try:
        status = args.func(args)
        sys.stdout.flush()  # a closed pipe shows here, inside the guard, not at interpreter exit
        return status
    except BrokenPipeError:  # the reader went away (| head): nothing left to say, and no one to say it to
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return FAILURE
    except (KeyboardInterrupt, Exception) as err:  # the one handler: one line, never a traceback
        if os.environ.get("CHAINRULE_TRACEBACK") and not isinstance(err, (KeyboardInterrupt, *EXPECTED)):
            raise
        message, status = explain(err, args.prog)
        print(message, file=sys.stderr)
        return status
