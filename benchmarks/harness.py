"""Side-by-side benchmark harness: each measurement in its own process, A and B interleaved.

A benchmark script defines a ``worker(lib, case, threads, **opts) -> dict`` that runs one
measurement in the current process and returns numbers; ``measure`` runs it in a fresh
interpreter with the thread count pinned (BLAS and PyTorch alike), and ``compare`` alternates
chainrule and PyTorch for several rounds and reports medians and the ratio's spread.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys


def thread_env(threads: int) -> dict:
    return dict(
        os.environ, OMP_NUM_THREADS=str(threads), OPENBLAS_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads)
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
    """If ``argv`` asks for a worker run, do it, print its JSON and return True."""
    if len(argv) >= 3 and argv[1] == "--worker":
        opts = json.loads(argv[2])
        if opts["lib"] == "torch":
            set_torch_threads(opts["threads"])
        else:  # freed temporaries kept for reuse, as the chainrule command does (backend/memory.py)
            from chainrule.backend import tune_malloc

            tune_malloc()
        print(json.dumps(worker(**opts)))
        return True
    return False
