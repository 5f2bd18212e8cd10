"""chainrule.backend.threads: the default count (topology, environment), set/get with the BLAS, the
pool (blocks, nesting, errors, one loop at a time) and per-rank sharing."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import chainrule as cr
from chainrule.backend import blas, threads


def _topology(root, cpus: dict[int, tuple[int, int]]):
    """A fake sysfs: cpu<i>/topology/{physical_package_id, core_id}."""
    for cpu, (package, core) in cpus.items():
        folder = root / f"cpu{cpu}" / "topology"
        folder.mkdir(parents=True)
        (folder / "physical_package_id").write_text(f"{package}\n")
        (folder / "core_id").write_text(f"{core}\n")
    return str(root)


def test_physical_cores_count_hyperthread_siblings_once(tmp_path):
    # 2 packages x 2 cores x 2 hyperthreads: cpus 0-3 on package 0, 4-7 on package 1
    sysfs = _topology(tmp_path, {i: (i // 4, (i % 4) // 2) for i in range(8)})
    assert threads.physical_cores(range(8), sysfs=sysfs) == 4
    assert threads.physical_cores([0, 1], sysfs=sysfs) == 1  # one core's two siblings
    assert threads.physical_cores([0, 2, 4], sysfs=sysfs) == 3  # the affinity decides


def test_physical_cores_falls_back_to_cpuinfo_then_to_cpu_count(tmp_path):
    cpuinfo = tmp_path / "cpuinfo"
    blocks = [f"processor\t: {i}\nphysical id\t: 0\ncore id\t\t: {i // 2}\nflags\t: avx" for i in range(4)]
    cpuinfo.write_text("\n\n".join(blocks) + "\n")
    missing = str(tmp_path / "no-sysfs")
    assert threads.physical_cores(range(4), sysfs=missing, cpuinfo=str(cpuinfo)) == 2
    assert threads.physical_cores(range(3), sysfs=missing, cpuinfo=str(tmp_path / "none")) == 3


def test_env_threads_as_pytorch_reads_them():
    assert threads.env_threads({}) is None
    assert threads.env_threads({"OMP_NUM_THREADS": "3"}) == 3
    assert threads.env_threads({"OMP_NUM_THREADS": "4,2"}) == 4  # OpenMP's nested list: the outer level
    assert threads.env_threads({"MKL_NUM_THREADS": "2"}) == 2
    assert threads.env_threads({"OMP_NUM_THREADS": "5", "MKL_NUM_THREADS": "2"}) == 5
    assert threads.env_threads({"OMP_NUM_THREADS": "0"}) is None  # nonsense is ignored
    assert threads.env_threads({"OMP_NUM_THREADS": "many", "MKL_NUM_THREADS": "2"}) == 2
    assert threads.default_threads({"OMP_NUM_THREADS": "7"}) == 7


def test_default_is_the_environment_or_the_physical_cores(monkeypatch, restore_threads):
    monkeypatch.setattr(threads, "physical_cores", lambda *a, **k: 6)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.delenv("MKL_NUM_THREADS", raising=False)
    threads._num_threads = None
    assert cr.get_num_threads() == 6
    monkeypatch.setenv("OMP_NUM_THREADS", "3")
    threads._num_threads = None
    assert cr.get_num_threads() == 3 and threads._explicit


def test_set_get_round_trip_sets_the_blas_too(monkeypatch, restore_threads):
    calls = []
    monkeypatch.setattr(blas, "set_threads", calls.append)
    cr.set_num_threads(3)
    assert cr.get_num_threads() == 3 and calls == [3]
    for bad in (0, -1, 1.5, True, "2"):
        with pytest.raises(ValueError, match="positive integer"):
            cr.set_num_threads(bad)
    assert cr.get_num_threads() == 3


_REACHES_MKL = """
import chainrule as cr
from chainrule.backend import blas
assert blas.active == "mkl", blas.active
cr.set_num_threads(2)
assert blas.mkl_threads() in (1, 2), blas.mkl_threads()  # 1 when MKL was loaded with its sequential layer
with blas.single_threaded():
    assert blas.mkl_threads() == 1
cr.set_num_threads(1)
assert blas.mkl_threads() == 1
print("ok")
"""


def test_set_num_threads_reaches_mkl():
    """In a process of its own with MKL asked for by name ("auto" loads it on Intel CPUs only):
    loading it in this one would leave the pool's workers without their one-thread MKL setting."""
    if blas._find_mkl() is None:
        pytest.skip("MKL is not installed here")
    chosen = ("OMP_NUM_THREADS", "MKL_NUM_THREADS")
    env = {k: v for k, v in os.environ.items() if k not in chosen} | {"CHAINRULE_BLAS": "mkl"}
    done = subprocess.run([sys.executable, "-c", _REACHES_MKL], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr[-2000:]


def test_blocks_cover_the_range_in_order():
    assert threads.blocks(10, 3) == [(0, 4), (4, 7), (7, 10)]
    assert threads.blocks(2, 5) == [(0, 1), (1, 2)]
    assert threads.blocks(0, 4) == []


def test_parallel_for_covers_the_range_once_with_threads_running_at_once(restore_threads):
    cr.set_num_threads(3)
    seen, names = [], set()
    together = threading.Barrier(3, timeout=10)  # passes only when three threads run chunks at once

    def body(a, b):
        seen.append((a, b, threads.in_parallel_region()))
        names.add(threading.current_thread().name)
        together.wait()

    threads.parallel_for(6, body, min_block=2)
    assert sorted(seen) == [(0, 2, True), (2, 4, True), (4, 6, True)] and len(names) == 3
    assert not threads.in_parallel_region()
    seen.clear()
    threads.parallel_for(1000, lambda a, b: seen.append((a, b, True)))
    assert sorted(seen) == [(a, b, True) for a, b in threads.blocks(1000, 3 * threads.CHUNKS_PER_THREAD)]
    seen.clear()
    threads.parallel_for(9, lambda a, b: seen.append((a, b, threads.in_parallel_region())), min_block=5)
    assert seen == [(0, 9, False)]  # 9 // 5: one chunk, inline (a loop inside may split)


def test_a_worker_that_never_wakes_costs_nothing(restore_threads, monkeypatch):
    cr.set_num_threads(2)
    threads.parallel_for(2, lambda a, b: None)  # the worker exists
    lost = type("LostQueue", (), {"put": lambda self, loop: None})()
    monkeypatch.setattr(threads._workers[0], "loops", lost)  # its hand-off never arrives
    seen = []
    threads.parallel_for(8, lambda a, b: seen.append(threading.current_thread().name))
    assert len(seen) == 2 * threads.CHUNKS_PER_THREAD  # every chunk, all run by the caller
    assert set(seen) == {threading.current_thread().name}


def test_nested_loops_run_inline_and_blas_is_single_threaded_inside(restore_threads):
    cr.set_num_threads(2)
    inner, mkl = [], []

    def body(a, b):
        threads.parallel_for(4, lambda c, d: inner.append((threading.current_thread().name, c, d)))
        mkl.append(blas.mkl_threads())

    threads.parallel_for(2, body)
    assert sorted((c, d) for _, c, d in inner) == [(0, 4), (0, 4)]  # each inner loop whole, inline
    assert all(name == threading.current_thread().name or name.startswith("chainrule") for name, _, _ in inner)
    if blas._mkl is not None:
        assert mkl == [1, 1]


def test_a_second_caller_runs_inline_while_the_pool_is_busy(restore_threads):
    cr.set_num_threads(2)
    started, release, results = threading.Event(), threading.Event(), []

    def slow(a, b):
        started.set()
        release.wait(5)

    outer = threading.Thread(target=threads.parallel_for, args=(2, slow))
    outer.start()
    started.wait(5)
    threads.parallel_for(6, lambda a, b: results.append((threading.current_thread().name, a, b)))
    release.set()
    outer.join(5)
    assert [(a, b) for _, a, b in results] == [(0, 6)]  # the oversubscription guard: no second pool


def test_errors_in_any_block_reach_the_caller_and_the_pool_recovers(restore_threads):
    cr.set_num_threads(2)

    def body(a, b):
        if a > 0:
            raise KeyError(f"block {a}")

    with pytest.raises(KeyError, match="block [1-3]"):
        threads.parallel_for(4, body)
    out = np.zeros(8)
    threads.parallel_for(8, lambda a, b: out.__setitem__(slice(a, b), 1))
    assert out.sum() == 8


def test_share_cores_divides_among_ranks_unless_chosen(monkeypatch, restore_threads):
    calls = []
    monkeypatch.setattr(blas, "set_threads", calls.append)
    monkeypatch.setattr(threads, "physical_cores", lambda *a, **k: 8)
    threads._num_threads, threads._explicit = 8, False
    assert threads.share_cores(2) == 4 and calls == [4]
    assert threads.share_cores(16) == 1  # never below one
    cr.set_num_threads(3)
    assert threads.share_cores(2) == 3  # chosen by the user: kept
