"""backend/team.py: NumPy's OpenBLAS's threaded products run on Numba's OpenMP team.

The cases that could hang (jobs that wait on each other, concurrent callers, fork) run in a child
process with a timeout, so a regression fails here instead of stopping the suite."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading

import numpy as np
import pytest

numba = pytest.importorskip("numba")

from chainrule.backend import blas, openblas, threads  # noqa: E402

pytestmark = pytest.mark.skipif(
    openblas.function("set_threads_callback_function") is None or numba.config.NUMBA_NUM_THREADS < 2,
    reason="needs NumPy's OpenBLAS with its threads callback (0.3.27+) and two of Numba's threads",
)


def run_child(code: str, timeout: int = 120) -> str:
    """Run ``code`` in a fresh interpreter (the team installed there at two threads); its stdout."""
    prelude = textwrap.dedent(
        """
        import numpy as np
        import chainrule as cr
        from chainrule.backend import openblas, team
        cr.set_num_threads(2)
        assert team.install(), "the team could not be installed"
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", prelude + textwrap.dedent(code)], capture_output=True, text=True, timeout=timeout
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return out.stdout


def test_threaded_products_give_the_same_bits_on_the_team():
    """Products large enough for OpenBLAS to split, in both dtypes and with transposed operands: the
    same jobs run by other threads, so the same numbers as on OpenBLAS's own threads."""
    out = run_child(
        """
        rng = np.random.default_rng(0)
        cases = []
        for m, k, n in [(600, 600, 600), (1000, 1960, 50), (50, 64, 1960), (361, 80, 3136), (7, 3000, 900)]:
            for dtype in (np.float32, np.float64):
                a, b = rng.standard_normal((m, k)).astype(dtype), rng.standard_normal((n, k)).astype(dtype)
                cases.append((a, b.T))
        with_team = [a @ b for a, b in cases]
        team.uninstall()
        own = [a @ b for a, b in cases]
        print(all(np.array_equal(x, y) for x, y in zip(with_team, own)))
        """
    )
    assert out.split() == ["True"]


def test_products_from_several_threads_take_turns():
    """Four Python threads multiplying at once (NumPy releases the GIL), each its own OpenMP team:
    every result right, nothing hangs. (The callback's lock, which makes them take turns because
    OpenBLAS's scratch buffers are per job slot, is there from OpenBLAS's source; no wrong result
    could be provoked here without it.)"""
    out = run_child(
        """
        import threading
        rng = np.random.default_rng(1)
        pairs = [(rng.standard_normal((400, 500)), rng.standard_normal((500, 300 + 50 * i))) for i in range(4)]
        pairs = [(a.astype(np.float32), b.astype(np.float32)) for a, b in pairs]
        team.uninstall()
        want = [a @ b for a, b in pairs]
        team.install()
        ok = []
        def work(i):
            a, b = pairs[i]
            ok.extend(np.array_equal(a @ b, want[i]) for _ in range(40))
        workers = [threading.Thread(target=work, args=(i,)) for i in range(4)]
        for w in workers: w.start()
        for w in workers: w.join()
        print(len(ok), all(ok))
        """
    )
    assert out.split() == ["160", "True"]


def test_a_forked_child_multiplies_on_openblas_threads():
    """GNU OpenMP does not survive fork: the child gives OpenBLAS its own threads back and multiplies."""
    out = run_child(
        """
        import os
        a = np.random.default_rng(2).standard_normal((500, 500)).astype(np.float32)
        want = a @ a
        pid = os.fork()
        if pid == 0:
            os._exit(0 if np.array_equal(a @ a, want) and not team.installed else 3)
        print(os.waitpid(pid, 0)[1], team.installed, np.array_equal(a @ a, want))
        """
    )
    assert out.split() == ["0", "True", "True"]


def test_more_blas_threads_than_the_team_has_gives_openblas_its_own(restore_threads):
    """A count above Numba's threads would split products into jobs the team cannot run at once:
    setting it uninstalls the team (the products stay right); a count within it brings it back."""
    out = run_child(
        """
        import numba
        a = np.random.default_rng(3).standard_normal((400, 400)).astype(np.float32)
        want = a.astype(np.float64) @ a  # another split may round differently: compared to float64's
        cr.set_num_threads(numba.config.NUMBA_NUM_THREADS + 1)
        ok = np.allclose(a @ a, want, rtol=1e-4, atol=1e-3)
        print(team.installed, ok, team.fits(numba.config.NUMBA_NUM_THREADS + 1))
        from chainrule.backend import compiled
        cr.set_num_threads(2)  # back within the team: the next compiled kernel installs it again
        print(compiled.thread_count(), team.installed, np.allclose(a @ a, want, rtol=1e-4, atol=1e-3))
        """
    )
    assert out.split() == ["False", "True", "False", "2", "True", "True"]


def test_openblas_raised_past_the_team_behind_chainrules_back_runs_a_team_of_that_size():
    """threadpoolctl raising OpenBLAS's count past Numba's threads (no chainrule call sees it) splits
    products into more jobs than Numba's team holds: they run on a GNU OpenMP team of their own size
    (run on too few threads they would wait on each other forever: this hung before), with the same
    bits as OpenBLAS's own threads at that count."""
    out = run_child(
        """
        import numba
        from threadpoolctl import threadpool_limits
        wide = numba.config.NUMBA_NUM_THREADS + 2
        rng = np.random.default_rng(4)
        shapes = [(900, 700, 800), (1000, 1960, 50)]
        cases = [(rng.standard_normal((m, k)), rng.standard_normal((k, n))) for m, k, n in shapes]
        cases = [(a.astype(dtype), b.astype(dtype)) for a, b in cases for dtype in (np.float32, np.float64)]
        with threadpool_limits(limits=wide, user_api="blas"):
            count = openblas.thread_count()
            on_team = [a @ b for a, b in cases]
            installed = team.installed
            team.uninstall()
            own = [a @ b for a, b in cases]
        print(count == wide, installed, all(np.array_equal(x, y) for x, y in zip(on_team, own)))
        """,
        timeout=60,
    )
    assert out.split() == ["True", "True", "True"]


def test_one_thread_products_holds_openblas_at_one_and_restores(restore_threads):
    from chainrule.backend import team

    threads.set_num_threads(2)
    if not team.install():
        pytest.skip("Numba's threading layer here is not OpenMP")
    assert openblas.thread_count() == 2
    with pytest.raises(RuntimeError), team.one_thread_products():
        assert openblas.thread_count() == 1
        raise RuntimeError
    assert openblas.thread_count() == 2 and blas.active in ("numpy", "mkl")
    inside, leave = threading.Event(), threading.Event()

    def other_block():  # a second thread's block, open across the end of the first one
        with team.one_thread_products():
            inside.set()
            leave.wait(10)

    other = threading.Thread(target=other_block)
    with team.one_thread_products():
        other.start()
        assert inside.wait(10)
    assert openblas.thread_count() == 1  # the other block is still open
    leave.set()
    other.join(10)
    assert openblas.thread_count() == 2


def test_install_declines_where_jobs_could_share_a_thread(monkeypatch):
    """OMP_DYNAMIC lets OpenMP give a region fewer threads than asked: then two jobs could share one."""
    from chainrule.backend import team

    was = team.installed
    team.uninstall()
    try:
        monkeypatch.setenv("OMP_DYNAMIC", "true")
        assert not team.install() and not team.installed and "OMP_DYNAMIC" in team.refused
        monkeypatch.delenv("OMP_DYNAMIC")
        assert team.install() == (numba.threading_layer() == "omp")
    finally:
        team.install() if was else team.uninstall()
    a = np.ones((300, 300), np.float32)
    assert np.array_equal(a @ a, np.full((300, 300), 300, np.float32))
