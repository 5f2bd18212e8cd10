"""Data-parallel scaling: training throughput with 1 and 2 MPI ranks (1 thread each), and efficiency.

Strong scaling keeps the global batch B (two ranks take B/2 images each per step); weak scaling
keeps each rank's batch (two ranks take 2B per step). Each measurement is its own process group:
a plain process (no MPI, the baseline), ``mpirun -n 1`` and ``mpirun -n 2``, interleaved for
several rounds so a drift in machine load hits all three; medians are reported. A step is the real
one: Trainer.train_step with the DataParallel strategy (one Iallreduce of the flat gradient).

    efficiency = images/s with 2 ranks / (2 x images/s with 1 rank)      (both under mpirun)
    vs plain   = images/s with 2 ranks / (2 x images/s of the plain process)
    CPU eff.   = CPU time per image with 1 rank / of the 2-rank job (all ranks summed)

The plain process is a shaky baseline on glibc: some processes return NumPy's large temporaries to
the kernel and page-fault them in again every step (up to 1.6x slower on the shallow net), which
processes started by mpirun were not seen to do; MALLOC_MMAP_THRESHOLD_=4294967296
MALLOC_TRIM_THRESHOLD_=4294967296 makes a plain process fast every time (docs/distributed.md).

    python benchmarks/distributed_scaling.py                    # shallow and deep, B = 128
    python benchmarks/distributed_scaling.py --nets deep --batch 64 --rounds 5
    python benchmarks/distributed_scaling.py --smoke            # a few steps: checks the script runs
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import mnist_images, parser, thread_env  # noqa: E402


def worker(net: str, batch: int, steps: int, warmup: int, mpi: bool) -> dict:
    """Time ``steps`` global steps of ``batch`` images (after ``warmup``) in this process or rank."""
    import numpy as np

    from chainrule import backend as B
    from chainrule import models, optim
    from chainrule.nn import functional as F
    from chainrule.train import Strategy, Trainer

    B.tune_malloc()  # as the chainrule command does (backend/memory.py)
    comm = None
    if mpi:
        from chainrule import distributed

        comm = distributed.init(timeout=120)
    rank, world = (0, 1) if comm is None else (comm.rank, comm.world)
    total = steps + warmup
    x, y = mnist_images(batch * total)
    B.manual_seed(0)
    model = models.get_model(net)
    strategy = Strategy() if comm is None else distributed.DataParallel(comm)
    trainer = Trainer(
        model, optim.Adam(model.parameters(), lr=1e-3), F.cross_entropy, (x, y), batch_size=batch, strategy=strategy
    )
    strategy.setup(trainer)  # rank 0's weights on every rank, as fit does
    comm_seconds = [0.0]
    if comm is not None:
        reduce = comm.allreduce_

        def timed(buffer, what):
            t = time.perf_counter()
            reduce(buffer, what)
            comm_seconds[0] += time.perf_counter() - t

        comm.allreduce_ = timed
    order = np.arange(len(x))
    started = cpu = 0.0
    for b in range(total):
        if b == warmup:
            if comm is not None:  # start the clock together
                comm.allreduce_(np.zeros(1, np.float32), "start")
            comm_seconds[0], started, cpu = 0.0, time.perf_counter(), time.process_time()
        idx = order[b * batch : (b + 1) * batch][rank::world]
        trainer.batch_in_epoch = b
        trainer.train_step(x[idx], y[idx])
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if comm is not None:  # CPU time of the whole job: every rank's
        cpu = float(comm.allgather([cpu], "cpu time").sum())
    return {
        "images_per_s": steps * batch / seconds,
        "step_ms": 1e3 * seconds / steps,
        "allreduce_ms": 1e3 * comm_seconds[0] / steps,
        "cpu_us_per_image": 1e6 * cpu / (steps * batch),
        "ranks": world,
    }


def measure(kind: str, net: str, batch: int, steps: int, warmup: int) -> dict:
    """``kind``: "plain" (no MPI), "mpi1" or "mpi2"; returns rank 0's numbers."""
    spec = json.dumps({"net": net, "batch": batch, "steps": steps, "warmup": warmup, "mpi": kind != "plain"})
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", spec]
    env = thread_env(1)
    if kind != "plain":
        env.setdefault("OMPI_MCA_rmaps_base_oversubscribe", "1")
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            env.update(OMPI_ALLOW_RUN_AS_ROOT="1", OMPI_ALLOW_RUN_AS_ROOT_CONFIRM="1")
        cmd = ["mpirun", "-n", kind[-1], "--bind-to", "core", *cmd]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError(f"{kind} {net}: worker failed:\n{done.stderr[-2000:]}")
    return json.loads([line for line in done.stdout.splitlines() if line.startswith("{")][0])


def scaling(net: str, batch: int, mode: str, rounds: int, steps: int, warmup: int) -> dict:
    """Medians over ``rounds`` of plain / mpi1 / mpi2, interleaved."""
    runs: dict = {"plain": [], "mpi1": [], "mpi2": []}
    for _ in range(rounds):
        for kind in runs:
            global_batch = batch * 2 if (kind == "mpi2" and mode == "weak") else batch
            runs[kind].append(measure(kind, net, global_batch, steps, warmup))
    med = {k: statistics.median(r["images_per_s"] for r in v) for k, v in runs.items()}
    cpu = {k: statistics.median(r["cpu_us_per_image"] for r in v) for k, v in runs.items()}
    return {
        "net": net,
        "mode": mode,
        "batch": batch,
        **med,
        "cpu_efficiency": cpu["mpi1"] / cpu["mpi2"],
        "speedup": med["mpi2"] / med["mpi1"],
        "efficiency": med["mpi2"] / (2 * med["mpi1"]),
        "vs_plain": med["mpi2"] / (2 * med["plain"]),
        "allreduce_ms": statistics.median(r["allreduce_ms"] for r in runs["mpi2"]),
        "step_ms": statistics.median(r["step_ms"] for r in runs["mpi2"]),
    }


def main() -> int:
    if len(sys.argv) >= 3 and sys.argv[1] == "--worker":
        result = worker(**json.loads(sys.argv[2]))
        if result["ranks"] == 1 or os.environ.get("OMPI_COMM_WORLD_RANK", "0") == "0":
            print(json.dumps(result), flush=True)
        return 0
    p = parser(__doc__, threads=False)  # 1 thread per process, always
    p.add_argument("--nets", nargs="+", default=["shallow", "deep"])
    p.add_argument("--batch", type=int, default=128, help="global batch (strong) / per-rank batch (weak)")
    p.add_argument("--modes", nargs="+", default=["strong", "weak"], choices=("strong", "weak"))
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--steps", type=int, default=100, help="timed steps per process")
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--smoke", action="store_true", help="1 round of 3 steps at batch 16: checks the script runs")
    args = p.parse_args()
    if args.smoke:
        args.rounds, args.steps, args.warmup, args.batch, args.nets = 1, 3, 1, 16, ["shallow"]
    if shutil.which("mpirun") is None:
        print("distributed_scaling: no mpirun on PATH (apt-get install openmpi-bin libopenmpi-dev)", file=sys.stderr)
        return 1
    print(
        f"1 thread per process; {args.rounds} rounds of {args.steps} steps, medians; load average "
        f"{os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs"
    )
    print(
        f"{'net':<8}{'scaling':<8}{'batch':>6}{'1 process':>11}{'mpirun -n 1':>13}{'mpirun -n 2':>13}"
        f"{'speed-up':>10}{'efficiency':>12}{'vs plain':>10}{'CPU eff.':>10}{'step ms':>9}{'allreduce ms':>14}"
    )
    for net in args.nets:
        for mode in args.modes:
            r = scaling(net, args.batch, mode, args.rounds, args.steps, args.warmup)
            batch = f"{r['batch']}" if mode == "strong" else f"{r['batch']}/rk"
            print(
                f"{net:<8}{mode:<8}{batch:>6}{r['plain']:>11.0f}{r['mpi1']:>13.0f}{r['mpi2']:>13.0f}"
                f"{r['speedup']:>9.2f}x{r['efficiency']:>12.0%}{r['vs_plain']:>10.0%}{r['cpu_efficiency']:>10.0%}"
                f"{r['step_ms']:>9.1f}"
                f"{r['allreduce_ms']:>14.2f}",
                flush=True,
            )
    print(
        "images/s of the whole job; speed-up and efficiency: 2 ranks against 1 rank under mpirun; vs plain: "
        "against a process without MPI (see the docstring: glibc's allocator); CPU eff.: CPU time per image, "
        "1 rank / 2 ranks summed (a loaded machine distorts it less than wall-clock time); step and "
        "allreduce ms: 2 ranks"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
