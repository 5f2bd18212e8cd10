"""``chainrule explore [RUN_DIR]``: serve the live page on 127.0.0.1 until Ctrl-C."""

from __future__ import annotations

from pathlib import Path

from ..cli_support import command, int_range
from ..errors import CommandError
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


def _cmd_explore(args) -> int:
    run_dir = Path(args.run_dir) if args.run_dir else None
    if run_dir is not None and not run_dir.is_dir():
        raise CommandError(f"explore: {run_dir} is not a folder (train one with `chainrule train`)")
    try:
        server = make_server(run_dir, args.host, args.port)
    except OSError as err:
        raise CommandError(f"explore: cannot listen on {args.host}:{args.port}: {err.strerror or err}") from None
    host, port = server.server_address[:2]
    print(f"chainrule explore: http://{host}:{port}/  (Ctrl-C stops the server)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("\nchainrule explore: stopped", flush=True)
    finally:
        server.server_close()
    return 0
