"""conv2d and max_pool2d, forward + backward, chainrule against PyTorch side by side.

Each measurement runs in its own process (fresh interpreter, pinned thread count); chainrule and
PyTorch alternate (A B A B ...) for ``--repeats`` rounds, and the table gives the median time per
call and the median ratio chainrule / PyTorch with its spread (min..max over the rounds).

    python benchmarks/ops_vs_torch.py                 # 1 thread, batch 64 and 128, 5 rounds
    python benchmarks/ops_vs_torch.py --threads 2
    python benchmarks/ops_vs_torch.py --smoke         # a few calls, to check the script runs
"""

from __future__ import annotations

import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import compare, parser, worker_main  # noqa: E402

# name: (input shape without batch, op, op arguments) -- the lecture's conv layers, and pooling
CASES = {
    "conv1 1->10 5x5 s2 p2": ((1, 28, 28), "conv", dict(out=10, k=5, stride=2, padding=2)),
    "conv2 10->40 3x3 s2 p1": ((10, 14, 14), "conv", dict(out=40, k=3, stride=2, padding=1)),
    "conv3 40->80 3x3 s1 p1": ((40, 7, 7), "conv", dict(out=80, k=3, stride=1, padding=1)),
    "maxpool 10x28x28 2x2": ((10, 28, 28), "maxpool", dict(k=2)),
    "maxpool 40x14x14 2x2": ((40, 14, 14), "maxpool", dict(k=2)),
}


def build(lib: str, case: str, batch: int):
    """A closure running one forward + backward of the case, on float32 inputs."""
    import numpy as np

    shape, op, kw = CASES[case]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((batch, *shape)).astype(np.float32)
    w = rng.standard_normal((kw.get("out", 1), shape[0], kw["k"], kw["k"])).astype(np.float32) * 0.1
    b = np.zeros(kw.get("out", 1), np.float32)
    if lib == "torch":
        import torch
        import torch.nn.functional as F

        tx, tw, tb = (torch.tensor(a, requires_grad=True) for a in (x, w, b))

        def run():
            out = F.conv2d(tx, tw, tb, kw["stride"], kw["padding"]) if op == "conv" else F.max_pool2d(tx, kw["k"])
            out.backward(torch.ones_like(out))
    else:
        import chainrule as cr
        from chainrule.ops.conv import conv2d
        from chainrule.ops.pool import max_pool2d

        cx, cw, cb = (cr.tensor(a, requires_grad=True) for a in (x, w, b))

        def run():
            out = conv2d(cx, cw, cb, kw["stride"], kw["padding"]) if op == "conv" else max_pool2d(cx, kw["k"])
            out.backward(np.ones(out.shape, np.float32))

    return run


def worker(lib: str, case: str, threads: int, batch: int, calls: int) -> dict:
    run = build(lib, case, batch)
    for _ in range(max(2, calls // 5)):  # warm-up
        run()
    times = []
    for _ in range(calls):
        t0 = time.perf_counter()
        run()
        times.append(time.perf_counter() - t0)
    return {"median_s": statistics.median(times)}


def main(argv=None) -> int:
    argv = sys.argv if argv is None else [__file__, *argv]
    if worker_main(argv, worker):
        return 0
    p = parser(__doc__)
    p.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    p.add_argument("--repeats", type=int, default=5, help="rounds of A/B processes per case")
    p.add_argument("--calls", type=int, default=30, help="timed calls per process")
    p.add_argument("--smoke", action="store_true", help="1 round, 2 calls, batch 8: checks the script runs")
    args = p.parse_args(argv[1:])
    if args.smoke:
        args.repeats, args.calls, args.batch = 1, 2, [8]
    print(
        f"forward+backward per call, float32, {args.threads} thread(s), median of {args.repeats} "
        f"rounds x {args.calls} calls; ratio = chainrule / PyTorch (lower is faster)"
    )
    print(f"{'case':<26}{'batch':>6}{'chainrule ms':>14}{'torch ms':>10}{'ratio':>8}  spread")
    for case in CASES:
        for batch in args.batch:
            r = compare(__file__, case, args.threads, args.repeats, "median_s", {"batch": batch, "calls": args.calls})
            print(
                f"{case:<26}{batch:>6}{r['ours'] * 1e3:>14.2f}{r['theirs'] * 1e3:>10.2f}{r['ratio']:>8.2f}"
                f"  {r['lo']:.2f}..{r['hi']:.2f}",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
