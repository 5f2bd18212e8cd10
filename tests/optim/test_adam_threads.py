"""Adam's fast form (one parallel pass over all parameters) against its reference form: bit for bit,
at 1 and 2 threads, with every option, across parameter boundaries and piece boundaries."""

from __future__ import annotations

import numpy as np
import pytest

import chainrule as cr
from chainrule.backend import compiled, kernels
from chainrule.optim import adam

SHAPES = [(600, 500), (7,), (3, 40, 3, 3), (250_001,)]  # > _FAST_MIN, 2 x _MIN_BLOCK: blocks and pieces split


def _train(options: dict, mode: str, n_threads: int, dtype=np.float32, steps: int = 3) -> list[np.ndarray]:
    cr.set_num_threads(n_threads)
    rng = np.random.default_rng(0)
    params = [cr.tensor(rng.standard_normal(s).astype(dtype), requires_grad=True) for s in SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in SHAPES] for _ in range(steps)]
    for g in grads:
        g[1][:] = 0  # a parameter whose moments only decay: the flush runs on it
    cls = options.pop("cls", cr.optim.Adam)
    opt = cls(params, lr=1e-2, **options)
    with kernels.using(mode):
        for step in grads:
            for p, g in zip(params, step):
                p.grad = cr.tensor(g)
            opt.step()
    state = [opt.state[p][k] for p in params for k in sorted(opt.state[p]) if k != "step"]
    return [p.detach().numpy().copy() for p in params] + state


OPTIONS = [
    {},
    {"weight_decay": 0.1},
    {"weight_decay": 0.1, "maximize": True},
    {"maximize": True},
    {"amsgrad": True, "betas": (0.5, 0.9)},
    {"cls": cr.optim.AdamW, "weight_decay": 0.05},
    {"cls": cr.optim.AdamW, "weight_decay": 100.0},  # lr * wd = 1: the decay factor is 0, not "none"
    {"betas": (0.2, 0.999)},  # lerp weight 0.8: torch's other branch
]


@pytest.mark.parametrize("use_compiled", [False, True], ids=["numpy", "compiled"])
@pytest.mark.parametrize("options", OPTIONS, ids=lambda o: ",".join(f"{k}" for k in o) or "default")
def test_fast_form_equals_reference_bitwise_at_1_and_2_threads(options, use_compiled, restore_threads, monkeypatch):
    runs = []
    monkeypatch.setattr(adam, "_run_jobs", lambda jobs, real=adam._run_jobs: runs.append(len(jobs)) or real(jobs))
    want = _train(dict(options), "reference", 1)
    assert runs == []
    for n in (1, 2):
        with compiled.using(use_compiled):
            got = _train(dict(options), "fast", n)
        assert len(got) == len(want)
        for a, b in zip(got, want):
            np.testing.assert_array_equal(a, b)
    assert runs == [len(SHAPES)] * 6  # 3 steps x (1, 2 threads), every parameter in one pass


def test_small_models_step_with_the_reference_form(monkeypatch):
    """Without the compiled kernels (with them, every model takes the compiled pass)."""
    monkeypatch.setattr(adam, "_run_jobs", lambda jobs: pytest.fail("the fast form ran on 1,000 weights"))
    p = cr.tensor(np.ones(1000, np.float32), requires_grad=True)
    opt = cr.optim.Adam([p])
    p.grad = cr.tensor(np.ones(1000, np.float32))
    with compiled.using(False):
        opt.step()
    assert opt.state[p]["step"] == 1


def test_fast_form_float64_and_a_fortran_parameter_fall_back(restore_threads):
    want = _train({}, "reference", 1, dtype=np.float64)
    got = _train({}, "fast", 2, dtype=np.float64)
    for a, b in zip(got, want):
        np.testing.assert_array_equal(a, b)
    w = np.ones((3, 4), np.float32)
    assert adam._fits_fast(w, w, {}, {})
    assert not adam._fits_fast(w, w.T.copy().T, {}, {})  # a grad not C-contiguous: the reference code steps it
    assert not adam._fits_fast(w, w.astype(np.float64), {}, {})


@pytest.mark.parametrize("use_compiled", [False, True], ids=["numpy", "compiled"])
def test_flush_zeroes_tiny_moments_in_the_fast_form(use_compiled, restore_threads, monkeypatch):
    monkeypatch.setattr(compiled, "active", use_compiled)
    cr.set_num_threads(2)
    size = 2 * adam._FAST_MIN
    p = cr.tensor(np.ones(size, np.float32), requires_grad=True)
    opt = cr.optim.Adam([p], lr=1e-3)
    p.grad = cr.tensor(np.ones(size, np.float32))
    opt.step()
    opt.state[p]["exp_avg"][:] = 1e-35  # below the float32 threshold, still normal
    p.grad = cr.tensor(np.zeros(size, np.float32))
    opt._updates[id(p)] = 63  # the next step is a flush step (period 64 at most)
    opt.step()
    assert not opt.state[p]["exp_avg"].any()


def test_an_error_midway_leaves_the_same_state_as_the_reference(restore_threads):
    def attempt(mode: str):
        a = cr.tensor(np.ones(adam._FAST_MIN, np.float32), requires_grad=True)
        b = cr.tensor(np.ones(3, np.float32), requires_grad=True)
        opt = cr.optim.Adam([a, b])
        a.grad, b.grad = cr.tensor(np.full(adam._FAST_MIN, 0.5, np.float32)), cr.tensor(np.ones(3, np.float32))
        update = opt._update

        def failing(p, grad, state, group):
            if p is b:
                raise KeyError("the second parameter fails")
            return update(p, grad, state, group)

        opt._update = failing
        with kernels.using(mode), pytest.raises(KeyError, match="second parameter"):
            opt.step()
        return a.detach().numpy().copy(), opt.state[a]["step"]

    (want, want_step), (got, got_step) = attempt("reference"), attempt("fast")
    assert not (want == 1).all()  # the first parameter was stepped before the error
    np.testing.assert_array_equal(got, want)
    assert got_step == want_step == 1
