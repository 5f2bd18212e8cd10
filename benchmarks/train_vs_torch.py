"""Training the lecture's CNNs, chainrule against PyTorch: seconds per epoch, inference, memory, overhead.

Same data (MNIST from chainrule's cache when it is there, else random images of MNIST's shape),
same network, batch, optimizer (Adam 1e-3) and thread count; each measurement in its own process,
chainrule and PyTorch interleaved for several rounds. An epoch is 60,000 images: the time of
``--steps`` training steps after a warm-up, scaled to an epoch (``--full-epoch`` times a real one).
Inference: images per second in eval mode without autograd, 1,000 images a call, 10 calls a window,
the median of three windows, right after the training steps in the same process.

    python benchmarks/train_vs_torch.py                   # 1 thread, shallow and deep, batch 64 and 128
    python benchmarks/train_vs_torch.py --threads 2
    python benchmarks/train_vs_torch.py --threads 1,2     # a scaling table: each count in turn

At 2+ threads a short calibration first checks that the threads really run in parallel (see
harness.check_threads); if they do not, that count's comparison is not printed.
    python benchmarks/train_vs_torch.py --smoke           # a few steps: checks the script runs
"""

from __future__ import annotations

import os
import resource
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import (  # noqa: E402
    check_threads,
    compare,
    load_average,
    mnist_images,
    parser,
    thread_counts,
    worker_main,
)

EPOCH = 60_000
INFER_WINDOWS = 3  # inference timed in this many windows of 10 calls, the median kept: one window (30 ms)
# moved 20-30% between processes on a shared VM, for both libraries


def torch_net(name: str):
    import torch.nn as nn

    layers = [nn.Conv2d(1, 10, 5, 2, 2), nn.ReLU()]
    if name == "deep":
        layers += [nn.Conv2d(10, 40, 3, 2, 1), nn.ReLU(), nn.Conv2d(40, 80, 3, 1, 1), nn.ReLU()]
    width = 1960 if name == "shallow" else 3920
    return nn.Sequential(*layers, nn.Flatten(), nn.Linear(width, 50), nn.ReLU(), nn.Linear(50, 10))


def train_step_fn(lib: str, net: str, device: str = "cpu"):
    """(place(array), step(x, y), infer(x), sync()) for one library: ``place`` puts a host array on
    ``device`` once (the batches are slices of it), ``sync`` waits for the GPU."""
    if lib == "torch":
        import torch

        model = torch_net(net).to(device)
        opt = torch.optim.Adam(model.parameters(), lr=1e-3)

        def step(x, y):
            opt.zero_grad()
            loss = torch.nn.functional.cross_entropy(model(x), y)
            loss.backward()
            opt.step()

        def infer(x):
            with torch.no_grad():
                model.eval()
                return model(x)

        def sync():
            if device != "cpu":
                torch.cuda.synchronize()

        return (lambda a: torch.from_numpy(a).to(device)), step, infer, sync
    import chainrule as cr
    import chainrule.nn.functional as F

    model = cr.models.get_model(net).to(device)
    opt = cr.optim.Adam(model.parameters(), lr=1e-3)

    def step(x, y):
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        opt.step()

    def infer(x):
        with cr.no_grad():
            model.eval()
            return model(x)

    def sync():
        if device != "cpu":
            cr.backend.devices.cupy().cuda.Device().synchronize()

    return (lambda a: cr.tensor(a, device=device)), step, infer, sync  # batches: views of it, as torch's


def overhead_worker(lib: str, device: str = "cpu", n_ops: int = 2000) -> float:
    """Microseconds per op of a chain of small ops (forward + backward): the engine's own cost."""
    import numpy as np

    if lib == "torch":
        import torch

        x = torch.tensor(np.ones(8, np.float32), requires_grad=True, device=device)
        sync = torch.cuda.synchronize if device != "cpu" else (lambda: None)
    else:
        import chainrule as cr

        x = cr.tensor(np.ones(8, np.float32), requires_grad=True, device=device)
        sync = cr.backend.devices.cupy().cuda.Device().synchronize if device != "cpu" else (lambda: None)
    best = float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        h = x
        for _ in range(n_ops // 2):
            h = h * 1.0001 + 0.5
        h.sum().backward()
        sync()
        best = min(best, time.perf_counter() - t0)
    return best / n_ops * 1e6


def worker(lib: str, case: str, threads: int, steps: int, full_epoch: bool, device: str = "cpu") -> dict:
    if case == "overhead":
        return {"us_per_op": overhead_worker(lib, device)}
    net, batch = case.split("/")
    batch = int(batch)
    n = EPOCH if full_epoch else min(EPOCH, batch * (steps + 20))
    x, y = mnist_images(n)
    place, step, infer, sync = train_step_fn(lib, net, device)
    x, y = place(x), place(y)  # the data set in the device's memory, as a DataLoader would stage it
    for i in range(10):  # warm-up: first calls allocate and fill caches
        step(x[i * batch : (i + 1) * batch], y[i * batch : (i + 1) * batch])
    sync()
    count = n // batch if full_epoch else steps
    t0 = time.perf_counter()
    for i in range(count):
        j = (i % (n // batch)) * batch
        step(x[j : j + batch], y[j : j + batch])
    sync()
    seconds = (time.perf_counter() - t0) / count * (EPOCH / batch)
    infer(x[:1000])
    sync()
    rates = []  # images per second over 10 calls of 1,000 images (at most), median of INFER_WINDOWS such windows
    for _ in range(INFER_WINDOWS):
        t0 = time.perf_counter()
        for i in range(0, min(n, 10_000), 1000):
            infer(x[i : i + 1000])
        sync()
        rates.append(min(n, 10_000) / (time.perf_counter() - t0))
    infer_rate = statistics.median(rates)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"epoch_s": seconds, "infer_img_s": infer_rate, "rss_mb": rss_mb}


def main(argv=None) -> int:
    argv = sys.argv if argv is None else [__file__, *argv]
    if worker_main(argv, worker):
        return 0
    p = parser(__doc__, threads=False)
    p.add_argument("--threads", type=thread_counts, default=[1], help="threads per process, or a list: 1,2 (default 1)")
    p.add_argument("--skip-check", action="store_true", help="compare at 2+ threads even if the calibration fails")
    p.add_argument("--nets", nargs="+", default=["shallow", "deep"])
    p.add_argument("--batch", type=int, nargs="+", default=[64, 128])
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=120, help="timed training steps per process")
    p.add_argument("--full-epoch", action="store_true", help="time a whole epoch instead of --steps steps")
    p.add_argument("--smoke", action="store_true", help="1 round of 3 steps at batch 16: checks the script runs")
    p.add_argument("--device", default="cpu", help="cpu (default) or cuda: both libraries on the same GPU")
    args = p.parse_args(argv[1:])
    if args.smoke:
        args.rounds, args.steps, args.batch = 1, 3, [16]
    opts = {"steps": args.steps, "full_epoch": args.full_epoch, "device": args.device}
    from chainrule.backend import blas

    if args.device == "cpu":
        print(f"chainrule's matrix products: {blas.describe()} (CHAINRULE_BLAS=numpy for NumPy's own)")
    else:
        print(f"device {args.device}: both libraries on the same GPU; the data set is staged in GPU memory")
    for threads in args.threads:
        check = threads > 1 and args.device == "cpu"
        if check:
            ok, line = check_threads(threads, __file__)
            print(line, flush=True)
            if not ok and not args.skip_check:
                continue
        _table(args, threads, opts)
        if check:  # the second core can go during the run, too
            ok, line = check_threads(threads, __file__)
            print(line.replace("calibration", "calibration after the table", 1), flush=True)
            if not ok:
                print(
                    f"the {threads} threads stopped running in parallel during the run: the table above means nothing"
                )
    return 0


def _table(args, threads: int, opts: dict) -> None:
    """The comparison at one thread count: training, inference, memory, then the engine's overhead."""
    print(
        f"\nseconds per epoch of {EPOCH:,} images (Adam, float32), {threads} thread(s), median of "
        f"{args.rounds} interleaved rounds; ratio = chainrule / PyTorch (lower is faster); {load_average()}"
    )
    print(
        f"{'net/batch':<14}{'chainrule s':>12}{'torch s':>9}{'ratio':>7}  {'spread':<11}"
        f"{'infer img/s c/t':>18}{'peak RSS MB c/t':>18}"
    )
    for net in args.nets:
        for batch in args.batch:
            case = f"{net}/{batch}"
            r = compare(__file__, case, threads, args.rounds, "epoch_s", opts)
            med = {
                lib: {k: statistics.median(run[k] for run in runs) for k in ("infer_img_s", "rss_mb")}
                for lib, runs in r["runs"].items()
            }
            c, t = med["chainrule"], med["torch"]
            print(
                f"{case:<14}{r['ours']:>12.2f}{r['theirs']:>9.2f}{r['ratio']:>7.2f}  {r['lo']:.2f}..{r['hi']:.2f}  "
                f"{c['infer_img_s']:>8.0f}/{t['infer_img_s']:<8.0f} {c['rss_mb']:>7.0f}/{t['rss_mb']:<7.0f}",
                flush=True,
            )
    r = compare(__file__, "overhead", threads, args.rounds, "us_per_op", opts)
    print(
        f"engine overhead, chain of small ops (forward + backward): chainrule {r['ours']:.1f} us/op, "
        f"PyTorch {r['theirs']:.1f} us/op, ratio {r['ratio']:.2f}; {load_average()}"
    )


if __name__ == "__main__":
    sys.exit(main())
