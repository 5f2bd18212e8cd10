"""Which BLAS for chainrule's products: Intel MKL against NumPy's OpenBLAS on the lecture's shapes.

``CHAINRULE_BLAS=auto`` takes MKL on Intel CPUs only; this script is the measurement behind that
rule. Each (shape, BLAS, threads) is timed in its own process, the two libraries interleaved for
several rounds; it prints the medians in microseconds and GFLOP/s, and the ratio MKL / OpenBLAS.

    python benchmarks/blas_choice.py                 # 1 and 2 threads, 3 rounds
    python benchmarks/blas_choice.py --threads 1 --rounds 5
    python benchmarks/blas_choice.py --smoke        # one shape, one round: checks the script runs
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import thread_counts  # noqa: E402

# (m, k, n) of the lecture nets' products at batch 128 (conv as im2col: F x C*kh*kw x Ho*Wo*N;
# fully connected: N x in x out) and the shallow net's conv in inference over 1,000 images
SHAPES = [
    (10, 26, 196 * 128),
    (40, 91, 49 * 128),
    (80, 361, 49 * 128),
    (361, 80, 49 * 128),
    (128, 3920, 50),
    (3920, 128, 50),
    (1000, 1960, 50),
    (10, 26, 196 * 1000),
]


def worker(lib: str, threads: int, m: int, k: int, n: int, repeats: int = 15) -> float:
    """Median microseconds of one (m, k) @ (k, n) float32 product through ``lib``."""
    import numpy as np

    import chainrule as cr
    from chainrule.backend import blas

    blas.use(lib)
    cr.set_num_threads(threads)
    rng = np.random.default_rng(0)
    a, b = rng.random((m, k), dtype=np.float32), rng.random((k, n), dtype=np.float32)
    for _ in range(3):
        blas.matmul(a, b)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        blas.matmul(a, b)
        times.append(time.perf_counter() - t0)
    return statistics.median(times) * 1e6


def main() -> int:
    if len(sys.argv) > 1 and sys.argv[1] == "--worker":
        lib, threads, m, k, n = sys.argv[2], *map(int, sys.argv[3:7])
        print(json.dumps(worker(lib, threads, m, k, n)))
        return 0
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--threads", type=thread_counts, default=[1, 2], help="thread counts, e.g. 1,2 (default)")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--smoke", action="store_true", help="one small shape, one round, one thread")
    args = p.parse_args()
    shapes = [(10, 26, 64)] if args.smoke else SHAPES
    if args.smoke:
        args.rounds, args.threads = 1, [1]
    from chainrule.backend import blas

    try:
        blas.use("mkl")
    except RuntimeError as err:  # MKL missing: the message says how to install it
        print(err, file=sys.stderr)
        return 1
    print(f"CPU: Intel: {blas.intel_cpu()}; auto chooses {'mkl' if blas.intel_cpu() else 'numpy'}")
    for threads in args.threads:
        print(f"\n{threads} thread(s), median of {args.rounds} rounds (us; GFLOP/s)")
        print(f"{'m x k x n':>18}  {'MKL':>16}  {'OpenBLAS':>16}  ratio MKL/OpenBLAS")
        for m, k, n in shapes:
            runs = {"mkl": [], "numpy": []}
            for _ in range(args.rounds):
                for lib in runs:
                    cmd = [sys.executable, __file__, "--worker", lib, str(threads), str(m), str(k), str(n)]
                    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
                    runs[lib].append(json.loads(out.stdout.strip().splitlines()[-1]))
            us = {lib: statistics.median(v) for lib, v in runs.items()}
            gf = {lib: 2 * m * k * n / t / 1e3 for lib, t in us.items()}
            print(
                f"{f'{m}x{k}x{n}':>18}  {us['mkl']:8.0f} ({gf['mkl']:4.0f})  "
                f"{us['numpy']:8.0f} ({gf['numpy']:4.0f})  {us['mkl'] / us['numpy']:.2f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
