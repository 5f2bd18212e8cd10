"""Round trip of the explore page's main request: a drawn digit -> prediction and every layer's activations.

Starts ``chainrule explore RUN_DIR --port 0`` in a subprocess on one core (``taskset -c 0`` where
there is one, and OMP/MKL/OpenBLAS threads 1, which chainrule's thread pool follows), sends the
``network/forward`` request of a 112x112 drawing (what the page sends while drawing: the server
prepares it as MNIST was, runs the deep net and returns every activation) N times, one at a time,
and prints p50/p95/max latency and the server's resident memory after 0, N/2 and N requests.
The target (issue 16): p95 under 50 ms, memory flat. Without ``--run`` it trains a tiny deep-net run
first (a few seconds: the weights' values do not change the cost).

    python benchmarks/explore_latency.py [--run RUN_DIR] [-n 1000] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np


def tiny_deep_run(folder: Path) -> Path:
    from chainrule.train import TrainConfig, train

    config = TrainConfig(
        model="deep", epochs=1, limit=500, val_fraction=0.0, out=str(folder), plots=False, progress=False
    )
    train(config, log=lambda line: None)
    return folder


def drawing(size: int = 112) -> dict:
    """A "7" as the page sends it: ink opacities 0..255, row by row."""
    pad = np.zeros((size, size), np.uint8)
    for t in np.linspace(0, 1, 300):
        if t < 0.4:
            y, x = 20, int(25 + 150 * t)
        else:
            y, x = int(20 + 130 * (t - 0.4)), int(85 - 50 * (t - 0.4))
        pad[max(y - 5, 0) : y + 5, max(x - 5, 0) : x + 5] = 255
    return {"pixels": pad.reshape(-1).tolist(), "width": size, "height": size}


def start_server(run_dir: Path) -> tuple[subprocess.Popen, str]:
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "chainrule", "explore", str(run_dir), "--port", "0"]
    if shutil.which("taskset"):
        command = ["taskset", "-c", "0", *command]
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    for line in proc.stdout:
        if "http://" in line:
            return proc, line.split()[2]
    raise SystemExit(f"the server did not start (exit {proc.wait()})")


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def post(url: str, body: bytes) -> dict:
    request = urllib.request.Request(url + "api/network/forward", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--run", type=Path, help="a deep-net run folder (default: train a tiny one)")
    parser.add_argument("-n", type=int, default=1000, help="requests (default 1000)")
    parser.add_argument("--smoke", action="store_true", help="50 requests: the script works")
    args = parser.parse_args()
    n = 50 if args.smoke else args.n
    with tempfile.TemporaryDirectory() as tmp:
        run_dir = args.run or tiny_deep_run(Path(tmp) / "run")
        proc, url = start_server(run_dir)
        try:
            body = json.dumps(drawing()).encode()
            answer = post(url, body)  # warm-up: loads the model
            layers = answer["layers"]
            print(f"server {url} on {run_dir}: {len(layers)} layers, {len(body):,} request bytes")
            memory = {0: rss_mib(proc.pid)}
            times = []
            for i in range(1, n + 1):
                started = time.perf_counter()
                post(url, body)
                times.append((time.perf_counter() - started) * 1e3)
                if i in (n // 2, n):
                    memory[i] = rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(timeout=20)
    times.sort()
    p95 = times[min(len(times) - 1, int(0.95 * len(times)))]
    print(f"draw -> prediction + all activations, {n} requests, one core:")
    print(f"  p50 {statistics.median(times):.1f} ms   p95 {p95:.1f} ms   max {times[-1]:.1f} ms   (target p95 < 50 ms)")
    print("  server RSS: " + "   ".join(f"after {k}: {v:.1f} MiB" for k, v in memory.items()))


if __name__ == "__main__":
    main()
