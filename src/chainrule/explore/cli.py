"""``chainrule explore [RUN_DIR]``: serve the live page on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from ..cli_support import command, int_range
from ..errors import ChainruleError, CommandError
from .runs import HOW_TO_TRAIN, latest_run, load_run
from .server import make_server


def add_parser(sub) -> None:
    p = sub.add_parser(
        "explore",
        help="the lecture's pictures as a live page: draw a digit, step through backprop, slide a kernel",
        description="Start a local web server for one page with five views (network, backprop, "
        "convolution arithmetic, signal, training) computed by chainrule, on the model of RUN_DIR "
        "(default: the most recent run under runs/). Ctrl-C stops it.",
    )
    p.add_argument("run_dir", metavar="RUN_DIR", nargs="?", help="a chainrule run folder (default: the latest)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1: this machine only)")
    p.add_argument("--port", type=int_range(0, 65535), default=8000, help="port (default 8000; 0 picks a free one)")
    command(p, _cmd_explore)


def pick_run(given: str | None) -> Path | None:
    """RUN_DIR checked to load (CommandError if not), else the latest run under runs/ (None if none)."""
    run_dir = Path(given) if given else latest_run()
    if run_dir is None:
        return None
    if not run_dir.is_dir():
        raise CommandError(f"explore: {run_dir} is not a folder (train one with `chainrule train`)")
    try:
        load_run(run_dir)
    except (ChainruleError, OSError) as err:
        raise CommandError(f"explore: the run folder {run_dir} does not load: {err}") from None
    return run_dir


def _cmd_explore(args) -> int:
    run_dir = pick_run(args.run_dir)
    if run_dir is None:
        print(f"chainrule explore: {HOW_TO_TRAIN}; the backprop, convolution and signal views need no run", flush=True)
    else:
        print(f"chainrule explore: the model of {run_dir}", flush=True)
    try:
        server = make_server(run_dir, args.host, args.port)
    except OSError as err:
        raise CommandError(f"explore: cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    host, port = server.server_address[:2]
    try:  # the URL is printed inside: a Ctrl-C as soon as it shows still ends cleanly
        print(f"chainrule explore: http://{host}:{port}/  (Ctrl-C stops the server)", flush=True)
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nchainrule explore: stopped", flush=True)
    finally:
        server.server_close()
    return 0
