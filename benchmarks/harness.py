"""Side-by-side benchmark harness: each measurement in its own process, A and B interleaved.

A benchmark script defines a ``worker(lib, case, threads, **opts) -> dict`` that runs one
measurement in the current process and returns numbers; ``measure`` runs it in a fresh
interpreter with the thread count pinned (BLAS and PyTorch alike), and ``compare`` alternates
chainrule and PyTorch for several rounds and reports medians and the ratio's spread.

Before a run at 2+ threads, ``check_threads`` times a short calibration in a fresh process (MKL's
and PyTorch's matrix products, and NumPy ufuncs split over chainrule's thread pool, each at 1 and
N threads): on a VM that has lost a core, N threads run no faster and take no more CPU time than
wall time, and the ratios of such a run would mean nothing.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time

_START_ENV = dict(os.environ)  # before chainrule is imported: it sets GOMP_SPINCOUNT for its own libgomp


def thread_env(threads: int) -> dict:
    """The environment of a worker: this script's as it started (PyTorch's workers must not inherit the
    GOMP_SPINCOUNT that chainrule sets in its process), with every thread count pinned."""
    return dict(
        _START_ENV, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
    )


def mnist_images(n: int):
    """The first ``n`` MNIST training images (float32 (n, 1, 28, 28)) and labels (int64) from chainrule's
    cache; without the data, random images of that shape (the time per step is the same either way)."""
    import numpy as np

    try:
        from chainrule.data import load_mnist
        from chainrule.data.transforms import to_float

        x, y = load_mnist("train")
        return to_float(x[:n]), y[:n].astype(np.int64)
    except Exception:
        rng = np.random.default_rng(0)
        return rng.random((n, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, n)


def set_torch_threads(threads: int) -> None:
    import torch

    torch.set_num_threads(threads)


def thread_counts(text: str) -> list[int]:
    """``--threads 1,2,4``: positive thread counts, in the order given."""
    import argparse

    try:
        counts = [int(part) for part in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, got {text!r}") from None
    if not counts or min(counts) < 1:
        raise argparse.ArgumentTypeError(f"must be positive integers separated by commas, got {text!r}")
    return counts


def load_average() -> str:
    """The machine's 1-minute load average and core count, to print beside every figure."""
    try:
        load = os.getloadavg()[0]
    except OSError:
        return "load unknown"
    return f"load {load:.2f} on {os.cpu_count()} CPUs"


def _timed(fn, repeats: int = 5) -> tuple[float, float]:
    """(best wall seconds, CPU seconds of the whole process over that call) of ``fn()``."""
    best, cpu = float("inf"), 0.0
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, used = time.perf_counter() - t0, time.process_time() - c0
        if wall < best:
            best, cpu = wall, used
    return best, cpu


def calibration_worker(threads: int) -> dict:
    """Speed-up and CPU/wall of N threads against 1, for MKL's GEMM (through chainrule), PyTorch's
    GEMM and a NumPy ufunc split over chainrule's pool. Runs in the process ``check_threads`` starts."""
    import numpy as np
    import torch

    import chainrule as cr
    from chainrule.backend import blas
    from chainrule.backend import threads as pool

    rng = np.random.default_rng(0)
    a = rng.standard_normal((1536, 1536), dtype=np.float32)
    ta = torch.from_numpy(a)
    x = rng.standard_normal(1 << 23, dtype=np.float32)
    out = np.empty_like(x)

    def ufuncs():
        def body(lo, hi):
            for _ in range(4):
                np.sqrt(np.abs(x[lo:hi], out=out[lo:hi]), out=out[lo:hi])

        pool.parallel_for(x.size, body)

    work = {"chainrule BLAS " + blas.active: lambda: blas.matmul(a, a), "PyTorch GEMM": lambda: ta @ ta}
    work["NumPy ufuncs on chainrule's pool"] = ufuncs
    result = {}
    for name, fn in work.items():
        timings = []
        for n in (1, threads):
            cr.set_num_threads(n)
            torch.set_num_threads(n)
            fn()  # warm-up: threads started, pages touched
            timings.append(_timed(fn))
        (one, _), (many, cpu) = timings
        result[name] = {"speedup": one / many, "cpu_per_wall": cpu / many}
    return result


def check_threads(threads: int, script: str) -> tuple[bool, str]:
    """Whether ``threads`` threads really run in parallel now, and a line saying what was measured."""
    cmd = [sys.executable, script, "--calibrate", str(threads)]
    done = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True)
    if done.returncode != 0:
        return False, f"thread calibration failed:\n{done.stderr[-2000:]}"
    result = json.loads(done.stdout.strip().splitlines()[-1])
    need = 1 + 0.3 * (threads - 1)  # 2 threads: at least 1.3x faster, and 1.3 CPU-seconds per second
    ok = all(r["speedup"] >= need and r["cpu_per_wall"] >= need for r in result.values())
    parts = [f"{name} {r['speedup']:.2f}x (CPU/wall {r['cpu_per_wall']:.2f})" for name, r in result.items()]
    line = f"calibration at {threads} threads ({load_average()}): " + ", ".join(parts)
    if not ok:
        line += (
            f"\nNOT PARALLEL: {threads} threads do not run in parallel on this machine now (each part must be "
            f"at least {need:.1f}x faster than 1 thread, with as much CPU time per second); a comparison at "
            f"{threads} threads would mean nothing, so none is printed (--skip-check prints it anyway)"
        )
    return ok, line


def measure(script: str, lib: str, case: str, threads: int, opts: dict) -> dict:
    """Run ``script --worker`` once in a new process and return the JSON it prints last."""
    cmd = [sys.executable, script, "--worker", json.dumps({"lib": lib, "case": case, "threads": threads, **opts})]
    done = subprocess.run(cmd, env=thread_env(threads), capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{lib} {case}: worker failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def compare(script: str, case: str, threads: int, rounds: int, key: str, opts: dict) -> dict:
    """Interleave chainrule and PyTorch ``rounds`` times; medians of ``key`` and ratio statistics."""
    ours, theirs, extra = [], [], {"chainrule": [], "torch": []}
    for _ in range(rounds):  # A B A B ...: a drift in machine load hits both sides
        a = measure(script, "chainrule", case, threads, opts)
        b = measure(script, "torch", case, threads, opts)
        ours.append(a[key])
        theirs.append(b[key])
        extra["chainrule"].append(a)
        extra["torch"].append(b)
    ratios = [x / y for x, y in zip(ours, theirs)]
    return {
        "ours": statistics.median(ours),
        "theirs": statistics.median(theirs),
        "ratio": statistics.median(ratios),
        "lo": min(ratios),
        "hi": max(ratios),
        "runs": extra,
    }


def parser(doc: str, threads: bool = True):
    """The benchmark's command line, with the shared ``--threads`` flag."""
    import argparse

    p = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    if threads:
        p.add_argument("--threads", type=int, default=1, help="BLAS / PyTorch threads per process (default 1)")
    return p


def worker_main(argv, worker) -> bool:
    """If ``argv`` asks for a worker run (or the thread calibration), do it, print its JSON and return True."""
    if len(argv) >= 3 and argv[1] == "--calibrate":
        print(json.dumps(calibration_worker(int(argv[2]))))
        return True
    if len(argv) >= 3 and argv[1] == "--worker":
        opts = json.loads(argv[2])
        if opts["lib"] == "torch":
            set_torch_threads(opts["threads"])
        else:  # the pool and the BLAS at N threads; freed temporaries kept for reuse, as the chainrule command does
            import chainrule as cr
            from chainrule.backend import tune_malloc

            cr.set_num_threads(opts["threads"])
            tune_malloc()
        print(json.dumps(worker(**opts)))
        return True
    return False
